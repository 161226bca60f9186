//! Fixture tests for the YAML model.
//!
//! Diagnostics are written under the offending text as annotation lines, which are removed
//! before parsing:  `   ^^^ error[duplicate-key]: duplicate key` (the carets give the columns of
//! the line above; the message is matched as a substring).

use super::*;

fn parse(text: &str) -> YamlFile {
    YamlFile::parse(text)
}

use crate::test_util::strip_annotations;

#[track_caller]
fn check_diagnostics(fixture: &str) -> YamlFile {
    let (text, expected) = strip_annotations(fixture);
    let file = parse(&text);
    crate::test_util::assert_diagnostics(&text, &expected, &file.diagnostics());
    file
}

fn root(file: &YamlFile, i: usize) -> (&Node, usize) {
    let slot = &file.documents()[i];
    (slot.doc.root.as_ref().expect("root"), slot.start)
}

fn text_of<'a>(text: &'a str, base: usize, n: &Node) -> &'a str {
    &text[base + n.span.start..base + n.span.end]
}

#[test]
fn block_scalars_cover_header_and_content() {
    let text = "a: |\n  line one\n  line two\n\nb: >-\n  folded\n  text\nc: |+ # keep\n  x\n\nd: end\n";
    let file = check_diagnostics(text);
    let (r, base) = root(&file, 0);
    assert_eq!(text_of(text, base, r.get("a").unwrap()), "|\n  line one\n  line two");
    assert_eq!(r.get("a").unwrap().as_str(), Some("line one\nline two\n"));
    assert_eq!(text_of(text, base, r.get("b").unwrap()), ">-\n  folded\n  text");
    assert_eq!(r.get("b").unwrap().as_str(), Some("folded text"));
    assert_eq!(text_of(text, base, r.get("c").unwrap()), "|+ # keep\n  x");
    assert_eq!(r.get("c").unwrap().as_scalar().unwrap().style, ScalarStyle::Literal);
    assert_eq!(text_of(text, base, r.get("d").unwrap()), "end");
    assert_eq!(r.get("d").unwrap().as_scalar().unwrap().typed, ScalarValue::String);
}

#[test]
fn flow_collections() {
    let text = "ports: [80, 443]\nsel: {app: web, tier: \"fe\"}\nnested: {a: [1, {b: c}]}\n";
    let file = check_diagnostics(text);
    let (r, base) = root(&file, 0);
    assert_eq!(text_of(text, base, r.get("ports").unwrap()), "[80, 443]");
    assert_eq!(r.get("ports").unwrap().items()[1].as_scalar().unwrap().typed, ScalarValue::Int(443));
    let sel = r.get("sel").unwrap();
    assert_eq!(text_of(text, base, sel), "{app: web, tier: \"fe\"}");
    assert_eq!(text_of(text, base, sel.get("tier").unwrap()), "\"fe\"");
    assert_eq!(text_of(text, base, r.get("nested").unwrap().get("a").unwrap()), "[1, {b: c}]");
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text =
        "base: &base\n  image: nginx\n  replicas: 2\nweb:\n  <<: *base\n  replicas: 3\nlist: &l [a, b]\ncopy: *l\n";
    let file = check_diagnostics(text);
    let (r, base) = root(&file, 0);
    assert_eq!(r.get("base").unwrap().anchor(), Some("base"));
    assert_eq!(text_of(text, base, r.get("base").unwrap()), "image: nginx\n  replicas: 2");
    let alias = r.get("web").unwrap().get("<<").unwrap();
    assert_eq!(alias.kind, NodeKind::Alias("base".into()));
    assert_eq!(text_of(text, base, alias), "*base");
    let json = to_json(r).unwrap();
    assert_eq!(json["web"], serde_json::json!({"image": "nginx", "replicas": 3}));
    assert_eq!(json["copy"], serde_json::json!(["a", "b"]));
}

#[test]
fn billion_laughs_is_an_error_not_an_oom() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = (b'a' + i - 1) as char;
        let cur = (b'a' + i) as char;
        text.push_str(&format!(
            "{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    let file = parse(&text);
    let d = file.diagnostics();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "alias");
    assert!(d[0].message.contains("excessive aliasing"));
    assert_eq!(to_json(root(&file, 0).0), Err(ExpansionLimit));
}

