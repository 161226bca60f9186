//! Validates documents the way the API server's strict field validation would, and maps every
//! error back to the exact range: the key of an unknown field, the value of a wrong value, the
//! parent key of a missing field.

use std::path::PathBuf;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::deprecated;
use super::modeline::{ModelineSchema, find_modeline};
use super::navigate::{self, Segment};
use super::store::{Lookup, Provenance, ResolvedSchema, SchemaStore};
use crate::k8s::{apiserver, gitops};
use crate::yaml::{
    Diagnostic, Fix, Node, NodeKind, ParsedDocument, ScalarStyle, ScalarValue, Severity, Span, YamlFile,
};

/// How one file is validated. Built by the edges from settings and the workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationOptions {
    /// Severity of "no schema for this kind"; `None` turns the diagnostic off.
    pub unknown_kind: Option<Severity>,
    /// A Kustomize patch: a partial object, so missing required fields are fine.
    pub partial: bool,
    /// Most problems reported per document; the rest would be noise after a bad paste.
    pub max_problems: usize,
    /// The file's path: for `kustomization.yaml`, modeline paths and glob associations.
    pub path: Option<PathBuf>,
    /// Unknown fields are errors, as with the API server's strict field validation; when off
    /// they are warnings.
    pub strict: bool,
    /// The file is an input of a kustomization that sets `namespace:`, which renames the
    /// Namespace objects it builds: their names here are placeholders (`_`), not checked.
    pub namespace_from_kustomization: bool,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            unknown_kind: Some(Severity::Warning),
            partial: false,
            max_problems: 100,
            path: None,
            strict: true,
            namespace_from_kustomization: false,
        }
    }
}

/// What validating a file found.
#[derive(Debug, Default)]
pub struct FileValidation {
    pub diagnostics: Vec<Diagnostic>,
    /// Documents recognised as Kubernetes resources (`apiVersion` and `kind`).
    pub resources: usize,
}

/// Validates every complete, non-template document of `file`. Diagnostics are in absolute offsets.
pub fn validate_file(file: &YamlFile, store: &SchemaStore, opts: &ValidationOptions) -> FileValidation {
    let mut out = FileValidation::default();
    // Schema locations this file already reported as unloadable: one warning per file at most.
    let mut reported = Vec::new();
    for slot in file.documents() {
        let doc = validate_document(&slot.doc, store, opts, &mut reported);
        out.resources += doc.resources;
        out.diagnostics.extend(doc.diagnostics.into_iter().map(|d| d.shifted(slot.start)));
    }
    out
}

/// What validating one `---` document found, in offsets relative to its start.
#[derive(Debug, Default)]
pub struct DocumentValidation {
    pub diagnostics: Vec<Diagnostic>,
    pub resources: usize,
    /// The document names a schema (modeline) that could not be loaded: its result depends on
    /// which documents before it reported that, so it must not be reused on its own.
    pub failed_modeline: bool,
}

/// Validates one document. `reported` holds the unloadable schema locations that documents
/// before it in the same file already reported.
pub fn validate_document(
    doc: &ParsedDocument,
    store: &SchemaStore,
    opts: &ValidationOptions,
    reported: &mut Vec<String>,
) -> DocumentValidation {
    let mut out = DocumentValidation::default();
    if !doc.complete || doc.is_template {
        return out;
    }
    let Some(root) = &doc.root else { return out };
    let mut diags = Vec::new();
    let path = opts.path.as_deref();
    // What the API server will get: SOPS metadata removed on decryption, Flux defaults applied.
    let sops = gitops::sops_entry(root).map(|e| e.key.span);
    let mut prepared = sops.map(|_| gitops::without_sops(root));
    let subst = !gitops::substitution_disabled(root) && !is_kustomization(root, path);
    if subst && let Some(n) = gitops::with_defaults(prepared.as_ref().unwrap_or(root)) {
        prepared = Some(n);
    }
    let root = prepared.as_ref().unwrap_or(root);
    if let Some(span) = sops {
        diags.push(Diagnostic::new(
            span,
            Severity::Information,
            "sops-encrypted",
            "SOPS-encrypted document: the `sops` metadata is removed and the `ENC[…]` values are decrypted before apply, so they are not type-checked",
        ));
    }
    // A modeline overrides everything for its document; `$schema=none` turns validation off.
    // One that cannot be loaded is reported once (by the first document using it) and the
    // document is then checked as if it had none, so it is never silently unchecked.
    let mut fallback_opts = None;
    if let Some((modeline, span)) = find_modeline(&doc.comments) {
        let ModelineSchema::Location(location) = modeline else { return out };
        let provenance = Provenance::Modeline { location: location.clone() };
        let lookup = store.load_location(&location, path, provenance);
        // Until the download lands: checked by apiVersion and kind, without a note (validated
        // again when it lands).
        let pending = matches!(lookup, Lookup::Pending);
        let msg = match lookup {
            Lookup::Found(resolved) => {
                out.resources += is_resource(root) as usize;
                validate_whole(root, &resolved, store, opts, subst, &mut diags);
                finish(opts, diags, &mut out);
                return out;
            }
            Lookup::Failed(msg) => msg,
            Lookup::Missing => format!("schema `{location}` not found"),
            Lookup::Pending => String::new(),
        };
        out.failed_modeline = true;
        let first_here = !reported.contains(&location);
        reported.push(location.clone());
        if !pending && let Some(others) = store.claim_failure(&location, path).filter(|_| first_here) {
            let mut msg = format!("{msg}; checked by apiVersion and kind instead");
            if !others.is_empty() {
                let names: Vec<String> = others.iter().take(5).map(|p| p.display().to_string()).collect();
                let more = others.len().saturating_sub(names.len());
                msg.push_str(&format!(
                    " (also used in {} other file{}: {}{})",
                    others.len(),
                    if others.len() == 1 { "" } else { "s" },
                    names.join(", "),
                    if more > 0 { format!(", and {more} more") } else { String::new() }
                ));
            }
            diags.push(Diagnostic::new(span, Severity::Warning, "schema-load", msg));
        }
        // The warning above speaks for the document: no second one if its kind is unknown too.
        fallback_opts = Some(ValidationOptions { unknown_kind: None, ..opts.clone() });
    }
    let opts = fallback_opts.as_ref().unwrap_or(opts);
    let association = path.filter(|_| fallback_opts.is_none()).and_then(|p| store.association(p));
    if let Some(lookup) = association.filter(|l| !matches!(l, Lookup::Pending)) {
        match lookup {
            Lookup::Found(resolved) => validate_whole(root, &resolved, store, opts, subst, &mut diags),
            Lookup::Failed(msg) => {
                diags.push(Diagnostic::new(first_key_span(root), Severity::Warning, "schema-load", msg))
            }
            Lookup::Missing | Lookup::Pending => {}
        }
    } else if is_kustomization(root, path) {
        validate_whole(root, &store.kustomization(), store, opts, subst, &mut diags);
    } else if is_list(root) {
        // `kind: List`: each item is a resource of its own.
        if let Some(items) = root.get("items") {
            for (i, item) in items.items().iter().enumerate() {
                out.resources += validate_resource(
                    item,
                    &[Segment::Key("items".into()), Segment::Index(i)],
                    store,
                    opts,
                    subst,
                    &mut diags,
                ) as usize;
            }
        }
    } else {
        out.resources += validate_resource(root, &[], store, opts, subst, &mut diags) as usize;
    }
    finish(opts, diags, &mut out);
    out
}

