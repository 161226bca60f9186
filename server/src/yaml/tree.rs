use std::sync::Arc;

/// Half-open byte range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
    /// Zero for a reversed span.
    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub const fn is_empty(self) -> bool {
        self.start >= self.end
    }
    pub const fn shift(self, by: usize) -> Self {
        Span { start: self.start + by, end: self.end + by }
    }
    pub const fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }
    /// Contains `offset`, counting the end position (a cursor right after a token).
    pub const fn touches(self, offset: usize) -> bool {
        self.start <= offset && offset <= self.end
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

/// A problem found in the text, in absolute byte offsets of the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `yaml-syntax`, `duplicate-key`.
    pub code: &'static str,
    pub message: String,
    /// Quick fixes, most likely first.
    pub fixes: Vec<Fix>,
    /// Other places that explain it (the other definition of a duplicate).
    pub related: Vec<Related>,
}

/// A place in another file (or this one) that a diagnostic points at.
#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub path: std::path::PathBuf,
    /// Byte offsets in that file.
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    pub fn new(span: Span, severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { span, severity, code, message: message.into(), fixes: Vec::new(), related: Vec::new() }
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }

    /// The same diagnostic with every range moved back by `by` bytes (from absolute offsets
    /// to offsets in a document starting at `by`).
    pub fn unshifted(&self, by: usize) -> Self {
        let back = |s: Span| Span::new(s.start.saturating_sub(by), s.end.saturating_sub(by));
        let mut d = self.clone();
        d.span = back(d.span);
        for f in &mut d.fixes {
            for e in &mut f.edits {
                e.span = back(e.span);
            }
        }
        d
    }

    /// The same diagnostic with every range moved by `by` bytes.
    pub fn shifted(&self, by: usize) -> Self {
        let mut d = self.clone();
        d.span = d.span.shift(by);
        for f in &mut d.fixes {
            for e in &mut f.edits {
                e.span = e.span.shift(by);
            }
        }
        d
    }
}

/// A quick fix: edits to apply together.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<TextEdit>,
}

impl Fix {
    pub fn replace(title: impl Into<String>, span: Span, new_text: impl Into<String>) -> Self {
        Fix { title: title.into(), edits: vec![TextEdit { span, new_text: new_text.into() }] }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TextEdit {
    pub span: Span,
    pub new_text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A scalar's value as Kubernetes decodes it (YAML 1.1 rules of go-yaml v2).
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// The scalar's content after unescaping and folding (boxed: a node is 64 bytes, not 72).
    pub value: Box<str>,
    pub style: ScalarStyle,
    /// How Kubernetes types it; `String` for any quoted or block scalar or an explicit `!!str` tag.
    pub typed: ScalarValue,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Mapping(Vec<Entry>),
    Sequence(Vec<Node>),
    /// `*name`; resolved against the document's anchors.
    Alias(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Relative to the start of the owning document.
    pub span: Span,
    pub kind: NodeKind,
    /// Anchor and tag, boxed because few nodes have either.
    pub props: Option<Box<Props>>,
}

/// A node's `&anchor` and `!tag`.
#[derive(Clone, Debug, PartialEq)]
pub struct Props {
    pub anchor: Option<String>,
    /// Full tag text, e.g. `!!str` or `!custom`.
    pub tag: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// Relative to the document start; covers `#` to the end of the line.
    pub span: Span,
    pub text: String,
    /// Zero-based line within the document.
    pub line: usize,
    /// Nothing but whitespace precedes the `#` on its line.
    pub own_line: bool,
}

/// One `---` document, parsed. All spans are relative to the document's start offset.
#[derive(Clone, Debug, Default)]
pub struct ParsedDocument {
    /// Length in bytes of the document's text, including its leading `---` line if any.
    pub len: usize,
    /// The root node, or a partial tree when the document has a syntax error.
    pub root: Option<Node>,
    /// True when the document parsed without a syntax error.
    pub complete: bool,
    /// Syntax-level problems (spans relative to the document start).
    pub diagnostics: Vec<Diagnostic>,
    pub comments: Vec<Comment>,
    /// The document contains Helm/Go template directives (`{{ … }}`); schema features skip it.
    pub is_template: bool,
}

/// A document placed in its file.
#[derive(Clone, Debug)]
pub struct DocumentSlot {
    /// Absolute byte offset of the document's first byte.
    pub start: usize,
    pub doc: Arc<ParsedDocument>,
    /// While the document is broken: its last tree that parsed without error, mapped through
    /// the edits since. `None` when the document is complete (its root is the good tree).
    pub last_good: Option<Arc<Node>>,
}

impl DocumentSlot {
    pub fn span(&self) -> Span {
        Span::new(self.start, self.start + self.doc.len)
    }

    /// The current tree if the document is complete, else the last good one (if any).
    pub fn good_tree(&self) -> Option<&Node> {
        if self.doc.complete { self.doc.root.as_ref() } else { self.last_good.as_deref() }
    }
}

impl Node {
    pub fn new(span: Span, kind: NodeKind) -> Node {
        Node { span, kind, props: None }
    }
    pub fn with_props(span: Span, kind: NodeKind, anchor: Option<String>, tag: Option<String>) -> Node {
        let props = (anchor.is_some() || tag.is_some()).then(|| Box::new(Props { anchor, tag }));
        Node { span, kind, props }
    }
    pub fn anchor(&self) -> Option<&str> {
        self.props.as_ref()?.anchor.as_deref()
    }
    pub fn tag(&self) -> Option<&str> {
        self.props.as_ref()?.tag.as_deref()
    }
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| &*s.value)
    }
    pub fn entries(&self) -> &[Entry] {
        match &self.kind {
            NodeKind::Mapping(e) => e,
            _ => &[],
        }
    }
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Sequence(i) => i,
            _ => &[],
        }
    }
    /// The entry whose scalar key equals `key`.
    pub fn get_entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key.as_str() == Some(key))
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|e| &e.value)
    }
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(Scalar { typed: ScalarValue::Null, .. }))
    }
}

impl Node {
    /// The node's direct children in document order (keys before their values).
    pub fn children(&self) -> impl DoubleEndedIterator<Item = &Node> {
        let (entries, items): (&[Entry], &[Node]) = match &self.kind {
            NodeKind::Mapping(e) => (e, &[]),
            NodeKind::Sequence(i) => (&[], i),
            _ => (&[], &[]),
        };
        entries.iter().flat_map(|e| [&e.key, &e.value]).chain(items.iter())
    }

    /// This node and every node below it, in document order, with an explicit stack (trees
    /// are bounded in depth, but walks should not depend on it).
    pub fn descendants(&self) -> Descendants<'_> {
        Descendants { stack: vec![self] }
    }
}

/// See [`Node::descendants`].
pub struct Descendants<'a> {
    stack: Vec<&'a Node>,
}

impl<'a> Iterator for Descendants<'a> {
    type Item = &'a Node;
    fn next(&mut self) -> Option<&'a Node> {
        let n = self.stack.pop()?;
        self.stack.extend(n.children().rev());
        Some(n)
    }
}
