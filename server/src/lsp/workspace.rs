//! What the server knows about the repository beyond the open documents: the CRDs it defines
//! and the files its kustomizations use as patches. Open documents take precedence over the
//! disk, so a CRD being edited updates its custom resources' validation live.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use tower_lsp_server::ls_types::Uri;
use tracing::{debug, info, warn};

use crate::base::LineIndex;
use crate::index::{self, FileSummary, RepoIndex};
use crate::schema::SchemaStore;
use crate::vfs::{self, WalkEvent};
use crate::yaml::YamlFile;

pub struct Workspace {
    /// Files past this size are not read from disk (`maxFileSizeMb`).
    max_file_bytes: AtomicU64,
    roots: RwLock<Vec<PathBuf>>,
    /// The summaries of the repository's files (open documents as edited). Readers take the
    /// `Arc`: an immutable copy that later updates do not touch.
    index: RwLock<Arc<RepoIndex>>,
    /// Revision of each `group/Kind` whose CRDs came or went (see `analysis::Context`).
    kind_revisions: RwLock<HashMap<String, u64>>,
    next_revision: AtomicU64,
    /// The start-up scan is done: findings about the whole repository mean something.
    scanned: std::sync::atomic::AtomicBool,
}

/// The file path behind a `file:` URI.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