fn finish(opts: &ValidationOptions, mut diags: Vec<Diagnostic>, out: &mut DocumentValidation) {
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    diags.truncate(opts.max_problems);
    out.diagnostics = diags;
}

fn is_resource(root: &Node) -> bool {
    root.get("apiVersion").and_then(Node::as_str).is_some_and(|a| !a.is_empty())
        && root.get("kind").and_then(Node::as_str).is_some_and(|k| !k.is_empty())
}

/// `kustomization.yaml` by its name, or a document that says it is a Kustomize kind.
fn is_kustomization(root: &Node, path: Option<&std::path::Path>) -> bool {
    let api = root.get("apiVersion").and_then(Node::as_str);
    let kind = root.get("kind").and_then(Node::as_str);
    let by_kind = api.is_some_and(|a| a.starts_with("kustomize.config.k8s.io/"))
        && matches!(kind, Some("Kustomization" | "Component"));
    let by_name = path.is_some_and(crate::k8s::kustomize::is_kustomization_file) && (api.is_none() || by_kind);
    by_kind || by_name
}

fn first_key_span(root: &Node) -> Span {
    root.entries().first().map_or(root.span, |e| e.key.span)
}

/// Validates a document against a schema chosen for the whole file (modeline, setting, or
/// the kustomization schema): no resource rules.
fn validate_whole(
    root: &Node,
    resolved: &ResolvedSchema,
    store: &SchemaStore,
    opts: &ValidationOptions,
    subst: bool,
    diags: &mut Vec<Diagnostic>,
) {
    let Ok(mut instance) = crate::yaml::to_json(root) else { return };
    drop_nulls(&mut instance);
    let kind = match root.get("kind").and_then(Node::as_str) {
        Some(k) => k.to_string(),
        None if resolved.key == super::store::SchemaKey::Kustomization => "Kustomization".to_string(),
        None => String::new(),
    };
    check_schema(root, &instance, resolved, &kind, &[], store, opts, subst, diags);
    // The API server's own rules apply whatever schema a modeline names.
    let api_version = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    if !opts.partial && gitops_ls_schemas::kind_info(api_version, &kind).is_some() {
        api_rules(root, &instance, api_version, &kind, diags);
    }
}

/// `v1 List`, or a typed list (`ConfigMapList`, `apps/v1 DeploymentList`) with `items`:
/// kubectl applies each item.
fn is_list(root: &Node) -> bool {
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    let v1_list = kind == "List" && root.get("apiVersion").and_then(Node::as_str) == Some("v1");
    let typed = kind.len() > 4
        && kind.ends_with("List")
        && root.get("items").is_some_and(|i| matches!(i.kind, NodeKind::Sequence(_)) || i.is_null());
    v1_list || typed
}

/// apiVersions of tools' own config files that share the Kubernetes shape but are never applied.
const TOOL_CONFIG_GROUPS: &[&str] = &[
    "skaffold/",
    "kpt.dev/",
    "fn.kpt.dev/",
    "config.kubernetes.io/",
    "kind.x-k8s.io/",
    "k3d.io/",
    "ctlptl.dev/",
    "kustomize.config.k8s.io/",
    "builtin",
];

