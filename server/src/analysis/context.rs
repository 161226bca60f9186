//! Where the cursor is, as the user means it: in which mapping or sequence item, typing a key
//! or a value, and what is already there.
//!
//! While someone types, the document is usually broken (`spec:\n  repl`) or says something
//! else than what is meant (an empty line at some indentation belongs to no node at all). So the
//! context is read from the TEXT: the indentation of the cursor line decides the parent, found
//! by walking up to the nearest preceding line with smaller indentation. The tree is used for
//! what already exists and is unambiguous: the resource's `apiVersion` and `kind`.

use crate::analysis::best_tree;
use crate::schema::navigate::Segment;
use crate::yaml::{DocumentSlot, Node, Span, TextSource, YamlFile};

/// What is being typed at the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CursorPosition {
    /// A key of the mapping at `path`; right after `- ` it may also be a scalar item (then
    /// `path` ends with the item's index).
    Key,
    /// The value of `key` in the mapping at `path`.
    Value { key: String },
}

/// The completion context at a cursor. Spans are absolute byte offsets of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub doc_index: usize,
    /// From the document root to the mapping (or sequence item) that holds the cursor.
    pub path: Vec<Segment>,
    pub position: CursorPosition,
    /// What was typed of the key or value before the cursor.
    pub prefix: String,
    /// The text a completion replaces: the whole key or value token around the cursor.
    pub replace: Span,
    /// Column of the key being typed (for a value: of its key).
    pub indent: usize,
    /// Keys of the mapping at `path` on other lines.
    pub existing_keys: Vec<String>,
    /// A `:` already follows the replaced key, so completions insert only the name.
    pub colon_follows: bool,
    /// The cursor is right after `key:`; a value needs a leading space.
    pub needs_space: bool,
    /// The cursor is at the start of a sequence item (`- |`), where a scalar can go too.
    pub item_start: bool,
}

/// How the file indents: width of one level and whether `- ` items sit deeper than their key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub width: usize,
    pub indent_sequences: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style { width: 2, indent_sequences: true }
    }
}

