//! Builds a [`Node`] tree from saphyr-parser events for one `---` document, with recovery.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScanError, Span as SySpan, Tag};

use super::resolve::resolve;
use super::tree::*;

/// Expanded alias nodes beyond which a document is rejected (billion-laughs guard).
pub const MAX_ALIAS_EXPANSION: u64 = 100_000;
/// How many times a broken document is re-parsed with the offending line blanked.
const MAX_RECOVERY_ATTEMPTS: usize = 8;
/// Most collections nested in one another that the tree builder reads. Every later walk over a
/// tree (validation, symbols, hover, `jsonschema` itself) recurses on its depth, so bounding it
/// here bounds them all. Real objects stay far below: a Deployment nests about 10 levels, the
/// deepest CRD seen (an `openAPIV3Schema` of 516 operators' CRDs) about 40.
pub const MAX_DEPTH: usize = 128;

/// Parses one document's text (which may begin with its `---` line). `first_in_file` enables
/// the byte-order-mark check.
pub fn parse_document(text: &str, first_in_file: bool) -> ParsedDocument {
    let mut doc = ParsedDocument { len: text.len(), complete: true, ..Default::default() };
    let mut base = 0;
    if first_in_file && text.starts_with('\u{feff}') {
        base = 3;
        doc.diagnostics.push(Diagnostic {
            span: Span::new(0, 3),
            severity: Severity::Warning,
            code: "bom",
            fixes: Vec::new(),
            related: Vec::new(),
            message: "the file starts with a byte order mark (U+FEFF); it is ignored here, but not every tool \
                      accepts it: save the file as UTF-8 without BOM"
                .into(),
        });
    }
    let body = &text[base..];

    let conflict_lines = conflict_marker_lines(body);
    for line in &conflict_lines {
        doc.diagnostics.push(Diagnostic {
            span: line.shift(base),
            severity: Severity::Error,
            code: "merge-conflict",
            fixes: Vec::new(),
            related: Vec::new(),
            message: "merge conflict marker: resolve the conflict before committing".into(),
        });
    }

    let controls = control_characters(body);
    for (i, run) in controls.iter().enumerate().take(MAX_CONTROL_DIAGNOSTICS) {
        let c = body[run.start..].chars().next().unwrap_or_default();
        let more = if i + 1 == MAX_CONTROL_DIAGNOSTICS && controls.len() > i + 1 {
            format!(" ({} more places in this document)", controls.len() - i - 1)
        } else {
            String::new()
        };
        doc.diagnostics.push(Diagnostic::new(
            run.shift(base),
            Severity::Error,
            "control-character",
            format!(
                "control character U+{:04X}{} is not allowed in YAML, and Kubernetes rejects the file: remove \
                 it{more}",
                c as u32,
                control_name(c).map(|n| format!(" ({n})")).unwrap_or_default()
            ),
        ));
    }

    // Blank conflict markers and control characters up front so the rest of the document
    // still yields a tree.
    let mut work: Option<String> = None;
    if !conflict_lines.is_empty() || !controls.is_empty() {
        let mut w = body.to_string();
        for l in &conflict_lines {
            blank(&mut w, *l);
        }
        for run in &controls {
            w.replace_range(run.start..run.end, &" ".repeat(run.len()));
        }
        work = Some(w);
    }

    let mut first_error: Option<Diagnostic> = None;
    let mut lenient: Vec<Diagnostic> = Vec::new();
    let mut attempts = 0;
    let mut broken = !conflict_lines.is_empty();
    loop {
        let src = work.as_deref().unwrap_or(body);
        let out = build_tree(src);
        if let Some(at) = out.too_deep {
            // Not a syntax error: re-parsing with lines blanked cannot help. Keep the tree read
            // so far (symbols, folding) and skip validation, which would judge a truncated tree.
            doc.root = out.root;
            doc.complete = false;
            doc.diagnostics.extend(out.diagnostics.into_iter().map(|d| shift_diag(d, base)));
            doc.diagnostics.push(Diagnostic::new(
                at.shift(base),
                Severity::Error,
                "yaml-too-deep",
                format!(
                    "collections nested deeper than {MAX_DEPTH} levels: the rest of this document is not read or \
                     checked"
                ),
            ));
            break;
        }
        match out.error {
            None => {
                doc.root = out.root;
                doc.complete = !broken;
                doc.diagnostics.extend(out.diagnostics.into_iter().map(|d| shift_diag(d, base)));
                break;
            }
            Some(err) => {
                attempts += 1;
                let lenient_fix = (attempts < MAX_RECOVERY_ATTEMPTS)
                    .then(|| {
                        join_unindented_quoted(src, &err)
                            .map(|j| (j, "quoted string"))
                            .or_else(|| join_unindented_flow(src, &err, out.in_flow).map(|j| (j, "flow collection")))
                    })
                    .flatten();
                if let Some((joined, what)) = lenient_fix {
                    // go-yaml accepts these; say so, and read the document the way it does.
                    lenient.push(Diagnostic {
                        span: err.0.shift(base),
                        severity: Severity::Warning,
                        code: "quoted-indentation",
                        fixes: Vec::new(),
                        related: Vec::new(),
                        message: format!(
                            "this {what} continues on a line indented no deeper than its parent: Kubernetes \
                             accepts this, but YAML 1.2 tools reject it; indent the continuation lines"
                        ),
                    });
                    work = Some(joined);
                    continue;
                }
                broken = true;
                doc.complete = false;
                if first_error.is_none() {
                    let mut d = explain_error(src, &err, out.open_flow);
                    d.span = d.span.shift(base);
                    first_error = Some(d);
                }
                let culprit = culprit_line(src, &err);
                let already_blank = src[culprit.start..culprit.end].trim().is_empty();
                if attempts >= MAX_RECOVERY_ATTEMPTS || already_blank {
                    doc.root = out.root;
                    doc.diagnostics.extend(out.diagnostics.into_iter().map(|d| shift_diag(d, base)));
                    break;
                }
                let w = work.get_or_insert_with(|| body.to_string());
                blank(w, culprit);
            }
        }
    }
    doc.diagnostics.append(&mut lenient);
    let comments = find_comments(body, doc.root.as_ref());
    if let Some(span) = find_template(body, doc.root.as_ref(), &comments) {
        doc.is_template = true;
        doc.diagnostics.push(Diagnostic {
            span: span.shift(base),
            severity: Severity::Information,
            code: "template",
            fixes: Vec::new(),
            related: Vec::new(),
            message: "Helm/Go template syntax ({{ … }}): this file is rendered before it is applied, so it is \
                      not checked as YAML or against schemas"
                .into(),
        });
    }
    // A template's syntax errors are artefacts of the template, not of the rendered YAML.
    if let Some(err) = first_error {
        let on_conflict = conflict_lines.iter().any(|l| l.shift(base).touches(err.span.start));
        if !doc.is_template && !on_conflict {
            doc.diagnostics.push(err);
        }
    }
    // Both sides of a conflict define the same keys; the markers are the real problem.
    if doc.is_template || !conflict_lines.is_empty() {
        doc.diagnostics.retain(|d| !matches!(d.code, "duplicate-key" | "alias" | "complex-key"));
    }
    if let Some(root) = &mut doc.root {
        if work.is_some() {
            // Read from a copy with lines blanked byte by byte: keep node ranges on the real
            // text's character boundaries.
            let mut stack = vec![&mut *root];
            while let Some(n) = stack.pop() {
                n.span = on_char_boundaries(body, n.span);
                match &mut n.kind {
                    NodeKind::Mapping(entries) => {
                        for e in entries {
                            stack.push(&mut e.key);
                            stack.push(&mut e.value);
                        }
                    }
                    NodeKind::Sequence(items) => stack.extend(items.iter_mut()),
                    _ => {}
                }
            }
        }
        shift_node(root, base);
    }
    doc.comments = comments
        .into_iter()
        .map(|mut c| {
            c.span = c.span.shift(base);
            c
        })
        .collect();
    // Recovery re-parses texts with lines blanked byte by byte, whose character boundaries are
    // not the document's: keep every range on the document's own.
    for d in &mut doc.diagnostics {
        d.span = on_char_boundaries(text, d.span);
        for e in d.fixes.iter_mut().flat_map(|f| f.edits.iter_mut()) {
            e.span = on_char_boundaries(text, e.span);
        }
    }
    doc.diagnostics.sort_by_key(|d| d.span.start);
    doc
}

