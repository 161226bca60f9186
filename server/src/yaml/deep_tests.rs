//! Hostile nesting: every feature on documents nested to the limit, just past it and far past
//! it, on a thread with a small stack, so a walk that recurses on the input's depth overflows
//! here instead of in a user's editor.

use super::*;
use crate::analysis;
use crate::schema::crd_file as workspace;
use crate::schema::{SchemaStore, ValidationOptions};

/// Smaller than any thread the binaries run features on (tokio's blocking pool: 2 MiB).
const SMALL_STACK: usize = 1024 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(SMALL_STACK).spawn(f).unwrap().join().expect("no overflow or panic")
}

/// `n` block sequences, one inside the other: `- - - x`.
fn block_seq(n: usize) -> String {
    format!("{}x\n", "- ".repeat(n))
}

/// `n` flow sequences: `[[[x]]]`.
fn flow_seq(n: usize) -> String {
    format!("{}x{}\n", "[".repeat(n), "]".repeat(n))
}

/// `n` flow mappings: `{a: {a: x}}`.
fn flow_map(n: usize) -> String {
    format!("{}x{}\n", "{a: ".repeat(n), "}".repeat(n))
}

/// `n` block mappings, each key indented below the last.
fn block_map(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n - 1 {
        s.push_str(&"  ".repeat(i));
        s.push_str("k:\n");
    }
    s.push_str(&"  ".repeat(n - 1));
    s.push_str("k: x\n");
    s
}

/// A resource whose `data` holds `nest` (indented under it), for validation and images.
fn in_configmap(nest: &str) -> String {
    let body: String = nest.lines().map(|l| format!("  a: {l}\n")).take(1).collect();
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n{body}")
}

/// A Deployment with the nesting inside a container's `image` neighbour, so image search walks it.
fn in_deployment(n: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      \
         containers:\n      - name: app\n        image: nginx:1.27\n        args: {}\n",
        flow_seq(n).trim_end()
    )
}

/// A CRD whose `openAPIV3Schema` nests `levels` objects in `properties`.
fn deep_crd(levels: usize) -> String {
    let mut s = String::from(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: deeps.example.com\n\
         spec:\n  group: example.com\n  names:\n    kind: Deep\n    plural: deeps\n  scope: Namespaced\n  versions:\n  \
         - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n",
    );
    let mut indent = 8;
    for _ in 0..levels {
        let pad = " ".repeat(indent);
        s.push_str(&format!("{pad}type: object\n{pad}properties:\n{pad}  a:\n"));
        indent += 4;
    }
    s.push_str(&format!("{}type: string\n", " ".repeat(indent)));
    s
}

/// Runs every feature over `text` at a few offsets, as the server and `check` would.
fn whole_pipeline(text: String, path: &'static str) -> (YamlFile, Vec<Diagnostic>) {
    on_small_stack(move || {
        let file = YamlFile::parse(text.as_str());
        let store = SchemaStore::new();
        store.set_custom_kinds("crds.yaml", workspace::crd_kinds(&file, "crds.yaml", |_| 1));
        let opts = ValidationOptions { path: Some(path.into()), ..Default::default() };
        let cx = analysis::Context {
            store: &store,
            opts: &opts,
            tags: &analysis::images::NoTags,
            check_tags: false,
            epoch: 0,
            kind_revision: &|_| 0,
            cancelled: &|| false,
        };
        let diagnostics = analysis::analyze_file(&file, text.as_str(), &cx, None).analysis.diagnostics;
        analysis::document_symbols(&file);
        analysis::folding_ranges(&file);
        analysis::images::image_sites(&file, text.as_str());
        crate::k8s::kustomize::patch_paths(&file);
        analysis::schema_info(&file, &store, None);
        for offset in [0, text.len() / 2, text.len().saturating_sub(4), text.len()] {
            let offset = (0..=offset).rev().find(|&o| text.is_char_boundary(o)).unwrap_or(0);
            analysis::hover(&file, text.as_str(), offset, &store);
            analysis::completion(&file, text.as_str(), offset, &store);
            analysis::images::tag_target(&file, text.as_str(), offset);
            analysis::schema_info(&file, &store, Some(offset));
        }
        // Dropping happens here too, on the small stack.
        (file, diagnostics)
    })
}

/// Validation ran and found something.
fn validated(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| !d.code.starts_with("yaml") && d.code != "alias")
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code).collect()
}