/// Validates one resource (the document root or a `List` item at `prefix`). Returns whether it
/// is a resource (has `apiVersion` and `kind`).
fn validate_resource(
    node: &Node,
    prefix: &[Segment],
    store: &SchemaStore,
    opts: &ValidationOptions,
    subst: bool,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if !matches!(node.kind, NodeKind::Mapping(_)) {
        return false;
    }
    let api_entry = node.get_entry("apiVersion");
    let kind_entry = node.get_entry("kind");
    let (api_entry, kind_entry) = match (api_entry, kind_entry) {
        (Some(a), Some(k)) => (a, k),
        (None, None) => return false,
        (Some(present), None) | (None, Some(present)) => {
            if looks_like_resource(node) {
                let (has, lacks, code) = if api_entry.is_some() {
                    ("apiVersion", "kind", "missing-kind")
                } else {
                    ("kind", "apiVersion", "missing-api-version")
                };
                diags.push(Diagnostic::new(
                    present.key.span,
                    Severity::Error,
                    code,
                    format!("this object has `{has}` but no `{lacks}`: Kubernetes needs both to know what it is"),
                ));
            }
            return false;
        }
    };
    let (Some(api_version), Some(kind)) = (api_entry.value.as_str(), kind_entry.value.as_str()) else {
        return false;
    };
    // `kind:` or `apiVersion:` with nothing after it: the API server cannot tell what it is.
    let empty = |e: &crate::yaml::Entry| e.value.is_null() || e.value.as_str() == Some("");
    if empty(api_entry) || empty(kind_entry) {
        for (e, field, code, example) in [
            (api_entry, "apiVersion", "missing-api-version", "`apps/v1`"),
            (kind_entry, "kind", "missing-kind", "`Deployment`"),
        ] {
            if empty(e) {
                let span = if e.value.span.is_empty() { e.key.span } else { e.value.span };
                diags.push(Diagnostic::new(
                    span,
                    Severity::Error,
                    code,
                    format!("`{field}` is empty: Kubernetes needs it to know what this object is (e.g. {example})"),
                ));
            }
        }
        return false;
    }
    // A kubeconfig: a client's file with the shape of an object, never applied.
    if api_version == "v1" && kind == "Config" {
        return false;
    }
    if TOOL_CONFIG_GROUPS.iter().any(|g| api_version.starts_with(g)) {
        return true;
    }
    if let Some(r) = deprecated::removal(api_version, kind) {
        let mut message = match r.replacement {
            Some(rep) => format!("{api_version} {kind} was removed in Kubernetes {}; use {rep}", r.removed_in),
            None => format!("{api_version} {kind} was removed in Kubernetes {}", r.removed_in),
        };
        if !r.note.is_empty() {
            message.push_str(&format!(" ({})", r.note));
        }
        let mut d = Diagnostic::new(api_entry.value.span, Severity::Error, "removed-api", message);
        if let Some(rep) = r.replacement {
            d = d.with_fix(Fix::replace(format!("Change apiVersion to {rep}"), api_entry.value.span, rep));
        }
        diags.push(d);
        return true;
    }
    let resolved = match store.lookup_kind(api_version, kind) {
        Lookup::Found(r) => r,
        Lookup::Missing => {
            // No CRD can add a kind to a built-in group: that is an error whatever the setting.
            let builtin = is_builtin_group(api_version);
            if let Some(severity) = opts.unknown_kind.or(builtin.then_some(Severity::Error)) {
                diags.push(unknown_kind(api_version, kind, api_entry, kind_entry, severity));
            }
            return true;
        }
        Lookup::Failed(msg) => {
            diags.push(Diagnostic::new(kind_entry.value.span, Severity::Error, "schema-load", msg));
            return true;
        }
        // Checked when the download lands; no unknown-kind warning meanwhile.
        Lookup::Pending => return true,
    };
    let Ok(mut instance) = crate::yaml::to_json(node) else { return true };
    // `key:` with no value decodes to the field's zero value: the API server treats it as absent.
    drop_nulls(&mut instance);
    if opts.partial {
        drop_patch_directives(&mut instance);
    }
    check_schema(node, &instance, &resolved, kind, prefix, store, opts, subst, diags);
    check_metadata(node, kind, opts, diags);
    if !opts.partial {
        api_rules(node, &instance, api_version, kind, diags);
    }
    true
}

/// The API server's validation beyond the schema ([`apiserver`]), mapped to ranges. Only for
/// kinds with a schema (built in, or a CRD's): those are API objects, which need a name.
fn api_rules(node: &Node, instance: &Value, api_version: &str, kind: &str, diags: &mut Vec<Diagnostic>) {
    let scope = apiserver::Scope { named_object: true };
    for p in apiserver::check(api_version, kind, instance, scope) {
        let path: Vec<Segment> = p
            .path
            .iter()
            .map(|s| match s {
                apiserver::Step::Key(k) => Segment::Key(k.clone()),
                apiserver::Step::Index(i) => Segment::Index(*i),
            })
            .collect();
        let ctx = ErrorContext { node, root_schema: &Value::Null, kind, prefix: &[], path: &path };
        let span = match p.at {
            apiserver::At::Value => ctx.value_span().0,
            apiserver::At::Key => entry_at(node, &path).map_or_else(|| ctx.value_span().0, |e| e.key.span),
            apiserver::At::Missing => ctx.missing_span(),
        };
        diags.push(Diagnostic::new(span, Severity::Error, p.code, p.message));
    }
}

