//! Config Sync roots of the repository and `nomos vet`'s findings for them, for the server and
//! `check` alike. The caller hands in the parsed files (it owns reading them).

use std::path::{Path, PathBuf};

use crate::configsync::{self, Format, Options, SourceFile, SyncObject};
use crate::index::RepoIndex;
use crate::schema::SchemaStore;
use crate::yaml::{Diagnostic, YamlFile};

/// A directory Config Sync syncs.
#[derive(Clone, Debug, PartialEq)]
pub struct Root {
    pub dir: PathBuf,
    pub format: Format,
    /// The RootSync/RepoSync that names it, when the repository has one.
    pub synced_by: Option<SyncObject>,
}

/// The Config Sync roots: the directories (under a repository root) that RootSync/RepoSync
/// objects of the repository sync, and hierarchical layouts (a `system/` directory holding a
/// `Repo`, beside `namespaces/` or `cluster/`). `sync_objects(path)` reads a file's
/// RootSync/RepoSync objects (the caller parses the file).
pub fn roots(index: &RepoIndex, sync_objects: &dyn Fn(&Path) -> Vec<SyncObject>) -> Vec<Root> {
    let mut out: Vec<Root> = Vec::new();
    let mut files: Vec<&Path> = index.files().map(|(p, _)| p).collect();
    files.sort();
    let has_files_under = |dir: &Path| files.iter().any(|f| f.starts_with(dir) && *f != dir);
    for path in &files {
        let Some(summary) = index.get(path) else { continue };
        let declares_sync = summary
            .objects
            .iter()
            .any(|o| o.group() == "configsync.gke.io" && matches!(o.kind.as_str(), "RootSync" | "RepoSync"));
        if declares_sync {
            for sync in sync_objects(path) {
                let Some(dir) = sync.dir.as_deref() else { continue };
                for root in index.roots() {
                    let dir = crate::k8s::kustomize::join_normalized(root, dir.trim_start_matches('/'));
                    if has_files_under(&dir) && !out.iter().any(|r| r.dir == dir) {
                        out.push(Root { dir, format: sync.format, synced_by: Some(sync.clone()) });
                    }
                }
            }
        }
        // `…/system/repo.yaml` declaring the Repo of a hierarchical root.
        let repo = summary.objects.iter().any(|o| o.group() == "configmanagement.gke.io" && o.kind == "Repo");
        let in_system = path.parent().is_some_and(|d| d.file_name().is_some_and(|n| n == "system"));
        if repo && in_system {
            let dir = path.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
            let layout = has_files_under(&dir.join("namespaces")) || has_files_under(&dir.join("cluster"));
            if layout && !out.iter().any(|r| r.dir == dir) {
                out.push(Root { dir, format: Format::Hierarchy, synced_by: None });
            }
        }
    }
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    out
}

/// The root `path` lies in (the innermost one).
pub fn root_of<'a>(roots: &'a [Root], path: &Path) -> Option<&'a Root> {
    roots.iter().filter(|r| path.starts_with(&r.dir)).max_by_key(|r| r.dir.components().count())
}

/// The files of `root` among `paths`: those not inside a nested root.
pub fn files_of<'a>(roots: &[Root], root: &Root, paths: impl Iterator<Item = &'a Path>) -> Vec<&'a Path> {
    let mut out: Vec<&Path> = paths.filter(|p| root_of(roots, p).is_some_and(|r| r.dir == root.dir)).collect();
    out.sort();
    out
}

/// `nomos vet`'s findings for one root, as (absolute path, diagnostic). `files` are the root's
/// files with their parsed text.
pub fn vet(root: &Root, files: &[(PathBuf, &YamlFile)], store: &SchemaStore) -> Vec<(PathBuf, Diagnostic)> {
    let relative: Vec<PathBuf> =
        files.iter().map(|(p, _)| p.strip_prefix(&root.dir).unwrap_or(p).to_path_buf()).collect();
    let sources: Vec<SourceFile> =
        files.iter().zip(&relative).map(|((_, file), path)| SourceFile { path, file }).collect();
    let custom = store.custom_kinds();
    let scope = |group: &str, kind: &str| {
        crate::k8s::scope::builtin_namespaced(group, kind).or_else(|| {
            custom
                .iter()
                .find(|k| k.kind == kind && crate::index::refs::group_of(&k.api_version) == group)
                .map(|k| k.namespaced)
        })
    };
    let options = Options { format: root.format, synced_by: root.synced_by.as_ref() };
    configsync::vet_with(&sources, &options, &scope)
        .into_iter()
        .filter_map(|(i, d)| Some((files.get(i)?.0.clone(), d)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::summarize;

    fn index(files: &[(&str, &str)]) -> (RepoIndex, Vec<(PathBuf, YamlFile)>) {
        let mut index = RepoIndex::default();
        index.set_roots(vec![PathBuf::from("/r")]);
        let mut parsed = Vec::new();
        for (p, t) in files {
            let file = YamlFile::parse(*t);
            index.update(PathBuf::from(p), summarize(Some(Path::new(p)), p, &file, |_| 1));
            parsed.push((PathBuf::from(p), file));
        }
        (index, parsed)
    }

    const REPO: &str =
        "apiVersion: configmanagement.gke.io/v1\nkind: Repo\nmetadata: {name: repo}\nspec: {version: 1.0.0}\n";

    #[test]
    fn roots_come_from_sync_objects_and_hierarchical_layouts() {
        let root_sync = "\
apiVersion: configsync.gke.io/v1beta1
kind: RootSync
metadata: {name: root-sync, namespace: config-management-system}
spec:
  sourceFormat: unstructured
  git: {repo: https://example.com/r.git, dir: platform, auth: none}
";
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
        let (idx, parsed) = index(&[
            ("/r/clusters/sync.yaml", root_sync),
            ("/r/platform/ns.yaml", ns),
            ("/r/legacy/system/repo.yaml", REPO),
            ("/r/legacy/namespaces/shop/ns.yaml", ns),
        ]);
        let read = |p: &Path| {
            parsed.iter().find(|(q, _)| q == p).map(|(_, f)| configsync::sync_objects(f)).unwrap_or_default()
        };
        let found = roots(&idx, &read);
        let dirs: Vec<(&Path, Format)> = found.iter().map(|r| (r.dir.as_path(), r.format)).collect();
        assert_eq!(
            dirs,
            [(Path::new("/r/legacy"), Format::Hierarchy), (Path::new("/r/platform"), Format::Unstructured)]
        );
        assert_eq!(
            root_of(&found, Path::new("/r/legacy/namespaces/shop/ns.yaml")).unwrap().dir,
            PathBuf::from("/r/legacy")
        );
        assert!(root_of(&found, Path::new("/r/clusters/sync.yaml")).is_none());
    }

    #[test]
    fn a_hierarchical_root_is_vetted_with_paths_relative_to_it() {
        // The Namespace's directory has another name: KNV1020.
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
        let (idx, parsed) = index(&[("/r/system/repo.yaml", REPO), ("/r/namespaces/store/ns.yaml", ns)]);
        let found = roots(&idx, &|_| Vec::new());
        let files: Vec<(PathBuf, &YamlFile)> = parsed.iter().map(|(p, f)| (p.clone(), f)).collect();
        let vetted = vet(&found[0], &files, &SchemaStore::new());
        let codes: Vec<(&Path, &str)> = vetted.iter().map(|(p, d)| (p.as_path(), d.code)).collect();
        assert_eq!(codes, [(Path::new("/r/namespaces/store/ns.yaml"), "KNV1020")]);
    }
}
