//! `nomos vet`'s findings for open documents: the Config Sync root a document is in is vetted
//! whole, from the open documents as edited and the other files as on disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use tower_lsp_server::ls_types::Uri;

use super::session::Session;
use crate::analysis::configsync::{self, Root};
use crate::index::RepoIndex;
use crate::schema::SchemaStore;
use crate::vfs;
use crate::yaml::{Diagnostic, YamlFile};

/// Closed files parsed once per modification.
type Parsed = HashMap<PathBuf, (Option<SystemTime>, u64, Arc<YamlFile>)>;

#[derive(Default)]
pub struct ConfigSync {
    /// The roots for one state of the index (identified by its derived results).
    roots: Mutex<Option<(usize, Arc<Vec<Root>>)>>,
    parsed: Mutex<Parsed>,
}

impl ConfigSync {
    fn roots(&self, index: &RepoIndex, session: &Session, limit: u64) -> Arc<Vec<Root>> {
        let state = Arc::as_ptr(&index.derived()) as usize;
        let mut cached = self.roots.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, roots)) = cached.as_ref().filter(|(s, _)| *s == state) {
            return Arc::clone(roots);
        }
        let sync_objects =
            |p: &Path| self.file(p, session, limit).map(|f| crate::configsync::sync_objects(&f)).unwrap_or_default();
        let roots = Arc::new(configsync::roots(index, &sync_objects));
        *cached = Some((state, Arc::clone(&roots)));
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

    /// The findings for the open document at `path` (the index's key), whose model is `own`.
    pub fn diagnostics(
        &self,
        index: &RepoIndex,
        session: &Session,
        store: &SchemaStore,
        (path, own): (&Path, &Arc<YamlFile>),
        limit: u64,
    ) -> Vec<Diagnostic> {
        let roots = self.roots(index, session, limit);
        let Some(root) = configsync::root_of(&roots, path) else { return Vec::new() };
        let members = configsync::files_of(&roots, root, index.files().map(|(p, _)| p));
        let parsed: Vec<(PathBuf, Arc<YamlFile>)> = members
            .iter()
            .filter_map(|p| {
                let file = if *p == path { Arc::clone(own) } else { self.file(p, session, limit)? };
                Some((p.to_path_buf(), file))
            })
            .collect();
        // Files that left the root (or the repository) are parsed again if they come back.
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner).retain(|p, _| index.get(p).is_some());
        let files: Vec<(PathBuf, &YamlFile)> = parsed.iter().map(|(p, f)| (p.clone(), f.as_ref())).collect();
        configsync::vet(root, &files, store).into_iter().filter(|(p, _)| p == path).map(|(_, d)| d).collect()
    }
}
