//! Config Sync (`nomos vet`) rules for one Config Sync root, computed from parsed files only.
//!
//! The rules follow the validators of kpt-config-sync (pkg/validate, pkg/importer/reader); codes
//! are the KNV codes nomos prints. Nothing here reads files or talks to a cluster: the caller
//! hands in the files of a root (paths relative to it) and answers scope questions.

mod objects;
mod placement;
mod rules;
mod selector;
mod sync;

pub mod nomos_format;

use std::path::Path;

use crate::yaml::{Diagnostic, YamlFile};

pub use placement::{
    Clusters, Inherited, Landing, Namespaces, Place, inherited_at, landing_at, selector_at, selector_uses,
};
pub use selector::{LabelSelector, SelectorDecl, SelectorKind, inherited_by, selectors};
pub use sync::{SyncObject, sync_objects, sync_spec_diagnostics};

/// Every code this module reports (for suppression comments and documentation checks).
pub const CODES: &[&str] = &[
    "KNV1003", "KNV1004", "KNV1005", "KNV1006", "KNV1007", "KNV1009", "KNV1010", "KNV1011", "KNV1013", "KNV1014",
    "KNV1017", "KNV1019", "KNV1020", "KNV1027", "KNV1029", "KNV1031", "KNV1032", "KNV1034", "KNV1036", "KNV1038",
    "KNV1039", "KNV1041", "KNV1042", "KNV1043", "KNV1044", "KNV1045", "KNV1046", "KNV1048", "KNV1050", "KNV1052",
    "KNV1053", "KNV1054", "KNV1055", "KNV1056", "KNV1057", "KNV1058", "KNV1061", "KNV1065", "KNV1066", "KNV1069",
    "KNV2001", "KNV2012",
];

/// How a root lays out its objects (`spec.sourceFormat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Hierarchy,
    Unstructured,
}

impl Format {
    /// `spec.sourceFormat` as written in a RootSync (unset means hierarchy there).
    pub fn parse(value: &str) -> Option<Format> {
        match value {
            "hierarchy" => Some(Format::Hierarchy),
            "unstructured" => Some(Format::Unstructured),
            _ => None,
        }
    }
}

/// One file of a root.
#[derive(Clone, Copy)]
pub struct SourceFile<'a> {
    /// Relative to the Config Sync root (`spec.git.dir`).
    pub path: &'a Path,
    pub file: &'a YamlFile,
}

/// What [`vet_with`] needs beyond the files.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    pub format: Format,
    /// The RootSync or RepoSync that syncs this root, if known: enables KNV1069, and for a
    /// RepoSync the namespace-repo rules (KNV1058) and its namespace as the default one.
    pub synced_by: Option<&'a SyncObject>,
}

/// The layout a root uses when no RootSync/RepoSync says: a `system/` and `namespaces/`
/// pair, or a `cluster/` directory, at the top means hierarchy.
pub fn detect_format(paths: &[&Path]) -> Format {
    let top = |name: &str| paths.iter().any(|p| p.components().count() > 1 && p.starts_with(name));
    if (top("system") && top("namespaces")) || top("cluster") { Format::Hierarchy } else { Format::Unstructured }
}

/// Whether Config Sync renders the root with kustomize before validating it (a
/// kustomization file at its top): the files are then sources, and only the rendered output
/// is what nomos checks, so [`vet`] reports nothing for such a root.
pub fn needs_rendering(paths: &[&Path]) -> bool {
    paths.iter().any(|p| p.components().count() == 1 && crate::k8s::kustomize::is_kustomization_file(p))
}

/// Every statically checkable finding for one root. `scope(group, kind)` says whether a kind is
/// namespaced (`Some(true)`), cluster-scoped (`Some(false)`) or unknown (`None`); CRDs declared in
/// the root and Config Sync's own kinds are answered here first.
pub fn vet(
    files: &[SourceFile],
    format: Format,
    scope: &dyn Fn(&str, &str) -> Option<bool>,
) -> Vec<(usize, Diagnostic)> {
    vet_with(files, &Options { format, synced_by: None }, scope)
}

/// [`vet`] with the syncing object known.
pub fn vet_with(
    files: &[SourceFile],
    options: &Options,
    scope: &dyn Fn(&str, &str) -> Option<bool>,
) -> Vec<(usize, Diagnostic)> {
    rules::vet(files, options, scope)
}

#[cfg(test)]
mod tests;
