//! Pure features computed from the YAML model, in byte offsets.

#[cfg(test)]
mod cache_tests;
pub mod completion;
pub mod configsync;
pub mod context;
#[cfg(test)]
mod fixtures;
pub mod hover;
pub mod images;
pub mod suppress;
mod symbols;
pub use completion::{Completion, CompletionItem, ItemKind, completion};
pub use hover::{Hover, hover};
pub use symbols::*;

use std::collections::HashSet;
use std::sync::Arc;

use crate::schema::{SchemaStore, ValidationOptions, validate_document};
use crate::yaml::{Diagnostic, Node, ParsedDocument, TextSource, YamlFile};
use images::{ImageSite, ImageTags};

/// Everything wrong with a file: YAML problems, then schema validation of each resource.
#[derive(Debug, Default)]
pub struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    /// Kubernetes resources found (documents, or `List` items, with `apiVersion` and `kind`).
    pub resources: usize,
}

/// What a file's results depend on besides its text.
pub struct Context<'a> {
    pub store: &'a SchemaStore,
    pub opts: &'a ValidationOptions,
    pub tags: &'a dyn ImageTags,
    /// Ask the registry whether tags exist (else only what needs no registry).
    pub check_tags: bool,
    /// Changes whenever something else results depend on changes: settings, loaded schemas,
    /// registry answers. Results of another epoch are never reused.
    pub epoch: u64,
    /// The revision of the schemas of `group/Kind`, bumped when a CRD for it comes or goes,
    /// so only the documents of that kind are checked again.
    pub kind_revision: &'a dyn Fn(&str) -> u64,
    /// Asked between documents: true when a newer state exists, so this one is not worth
    /// finishing. What was computed until then is kept for the next state to reuse.
    pub cancelled: &'a dyn Fn() -> bool,
}

/// What one `---` document contributes, in offsets relative to its start; reused for as long
/// as the document, the options and the schemas of its kinds stay the same.
#[derive(Debug)]
struct DocumentResult {
    doc: Arc<ParsedDocument>,
    diagnostics: Vec<Diagnostic>,
    resources: usize,
    /// `group/Kind` of each resource and its revision when this was computed.
    kinds: Vec<(String, u64)>,
}

/// The per-document results of one state of a file, kept so that the next state only
/// re-checks the documents an edit touched.
#[derive(Debug, Default)]
pub struct FileResults {
    epoch: u64,
    opts: Option<ValidationOptions>,
    check_tags: bool,
    docs: Vec<Arc<DocumentResult>>,
    /// Documents validated since this file's results were first computed (for tests).
    validated: usize,
}

impl FileResults {
    pub fn validated(&self) -> usize {
        self.validated
    }
}

/// A file's analysis and what it took.
pub struct FileAnalysis {
    pub analysis: Analysis,
    pub results: Arc<FileResults>,
    /// Image references of the documents checked anew (the server prefetches their tags).
    pub new_sites: Vec<ImageSite>,
    /// Stopped early ([`Context::cancelled`]): `analysis` is incomplete, `results` hold the
    /// documents done so far.
    pub cancelled: bool,
}

