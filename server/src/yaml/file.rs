use std::borrow::Cow;
use std::sync::Arc;

use super::parse::parse_document;
use super::split::split_documents;
use super::tree::*;

/// Read access to a file's text, so a rope need not be copied into a `String` on every edit.
pub trait TextSource {
    fn len(&self) -> usize;
    /// The text of `span`, which must lie on character boundaries (see `is_char_boundary`).
    fn slice(&self, span: Span) -> Cow<'_, str>;
    fn is_char_boundary(&self, offset: usize) -> bool;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl TextSource for str {
    fn len(&self) -> usize {
        str::len(self)
    }
    fn slice(&self, span: Span) -> Cow<'_, str> {
        Cow::Borrowed(&self[span.start..span.end])
    }
    fn is_char_boundary(&self, offset: usize) -> bool {
        str::is_char_boundary(self, offset)
    }
}

impl TextSource for String {
    fn len(&self) -> usize {
        self.as_str().len()
    }
    fn slice(&self, span: Span) -> Cow<'_, str> {
        Cow::Borrowed(&self[span.start..span.end])
    }
    fn is_char_boundary(&self, offset: usize) -> bool {
        self.as_str().is_char_boundary(offset)
    }
}

impl TextSource for ropey::Rope {
    fn len(&self) -> usize {
        self.len_bytes()
    }
    fn slice(&self, span: Span) -> Cow<'_, str> {
        self.byte_slice(span.start..span.end).into()
    }
    fn is_char_boundary(&self, offset: usize) -> bool {
        offset <= self.len_bytes() && self.char_to_byte(self.byte_to_char(offset)) == offset
    }
}

/// A YAML file as a list of independently parsed `---` documents.
#[derive(Clone, Debug, Default)]
pub struct YamlFile {
    slots: Vec<DocumentSlot>,
    parses: usize,
}

impl YamlFile {
    pub fn parse(text: &(impl TextSource + ?Sized)) -> YamlFile {
        let mut file = YamlFile::default();
        let whole = text.slice(Span::new(0, text.len()));
        for span in split_documents(&whole, 0) {
            let doc = parse_document(&whole[span.start..span.end], span.start == 0);
            file.parses += 1;
            file.slots.push(new_slot(span.start, doc, None));
        }
        file
    }

    /// Updates the model after bytes `start..old_end` of the previous text were replaced by
    /// `new_len` bytes; `text` is the whole new text. Only the documents the edit touches are
    /// re-parsed; the others keep their trees and only move.
    pub fn edit(&mut self, text: &(impl TextSource + ?Sized), start: usize, old_end: usize, new_len: usize) {
        if self.slots.is_empty() {
            *self = YamlFile { parses: self.parses, ..YamlFile::parse(text) };
            return;
        }
        let old_len = self.slots.last().map_or(0, |s| s.start + s.doc.len);
        let (start, old_end) = (start.min(old_len), old_end.clamp(start.min(old_len), old_len));
        let new_total = old_len - (old_end - start) + new_len;
        // An edit that splits a character cannot come from a real change: rebuild too.
        if new_total != text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(start + new_len) {
            // The caller's edit does not match the text: rebuild rather than guess.
            *self = YamlFile { parses: self.parses, ..YamlFile::parse(text) };
            return;
        }
        let slot_of = |off: usize| self.slots.partition_point(|s| s.start <= off).saturating_sub(1);
        // An edit on a document's `---` line may join it to the previous document (`---x`).
        let mut first = slot_of(start);
        if first > 0 {
            let s = &self.slots[first];
            // Bytes before the edit are unchanged, so this reads the old marker line.
            if !text.slice(Span::new(s.start, start)).contains('\n') {
                first -= 1;
            }
        }
        let mut last = slot_of(old_end);
        // Whether the file's first `---` opens a new document depends on the lines before it
        // (a preamble of comments and blank lines belongs to it): re-split the two together.
        if first == 0 && last + 1 < self.slots.len() {
            last += 1;
        }
        let region_start = self.slots[first].start;
        let region_old_end = self.slots[last].start + self.slots[last].doc.len;
        let region_new_end = region_old_end - (old_end - start) + new_len;
        if !text.is_char_boundary(region_new_end) {
            *self = YamlFile { parses: self.parses, ..YamlFile::parse(text) };
            return;
        }
        let region_text = text.slice(Span::new(region_start, region_new_end));
        let spans = split_documents(&region_text, region_start);

        let one_to_one = spans.len() == last - first + 1;
        let mut new_slots = Vec::with_capacity(spans.len());
        for (i, span) in spans.iter().enumerate() {
            let rel = Span::new(span.start - region_start, span.end - region_start);
            let doc = parse_document(&region_text[rel.start..rel.end], span.start == 0);
            self.parses += 1;
            let previous = if one_to_one { self.slots.get(first + i) } else { None };
            // Carry the last good tree only into the same document, grown or shrunk by the edit.
            let carried = previous.and_then(|p| {
                let good = p.good_tree()?;
                let p_end = p.start + p.doc.len;
                let same_doc = p.start == span.start
                    && p.start <= start
                    && old_end <= p_end
                    && p_end - (old_end - start) + new_len == span.end;
                if !same_doc {
                    return None;
                }
                map_through_edit(good, start - p.start, old_end - p.start, new_len).map(Arc::new)
            });
            new_slots.push(new_slot(span.start, doc, carried));
        }
        let shift = new_len as isize - (old_end - start) as isize;
        for slot in &mut self.slots[last + 1..] {
            slot.start = (slot.start as isize + shift) as usize;
        }
        self.slots.splice(first..=last, new_slots);
    }

