/// Bytes `start..old_end` of the old text were replaced by `new_len` bytes, which now occupy
/// `start..start + new_len` of the new text. This is what `YamlFile::edit` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ByteEdit {
    pub start: usize,
    pub old_end: usize,
    pub new_len: usize,
}

impl ByteEdit {
    pub const fn new(start: usize, old_end: usize, new_len: usize) -> Self {
        ByteEdit { start, old_end, new_len }
    }

    /// End of the replacement in the new text.
    pub const fn new_end(self) -> usize {
        self.start + self.new_len
    }

    /// One edit covering `self` followed by `next` (whose offsets are in the text produced by
    /// `self`). Lets a consumer that lags behind catch up with a single re-parse.
    pub fn then(self, next: ByteEdit) -> ByteEdit {
        // `Document::apply_change` never returns a reversed edit; order one anyway rather than
        // underflow.
        let ordered = |e: ByteEdit| ByteEdit { start: e.start.min(e.old_end), old_end: e.start.max(e.old_end), ..e };
        let (first, next) = (ordered(self), ordered(next));
        let start = first.start.min(next.start);
        // End of the union of both changed regions, in the text between the two edits.
        let mid_end = first.new_end().max(next.old_end);
        // Bytes after `first.new_end()` are unchanged by `first`, shifted by its length change.
        let old_end = mid_end + first.old_end - first.new_end();
        let new_end = mid_end + next.new_len - (next.old_end - next.start);
        ByteEdit { start, old_end, new_len: new_end - start }
    }
}
