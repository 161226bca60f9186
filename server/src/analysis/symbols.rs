use crate::yaml::{DocumentSlot, Node, NodeKind, ScalarValue, Span, YamlFile};

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

/// The tree features should use: the current one, or while the document is broken the last
/// good tree mapped through the edits since (its ranges stay exact; edited parts are gone).
pub fn best_tree(slot: &DocumentSlot) -> Option<&Node> {
    if slot.doc.complete {
        return slot.doc.root.as_ref();
    }
    slot.last_good.as_deref().or(slot.doc.root.as_ref())
}

/// One symbol per document, named `Kind name` (`Kind namespace/name`), with its keys nested below
/// (down to [`MAX_SYMBOL_DEPTH`] levels).
pub fn document_symbols(file: &YamlFile) -> Vec<Symbol> {
    document_symbols_bounded(file, usize::MAX, MAX_SYMBOL_DEPTH)
}

/// `Kind namespace/name` and the span of the `kind` value.
fn resource_name(root: &Node) -> Option<(String, Span)> {
    let kind = root.get("kind")?;
    let kind_str = kind.as_str().filter(|s| !s.is_empty())?;
    let meta = root.get("metadata");
    let name = meta.and_then(|m| m.get("name")).and_then(Node::as_str).filter(|s| !s.is_empty());
    let ns = meta.and_then(|m| m.get("namespace")).and_then(Node::as_str).filter(|s| !s.is_empty());
    let label = match (ns, name) {
        (Some(ns), Some(n)) => format!("{kind_str} {ns}/{n}"),
        (None, Some(n)) => format!("{kind_str} {n}"),
        _ => kind_str.to_string(),
    };
    Some((label, kind.span))
}

fn value_kind(n: &Node) -> SymbolKind {
    match &n.kind {
        NodeKind::Mapping(_) => SymbolKind::Object,
        NodeKind::Sequence(_) => SymbolKind::Array,
        NodeKind::Alias(_) => SymbolKind::Object,
        NodeKind::Scalar(s) => match s.typed {
            ScalarValue::Null => SymbolKind::Null,
            ScalarValue::Bool(_) => SymbolKind::Boolean,
            ScalarValue::Int(_) | ScalarValue::Float(_) => SymbolKind::Number,
            ScalarValue::String => SymbolKind::String,
        },
    }
}

/// Symbols nested deeper are left out: an outline that deep helps no one, and clients that parse
/// JSON with serde_json (depth limit 128, two levels per symbol) would reject the whole answer.
const MAX_SYMBOL_DEPTH: usize = 40;

/// [`document_symbols`] with at most `max` symbols: whole levels of the outline are listed
/// while they fit (and no deeper than `max_depth`); a symbol whose children are left out says
/// how many in its detail, and documents beyond `max` are summed up in one last symbol. Only
/// what is listed is built, so the cost follows `max`, not the file.
pub fn document_symbols_bounded(file: &YamlFile, max: usize, max_depth: usize) -> Vec<Symbol> {
    let docs: Vec<(usize, usize, &Node)> = file
        .documents()
        .iter()
        .enumerate()
        .filter_map(|(i, slot)| Some((i, slot.start, best_tree(slot)?)))
        .filter(|(_, _, root)| !(root.is_null() && root.span.is_empty()))
        .collect();
    let depth = if docs.len() > max {
        0
    } else {
        // Symbols per level, counted without recursion.
        let mut levels = vec![0usize; max_depth + 1];
        levels[0] = docs.len();
        let mut stack: Vec<(&Node, usize)> = docs.iter().map(|&(_, _, root)| (root, 0)).collect();
        while let Some((node, level)) = stack.pop() {
            if level < max_depth {
                for child in child_nodes(node) {
                    levels[level + 1] += 1;
                    stack.push((child, level + 1));
                }
            }
        }
        let mut total = 0;
        levels
            .iter()
            .take_while(|&&n| {
                total += n;
                total <= max
            })
            .count()
            .saturating_sub(1)
    };
    let listed = docs.len().min(max.saturating_sub(usize::from(docs.len() > max)));
    let mut out: Vec<Symbol> = docs[..listed]
        .iter()
        .map(|&(i, base, root)| {
            let (name, selection) = resource_name(root).unwrap_or_else(|| {
                let first = root.entries().first().map_or(root.span, |e| e.key.span);
                (format!("document {}", i + 1), first)
            });
            let detail = root.get("apiVersion").and_then(Node::as_str).map(str::to_string);
            Symbol {
                name,
                detail: with_hidden(detail, root, depth),
                kind: SymbolKind::Document,
                span: root.span.shift(base),
                selection: selection.shift(base),
                children: bounded_children(root, base, depth),
            }
        })
        .collect();
    if let (Some(first), Some(last)) = (docs.get(listed), docs.last()) {
        let start = first.2.span.shift(first.1).start;
        let end = last.2.span.shift(last.1).end.max(start);
        out.push(Symbol {
            name: format!("… {} more documents", docs.len() - listed),
            detail: Some(format!("the outline lists at most {max} symbols")),
            kind: SymbolKind::Document,
            span: Span::new(start, end),
            selection: Span::new(start, start),
            children: Vec::new(),
        });
    }
    out
}