/// An object with Kubernetes-looking keys beside `apiVersion` or `kind`.
fn looks_like_resource(node: &Node) -> bool {
    node.get("metadata").is_some_and(|m| matches!(m.kind, NodeKind::Mapping(_)))
}

/// A group the API server serves itself (`v1`, `apps`, `networking.k8s.io`…). CRDs need a
/// dotted group of their own, and those in `*.k8s.io` subgroups (Gateway API, snapshots) are
/// not built in.
fn is_builtin_group(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    gitops_ls_schemas::kinds().any(|k| k.group == group)
}

fn unknown_kind(
    api_version: &str,
    kind: &str,
    api_entry: &crate::yaml::Entry,
    kind_entry: &crate::yaml::Entry,
    severity: Severity,
) -> Diagnostic {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    // The kind exists under another apiVersion (a typo in the version, or a missing group).
    // Only for built-in groups: a CRD group may reuse a built-in kind's name (`Service`).
    let builtin_group = gitops_ls_schemas::kinds().any(|k| k.group == group);
    let other_versions: Vec<&str> = if builtin_group {
        gitops_ls_schemas::kinds().filter(|k| k.kind == kind).map(|k| k.api_version).collect()
    } else {
        Vec::new()
    };
    let same_group_kinds: Vec<&str> =
        gitops_ls_schemas::kinds().filter(|k| k.api_version == api_version).map(|k| k.kind).collect();
    if !other_versions.is_empty() {
        let mut d = Diagnostic::new(
            api_entry.value.span,
            Severity::Error,
            "unknown-api-version",
            format!("{kind} is not served as {api_version}; it is {}", other_versions.join(" or ")),
        );
        for v in other_versions {
            d = d.with_fix(Fix::replace(format!("Change apiVersion to {v}"), api_entry.value.span, v));
        }
        return d;
    }
    if let Some(best) = suggest(kind, same_group_kinds.iter().copied()) {
        return Diagnostic::new(
            kind_entry.value.span,
            Severity::Error,
            "unknown-kind",
            format!("{api_version} has no kind `{kind}`; did you mean `{best}`?"),
        )
        .with_fix(Fix::replace(format!("Change kind to {best}"), kind_entry.value.span, best));
    }
    if builtin_group {
        let version = gitops_ls_schemas::document()["x-kubernetes-version"].as_str().unwrap_or("");
        return Diagnostic::new(
            kind_entry.value.span,
            Severity::Error,
            "unknown-kind",
            format!(
                "{api_version} has no kind `{kind}` (Kubernetes {version}): `{}` is a built-in group, so no CustomResourceDefinition can add one; check the kind and apiVersion",
                if group.is_empty() { "core" } else { group }
            ),
        );
    }
    let hint = if group.is_empty() || group.ends_with(".k8s.io") || !group.contains('.') {
        String::new()
    } else {
        " (add its CustomResourceDefinition to the repository or configure a CRD catalog)".to_string()
    };
    Diagnostic::new(
        kind_entry.value.span,
        severity,
        "unknown-kind",
        format!("no schema for {api_version} {kind}, so it is not validated{hint}"),
    )
}

#[allow(clippy::too_many_arguments)] // one call site; a struct would only rename the list
fn check_schema(
    node: &Node,
    instance: &Value,
    resolved: &ResolvedSchema,
    kind: &str,
    prefix: &[Segment],
    store: &SchemaStore,
    opts: &ValidationOptions,
    subst: bool,
    diags: &mut Vec<Diagnostic>,
) {
    let validator = match store.validator(resolved) {
        Ok(v) => v,
        Err(message) => {
            let span = node.get_entry("kind").map_or(node.span, |e| e.value.span);
            diags.push(Diagnostic::new(span, Severity::Warning, "schema", message));
            return;
        }
    };
    let root_schema: &Value = &resolved.schema;
    let before = diags.len();
    let cx = MapCx { node, root_schema, kind, prefix, partial: opts.partial, strict: opts.strict, subst };
    for err in validator.iter_errors(instance) {
        if diags.len() - before >= opts.max_problems {
            break;
        }
        cx.map_error(&err, diags, 0);
    }
    dedup(&mut diags[before..].to_vec(), diags, before);
}

struct MapCx<'a> {
    node: &'a Node,
    root_schema: &'a Value,
    kind: &'a str,
    prefix: &'a [Segment],
    partial: bool,
    strict: bool,
    /// Flux substitution may apply: an unresolved `${VAR}` can become any type.
    subst: bool,
}

