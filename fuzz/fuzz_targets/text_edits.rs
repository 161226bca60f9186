//! Random edit sequences applied to `text::Document` against a `String` model, in UTF-8 and
//! UTF-16 positions, plus the YAML model kept up to date incrementally against a fresh parse.
#![no_main]

use gitops_ls::text::{Document, Position, PositionEncoding, Range};
use gitops_ls::yaml::YamlFile;
use libfuzzer_sys::fuzz_target;

/// `(start, content_end)` of each line, split at `\n`, `\r\n` and `\r` as LSP does; the last
/// line (possibly empty) ends at the text's end.
fn lines(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let (mut out, mut start, mut i) = (Vec::new(), 0, 0);
    while i < b.len() {
        if b[i] == b'\n' || b[i] == b'\r' {
            out.push((start, i));
            i += if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            start = i;
        } else {
            i += 1;
        }
    }
    out.push((start, b.len()));
    out
}

/// The model's byte offset of a position: lines past the end clamp to the end of the text,
/// characters past a line's content to its end, and the middle of a character to its start.
fn model_offset(s: &str, p: Position, enc: PositionEncoding) -> usize {
    let ls = lines(s);
    let Some(&(start, end)) = ls.get(p.line as usize) else { return s.len() };
    let mut units = 0usize;
    for (i, c) in s[start..end].char_indices() {
        let w = match enc {
            PositionEncoding::Utf8 => c.len_utf8(),
            PositionEncoding::Utf16 => c.len_utf16(),
        };
        if units + w > p.character as usize {
            return start + i;
        }
        units += w;
    }
    end
}

struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }
    fn num(&mut self, max: u32) -> Option<u32> {
        let v = u32::from(self.byte()?) | u32::from(self.byte()?) << 8;
        Some(if max == 0 { v } else { v % max })
    }
    /// A short insertion drawn from characters that matter: line breaks, multi-byte and
    /// astral characters, YAML punctuation.
    fn text(&mut self) -> Option<String> {
        const PIECES: [&str; 16] =
            ["\n", "\r\n", "\r", "é", "😀", "a", "key: v", "- ", "---\n", "  ", ":", "#", "\"", "[", "{", "\t"];
        let n = self.byte()? % 6;
        (0..n).map(|_| self.byte().map(|b| PIECES[usize::from(b) % PIECES.len()])).collect()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data };
    let Some(flags) = input.byte() else { return };
    let enc = if flags & 1 == 0 { PositionEncoding::Utf8 } else { PositionEncoding::Utf16 };
    let mut model = input.text().unwrap_or_default();
    let mut doc = Document::new(&model, 0, enc);
    let mut yaml = YamlFile::parse(model.as_str());
    let mut version = 0;
    while let Some(kind) = input.byte() {
        let line_count = lines(&model).len() as u32;
        // Mostly valid positions, sometimes far past the end (huge lines and characters).
        let pos = |input: &mut Input| -> Option<Position> {
            let line = if kind & 0x10 != 0 { input.num(0)? * 1000 } else { input.num(line_count + 1)? };
            let character = if kind & 0x20 != 0 { u32::MAX - input.num(0)? } else { input.num(40)? };
            Some(Position::new(line, character))
        };
        let (range, text) = if kind & 0x0f == 0 {
            (None, input.text().unwrap_or_default())
        } else {
            let (Some(a), Some(b)) = (pos(&mut input), pos(&mut input)) else { break };
            (Some(Range::new(a, b)), input.text().unwrap_or_default())
        };
        let (start, end) = match range {
            None => (0, model.len()),
            Some(r) => {
                let (a, b) = (model_offset(&model, r.start, enc), model_offset(&model, r.end, enc));
                (a.min(b), a.max(b))
            }
        };
        let edit = doc.apply_change(range, &text);
        assert_eq!((edit.start, edit.old_end, edit.new_len), (start, end, text.len()), "{range:?} on {model:?}");
        model.replace_range(start..end, &text);
        version += 1;
        doc.version = version;
        assert_eq!(doc.text(), model);

        // Positions round-trip at every character boundary that is not inside a CRLF.
        for (off, _) in model.char_indices().chain([(model.len(), ' ')]) {
            if off > 0 && model.as_bytes()[off - 1] == b'\r' && model.as_bytes().get(off) == Some(&b'\n') {
                continue;
            }
            let p = doc.offset_to_position(off);
            assert_eq!(doc.position_to_offset(p), off, "offset {off} -> {p:?} in {model:?}");
            assert_eq!(model_offset(&model, p, enc), off);
        }

        yaml.edit(&doc.rope, edit.start, edit.old_end, edit.new_len);
        let fresh = YamlFile::parse(model.as_str());
        assert_eq!(yaml.diagnostics(), fresh.diagnostics(), "incremental vs fresh on {model:?}");
        let spans = |f: &YamlFile| f.documents().iter().map(|s| (s.span(), s.doc.root.clone())).collect::<Vec<_>>();
        assert_eq!(spans(&yaml), spans(&fresh), "incremental vs fresh on {model:?}");
    }
});
