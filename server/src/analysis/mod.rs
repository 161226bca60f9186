//! Pure features computed from the YAML model, in byte offsets.

pub mod completion;
pub mod context;
#[cfg(test)]
mod fixtures;
pub mod gitops;
pub mod hover;
pub mod images;
pub mod kustomize;
pub mod suppress;
mod symbols;
pub mod workspace;
pub use completion::{Completion, CompletionItem, ItemKind, completion};
pub use hover::{Hover, hover};
pub use symbols::*;

use crate::schema::{SchemaStore, ValidationOptions, validate_file};
use crate::yaml::{Diagnostic, YamlFile};

/// Everything wrong with a file: YAML problems, then schema validation of each resource.
#[derive(Debug, Default)]
pub struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    /// Kubernetes resources found (documents, or `List` items, with `apiVersion` and `kind`).
    pub resources: usize,
}

pub fn analyze(file: &YamlFile, store: &SchemaStore, opts: &ValidationOptions) -> Analysis {
    let mut diagnostics = file.diagnostics();
    let validation = validate_file(file, store, opts);
    diagnostics.extend(validation.diagnostics);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Analysis { diagnostics, resources: validation.resources }
}

/// Which schema applies to a document of `file`, and why (for the status bar).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaInfo {
    /// e.g. `apps/v1 Deployment`, or `apps/v1 Deployment (+2 more)` for several resources.
    pub label: String,
    pub source: String,
    pub source_uri: Option<String>,
}

/// The schema of the document at `offset`, or of the file's first resource when `offset` is
/// `None`; `None` when no document there has a schema.
pub fn schema_info(file: &YamlFile, store: &SchemaStore, offset: Option<usize>) -> Option<SchemaInfo> {
    let resolve = |slot: &crate::yaml::DocumentSlot| {
        let root = slot.good_tree()?;
        let api_version = root.get("apiVersion")?.as_str()?;
        let kind = root.get("kind")?.as_str()?;
        store.resolve_kind(api_version, kind)
    };
    let resolved: Vec<_> = match offset {
        Some(o) => file.document_at(o).and_then(resolve).into_iter().collect(),
        None => file.documents().iter().filter_map(resolve).collect(),
    };
    let first = resolved.first()?;
    let label = match resolved.len() {
        1 => first.label.clone(),
        n => format!("{} (+{} more)", first.label, n - 1),
    };
    Some(SchemaInfo { label, source: first.provenance.describe(), source_uri: first.source_uri() })
}