/// Everything wrong with a file (YAML, schemas, images), reusing the results of `previous`
/// for every document that did not change. The server and `check` both come through here.
pub fn analyze_file(
    file: &YamlFile,
    text: &(impl TextSource + ?Sized),
    cx: &Context<'_>,
    previous: Option<&FileResults>,
) -> FileAnalysis {
    let mut validated = previous.map_or(0, |p| p.validated);
    let previous =
        previous.filter(|p| p.epoch == cx.epoch && p.check_tags == cx.check_tags && p.opts.as_ref() == Some(cx.opts));
    let reusable: std::collections::HashMap<*const ParsedDocument, &Arc<DocumentResult>> =
        previous.map(|p| p.docs.iter().map(|d| (Arc::as_ptr(&d.doc), d)).collect()).unwrap_or_default();
    let mut diagnostics = file.diagnostics();
    let mut resources = 0;
    let mut docs = Vec::with_capacity(file.documents().len());
    let mut new_sites = Vec::new();
    let mut reported = Vec::new();
    let mut seen_registry_failures = HashSet::new();
    let mut cancelled = false;
    for slot in file.documents() {
        let cached = reusable
            .get(&Arc::as_ptr(&slot.doc))
            .filter(|r| r.kinds.iter().all(|(k, rev)| (cx.kind_revision)(k) == *rev))
            .map(|r| Arc::clone(r));
        let result = match cached {
            Some(r) => r,
            None if (cx.cancelled)() => {
                cancelled = true;
                break;
            }
            None => {
                validated += 1;
                // Revisions are read before validating: a CRD that lands meanwhile moves them
                // again, so this result is never taken for the newer state.
                let kinds: Vec<(String, u64)> = slot
                    .doc
                    .root
                    .as_ref()
                    .map(kind_keys)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|k| {
                        let rev = (cx.kind_revision)(&k);
                        (k, rev)
                    })
                    .collect();
                let v = validate_document(&slot.doc, cx.store, cx.opts, &mut reported);
                let (image_diags, sites) = images::document_image_diagnostics(slot, text, cx.tags, cx.check_tags);
                new_sites.extend(sites);
                let mut found = v.diagnostics;
                found.extend(image_diags.into_iter().map(|d| d.unshifted(slot.start)));
                let result = Arc::new(DocumentResult {
                    doc: Arc::clone(&slot.doc),
                    diagnostics: found,
                    resources: v.resources,
                    kinds,
                });
                // Its warning depends on the documents before it: never reused alone.
                if v.failed_modeline {
                    resources += result.resources;
                    push_shifted(&mut diagnostics, &result, slot.start, &mut seen_registry_failures);
                    continue;
                }
                result
            }
        };
        resources += result.resources;
        push_shifted(&mut diagnostics, &result, slot.start, &mut seen_registry_failures);
        docs.push(result);
    }
    // RootSync/RepoSync spec rules (KNV1061): whole-file, and cheap when there is none.
    diagnostics.extend(crate::configsync::sync_spec_diagnostics(file));
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let results =
        FileResults { epoch: cx.epoch, opts: Some(cx.opts.clone()), check_tags: cx.check_tags, docs, validated };
    FileAnalysis { analysis: Analysis { diagnostics, resources }, results: Arc::new(results), new_sites, cancelled }
}

/// One note per file when a registry cannot be asked, however many documents use it.
fn push_shifted(out: &mut Vec<Diagnostic>, r: &DocumentResult, start: usize, seen: &mut HashSet<String>) {
    for d in &r.diagnostics {
        if d.code == "image-registry" && !seen.insert(d.message.clone()) {
            continue;
        }
        out.push(d.shifted(start));
    }
}

/// `group/Kind` of a document's resources (of each item of a `List`).
fn kind_keys(root: &Node) -> Vec<String> {
    let key = |n: &Node| {
        let api_version = n.get("apiVersion")?.as_str()?;
        let kind = n.get("kind")?.as_str()?;
        Some(kind_key(api_version, kind))
    };
    let mut out: Vec<String> = key(root).into_iter().collect();
    if let Some(items) = root.get("items") {
        out.extend(items.items().iter().filter_map(key));
    }
    out.sort();
    out.dedup();
    out
}

/// The key [`Context::kind_revision`] takes: the API group and the kind.
pub fn kind_key(api_version: &str, kind: &str) -> String {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    format!("{group}/{kind}")
}

/// Which schema applies to a document of `file`, and why (for the status bar).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaInfo {
    /// e.g. `apps/v1 Deployment`, or `apps/v1 Deployment (+2 more)` for several resources.
    pub label: String,
    pub source: String,
    pub source_uri: Option<String>,
}

/// The schema of the document at `offset`, or of the file's first resource when `offset` is
/// `None`; `None` when no document there has a schema.
pub fn schema_info(file: &YamlFile, store: &SchemaStore, offset: Option<usize>) -> Option<SchemaInfo> {
    let resolve = |slot: &crate::yaml::DocumentSlot| {
        let root = slot.good_tree()?;
        let api_version = root.get("apiVersion")?.as_str()?;
        let kind = root.get("kind")?.as_str()?;
        store.resolve_kind(api_version, kind)
    };
    let resolved: Vec<_> = match offset {
        Some(o) => file.document_at(o).and_then(resolve).into_iter().collect(),
        None => file.documents().iter().filter_map(resolve).collect(),
    };
    let first = resolved.first()?;
    let label = match resolved.len() {
        1 => first.label.clone(),
        n => format!("{} (+{} more)", first.label, n - 1),
    };
    Some(SchemaInfo { label, source: first.provenance.describe(), source_uri: first.source_uri() })
}
