//! Completion from schemas: keys, values, `apiVersion`/`kind` pairs and resource skeletons.
//!
//! Everything is computed from the text around the cursor (see [`context`](super::context)),
//! so it works in the half-typed states a document passes through.

pub mod paths;
mod skeletons;

use serde_json::Value;

use super::context::{CursorPosition, Style, completion_context, resource_ref, style_evidence};
use super::hover::{Resource, enum_value_meaning, facts, field_description, resolve_resource};
use crate::schema::SchemaStore;
use crate::schema::navigate::{self, Segment};
use crate::yaml::{ScalarValue, Span, TextSource, YamlFile, resolve_plain};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Property,
    Value,
    EnumMember,
    Snippet,
    /// An `apiVersion` value (a group/version is a module of kinds).
    Module,
    /// A `kind` value.
    Class,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: ItemKind,
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    pub insert_text: String,
    /// `insert_text` uses snippet syntax (`$0`, `${1:placeholder}`).
    pub is_snippet: bool,
    /// Absolute byte range the insert text replaces.
    pub replace: Span,
    pub sort_text: Option<String>,
    pub filter_text: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completion {
    pub items: Vec<CompletionItem>,
    pub is_incomplete: bool,
}

/// Completions at byte `offset`.
pub fn completion(
    file: &YamlFile,
    text: &(impl TextSource + ?Sized),
    offset: usize,
    store: &SchemaStore,
) -> Completion {
    let mut out = Completion::default();
    let Some(ctx) = completion_context(file, text, offset) else { return out };
    let slot = &file.documents()[ctx.doc_index];
    if slot.doc.is_template {
        return out;
    }
    let doc_text = text.slice(slot.span());
    let rref = resource_ref(slot, &doc_text, &ctx.path);
    let resource = resolve_resource(store, &rref);
    let rel_path = ctx.path.get(rref.depth..).unwrap_or(&[]);
    let at_resource_root = ctx.path.len() == rref.depth;
    let c = Cx { ctx: &ctx, style: style_for(file, text, ctx.doc_index, &doc_text) };

    match &ctx.position {
        CursorPosition::Value { key } => {
            if at_resource_root && (key == "apiVersion" || key == "kind") {
                out.items = kind_values(store, key, &rref.api_version, &rref.kind, &c);
            } else if let Some(r) = &resource {
                let root = &*r.resolved.schema;
                let mut path = rel_path.to_vec();
                path.push(Segment::Key(key.clone()));
                if let Some(schema) = navigate::schema_at(root, &path) {
                    out.items = value_items(root, schema, &c);
                }
            }
        }
        CursorPosition::Key => {
            if ctx.path.is_empty() && ctx.existing_keys.is_empty() && ctx.indent == 0 {
                out.items.extend(skeletons::items(store, c.style, ctx.replace));
            }
            match &resource {
                Some(r) => out.items.extend(key_items(r, rel_path, at_resource_root, &c)),
                None if at_resource_root => out.items.extend(bare_root_keys(&c)),
                None => {}
            }
        }
    }
    out
}

/// The context plus the file's indentation style.
struct Cx<'a> {
    ctx: &'a super::context::Context,
    style: Style,
}

/// The style of the cursor's document; what it does not show, the first other documents of
/// the file do (bounded, so a huge file costs nothing here).
fn style_for(file: &YamlFile, text: &(impl TextSource + ?Sized), doc_index: usize, doc_text: &str) -> Style {
    let (mut width, mut seq) = style_evidence(doc_text);
    let others = file.documents().iter().enumerate().filter(|(i, s)| *i != doc_index && s.doc.len < 64 * 1024);
    for (_, slot) in others.take(3) {
        if width.is_some() && seq.is_some() {
            break;
        }
        let (w, s) = style_evidence(&text.slice(slot.span()));
        width = width.or(w);
        seq = seq.or(s);
    }
    let default = Style::default();
    Style { width: width.unwrap_or(default.width), indent_sequences: seq.unwrap_or(default.indent_sequences) }
}