/// `span` within `text`, widened to whole characters.
fn on_char_boundaries(text: &str, span: Span) -> Span {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

fn shift_diag(d: Diagnostic, by: usize) -> Diagnostic {
    if by == 0 { d } else { d.shifted(by) }
}

fn shift_node(root: &mut Node, by: usize) {
    if by == 0 {
        return;
    }
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        n.span = n.span.shift(by);
        match &mut n.kind {
            NodeKind::Mapping(entries) => {
                for e in entries {
                    stack.push(&mut e.key);
                    stack.push(&mut e.value);
                }
            }
            NodeKind::Sequence(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}

/// Replaces a line's characters by spaces of the same byte length, so offsets stay exact.
fn blank(text: &mut String, line: Span) {
    let replaced: String = text[line.start..line.end].bytes().map(|b| if b == b'\r' { '\r' } else { ' ' }).collect();
    text.replace_range(line.start..line.end, &replaced);
}

/// Control characters reported per document; a binary file would otherwise give thousands.
const MAX_CONTROL_DIAGNOSTICS: usize = 20;

/// Runs of characters YAML does not allow anywhere in a stream (outside `c-printable`, as
/// go-yaml's reader checks too): C0 controls but tab, LF and CR; DEL; C1 controls but NEL;
/// U+FFFE and U+FFFF.
fn control_characters(text: &str) -> Vec<Span> {
    let forbidden = |c: char| matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\x7f' | '\u{80}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
    let mut out: Vec<Span> = Vec::new();
    // Most texts have none: skip the char walk when no byte can start one.
    if !text
        .bytes()
        .any(|b| b < 0x09 || b == 0x0b || b == 0x0c || (0x0e..0x20).contains(&b) || b == 0x7f || b == 0xc2 || b == 0xef)
    {
        return out;
    }
    for (i, c) in text.char_indices().filter(|&(_, c)| forbidden(c)) {
        match out.last_mut() {
            Some(run) if run.end == i => run.end = i + c.len_utf8(),
            _ => out.push(Span::new(i, i + c.len_utf8())),
        }
    }
    out
}

fn control_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\0' => "NUL",
        '\x07' => "BEL",
        '\x08' => "backspace",
        '\x0b' => "vertical tab",
        '\x0c' => "form feed",
        '\x1b' => "escape",
        '\x7f' => "DEL",
        _ => return None,
    })
}

