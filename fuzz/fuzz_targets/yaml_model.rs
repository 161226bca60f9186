//! Arbitrary bytes into the YAML model: it never panics, every range it reports lies inside the
//! text on character boundaries, and no tree is deeper than the nesting limit.
#![no_main]

use gitops_ls::yaml::{MAX_DEPTH, Node, NodeKind, Span, YamlFile, to_json};
use libfuzzer_sys::fuzz_target;

fn check_span(text: &str, span: Span, what: &str) {
    assert!(span.start <= span.end, "{what}: reversed {span:?}");
    assert!(span.end <= text.len(), "{what}: {span:?} past the end ({})", text.len());
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: {span:?} splits a character"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text: &str = &text;
    let file = YamlFile::parse(text);
    for d in file.diagnostics() {
        check_span(text, d.span, d.code);
        for fix in &d.fixes {
            for e in &fix.edits {
                check_span(text, e.span, "fix");
            }
        }
    }
    let mut covered = 0;
    for slot in file.documents() {
        assert_eq!(slot.start, covered, "documents tile the file");
        covered = slot.span().end;
        let doc_span = slot.span();
        check_span(text, doc_span, "document");
        for c in &slot.doc.comments {
            check_span(text, c.span.shift(slot.start), "comment");
            assert_eq!(&text[c.span.shift(slot.start).start..c.span.shift(slot.start).end], c.text);
        }
        let Some(root) = &slot.doc.root else { continue };
        let mut stack: Vec<(&Node, usize)> = vec![(root, 0)];
        while let Some((n, depth)) = stack.pop() {
            let abs = n.span.shift(slot.start);
            check_span(text, abs, "node");
            assert!(
                doc_span.start <= abs.start && abs.end <= doc_span.end,
                "node {abs:?} outside its document {doc_span:?}"
            );
            let depth = depth + usize::from(matches!(n.kind, NodeKind::Mapping(_) | NodeKind::Sequence(_)));
            assert!(depth <= MAX_DEPTH, "tree deeper than the limit");
            stack.extend(n.children().map(|c| (c, depth)));
        }
        let _ = to_json(root);
    }
    assert_eq!(covered, text.len(), "documents cover the file");
});
