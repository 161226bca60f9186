//! Conversions between core types (byte offsets, plain positions) and protocol types.

use tower_lsp_server::ls_types as lsp;

use super::session::Snapshot;
use crate::analysis::{self, Fold, FoldKind, ItemKind, Symbol};
use crate::schema::SchemaStore;
use crate::text::{self, Document, PositionEncoding};
use crate::yaml::{self, Severity, Span};

/// Most symbols in one `documentSymbol` answer: whole levels of the outline are kept while
/// they fit, deeper ones are counted in their parent's detail.
pub const MAX_SYMBOLS: usize = 10_000;
/// Deepest outline level listed.
pub const MAX_SYMBOL_DEPTH: usize = 16;
/// Most folding ranges in one answer (VS Code itself shows at most 5,000 by default).
pub const MAX_FOLDING_RANGES: usize = 5_000;
/// Most quick fixes in one `codeAction` answer.
pub const MAX_CODE_ACTIONS: usize = 100;
/// Most diagnostics published for one document; the rest are counted in a last one.
pub const MAX_DIAGNOSTICS: usize = 1_000;

/// The local path behind a `file:` URI; `None` for other schemes, remote hosts, relative
/// paths and percent-encoding that does not decode to UTF-8. (The URI type's own
/// `to_file_path` ignores the scheme: `https://host/a.yaml` would become `/a.yaml`.)
pub fn file_path(uri: &lsp::Uri) -> Option<std::path::PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    if uri.authority().is_some_and(|a| !a.host().is_empty() && !a.host().eq_ignore_ascii_case("localhost")) {
        return None;
    }
    let path = uri.path().decode().to_string().ok()?;
    (path.starts_with('/') && !path.contains('\0')).then(|| std::path::PathBuf::from(path.as_ref()))
}

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

/// Where a diagnostic's related places are, for `relatedInformation`.
pub type Locate<'a> = &'a dyn Fn(&yaml::Related) -> Option<lsp::Location>;

fn with_related(doc: &Document, d: &yaml::Diagnostic, locate: Locate) -> lsp::Diagnostic {
    let mut out = diagnostic(doc, d);
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| Some(lsp::DiagnosticRelatedInformation { location: locate(r)?, message: r.message.clone() }))
        .collect();
    if !related.is_empty() {
        out.related_information = Some(related);
    }
    out
}

/// At most [`MAX_DIAGNOSTICS`], the most severe first, then a note saying how many more.
pub fn diagnostics(snap: &Snapshot, found: &[yaml::Diagnostic], locate: Locate) -> Vec<lsp::Diagnostic> {
    if found.len() <= MAX_DIAGNOSTICS {
        return found.iter().map(|d| with_related(&snap.doc, d, locate)).collect();
    }
    let rank = |s: Severity| match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Information => 2,
        Severity::Hint => 3,
    };
    let mut kept: Vec<&yaml::Diagnostic> = found.iter().collect();
    kept.sort_by_key(|d| (rank(d.severity), d.span.start));
    kept.truncate(MAX_DIAGNOSTICS);
    kept.sort_by_key(|d| (d.span.start, d.span.end));
    let mut out: Vec<lsp::Diagnostic> = kept.iter().map(|d| with_related(&snap.doc, d, locate)).collect();
    out.push(lsp::Diagnostic {
        range: lsp::Range::default(),
        severity: Some(lsp::DiagnosticSeverity::INFORMATION),
        code: Some(lsp::NumberOrString::String("too-many-problems".into())),
        source: Some("gitops-ls".to_string()),
        message: format!(
            "{} more problems in this file are not shown (at most {MAX_DIAGNOSTICS} are listed); `gitops-ls check` lists them all",
            found.len() - MAX_DIAGNOSTICS
        ),
        ..Default::default()
    });
    out
}

/// The one diagnostic of a document over `maxFileSizeMb`.
pub fn too_large(doc: &Document, limit: usize) -> lsp::Diagnostic {
    let mb = |n: usize| n as f64 / f64::from(1 << 20);
    lsp::Diagnostic {
        range: lsp::Range::default(),
        severity: Some(lsp::DiagnosticSeverity::WARNING),
        code: Some(lsp::NumberOrString::String("file-too-large".into())),
        source: Some("gitops-ls".to_string()),
        message: format!(
            "This file is {:.1} MB, over the {:.0} MB limit (setting `gitops-ls.maxFileSizeMb`): it is not validated, \
             and hover, completion and quick fixes are off; the outline and folding still work.",
            mb(doc.len()),
            mb(limit)
        ),
        ..Default::default()
    }
}