pub(crate) fn line_span_at(text: &str, offset: usize) -> Span {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    Span::new(start, end)
}

/// From `offset` to the end of its line's content: where a diagnostic shows what goes wrong.
fn rest_of_line(text: &str, offset: usize) -> Span {
    let line = line_span_at(text, offset);
    let start = offset.clamp(line.start, line.end);
    let start = if text.is_char_boundary(start) { start } else { line.start };
    Span::new(start, start + text[start..line.end].trim_end().len())
}

fn line_number(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The first Go template action (`{{ … }}`) that makes this document a template rather than
/// YAML: one outside any scalar, or one inside a plain scalar that reads like Helm
/// (`{{ .Values.x }}`, `{{- include … }}`). `${{ … }}` (GitHub Actions) and quoted
/// `'{{path}}'` (Argo CD ApplicationSets, Argo Workflows) are plain YAML strings. So are the
/// strings of the values a resource hands to a chart (Flux `HelmRelease.spec.values`, Argo CD
/// `helm.valuesObject`): charts pass them through `tpl` themselves.
fn find_template(text: &str, root: Option<&Node>, comments: &[Comment]) -> Option<Span> {
    if !text.contains("{{") {
        return None;
    }
    let mut scalars = Vec::new();
    if let Some(r) = root {
        collect_scalars(r, &mut scalars);
    }
    scalars.sort_by_key(|(s, _)| s.start);
    let in_comment = |off: usize| comments.iter().any(|c| c.span.contains(off));
    // The ranges of embedded chart values, below the root of a resource (`apiVersion` + `kind`).
    let mut values_blocks: Vec<Span> = Vec::new();
    if let Some(r) = root.filter(|r| r.get("apiVersion").is_some() && r.get("kind").is_some()) {
        let mut stack: Vec<&Node> = r.entries().iter().map(|e| &e.value).collect();
        while let Some(n) = stack.pop() {
            match &n.kind {
                NodeKind::Mapping(entries) => {
                    for e in entries {
                        if matches!(e.key.as_str(), Some("values" | "valuesObject"))
                            && matches!(e.value.kind, NodeKind::Mapping(_))
                        {
                            values_blocks.push(e.value.span);
                        } else {
                            stack.push(&e.value);
                        }
                    }
                }
                NodeKind::Sequence(items) => stack.extend(items.iter()),
                _ => {}
            }
        }
    }
    let in_values = |off: usize| values_blocks.iter().any(|s| s.start <= off && off < s.end);
    let mut from = 0;
    while let Some(i) = text[from..].find("{{") {
        let at = from + i;
        from = at + 2;
        if in_comment(at) {
            continue;
        }
        let k = scalars.partition_point(|(s, _)| s.start <= at);
        let inside = if k > 0 && scalars[k - 1].0.contains(at) { Some(scalars[k - 1].1) } else { None };
        // Helm's objects and functions; `{{ $labels.x }}` (Prometheus) or `{{path}}` (Argo) are
        // text for another engine, inside an ordinary string.
        let helm_like = || {
            let inner = text[at + 2..].trim_start_matches('-').trim_start();
            let inner = &inner[..inner.find("}}").unwrap_or(inner.len())];
            [".Values", ".Release", ".Chart", ".Capabilities", ".Files", ".Template", "$.Values"]
                .iter()
                .any(|o| inner.contains(o))
                || [
                    "include ",
                    "template ",
                    "toYaml ",
                    "tpl ",
                    "required ",
                    "if ",
                    "else",
                    "end",
                    "range ",
                    "with ",
                    "define ",
                ]
                .iter()
                .any(|k| inner.starts_with(k))
        };
        let is_template = match inside {
            None => true,
            Some(_) if in_values(at) => false,
            Some(ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) => {
                !text[..at].ends_with('$') && helm_like()
            }
            // Block scalars carry configuration for other template engines (alertmanager…).
            Some(_) => false,
        };
        if is_template {
            let end = text[at..].find("}}").map_or_else(|| line_span_at(text, at).end, |j| at + j + 2);
            return Some(Span::new(at, end));
        }
    }
    None
}

fn collect_scalars(root: &Node, out: &mut Vec<(Span, ScalarStyle)>) {
    out.extend(root.descendants().filter_map(|n| Some((n.span, n.as_scalar()?.style))));
}

/// For go-yaml's leniency: inside a flow collection a line may be indented less than YAML 1.2
/// allows. Joining it to the line before (line breaks become spaces) keeps every offset.
fn join_unindented_flow(text: &str, err: &(Span, String), in_flow: bool) -> Option<String> {
    if !in_flow || !err.1.starts_with("invalid indentation") {
        return None;
    }
    let line = line_span_at(text, err.0.start);
    let prev_end = text[..line.start].trim_end().len();
    if prev_end == 0 || line_span_at(text, prev_end - 1).start == line.start {
        return None;
    }
    let prev = line_span_at(text, prev_end - 1);
    if text[prev.start..prev.end].contains(" #") {
        return None;
    }
    let mut out = text.to_string();
    let gap: String =
        text[prev_end..line.start].chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    out.replace_range(prev_end..line.start, &gap);
    Some(out)
}

/// For go-yaml's leniency: a copy of `text` in which the quoted string the error points at has
/// its line breaks replaced by spaces (same byte offsets), or `None` if that does not apply.
fn join_unindented_quoted(text: &str, err: &(Span, String)) -> Option<String> {
    if !err.1.contains("invalid indentation in quoted scalar") {
        return None;
    }
    let start = err.0.start;
    let quote = *text.as_bytes().get(start)?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    let b = text.as_bytes();
    let mut i = start + 1;
    let end = loop {
        let c = *b.get(i)?;
        if quote == b'"' && c == b'\\' {
            i += 2;
            continue;
        }
        if c == quote {
            if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            break i;
        }
        i += 1;
    };
    let mut out = text.to_string();
    let joined: String = text[start..end].chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    out.replace_range(start..end, &joined);
    Some(out)
}

fn conflict_marker_lines(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches(['\n', '\r']);
        let is_marker = ["<<<<<<<", ">>>>>>>", "|||||||"]
            .iter()
            .any(|m| l.starts_with(m) && matches!(l.as_bytes().get(7), None | Some(b' ')))
            || l == "=======";
        if is_marker {
            out.push(Span::new(pos, pos + l.len()));
        }
        pos += line.len();
    }
    out
}