#[test]
fn crlf_and_multibyte_ranges_are_exact() {
    let text = "---\r\nname: caf\u{e9} \u{1f600}\r\nlabel: \u{65e5}\u{672c}\r\nk: \"e\u{301}\"\r\n";
    let file = check_diagnostics(text);
    let (r, base) = root(&file, 0);
    assert_eq!(text_of(text, base, r.get("name").unwrap()), "caf\u{e9} \u{1f600}");
    assert_eq!(text_of(text, base, r.get("label").unwrap()), "\u{65e5}\u{672c}");
    assert_eq!(text_of(text, base, r.get("k").unwrap()), "\"e\u{301}\"");
    assert_eq!(text_of(text, base, &r.get_entry("k").unwrap().key), "k");
}

#[test]
fn byte_order_mark_is_reported_and_skipped() {
    let text = "\u{feff}apiVersion: v1\nkind: ConfigMap\n";
    let file = parse(text);
    let d = file.diagnostics();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].code, d[0].severity, d[0].span), ("bom", Severity::Warning, Span::new(0, 3)));
    let (r, base) = root(&file, 0);
    assert_eq!(text_of(text, base, &r.entries()[0].key), "apiVersion");
    assert_eq!(r.get("kind").unwrap().as_str(), Some("ConfigMap"));
}

#[test]
fn tabs_used_for_indentation() {
    check_diagnostics("spec:\n\treplicas: 2\n^ error[yaml-syntax]: tab character used for indentation\n");
}

#[test]
fn comments_are_kept_with_exact_ranges() {
    let text = "# top\nimage: app:1.0 # {\"$imagepolicy\": \"flux-system:app\"}\nmsg: \"a # not a comment\"\nurl: http://x/#frag\n";
    let file = check_diagnostics(text);
    let doc = &file.documents()[0].doc;
    let comments: Vec<&str> = doc.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(comments, vec!["# top", "# {\"$imagepolicy\": \"flux-system:app\"}"]);
    let c = &doc.comments[1];
    assert_eq!(&text[c.span.start..c.span.end], c.text);
}

#[test]
fn half_typed_key_keeps_a_tree() {
    let text = "spec:\n  repl\n";
    let file = check_diagnostics(text);
    let (r, base) = root(&file, 0);
    assert_eq!(text_of(text, base, r.get("spec").unwrap()), "repl");
    let text = "spec:\n  replicas:\n  selector:\n    match\n";
    let file = check_diagnostics(text);
    let (r, _) = root(&file, 0);
    let spec = r.get("spec").unwrap();
    assert!(spec.get("replicas").unwrap().is_null());
    assert_eq!(spec.get("selector").unwrap().as_str(), Some("match"));
}

#[test]
fn conflict_markers() {
    let text = "\
apiVersion: v1
kind: ConfigMap
data:
<<<<<<< HEAD
^^^^^^^^^^^^ error[merge-conflict]: merge conflict marker
  a: \"1\"
=======
^^^^^^^ error[merge-conflict]: merge conflict marker
  a: \"2\"
>>>>>>> feature
^^^^^^^^^^^^^^^ error[merge-conflict]: merge conflict marker
";
    let file = check_diagnostics(text);
    assert!(!file.documents()[0].doc.complete);
}

#[test]
fn empty_documents_and_preamble() {
    let text = "# leading comment\n---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n";
    let file = check_diagnostics(text);
    let docs = file.documents();
    assert_eq!(docs.len(), 4);
    assert_eq!(docs[0].start, 0);
    assert_eq!(docs[0].doc.root.as_ref().unwrap().get("a").unwrap().as_scalar().unwrap().typed, ScalarValue::Int(1));
    assert!(docs[1].doc.root.as_ref().is_none_or(Node::is_null));
    assert!(docs[2].doc.root.as_ref().is_none_or(Node::is_null));
    assert_eq!(docs[3].doc.root.as_ref().unwrap().get("b").unwrap().as_str(), Some("2"));
    let empty = parse("");
    assert_eq!(empty.documents().len(), 1);
    assert!(empty.diagnostics().is_empty());
}

