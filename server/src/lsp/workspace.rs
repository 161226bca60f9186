//! What the server knows about the repository beyond the open documents: the CRDs it defines
//! and the files its kustomizations use as patches. Open documents take precedence over the
//! disk, so a CRD being edited updates its custom resources' validation live.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use tower_lsp_server::ls_types::Uri;
use tracing::{debug, info, warn};

use crate::analysis::{kustomize, workspace};
use crate::base::LineIndex;
use crate::schema::SchemaStore;
use crate::vfs::{self, WalkEvent};
use crate::yaml::YamlFile;

pub struct Workspace {
    /// Files past this size are not read from disk (`maxFileSizeMb`).
    max_file_bytes: AtomicU64,
    roots: RwLock<Vec<PathBuf>>,
    /// Patch files referenced by each kustomization file.
    patches: RwLock<HashMap<PathBuf, Vec<PathBuf>>>,
    /// Directories and files whose objects each kustomization's `namespace:` rewrites.
    namespace_scopes: RwLock<HashMap<PathBuf, Vec<PathBuf>>>,
    /// Sources (URIs) that currently contribute CRDs to the store.
    crd_sources: RwLock<HashSet<String>>,
}

/// The file path behind a `file:` URI.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

fn path_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace {
            max_file_bytes: AtomicU64::new(vfs::megabytes(vfs::DEFAULT_MAX_FILE_SIZE_MB)),
            roots: RwLock::default(),
            patches: RwLock::default(),
            namespace_scopes: RwLock::default(),
            crd_sources: RwLock::default(),
        }
    }
}

impl Workspace {
    /// The `maxFileSizeMb` setting: larger files are not read from disk.
    pub fn set_max_file_size_mb(&self, mb: u64) {
        self.max_file_bytes.store(vfs::megabytes(mb.max(1)), Ordering::Relaxed);
    }

