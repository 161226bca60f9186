use ropey::{Rope, RopeSlice};

use super::{Position, PositionEncoding};

/// Converts a byte offset into a position. Offsets past the end are clamped to the end, an
/// offset inside a character to that character's start, and an offset inside a line break
/// (between `\r` and `\n`) to the end of the line's content.
pub fn offset_to_position(rope: &Rope, offset: usize, encoding: PositionEncoding) -> Position {
    let offset = offset.min(rope.len_bytes());
    let char_idx = rope.byte_to_char(offset);
    let line = rope.char_to_line(char_idx);
    let line_start = rope.line_to_char(line);
    let content_end = line_start + content_len_chars(rope.line(line));
    let char_idx = char_idx.min(content_end);
    let character = match encoding {
        PositionEncoding::Utf8 => rope.char_to_byte(char_idx) - rope.char_to_byte(line_start),
        PositionEncoding::Utf16 => rope.char_to_utf16_cu(char_idx) - rope.char_to_utf16_cu(line_start),
    };
    Position { line: saturate(line), character: saturate(character) }
}

/// Converts a position into a byte offset, clamping as the module documentation describes.
pub fn position_to_offset(rope: &Rope, position: Position, encoding: PositionEncoding) -> usize {
    let line = position.line as usize;
    // `len_lines` counts the empty line after a final line break, which is a valid position.
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let line_start = rope.line_to_char(line);
    let content_end = line_start + content_len_chars(rope.line(line));
    let character = position.character as usize;
    let char_idx = match encoding {
        PositionEncoding::Utf8 => {
            let target = rope.char_to_byte(line_start) + character;
            if target >= rope.char_to_byte(content_end) { content_end } else { rope.byte_to_char(target) }
        }
        PositionEncoding::Utf16 => {
            let target = rope.char_to_utf16_cu(line_start) + character;
            if target >= rope.char_to_utf16_cu(content_end) { content_end } else { rope.utf16_cu_to_char(target) }
        }
    };
    rope.char_to_byte(char_idx)
}

/// Number of chars of a line without its line break.
fn content_len_chars(line: RopeSlice<'_>) -> usize {
    let len = line.len_chars();
    let ends_with = |c: char| len > 0 && line.char(len - 1) == c;
    if ends_with('\n') {
        if len > 1 && line.char(len - 2) == '\r' { len - 2 } else { len - 1 }
    } else if ends_with('\r') {
        len - 1
    } else {
        len
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
