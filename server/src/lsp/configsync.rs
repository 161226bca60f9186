//! `nomos vet`'s findings for open documents: the Config Sync root a document is in is vetted
//! whole, from the open documents as edited and the other files as on disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use tower_lsp_server::ls_types::Uri;

use super::session::Session;
use crate::analysis::configsync::{self, Root};
use crate::configsync::Format;
use crate::index::RepoIndex;
use crate::schema::SchemaStore;
use crate::vfs;
use crate::yaml::{Diagnostic, Span, YamlFile};

/// Closed files parsed once per modification.
type Parsed = HashMap<PathBuf, (Option<SystemTime>, u64, Arc<YamlFile>)>;

/// Roots the settings declare: (absolute directory, format).
type Declared = Vec<(PathBuf, Format)>;
/// The roots found for (index state, declared roots).
type CachedRoots = (usize, Declared, Arc<Vec<Root>>);

#[derive(Default)]
pub struct ConfigSync {
    /// The roots for one state of the index (identified by its derived results) and settings.
    roots: Mutex<Option<CachedRoots>>,
    parsed: Mutex<Parsed>,
}

/// What every question needs: the repository, the open documents, the size limit of a read
/// and the roots the settings declare.
pub struct Cx<'a> {
    pub index: &'a RepoIndex,
    pub session: &'a Session,
    pub limit: u64,
    pub declared: Declared,
}

impl ConfigSync {
    fn roots(&self, cx: &Cx) -> Arc<Vec<Root>> {
        let state = Arc::as_ptr(&cx.index.derived()) as usize;
        let mut cached = self.roots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, roots)) = cached.as_ref().filter(|(s, d, _)| *s == state && *d == cx.declared) {
            return Arc::clone(roots);
        }
        let sync_objects = |p: &Path| {
            self.file(p, cx.session, cx.limit).map(|f| crate::configsync::sync_objects(&f)).unwrap_or_default()
        };
        let found = configsync::roots(cx.index, &sync_objects);
        let roots = Arc::new(configsync::with_declared(found, &cx.declared, cx.index));
        *cached = Some((state, cx.declared.clone(), Arc::clone(&roots)));
        roots
    }

    /// An open document's model, else the file on disk parsed (and kept until it changes).
    fn file(&self, path: &Path, session: &Session, limit: u64) -> Option<Arc<YamlFile>> {
        if let Some(snap) = Uri::from_file_path(path).and_then(|uri| session.snapshot(&uri)) {
            return Some(Arc::clone(&snap.yaml));
        }
        let meta = std::fs::metadata(path).ok()?;
        let stamp = (meta.modified().ok(), meta.len());
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((m, len, file)) = parsed.get(path)
            && (*m, *len) == stamp
        {
            return Some(Arc::clone(file));
        }
        let text = vfs::read_text(path, limit).ok()?;
        let file = Arc::new(YamlFile::parse(text.as_str()));
        parsed.insert(path.to_path_buf(), (stamp.0, stamp.1, Arc::clone(&file)));
        Some(file)
    }

    /// Runs `f` on the root `path` (the index's key, whose model is `own`) lies in, with the
    /// root's files parsed; `None` outside every root.
    fn with_root<T>(
        &self,
        cx: &Cx,
        (path, own): (&Path, &Arc<YamlFile>),
        f: impl FnOnce(&Root, &[(PathBuf, &YamlFile)]) -> T,
    ) -> Option<T> {
        let roots = self.roots(cx);
        let root = configsync::root_of(&roots, path)?;
        let members = configsync::files_of(&roots, root, cx.index.files().map(|(p, _)| p));
        let parsed: Vec<(PathBuf, Arc<YamlFile>)> = members
            .iter()
            .filter_map(|p| {
                let file = if *p == path { Arc::clone(own) } else { self.file(p, cx.session, cx.limit)? };
                Some((p.to_path_buf(), file))
            })
            .collect();
        // Files that left the root (or the repository) are parsed again if they come back.
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner).retain(|p, _| cx.index.get(p).is_some());
        let files: Vec<(PathBuf, &YamlFile)> = parsed.iter().map(|(p, f)| (p.clone(), f.as_ref())).collect();
        Some(f(root, &files))
    }

    /// The findings for the open document at `path` (the index's key), whose model is `own`.
    pub fn diagnostics(&self, cx: &Cx, store: &SchemaStore, doc: (&Path, &Arc<YamlFile>)) -> Vec<Diagnostic> {
        let path = doc.0;
        self.with_root(cx, doc, |root, files| {
            configsync::vet(root, files, store).into_iter().filter(|(p, _)| p == path).map(|(_, d)| d).collect()
        })
        .unwrap_or_default()
    }

    /// The selector declaration an annotation value at `offset` names.
    pub fn definition(&self, cx: &Cx, doc: (&Path, &Arc<YamlFile>), offset: usize) -> Option<(PathBuf, Span)> {
        let path = doc.0;
        self.with_root(cx, doc, |root, files| configsync::definition(root, files, path, offset)).flatten()
    }

    /// The annotations naming the selector at `offset`.
    pub fn references(
        &self,
        cx: &Cx,
        doc: (&Path, &Arc<YamlFile>),
        offset: usize,
        include_declaration: bool,
    ) -> Vec<(PathBuf, Span)> {
        let path = doc.0;
        self.with_root(cx, doc, |root, files| configsync::references(root, files, path, offset, include_declaration))
            .unwrap_or_default()
    }

    /// Where the object at `offset` lands, for hover.
    pub fn hover_note(
        &self,
        cx: &Cx,
        store: &SchemaStore,
        doc: (&Path, &Arc<YamlFile>),
        offset: usize,
    ) -> Option<(Span, String)> {
        let path = doc.0;
        self.with_root(cx, doc, |root, files| configsync::hover_note(root, files, store, path, offset)).flatten()
    }
}