impl MapCx<'_> {
    /// A value filled in after the file is read (a Flux variable without a default, a SOPS
    /// ciphertext, another engine's template): only its presence can be judged.
    fn is_opaque(&self, v: &Value) -> bool {
        v.as_str().is_some_and(|s| (self.subst && s.contains("${")) || s.contains("{{") || gitops::is_encrypted(s))
    }

    fn map_error(&self, err: &jsonschema::ValidationError<'_>, diags: &mut Vec<Diagnostic>, depth: usize) {
        let pointer = err.instance_path().as_str();
        let about_fields = matches!(
            err.kind(),
            ValidationErrorKind::AdditionalProperties { .. } | ValidationErrorKind::Required { .. }
        );
        if !about_fields && self.is_opaque(err.instance()) {
            return;
        }
        let path = parse_pointer(pointer, self.node);
        let ctx = ErrorContext {
            node: self.node,
            root_schema: self.root_schema,
            kind: self.kind,
            prefix: self.prefix,
            path: &path,
        };
        match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    let mut d = ctx.unknown_field(name);
                    if !self.strict {
                        d.severity = Severity::Warning;
                    }
                    diags.push(d);
                }
            }
            ValidationErrorKind::Required { property } => {
                if !self.partial {
                    diags.push(ctx.missing(property.as_str().unwrap_or("?")));
                }
            }
            ValidationErrorKind::Type { kind: expected } => diags.push(ctx.wrong_type(expected, err.instance())),
            ValidationErrorKind::Enum { options } => diags.push(ctx.not_in_enum(options, err.instance())),
            ValidationErrorKind::Constant { expected_value } => {
                diags.push(ctx.not_in_enum(&Value::Array(vec![(**expected_value).clone()]), err.instance()))
            }
            ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
                // A branch whose errors all lie deeper matched the value's shape and failed
                // inside it: its errors say what is wrong; otherwise no shape fits at all.
                let best = context
                    .iter()
                    .filter(|b| !b.is_empty() && b.iter().all(|e| e.instance_path().as_str().len() > pointer.len()))
                    .min_by_key(|b| b.len());
                match best {
                    Some(branch) if depth < 8 => branch.iter().for_each(|e| self.map_error(e, diags, depth + 1)),
                    _ => diags.push(ctx.no_alternative(err.instance())),
                }
            }
            ValidationErrorKind::Pattern { pattern } => diags.push(ctx.pattern(pattern, err.instance())),
            // Only ever the echo of a value of the wrong shape, which is reported on its own.
            ValidationErrorKind::OneOfMultipleValid { .. } if !err.instance().is_object() => {}
            _ => {
                let (span, _) = ctx.value_span();
                diags.push(Diagnostic::new(span, Severity::Error, "schema", format!("{}: {err}", ctx.where_())));
            }
        }
    }
}

fn dedup(fresh: &mut Vec<Diagnostic>, diags: &mut Vec<Diagnostic>, before: usize) {
    let mut seen = std::collections::HashSet::new();
    fresh.retain(|d| seen.insert((d.span, d.message.clone())));
    diags.truncate(before);
    diags.append(fresh);
}

/// Splits a JSON pointer into segments, reading numbers as indices where the tree has a list.
fn parse_pointer(pointer: &str, root: &Node) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut node = Some(root);
    for raw in pointer.split('/').skip(1) {
        let key = raw.replace("~1", "/").replace("~0", "~");
        let is_seq = node.is_some_and(|n| matches!(n.kind, NodeKind::Sequence(_)));
        let seg = match key.parse::<usize>() {
            Ok(i) if is_seq => Segment::Index(i),
            _ => Segment::Key(key),
        };
        node = node.and_then(|n| step(n, &seg));
        out.push(seg);
    }
    out
}

fn step<'a>(node: &'a Node, seg: &Segment) -> Option<&'a Node> {
    match seg {
        Segment::Index(i) => node.items().get(*i),
        Segment::Key(k) => {
            node.entries().iter().rev().find(|e| crate::yaml::key_string(&e.key) == *k).map(|e| &e.value)
        }
    }
}

/// The key entry for the last segment (for "the key of an unknown field" and "the parent key").
fn entry_at<'a>(root: &'a Node, path: &[Segment]) -> Option<&'a crate::yaml::Entry> {
    let (last, parent) = path.split_last()?;
    let parent = node_at(root, parent)?;
    let Segment::Key(k) = last else { return None };
    parent.entries().iter().rev().find(|e| crate::yaml::key_string(&e.key) == *k)
}

/// The node at `path`, following merge keys (`<<: *base`) the way the JSON value was built.
fn node_at<'a>(root: &'a Node, path: &[Segment]) -> Option<&'a Node> {
    let mut n = root;
    for seg in path {
        n = step(n, seg)?;
    }
    Some(n)
}

struct ErrorContext<'a> {
    node: &'a Node,
    root_schema: &'a Value,
    kind: &'a str,
    prefix: &'a [Segment],
    path: &'a [Segment],
}

