//! Arbitrary documents through the whole analysis: validation against the embedded schemas and
//! a workspace CRD (Flux's Kustomization) by the cached engine, then the features an editor asks for at some offset.
#![no_main]

use std::sync::OnceLock;

use gitops_ls::analysis::{self, images};
use gitops_ls::schema::crd_file as workspace;
use gitops_ls::schema::store::StoreSettings;
use gitops_ls::schema::{SchemaStore, ValidationOptions};
use gitops_ls::yaml::YamlFile;
use libfuzzer_sys::fuzz_target;

const CRD: &str = include_str!("../../tests/fixtures/crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml");

fn store() -> &'static SchemaStore {
    static STORE: OnceLock<SchemaStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let store = SchemaStore::new();
        // Never download: a modeline URL's fetch landing between the two passes would move the
        // store's revision, and the second pass would rightly differ.
        store.configure(StoreSettings { offline: true, ..Default::default() });
        let kinds = workspace::crd_kinds(&YamlFile::parse(CRD), "crds/flux.yaml", |_| 1);
        assert!(!kinds.is_empty());
        store.set_custom_kinds("crds/flux.yaml", kinds);
        store
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let store = store();
    let path = match flags % 4 {
        0 => "apps/kustomization.yaml",
        1 => "apps/deployment.yaml",
        _ => "apps/x.yaml",
    };
    let file = YamlFile::parse(text);
    let opts = ValidationOptions { path: Some(path.into()), partial: flags & 0x10 != 0, ..Default::default() };
    // The engine the server and `check` run; a second pass reuses every document's result and
    // must say the same.
    let revision = store.revision();
    let cx = analysis::Context {
        store,
        opts: &opts,
        tags: &images::NoTags,
        check_tags: false,
        epoch: revision,
        kind_revision: &|_| 0,
        cancelled: &|| false,
    };
    let first = analysis::analyze_file(&file, text, &cx, None);
    let again = analysis::analyze_file(&file, text, &cx, Some(&first.results));
    // The server moves the epoch with the store's revision; results of another revision differ.
    if store.revision() == revision {
        assert_eq!(first.analysis.diagnostics, again.analysis.diagnostics);
    }
    let result = first.analysis;
    for d in &result.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end <= text.len(), "{d:?}");
        assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end), "{d:?}");
    }
    // A CRD in the input registers kinds without trouble.
    workspace::crd_kinds(&file, "input.yaml", |_| 1);
    analysis::document_symbols(&file);
    images::image_sites(&file, text);
    let mut offset = usize::from(flags).wrapping_mul(7919) % (text.len() + 1);
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    analysis::hover(&file, text, offset, store);
    analysis::completion(&file, text, offset, store);
});
