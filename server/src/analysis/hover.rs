//! Hover: what a key or value means, from the document's schema.

use serde_json::Value;

use super::context::{ResourceRef, resource_ref};
use crate::schema::navigate::{self, Segment};
use crate::schema::store::{builtin_version, reference_anchor};
use crate::schema::{Provenance, ResolvedSchema, SchemaStore};
use crate::yaml::{Node, NodeKind, Span, TextSource, YamlFile};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub markdown: String,
    /// Absolute byte range of the hovered key or value.
    pub span: Span,
}

/// The resource schema a document (or a `List` item) has, with its `apiVersion` and `kind`.
pub(crate) struct Resource {
    pub resolved: ResolvedSchema,
    pub api_version: String,
    pub kind: String,
    /// Path segments before the resource's root (2 inside `kind: List` items).
    pub depth: usize,
}

pub(crate) fn resolve_resource(store: &SchemaStore, r: &ResourceRef) -> Option<Resource> {
    let (api_version, kind) = (r.api_version.clone()?, r.kind.clone()?);
    let resolved = store.resolve_kind(&api_version, &kind)?;
    Some(Resource { resolved, api_version, kind, depth: r.depth })
}

/// Hover at byte `offset`: `None` off keys and values, and in documents without a schema.
pub fn hover(file: &YamlFile, text: &(impl TextSource + ?Sized), offset: usize, store: &SchemaStore) -> Option<Hover> {
    let slot = file.document_at(offset)?;
    if slot.doc.is_template {
        return None;
    }
    let rel = offset.checked_sub(slot.start)?;
    // The current (possibly partial) tree first: its ranges are the text's; then the last good one.
    let target = [slot.doc.root.as_ref(), slot.last_good.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|root| locate(root, rel, &mut Vec::new()))?;
    let span = Span::new(target.span.start + slot.start, target.span.end + slot.start);
    let doc_text = text.slice(slot.span());
    let resource = resolve_resource(store, &resource_ref(slot, &doc_text, &target.path))?;
    let rel_path = target.path.get(resource.depth..)?;
    let markdown = match (rel_path, &target.value) {
        ([Segment::Key(k)], _) if k == "apiVersion" || k == "kind" => resource_markdown(&resource),
        (_, None) => field_markdown(&resource, rel_path)?,
        (_, Some(value)) => value_markdown(&resource, rel_path, value)?,
    };
    Some(Hover { markdown, span })
}

struct Target {
    path: Vec<Segment>,
    span: Span,
    /// The scalar's value when the cursor is on a value, `None` on a key.
    value: Option<String>,
}

/// The key or scalar value under `offset` (relative to the document), with its path.
fn locate(node: &Node, offset: usize, path: &mut Vec<Segment>) -> Option<Target> {
    match &node.kind {
        NodeKind::Mapping(entries) => {
            for e in entries {
                let Some(key) = e.key.as_str() else { continue };
                if e.key.span.touches(offset) && !e.key.span.is_empty() {
                    path.push(Segment::Key(key.to_string()));
                    return Some(Target { path: path.clone(), span: e.key.span, value: None });
                }
                if e.value.span.touches(offset) && !e.value.span.is_empty() {
                    path.push(Segment::Key(key.to_string()));
                    if let Some(t) = locate(&e.value, offset, path) {
                        return Some(t);
                    }
                    path.pop();
                }
            }
            None
        }
        NodeKind::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.span.touches(offset) && !item.span.is_empty() {
                    path.push(Segment::Index(i));
                    if let Some(t) = locate(item, offset, path) {
                        return Some(t);
                    }
                    path.pop();
                }
            }
            None
        }
        NodeKind::Scalar(s) => Some(Target { path: path.clone(), span: node.span, value: Some(s.value.to_string()) }),
        NodeKind::Alias(_) => None,
    }
}

fn resource_markdown(r: &Resource) -> String {
    let root = &*r.resolved.schema;
    let mut md = format!("**{}** `{}`", r.kind, r.api_version);
    if let Some(d) = navigate::description(root, root) {
        md.push_str("\n\n");
        md.push_str(d);
    }
    md.push_str(&format!("\n\nSchema: {}", r.resolved.provenance.describe()));
    if let Some(link) = reference_link(r, &[]) {
        md.push_str("\n\n");
        md.push_str(&link);
    }
    md
}

/// A field's documentation: name, type, required, description, enum values, default, path and
/// (for built-in kinds) the API reference. `rel_path` is inside the resource and ends with the key.
pub(crate) fn field_markdown(r: &Resource, rel_path: &[Segment]) -> Option<String> {
    let root = &*r.resolved.schema;
    let schema = navigate::schema_at(root, rel_path)?;
    let (Segment::Key(key), parent_path) = rel_path.split_last()? else {
        return None;
    };
    let parent = navigate::schema_at(root, parent_path)?;
    let mut md = format!("**{key}** `{}`", navigate::type_name(root, schema));
    let named = navigate::properties(root, parent).iter().any(|(n, _)| n == key);
    if navigate::required(root, parent).contains(&key.as_str()) {
        md.push_str(" · required");
    }
    if !named && let Some(Segment::Key(map)) = parent_path.last() {
        // A key of a map (`limits.cpu`): the map says what it is; its value type's long
        // description (Quantity's runs for pages) is cut to its first sentence.
        md.push_str(&format!(" · entry of `{map}`"));
        if let Some(d) = navigate::description(root, schema) {
            md.push_str("\n\n");
            md.push_str(first_sentence(d));
        }
    } else if let Some(d) = field_description(root, parent, key, schema) {
        md.push_str("\n\n");
        md.push_str(d);
    }
    md.push_str(&facts(root, schema));
    md.push_str(&format!("\n\n`{}`", navigate::display_path(&r.kind, rel_path)));
    if let Some(link) = reference_link(r, parent_path) {
        md.push_str(" · ");
        md.push_str(&link);
    }
    Some(md)
}