impl ErrorContext<'_> {
    /// `Deployment.spec.replicas` (with `[]` for list items).
    fn where_(&self) -> String {
        let full: Vec<Segment> = self.prefix.iter().chain(self.path.iter()).cloned().collect();
        let shown = navigate::display_path(self.kind, &full);
        if shown.is_empty() { "the document".to_string() } else { shown }
    }

    /// The value's range, or the deepest existing ancestor's (merged values have no range of their own).
    fn value_span(&self) -> (Span, Option<&Node>) {
        for len in (0..=self.path.len()).rev() {
            if let Some(n) = node_at(self.node, &self.path[..len]) {
                let found = (len == self.path.len()).then_some(n);
                if len == 0 && self.path.is_empty() {
                    return (self.node.get_entry("kind").map_or(n.span, |e| e.value.span), found);
                }
                let span = if n.span.is_empty() {
                    entry_at(self.node, &self.path[..len]).map_or(n.span, |e| e.key.span)
                } else {
                    n.span
                };
                return (span, found);
            }
        }
        (self.node.span, None)
    }

    fn schema_here(&self) -> Option<&Value> {
        navigate::schema_at(self.root_schema, self.path)
    }

    fn unknown_field(&self, name: &str) -> Diagnostic {
        let object = node_at(self.node, self.path);
        let key_span = object
            .and_then(|o| o.entries().iter().find(|e| crate::yaml::key_string(&e.key) == name))
            .map(|e| e.key.span)
            .or_else(|| {
                // Brought in by a merge key: point at the `<<`.
                object.and_then(|o| o.entries().iter().find(|e| crate::yaml::is_merge_key(&e.key))).map(|e| e.key.span)
            })
            .unwrap_or_else(|| self.value_span().0);
        let known: Vec<&str> = self
            .schema_here()
            .map(|s| navigate::properties(self.root_schema, s).into_iter().map(|(n, _)| n).collect())
            .unwrap_or_default();
        let here = self.where_();
        let mut d = match suggest(name, known.iter().copied()) {
            Some(best) => Diagnostic::new(
                key_span,
                Severity::Error,
                "unknown-field",
                format!("unknown field `{name}` in {here}; did you mean `{best}`?"),
            )
            .with_fix(Fix::replace(format!("Change to `{best}`"), key_span, best)),
            None => {
                Diagnostic::new(key_span, Severity::Error, "unknown-field", format!("unknown field `{name}` in {here}"))
            }
        };
        if known.is_empty() {
            d.message.push_str(" (this object takes no fields)");
        }
        d
    }

    /// The parent key of the object that lacks a field; for the document root, its `kind`.
    fn missing_span(&self) -> Span {
        if self.path.is_empty() {
            self.node.get_entry("kind").map_or(self.node.span, |e| e.value.span)
        } else {
            match entry_at(self.node, self.path) {
                Some(e) => e.key.span,
                None => {
                    // A list item: its first key.
                    let item = node_at(self.node, self.path);
                    item.and_then(|i| i.entries().first()).map_or_else(|| self.value_span().0, |e| e.key.span)
                }
            }
        }
    }

    fn missing(&self, property: &str) -> Diagnostic {
        let span = self.missing_span();
        let ty = self
            .schema_here()
            .and_then(|s| navigate::child(self.root_schema, s, &Segment::Key(property.to_string())))
            .map(|s| navigate::type_name(self.root_schema, s));
        let ty = ty.map_or(String::new(), |t| format!(" ({t})"));
        Diagnostic::new(
            span,
            Severity::Error,
            "missing-field",
            format!("missing required field `{property}`{ty} in {}", self.where_()),
        )
    }

    fn wrong_type(&self, expected: &TypeKind, instance: &Value) -> Diagnostic {
        let (span, found_node) = self.value_span();
        let expected_names: Vec<&str> = match expected {
            TypeKind::Single(t) => vec![json_type_name(*t)],
            TypeKind::Multiple(set) => set.iter().map(json_type_name).collect(),
        };
        let expects_string = expected_names.contains(&"string");
        let field = self.path.last().map_or_else(|| self.kind.to_string(), |s| s.to_string());
        // The YAML 1.1 trap: a plain scalar Kubernetes reads as a bool or number.
        if let Some(NodeKind::Scalar(s)) = found_node.map(|n| &n.kind) {
            if expects_string && s.style == ScalarStyle::Plain && !matches!(s.typed, ScalarValue::String) {
                let read_as = match s.typed {
                    ScalarValue::Bool(b) => format!("the boolean {b}"),
                    ScalarValue::Int(i) => format!("the number {i}"),
                    ScalarValue::Float(f) => format!("the number {f}"),
                    ScalarValue::Null => "null".to_string(),
                    ScalarValue::String => unreachable!(),
                };
                let raw = &s.value;
                let quoted = format!("\"{}\"", raw.replace('\\', "\\\\").replace('"', "\\\""));
                return Diagnostic::new(
                    span,
                    Severity::Error,
                    "yaml11-type",
                    format!(
                        "`{raw}` is read as {read_as} (YAML 1.1, as Kubernetes decodes it), but {} must be a string; quote it",
                        self.where_()
                    ),
                )
                .with_fix(Fix::replace(format!("Quote as {quoted}"), span, quoted));
            }
            // A quoted number where a number is expected: offer to drop the quotes.
            if !expects_string && s.style != ScalarStyle::Plain && s.style != ScalarStyle::Literal {
                let unquoted = crate::yaml::resolve_plain(&s.value);
                let fits = match unquoted {
                    ScalarValue::Int(_) => expected_names.iter().any(|t| *t == "integer" || *t == "number"),
                    ScalarValue::Float(_) => expected_names.contains(&"number"),
                    ScalarValue::Bool(_) => expected_names.contains(&"boolean"),
                    _ => false,
                };
                if fits && !s.value.contains(char::is_whitespace) {
                    return Diagnostic::new(
                        span,
                        Severity::Error,
                        "wrong-type",
                        format!(
                            "{} must be {}, found the string {}",
                            self.where_(),
                            article(&expected_names),
                            short_json(instance)
                        ),
                    )
                    .with_fix(Fix::replace("Remove the quotes", span, s.value.clone()));
                }
            }
        }
        let _ = field;
        Diagnostic::new(
            span,
            Severity::Error,
            "wrong-type",
            format!("{} must be {}, found {}", self.where_(), article(&expected_names), describe_value(instance)),
        )
    }

    fn not_in_enum(&self, options: &Value, instance: &Value) -> Diagnostic {
        let (span, _) = self.value_span();
        let opts: Vec<String> = options.as_array().map_or_else(Vec::new, |a| a.iter().map(short_json_plain).collect());
        let got = short_json_plain(instance);
        let mut d = Diagnostic::new(
            span,
            Severity::Error,
            "invalid-value",
            format!("`{got}` is not a valid value for {}: expected {}", self.where_(), one_of(&opts)),
        );
        if let Some(best) = suggest(&got, opts.iter().map(String::as_str)) {
            d.message = format!("{}; did you mean `{best}`?", d.message);
            d = d.with_fix(Fix::replace(format!("Change to `{best}`"), span, best));
        } else if opts.len() <= 5 {
            for o in &opts {
                d = d.with_fix(Fix::replace(format!("Change to `{o}`"), span, o.clone()));
            }
        }
        d
    }

    fn no_alternative(&self, instance: &Value) -> Diagnostic {
        let (span, _) = self.value_span();
        let schema = self.schema_here();
        let expected = schema.map(|s| navigate::type_name(self.root_schema, s)).unwrap_or_else(|| "valid".into());
        let message = match expected.as_str() {
            "int-or-string" => {
                format!("{} must be an integer or a string, found {}", self.where_(), describe_value(instance))
            }
            "quantity" => format!(
                "{} must be a quantity such as `500m`, `1.5` or `2Gi`, found {}",
                self.where_(),
                describe_value(instance)
            ),
            other => format!("{} must be {other}, found {}", self.where_(), describe_value(instance)),
        };
        Diagnostic::new(span, Severity::Error, "invalid-value", message)
    }

    fn pattern(&self, pattern: &str, instance: &Value) -> Diagnostic {
        let (span, _) = self.value_span();
        let is_quantity = self.schema_here().is_some_and(|s| navigate::is_quantity(self.root_schema, s))
            || pattern.contains("KMGTPE");
        let message = if is_quantity {
            format!(
                "`{}` is not a valid quantity for {}: use a number with an optional suffix, such as `500m`, `1.5`, `128Mi` or `2G`",
                short_json_plain(instance),
                self.where_()
            )
        } else {
            format!(
                "`{}` does not match the pattern `{pattern}` required for {}",
                short_json_plain(instance),
                self.where_()
            )
        };
        Diagnostic::new(span, Severity::Error, "invalid-value", message)
    }
}