    pub fn documents(&self) -> &[DocumentSlot] {
        &self.slots
    }

    /// The document containing `offset` (a cursor at the very end belongs to the last document).
    pub fn document_at(&self, offset: usize) -> Option<&DocumentSlot> {
        let i = self.slots.partition_point(|s| s.start <= offset);
        self.slots.get(i.checked_sub(1)?)
    }

    /// How many documents have been parsed since this model was created (for tests and benches).
    pub fn parse_count(&self) -> usize {
        self.parses
    }

    /// Every syntax-level diagnostic of the file, in absolute offsets.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut template_noted = false;
        self.slots
            .iter()
            .flat_map(|s| s.doc.diagnostics.iter().map(move |d| d.shifted(s.start)))
            // One note per file for templates: every document of a chart template has them.
            .filter(|d| d.code != "template" || !std::mem::replace(&mut template_noted, true))
            .collect()
    }
}

fn new_slot(start: usize, doc: ParsedDocument, carried: Option<Arc<Node>>) -> DocumentSlot {
    let last_good = if doc.complete { None } else { carried };
    DocumentSlot { start, doc: Arc::new(doc), last_good }
}

/// Maps a tree's spans through an edit that replaced `start..old_end` with `new_len` bytes.
/// Nodes that the edit cut into are dropped, so no surviving span points at the wrong text.
pub fn map_through_edit(node: &Node, start: usize, old_end: usize, new_len: usize) -> Option<Node> {
    let map_span = |sp: Span| -> Option<Span> {
        if sp.end <= start {
            Some(sp)
        } else if sp.start >= old_end {
            Some(Span::new(sp.start - old_end + start + new_len, sp.end - old_end + start + new_len))
        } else if sp.start < start && sp.end > old_end {
            Some(Span::new(sp.start, sp.end - old_end + start + new_len))
        } else {
            None
        }
    };
    let span = map_span(node.span)?;
    let kind = match &node.kind {
        NodeKind::Mapping(entries) => NodeKind::Mapping(
            entries
                .iter()
                .filter_map(|e| {
                    Some(Entry {
                        key: map_through_edit(&e.key, start, old_end, new_len)?,
                        value: map_through_edit(&e.value, start, old_end, new_len)?,
                    })
                })
                .collect::<Vec<_>>(),
        ),
        NodeKind::Sequence(items) => {
            NodeKind::Sequence(items.iter().filter_map(|i| map_through_edit(i, start, old_end, new_len)).collect())
        }
        // A scalar the edit touched no longer holds the value the tree says.
        _ if node.span.end > start && node.span.start < old_end.max(start + 1) => return None,
        other => other.clone(),
    };
    Some(Node { span, kind, props: node.props.clone() })
}
