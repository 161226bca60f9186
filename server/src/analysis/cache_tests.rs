//! The per-document results cache: an edit re-checks only the documents it touched, and
//! what comes out is always what a fresh analysis of the same text says.

use std::cell::RefCell;
use std::collections::HashMap;

use proptest::prelude::*;

use super::images::NoTags;
use super::*;
use crate::schema::ValidationOptions;
use crate::yaml::YamlFile;

fn deployment(i: usize, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\nspec:\n  selector:\n    matchLabels: {{app: a}}\n  template:\n    metadata:\n      labels: {{app: a}}\n    spec:\n      containers:\n        - name: c\n          image: nginx:1.27{extra}\n"
    )
}

fn manifest(n: usize) -> String {
    (0..n).map(|i| deployment(i, "")).collect::<Vec<_>>().join("---\n")
}

struct Revisions(RefCell<HashMap<String, u64>>);

impl Revisions {
    fn get(&self, key: &str) -> u64 {
        self.0.borrow().get(key).copied().unwrap_or(0)
    }
}

fn run(
    file: &YamlFile,
    text: &str,
    store: &SchemaStore,
    epoch: u64,
    revs: &Revisions,
    prev: Option<&FileResults>,
) -> FileAnalysis {
    let opts = ValidationOptions::default();
    let kind_revision = |k: &str| revs.get(k);
    let cx = Context {
        store,
        opts: &opts,
        tags: &NoTags,
        check_tags: false,
        epoch,
        kind_revision: &kind_revision,
        cancelled: &|| false,
    };
    analyze_file(file, text, &cx, prev)
}

/// The same model analysed with nothing to reuse. (A broken document's last good tree
/// depends on the model's history, so a freshly parsed file may differ there on purpose.)
fn fresh(file: &YamlFile, text: &str, store: &SchemaStore) -> Vec<Diagnostic> {
    let revs = Revisions(RefCell::default());
    run(file, text, store, 0, &revs, None).analysis.diagnostics
}

#[test]
fn an_edit_rechecks_only_its_document() {
    let store = SchemaStore::new();
    let revs = Revisions(RefCell::default());
    let mut text = manifest(200);
    let mut file = YamlFile::parse(text.as_str());
    let first = run(&file, &text, &store, 0, &revs, None);
    assert_eq!(first.results.validated(), 200);
    assert_eq!(first.analysis.resources, 200);
    assert!(first.analysis.diagnostics.is_empty(), "{:?}", first.analysis.diagnostics);

    // A typo in document 100: an unknown field there, and only that document validated.
    let at = text.match_indices("name: app-100\n").next().unwrap().0 + "name: app-100\n".len();
    let insert = "  zq: 1\n";
    text.insert_str(at, insert);
    file.edit(text.as_str(), at, at, insert.len());
    let second = run(&file, &text, &store, 0, &revs, Some(&first.results));
    assert_eq!(second.results.validated(), 201);
    assert_eq!(second.analysis.diagnostics, fresh(&file, &text, &store));
    assert_eq!(second.analysis.diagnostics.len(), 1);
    assert_eq!(&text[second.analysis.diagnostics[0].span.start..second.analysis.diagnostics[0].span.end], "zq");

    // Nothing changed: nothing validated.
    let third = run(&file, &text, &store, 0, &revs, Some(&second.results));
    assert_eq!(third.results.validated(), 201);
    assert_eq!(third.analysis.diagnostics, second.analysis.diagnostics);

    // A new epoch (settings, loaded schemas) checks everything again.
    let fourth = run(&file, &text, &store, 1, &revs, Some(&third.results));
    assert_eq!(fourth.results.validated(), 401);
}

#[test]
fn a_crd_change_rechecks_exactly_the_documents_of_its_kind() {
    let store = crate::analysis::fixtures::store();
    let revs = Revisions(RefCell::default());
    let app = "apiVersion: example.com/v1\nkind: App\nmetadata:\n  name: a\nspec:\n  repo: https://example.com/r.git\n";
    let text = format!("{}---\n{app}---\n{}", deployment(0, ""), deployment(1, ""));
    let file = YamlFile::parse(text.as_str());
    let first = run(&file, &text, &store, 0, &revs, None);
    assert_eq!(first.results.validated(), 3);
    revs.0.borrow_mut().insert(kind_key("example.com/v1", "App"), 7);
    let second = run(&file, &text, &store, 0, &revs, Some(&first.results));
    assert_eq!(second.results.validated(), 4, "only the App document is checked again");
    // A kind no document has: nothing to do.
    revs.0.borrow_mut().insert(kind_key("example.com/v1", "Other"), 8);
    let third = run(&file, &text, &store, 0, &revs, Some(&second.results));
    assert_eq!(third.results.validated(), 4);
}

