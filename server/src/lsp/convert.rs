//! Conversions between core types (byte offsets, plain positions) and protocol types.

use tower_lsp_server::ls_types as lsp;

use super::session::Snapshot;
use crate::analysis::{self, Fold, FoldKind, ItemKind, Symbol};
use crate::schema::SchemaStore;
use crate::text::{self, Document, PositionEncoding};
use crate::yaml::{self, Severity, Span};

pub fn position(p: text::Position) -> lsp::Position {
    lsp::Position::new(p.line, p.character)
}

pub fn range(r: text::Range) -> lsp::Range {
    lsp::Range::new(position(r.start), position(r.end))
}

pub fn from_position(p: lsp::Position) -> text::Position {
    text::Position::new(p.line, p.character)
}

pub fn from_range(r: lsp::Range) -> text::Range {
    text::Range::new(from_position(r.start), from_position(r.end))
}

fn span_range(doc: &Document, span: Span) -> lsp::Range {
    range(doc.range(span.start, span.end))
}

/// UTF-8 when the client offers it (no conversion cost), else the mandatory UTF-16.
pub fn negotiate_encoding(offered: Option<&[lsp::PositionEncodingKind]>) -> PositionEncoding {
    match offered {
        Some(kinds) if kinds.contains(&lsp::PositionEncodingKind::UTF8) => PositionEncoding::Utf8,
        _ => PositionEncoding::Utf16,
    }
}

pub fn encoding_kind(encoding: PositionEncoding) -> lsp::PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
    }
}

pub fn diagnostic(doc: &Document, d: &yaml::Diagnostic) -> lsp::Diagnostic {
    let severity = match d.severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    };
    lsp::Diagnostic {
        range: span_range(doc, d.span),
        severity: Some(severity),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        source: Some("gitops-ls".to_string()),
        message: d.message.clone(),
        ..Default::default()
    }
}

pub fn diagnostics(snap: &Snapshot, found: &[yaml::Diagnostic]) -> Vec<lsp::Diagnostic> {
    found.iter().map(|d| diagnostic(&snap.doc, d)).collect()
}

/// Quick fixes for the diagnostics that overlap `range`.
pub fn code_actions(snap: &Snapshot, found: &[yaml::Diagnostic], range: lsp::Range) -> Vec<lsp::CodeActionOrCommand> {
    let start = snap.doc.position_to_offset(from_position(range.start));
    let end = snap.doc.position_to_offset(from_position(range.end));
    let mut out = Vec::new();
    for d in found.iter().filter(|d| d.span.start <= end && start <= d.span.end) {
        for (i, fix) in d.fixes.iter().enumerate() {
            let edits = fix
                .edits
                .iter()
                .map(|e| lsp::TextEdit { range: span_range(&snap.doc, e.span), new_text: e.new_text.clone() })
                .collect();
            let mut changes = std::collections::HashMap::new();
            changes.insert(snap.uri.clone(), edits);
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: fix.title.clone(),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic(&snap.doc, d)]),
                edit: Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }),
                is_preferred: Some(i == 0),
                ..Default::default()
            }));
        }
    }
    out
}

fn symbol_kind(kind: analysis::SymbolKind) -> lsp::SymbolKind {
    use analysis::SymbolKind as K;
    match kind {
        K::Document => lsp::SymbolKind::MODULE,
        K::Object => lsp::SymbolKind::OBJECT,
        K::Array => lsp::SymbolKind::ARRAY,
        K::String => lsp::SymbolKind::STRING,
        K::Number => lsp::SymbolKind::NUMBER,
        K::Boolean => lsp::SymbolKind::BOOLEAN,
        K::Null => lsp::SymbolKind::NULL,
    }
}

fn document_symbol(doc: &Document, s: &Symbol) -> lsp::DocumentSymbol {
    // `deprecated` is superseded by `tags` but still a field of the struct.
    #[allow(deprecated)]
    lsp::DocumentSymbol {
        // Clients reject empty names.
        name: if s.name.is_empty() { "\"\"".to_string() } else { s.name.clone() },
        detail: s.detail.clone(),
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: span_range(doc, s.span),
        selection_range: span_range(doc, s.selection),
        children: (!s.children.is_empty()).then(|| s.children.iter().map(|c| document_symbol(doc, c)).collect()),
    }
}

pub fn document_symbols(snap: &Snapshot) -> Vec<lsp::DocumentSymbol> {
    analysis::document_symbols(&snap.yaml).iter().map(|s| document_symbol(&snap.doc, s)).collect()
}