/// Maps saphyr's character indices to byte offsets.
struct CharMap {
    bytes: Option<Vec<usize>>,
}

impl CharMap {
    fn new(text: &str) -> Self {
        if text.is_ascii() {
            return CharMap { bytes: None };
        }
        let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        v.push(text.len());
        CharMap { bytes: Some(v) }
    }
    fn byte(&self, char_idx: usize) -> usize {
        match &self.bytes {
            None => char_idx,
            Some(v) => v[char_idx.min(v.len() - 1)],
        }
    }
    fn span(&self, s: &SySpan) -> Span {
        Span::new(self.byte(s.start.index()), self.byte(s.end.index()))
    }
}

pub(crate) struct BuildOutput {
    pub root: Option<Node>,
    /// The error happened inside a flow collection (`[…]`, `{…}`).
    pub in_flow: bool,
    /// Where the innermost flow collection open at the error starts (its `[` or `{`).
    pub open_flow: Option<usize>,
    pub error: Option<(Span, String)>,
    /// Where a collection would have nested deeper than [`MAX_DEPTH`]; reading stopped there.
    pub too_deep: Option<Span>,
    pub diagnostics: Vec<Diagnostic>,
}

enum Frame {
    Map {
        start: usize,
        flow: bool,
        entries: Vec<Entry>,
        key: Option<Node>,
        anchor: Option<String>,
        tag: Option<String>,
    },
    Seq {
        start: usize,
        flow: bool,
        items: Vec<Node>,
        anchor: Option<String>,
        tag: Option<String>,
    },
}

