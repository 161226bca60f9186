use crate::yaml::{Span, YamlFile};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A `---` document (a Kubernetes resource when it has `kind`).
    Document,
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// Absolute byte range of the whole symbol.
    pub span: Span,
    /// Absolute byte range of the part to reveal (the key, or the `kind` value).
    pub selection: Span,
    pub children: Vec<Symbol>,
}

/// One symbol per document, named `Kind name` (`Kind namespace/name`), children for its top-level keys.
pub fn document_symbols(file: &YamlFile) -> Vec<Symbol> {
    let _ = file;
    Vec::new()
}

/// A foldable region in absolute byte offsets (the edge turns it into lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub span: Span,
    pub is_comment: bool,
}

pub fn folding_ranges(file: &YamlFile) -> Vec<Fold> {
    let _ = file;
    Vec::new()
}