/// The context at byte `offset`, or `None` where nothing can be completed (a comment, a block
/// scalar, a flow collection, a `---` line).
pub fn completion_context(file: &YamlFile, text: &(impl TextSource + ?Sized), offset: usize) -> Option<Context> {
    let doc_index = doc_index_at(file, offset)?;
    let slot = &file.documents()[doc_index];
    let span = slot.span();
    let doc_text = text.slice(Span::new(span.start, span.end.min(text.len())));
    let lines = Lines::new(&doc_text);
    let rel = offset.checked_sub(slot.start)?.min(doc_text.len());
    let cursor_line = lines.line_of(rel);
    let line_start = lines.start(cursor_line);
    let line = lines.line(cursor_line);
    let col = rel - line_start;
    if col > line.len() || !line.is_char_boundary(col) || is_marker_line(line) {
        return None;
    }
    let before = &line[..col];
    let indent = before.len() - before.trim_start_matches(' ').len();
    if before[indent..].starts_with('#') {
        return None;
    }
    // `- ` markers before the content; the content of the innermost item starts after them.
    let mut content = indent;
    let mut dashes = 0;
    while let Some(rest) = before[content..].strip_prefix('-') {
        if !rest.starts_with([' ', '\t']) {
            break;
        }
        dashes += 1;
        content = before.len() - rest.trim_start_matches([' ', '\t']).len();
    }
    let abs = |rel_in_line: usize| slot.start + line_start + rel_in_line;

    if let Some(colon) = key_colon(&line[content..]).map(|c| c + content).filter(|&c| c < col) {
        // A value: `key: pre|fix`.
        let key = unquote_key(line[content..colon].trim_end());
        let after_colon = colon + 1;
        let needs_space = col == after_colon;
        let mut start = after_colon + (line[after_colon..].len() - line[after_colon..].trim_start().len());
        if start > col {
            start = col;
        }
        let mut end = value_end(line, start).max(col);
        if let Some(q) = line[start..col].chars().next().filter(|c| *c == '"' || *c == '\'') {
            start += 1;
            if end > col && line[..end].ends_with(q) {
                end -= 1;
            }
        } else if line[start..col].starts_with(['{', '[', '|', '>', '&', '*', '!', '#']) {
            return None;
        }
        let mut existing = Vec::new();
        let path = resolve_path(&lines, cursor_line, content, false, &mut existing)?;
        return Some(Context {
            doc_index,
            path,
            position: CursorPosition::Value { key },
            prefix: line[start..col].to_string(),
            replace: Span::new(abs(start), abs(end)),
            indent: content,
            existing_keys: existing,
            colon_follows: false,
            needs_space,
            item_start: false,
        });
    }

    // A key (or a scalar item): `  repl|`, `  |`, `  - |`.
    let prefix = &before[content..];
    if prefix.starts_with(['"', '\'', '{', '[', '#', '&', '*', '!', '|', '>', '-', '?']) {
        return None;
    }
    // In the indentation in front of existing content (`  |- a`, `|  key: 1`): nothing to add.
    if prefix.is_empty() && !line[col..].trim().is_empty() && line[col..].starts_with([' ', '-']) {
        return None;
    }
    let word_len = line[col..].find([':', ' ', '\t', '#']).unwrap_or(line.len() - col);
    let end = col + word_len;
    let colon_follows = line[end..].trim_start_matches([' ', '\t']).starts_with(':');
    let mut existing = Vec::new();
    let path = resolve_path(&lines, cursor_line, content, false, &mut existing)?;
    sibling_keys_below(&lines, cursor_line, content, &mut existing);
    Some(Context {
        doc_index,
        path,
        position: CursorPosition::Key,
        prefix: prefix.to_string(),
        replace: Span::new(abs(content), abs(end)),
        indent: content,
        existing_keys: existing,
        colon_follows,
        needs_space: false,
        item_start: dashes > 0,
    })
}

/// The document a cursor at `offset` is in.
fn doc_index_at(file: &YamlFile, offset: usize) -> Option<usize> {
    let docs = file.documents();
    docs.partition_point(|s| s.start <= offset).checked_sub(1).filter(|_| !docs.is_empty())
}

/// The resource of a document as far as it is typed: `apiVersion` and `kind` of the root, or
/// for `kind: List` of the item the path goes through. `depth` is how many path segments lead
/// to the resource's root (0, or 2 for `items[n]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceRef {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub depth: usize,
}

pub fn resource_ref(slot: &DocumentSlot, doc_text: &str, path: &[Segment]) -> ResourceRef {
    let trees = [slot.doc.root.as_ref(), best_tree(slot)];
    let field = |node: Option<&Node>, key: &str| node?.get(key)?.as_str().map(str::to_string);
    let top = |key: &str| {
        trees.iter().find_map(|t| field(*t, key).filter(|v| !v.is_empty())).or_else(|| top_level_value(doc_text, key))
    };
    let kind = top("kind");
    if kind.as_deref() == Some("List")
        && let [Segment::Key(items), Segment::Index(i), ..] = path
        && items == "items"
    {
        fn item(t: Option<&Node>, i: usize) -> Option<&Node> {
            t?.get("items")?.items().get(i)
        }
        let get = |key: &str| trees.iter().find_map(|t| field(item(*t, *i), key).filter(|v| !v.is_empty()));
        return ResourceRef { api_version: get("apiVersion"), kind: get("kind"), depth: 2 };
    }
    ResourceRef { api_version: top("apiVersion"), kind, depth: 0 }
}

/// `key: value` at column 0, read from the text (the tree may have lost it while broken).
fn top_level_value(doc_text: &str, key: &str) -> Option<String> {
    doc_text.lines().find_map(|l| {
        let rest = l.strip_prefix(key)?.trim_start().strip_prefix(':')?;
        let v = strip_comment(rest).trim().trim_matches(['"', '\'']);
        (!v.is_empty()).then(|| v.to_string())
    })
}