#[test]
fn duplicate_keys_are_errors() {
    check_diagnostics(
        "\
metadata:
  name: a
  labels:
    app: x
    app: y
    ^^^ error[duplicate-key]: duplicate key `app` (first defined on line 4)
  name: b
  ^^^^ error[duplicate-key]: duplicate key `name` (first defined on line 2)
",
    );
}

#[test]
fn friendly_syntax_messages() {
    check_diagnostics(
        "\
metadata:
  name:web
      ^ error[yaml-syntax]: did you forget a space after ':'?
  namespace: prod
",
    );
    check_diagnostics("a: b: c\n    ^ error[yaml-syntax]: a plain value cannot contain ': '\n");
    check_diagnostics("a: \"unclosed\n   ^ error[yaml-syntax]: unclosed quoted string\nb: 1\n");
    check_diagnostics("a:\n  b: 1\n c: 2\n ^ error[yaml-syntax]: bad indentation\n");
    check_diagnostics("x: *nope\n   ^^^^^ error[yaml-syntax]: alias *nope refers to an anchor\n");
}

#[test]
fn a_broken_document_does_not_hide_the_others() {
    let text = "a: 1\n---\nb: [1\n---\nc: 3\nc: 4\n";
    let file = parse(text);
    let d = file.diagnostics();
    assert_eq!(d.iter().map(|d| d.code).collect::<Vec<_>>(), vec!["yaml-syntax", "duplicate-key"]);
    assert!(file.documents()[0].doc.complete && !file.documents()[1].doc.complete && file.documents()[2].doc.complete);
}

#[test]
fn recovery_keeps_the_rest_of_a_broken_document() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name:web\n  namespace: prod\ndata:\n  k: v\n";
    let file = parse(text);
    let slot = &file.documents()[0];
    assert!(!slot.doc.complete);
    let r = slot.doc.root.as_ref().unwrap();
    assert_eq!(r.get("kind").unwrap().as_str(), Some("ConfigMap"));
    assert_eq!(r.get("metadata").unwrap().get("namespace").unwrap().as_str(), Some("prod"));
    assert_eq!(text_of(text, 0, r.get("data").unwrap().get("k").unwrap()), "v");
}

#[test]
fn templates_get_one_note_and_no_error_spam() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  {{- include \"labels\" . | nindent 4 }}\n---\nkind: {{ .Values.kind }}\n";
    let file = parse(text);
    let d = file.diagnostics();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].severity, Severity::Information);
    assert_eq!(&text[d[0].span.start..d[0].span.end], "{{ .Release.Name }}");
    assert!(file.documents().iter().all(|s| s.doc.is_template));
}

#[test]
fn kubernetes_scalar_typing() {
    let text = "a: yes\nb: \"yes\"\nc: 0644\nd: 1.10\ne: on\nf: ~\ng: !!str 12\n";
    let file = check_diagnostics(text);
    let json = to_json(root(&file, 0).0).unwrap();
    assert_eq!(json, serde_json::json!({"a": true, "b": "yes", "c": 420, "d": 1.1, "e": true, "f": null, "g": "12"}));
}

fn generated(docs: usize) -> String {
    let mut s = String::new();
    for i in 0..docs {
        s.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  labels: {{app: app-{i}}}\nspec:\n  replicas: {}\n  template:\n    spec:\n      containers:\n        - name: main\n          image: \"registry.example.com/app:{i}.0\"\n",
            i % 5
        ));
    }
    s
}

fn assert_same_as_fresh(file: &YamlFile, text: &str) {
    let fresh = YamlFile::parse(text);
    assert_eq!(file.documents().len(), fresh.documents().len());
    for (a, b) in file.documents().iter().zip(fresh.documents()) {
        assert_eq!(a.start, b.start);
        assert_eq!(a.doc.len, b.doc.len);
        assert_eq!(a.doc.root, b.doc.root);
        assert_eq!(a.doc.diagnostics, b.doc.diagnostics);
        assert_eq!(a.doc.comments, b.doc.comments);
    }
}

#[test]
fn one_character_edit_reparses_one_document_of_a_thousand() {
    let mut text = generated(1000);
    let mut file = YamlFile::parse(&text);
    assert_eq!(file.documents().len(), 1000);
    let before = file.parse_count();
    let at = text.find("name: app-500\n").unwrap() + "name: app-5".len();
    text.insert(at, '7');
    file.edit(text.as_str(), at, at, 1);
    assert_eq!(file.parse_count() - before, 1);
    assert_same_as_fresh(&file, &text);
    let doc = file.document_at(at).unwrap();
    assert_eq!(doc.doc.root.as_ref().unwrap().get("metadata").unwrap().get("name").unwrap().as_str(), Some("app-5700"));
}

