//! Facts about the repository that documents depend on: the CRDs it defines.

use crate::schema::crd::{crd_versions, to_custom_kinds};
use crate::schema::{CustomKind, Provenance};
use crate::yaml::{Node, YamlFile};

/// True when a document root is a `CustomResourceDefinition`.
pub fn is_crd(root: &Node) -> bool {
    root.get("kind").and_then(Node::as_str) == Some("CustomResourceDefinition")
        && root.get("apiVersion").and_then(Node::as_str).is_some_and(|a| a.starts_with("apiextensions.k8s.io/"))
}

/// The custom kinds defined by the `CustomResourceDefinition`s in `file`. `source` names the
/// file in provenance; `line_of` turns an absolute offset into a 1-based line.
pub fn crd_kinds(file: &YamlFile, source: &str, line_of: impl Fn(usize) -> u32) -> Vec<CustomKind> {
    let mut out = Vec::new();
    for slot in file.documents() {
        // A CRD being edited keeps serving its last good version, so its CRs stay checked.
        let Some(root) = slot.good_tree() else { continue };
        if !is_crd(root) {
            continue;
        }
        let Ok(value) = crate::yaml::to_json(root) else { continue };
        let Ok(versions) = crd_versions(&value) else { continue };
        let line = line_of(slot.start + root.span.start);
        out.extend(to_custom_kinds(&versions, |_| Provenance::WorkspaceCrd { file: source.to_string(), line }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crds_in_a_file_become_custom_kinds() {
        let text = include_str!("../../../tests/fixtures/crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml");
        let file = YamlFile::parse(text);
        let kinds = crd_kinds(&file, "crds/k.yaml", |_| 1);
        assert!(
            kinds
                .iter()
                .any(|k| k.kind == "Kustomization" && k.api_version.starts_with("kustomize.toolkit.fluxcd.io/"))
        );
        assert!(kinds.iter().all(|k| k.provenance == Provenance::WorkspaceCrd { file: "crds/k.yaml".into(), line: 1 }));
    }
}