fn key_items(r: &Resource, rel_path: &[Segment], at_root: bool, c: &Cx) -> Vec<CompletionItem> {
    let root = &*r.resolved.schema;
    let Some(schema) = navigate::schema_at(root, rel_path) else { return Vec::new() };
    let mut items = Vec::new();
    let props = navigate::properties(root, schema);
    if !props.is_empty() {
        let required = navigate::required(root, schema);
        for (name, child) in props {
            if c.ctx.existing_keys.iter().any(|k| k == name) {
                continue;
            }
            let rank = match (at_root, name) {
                (true, "apiVersion") => "00",
                (true, "kind") => "01",
                (true, "metadata") => "02",
                (true, "status") => "9",
                _ if required.contains(&name) => "1",
                _ => "2",
            };
            items.push(property_item(root, schema, name, child, rank, "", c));
        }
    } else if is_array(root, schema) && !c.ctx.item_start {
        // Under `containers:` before any `- `: offer the items' keys, each starting an item.
        if let Some(item) = navigate::child(root, schema, &Segment::Index(0)) {
            let required = navigate::required(root, item);
            for (name, child) in navigate::properties(root, item) {
                let rank = if required.contains(&name) { "1" } else { "2" };
                items.push(property_item(root, item, name, child, rank, "- ", c));
            }
        }
    }
    if c.ctx.item_start && items.is_empty() {
        items = value_items(root, schema, c);
    }
    items
}

/// Keys of a document that has no schema yet.
fn bare_root_keys(c: &Cx) -> Vec<CompletionItem> {
    ["apiVersion", "kind", "metadata"]
        .into_iter()
        .enumerate()
        .filter(|(_, k)| !c.ctx.existing_keys.iter().any(|e| e == k))
        .map(|(i, k)| {
            let insert = if c.ctx.colon_follows {
                k.to_string()
            } else if k == "metadata" {
                format!("metadata:\n{}name: $0", pad(c.ctx.indent + c.style.width))
            } else {
                format!("{k}: $0")
            };
            CompletionItem {
                label: k.to_string(),
                kind: ItemKind::Property,
                detail: None,
                documentation: None,
                is_snippet: !c.ctx.colon_follows,
                insert_text: insert,
                replace: c.ctx.replace,
                sort_text: Some(format!("1{i}")),
                filter_text: Some(k.to_string()),
            }
        })
        .collect()
}

/// A key of `parent`; `rank` orders it (required keys first).
fn property_item(
    root: &Value,
    parent: &Value,
    name: &str,
    schema: &Value,
    rank: &str,
    item_prefix: &str,
    c: &Cx,
) -> CompletionItem {
    let ty = navigate::type_name(root, schema);
    let required = navigate::required(root, parent).contains(&name);
    let mut doc = field_description(root, parent, name, schema).unwrap_or_default().to_string();
    doc.push_str(&facts(root, schema));
    let (insert_text, is_snippet) = if c.ctx.colon_follows && item_prefix.is_empty() {
        (name.to_string(), false)
    } else {
        // After `- ` the key sits two columns right of the dash.
        let col = c.ctx.indent + item_prefix.len();
        (format!("{item_prefix}{}", key_snippet(root, name, schema, col, c.style)), true)
    };
    CompletionItem {
        label: name.to_string(),
        kind: ItemKind::Property,
        detail: Some(if required { format!("{ty} (required)") } else { ty }),
        documentation: (!doc.trim().is_empty()).then(|| doc.trim().to_string()),
        insert_text,
        is_snippet,
        replace: c.ctx.replace,
        sort_text: Some(format!("{rank}{name}")),
        filter_text: Some(name.to_string()),
    }
}

/// What typing a key inserts: nested lines for objects and arrays, a placeholder for scalars.
/// `col` is the key's column; the text after the first line carries absolute indentation.
fn key_snippet(root: &Value, name: &str, schema: &Value, col: usize, style: Style) -> String {
    let key = escape_snippet(name);
    if is_array(root, schema) {
        let dash = col + if style.indent_sequences { style.width } else { 0 };
        return format!("{key}:\n{}- $0", pad(dash));
    }
    if is_object(root, schema) {
        return format!("{key}:\n{}$0", pad(col + style.width));
    }
    match choices(root, schema) {
        Some(choice) => format!("{key}: ${{1|{choice}|}}"),
        None => format!("{key}: $0"),
    }
}

/// `a,b,c` for a snippet choice, when a scalar has a few simple values to pick from.
fn choices(root: &Value, schema: &Value) -> Option<String> {
    let values = navigate::enum_values(root, schema);
    let texts: Vec<String> = if values.is_empty() {
        if navigate::type_name(root, schema) != "boolean" {
            return None;
        }
        vec!["true".into(), "false".into()]
    } else {
        values.iter().map(|v| plain(v)).collect()
    };
    let simple = |t: &String| !t.is_empty() && !t.contains([',', '|', '$', '}', '\\', '\n']);
    (texts.len() <= 12 && texts.iter().all(simple)).then(|| texts.join(","))
}