fn depth_of(root: &Node) -> usize {
    // Collections on the deepest path, with an explicit stack.
    let mut best = 0;
    let mut stack = vec![(root, 0)];
    while let Some((n, d)) = stack.pop() {
        let d = d + usize::from(matches!(n.kind, NodeKind::Mapping(_) | NodeKind::Sequence(_)));
        best = best.max(d);
        stack.extend(n.children().map(|c| (c, d)));
    }
    best
}

type Shape = (&'static str, fn(usize) -> String);
const SHAPES: [Shape; 4] = [
    ("block sequence", block_seq),
    ("flow sequence", flow_seq),
    ("flow mapping", flow_map),
    ("block mapping", block_map),
];

#[test]
fn nesting_at_the_limit_is_read_whole() {
    for (what, shape) in SHAPES {
        let (file, diagnostics) = whole_pipeline(shape(MAX_DEPTH), "x.yaml");
        assert!(diagnostics.is_empty(), "{what}: {diagnostics:?}");
        let slot = &file.documents()[0];
        assert!(slot.doc.complete, "{what}");
        assert_eq!(depth_of(slot.doc.root.as_ref().unwrap()), MAX_DEPTH, "{what}");
        // The outline stops at 40 levels below the document, so its JSON stays parseable by
        // serde_json clients (depth limit 128, two levels per symbol).
        let mut deepest = 0;
        let mut stack: Vec<_> = analysis::document_symbols(&file).iter().map(|s| (s.clone(), 1)).collect();
        while let Some((s, d)) = stack.pop() {
            deepest = deepest.max(d);
            stack.extend(s.children.into_iter().map(|c| (c, d + 1)));
        }
        assert_eq!(deepest, 41, "{what}");
    }
}

#[test]
fn nesting_past_the_limit_is_one_error_on_its_line() {
    for n in [MAX_DEPTH + 1, 2_000, 100_000] {
        for (what, shape) in SHAPES {
            // Indentation alone would make a 100,000-level block mapping 10 GB.
            if what == "block mapping" && n > 2_000 {
                continue;
            }
            let text = shape(n);
            let (file, diagnostics) = whole_pipeline(text.clone(), "x.yaml");
            assert_eq!(codes(&diagnostics), ["yaml-too-deep"], "{what} {n}");
            let d = &diagnostics[0];
            assert!(d.message.contains("deeper than 128 levels"), "{}", d.message);
            assert_eq!(d.severity, Severity::Error);
            // On the line where the 129th collection opens, from there to the line's end.
            let line = text[..d.span.start].matches('\n').count();
            let expected_line = if what == "block mapping" { MAX_DEPTH } else { 0 };
            assert_eq!(line, expected_line, "{what} {n}");
            assert!(!text[d.span.start..d.span.end].contains('\n'));
            let slot = &file.documents()[0];
            assert!(!slot.doc.complete, "{what} {n}: validation must skip the truncated tree");
            assert!(slot.doc.root.as_ref().is_none_or(|r| depth_of(r) <= MAX_DEPTH), "{what} {n}");
        }
    }
}

#[test]
fn deep_values_inside_resources() {
    // At the limit the resource is validated (the ConfigMap's value is not a string).
    let at_limit = in_configmap(&flow_seq(MAX_DEPTH - 2));
    let (_, diagnostics) = whole_pipeline(at_limit, "cm.yaml");
    assert!(validated(&diagnostics), "{diagnostics:?}");
    for n in [MAX_DEPTH, 100_000] {
        let (_, diagnostics) = whole_pipeline(in_configmap(&flow_seq(n)), "cm.yaml");
        assert_eq!(codes(&diagnostics), ["yaml-too-deep"]);
        let (_, diagnostics) = whole_pipeline(in_deployment(n), "deploy.yaml");
        assert_eq!(codes(&diagnostics), ["yaml-too-deep"]);
        // `kustomization.yaml` is parsed by the workspace scan even when never opened.
        let (_, diagnostics) = whole_pipeline(block_seq(n + 1), "kustomization.yaml");
        assert_eq!(codes(&diagnostics), ["yaml-too-deep"]);
    }
    let (file, diagnostics) = whole_pipeline(in_deployment(MAX_DEPTH - 10), "deploy.yaml");
    assert!(!codes(&diagnostics).contains(&"yaml-too-deep"), "{diagnostics:?}");
    assert_eq!(analysis::images::image_sites(&file, in_deployment(MAX_DEPTH - 10).as_str()).len(), 1);
}

#[test]
fn deep_crds_register_at_the_limit_and_are_refused_past_it() {
    // 5 collections down to `openAPIV3Schema`, 2 per schema level (the object and its
    // `properties`), 1 for the last: 128 in all.
    let levels = (MAX_DEPTH - 6) / 2;
    let crd = deep_crd(levels);
    let (file, diagnostics) = whole_pipeline(crd.clone(), "crd.yaml");
    assert!(!codes(&diagnostics).contains(&"yaml-too-deep"), "{diagnostics:?}");
    assert_eq!(workspace::crd_kinds(&file, "crd.yaml", |_| 1).len(), 1);
    // An instance of the deep kind is validated against the deep schema.
    let instance = format!("{crd}---\napiVersion: example.com/v1\nkind: Deep\nmetadata:\n  name: x\n{}", {
        let mut s = String::new();
        let mut pad = String::new();
        for _ in 0..40 {
            s.push_str(&format!("{pad}a:\n"));
            pad.push_str("  ");
        }
        s.push_str(&format!("{pad}b: 1\n"));
        s
    });
    let (_, diagnostics) = whole_pipeline(instance, "both.yaml");
    assert!(validated(&diagnostics), "{diagnostics:?}");

    let (file, diagnostics) = whole_pipeline(deep_crd(200), "crd.yaml");
    assert_eq!(codes(&diagnostics), ["yaml-too-deep"]);
    assert!(workspace::crd_kinds(&file, "crd.yaml", |_| 1).is_empty());
}

#[test]
fn self_referencing_anchor_is_an_error() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: &x [*x]\n  b: c\n";
    let (_, diagnostics) = whole_pipeline(text.into(), "cm.yaml");
    assert_eq!(codes(&diagnostics), ["alias"], "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(&text[d.span.start..d.span.end], "*x");
    assert!(d.message.contains("inside the value of its own anchor &x"), "{}", d.message);
    for text in ["a: &x {b: *x}\n", "&x\n- a: [1, *x]\n", "a: &x\n  - b: &y\n      - *x\n"] {
        let (_, diagnostics) = whole_pipeline(text.into(), "x.yaml");
        assert_eq!(codes(&diagnostics), ["alias"], "{text}");
    }
    // A redefined anchor refers to its latest definition, which is complete: no cycle.
    let (_, diagnostics) = whole_pipeline("a: &x [&x b, *x]\nc: *x\n".into(), "x.yaml");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(
        to_json(YamlFile::parse("a: &x [&x b, *x]\nc: *x\n").documents()[0].doc.root.as_ref().unwrap()),
        Ok(serde_json::json!({"a": ["b", "b"], "c": "b"}))
    );
}

#[test]
fn aliases_that_expand_past_the_depth_limit_are_an_error() {
    // Each anchor nests the previous one 100 levels deeper: few nodes, very deep values.
    let mut text = String::new();
    for i in 0..5 {
        let inner = if i == 0 { "x".to_string() } else { format!("*a{}", i - 1) };
        text.push_str(&format!("a{i}: &a{i} {}{inner}{}\n", "[".repeat(100), "]".repeat(100)));
    }
    let (file, diagnostics) = whole_pipeline(text.clone(), "x.yaml");
    assert_eq!(codes(&diagnostics), ["alias"], "{diagnostics:?}");
    assert!(diagnostics[0].message.contains("deeper than 128 levels"));
    assert_eq!(&text[diagnostics[0].span.start..diagnostics[0].span.end], "*a0");
    assert!(to_json(file.documents()[0].doc.root.as_ref().unwrap()).is_err());
    // Within the limit the value expands.
    let ok = format!("a: &a {}x{}\nb: [*a]\n", "[".repeat(100), "]".repeat(100));
    let (file, diagnostics) = whole_pipeline(ok, "x.yaml");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert!(to_json(file.documents()[0].doc.root.as_ref().unwrap()).is_ok());
}

#[test]
fn deep_documents_do_not_hide_their_neighbours() {
    let text = format!("a: b: c\n---\n{}---\napiVersion: v1\nkind: Service\nspec:\n  ports: 80\n", block_seq(5_000));
    let (_, diagnostics) = whole_pipeline(text, "x.yaml");
    let codes = codes(&diagnostics);
    assert!(codes.contains(&"yaml-too-deep"), "{codes:?}");
    assert!(codes.contains(&"yaml-syntax"), "{codes:?}");
    assert!(validated(&diagnostics), "{codes:?}");
}
