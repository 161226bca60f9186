//! Open documents and their YAML models.
//!
//! Text changes are applied synchronously under one `std` mutex, in the order the client sent
//! them. The YAML model lags behind: edits pile up (composed into one [`ByteEdit`]) until
//! someone asks for a [`Snapshot`], which brings the model up to date off the notification
//! path. Readers only ever see immutable snapshots behind an `Arc`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};

use tower_lsp_server::ls_types::{DocumentSymbol, Uri};

use crate::analysis::FileResults;
use crate::text::{ByteEdit, Document, PositionEncoding, Range};
use crate::yaml::YamlFile;

/// One consistent state of a document: its text, version and YAML model.
#[derive(Debug)]
pub struct Snapshot {
    pub uri: Uri,
    /// Identifies this exact text; unlike versions it never repeats, even across re-opens.
    pub seq: u64,
    pub doc: Document,
    pub yaml: Arc<YamlFile>,
    /// Results computed once for this exact state and shared by every request on it.
    pub cache: SnapshotCache,
    /// The per-document results of the latest earlier state that has them: the documents an
    /// edit did not touch are not checked again.
    pub prior: Option<Arc<FileResults>>,
}

#[derive(Debug, Default)]
pub struct SnapshotCache {
    pub diagnostics: OnceLock<Arc<Vec<crate::yaml::Diagnostic>>>,
    pub symbols: OnceLock<Arc<Vec<DocumentSymbol>>>,
    pub results: OnceLock<Arc<FileResults>>,
}

impl Snapshot {
    pub fn version(&self) -> i32 {
        self.doc.version
    }
}

/// Edits the YAML model has not seen yet.
#[derive(Clone, Copy, Debug)]
enum Pending {
    None,
    Edit(ByteEdit),
    Reparse,
}

impl Pending {
    fn push(&mut self, edit: ByteEdit) {
        *self = match *self {
            Pending::None => Pending::Edit(edit),
            Pending::Edit(prev) => Pending::Edit(prev.then(edit)),
            Pending::Reparse => Pending::Reparse,
        };
    }
}

struct Entry {
    doc: Document,
    seq: u64,
    pending: Pending,
    /// The last synced snapshot. Its mutex also serializes syncing, so edits taken from
    /// `pending` are always applied in order and exactly once.
    model: Arc<Mutex<Option<Arc<Snapshot>>>>,
}

#[derive(Default)]
pub struct Session {
    encoding: RwLock<PositionEncoding>,
    docs: Mutex<HashMap<Uri, Entry>>,
    next_seq: AtomicU64,
}