/// Indentation width and sequence style, from the first examples in `text` (defaults where
/// it has none).
pub fn detect_style(text: &str) -> Style {
    let (width, seq) = style_evidence(text);
    let default = Style::default();
    Style { width: width.unwrap_or(default.width), indent_sequences: seq.unwrap_or(default.indent_sequences) }
}

/// (indentation width, sequences indented under their key), each if `text` shows it.
pub fn style_evidence(text: &str) -> (Option<usize>, Option<bool>) {
    let (mut width, mut seq) = (None, None);
    let mut open_key: Option<usize> = None;
    for line in text.lines().take(2000) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some(ind) = indent_of(line) else { continue };
        let toks = tokens(line);
        if let Some(key_col) = open_key.take()
            && ind >= key_col
        {
            match toks.first() {
                Some(Tok::Dash(d)) => seq = seq.or(Some(*d > key_col)),
                Some(t) if t.col() > key_col && t.col() - key_col <= 8 => width = width.or(Some(t.col() - key_col)),
                _ => {}
            }
        }
        if let Some(Tok::Key { col, value, .. }) = toks.last()
            && value.is_empty()
        {
            open_key = Some(*col);
        }
        if width.is_some() && seq.is_some() {
            break;
        }
    }
    (width, seq)
}

/// Line starts of a document's text, for walking up and down by line.
pub(crate) struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }
    fn count(&self) -> usize {
        self.starts.len()
    }
    fn start(&self, i: usize) -> usize {
        self.starts[i]
    }
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }
    /// Line `i` without its line break.
    fn line(&self, i: usize) -> &str {
        let end = self.starts.get(i + 1).map_or(self.text.len(), |e| e - 1);
        let l = &self.text[self.starts[i]..end];
        l.strip_suffix('\r').unwrap_or(l)
    }
}

/// The structure of one line: `- ` markers, then a `key:` or a scalar.
#[derive(Debug)]
enum Tok<'a> {
    Dash(usize),
    Key { col: usize, name: &'a str, value: &'a str },
    Scalar(usize),
}

impl Tok<'_> {
    fn col(&self) -> usize {
        match self {
            Tok::Dash(c) | Tok::Scalar(c) | Tok::Key { col: c, .. } => *c,
        }
    }
}

/// A `---` line (it belongs to no node) or a `%` directive.
fn is_marker_line(line: &str) -> bool {
    let doc_marker = line.strip_prefix("---").is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']));
    doc_marker || line.starts_with('%')
}

/// Indentation of a line with content; `None` for blank and comment-only lines.
fn indent_of(line: &str) -> Option<usize> {
    let t = line.trim_start_matches(' ');
    (!t.trim().is_empty() && !t.starts_with('#')).then(|| line.len() - t.len())
}

fn tokens(line: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let Some(mut i) = indent_of(line) else { return toks };
    if is_marker_line(line) {
        return toks;
    }
    loop {
        let rest = &line[i..];
        match rest.strip_prefix('-') {
            Some(after) if after.is_empty() || after.starts_with([' ', '\t']) => {
                toks.push(Tok::Dash(i));
                let trimmed = after.trim_start_matches([' ', '\t']);
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    return toks;
                }
                i = line.len() - trimmed.len();
            }
            _ => break,
        }
    }
    let content = &line[i..];
    match key_colon(content) {
        Some(c) => toks.push(Tok::Key {
            col: i,
            name: unquote_key_str(content[..c].trim_end()),
            value: strip_comment(&content[c + 1..]).trim(),
        }),
        None => toks.push(Tok::Scalar(i)),
    }
    toks
}