#[test]
fn edits_that_add_or_remove_separators() {
    let mut text = String::from("a: 1\nb: 2\nc: 3\n");
    let mut file = YamlFile::parse(&text);
    let at = text.find("b:").unwrap();
    text.insert_str(at, "---\n");
    file.edit(text.as_str(), at, at, 4);
    assert_eq!(file.documents().len(), 2);
    assert_same_as_fresh(&file, &text);
    // Break the separator: the two documents join again.
    text.insert(at, 'x');
    file.edit(text.as_str(), at, at, 1);
    assert_same_as_fresh(&file, &text);
    assert_eq!(file.documents().len(), 1);
}

#[test]
fn last_good_tree_follows_edits_while_broken() {
    let mut text = String::from("kind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n");
    let mut file = YamlFile::parse(&text);
    let at = text.find("  replicas").unwrap();
    text.insert_str(at, "  x: [\n");
    file.edit(text.as_str(), at, at, 7);
    let slot = &file.documents()[0];
    assert!(!slot.doc.complete);
    let good = slot.last_good.as_ref().expect("last good tree");
    let replicas = good.get("spec").unwrap().get("replicas").unwrap();
    assert_eq!(&text[slot.start + replicas.span.start..slot.start + replicas.span.end], "2");
    let name = good.get("metadata").unwrap().get("name").unwrap();
    assert_eq!(&text[name.span.start..name.span.end], "web");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn arb_edit() -> impl Strategy<Value = (f64, usize, String)> {
        let pieces = prop::sample::select(vec![
            "a", ":", " ", "\n", "---\n", "- ", "  ", "#", "\"", "[", "]", "{", "}", "é", "😀", "\r\n", "x: 1\n",
            "&a ", "*a", "|\n", "\t", "{{", "}}",
        ]);
        (0.0..1.0f64, 0usize..6, prop::collection::vec(pieces, 0..4).prop_map(|v| v.concat()))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        /// Incremental updates give exactly the model a fresh parse gives.
        #[test]
        fn incremental_equals_fresh(edits in prop::collection::vec(arb_edit(), 1..12), docs in 1usize..5) {
            let mut text = generated(docs);
            let mut file = YamlFile::parse(&text);
            for (pos, del, ins) in edits {
                let mut start = ((text.len() as f64) * pos) as usize;
                while !text.is_char_boundary(start) { start -= 1; }
                let mut end = (start + del).min(text.len());
                while !text.is_char_boundary(end) { end += 1; }
                text.replace_range(start..end, &ins);
                file.edit(text.as_str(), start, end, ins.len());
                assert_same_as_fresh(&file, &text);
                for slot in file.documents() {
                    if let Some(good) = slot.good_tree() {
                        check_spans_in_bounds(good, slot.doc.len);
                    }
                }
            }
        }
    }

    fn check_spans_in_bounds(n: &Node, len: usize) {
        assert!(n.span.start <= n.span.end && n.span.end <= len);
        for e in n.entries() {
            check_spans_in_bounds(&e.key, len);
            check_spans_in_bounds(&e.value, len);
        }
        n.items().iter().for_each(|i| check_spans_in_bounds(i, len));
    }
}

#[test]
fn go_yaml_leniencies_are_warnings_with_a_tree() {
    let text = "\
data:
  nginx.conf: '
              ^ warning[quoted-indentation]: this quoted string continues on a line indented no deeper
events {
}'
matrix:
  dirs: [
    'a',
    'b'
  ]
  ^ warning[quoted-indentation]: this flow collection continues on a line indented no deeper
after: 1
";
    let file = check_diagnostics(text);
    let slot = &file.documents()[0];
    assert!(slot.doc.complete);
    let r = slot.doc.root.as_ref().unwrap();
    assert_eq!(r.get("data").unwrap().get("nginx.conf").unwrap().as_str(), Some(" events { }"));
    assert_eq!(r.get("matrix").unwrap().get("dirs").unwrap().items().len(), 2);
    assert_eq!(r.get("after").unwrap().as_scalar().unwrap().typed, ScalarValue::Int(1));
}

