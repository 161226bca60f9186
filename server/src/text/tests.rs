use proptest::prelude::*;
use ropey::Rope;

use super::*;

use PositionEncoding::{Utf8, Utf16};

// A plain-string model of positions, written independently of the rope code.

/// `(start, content_end, next_start)` of every line; the last line ends at the text's end.
fn model_lines(s: &str) -> Vec<(usize, usize, usize)> {
    let b = s.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                lines.push((start, i, i + 2));
                i += 2;
                start = i;
            }
            b'\n' | b'\r' => {
                lines.push((start, i, i + 1));
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    lines.push((start, b.len(), b.len()));
    lines
}

fn units(c: char, enc: PositionEncoding) -> usize {
    match enc {
        Utf8 => c.len_utf8(),
        Utf16 => c.len_utf16(),
    }
}

fn model_to_offset(s: &str, pos: Position, enc: PositionEncoding) -> usize {
    let lines = model_lines(s);
    let Some(&(start, content_end, _)) = lines.get(pos.line as usize) else {
        return s.len();
    };
    let mut seen = 0;
    for (i, c) in s[start..content_end].char_indices() {
        seen += units(c, enc);
        if seen > pos.character as usize {
            return start + i;
        }
    }
    content_end
}

fn model_to_position(s: &str, offset: usize, enc: PositionEncoding) -> Position {
    let mut offset = offset.min(s.len());
    while !s.is_char_boundary(offset) {
        offset -= 1;
    }
    let lines = model_lines(s);
    let line = lines.iter().position(|&(_, _, next)| offset < next).unwrap_or(lines.len() - 1);
    let (start, content_end, _) = lines[line];
    let character = s[start..offset.min(content_end)].chars().map(|c| units(c, enc)).sum::<usize>();
    Position::new(line as u32, character as u32)
}

fn floor_boundary(s: &str, mut offset: usize) -> usize {
    while !s.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

const PIECES: &[&str] = &["a", "b", " ", "key: ", "é", "😀", "中文", "e\u{301}", "\r\n", "\n", "\r", "\t", "-"];

fn text_strategy(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..max).prop_map(|v| v.concat())
}

fn position_strategy() -> impl Strategy<Value = Position> {
    (0u32..10, 0u32..16).prop_map(|(l, c)| Position::new(l, c))
}

fn encoding_strategy() -> impl Strategy<Value = PositionEncoding> {
    prop_oneof![Just(Utf8), Just(Utf16)]
}