/// A fold from the line of its first byte to the line of its last byte that is not a line
/// break; folds that end on their first line are dropped.
pub fn folding_range(doc: &Document, fold: &Fold) -> Option<lsp::FoldingRange> {
    let start = fold.span.start.min(doc.len());
    let mut end = fold.span.end.min(doc.len());
    while end > start && matches!(doc.rope.byte(end - 1), b'\n' | b'\r') {
        end -= 1;
    }
    if end == start {
        return None;
    }
    let (start_line, end_line) = (doc.line_of(start), doc.line_of(end - 1));
    (end_line > start_line).then(|| lsp::FoldingRange {
        start_line,
        end_line,
        kind: (fold.kind == FoldKind::Comment).then_some(lsp::FoldingRangeKind::Comment),
        ..Default::default()
    })
}

pub fn folding_ranges(snap: &Snapshot) -> Vec<lsp::FoldingRange> {
    analysis::folding_ranges(&snap.yaml).iter().filter_map(|f| folding_range(&snap.doc, f)).collect()
}

pub fn hover(snap: &Snapshot, store: &SchemaStore, position: lsp::Position) -> Option<lsp::Hover> {
    let offset = snap.doc.position_to_offset(from_position(position));
    hover_result(snap, analysis::hover(&snap.yaml, &snap.doc.rope, offset, store)?)
}

pub fn hover_result(snap: &Snapshot, hover: analysis::Hover) -> Option<lsp::Hover> {
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: hover.markdown,
        }),
        range: Some(span_range(&snap.doc, hover.span)),
    })
}

fn completion_kind(kind: ItemKind) -> lsp::CompletionItemKind {
    match kind {
        ItemKind::Property => lsp::CompletionItemKind::PROPERTY,
        ItemKind::Value => lsp::CompletionItemKind::VALUE,
        ItemKind::EnumMember => lsp::CompletionItemKind::ENUM_MEMBER,
        ItemKind::Snippet => lsp::CompletionItemKind::SNIPPET,
        ItemKind::Module => lsp::CompletionItemKind::MODULE,
        ItemKind::Class => lsp::CompletionItemKind::CLASS,
    }
}

/// `snippets`: the client accepts snippet syntax; otherwise placeholders become their defaults.
pub fn completion(
    snap: &Snapshot,
    store: &SchemaStore,
    position: lsp::Position,
    snippets: bool,
) -> lsp::CompletionList {
    let offset = snap.doc.position_to_offset(from_position(position));
    let completion = analysis::completion(&snap.yaml, &snap.doc.rope, offset, store);
    completion_list(snap, completion, snippets)
}

/// A core completion list as the protocol's.
pub fn completion_list(snap: &Snapshot, completion: analysis::Completion, snippets: bool) -> lsp::CompletionList {
    let items = completion
        .items
        .into_iter()
        .map(|item| {
            let (new_text, format) = match (item.is_snippet, snippets) {
                (true, true) => (item.insert_text, lsp::InsertTextFormat::SNIPPET),
                (true, false) => {
                    (analysis::completion::snippet_to_plain(&item.insert_text), lsp::InsertTextFormat::PLAIN_TEXT)
                }
                (false, _) => (item.insert_text, lsp::InsertTextFormat::PLAIN_TEXT),
            };
            lsp::CompletionItem {
                label: item.label,
                kind: Some(completion_kind(item.kind)),
                detail: item.detail,
                documentation: item.documentation.map(|value| {
                    lsp::Documentation::MarkupContent(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value })
                }),
                sort_text: item.sort_text,
                filter_text: item.filter_text,
                insert_text_format: Some(format),
                // Continuation lines already carry their absolute indentation.
                insert_text_mode: Some(lsp::InsertTextMode::AS_IS),
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                    range: span_range(&snap.doc, item.replace),
                    new_text,
                })),
                ..Default::default()
            }
        })
        .collect();
    lsp::CompletionList { is_incomplete: completion.is_incomplete, items }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(start: usize, end: usize) -> Fold {
        Fold { span: Span::new(start, end), kind: FoldKind::Region }
    }

    #[test]
    fn folds_end_on_the_last_non_newline_byte() {
        let doc = Document::new("a:\r\n  b: 1\r\n\r\nc: 2\n", 1, PositionEncoding::Utf16);
        let r = folding_range(&doc, &fold(0, 14)).unwrap();
        assert_eq!((r.start_line, r.end_line), (0, 1));
        assert!(folding_range(&doc, &fold(0, 4)).is_none());
        let r = folding_range(&doc, &fold(0, 999)).unwrap();
        assert_eq!((r.start_line, r.end_line), (0, 3));
    }

    #[test]
    fn negotiation_prefers_utf8() {
        use lsp::PositionEncodingKind as K;
        assert_eq!(negotiate_encoding(Some(&[K::UTF16, K::UTF8])), PositionEncoding::Utf8);
        assert_eq!(negotiate_encoding(Some(&[K::UTF32, K::UTF16])), PositionEncoding::Utf16);
        assert_eq!(negotiate_encoding(None), PositionEncoding::Utf16);
    }
}
