//! Workspace conventions of GitOps tools that decide how a file is read.

use std::path::{Path, PathBuf};

use super::kustomize::join_normalized;
use crate::yaml::{Node, YamlFile};

/// The directories and files whose objects a kustomization with `namespace:` builds (itself,
/// its `resources` and `components`), absolute. Kustomize renames the Namespace objects of
/// such a build to that namespace, so their written names are placeholders.
pub fn namespace_scopes(kustomization: &Path, file: &YamlFile) -> Vec<PathBuf> {
    let dir = kustomization.parent().unwrap_or(Path::new("/"));
    let mut out = Vec::new();
    for slot in file.documents() {
        let Some(root) = slot.good_tree() else { continue };
        if root.get("namespace").and_then(Node::as_str).is_none_or(str::is_empty) {
            continue;
        }
        out.push(dir.to_path_buf());
        for field in ["resources", "components"] {
            for item in root.get(field).map(Node::items).unwrap_or_default() {
                // Remote bases (`github.com/…`, `https://…`) are not in the workspace.
                if let Some(rel) = item.as_str().filter(|r| !r.contains("://") && !r.is_empty()) {
                    out.push(join_normalized(dir, rel));
                }
            }
        }
    }
    out
}

/// Whether `path` (absolute) is one of `scopes` or lies under one of them: a lookup per
/// ancestor, so a repository of many kustomizations costs no more per file.
pub fn in_namespace_scope(scopes: &std::collections::HashSet<PathBuf>, path: &Path) -> bool {
    scopes.contains(path) || path.parent().is_some_and(|d| d.ancestors().any(|a| scopes.contains(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_setting_covers_its_inputs() {
        let k = YamlFile::parse(
            "namespace: ai\ncomponents: [../../components/namespace]\nresources: [./app/ks.yaml, \"https://example.com/x.yaml\"]\n",
        );
        let scopes = namespace_scopes(Path::new("/r/apps/ai/kustomization.yaml"), &k);
        assert_eq!(scopes, ["/r/apps/ai", "/r/apps/ai/app/ks.yaml", "/r/components/namespace"].map(PathBuf::from));
        let scopes: std::collections::HashSet<PathBuf> = scopes.into_iter().collect();
        assert!(in_namespace_scope(&scopes, Path::new("/r/components/namespace/namespace.yaml")));
        assert!(in_namespace_scope(&scopes, Path::new("/r/apps/ai/app/deep/ns.yaml")));
        assert!(!in_namespace_scope(&scopes, Path::new("/r/components/other/namespace.yaml")));
        let none = YamlFile::parse("resources: [a.yaml]\n");
        assert!(namespace_scopes(Path::new("/r/kustomization.yaml"), &none).is_empty());
    }
}