/// Applies a byte edit to a string and checks the edit describes the change exactly.
fn check_byte_edit(old: &str, new: &str, edit: ByteEdit, inserted: &str) {
    assert_eq!(edit.new_len, inserted.len());
    let rebuilt = format!("{}{}{}", &old[..edit.start], inserted, &old[edit.old_end..]);
    assert_eq!(rebuilt, new);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn conversions_match_model(text in text_strategy(40), offsets in prop::collection::vec(0usize..200, 8),
                               positions in prop::collection::vec(position_strategy(), 8)) {
        let rope = Rope::from_str(&text);
        for enc in [Utf8, Utf16] {
            for &o in &offsets {
                prop_assert_eq!(offset_to_position(&rope, o, enc), model_to_position(&text, o, enc));
            }
            for &p in &positions {
                prop_assert_eq!(position_to_offset(&rope, p, enc), model_to_offset(&text, p, enc));
            }
        }
    }

    #[test]
    fn offsets_round_trip(text in text_strategy(40), o in 0usize..200) {
        let rope = Rope::from_str(&text);
        let o = floor_boundary(&text, o.min(text.len()));
        // The only offsets without a position of their own are between `\r` and `\n`.
        prop_assume!(!(o > 0 && text.as_bytes()[o - 1] == b'\r' && text.as_bytes().get(o) == Some(&b'\n')));
        for enc in [Utf8, Utf16] {
            let p = offset_to_position(&rope, o, enc);
            prop_assert_eq!(position_to_offset(&rope, p, enc), o);
        }
    }

    /// Raw positions, often out of range or inside a character, clamp the same way as the model.
    #[test]
    fn random_position_edits_match_string(
        enc in encoding_strategy(),
        initial in text_strategy(30),
        edits in prop::collection::vec((position_strategy(), position_strategy(), text_strategy(4)), 1..30),
    ) {
        let mut doc = Document::new(&initial, 0, enc);
        let mut model = initial.clone();
        for (a, b, inserted) in edits {
            let (x, y) = (model_to_offset(&model, a, enc), model_to_offset(&model, b, enc));
            let (start, end) = (x.min(y), x.max(y));
            let old = model.clone();
            model.replace_range(start..end, &inserted);
            let edit = doc.apply_change(Some(Range::new(a, b)), &inserted);
            check_byte_edit(&old, &model, edit, &inserted);
            prop_assert_eq!(doc.text(), model.as_str());
        }
    }

    /// The same edits, expressed once in UTF-8 and once in UTF-16 positions, give the same text.
    #[test]
    fn byte_edits_through_both_encodings(
        initial in text_strategy(30),
        edits in prop::collection::vec((0usize..200, 0usize..8, text_strategy(4), any::<bool>()), 1..30),
    ) {
        let mut utf8 = Document::new(&initial, 0, Utf8);
        let mut utf16 = Document::new(&initial, 0, Utf16);
        let mut model = initial.clone();
        for (at, len, inserted, full) in edits {
            if full {
                model = inserted.clone();
                utf8.apply_change(None, &inserted);
                utf16.apply_change(None, &inserted);
            } else {
                let start = floor_boundary(&model, at.min(model.len()));
                let end = floor_boundary(&model, (start + len).min(model.len()));
                let range = |enc| Range::new(model_to_position(&model, start, enc), model_to_position(&model, end, enc));
                let (r8, r16) = (range(Utf8), range(Utf16));
                // Inside a CRLF pair the position clamps back before the `\r`.
                let start = model_to_offset(&model, r8.start, Utf8);
                let end = model_to_offset(&model, r8.end, Utf8);
                let old = model.clone();
                model.replace_range(start..end, &inserted);
                check_byte_edit(&old, &model, utf8.apply_change(Some(r8), &inserted), &inserted);
                check_byte_edit(&old, &model, utf16.apply_change(Some(r16), &inserted), &inserted);
            }
            prop_assert_eq!(utf8.text(), model.as_str());
            prop_assert_eq!(utf16.text(), model.as_str());
        }
    }

    /// A chain of edits folded with `then` describes the whole change.
    #[test]
    fn composed_edits_cover_the_change(
        initial in text_strategy(30),
        edits in prop::collection::vec((0usize..200, 0usize..8, text_strategy(4)), 1..20),
    ) {
        let mut text = initial.clone();
        let mut composed: Option<ByteEdit> = None;
        for (at, len, inserted) in edits {
            let start = floor_boundary(&text, at.min(text.len()));
            let end = floor_boundary(&text, (start + len).min(text.len()));
            text.replace_range(start..end, &inserted);
            let edit = ByteEdit::new(start, end, inserted.len());
            composed = Some(composed.map_or(edit, |c| c.then(edit)));
        }
        let c = composed.unwrap();
        prop_assert!(c.old_end <= initial.len() && c.new_end() <= text.len());
        let rebuilt = format!("{}{}{}", &initial[..c.start], &text[c.start..c.new_end()], &initial[c.old_end..]);
        prop_assert_eq!(rebuilt, text);
    }
}

#[test]
fn only_lsp_line_breaks_count() {
    // Fails if ropey's `unicode_lines` feature is enabled somewhere in the build.
    let rope = Rope::from_str("a\u{2028}b\u{85}c\u{c}d\re\r\nf\ng");
    assert_eq!(rope.len_lines(), 4);
}

