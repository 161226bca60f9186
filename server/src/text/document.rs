use ropey::Rope;

use super::{ByteEdit, Position, PositionEncoding, Range, offset_to_position, position_to_offset};

/// The text of an open document. Cloning is cheap (the rope shares its chunks).
#[derive(Clone, Debug)]
pub struct Document {
    pub rope: Rope,
    pub version: i32,
    /// How the positions passed to and returned by this document are counted.
    pub encoding: PositionEncoding,
}

impl Document {
    pub fn new(text: &str, version: i32, encoding: PositionEncoding) -> Self {
        Document { rope: Rope::from_str(text), version, encoding }
    }

    /// Replaces `range` (the whole text when `None`) by `text` and returns the byte edit.
    /// Out-of-range positions are clamped (see the module documentation); a reversed range is
    /// treated as if its ends were swapped.
    pub fn apply_change(&mut self, range: Option<Range>, text: &str) -> ByteEdit {
        let (start, old_end) = match range {
            None => (0, self.rope.len_bytes()),
            Some(range) => {
                let a = self.position_to_offset(range.start);
                let b = self.position_to_offset(range.end);
                (a.min(b), a.max(b))
            }
        };
        // Offsets from `position_to_offset` are always on char boundaries.
        let start_char = self.rope.byte_to_char(start);
        let end_char = self.rope.byte_to_char(old_end);
        self.rope.remove(start_char..end_char);
        self.rope.insert(start_char, text);
        ByteEdit::new(start, old_end, text.len())
    }

    pub fn offset_to_position(&self, offset: usize) -> Position {
        offset_to_position(&self.rope, offset, self.encoding)
    }

    pub fn position_to_offset(&self, position: Position) -> usize {
        position_to_offset(&self.rope, position, self.encoding)
    }

    /// The range of a byte span, for diagnostics and symbols.
    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.offset_to_position(start), self.offset_to_position(end))
    }

    /// The line of a byte offset (clamped to the document).
    pub fn line_of(&self, offset: usize) -> u32 {
        let offset = offset.min(self.rope.len_bytes());
        u32::try_from(self.rope.byte_to_line(offset)).unwrap_or(u32::MAX)
    }

    pub fn len(&self) -> usize {
        self.rope.len_bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.rope.len_bytes() == 0
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }
}