/// Byte index of the `:` that ends a block mapping key at the start of `content`.
fn key_colon(content: &str) -> Option<usize> {
    let bytes = content.as_bytes();
    let mut i = 0;
    match bytes.first()? {
        q @ (b'"' | b'\'') => {
            i = 1;
            while i < bytes.len() {
                if bytes[i] == b'\\' && *q == b'"' {
                    i += 2;
                    continue;
                }
                if bytes[i] == *q {
                    if *q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            while bytes.get(i).is_some_and(|b| *b == b' ') {
                i += 1;
            }
            return (bytes.get(i) == Some(&b':') && bytes.get(i + 1).is_none_or(|b| matches!(b, b' ' | b'\t')))
                .then_some(i);
        }
        b'{' | b'[' | b'#' | b'|' | b'>' => return None,
        _ => {}
    }
    while i < bytes.len() {
        match bytes[i] {
            b':' if bytes.get(i + 1).is_none_or(|b| matches!(b, b' ' | b'\t')) => return (i > 0).then_some(i),
            b'#' if i > 0 && matches!(bytes[i - 1], b' ' | b'\t') => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

fn unquote_key_str(k: &str) -> &str {
    if k.len() >= 2 && (k.starts_with('"') && k.ends_with('"') || k.starts_with('\'') && k.ends_with('\'')) {
        &k[1..k.len() - 1]
    } else {
        k
    }
}

fn unquote_key(k: &str) -> String {
    unquote_key_str(k).to_string()
}

fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    let mut quote = None;
    for i in 0..b.len() {
        match (quote, b[i]) {
            (None, q @ (b'"' | b'\'')) if i == 0 || matches!(b[i - 1], b' ' | b'\t') => quote = Some(q),
            (Some(q), c) if c == q => quote = None,
            (None, b'#') if i == 0 || matches!(b[i - 1], b' ' | b'\t') => return &s[..i],
            _ => {}
        }
    }
    s
}

/// End of the value that starts at `start` on `line`: before a comment and trailing blanks.
fn value_end(line: &str, start: usize) -> usize {
    start + strip_comment(&line[start..]).trim_end().len()
}

/// True for a block scalar header (`|`, `>-`, `|2+`…): lines below it are text, not YAML.
fn is_block_header(value: &str) -> bool {
    let mut chars = value.chars();
    matches!(chars.next(), Some('|' | '>')) && chars.all(|c| matches!(c, '-' | '+' | '0'..='9'))
}

/// What the node at `col` on `line` belongs to.
enum Owner {
    Root,
    Key { name: String, line: usize, col: usize },
    Item { line: usize, col: usize },
}

/// Finds the owner of a key (`is_dash == false`) or `- ` item at `col` on `line`. Sibling keys
/// seen on the way are pushed to `siblings`; sibling items above are counted in `index`.
fn owner_of(
    lines: &Lines,
    line: usize,
    col: usize,
    is_dash: bool,
    siblings: &mut Vec<String>,
    index: &mut usize,
) -> Option<Owner> {
    // On the same line, only a `- ` can precede a node: then the node starts that item.
    let here = tokens(lines.line(line));
    if let Some(prev) = here.iter().rev().find(|t| t.col() < col) {
        return match prev {
            Tok::Dash(d) => Some(Owner::Item { line, col: *d }),
            _ => None,
        };
    }
    for j in (0..line).rev() {
        let l = lines.line(j);
        // Deeper lines are the insides of siblings; skip them before tokenizing.
        match indent_of(l) {
            Some(ind) if ind <= col => {}
            _ => continue,
        }
        let toks = tokens(l);
        if toks.is_empty() {
            continue;
        }
        match toks.iter().position(|t| t.col() == col) {
            Some(k) => match (&toks[k], is_dash) {
                (Tok::Key { name, .. }, false) => {
                    siblings.push((*name).to_string());
                    if k > 0 {
                        // `- name: a` opened the item this key belongs to.
                        return Some(Owner::Item { line: j, col: toks[k - 1].col() });
                    }
                }
                (Tok::Dash(_), true) => {
                    *index += 1;
                    if k > 0 {
                        return Some(Owner::Item { line: j, col: toks[k - 1].col() });
                    }
                }
                // A sequence at the same column as its key (`key:\n- a`).
                (Tok::Key { name, value, .. }, true) => {
                    return (!is_block_header(value)).then(|| Owner::Key { name: (*name).to_string(), line: j, col });
                }
                // The unindented sequence of a sibling key, or a multi-line scalar.
                (Tok::Dash(_), false) | (Tok::Scalar(_), _) => {}
            },
            None => {
                return match toks.iter().rev().find(|t| t.col() < col)? {
                    Tok::Key { name, value, col } => {
                        (!is_block_header(value)).then(|| Owner::Key { name: (*name).to_string(), line: j, col: *col })
                    }
                    Tok::Dash(d) => Some(Owner::Item { line: j, col: *d }),
                    Tok::Scalar(_) => None,
                };
            }
        }
    }
    Some(Owner::Root)
}

/// The path from the document root to the mapping that holds a key at `col` on `line`.
fn resolve_path(
    lines: &Lines,
    line: usize,
    col: usize,
    is_dash: bool,
    siblings: &mut Vec<String>,
) -> Option<Vec<Segment>> {
    let mut segments = Vec::new();
    let (mut line, mut col, mut is_dash) = (line, col, is_dash);
    let mut first = true;
    let mut ignored = Vec::new();
    loop {
        let mut index = 0;
        let sibs = if first { &mut *siblings } else { &mut ignored };
        first = false;
        let owner = owner_of(lines, line, col, is_dash, sibs, &mut index)?;
        if is_dash {
            segments.push(Segment::Index(index));
        }
        match owner {
            Owner::Root => break,
            Owner::Key { name, line: l, col: c } => {
                segments.push(Segment::Key(name));
                (line, col, is_dash) = (l, c, false);
            }
            Owner::Item { line: l, col: c } => (line, col, is_dash) = (l, c, true),
        }
    }
    segments.reverse();
    Some(segments)
}

/// Keys of the same mapping on the lines below the cursor.
fn sibling_keys_below(lines: &Lines, line: usize, col: usize, out: &mut Vec<String>) {
    for j in line + 1..lines.count() {
        let l = lines.line(j);
        match indent_of(l) {
            Some(ind) if ind < col => break,
            Some(ind) if ind == col => {
                if let Some(Tok::Key { name, .. }) = tokens(l).first() {
                    out.push((*name).to_string());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(fixture: &str) -> Option<Context> {
        let offset = fixture.find("$0").expect("fixture has a $0 cursor");
        let text = fixture.replacen("$0", "", 1);
        let file = YamlFile::parse(text.as_str());
        completion_context(&file, text.as_str(), offset)
    }

    fn path(c: &Context) -> String {
        c.path.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(".")
    }

    #[test]
    fn half_typed_key_under_its_parent() {
        let c = ctx("spec:\n  repl$0").unwrap();
        assert_eq!((path(&c), c.prefix.as_str(), c.position.clone()), ("spec".into(), "repl", CursorPosition::Key));
        assert_eq!(c.replace, Span::new(8, 12));
        assert_eq!(c.indent, 2);
    }

    #[test]
    fn value_after_key() {
        let c = ctx("spec:\n  replicas: $0\n").unwrap();
        assert_eq!(c.position, CursorPosition::Value { key: "replicas".into() });
        assert_eq!(path(&c), "spec");
        let c = ctx("kind: Depl$0oyment # x\n").unwrap();
        assert_eq!(c.prefix, "Depl");
        assert_eq!(c.replace, Span::new(6, 16));
        let c = ctx("kind:$0\n").unwrap();
        assert!(c.needs_space);
        let c = ctx("kind: \"Dep$0\"\n").unwrap();
        assert_eq!((c.prefix.as_str(), c.replace), ("Dep", Span::new(7, 10)));
    }

    #[test]
    fn empty_line_inside_a_sequence_item() {
        let c = ctx("spec:\n  containers:\n  - name: a\n    $0\n").unwrap();
        assert_eq!(path(&c), "spec.containers.0");
        assert_eq!(c.existing_keys, vec!["name".to_string()]);
        let c = ctx("containers:\n  - name: a\n  - name: b\n    image: x\n    $0\n    ports: []\n").unwrap();
        assert_eq!(path(&c), "containers.1");
        assert_eq!(c.existing_keys, vec!["image", "name", "ports"]);
    }

    #[test]
    fn right_after_a_dash() {
        let c = ctx("containers:\n- name: a\n- $0").unwrap();
        assert_eq!(path(&c), "containers.1");
        assert!(c.item_start && c.existing_keys.is_empty());
        let c = ctx("a:\n  - - x\n    - $0").unwrap();
        assert_eq!(path(&c), "a.0.1");
    }

    #[test]
    fn dedent_back_to_an_outer_mapping() {
        let c = ctx("spec:\n  template:\n    spec:\n      x: 1\n  $0\n").unwrap();
        assert_eq!(path(&c), "spec");
        assert_eq!(c.existing_keys, vec!["template"]);
        let c = ctx("a:\n  b:\n  - c: 1\n  $0").unwrap();
        assert_eq!((path(&c), c.existing_keys.clone()), ("a".into(), vec!["b".to_string()]));
    }

    #[test]
    fn nothing_inside_comments_and_block_scalars() {
        assert!(ctx("# co$0").is_none());
        assert!(ctx("data:\n  s: |\n    echo\n    ec$0\n").is_none());
        assert!(ctx("a: [b, $0]").is_none());
        let c = ctx("data:\n  s: |\n    echo\n  $0\n").unwrap();
        assert_eq!(path(&c), "data");
    }

    #[test]
    fn documents_are_separate() {
        let c = ctx("a: 1\n---\nkind: x\nspec:\n  $0").unwrap();
        assert_eq!((c.doc_index, path(&c)), (1, "spec".into()));
        let c = ctx("a: 1\n---\n$0").unwrap();
        assert_eq!((c.doc_index, path(&c)), (1, "".into()));
        assert!(c.existing_keys.is_empty());
    }

    #[test]
    fn colon_after_the_key() {
        let c = ctx("spec:\n  rep$0: 3\n").unwrap();
        assert!(c.colon_follows);
        assert_eq!(c.prefix, "rep");
    }

    #[test]
    fn crlf_lines() {
        let c = ctx("spec:\r\n  template:\r\n    spec:\r\n      $0\r\n").unwrap();
        assert_eq!((path(&c), c.indent), ("spec.template.spec".into(), 6));
        let c = ctx("kind: Serv$0ice\r\n").unwrap();
        assert_eq!((c.prefix.as_str(), c.replace), ("Serv", Span::new(6, 13)));
    }

    #[test]
    fn nothing_in_front_of_existing_content() {
        assert!(ctx("a:\n  $0- x\n").is_none());
        assert!(ctx("a:\n$0  b: 1\n").is_none());
    }

    #[test]
    fn style_detection() {
        assert_eq!(detect_style("a:\n    b: 1\nc:\n- x\n"), Style { width: 4, indent_sequences: false });
        assert_eq!(detect_style("a:\n  - x\n"), Style { width: 2, indent_sequences: true });
        assert_eq!(detect_style(""), Style::default());
        assert_eq!(style_evidence("a: 1\n"), (None, None));
    }

    #[test]
    fn resource_of_list_items() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n";
        let file = YamlFile::parse(text);
        let r = resource_ref(&file.documents()[0], text, &[Segment::Key("items".into()), Segment::Index(0)]);
        assert_eq!((r.kind.as_deref(), r.depth), (Some("ConfigMap"), 2));
    }
}
