//! Path completion in kustomizations: the files and directories a `resources`, `components`,
//! patch, generator or Helm values entry can name, relative to the kustomization's directory.

use std::path::Path;

use super::{Completion, CompletionItem, ItemKind};
use crate::analysis::context::{CursorPosition, completion_context};
use crate::schema::navigate::Segment;
use crate::yaml::{TextSource, YamlFile};

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
    /// A directory holding a kustomization file.
    pub builds: bool,
}

/// What an entry field takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Takes {
    /// Manifests or kustomization directories.
    Resources,
    /// Any file (env files, values files, patches).
    File,
}

/// The field the cursor's entry belongs to, when it names paths.
fn field_at(path: &[Segment], position: &CursorPosition) -> Option<Takes> {
    fn key(s: &Segment) -> Option<&str> {
        match s {
            Segment::Key(k) => Some(k.as_str()),
            _ => None,
        }
    }
    let is_index = |s: &Segment| matches!(s, Segment::Index(_));
    match (path, position) {
        ([list, item], CursorPosition::Key) if is_index(item) => match key(list)? {
            "resources" | "bases" | "components" | "crds" | "configurations" | "generators" | "transformers"
            | "validators" => Some(Takes::Resources),
            "patchesStrategicMerge" => Some(Takes::File),
            _ => None,
        },
        ([list, item], CursorPosition::Value { key: field }) if is_index(item) => match (key(list)?, field.as_str()) {
            ("patches" | "patchesJson6902", "path")
            | ("configMapGenerator" | "secretGenerator", "env")
            | ("helmCharts", "valuesFile") => Some(Takes::File),
            _ => None,
        },
        ([list, item, field, entry], CursorPosition::Key) if is_index(item) && is_index(entry) => {
            match (key(list)?, key(field)?) {
                ("configMapGenerator" | "secretGenerator", "files" | "envs")
                | ("helmCharts", "additionalValuesFiles") => Some(Takes::File),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_manifest(name: &str) -> bool {
    [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
}

/// Completions for a path entry of the kustomization `file` at `kustomization` (its path),
/// `None` when the cursor is not on one. `list(dir)` lists a directory (the caller reads it).
pub fn kustomization_paths(
    file: &YamlFile,
    text: &(impl TextSource + ?Sized),
    offset: usize,
    kustomization: &Path,
    list: &dyn Fn(&Path) -> Vec<DirEntry>,
) -> Option<Completion> {
    if !crate::k8s::kustomize::is_kustomization_file(kustomization) {
        return None;
    }
    let ctx = completion_context(file, text, offset)?;
    let takes = field_at(&ctx.path, &ctx.position)?;
    let typed = ctx.prefix.trim_start_matches(['"', '\'']);
    // Remote bases and variables are not paths on this disk.
    if typed.contains("://") || typed.contains("${") {
        return Some(Completion::default());
    }
    let (dir_part, _) = typed.rsplit_once('/').map_or(("", typed), |(d, n)| (d, n));
    let base = kustomization.parent()?;
    let dir = if dir_part.is_empty() { base.to_path_buf() } else { base.join(dir_part) };
    let own = kustomization.file_name().and_then(|n| n.to_str());
    let hidden_ok = typed.rsplit('/').next().is_some_and(|n| n.starts_with('.'));
    let mut items: Vec<CompletionItem> = list(&dir)
        .into_iter()
        .filter(|e| hidden_ok || !e.name.starts_with('.'))
        .filter(|e| !(dir_part.is_empty() && !e.is_dir && Some(e.name.as_str()) == own))
        .filter(|e| e.is_dir || takes == Takes::File || is_manifest(&e.name))
        .map(|e| {
            let written = if dir_part.is_empty() { e.name.clone() } else { format!("{dir_part}/{}", e.name) };
            let detail = match (e.is_dir, e.builds) {
                (true, true) => "directory with a kustomization",
                (true, false) => "directory",
                (false, _) => "file",
            };
            CompletionItem {
                label: if e.is_dir { format!("{}/", e.name) } else { e.name.clone() },
                kind: ItemKind::Value,
                detail: Some(detail.to_string()),
                documentation: None,
                insert_text: written.clone(),
                is_snippet: false,
                replace: ctx.replace,
                // Kustomization directories first for resources, then the rest by name.
                sort_text: Some(format!("{}{}", u8::from(!(e.is_dir && e.builds)), e.name)),
                filter_text: Some(written),
            }
        })
        .collect();
    items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
    Some(Completion { items, is_incomplete: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<DirEntry> {
        let e = |name: &str, is_dir: bool, builds: bool| DirEntry { name: name.into(), is_dir, builds };
        match dir.to_str().unwrap() {
            "/r/apps" => vec![
                e("kustomization.yaml", false, false),
                e("deploy.yaml", false, false),
                e("app.env", false, false),
                e("base", true, true),
                e(".git", true, false),
            ],
            "/r/apps/base" => vec![e("svc.yaml", false, false)],
            _ => Vec::new(),
        }
    }

    fn labels(text: &str, at: &str) -> Option<Vec<(String, String)>> {
        let file = YamlFile::parse(text);
        let offset = text.find(at).unwrap() + at.len();
        let found = kustomization_paths(&file, text, offset, Path::new("/r/apps/kustomization.yaml"), &listing)?;
        Some(found.items.into_iter().map(|i| (i.label, i.insert_text)).collect())
    }

    #[test]
    fn resources_offer_manifests_and_directories_of_the_kustomizations_directory() {
        let text = "resources:\n  - de\n";
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        assert_eq!(labels(text, "- de"), Some(pairs(&[("base/", "base"), ("deploy.yaml", "deploy.yaml")])));
        let text = "resources:\n  - base/s\n";
        assert_eq!(labels(text, "base/s"), Some(pairs(&[("svc.yaml", "base/svc.yaml")])));
        // Generators take any file.
        let text = "configMapGenerator:\n  - name: c\n    envs:\n      - a\n";
        let found = labels(text, "      - a").unwrap();
        assert!(found.contains(&("app.env".to_string(), "app.env".to_string())), "{found:?}");
        let text = "patches:\n  - path: d\n";
        assert!(labels(text, "path: d").unwrap().iter().any(|(l, _)| l == "deploy.yaml"));
        // Other fields, and remote bases, are not paths.
        assert_eq!(labels("namePrefix: de\n", "de"), None);
        assert_eq!(labels("resources:\n  - https://github.com/x\n", "x"), Some(Vec::new()));
    }
}
