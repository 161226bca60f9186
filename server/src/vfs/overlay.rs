//! Files by [`FileId`], with the editor's open documents laid over the disk: an open
//! document's text wins, closing it falls back to the disk (read through the bounded reader).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{ReadError, read_text};
use crate::base::FileId;

/// Where a file's text came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contents {
    /// The editor's text of an open document.
    Open(Arc<str>),
    /// Read from the disk just now.
    Disk(Arc<str>),
}

impl Contents {
    pub fn text(&self) -> &Arc<str> {
        match self {
            Contents::Open(t) | Contents::Disk(t) => t,
        }
    }
}

pub struct Vfs {
    paths: Vec<PathBuf>,
    ids: HashMap<PathBuf, FileId>,
    open: HashMap<FileId, Arc<str>>,
    max_file_bytes: u64,
}

impl Vfs {
    /// Files larger than `max_file_bytes` are not read from the disk.
    pub fn new(max_file_bytes: u64) -> Vfs {
        Vfs { paths: Vec::new(), ids: HashMap::new(), open: HashMap::new(), max_file_bytes }
    }

    pub fn set_max_file_bytes(&mut self, limit: u64) {
        self.max_file_bytes = limit;
    }

    /// The id of `path`, the same for as long as this `Vfs` lives.
    pub fn file_id(&mut self, path: &Path) -> FileId {
        if let Some(id) = self.ids.get(path) {
            return *id;
        }
        let id = FileId::from_index(self.paths.len());
        self.paths.push(path.to_path_buf());
        self.ids.insert(path.to_path_buf(), id);
        id
    }

    /// The id of `path` if it has one.
    pub fn lookup(&self, path: &Path) -> Option<FileId> {
        self.ids.get(path).copied()
    }

    pub fn path(&self, id: FileId) -> &Path {
        &self.paths[id.index()]
    }

    /// Opens a document, or replaces the text of an open one.
    pub fn set_open(&mut self, path: &Path, text: Arc<str>) -> FileId {
        let id = self.file_id(path);
        self.open.insert(id, text);
        id
    }

    /// Closes a document: its contents are the disk's again.
    pub fn close(&mut self, id: FileId) {
        self.open.remove(&id);
    }

    pub fn is_open(&self, id: FileId) -> bool {
        self.open.contains_key(&id)
    }

    /// The open document's text, else the file on disk (regular files within the limit only).
    pub fn contents(&self, id: FileId) -> Result<Contents, ReadError> {
        if let Some(text) = self.open.get(&id) {
            return Ok(Contents::Open(Arc::clone(text)));
        }
        read_text(self.path(id), self.max_file_bytes).map(|t| Contents::Disk(t.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_documents_win_over_the_disk_until_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, "disk: 1\n").unwrap();
        let mut vfs = Vfs::new(1 << 20);
        let id = vfs.file_id(&path);
        assert_eq!(vfs.contents(id).unwrap(), Contents::Disk("disk: 1\n".into()));

        assert_eq!(vfs.set_open(&path, "editor: 1\n".into()), id);
        assert!(vfs.is_open(id));
        // A watched-file event while open: the disk changed, the editor's text still wins.
        std::fs::write(&path, "disk: 2\n").unwrap();
        assert_eq!(vfs.contents(id).unwrap(), Contents::Open("editor: 1\n".into()));
        vfs.set_open(&path, "editor: 2\n".into());
        assert_eq!(vfs.contents(id).unwrap().text().as_ref(), "editor: 2\n");

        vfs.close(id);
        assert!(!vfs.is_open(id));
        assert_eq!(vfs.contents(id).unwrap(), Contents::Disk("disk: 2\n".into()));
        assert_eq!(vfs.lookup(&path), Some(id));
        assert_eq!(vfs.path(id), path);
    }

    #[test]
    fn closed_files_are_read_with_the_bounded_reader() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, "x".repeat(100)).unwrap();
        let mut vfs = Vfs::new(10);
        let id = vfs.set_open(&big, "small: 1\n".into());
        assert!(vfs.contents(id).is_ok());
        vfs.close(id);
        assert!(matches!(vfs.contents(id), Err(ReadError::TooLarge { size: 100, limit: 10 })));
        let gone = vfs.file_id(&dir.path().join("gone.yaml"));
        assert!(vfs.contents(gone).unwrap_err().is_not_found());
        assert_ne!(gone, id);
    }

    #[cfg(unix)]
    #[test]
    fn a_closed_document_that_became_a_device_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zero.yaml");
        let mut vfs = Vfs::new(1 << 20);
        let id = vfs.set_open(&path, "a: 1\n".into());
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        assert!(vfs.contents(id).is_ok());
        vfs.close(id);
        assert!(matches!(vfs.contents(id), Err(ReadError::NotRegular(super::super::FileKind::CharDevice))));
    }
}