fn json_type_name(t: jsonschema::JsonType) -> &'static str {
    use jsonschema::JsonType::*;
    match t {
        Null => "null",
        Boolean => "boolean",
        Integer => "integer",
        Number => "number",
        String => "string",
        Array => "array",
        Object => "object",
    }
}

fn article(types: &[&str]) -> String {
    let named: Vec<String> = types
        .iter()
        .filter(|t| **t != "null")
        .map(|t| match *t {
            "integer" => "an integer".to_string(),
            "object" => "an object (a mapping)".to_string(),
            "array" => "a list".to_string(),
            other => format!("a {other}"),
        })
        .collect();
    match named.len() {
        0 => "null".to_string(),
        1 => named[0].clone(),
        _ => named.join(" or "),
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => format!("the string {}", short_json(v)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object (a mapping)".into(),
    }
}

fn short_json(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
}

/// A value as the user wrote it: strings without quotes.
fn short_json_plain(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() <= 60 => s.clone(),
        Value::String(s) => format!("{}…", s.chars().take(60).collect::<String>()),
        other => short_json(other),
    }
}

fn one_of(opts: &[String]) -> String {
    match opts.len() {
        0 => "nothing".into(),
        1 => format!("`{}`", opts[0]),
        _ if opts.len() <= 12 => {
            format!("one of {}", opts.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", "))
        }
        _ => format!(
            "one of {}, … ({} values)",
            opts[..10].iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", "),
            opts.len()
        ),
    }
}

/// The closest candidate by edit distance, if it is close enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lw = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let lc = c.to_ascii_lowercase();
        let d = if lc == lw { 0 } else { damerau(&lw, &lc) };
        let limit = match word.chars().count() {
            0..=3 => 1,
            4..=7 => 2,
            _ => 3,
        };
        let prefix_hit = lw.len() >= 4 && (lc.starts_with(&lw) || lw.starts_with(&lc));
        if (d <= limit || prefix_hit) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance (adjacent transpositions count as one edit).