#[test]
fn emoji_line_in_both_encodings() {
    let text = "a: 😀x\nb: 1\n";
    let rope = Rope::from_str(text);
    let x = text.find('x').unwrap();
    assert_eq!(offset_to_position(&rope, x, Utf8), Position::new(0, 7));
    assert_eq!(offset_to_position(&rope, x, Utf16), Position::new(0, 5));
    // Inside the surrogate pair / the UTF-8 sequence rounds down to the emoji.
    assert_eq!(position_to_offset(&rope, Position::new(0, 4), Utf16), 3);
    assert_eq!(position_to_offset(&rope, Position::new(0, 5), Utf8), 3);
}

#[test]
fn clamping() {
    let text = "ab\r\ncd\n";
    let rope = Rope::from_str(text);
    for enc in [Utf8, Utf16] {
        // Past the line end (including "between \r and \n") means the line end.
        assert_eq!(position_to_offset(&rope, Position::new(0, 3), enc), 2);
        assert_eq!(position_to_offset(&rope, Position::new(0, 99), enc), 2);
        // The empty line after the final break exists; anything past it is the end.
        assert_eq!(position_to_offset(&rope, Position::new(2, 0), enc), text.len());
        assert_eq!(position_to_offset(&rope, Position::new(7, 3), enc), text.len());
        // The offset of `\n` in the CRLF pair maps before the `\r`.
        assert_eq!(offset_to_position(&rope, 3, enc), Position::new(0, 2));
        assert_eq!(offset_to_position(&rope, 99, enc), Position::new(2, 0));
    }
}

#[test]
fn crlf_document_round_trips() {
    let mut doc = Document::new("a: 1\r\nb: 2\r\n", 1, Utf16);
    let edit = doc.apply_change(Some(Range::new(Position::new(1, 3), Position::new(1, 4))), "中文");
    assert_eq!(edit, ByteEdit::new(9, 10, 6));
    assert_eq!(doc.text(), "a: 1\r\nb: 中文\r\n");
    let edit = doc.apply_change(Some(Range::new(Position::new(0, 4), Position::new(1, 0))), "");
    assert_eq!(edit, ByteEdit::new(4, 6, 0));
    assert_eq!(doc.text(), "a: 1b: 中文\r\n");
    let edit = doc.apply_change(None, "x");
    assert_eq!(edit, ByteEdit::new(0, 15, 1));
}

#[test]
fn reversed_range_is_swapped() {
    let mut doc = Document::new("hello", 1, Utf8);
    doc.apply_change(Some(Range::new(Position::new(0, 4), Position::new(0, 1))), "");
    assert_eq!(doc.text(), "ho");
}

#[test]
fn extreme_positions_and_offsets_clamp() {
    for text in ["", "a", "ab\r\ncd\n", "😀\r"] {
        let rope = Rope::from_str(text);
        for enc in [Utf8, Utf16] {
            for pos in [Position::new(u32::MAX, u32::MAX), Position::new(0, u32::MAX), Position::new(u32::MAX, 0)] {
                let off = position_to_offset(&rope, pos, enc);
                assert!(off <= text.len() && text.is_char_boundary(off), "{text:?} {pos:?}");
            }
            assert_eq!(offset_to_position(&rope, usize::MAX, enc), offset_to_position(&rope, text.len(), enc));
            let mut doc = Document::new(text, 1, enc);
            let _ = doc.range(usize::MAX, 0);
            assert_eq!(doc.line_of(usize::MAX) as usize, rope.len_lines() - 1);
            let far = Position::new(u32::MAX, u32::MAX);
            let edit = doc.apply_change(Some(Range::new(far, Position::new(0, 0))), "x");
            assert_eq!(edit, ByteEdit::new(0, text.len(), 1));
            assert_eq!(doc.text(), "x");
        }
    }
}

#[test]
fn composing_a_reversed_edit_does_not_underflow() {
    let composed = ByteEdit::new(5, 2, 1).then(ByteEdit::new(9, 0, 0));
    assert_eq!(composed, ByteEdit::new(2, 5, 1).then(ByteEdit::new(0, 9, 0)));
}