#[test]
fn strings_with_braces_are_not_templates() {
    // Argo CD ApplicationSet, GitHub Actions, and a ConfigMap carrying a template as data.
    let text = "\
spec:
  template:
    metadata:
      name: '{{path.basename}}'
steps:
  - run: echo ${{ matrix.dir }}
  - run: |
      echo {{ .Values.x }}
# {{ not a template }}
";
    let file = check_diagnostics(text);
    assert!(!file.documents()[0].doc.is_template);
    // A Helm-style action in a plain value is.
    let file = parse("image: repo:{{ .Values.tag }}\n");
    assert!(file.documents()[0].doc.is_template);
    let file = parse("{{- if .Values.enabled }}\na: 1\n{{- end }}\n");
    assert!(file.documents()[0].doc.is_template);
    assert_eq!(file.diagnostics().len(), 1);
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    fn check_node(n: &Node, text: &str) {
        assert!(n.span.start <= n.span.end && n.span.end <= text.len(), "{:?} in {}", n.span, text.len());
        assert!(text.is_char_boundary(n.span.start) && text.is_char_boundary(n.span.end));
        for e in n.entries() {
            check_node(&e.key, text);
            check_node(&e.value, text);
        }
        n.items().iter().for_each(|i| check_node(i, text));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]
        /// Any input parses without panicking, and every range is inside the text on char boundaries.
        #[test]
        fn any_input_parses_with_valid_ranges(pieces in prop::collection::vec(prop::sample::select(vec![
            "a", "b: ", ":", " ", "  ", "\n", "\r\n", "\t", "---\n", "...\n", "- ", "? ", "#", "'", "\"", "\\", "[", "]", "{", "}",
            ",", "&x ", "*x", "!t ", "!!str ", "|", ">-", "é", "😀", "\u{feff}", "{{ .V }}", "<<: ", "%YAML 1.2\n", "<<<<<<< a\n",
        ]), 0..60)) {
            let text = pieces.concat();
            let file = YamlFile::parse(&text);
            for slot in file.documents() {
                let doc_text = &text[slot.start..slot.start + slot.doc.len];
                if let Some(r) = &slot.doc.root { check_node(r, doc_text); }
                for c in &slot.doc.comments { assert_eq!(&doc_text[c.span.start..c.span.end], c.text); }
            }
            for d in file.diagnostics() {
                assert!(d.span.start <= d.span.end && d.span.end <= text.len());
                assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end));
            }
            let _ = crate::analysis::document_symbols(&file);
            let _ = crate::analysis::folding_ranges(&file);
        }
    }
}

#[test]
fn control_characters_are_named_at_their_range() {
    // Once reported as "tab character used for indentation" (saphyr says "unprintable").
    for (text, at, code_point) in [
        ("a: b\0c\n", 4, "U+0000 (NUL)"),
        ("\0", 0, "U+0000 (NUL)"),
        ("a: \"x\u{1}y\"\n", 5, "U+0001"),
        ("a: |\n  bell\u{7}\n", 11, "U+0007 (BEL)"),
        ("# é \u{1b}[0m\nkey: v\n", 5, "U+001B (escape)"),
        ("k: v\u{85}w\u{9f}\n", 7, "U+009F"),
        ("k: \u{fffe}\n", 3, "U+FFFE"),
    ] {
        let file = parse(text);
        let d = file.diagnostics();
        assert_eq!(d.len(), 1, "{text:?}: {d:?}");
        assert_eq!(d[0].code, "control-character");
        assert_eq!(d[0].span.start, at, "{text:?}");
        assert_eq!(text[d[0].span.start..d[0].span.end].chars().count(), 1, "{text:?}");
        assert!(d[0].message.contains(code_point), "{}", d[0].message);
        assert!(!d[0].message.contains("tab"), "{}", d[0].message);
        // The rest of the document still has a tree, and is complete.
        assert!(file.documents()[0].doc.complete, "{text:?}");
    }
    // A run is one diagnostic; a binary blob is at most 20.
    let file = parse("a: \0\0\0\nb: c\n");
    assert_eq!(file.diagnostics().len(), 1);
    assert_eq!(file.diagnostics()[0].span, Span::new(3, 6));
    assert_eq!(file.documents()[0].doc.root.as_ref().unwrap().get("b").unwrap().as_str(), Some("c"));
    let blob: String = (0..1000).map(|i| if i % 2 == 0 { '\u{1}' } else { 'x' }).collect();
    let d = parse(&blob).diagnostics();
    assert_eq!(d.len(), 20);
    assert!(d[19].message.contains("(480 more places in this document)"), "{}", d[19].message);
    // Tabs still get their own message.
    let d = parse("a:\n\tb: c\n").diagnostics();
    assert!(d.iter().any(|d| d.message.starts_with("tab character used for indentation")), "{d:?}");
}