/// A field's own description: the one written next to its `$ref` ("Label selector for pods")
/// says more than the referenced type's ("A label selector is a label query…").
pub(crate) fn field_description<'a>(
    root: &'a Value,
    parent: &'a Value,
    key: &str,
    schema: &'a Value,
) -> Option<&'a str> {
    navigate::branches(root, parent)
        .into_iter()
        .find_map(|b| b.get("properties")?.get(key)?.get("description")?.as_str())
        .or_else(|| navigate::description(root, schema))
}

fn first_sentence(text: &str) -> &str {
    let para = text.split("\n\n").next().unwrap_or(text);
    para.find(". ").map_or(para, |i| &para[..=i])
}

/// Enum values and default, as markdown paragraphs (empty when the schema names neither).
pub(crate) fn facts(root: &Value, schema: &Value) -> String {
    let mut md = String::new();
    let values = navigate::enum_values(root, schema);
    if !values.is_empty() {
        let list: Vec<String> = values.iter().map(|v| format!("`{}`", scalar_text(v))).collect();
        md.push_str(&format!("\n\nValues: {}", list.join(", ")));
    }
    if let Some(d) = navigate::branches(root, schema).iter().find_map(|b| b.get("default")) {
        md.push_str(&format!("\n\nDefault: `{}`", scalar_text(d)));
    }
    md
}

fn value_markdown(r: &Resource, rel_path: &[Segment], value: &str) -> Option<String> {
    let root = &*r.resolved.schema;
    let schema = navigate::schema_at(root, rel_path)?;
    let meaning = navigate::description(root, schema).and_then(|d| enum_value_meaning(d, value));
    // Items of a list of scalars: document the list's field.
    let field_path = match rel_path.iter().rposition(|s| matches!(s, Segment::Key(_))) {
        Some(i) => &rel_path[..=i],
        None => return meaning.map(|m| format!("`{value}`: {m}")),
    };
    let field = field_markdown(r, field_path);
    match (meaning, field) {
        (Some(m), Some(f)) => Some(format!("`{value}`: {m}\n\n---\n\n{f}")),
        (Some(m), None) => Some(format!("`{value}`: {m}")),
        (None, f) => f,
    }
}

/// What one enum value means, from a description: the `Possible enum values:` list the
/// Kubernetes OpenAPI generator writes, or a sentence that starts with the quoted value.
pub fn enum_value_meaning(description: &str, value: &str) -> Option<String> {
    if let Some((_, list)) = description.split_once("Possible enum values:") {
        for line in list.lines() {
            let Some(rest) = line.trim_start().strip_prefix("- `\"") else { continue };
            let Some((name, meaning)) = rest.split_once("\"`") else { continue };
            if name == value {
                let meaning = meaning.trim();
                return (!meaning.is_empty()).then(|| meaning.to_string());
            }
        }
    }
    let quoted = format!("\"{value}\" ");
    let start = description.find(&quoted)?;
    let sentence = &description[start..];
    // The sentence ends at a period followed by a space and a capital or a quote.
    let bytes = sentence.as_bytes();
    let end = (0..bytes.len())
        .find(|&i| {
            bytes[i] == b'.'
                && bytes.get(i + 1) == Some(&b' ')
                && bytes.get(i + 2).is_some_and(|c| c.is_ascii_uppercase() || *c == b'"')
        })
        .map_or(sentence.len(), |i| i + 1);
    Some(sentence[..end].trim().to_string())
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A link to the Kubernetes API reference for the type that holds the field at `parent_path`
/// (the nearest ancestor that is a named definition), for embedded schemas only.
fn reference_link(r: &Resource, parent_path: &[Segment]) -> Option<String> {
    if !matches!(r.resolved.provenance, Provenance::Embedded { .. }) {
        return None;
    }
    let root = &*r.resolved.schema;
    let from_path = (0..=parent_path.len()).rev().find_map(|i| {
        let s = navigate::schema_at(root, &parent_path[..i])?;
        definition_name(root, s)
    });
    let name = from_path.or_else(|| Some(gitops_ls_schemas::kind_info(&r.api_version, &r.kind)?.definition))?;
    let (type_name, anchor) = reference_anchor(name)?;
    let version = builtin_version();
    Some(format!(
        "[{type_name} in the Kubernetes {version} API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v{version}/#{anchor})"
    ))
}

/// The name of the definition `schema` is (by identity) in the root's `definitions`.
fn definition_name<'a>(root: &'a Value, schema: &Value) -> Option<&'a str> {
    let defs = root.get("definitions")?.as_object()?;
    defs.iter().find(|(_, d)| std::ptr::eq(*d, schema)).map(|(n, _)| n.as_str())
}

#[cfg(test)]
mod tests;