fn tag_text(tag: &Tag) -> String {
    if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

/// Reads `&anchor` and `!tag` properties at the start of a node's span; returns the content start.
fn read_properties(text: &str, mut pos: usize, end: usize) -> (usize, Option<String>) {
    let mut anchor = None;
    let bytes = text.as_bytes();
    while pos < end && (bytes[pos] == b'&' || bytes[pos] == b'!') {
        let tok_end = text[pos..end].find(|c: char| c.is_whitespace()).map_or(end, |i| pos + i);
        if bytes[pos] == b'&' {
            anchor = Some(text[pos + 1..tok_end].to_string());
        }
        pos = tok_end;
        while pos < end && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
    }
    (pos, anchor)
}

/// Start of a block scalar's `|`/`>` header, searching back from its content.
fn block_header_start(text: &str, content_start: usize) -> usize {
    let before = &text[..content_start];
    let trimmed = before.trim_end();
    let line = line_span_at(text, trimmed.len().saturating_sub(1));
    let line_text = &text[line.start..trimmed.len().max(line.start)];
    let code = match line_text.find(" #") {
        Some(i) => &line_text[..i],
        None => line_text,
    };
    match code.rfind(['|', '>']) {
        Some(i) => line.start + i,
        None => content_start,
    }
}

pub(crate) fn build_tree(text: &str) -> BuildOutput {
    let map = CharMap::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut anchors: HashMap<usize, String> = HashMap::new();
    let mut diagnostics = Vec::new();
    let mut error = None;
    let mut too_deep = None;

    loop {
        let (ev, sp) = match parser.next_event() {
            None => break,
            Some(Ok(x)) => x,
            // saphyr counts flow nesting in a `u8` and scans a line ahead of its events.
            Some(Err(e)) if e.info() == "recursion limit exceeded" => {
                too_deep = Some(rest_of_line(text, map.byte(e.marker().index())));
                break;
            }
            Some(Err(e)) => {
                error = Some(scan_error(&map, text, &e));
                break;
            }
        };
        let span = map.span(&sp);
        let node = match ev {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {
                continue;
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let (Event::MappingStart(id, tag) | Event::SequenceStart(id, tag)) = ev else {
                    continue;
                };
                let (content, anchor) = read_properties(text, span.start, span.end.max(span.start));
                if stack.len() >= MAX_DEPTH {
                    too_deep = Some(rest_of_line(text, content));
                    break;
                }
                if id > 0
                    && let Some(a) = &anchor
                {
                    anchors.insert(id, a.clone());
                }
                let tag = tag.as_deref().map(tag_text);
                let flow = span.end > content;
                let frame = if is_map {
                    Frame::Map { start: content, flow, entries: Vec::new(), key: None, anchor, tag }
                } else {
                    Frame::Seq { start: content, flow, items: Vec::new(), anchor, tag }
                };
                stack.push(frame);
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some(frame) = stack.pop() else { continue };
                close_frame(frame, Some(span.end), &mut diagnostics, text)
            }
            Event::Scalar(value, style, id, tag) => {
                let style = match style {
                    saphyr_parser::ScalarStyle::Plain => ScalarStyle::Plain,
                    saphyr_parser::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                    saphyr_parser::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                    saphyr_parser::ScalarStyle::Literal => ScalarStyle::Literal,
                    saphyr_parser::ScalarStyle::Folded => ScalarStyle::Folded,
                };
                let tag = tag.as_deref().map(tag_text);
                let (mut start, anchor) = read_properties(text, span.start, span.end);
                let mut end = span.end;
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    start = block_header_start(text, start.min(end));
                    end =
                        start.max(end - (text[start.min(end)..end].len() - text[start.min(end)..end].trim_end().len()));
                }
                if id > 0
                    && let Some(a) = &anchor
                {
                    anchors.insert(id, a.clone());
                }
                let typed = resolve(&value, style, tag.as_deref());
                // saphyr builds values in generous buffers (about 125 bytes for a short key): copy
                // to an exact one and free the buffer whole, so the next scalar reuses it
                // (shrinking in place would leave a hole per scalar).
                let value = Box::<str>::from(&*value);
                Node::with_props(
                    Span::new(start, end.max(start)),
                    NodeKind::Scalar(Scalar { value, style, typed }),
                    anchor,
                    tag,
                )
            }
            Event::Alias(id) => {
                let name = anchors
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| text[span.start..span.end].trim_start_matches('*').to_string());
                Node::new(span, NodeKind::Alias(name))
            }
        };
        push_node(&mut stack, &mut root, node);
    }

    let open_flow = stack.iter().rev().find_map(|f| match f {
        Frame::Map { flow: true, start, .. } | Frame::Seq { flow: true, start, .. } => Some(*start),
        _ => None,
    });
    let in_flow = error.is_some()
        && stack.iter().any(|f| matches!(f, Frame::Map { flow: true, .. } | Frame::Seq { flow: true, .. }));
    if error.is_some() || too_deep.is_some() {
        // Keep what was read before the error: close the open collections where the input stopped.
        while let Some(frame) = stack.pop() {
            let node = close_frame(frame, None, &mut diagnostics, text);
            push_node(&mut stack, &mut root, node);
        }
    } else if let Some(r) = &root {
        check_aliases(r, &mut diagnostics);
    }
    BuildOutput { root, in_flow, open_flow, error, too_deep, diagnostics }
}

fn push_node(stack: &mut [Frame], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        None => {
            if root.is_none() {
                *root = Some(node);
            }
        }
        Some(Frame::Seq { items, .. }) => items.push(node),
        Some(Frame::Map { entries, key, .. }) => match key.take() {
            None => *key = Some(node),
            Some(k) => entries.push(Entry { key: k, value: node }),
        },
    }
}