fn value_items(root: &Value, schema: &Value, c: &Cx) -> Vec<CompletionItem> {
    let ty = navigate::type_name(root, schema);
    let values = navigate::enum_values(root, schema);
    let description = navigate::description(root, schema);
    let mut items = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let label = plain(v);
        let documentation = description.and_then(|d| enum_value_meaning(d, &label));
        items.push(value_item(label, ItemKind::EnumMember, Some(ty.clone()), documentation, v.is_string(), i, c));
    }
    if values.is_empty() && ty == "boolean" {
        for (i, b) in ["true", "false"].into_iter().enumerate() {
            items.push(value_item(b.into(), ItemKind::Value, None, None, false, i, c));
        }
    }
    items
}

fn value_item(
    label: String,
    kind: ItemKind,
    detail: Option<String>,
    documentation: Option<String>,
    is_string: bool,
    rank: usize,
    c: &Cx,
) -> CompletionItem {
    // A string that YAML would read as something else (`"true"`, `"1.0"`) must be quoted.
    let mut text =
        if is_string && resolve_plain(&label) != ScalarValue::String { format!("\"{label}\"") } else { label.clone() };
    if c.ctx.needs_space {
        text.insert(0, ' ');
    }
    CompletionItem {
        filter_text: Some(label.clone()),
        label,
        kind,
        detail,
        documentation,
        insert_text: text,
        is_snippet: false,
        replace: c.ctx.replace,
        sort_text: Some(format!("{rank:04}")),
    }
}

/// `apiVersion` values for the typed `kind`, or `kind` values for the typed `apiVersion`, from
/// the embedded kinds and the store's custom kinds.
fn kind_values(
    store: &SchemaStore,
    key: &str,
    api_version: &Option<String>,
    kind: &Option<String>,
    c: &Cx,
) -> Vec<CompletionItem> {
    let custom = store.custom_kinds();
    // Rank: the repository's CRDs first, then built-in kinds, then the bundled CRD schemas.
    let known = gitops_ls_schemas::kinds()
        .map(|k| (k.api_version, k.kind, 1u8))
        .chain(custom.iter().map(|k| (k.api_version.as_str(), k.kind.as_str(), 0)))
        .chain(
            gitops_ls_schemas::bundled_crds()
                .filter(|b| !custom.iter().any(|k| k.api_version == b.api_version && k.kind == b.kind))
                .map(|b| (b.api_version, b.kind, 2)),
        );
    // Filtering by an unknown or half-typed value would leave nothing: ignore it then.
    let filter = if key == "apiVersion" { kind } else { api_version };
    let filter =
        filter.as_deref().filter(|f| known.clone().any(|(av, k, _)| (if key == "apiVersion" { k } else { av }) == *f));
    // (value, the other half of the pairs it forms, rank)
    let mut found: Vec<(String, Vec<String>, u8)> = Vec::new();
    for (av, k, rank) in known {
        let (value, other) = if key == "apiVersion" { (av, k) } else { (k, av) };
        if filter.is_some_and(|f| f != other) {
            continue;
        }
        match found.iter_mut().find(|(v, _, _)| v == value) {
            Some((_, others, _)) => others.push(other.to_string()),
            None => found.push((value.to_string(), vec![other.to_string()], rank)),
        }
    }
    let item_kind = if key == "apiVersion" { ItemKind::Module } else { ItemKind::Class };
    found
        .into_iter()
        .enumerate()
        .map(|(i, (value, others, rank))| {
            let mut detail = others.join(", ");
            if detail.len() > 60 {
                detail = format!("{}, … ({} kinds)", others[..others.len().min(3)].join(", "), others.len());
            }
            let mut item = value_item(value, item_kind, Some(detail), None, true, i, c);
            // Custom resources are what a GitOps repository mostly adds: list them first.
            item.sort_text = Some(format!("{rank}{}", item.label));
            item
        })
        .collect()
}

/// The text a snippet inserts with every placeholder at its default, for clients without
/// snippet support.
pub fn snippet_to_plain(snippet: &str) -> String {
    skeletons::expand_placeholders(snippet)
}

fn is_array(root: &Value, schema: &Value) -> bool {
    navigate::type_name(root, schema).starts_with("[]")
}

fn is_object(root: &Value, schema: &Value) -> bool {
    let ty = navigate::type_name(root, schema);
    ty == "object" || ty.starts_with("map[")
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// Escapes the characters snippet syntax gives a meaning to.
fn escape_snippet(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '$' | '}' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests;
