//! What a kustomization references: patch files are partial objects, not whole resources.

use std::path::{Component, Path, PathBuf};

use crate::yaml::{Node, YamlFile};

/// The names kustomize looks for in a directory, in its order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| KUSTOMIZATION_FILE_NAMES.contains(&n))
}

/// Paths (relative to the kustomization's directory, as written) of the files it uses as patches.
pub fn patch_paths(file: &YamlFile) -> Vec<String> {
    let mut out = Vec::new();
    for slot in file.documents() {
        let Some(root) = slot.good_tree() else { continue };
        for item in root.get("patches").map(Node::items).unwrap_or_default() {
            // Old kustomizations list bare file names here; they are still patch files.
            out.extend(item.get("path").or(Some(item)).and_then(Node::as_str).map(str::to_string));
        }
        for item in root.get("patchesJson6902").map(Node::items).unwrap_or_default() {
            out.extend(item.get("path").and_then(Node::as_str).map(str::to_string));
        }
        // Entries are file paths or inline patches (multi-line YAML strings).
        for item in root.get("patchesStrategicMerge").map(Node::items).unwrap_or_default() {
            if let Some(p) = item.as_str().filter(|p| !p.contains('\n') && !p.contains(": ")) {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// `dir/rel` with `.` and `..` resolved lexically (the file may not exist).
pub fn join_normalized(dir: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in dir.join(rel).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_kind_of_patch_reference() {
        let file = YamlFile::parse(
            "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deployment.yaml]
patches:
  - path: replicas.yaml
  - patch: |-
      - op: replace
        path: /spec/replicas
        value: 3
    target: {kind: Deployment}
patchesStrategicMerge:
  - ../base/memory.yaml
  - |-
    apiVersion: v1
    kind: ConfigMap
patchesJson6902:
  - target: {version: v1, kind: Service, name: web}
    path: service-port.yaml
",
        );
        assert_eq!(patch_paths(&file), vec!["replicas.yaml", "service-port.yaml", "../base/memory.yaml"]);
        assert!(is_kustomization_file(Path::new("a/kustomization.yml")));
        assert!(!is_kustomization_file(Path::new("a/kustomizations.yaml")));
        assert_eq!(join_normalized(Path::new("/r/apps/prod"), "../base/x.yaml"), PathBuf::from("/r/apps/base/x.yaml"));
    }
}