#[test]
fn complex_keys_are_errors() {
    check_diagnostics(
        "? [a, b]\n  ^^^^^^ error[complex-key]: a list used as a key\n: x\n? {a: 1}\n  ^^^^^^ error[complex-key]: a mapping used as a key\n: y\n[c]: z\n^^^ error[complex-key]: a list used as a key\n? plain\n: fine\n",
    );
    let (text, expected) = crate::test_util::strip_annotations(
        "spec:\n  ? - a\n    ^^^ error[complex-key]: a list used as a key\n  : x\n",
    );
    crate::test_util::assert_diagnostics(&text, &expected, &parse(&text).diagnostics());
}

#[test]
fn edits_that_do_not_match_the_text_rebuild_instead_of_panicking() {
    let old = "a: é\n---\nb: 1\n";
    let new = "a: é\n---\nb: 2\n";
    let mut reference = parse(new);
    reference.edit(new, 0, 0, 0);
    let mut rope_file = YamlFile::parse(&ropey::Rope::from_str(old));
    for (start, old_end, new_len) in [(4, 4, 0), (4, 5, 1), (usize::MAX, 0, 0), (3, usize::MAX, 100), (13, 12, 1)] {
        let mut file = parse(old);
        file.edit(new, start, old_end, new_len);
        assert_same_as_fresh(&file, new);
        rope_file.edit(&ropey::Rope::from_str(new), start, old_end, new_len);
        assert_same_as_fresh(&rope_file, new);
    }
    // A Span read backwards has no length rather than a huge one.
    assert_eq!(Span::new(5, 2).len(), 0);
    assert!(Span::new(5, 2).is_empty());
    assert_same_as_fresh(&reference, new);
}

#[test]
fn an_edit_that_turns_the_first_lines_into_a_preamble_rejoins_the_documents() {
    // Found by the text_edits fuzz target: the incremental model kept a document of its own
    // for what became the preamble of the first `---` document.
    for (old, start, old_end, inserted) in
        [("x\n---\n\n\r\né", 0, 1, ""), ("# c\n---\na: 1\n", 0, 3, "b: 2"), ("\n---\na: 1\n", 0, 0, "# c")]
    {
        let mut new = old.to_string();
        new.replace_range(start..old_end, inserted);
        let mut file = parse(old);
        file.edit(new.as_str(), start, old_end, inserted.len());
        assert_same_as_fresh(&file, &new);
    }
}

#[test]
fn syntax_errors_next_to_multibyte_line_breaks_stay_on_char_boundaries() {
    // Found by the yaml_model fuzz target: U+0085 (NEL) after an anchor.
    let text = "a: b\0%c\nd: $\"\ndata:\0\0\0\0\0\0\u{7} \n  a: &xv\u{85}w[\u{1f}\u{1f}\u{1f}";
    for d in parse(text).diagnostics() {
        assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end), "{d:?}");
    }
}

#[test]
fn node_ranges_after_recovery_stay_on_char_boundaries() {
    // Found by the yaml_model fuzz target (bytes decoded lossily, as the target does): a tree
    // read from a recovery copy had a node ending inside a U+FFFD of the real text.
    let text = String::from_utf8_lossy(include_bytes!("fuzz_node_boundary.yaml")).into_owned();
    let file = parse(&text);
    for slot in file.documents() {
        for n in slot.doc.root.iter().flat_map(|r| r.descendants()) {
            let s = n.span.shift(slot.start);
            assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end), "{s:?}");
        }
    }
    for d in file.diagnostics() {
        assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end), "{d:?}");
    }
}
