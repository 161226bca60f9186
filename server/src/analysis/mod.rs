//! Pure features computed from the YAML model, in byte offsets.

pub mod kustomize;
mod symbols;
pub mod workspace;
pub use symbols::*;

use crate::schema::{SchemaStore, ValidationOptions, validate_file};
use crate::yaml::{Diagnostic, YamlFile};

/// All diagnostics of a file that need no schema (syntax, duplicate keys, templates…).
pub fn file_diagnostics(file: &YamlFile) -> Vec<Diagnostic> {
    file.diagnostics()
}

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