/// Locks a mutex even if a panicking handler poisoned it: the state behind our mutexes stays
/// consistent at every await-free step, and one bug must not take every later request down.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Session {
    pub fn new() -> Self {
        Session::default()
    }

    pub fn encoding(&self) -> PositionEncoding {
        *self.encoding.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_encoding(&self, encoding: PositionEncoding) {
        *self.encoding.write().unwrap_or_else(PoisonError::into_inner) = encoding;
    }

    fn bump(&self) -> u64 {
        self.next_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Opens (or re-opens) a document; returns its new sequence number.
    pub fn open(&self, uri: Uri, text: &str, version: i32) -> u64 {
        let doc = Document::new(text, version, self.encoding());
        let mut docs = lock(&self.docs);
        // Numbered under the lock so sequence numbers grow in the order states are stored.
        let seq = self.bump();
        let model = Arc::new(Mutex::new(None));
        docs.insert(uri, Entry { doc, seq, pending: Pending::Reparse, model });
        seq
    }

    /// Applies a `didChange` in order; returns the new sequence number and the version it
    /// replaced, or `None` when the document is not open.
    pub fn change(
        &self,
        uri: &Uri,
        version: i32,
        changes: impl IntoIterator<Item = (Option<Range>, String)>,
    ) -> Option<(u64, i32)> {
        let mut docs = lock(&self.docs);
        let entry = docs.get_mut(uri)?;
        let seq = self.bump();
        for (range, text) in changes {
            let edit = entry.doc.apply_change(range, &text);
            entry.pending.push(edit);
        }
        let previous = std::mem::replace(&mut entry.doc.version, version);
        entry.seq = seq;
        Some((seq, previous))
    }

    /// Every open document and its current sequence number.
    pub fn open_documents(&self) -> Vec<(Uri, u64)> {
        lock(&self.docs).iter().map(|(u, e)| (u.clone(), e.seq)).collect()
    }

    /// Gives every open document (but `except`) a new sequence number, text unchanged, so
    /// results computed against new settings or CRDs count as newer than the last published.
    pub fn touch_all(&self, except: Option<&Uri>) -> Vec<(Uri, u64)> {
        let mut docs = lock(&self.docs);
        let mut out = Vec::new();
        for (uri, entry) in docs.iter_mut() {
            if Some(uri) != except {
                entry.seq = self.bump();
                out.push((uri.clone(), entry.seq));
            }
        }
        out
    }

    pub fn close(&self, uri: &Uri) -> bool {
        lock(&self.docs).remove(uri).is_some()
    }

    pub fn is_open(&self, uri: &Uri) -> bool {
        lock(&self.docs).contains_key(uri)
    }

    /// True when `seq` is still the latest state of an open document.
    pub fn is_current(&self, uri: &Uri, seq: u64) -> bool {
        lock(&self.docs).get(uri).is_some_and(|e| e.seq == seq)
    }

    /// The current length in bytes.
    pub fn len(&self, uri: &Uri) -> Option<usize> {
        lock(&self.docs).get(uri).map(|e| e.doc.len())
    }

    /// The current text, without touching the YAML model.
    pub fn document(&self, uri: &Uri) -> Option<Document> {
        lock(&self.docs).get(uri).map(|e| e.doc.clone())
    }

    /// An up-to-date snapshot. May parse, so call it from a blocking thread.
    pub fn snapshot(&self, uri: &Uri) -> Option<Arc<Snapshot>> {
        let model = Arc::clone(&lock(&self.docs).get(uri)?.model);
        let (mut synced, poisoned) = match model.lock() {
            Ok(guard) => (guard, false),
            Err(poison) => {
                // A parse panicked half-way: its pending edit is lost, so start over.
                model.clear_poison();
                (poison.into_inner(), true)
            }
        };
        let (doc, seq, pending) = {
            let mut docs = lock(&self.docs);
            let entry = docs.get_mut(uri)?;
            if !Arc::ptr_eq(&entry.model, &model) {
                // Closed and re-opened while we waited; the new entry has its own model.
                drop(docs);
                drop(synced);
                return self.snapshot(uri);
            }
            (entry.doc.clone(), entry.seq, std::mem::replace(&mut entry.pending, Pending::None))
        };
        let yaml = match (synced.as_ref(), pending) {
            (Some(prev), _) if prev.seq == seq => return Some(Arc::clone(prev)),
            (Some(prev), Pending::None) if !poisoned => Arc::clone(&prev.yaml),
            (Some(prev), Pending::Edit(e)) if !poisoned => {
                let mut yaml = Arc::clone(&prev.yaml);
                Arc::make_mut(&mut yaml).edit(&doc.rope, e.start, e.old_end, e.new_len);
                yaml
            }
            _ => Arc::new(YamlFile::parse(&doc.rope)),
        };
        let prior = synced.as_ref().and_then(|prev| prev.cache.results.get().cloned().or_else(|| prev.prior.clone()));
        let snapshot = Arc::new(Snapshot { uri: uri.clone(), seq, doc, yaml, cache: SnapshotCache::default(), prior });
        *synced = Some(Arc::clone(&snapshot));
        Some(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Position;

    fn uri() -> Uri {
        "file:///a.yaml".parse().unwrap()
    }

    fn at(line: u32, character: u32) -> Option<Range> {
        let p = Position::new(line, character);
        Some(Range::new(p, p))
    }

    #[test]
    fn snapshots_follow_edits() {
        let s = Session::new();
        s.open(uri(), "a: 1\n---\nb: 2\n", 1);
        let first = s.snapshot(&uri()).unwrap();
        assert_eq!(first.version(), 1);
        assert_eq!(first.yaml.documents().len(), 2);

        s.change(&uri(), 2, [(at(0, 4), "0".to_string())]);
        s.change(&uri(), 3, [(at(2, 0), "c: 3\n".to_string()), (None, "x: 1\n".to_string())]);
        let snap = s.snapshot(&uri()).unwrap();
        assert_eq!(snap.version(), 3);
        assert_eq!(snap.doc.text(), "x: 1\n");
        assert_eq!(snap.yaml.documents().len(), 1);
        // The earlier snapshot is untouched.
        assert_eq!(first.doc.text(), "a: 1\n---\nb: 2\n");
        // Nothing changed: the same snapshot comes back.
        assert!(Arc::ptr_eq(&snap, &s.snapshot(&uri()).unwrap()));
    }

    #[test]
    fn reopen_starts_a_new_model() {
        let s = Session::new();
        let a = s.open(uri(), "a: 1\n", 1);
        s.snapshot(&uri()).unwrap();
        assert!(s.close(&uri()));
        assert!(s.snapshot(&uri()).is_none());
        let b = s.open(uri(), "b: 1\n", 1);
        assert!(b > a && !s.is_current(&uri(), a) && s.is_current(&uri(), b));
        assert_eq!(s.snapshot(&uri()).unwrap().doc.text(), "b: 1\n");
    }

    #[test]
    fn change_of_unknown_document_is_ignored() {
        let s = Session::new();
        assert_eq!(s.change(&uri(), 2, [(None, "x".to_string())]), None);
    }
}
