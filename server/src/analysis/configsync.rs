//! Config Sync roots of the repository and `nomos vet`'s findings for them, for the server and
//! `check` alike. The caller hands in the parsed files (it owns reading them).

use std::path::{Path, PathBuf};

use crate::configsync::{self, Clusters, Format, Namespaces, Options, SourceFile, SyncObject};
use crate::index::RepoIndex;
use crate::schema::SchemaStore;
use crate::yaml::{Diagnostic, Span, YamlFile};

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

/// `found` with the roots the settings (or `check --source-format`) declare: directories
/// (absolute, or relative to a repository root) whose format they say; a declared directory
/// replaces a detected root of the same directory. Directories without files are left out.
pub fn with_declared(mut found: Vec<Root>, declared: &[(PathBuf, Format)], index: &RepoIndex) -> Vec<Root> {
    for (dir, format) in declared {
        let candidates: Vec<PathBuf> = if dir.is_absolute() {
            vec![crate::k8s::kustomize::join_normalized(dir, "")]
        } else {
            index.roots().iter().map(|r| crate::k8s::kustomize::join_normalized(r, &dir.to_string_lossy())).collect()
        };
        for dir in candidates {
            if !index.files().any(|(f, _)| f.starts_with(&dir)) {
                continue;
            }
            let synced_by = found.iter().find(|r| r.dir == dir).and_then(|r| r.synced_by.clone());
            found.retain(|r| r.dir != dir);
            found.push(Root { dir, format: *format, synced_by });
        }
    }
    found.sort_by(|a, b| a.dir.cmp(&b.dir));
    found
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
    let relative = relative_paths(root, files);
    let sources = sources(files, &relative);
    let scope = scope_of(store);
    let options = Options { format: root.format, synced_by: root.synced_by.as_ref() };
    configsync::vet_with(&sources, &options, &scope)
        .into_iter()
        .filter_map(|(i, d)| Some((files.get(i)?.0.clone(), d)))
        .collect()
}

fn relative_paths(root: &Root, files: &[(PathBuf, &YamlFile)]) -> Vec<PathBuf> {
    files.iter().map(|(p, _)| p.strip_prefix(&root.dir).unwrap_or(p).to_path_buf()).collect()
}

fn sources<'a>(files: &[(PathBuf, &'a YamlFile)], relative: &'a [PathBuf]) -> Vec<SourceFile<'a>> {
    files.iter().zip(relative).map(|((_, file), path)| SourceFile { path, file }).collect()
}

/// Whether a kind is namespaced: built-in kinds, then the CRDs the store knows.
fn scope_of(store: &SchemaStore) -> impl Fn(&str, &str) -> Option<bool> {
    let custom = store.custom_kinds();
    move |group: &str, kind: &str| {
        crate::k8s::scope::builtin_namespaced(group, kind).or_else(|| {
            custom
                .iter()
                .find(|k| k.kind == kind && crate::index::refs::group_of(&k.api_version) == group)
                .map(|k| k.namespaced)
        })
    }
}

fn file_index(files: &[(PathBuf, &YamlFile)], path: &Path) -> Option<usize> {
    files.iter().position(|(p, _)| p == path)
}

/// The selector declaration the annotation value under `offset` names.
pub fn definition(root: &Root, files: &[(PathBuf, &YamlFile)], path: &Path, offset: usize) -> Option<(PathBuf, Span)> {
    let relative = relative_paths(root, files);
    let sources = sources(files, &relative);
    let (_, place) = configsync::selector_at(&sources, root.format, file_index(files, path)?, offset)?;
    Some((files.get(place.file)?.0.clone(), place.span))
}

/// The selector annotations naming the declaration under `offset` (on its name, or on an
/// annotation naming it), with the declaration itself first when asked for.
pub fn references(
    root: &Root,
    files: &[(PathBuf, &YamlFile)],
    path: &Path,
    offset: usize,
    include_declaration: bool,
) -> Vec<(PathBuf, Span)> {
    let relative = relative_paths(root, files);
    let sources = sources(files, &relative);
    let Some(file) = file_index(files, path) else { return Vec::new() };
    let Some((decl, uses)) = configsync::selector_uses(&sources, root.format, file, offset) else { return Vec::new() };
    include_declaration
        .then_some(decl)
        .into_iter()
        .chain(uses)
        .filter_map(|p| Some((files.get(p.file)?.0.clone(), p.span)))
        .collect()
}

/// Most objects a hover lists.
const MAX_LISTED: usize = 20;

