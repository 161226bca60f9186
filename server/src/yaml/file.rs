use std::borrow::Cow;
use std::sync::Arc;

use super::tree::*;

/// Read access to a file's text, so a rope need not be copied into a `String` on every edit.
pub trait TextSource {
    fn len(&self) -> usize;
    fn slice(&self, span: Span) -> Cow<'_, str>;
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
}

impl TextSource for ropey::Rope {
    fn len(&self) -> usize {
        self.len_bytes()
    }
    fn slice(&self, span: Span) -> Cow<'_, str> {
        self.byte_slice(span.start..span.end).into()
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
        for span in super::split::split_documents(&whole, 0) {
            let doc = super::parse::parse_document(&whole[span.start..span.end], span.start == 0);
            file.parses += 1;
            file.slots.push(DocumentSlot {
                start: span.start,
                last_good: doc.root.clone().filter(|_| doc.complete).map(Arc::new),
                doc: Arc::new(doc),
            });
        }
        file
    }

    /// Updates the model after bytes `start..old_end` of the previous text were replaced by
    /// `new_len` bytes; `text` is the whole new text. Only documents the edit touches are re-parsed.
    pub fn edit(
        &mut self,
        text: &(impl TextSource + ?Sized),
        start: usize,
        old_end: usize,
        new_len: usize,
    ) {
        let _ = (start, old_end, new_len);
        *self = YamlFile {
            parses: self.parses,
            ..YamlFile::parse(text)
        };
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
        self.slots
            .iter()
            .flat_map(|s| {
                s.doc.diagnostics.iter().map(move |d| Diagnostic {
                    span: d.span.shift(s.start),
                    ..d.clone()
                })
            })
            .collect()
    }
}