fn damerau(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Checks the schema cannot express: names, label keys and values.
fn check_metadata(node: &Node, kind: &str, opts: &ValidationOptions, diags: &mut Vec<Diagnostic>) {
    let Some(meta) = node.get("metadata") else { return };
    let placeholder = kind == "Namespace" && opts.namespace_from_kustomization;
    if let Some(name) = meta.get("name").filter(|_| !placeholder) {
        // An empty name is the API rule `k8s-name-required`.
        if let Some(n) = name.as_str().filter(|n| !is_substituted(n) && !n.is_empty()) {
            let problem = match kind {
                // RBAC names are path segments: `system:aggregate-to-view` is fine.
                "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => path_segment_problem(n),
                "Namespace" => dns_label_problem(n),
                "Service" => dns_1035_label_problem(n),
                _ => dns_subdomain_problem(n),
            };
            if let Some(p) = problem {
                diags.push(Diagnostic::new(
                    name.span,
                    Severity::Error,
                    "invalid-name",
                    format!("invalid name `{n}`: {p}"),
                ));
            }
        }
    }
    if let Some(ns) = meta.get("namespace").filter(|n| !n.is_null())
        && let Some(n) = ns.as_str().filter(|n| !is_substituted(n))
        && let Some(p) = dns_label_problem(n)
    {
        diags.push(Diagnostic::new(ns.span, Severity::Error, "invalid-name", format!("invalid namespace `{n}`: {p}")));
    }
    for (field, is_label) in [("labels", true), ("annotations", false)] {
        let Some(map) = meta.get(field) else { continue };
        for e in map.entries() {
            let Some(k) = e.key.as_str() else { continue };
            if let Some(p) = qualified_name_problem(k) {
                diags.push(Diagnostic::new(
                    e.key.span,
                    Severity::Error,
                    "invalid-name",
                    format!("invalid {} key `{k}`: {p}", if is_label { "label" } else { "annotation" }),
                ));
            }
            if is_label
                && let Some(v) = e.value.as_str().filter(|v| !is_substituted(v))
                && let Some(p) = label_value_problem(v)
            {
                diags.push(Diagnostic::new(
                    e.value.span,
                    Severity::Error,
                    "invalid-name",
                    format!("invalid label value `{v}`: {p}"),
                ));
            }
        }
    }
}

/// Filled in before the API server sees it: a Flux variable without a default (defaults are
/// already applied), a SOPS ciphertext, another engine's template.
fn is_substituted(s: &str) -> bool {
    gitops::is_opaque(s)
}

/// Why `s` is not a DNS-1123 subdomain (an object name), if it is not.
pub fn dns_subdomain_problem(s: &str) -> Option<String> {
    if s.len() > 253 {
        return Some("must be at most 253 characters".into());
    }
    if s.is_empty() {
        return Some("must not be empty".into());
    }
    for part in s.split('.') {
        if let Some(p) = label_chars_problem(part, "a DNS subdomain: lowercase letters, digits, '-' and '.'") {
            return Some(p);
        }
    }
    None
}

/// Why `s` is not a DNS-1123 label (a namespace), if it is not.
pub fn dns_label_problem(s: &str) -> Option<String> {
    if s.len() > 63 {
        return Some("must be at most 63 characters".into());
    }
    label_chars_problem(s, "a DNS label: lowercase letters, digits and '-'")
}

fn dns_1035_label_problem(s: &str) -> Option<String> {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return Some("must start with a lowercase letter (a DNS-1035 label)".into());
    }
    dns_label_problem(s)
}

fn label_chars_problem(s: &str, what: &str) -> Option<String> {
    if s.is_empty() {
        return Some(format!("must be {what}, with no empty parts"));
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Some(format!("must be {what}"));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Some(format!("must be {what}, starting and ending with a letter or digit"));
    }
    None
}

fn path_segment_problem(s: &str) -> Option<String> {
    if s == "." || s == ".." {
        return Some("may not be '.' or '..'".into());
    }
    if s.contains('/') || s.contains('%') {
        return Some("may not contain '/' or '%'".into());
    }
    None
}

/// Label and annotation keys: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63 characters.
fn qualified_name_problem(k: &str) -> Option<String> {
    if is_substituted(k) {
        return None;
    }
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix
        && let Some(problem) = dns_subdomain_problem(p)
    {
        return Some(format!("the prefix {problem}"));
    }
    if name.is_empty() || name.len() > 63 {
        return Some("the name part must be 1 to 63 characters".into());
    }
    let ok_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    if !name.bytes().all(ok_char)
        || !name.as_bytes()[0].is_ascii_alphanumeric()
        || !name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
    {
        return Some(
            "the name part must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit".into(),
        );
    }
    None
}

fn label_value_problem(v: &str) -> Option<String> {
    if v.is_empty() {
        return None;
    }
    if v.len() > 63 {
        return Some("must be at most 63 characters".into());
    }
    let ok_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    if !v.bytes().all(ok_char)
        || !v.as_bytes()[0].is_ascii_alphanumeric()
        || !v.as_bytes()[v.len() - 1].is_ascii_alphanumeric()
    {
        return Some("must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit".into());
    }
    None
}

/// Strategic-merge patch directives (`$patch: delete`, `$setElementOrder/containers`,
/// `$retainKeys`, `$deleteFromPrimitiveList/…`) are instructions to kustomize, not fields.
fn drop_patch_directives(v: &mut Value) {
    retain_keys(v, |k, _| !k.starts_with('$'));
}

fn drop_nulls(v: &mut Value) {
    retain_keys(v, |_, v| !v.is_null());
}

/// Removes the object entries `keep` rejects, at every depth, with an explicit stack.
fn retain_keys(root: &mut Value, keep: impl Fn(&String, &Value) -> bool) {
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                map.retain(|k, v| keep(k, v));
                stack.extend(map.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}
