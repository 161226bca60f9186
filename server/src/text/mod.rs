//! Document text: rope, versions, position encodings, applying edits.
//!
//! Everything here is plain Rust: positions are `(line, character)` pairs counted in the
//! negotiated [`PositionEncoding`], offsets are bytes. Only `lsp/` converts to protocol types.
//!
//! Lines are separated by `\n`, `\r\n` or `\r`, exactly as the LSP specification says. Ropey's
//! `unicode_lines` feature must stay off (it would also break lines at U+2028 and friends);
//! a test below catches it if the feature gets unified in.
//!
//! Clamping rules (the same for both encodings):
//! - a line past the last line means the end of the document;
//! - a character past the end of a line's content means the end of that content, i.e. just
//!   before its line break — so a position can never point between the `\r` and `\n` of a
//!   CRLF pair, nor after a line break;
//! - a character in the middle of a character (inside a UTF-16 surrogate pair or a UTF-8
//!   sequence) is rounded down to the start of that character.

mod document;
mod edit;
mod position;

pub use document::Document;
pub use edit::ByteEdit;
pub use position::{offset_to_position, position_to_offset};

/// How the `character` of a position is counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PositionEncoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units (the LSP default).
    #[default]
    Utf16,
}

/// A zero-based line and a character offset within it, in some [`PositionEncoding`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub character: u32,
}

impl Position {
    pub const fn new(line: u32, character: u32) -> Self {
        Position { line, character }
    }
}

/// A half-open range of positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Range {
    pub start: Position,
    pub end: Position,
}

impl Range {
    pub const fn new(start: Position, end: Position) -> Self {
        Range { start, end }
    }
}

#[cfg(test)]
mod tests;