fn close_frame(frame: Frame, end_marker: Option<usize>, diagnostics: &mut Vec<Diagnostic>, text: &str) -> Node {
    match frame {
        Frame::Map { start, flow, mut entries, key, anchor, tag } => {
            // Vectors grow by doubling (at least 4): most mappings hold fewer entries.
            entries.shrink_to_fit();
            if let Some(k) = key {
                let at = k.span.end;
                entries.push(Entry { key: k, value: null_at(at) });
            }
            let last = entries.last().map(|e| e.value.span.end.max(e.key.span.end));
            let end = container_end(start, flow, end_marker, last);
            check_duplicates(&entries, diagnostics, text);
            check_complex_keys(&entries, diagnostics);
            Node::with_props(Span::new(start, end), NodeKind::Mapping(entries), anchor, tag)
        }
        Frame::Seq { start, flow, mut items, anchor, tag } => {
            items.shrink_to_fit();
            let last = items.last().map(|n| n.span.end);
            let end = container_end(start, flow, end_marker, last);
            Node::with_props(Span::new(start, end), NodeKind::Sequence(items), anchor, tag)
        }
    }
}

fn container_end(start: usize, flow: bool, end_marker: Option<usize>, last_child: Option<usize>) -> usize {
    match (flow, end_marker) {
        (true, Some(e)) => e.max(start),
        _ => last_child.unwrap_or(start).max(start),
    }
}

fn null_at(at: usize) -> Node {
    Node::new(
        Span::new(at, at),
        NodeKind::Scalar(Scalar { value: Box::default(), style: ScalarStyle::Plain, typed: ScalarValue::Null }),
    )
}

fn check_duplicates(entries: &[Entry], diagnostics: &mut Vec<Diagnostic>, text: &str) {
    if entries.len() < 2 {
        return;
    }
    let mut seen: HashMap<&str, &Node> = HashMap::with_capacity(entries.len());
    for e in entries {
        let NodeKind::Scalar(s) = &e.key.kind else {
            continue;
        };
        if &*s.value == "<<" && s.style == ScalarStyle::Plain {
            continue;
        }
        if let Some(first) = seen.get(&*s.value) {
            diagnostics.push(Diagnostic {
                span: e.key.span,
                severity: Severity::Error,
                code: "duplicate-key",
                fixes: Vec::new(),
                related: Vec::new(),
                message: format!(
                    "duplicate key `{}` (first defined on line {}): Kubernetes rejects objects with repeated keys",
                    s.value,
                    line_number(text, first.span.start)
                ),
            });
        } else {
            seen.insert(&s.value, &e.key);
        }
    }
}

/// A mapping or list used as a key (`? [a, b]`, `{a: 1}: x`): YAML allows it, but Kubernetes
/// decodes YAML into JSON, whose keys are strings, and rejects the object.
fn check_complex_keys(entries: &[Entry], diagnostics: &mut Vec<Diagnostic>) {
    for e in entries {
        let what = match &e.key.kind {
            NodeKind::Mapping(_) => "a mapping",
            NodeKind::Sequence(_) => "a list",
            _ => continue,
        };
        diagnostics.push(Diagnostic::new(
            e.key.span,
            Severity::Error,
            "complex-key",
            format!(
                "{what} used as a key: Kubernetes converts YAML to JSON, whose keys are strings, and rejects \
                 this; use a plain string key"
            ),
        ));
    }
}