/// The nodes below `n` that are symbols of their own.
fn child_nodes(n: &Node) -> Box<dyn Iterator<Item = &Node> + '_> {
    match &n.kind {
        NodeKind::Mapping(entries) => Box::new(entries.iter().map(|e| &e.value)),
        NodeKind::Sequence(items) => Box::new(items.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

/// `detail`, plus a count of the symbols below `n` when none of them is listed (`depth` 0).
fn with_hidden(detail: Option<String>, n: &Node, depth: usize) -> Option<String> {
    if depth > 0 {
        return detail;
    }
    let mut stack: Vec<&Node> = child_nodes(n).collect();
    let mut hidden = 0;
    while let Some(node) = stack.pop() {
        hidden += 1;
        stack.extend(child_nodes(node));
    }
    if hidden == 0 {
        return detail;
    }
    let note = format!("{hidden} nested symbols not listed");
    Some(detail.map_or(note.clone(), |d| format!("{d} · {note}")))
}

/// The children of `n` down to `depth` levels (recursion bounded by `depth`).
fn bounded_children(n: &Node, base: usize, depth: usize) -> Vec<Symbol> {
    if depth == 0 {
        return Vec::new();
    }
    match &n.kind {
        NodeKind::Mapping(entries) => entries
            .iter()
            .map(|e| {
                let name = e.key.as_str().map_or_else(|| "<key>".to_string(), str::to_string);
                let detail = e.value.as_str().filter(|s| !s.is_empty()).map(|s| truncate(s, 60));
                Symbol {
                    name: if name.is_empty() { "\"\"".into() } else { name },
                    detail: with_hidden(detail, &e.value, depth - 1),
                    kind: value_kind(&e.value),
                    span: Span::new(e.key.span.start, e.value.span.end.max(e.key.span.end)).shift(base),
                    selection: e.key.span.shift(base),
                    children: bounded_children(&e.value, base, depth - 1),
                }
            })
            .collect(),
        NodeKind::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let label = item.get("name").and_then(Node::as_str).map(str::to_string);
                let detail = item.as_str().map(|s| truncate(s, 60));
                Symbol {
                    name: label.map_or_else(|| format!("[{i}]"), |l| format!("[{i}] {l}")),
                    detail: with_hidden(detail, item, depth - 1),
                    kind: value_kind(item),
                    span: item.span.shift(base),
                    selection: item.span.shift(base),
                    children: bounded_children(item, base, depth - 1),
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    let first_line = s.lines().next().unwrap_or("");
    if first_line.chars().count() <= max && first_line.len() == s.len() {
        return s.to_string();
    }
    let mut t: String = first_line.chars().take(max).collect();
    t.push('…');
    t
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    Region,
    Comment,
}

/// A foldable region in absolute byte offsets; the edge turns it into lines and drops the ones
/// that start and end on the same line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub span: Span,
    pub kind: FoldKind,
}

pub fn folding_ranges(file: &YamlFile) -> Vec<Fold> {
    let mut out = Vec::new();
    for slot in file.documents() {
        let base = slot.start;
        if let Some(root) = best_tree(slot) {
            if !root.span.is_empty() {
                out.push(Fold { span: root.span.shift(base), kind: FoldKind::Region });
            }
            fold_node(root, base, &mut out);
        }
        // Runs of whole-line comments fold together.
        let comments = &slot.doc.comments;
        let mut i = 0;
        while i < comments.len() {
            let mut j = i;
            while j + 1 < comments.len()
                && comments[j + 1].own_line
                && comments[j].own_line
                && comments[j + 1].line == comments[j].line + 1
            {
                j += 1;
            }
            if j > i {
                out.push(Fold {
                    span: Span::new(comments[i].span.start, comments[j].span.end).shift(base),
                    kind: FoldKind::Comment,
                });
            }
            i = j + 1;
        }
    }
    out
}

fn fold_node(n: &Node, base: usize, out: &mut Vec<Fold>) {
    match &n.kind {
        NodeKind::Mapping(entries) => {
            for e in entries {
                if !matches!(e.value.kind, NodeKind::Alias(_)) && e.value.span.end > e.key.span.end {
                    out.push(Fold {
                        span: Span::new(e.key.span.start, e.value.span.end).shift(base),
                        kind: FoldKind::Region,
                    });
                }
                fold_node(&e.value, base, out);
            }
        }
        NodeKind::Sequence(items) => {
            for item in items {
                if matches!(item.kind, NodeKind::Mapping(_) | NodeKind::Sequence(_)) {
                    out.push(Fold { span: item.span.shift(base), kind: FoldKind::Region });
                }
                fold_node(item, base, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "\
# Web tier
# owned by team-a
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: main
          image: nginx
---
apiVersion: v1
kind: Namespace
metadata:
  name: prod
---
just: data
";

    fn names(s: &[Symbol]) -> Vec<&str> {
        s.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn one_symbol_per_document_with_nested_keys() {
        let file = YamlFile::parse(TWO);
        let syms = document_symbols(&file);
        assert_eq!(names(&syms), vec!["Deployment prod/web", "Namespace prod", "document 3"]);
        let dep = &syms[0];
        assert_eq!(dep.detail.as_deref(), Some("apps/v1"));
        assert_eq!(&TWO[dep.selection.start..dep.selection.end], "Deployment");
        assert_eq!(names(&dep.children), vec!["apiVersion", "kind", "metadata", "spec"]);
        let spec = &dep.children[3];
        assert_eq!(spec.kind, SymbolKind::Object);
        let containers = &spec.children[1].children[0].children[0];
        assert_eq!(containers.name, "containers");
        assert_eq!(names(&containers.children), vec!["[0] main"]);
        assert_eq!(spec.children[0].kind, SymbolKind::Number);
        // Every child lies inside its parent.
        fn check(s: &Symbol) {
            for c in &s.children {
                assert!(s.span.start <= c.span.start && c.span.end <= s.span.end, "{} in {}", c.name, s.name);
                check(c);
            }
        }
        syms.iter().for_each(check);
    }

    #[test]
    fn broken_document_uses_last_good_tree() {
        let mut text = TWO.to_string();
        let mut file = YamlFile::parse(&text);
        let at = text.find("  replicas").unwrap();
        text.insert_str(at, "  bad: [\n");
        file.edit(text.as_str(), at, at, 9);
        assert!(!file.documents()[0].doc.complete);
        let syms = document_symbols(&file);
        assert_eq!(syms[0].name, "Deployment prod/web");
        let spec = syms[0].children.iter().find(|c| c.name == "spec").unwrap();
        let replicas = spec.children.iter().find(|c| c.name == "replicas").unwrap();
        assert_eq!(&text[replicas.span.start..replicas.span.end], "replicas: 2");
    }

    #[test]
    fn folds_for_collections_documents_and_comment_runs() {
        let file = YamlFile::parse(TWO);
        let folds = folding_ranges(&file);
        let texts: Vec<&str> = folds.iter().map(|f| &TWO[f.span.start..f.span.end]).collect();
        assert!(texts.contains(&"# Web tier\n# owned by team-a"));
        assert!(texts.contains(&"metadata:\n  name: web\n  namespace: prod"));
        assert!(texts.contains(&"- name: main\n          image: nginx".trim_start_matches("- ")));
        assert!(folds.iter().any(|f| f.kind == FoldKind::Region && TWO[f.span.start..].starts_with("apiVersion: v1")));
    }
}