fn names(names: &[String]) -> String {
    let mut out: Vec<String> = names.iter().take(MAX_LISTED).map(|n| format!("`{n}`")).collect();
    if names.len() > MAX_LISTED {
        out.push(format!("and {} more", names.len() - MAX_LISTED));
    }
    out.join(", ")
}

/// What Config Sync does with the object under `offset`: the namespaces and clusters it lands
/// in (on its kind, name or selector annotations), and for a Namespace of a hierarchical root
/// the objects it inherits.
pub fn hover_note(
    root: &Root,
    files: &[(PathBuf, &YamlFile)],
    store: &SchemaStore,
    path: &Path,
    offset: usize,
) -> Option<(Span, String)> {
    let relative = relative_paths(root, files);
    let sources = sources(files, &relative);
    let scope = scope_of(store);
    let file = file_index(files, path)?;
    let options = Options { format: root.format, synced_by: root.synced_by.as_ref() };
    let (span, landing) = configsync::landing_at(&sources, &options, &scope, file, offset)?;
    let format = match root.format {
        Format::Hierarchy => "hierarchy",
        Format::Unstructured => "unstructured",
    };
    let dir = root.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "/".into());
    let mut out = format!("**Config Sync** ({format} root `{dir}/`)\n");
    let namespaces = match &landing.namespaces {
        Namespaces::None => None,
        Namespaces::Listed(n) if n.is_empty() => Some("none (no namespace directory below this one)".to_string()),
        Namespaces::Listed(n) => Some(names(n)),
        Namespaces::Selected { selector, names: n, dynamic } => {
            let picked = if n.is_empty() { "none of the declared ones".to_string() } else { names(n) };
            let more =
                if *dynamic { ", and any namespace on the cluster with matching labels (dynamic mode)" } else { "" };
            Some(format!("{picked}, selected by NamespaceSelector `{selector}`{more}"))
        }
        Namespaces::Default(ns) => Some(format!("`{ns}` (no `metadata.namespace`: the default)")),
    };
    if let Some(n) = namespaces {
        out.push_str(&format!("- namespaces: {n}\n"));
    }
    let clusters = match &landing.clusters {
        Clusters::All => "every cluster that syncs this root".to_string(),
        Clusters::Selected { selector, declared: 0, .. } => {
            format!("those whose labels ClusterSelector `{selector}` matches (the repository declares no Cluster)")
        }
        Clusters::Selected { selector, names: n, declared } if n.is_empty() => {
            format!("none of the {declared} declared Clusters, ClusterSelector `{selector}` selects none")
        }
        Clusters::Selected { selector, names: n, .. } => {
            format!("{}, selected by ClusterSelector `{selector}`", names(n))
        }
        Clusters::Named(n) => format!("{} (cluster-name-selector)", names(n)),
    };
    out.push_str(&format!("- clusters: {clusters}\n"));
    if root.format == Format::Hierarchy
        && let Some((_, inherited)) = configsync::inherited_at(&sources, &scope, file, offset)
    {
        if inherited.is_empty() {
            out.push_str("- inherits nothing from the abstract namespaces above it\n");
        } else {
            out.push_str(&format!("- inherits {} objects from the abstract namespaces above it:\n", inherited.len()));
            for i in inherited.iter().take(MAX_LISTED) {
                let from = relative.get(i.file).map(|p| p.display().to_string()).unwrap_or_default();
                out.push_str(&format!("  - `{} {}` ({from})\n", i.kind, i.name));
            }
            if inherited.len() > MAX_LISTED {
                out.push_str(&format!("  - and {} more\n", inherited.len() - MAX_LISTED));
            }
        }
    }
    Some((span, out.trim_end().to_string()))
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

    #[test]
    fn declared_roots_join_or_override_the_detected_ones() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";
        let (idx, _) =
            index(&[("/r/system/repo.yaml", REPO), ("/r/namespaces/a/cm.yaml", cm), ("/r/extra/cm.yaml", cm)]);
        let found = roots(&idx, &|_| Vec::new());
        let declared = [
            (PathBuf::from("extra"), Format::Unstructured),
            (PathBuf::from("/r"), Format::Unstructured),
            (PathBuf::from("empty"), Format::Hierarchy),
        ];
        let all = with_declared(found, &declared, &idx);
        let dirs: Vec<(&Path, Format)> = all.iter().map(|r| (r.dir.as_path(), r.format)).collect();
        assert_eq!(dirs, [(Path::new("/r"), Format::Unstructured), (Path::new("/r/extra"), Format::Unstructured)]);
        assert_eq!(root_of(&all, Path::new("/r/extra/cm.yaml")).unwrap().dir, Path::new("/r/extra"));
    }
}
