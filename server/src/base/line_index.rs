//! The one line index: where lines start in a text, and byte offset ↔ (line, column).
//!
//! Lines end at `\n`, `\r\n` and a lone `\r`, as in LSP (and ropey with `cr_lines`), so a file
//! with old Mac or mixed line endings gets the same lines in the server and in `check`. Columns
//! are counted in the requested [`Encoding`]. The index does not keep the text: pass the same
//! text it was built from.

/// How columns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units (LSP's default).
    Utf16,
    /// Unicode scalar values (what people and SARIF's `unicodeCodePoints` count).
    Chars,
}

impl Encoding {
    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
            Encoding::Chars => 1,
        }
    }
}

/// A 0-based line and a 0-based column in some [`Encoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub col: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset of the start of every line; the first is 0. A text ending in a line break
    /// has an empty last line starting at its length.
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        // memchr-style scan: only `\r` and `\n` matter.
        while let Some(p) = bytes[i..].iter().position(|&b| b == b'\n' || b == b'\r') {
            let at = i + p;
            let next = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') { at + 2 } else { at + 1 };
            starts.push(next);
            i = next;
        }
        LineIndex { starts, len: text.len() }
    }

    /// Number of lines (at least 1; a trailing line break starts an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Length of the text the index was built from.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Byte offset where `line` starts, if the text has that line.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).copied()
    }

    /// Byte range of `line` including its line break.
    pub fn line_range(&self, line: usize) -> Option<std::ops::Range<usize>> {
        let start = self.line_start(line)?;
        Some(start..self.starts.get(line + 1).copied().unwrap_or(self.len))
    }

    /// The 0-based line holding byte `offset` (clamped to the text). An offset inside `\r\n`
    /// belongs to the line that break ends.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset.min(self.len)) - 1
    }

    /// Line and column of byte `offset`; an offset past the end or inside a character is
    /// moved back to the nearest character boundary.
    pub fn line_col(&self, text: &str, offset: usize, encoding: Encoding) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(self.len).min(text.len()));
        let line = self.line_of(offset);
        let start = self.starts[line].min(offset);
        let col = match encoding {
            Encoding::Utf8 => offset - start,
            _ => text[start..offset].chars().map(|c| encoding.width(c)).sum(),
        };
        LineCol { line, col }
    }

    /// Byte offset of (line, column). A line past the end gives the text's length; a column
    /// past the end of its line gives the end of the line (before its line break); a column
    /// inside a character gives that character's start.
    pub fn offset(&self, text: &str, pos: LineCol, encoding: Encoding) -> usize {
        let Some(range) = self.line_range(pos.line) else { return self.len.min(text.len()) };
        let line = &text[range.start..range.end.min(text.len())];
        let content = line.trim_end_matches(['\n', '\r']);
        let mut col = 0;
        for (i, c) in content.char_indices() {
            let w = encoding.width(c);
            if col + w > pos.col {
                return range.start + i;
            }
            col += w;
        }
        range.start + content.len()
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ropey::Rope;

    use super::*;

    fn lc(line: usize, col: usize) -> LineCol {
        LineCol { line, col }
    }

    #[test]
    fn every_line_ending_starts_a_line() {
        let text = "a\nb\r\nc\rd\r\r\ne\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.starts, vec![0, 2, 5, 7, 9, 11, 13]);
        assert_eq!(idx.line_col(text, text.find('d').unwrap(), Encoding::Chars), lc(3, 0));
        assert_eq!(idx.line_col(text, text.find('e').unwrap(), Encoding::Chars), lc(5, 0));
        // Between `\r` and `\n` of a CRLF: still the line that break ends.
        assert_eq!(idx.line_col(text, 4, Encoding::Utf8), lc(1, 2));
        assert_eq!(idx.line_count(), 7);
    }

    #[test]
    fn columns_in_each_encoding() {
        let text = "x: \u{e9}\u{1f600}z";
        let idx = LineIndex::new(text);
        let z = text.find('z').unwrap();
        assert_eq!(idx.line_col(text, z, Encoding::Utf8), lc(0, 9));
        assert_eq!(idx.line_col(text, z, Encoding::Utf16), lc(0, 6));
        assert_eq!(idx.line_col(text, z, Encoding::Chars), lc(0, 5));
        // Inside the emoji: its start.
        assert_eq!(idx.line_col(text, z - 2, Encoding::Chars), lc(0, 4));
        assert_eq!(idx.offset(text, lc(0, 5), Encoding::Utf16), z - 4);
        assert_eq!(idx.offset(text, lc(0, 99), Encoding::Utf16), text.len());
        assert_eq!(idx.offset(text, lc(7, 0), Encoding::Utf16), text.len());
    }

    fn mixed_text() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec!["a", "bc", " ", "\u{e9}", "\u{1f600}", "\n", "\r", "\r\n", "\n\r"]);
        prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn agrees_with_ropey(text in mixed_text()) {
            let rope = Rope::from_str(&text);
            let idx = LineIndex::new(&text);
            prop_assert_eq!(idx.line_count(), rope.len_lines());
            for line in 0..idx.line_count() {
                prop_assert_eq!(idx.line_start(line), Some(rope.line_to_byte(line)));
            }
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let line = rope.byte_to_line(offset);
                let ch = rope.byte_to_char(offset);
                let line_char = rope.line_to_char(line);
                let utf16 = rope.char_to_utf16_cu(ch) - rope.char_to_utf16_cu(line_char);
                prop_assert_eq!(idx.line_col(&text, offset, Encoding::Chars), lc(line, ch - line_char));
                prop_assert_eq!(idx.line_col(&text, offset, Encoding::Utf16), lc(line, utf16));
                prop_assert_eq!(idx.line_col(&text, offset, Encoding::Utf8), lc(line, offset - rope.line_to_byte(line)));
                // Back again, except inside a CRLF (no column addresses it).
                let in_crlf = offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n');
                if !in_crlf {
                    prop_assert_eq!(idx.offset(&text, lc(line, utf16), Encoding::Utf16), offset);
                }
            }
        }
    }
}