/// Checks what expanding the document's aliases would create: more than
/// [`MAX_ALIAS_EXPANSION`] nodes, values nested deeper than [`MAX_DEPTH`], or a value that
/// contains itself (`&x [*x]`). Each is an error, as it is for Kubernetes.
fn check_aliases(root: &Node, diagnostics: &mut Vec<Diagnostic>) {
    /// What an anchored node expands to; `open` while the walk is still inside it.
    struct Def {
        size: u64,
        depth: usize,
        open: bool,
    }
    enum Step<'a> {
        Enter(&'a Node, usize),
        Exit(&'a Node, Option<usize>),
    }
    let mut defs: Vec<Def> = Vec::new();
    let mut latest: HashMap<&str, usize> = HashMap::new();
    // (expanded size, expanded collection depth) of each finished node, children in order.
    let mut results: Vec<(u64, usize)> = Vec::new();
    let mut expanded: u64 = 0;
    let mut first_alias = None;
    let mut cycle: Option<(Span, &str)> = None;
    let mut too_deep: Option<Span> = None;
    let mut steps = vec![Step::Enter(root, 0)];
    while let Some(step) = steps.pop() {
        match step {
            Step::Enter(n, ancestors) => {
                // An anchor is defined from its start on, as when aliases are expanded.
                let def = n.anchor().map(|a| {
                    defs.push(Def { size: 1, depth: 0, open: true });
                    latest.insert(a, defs.len() - 1);
                    defs.len() - 1
                });
                steps.push(Step::Exit(n, def));
                let inner = ancestors + usize::from(matches!(n.kind, NodeKind::Mapping(_) | NodeKind::Sequence(_)));
                steps.extend(n.children().rev().map(|c| Step::Enter(c, inner)));
                if let NodeKind::Alias(name) = &n.kind {
                    let (size, depth) = match latest.get(name.as_str()).map(|&i| &defs[i]) {
                        Some(d) if d.open => {
                            cycle.get_or_insert((n.span, name.as_str()));
                            (1, 0)
                        }
                        Some(d) => (d.size, d.depth),
                        None => (1, 0),
                    };
                    expanded = expanded.saturating_add(size);
                    first_alias.get_or_insert(n.span);
                    if ancestors + depth > MAX_DEPTH {
                        too_deep.get_or_insert(n.span);
                    }
                }
            }
            Step::Exit(n, def) => {
                let own = match &n.kind {
                    NodeKind::Scalar(_) => (1, 0),
                    // Replaced by its target's result below (computed on entry).
                    NodeKind::Alias(name) => match latest.get(name.as_str()).map(|&i| &defs[i]) {
                        Some(d) if !d.open => (d.size, d.depth),
                        _ => (1, 0),
                    },
                    NodeKind::Mapping(_) | NodeKind::Sequence(_) => {
                        let k = n.children().count();
                        let children = results.split_off(results.len() - k);
                        children.iter().fold((1u64, 1usize), |(s, d), &(cs, cd)| {
                            (s.saturating_add(cs), d.max(cd.saturating_add(1)))
                        })
                    }
                };
                if let Some(i) = def {
                    defs[i] = Def { size: own.0, depth: own.1, open: false };
                }
                results.push(own);
            }
        }
    }
    let error = |span: Span, message: String| Diagnostic::new(span, Severity::Error, "alias", message);
    if let Some((span, name)) = cycle {
        diagnostics.push(error(
            span,
            format!(
                "alias *{name} is inside the value of its own anchor &{name}: that value would contain itself; \
                 Kubernetes rejects it"
            ),
        ));
    } else if expanded > MAX_ALIAS_EXPANSION {
        diagnostics.push(error(
            first_alias.unwrap_or_default(),
            format!(
                "excessive aliasing: expanding the aliases in this document would create {} nodes (limit {MAX_ALIAS_EXPANSION}); Kubernetes rejects it too",
                if expanded == u64::MAX { "more than 10^19".to_string() } else { expanded.to_string() }
            ),
        ));
    } else if let Some(span) = too_deep {
        diagnostics.push(error(
            span,
            format!("expanding this alias nests values deeper than {MAX_DEPTH} levels: the document is not checked"),
        ));
    }
}

fn scan_error(map: &CharMap, text: &str, e: &ScanError) -> (Span, String) {
    let at = map.byte(e.marker().index()).min(text.len());
    let end = text[at..].chars().next().filter(|c| *c != '\n' && *c != '\r').map_or(at, |c| at + c.len_utf8());
    (Span::new(at, end), e.info().to_string())
}

/// The line to blank before re-parsing: where the mistake most likely is.
fn culprit_line(text: &str, err: &(Span, String)) -> Span {
    if let Some(colon) = missing_space_after_colon(text, err) {
        return line_span_at(text, colon);
    }
    line_span_at(text, err.0.start)
}

/// For "mapping values are not allowed" caused by `key:value` on an earlier line of a
/// multi-line plain scalar, the offset of that colon.
fn missing_space_after_colon(text: &str, err: &(Span, String)) -> Option<usize> {
    if !err.1.starts_with("mapping values are not allowed") {
        return None;
    }
    let line = line_span_at(text, err.0.start);
    // Walk back over the lines the plain scalar spans (deeper or equal indentation, no key).
    let mut cursor = line.start;
    for _ in 0..50 {
        if cursor == 0 {
            break;
        }
        let prev = line_span_at(text, cursor - 1);
        let l = &text[prev.start..prev.end];
        if let Some(i) = find_glued_colon(l) {
            return Some(prev.start + i);
        }
        if l.trim().is_empty() || l.trim_end().ends_with(':') || l.contains(": ") {
            break;
        }
        cursor = prev.start;
    }
    None
}

/// `key:value` — a colon directly followed by a non-space, in a line with no `: `.
fn find_glued_colon(line: &str) -> Option<usize> {
    let code = line.trim_start();
    if code.starts_with('#') || code.starts_with('"') || code.starts_with('\'') || line.contains(": ") {
        return None;
    }
    let b = line.as_bytes();
    (1..b.len().saturating_sub(1)).find(|&i| {
        b[i] == b':'
            && !b[i + 1].is_ascii_whitespace()
            && b[i - 1] != b' '
            && !line[..i].contains("://")
            && !line[i..].starts_with("://")
    })
}

/// Turns saphyr's message into one a person understands, on the exact range.
fn explain_error(text: &str, err: &(Span, String), open_flow: Option<usize>) -> Diagnostic {
    let (span, info) = err;
    let mut span = *span;
    // A collection left open to the end of the document: point at its opening bracket.
    if let Some(open) = open_flow.filter(|_| text[span.start.min(text.len())..].trim().is_empty()) {
        span = Span::new(open, open + 1);
    }
    let line = line_span_at(text, span.start);
    let line_text = &text[line.start..line.end];
    let message = if let Some(colon) = missing_space_after_colon(text, err) {
        span = Span::new(colon, colon + 1);
        "mapping values are not allowed here: did you forget a space after ':'?".to_string()
    } else if info.starts_with("mapping values are not allowed") {
        if text[line.start..span.start].contains(": ") {
            "mapping values are not allowed here: a plain value cannot contain ': '; quote the value".to_string()
        } else {
            "mapping values are not allowed here: check the indentation of this line against the key above it"
                .to_string()
        }
    } else if info.split(|c: char| !c.is_ascii_alphabetic()).any(|w| w == "tab" || w == "tabs" || w == "tabulation") {
        let indent_end = line_text.len() - line_text.trim_start_matches([' ', '\t']).len();
        let width = if indent_end > 0 { indent_end } else { line_text.chars().next().map_or(0, char::len_utf8) };
        span = Span::new(line.start, line.start + width).intersect_len(text.len());
        "tab character used for indentation: YAML indentation must use spaces".to_string()
    } else if info.contains("quoted scalar") && !info.contains("escape") {
        "unclosed quoted string: add the closing quote".to_string()
    } else if info.contains("unknown escape") {
        "invalid escape sequence in a double-quoted string: use '\\\\' for a backslash, or single quotes".to_string()
    } else if info.contains("flow mapping") {
        "unclosed flow mapping: expected ',' or '}'".to_string()
    } else if info.contains("flow sequence") {
        "unclosed flow sequence: expected ',' or ']'".to_string()
    } else if info.contains("did not find expected key") {
        "bad indentation: this line does not line up with the keys of the mapping above it".to_string()
    } else if info.contains("did not find expected '-'") {
        "bad indentation: this line does not line up with the items of the list above it".to_string()
    } else if info.contains("unknown anchor") {
        let name = text[span.start..].split(|c: char| c.is_whitespace() || c == ',').next().unwrap_or("");
        span = Span::new(span.start, span.start + name.len());
        format!("alias {name} refers to an anchor that is not defined before it in this document")
    } else if info.starts_with("unexpected character") || info.contains("cannot start any token") {
        let c = text[span.start..].chars().next().unwrap_or(' ');
        format!("'{c}' cannot start a plain value: quote the value")
    } else {
        info.clone()
    };
    if span.is_empty() && span.start < text.len() {
        span = Span::new(span.start, span.start + text[span.start..].chars().next().map_or(0, char::len_utf8));
    }
    Diagnostic::new(span, Severity::Error, "yaml-syntax", message)
}

impl Span {
    fn intersect_len(self, len: usize) -> Span {
        Span::new(self.start.min(len), self.end.min(len))
    }
}

/// Comments: a `#` at line start or after whitespace that is not inside a scalar.
fn find_comments(text: &str, root: Option<&Node>) -> Vec<Comment> {
    if !text.contains('#') {
        return Vec::new();
    }
    let mut scalars = Vec::new();
    if let Some(r) = root {
        collect_scalar_spans(r, &mut scalars);
    }
    scalars.sort_by_key(|s| s.start);
    let inside = |off: usize| {
        let i = scalars.partition_point(|s| s.start <= off);
        i > 0 && scalars[i - 1].contains(off)
    };
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut line_start = 0;
    let mut line = 0;
    while line_start < b.len() {
        let line_end = b[line_start..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| line_start + p);
        let mut i = line_start;
        while i < line_end {
            if b[i] == b'#' && (i == line_start || matches!(b[i - 1], b' ' | b'\t')) && !inside(i) {
                let end = if line_end > i && b[line_end - 1] == b'\r' { line_end - 1 } else { line_end };
                let own_line = b[line_start..i].iter().all(|c| matches!(c, b' ' | b'\t'));
                out.push(Comment { span: Span::new(i, end), text: text[i..end].to_string(), line, own_line });
                break;
            }
            i += 1;
        }
        line_start = line_end + 1;
        line += 1;
    }
    out
}

fn collect_scalar_spans(root: &Node, out: &mut Vec<Span>) {
    out.extend(
        root.descendants()
            .filter(|n| matches!(&n.kind, NodeKind::Scalar(s) if s.style != ScalarStyle::Plain || !n.span.is_empty()))
            .map(|n| n.span),
    );
}