fn path_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// Where the index keeps a document: its path, or its URI for documents not on disk.
fn index_key(uri: &Uri, path: Option<&Path>) -> PathBuf {
    path.map_or_else(|| PathBuf::from(uri.as_str()), Path::to_path_buf)
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace {
            max_file_bytes: AtomicU64::new(vfs::megabytes(vfs::DEFAULT_MAX_FILE_SIZE_MB)),
            roots: RwLock::default(),
            index: RwLock::default(),
            kind_revisions: RwLock::default(),
            next_revision: AtomicU64::new(1),
            scanned: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// What learning a file's summary changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Learned {
    /// What the file declares or references changed: the repository's findings may differ.
    pub content: bool,
    /// CRDs or Kustomize references changed: other documents' validation may differ.
    pub validation: bool,
}

/// How far the start-up scan got, for `$/progress`.
#[derive(Clone, Copy, Debug)]
pub struct ScanProgress {
    pub done: usize,
    pub total: usize,
}

impl Workspace {
    /// The `maxFileSizeMb` setting: larger files are not read from disk.
    pub fn set_max_file_size_mb(&self, mb: u64) {
        self.max_file_bytes.store(vfs::megabytes(mb.max(1)), Ordering::Relaxed);
    }

    pub fn set_roots(&self, roots: Vec<PathBuf>) {
        let mut repository: Vec<PathBuf> = roots.iter().flat_map(|r| vfs::repository_roots(r)).collect();
        repository.sort();
        repository.dedup();
        Arc::make_mut(&mut self.index.write().unwrap_or_else(PoisonError::into_inner)).set_roots(repository);
        *self.roots.write().unwrap_or_else(PoisonError::into_inner) = roots;
    }

    /// Reads the git remotes of the repositories around the roots (disk work), so Argo CD
    /// Applications naming this repository have their paths checked.
    pub fn learn_remotes(&self) {
        let repositories = self.index().roots().to_vec();
        let urls: Vec<String> = repositories.iter().flat_map(|r| vfs::git_remote_urls(r)).collect();
        Arc::make_mut(&mut self.index.write().unwrap_or_else(PoisonError::into_inner)).set_remotes(&urls);
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// True once the start-up scan has learned every file.
    pub fn scanned(&self) -> bool {
        self.scanned.load(Ordering::SeqCst)
    }

    /// The repository index as it is now.
    pub fn index(&self) -> Arc<RepoIndex> {
        Arc::clone(&self.index.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The revision of the schemas of `group/Kind` (0 until a CRD for it comes or goes).
    pub fn kind_revision(&self, key: &str) -> u64 {
        self.kind_revisions.read().unwrap_or_else(PoisonError::into_inner).get(key).copied().unwrap_or(0)
    }

    /// Replaces what `source` contributes to the store, and moves the revision of every kind
    /// it had or has, so exactly the documents of those kinds are checked again.
    fn set_custom_kinds(&self, store: &SchemaStore, source: &str, kinds: Vec<crate::schema::store::CustomKind>) {
        let before = store.custom_kinds_from(source);
        let keys: HashSet<String> =
            before.iter().chain(&kinds).map(|k| crate::analysis::kind_key(&k.api_version, &k.kind)).collect();
        store.set_custom_kinds(source, kinds);
        let rev = self.next_revision.fetch_add(1, Ordering::SeqCst);
        let mut revs = self.kind_revisions.write().unwrap_or_else(PoisonError::into_inner);
        for key in keys {
            revs.insert(key, rev);
        }
    }

    /// True when some kustomization uses `path` as a patch (a partial object).
    pub fn is_patch(&self, path: &Path) -> bool {
        self.index().is_patch(path)
    }

    /// True when a kustomization with `namespace:` builds `path`: the names of its Namespace
    /// objects are placeholders that the build replaces.
    pub fn in_namespace_scope(&self, path: &Path) -> bool {
        self.index().in_namespace_scope(path)
    }

    /// The summary of an open document's current text.
    pub fn summarize(uri: &Uri, path: Option<&Path>, file: &YamlFile, text_line: impl Fn(usize) -> u32) -> FileSummary {
        let source = path.map_or(uri.as_str().to_string(), |p| p.display().to_string());
        index::summarize(path, &source, file, text_line)
    }

    /// Learns what one open document contributes.
    pub fn update_file(&self, store: &SchemaStore, uri: &Uri, path: Option<&Path>, summary: FileSummary) -> Learned {
        self.set_summary(store, uri, path, summary)
    }

    /// Where the index keeps the document at `uri`.
    pub fn key(uri: &Uri, path: Option<&Path>) -> PathBuf {
        index_key(uri, path)
    }

    fn set_summary(&self, store: &SchemaStore, uri: &Uri, path: Option<&Path>, summary: FileSummary) -> Learned {
        let key = index_key(uri, path);
        // Only positions moved (the usual keystroke): the index stays as it is.
        if self.index().get(&key).is_some_and(|s| s.same_content(&summary)) {
            return Learned::default();
        }
        let crds = summary.crds.clone();
        let change = {
            let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
            Arc::make_mut(&mut index).update(key, summary)
        };
        if change.crds {
            self.set_custom_kinds(store, uri.as_str(), crds);
        }
        Learned { content: true, validation: change.crds || change.references }
    }

    /// Forgets a deleted file.
    pub fn remove_file(&self, store: &SchemaStore, uri: &Uri, path: Option<&Path>) -> Learned {
        let key = index_key(uri, path);
        if self.index().get(&key).is_none() {
            return Learned::default();
        }
        let change = {
            let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
            Arc::make_mut(&mut index).remove(&key)
        };
        if change.crds {
            self.set_custom_kinds(store, uri.as_str(), Vec::new());
        }
        Learned { content: true, validation: change.crds || change.references }
    }

    /// Reads a file from disk and learns from it (for files that are not open). Special files
    /// are never opened and reading stops at the size limit; a file that cannot be read (gone,
    /// too large, turned into a FIFO) no longer contributes anything.
    pub fn load_from_disk(&self, store: &SchemaStore, path: &Path) -> Learned {
        let Some(uri) = path_uri(path) else { return Learned::default() };
        match self.summarize_from_disk(path) {
            Some(summary) => self.set_summary(store, &uri, Some(path), summary),
            None => self.remove_file(store, &uri, Some(path)),
        }
    }

    /// The summary of a file on disk; the tree is dropped once summarized.
    fn summarize_from_disk(&self, path: &Path) -> Option<FileSummary> {
        let text = match vfs::read_text(path, self.max_file_bytes.load(Ordering::Relaxed)) {
            Ok(text) => text,
            Err(e) => {
                if !e.is_not_found() {
                    debug!(path = %path.display(), "not learned from: {e}");
                }
                return None;
            }
        };
        let file = YamlFile::parse(text.as_str());
        let lines = LineIndex::new(&text);
        Some(index::summarize(Some(path), &path.display().to_string(), &file, |o| lines.line_of(o) as u32 + 1))
    }

    /// Walks the workspace roots once; `skip` are paths that are open (their text wins).
    /// `progress` hears how far it got, now and then.
    pub fn scan(
        &self,
        store: &SchemaStore,
        skip: &HashSet<PathBuf>,
        excluded: &dyn Fn(&Path) -> bool,
        mut progress: impl FnMut(ScanProgress),
    ) -> usize {
        let started = std::time::Instant::now();
        let mut files = Vec::new();
        for root in self.roots() {
            vfs::walk(&root, |event| match event {
                WalkEvent::File(f) => files.push(f),
                WalkEvent::Warning { path, message } => warn!(path = %path.display(), "{message}"),
            });
        }
        let files: Vec<PathBuf> = files.into_iter().filter(|f| !skip.contains(f) && !excluded(f)).collect();
        let total = files.len();
        progress(ScanProgress { done: 0, total });
        let mut last_report = std::time::Instant::now();
        let mut learned = 0;
        for (i, f) in files.iter().enumerate() {
            self.load_from_disk(store, f);
            learned += 1;
            if last_report.elapsed() >= SCAN_PROGRESS_EVERY {
                last_report = std::time::Instant::now();
                progress(ScanProgress { done: i + 1, total });
            }
        }
        progress(ScanProgress { done: total, total });
        self.scanned.store(true, Ordering::SeqCst);
        let index = self.index();
        // As in `check`: schemas that modelines name are loaded once, and a location that
        // cannot be loaded is reported by its first file in path order, naming the others.
        let mut uses: Vec<(String, PathBuf)> = files
            .iter()
            .filter_map(|f| Some((f, index.get(f)?)))
            .flat_map(|(f, s)| s.modelines.iter().map(|l| (l.clone(), f.clone())))
            .collect();
        uses.sort_by(|a, b| a.1.cmp(&b.1));
        store.prefetch(&uses);
        info!(
            files = learned,
            objects = index.objects().count(),
            crds = store.custom_kinds().len(),
            elapsed = ?started.elapsed(),
            "workspace scanned"
        );
        learned
    }
}

/// How often the scan reports progress.
const SCAN_PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

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
        assert_eq!(ws.scan(&store, &HashSet::new(), &|_| false, |_| {}), 1);
        assert_eq!(store.custom_kinds().len(), 1);
        // As for a watched-file event: nothing learned, nothing blocked.
        assert!(!ws.load_from_disk(&store, &sub.join("kustomization.yaml")).content);
        assert!(!ws.load_from_disk(&store, &root.join("zero.yaml")).content);
        // The CRD file turned into a FIFO: it no longer contributes.
        std::fs::remove_file(root.join("crd.yaml")).unwrap();
        mkfifo(&root.join("crd.yaml"));
        assert!(ws.load_from_disk(&store, &root.join("crd.yaml")).validation);
        assert!(store.custom_kinds().is_empty());
    }

    #[test]
    fn files_over_the_limit_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crd.yaml");
        std::fs::write(&path, format!("{CRD}\n# {}\n", "x".repeat(1 << 20))).unwrap();
        let (ws, store) = (Workspace::default(), SchemaStore::new());
        ws.set_max_file_size_mb(1);
        assert!(!ws.load_from_disk(&store, &path).content);
        assert!(store.custom_kinds().is_empty());
        ws.set_max_file_size_mb(2);
        assert!(ws.load_from_disk(&store, &path).validation);
        assert_eq!(store.custom_kinds().len(), 1);
    }
}