#[test]
fn other_options_are_never_served_from_the_cache() {
    let store = SchemaStore::new();
    let text = "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n";
    let file = YamlFile::parse(text);
    let kind_revision = |_: &str| 0;
    let strict = ValidationOptions::default();
    let cx = Context {
        store: &store,
        opts: &strict,
        tags: &NoTags,
        check_tags: false,
        epoch: 0,
        kind_revision: &kind_revision,
        cancelled: &|| false,
    };
    let first = analyze_file(&file, text, &cx, None);
    assert_eq!(first.analysis.diagnostics.len(), 1, "metadata is required");
    let partial = ValidationOptions { partial: true, ..Default::default() };
    let cx = Context { opts: &partial, ..cx };
    let second = analyze_file(&file, text, &cx, Some(&first.results));
    assert_eq!(second.results.validated(), 2);
    assert!(second.analysis.diagnostics.is_empty(), "a patch may leave metadata out");
}

/// A document whose modeline names a schema that cannot be loaded reports it only if no
/// document before it did; with the first one edited, the second still stays quiet.
#[test]
fn unloadable_modelines_are_reported_once_per_file_whatever_was_cached() {
    let store = SchemaStore::new();
    let revs = Revisions(RefCell::default());
    let doc = "# yaml-language-server: $schema=./missing.json\na: 1\n";
    let mut text = format!("{doc}---\n{doc}---\n{}", deployment(0, ""));
    let mut file = YamlFile::parse(text.as_str());
    let count = |d: &[Diagnostic]| d.iter().filter(|d| d.code == "schema-load").count();
    let first = run(&file, &text, &store, 0, &revs, None);
    assert_eq!(count(&first.analysis.diagnostics), 1);
    text.insert(text.len() - 1, 'x');
    let at = text.len() - 2;
    file.edit(text.as_str(), at, at, 1);
    let second = run(&file, &text, &store, 0, &revs, Some(&first.results));
    assert_eq!(count(&second.analysis.diagnostics), 1);
    assert_eq!(second.analysis.diagnostics, fresh(&file, &text, &store));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random edits anywhere (inside documents, on `---` lines, across them): the cached
    /// analysis always equals a fresh one of the same text.
    #[test]
    fn cached_equals_fresh(edits in proptest::collection::vec((0.0f64..1.0, 0usize..12, 0usize..6), 1..12)) {
        let store = SchemaStore::new();
        let revs = Revisions(RefCell::default());
        let mut text = format!("{}---\n{}---\nkey: [1, 2\n---\n{}", deployment(0, ""), deployment(1, "\n          bogus: 1"), deployment(2, ""));
        let mut file = YamlFile::parse(text.as_str());
        let mut prev = run(&file, &text, &store, 0, &revs, None).results;
        let pieces = ["x", "\n", "---\n", "  zq: 1\n", ":", " ", "- a\n", "kind: Service\n", "", "\"", "#", "{"];
        for (pos, piece, del) in edits {
            let mut at = ((text.len() as f64) * pos) as usize;
            while !text.is_char_boundary(at) { at -= 1; }
            let end = (at + del).min(text.len());
            let ins = pieces[piece];
            text.replace_range(at..end, ins);
            file.edit(text.as_str(), at, end, ins.len());
            let got = run(&file, &text, &store, 0, &revs, Some(&prev));
            prop_assert_eq!(&got.analysis.diagnostics, &fresh(&file, &text, &store));
            prev = got.results;
        }
    }
}

/// A pass that gives up when a newer state exists keeps what it did: the next pass validates
/// only the rest, and its answer is complete.
#[test]
fn a_cancelled_pass_leaves_its_work_to_the_next() {
    let store = SchemaStore::new();
    let text = manifest(100);
    let file = YamlFile::parse(text.as_str());
    let opts = ValidationOptions::default();
    let asked = std::cell::Cell::new(0);
    let after_40 = || {
        asked.set(asked.get() + 1);
        asked.get() > 40
    };
    let kind_revision = |_: &str| 0;
    let cx = Context {
        store: &store,
        opts: &opts,
        tags: &NoTags,
        check_tags: false,
        epoch: 0,
        kind_revision: &kind_revision,
        cancelled: &after_40,
    };
    let first = analyze_file(&file, &text, &cx, None);
    assert!(first.cancelled);
    assert_eq!(first.results.validated(), 40);
    let cx = Context { cancelled: &|| false, ..cx };
    let second = analyze_file(&file, &text, &cx, Some(&first.results));
    assert!(!second.cancelled);
    assert_eq!(second.results.validated(), 100, "the 40 done before are not validated again");
    assert_eq!(second.analysis.resources, 100);
    assert_eq!(second.analysis.diagnostics, fresh(&file, &text, &store));
}