    pub fn set_roots(&self, roots: Vec<PathBuf>) {
        *self.roots.write().unwrap_or_else(PoisonError::into_inner) = roots;
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// True when some kustomization uses `path` as a patch (a partial object).
    pub fn is_patch(&self, path: &Path) -> bool {
        self.patches.read().unwrap_or_else(PoisonError::into_inner).values().any(|v| v.iter().any(|p| p == path))
    }

    /// True when a kustomization with `namespace:` builds `path`: the names of its Namespace
    /// objects are placeholders that the build replaces.
    pub fn in_namespace_scope(&self, path: &Path) -> bool {
        let scopes = self.namespace_scopes.read().unwrap_or_else(PoisonError::into_inner);
        scopes.values().any(|s| crate::analysis::gitops::in_namespace_scope(s, path))
    }

    /// Learns what one file contributes. Returns true when the set of custom kinds changed
    /// (other documents then need validating again).
    pub fn update_file(
        &self,
        store: &SchemaStore,
        uri: &Uri,
        path: Option<&Path>,
        file: &YamlFile,
        text_line: impl Fn(usize) -> u32,
    ) -> bool {
        let mut patches_changed = false;
        if let Some(path) = path.filter(|p| kustomize::is_kustomization_file(p)) {
            let dir = path.parent().unwrap_or(Path::new("/"));
            let refs: Vec<PathBuf> =
                kustomize::patch_paths(file).iter().map(|p| kustomize::join_normalized(dir, p)).collect();
            let previous =
                self.patches.write().unwrap_or_else(PoisonError::into_inner).insert(path.to_path_buf(), refs.clone());
            patches_changed = previous.as_ref() != Some(&refs);
            let scopes = crate::analysis::gitops::namespace_scopes(path, file);
            let previous = self
                .namespace_scopes
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(path.to_path_buf(), scopes.clone());
            patches_changed |= previous.as_ref() != Some(&scopes);
        }
        let source = uri.as_str().to_string();
        let kinds = workspace::crd_kinds(
            file,
            path.map_or(uri.as_str().to_string(), |p| p.display().to_string()).as_str(),
            text_line,
        );
        let had = self.crd_sources.read().unwrap_or_else(PoisonError::into_inner).contains(&source);
        if kinds.is_empty() && !had {
            return patches_changed;
        }
        let mut sources = self.crd_sources.write().unwrap_or_else(PoisonError::into_inner);
        if kinds.is_empty() {
            sources.remove(&source);
        } else {
            sources.insert(source.clone());
        }
        drop(sources);
        // Same kinds and schemas as before: nothing to redo.
        let before = store.custom_kinds_from(&source);
        let unchanged = before.len() == kinds.len()
            && before
                .iter()
                .zip(&kinds)
                .all(|(a, b)| a.api_version == b.api_version && a.kind == b.kind && a.schema == b.schema);
        if !unchanged {
            store.set_custom_kinds(&source, kinds);
        }
        !unchanged || patches_changed
    }

    /// Forgets a deleted file.
    pub fn remove_file(&self, store: &SchemaStore, uri: &Uri, path: Option<&Path>) -> bool {
        if let Some(p) = path {
            self.patches.write().unwrap_or_else(PoisonError::into_inner).remove(p);
            self.namespace_scopes.write().unwrap_or_else(PoisonError::into_inner).remove(p);
        }
        let source = uri.as_str().to_string();
        let had = self.crd_sources.write().unwrap_or_else(PoisonError::into_inner).remove(&source);
        if had {
            store.set_custom_kinds(&source, Vec::new());
        }
        had
    }

    /// Reads a file from disk and learns from it (for files that are not open). Special files
    /// are never opened and reading stops at the size limit; a file that cannot be read (gone,
    /// too large, turned into a FIFO) no longer contributes anything.
    pub fn load_from_disk(&self, store: &SchemaStore, path: &Path) -> bool {
        let Some(uri) = path_uri(path) else { return false };
        let text = match vfs::read_text(path, self.max_file_bytes.load(Ordering::Relaxed)) {
            Ok(text) => text,
            Err(e) => {
                if !e.is_not_found() {
                    debug!(path = %path.display(), "not learned from: {e}");
                }
                return self.remove_file(store, &uri, Some(path));
            }
        };
        // Only CRDs and kustomizations matter here; skip parsing everything else.
        if !kustomize::is_kustomization_file(path) && !text.contains("CustomResourceDefinition") {
            return self.remove_file(store, &uri, Some(path));
        }
        let file = YamlFile::parse(text.as_str());
        let index = LineIndex::new(&text);
        self.update_file(store, &uri, Some(path), &file, |o| index.line_of(o) as u32 + 1)
    }

    /// Walks the workspace roots once; `skip` are paths that are open (their text wins).
    pub fn scan(&self, store: &SchemaStore, skip: &HashSet<PathBuf>) -> usize {
        let started = std::time::Instant::now();
        let mut files = Vec::new();
        for root in self.roots() {
            vfs::walk(&root, |event| match event {
                WalkEvent::File(f) => files.push(f),
                WalkEvent::Warning { path, message } => warn!(path = %path.display(), "{message}"),
            });
        }
        let mut learned = 0;
        for f in &files {
            if !skip.contains(f) {
                self.load_from_disk(store, f);
                learned += 1;
            }
        }
        info!(files = learned, crds = store.custom_kinds().len(), elapsed = ?started.elapsed(), "workspace scanned");
        learned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRD: &str = include_str!("../../../tests/fixtures/crds/stable.example.com_crontabs.yaml");

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo (coreutils) is needed");
        assert!(status.success());
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_never_read_by_the_scan_or_load_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("crd.yaml"), CRD).unwrap();
        let sub = root.join("app");
        std::fs::create_dir(&sub).unwrap();
        // A kustomization and a CRD-looking name: both would be read by the scan.
        mkfifo(&sub.join("kustomization.yaml"));
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
        std::os::unix::fs::symlink("/dev/urandom", sub.join("random.yaml")).unwrap();
        let (ws, store) = (Workspace::default(), SchemaStore::new());
        ws.set_roots(vec![root.to_path_buf()]);
        assert_eq!(ws.scan(&store, &HashSet::new()), 1);
        assert_eq!(store.custom_kinds().len(), 1);
        // As for a watched-file event: nothing learned, nothing blocked.
        assert!(!ws.load_from_disk(&store, &sub.join("kustomization.yaml")));
        assert!(!ws.load_from_disk(&store, &root.join("zero.yaml")));
        // The CRD file turned into a FIFO: it no longer contributes.
        std::fs::remove_file(root.join("crd.yaml")).unwrap();
        mkfifo(&root.join("crd.yaml"));
        assert!(ws.load_from_disk(&store, &root.join("crd.yaml")));
        assert!(store.custom_kinds().is_empty());
    }

    #[test]
    fn files_over_the_limit_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crd.yaml");
        std::fs::write(&path, format!("{CRD}\n# {}\n", "x".repeat(1 << 20))).unwrap();
        let (ws, store) = (Workspace::default(), SchemaStore::new());
        ws.set_max_file_size_mb(1);
        assert!(!ws.load_from_disk(&store, &path));
        assert!(store.custom_kinds().is_empty());
        ws.set_max_file_size_mb(2);
        assert!(ws.load_from_disk(&store, &path));
        assert_eq!(store.custom_kinds().len(), 1);
    }
}
