//! The lowest layer: plain types every other layer shares.

pub mod line_index;

pub use line_index::{Encoding, LineCol, LineIndex};

/// One file of the repository, as numbered by the [`crate::vfs::Vfs`] that knows its path.
/// Cheap to copy and compare, so summaries and indexes refer to files by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(u32);

impl FileId {
    pub fn from_index(index: usize) -> FileId {
        FileId(u32::try_from(index).expect("more than 4 billion files"))
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }
}