/// Quick fixes for the diagnostics that overlap `range`.
pub fn code_actions(snap: &Snapshot, found: &[yaml::Diagnostic], range: lsp::Range) -> Vec<lsp::CodeActionOrCommand> {
    let start = snap.doc.position_to_offset(from_position(range.start));
    let end = snap.doc.position_to_offset(from_position(range.end));
    let (start, end) = (start.min(end), start.max(end));
    let mut out = Vec::new();
    for d in found.iter().filter(|d| d.span.start <= end && start <= d.span.end) {
        for (i, fix) in d.fixes.iter().enumerate() {
            if out.len() == MAX_CODE_ACTIONS {
                return out;
            }
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
        // The bounded outline is at most MAX_SYMBOL_DEPTH levels deep.
        children: (!s.children.is_empty()).then(|| s.children.iter().map(|c| document_symbol(doc, c)).collect()),
    }
}

/// The outline, bounded to [`MAX_SYMBOLS`] symbols and [`MAX_SYMBOL_DEPTH`] levels.
pub fn document_symbols(snap: &Snapshot) -> Vec<lsp::DocumentSymbol> {
    analysis::document_symbols_bounded(&snap.yaml, MAX_SYMBOLS, MAX_SYMBOL_DEPTH)
        .iter()
        .map(|s| document_symbol(&snap.doc, s))
        .collect()
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

/// At most `limit` ranges: the largest, in their original order.
pub fn folding_ranges(snap: &Snapshot, limit: usize) -> Vec<lsp::FoldingRange> {
    let mut ranges: Vec<_> =
        analysis::folding_ranges(&snap.yaml).iter().filter_map(|f| folding_range(&snap.doc, f)).collect();
    if ranges.len() > limit {
        let mut order: Vec<usize> = (0..ranges.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ranges[i].end_line - ranges[i].start_line));
        let mut keep = vec![false; ranges.len()];
        for &i in &order[..limit] {
            keep[i] = true;
        }
        let mut i = 0;
        ranges.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
    ranges
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
    fn the_bounded_outline_is_the_full_one_when_it_fits() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n  list: [1, {name: x, v: 2}]\n---\nb: 1\n";
        let file = crate::yaml::YamlFile::parse(text);
        assert_eq!(analysis::document_symbols_bounded(&file, 100, 16), analysis::document_symbols(&file));
        // Two documents and their 5 keys fit in 8; the next level (3 more) does not.
        let small = analysis::document_symbols_bounded(&file, 8, 16);
        assert_eq!(small.len(), 2);
        assert!(small[0].children.iter().all(|c| c.children.is_empty()));
        assert_eq!(small[0].children[3].detail.as_deref(), Some("6 nested symbols not listed"));
        // Fewer slots than documents: the rest are summed up.
        let tiny = analysis::document_symbols_bounded(&file, 1, 16);
        assert_eq!(tiny.len(), 1);
        assert_eq!(tiny[0].name, "… 2 more documents");
        assert_eq!(tiny[0].span, Span::new(0, text.trim_end().len()));
        let depth = analysis::document_symbols_bounded(&file, 100, 1);
        assert!(depth[0].children.iter().all(|c| c.children.is_empty()));
    }

    #[test]
    fn only_local_file_uris_have_paths() {
        let path = |u: &str| file_path(&u.parse().unwrap()).map(|p| p.display().to_string());
        assert_eq!(path("file:///repo/a%20b.yaml").as_deref(), Some("/repo/a b.yaml"));
        assert_eq!(path("file://localhost/repo/a.yaml").as_deref(), Some("/repo/a.yaml"));
        assert_eq!(path("FILE:///a.yaml").as_deref(), Some("/a.yaml"));
        for other in [
            "https://example.com/a.yaml",
            "untitled:Untitled-1",
            "file://server/share/a.yaml",
            "file:///repo/%FF%FE.yaml",
            "file:///repo/%00.yaml",
            "file:relative.yaml",
        ] {
            assert_eq!(path(other), None, "{other}");
        }
    }

    #[test]
    fn negotiation_prefers_utf8() {
        use lsp::PositionEncodingKind as K;
        assert_eq!(negotiate_encoding(Some(&[K::UTF16, K::UTF8])), PositionEncoding::Utf8);
        assert_eq!(negotiate_encoding(Some(&[K::UTF32, K::UTF16])), PositionEncoding::Utf16);
        assert_eq!(negotiate_encoding(None), PositionEncoding::Utf16);
    }
}
