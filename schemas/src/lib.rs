//! Strict JSON schemas (draft-07) for every built-in Kubernetes kind, generated at build time
//! from k8s-openapi's definitions and embedded in the binary (see `build.rs` and README.md).
//!
//! All kinds share one `definitions` table ([`definitions`]). [`schema_for`] returns a
//! self-contained schema for one kind (the kind's definition at the root plus the definitions
//! it reaches) that `jsonschema` compiles without any `$ref` retrieval:
//!
//! ```
//! let schema = gitops_ls_schemas::schema_for("v1", "ConfigMap").unwrap();
//! assert_eq!(schema["properties"]["kind"]["enum"][0], "ConfigMap");
//! ```

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

include!(concat!(env!("OUT_DIR"), "/kinds.rs"));

/// A built-in kind and where its schema lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindInfo {
    /// API group, empty for the core group (`v1`).
    pub group: &'static str,
    pub version: &'static str,
    /// `group/version`, or just `version` for the core group: the `apiVersion` field's value.
    pub api_version: &'static str,
    pub kind: &'static str,
    /// Namespace-scoped (`true`) or cluster-scoped (`false`), from k8s-openapi's `Resource::Scope`.
    pub namespaced: bool,
    /// Key of the kind's schema in [`definitions`], e.g. `io.k8s.api.apps.v1.Deployment`.
    pub definition: &'static str,
}

/// The embedded document: `{"$schema": draft-07, "x-kubernetes-version": "1.xx",
/// "definitions": {name: schema}}`. References between definitions are `#/definitions/<name>`.
pub const DEFINITIONS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/definitions.json"));

/// Every built-in kind, sorted by group, version and kind.
pub fn kinds() -> impl ExactSizeIterator<Item = &'static KindInfo> + Clone {
    KINDS.iter()
}

/// The kind with this `apiVersion` and `kind`, if it is built in.
pub fn kind_info(api_version: &str, kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.api_version == api_version && k.kind == kind)
}

/// The parsed embedded document (parsed once, on first use).
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::from_str(DEFINITIONS_JSON).expect("embedded schemas are valid JSON"))
}

/// The shared definitions table, keyed by definition name.
pub fn definitions() -> &'static Map<String, Value> {
    document()["definitions"].as_object().expect("embedded document has definitions")
}

/// One definition by name, e.g. for hover text that follows a `$ref`.
pub fn definition(name: &str) -> Option<&'static Value> {
    definitions().get(name)
}

/// The definition name a `$ref` of the embedded schemas points to.
pub fn ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/definitions/")
}

/// A self-contained draft-07 schema for one kind: the kind's definition at the root, plus a
/// `definitions` table with every definition it reaches (so `#/definitions/...` resolves
/// inside the returned value). `None` for a kind that is not built in.
pub fn schema_for(api_version: &str, kind: &str) -> Option<Value> {
    let info = kind_info(api_version, kind)?;
    let defs = definitions();
    let mut reached = BTreeMap::new();
    let mut pending = vec![info.definition];
    while let Some(name) = pending.pop() {
        if reached.contains_key(name) {
            continue;
        }
        let Some(schema) = defs.get(name) else {
            continue;
        };
        reached.insert(name, schema);
        collect_refs(schema, &mut pending);
    }
    let Value::Object(mut root) = defs.get(info.definition)?.clone() else {
        return None;
    };
    root.insert("$schema".into(), document()["$schema"].clone());
    root.insert(
        "definitions".into(),
        Value::Object(reached.into_iter().map(|(name, schema)| (name.to_owned(), schema.clone())).collect()),
    );
    Some(Value::Object(root))
}

fn collect_refs<'a>(schema: &'a Value, out: &mut Vec<&'a str>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.extend(ref_name(r)),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// A CRD schema bundled with the crate: vendored from the CRDs-catalog (or converted from
/// Config Sync's CRDs), see `crds/SOURCES.md`. The schema is the CRD version's
/// `openAPIV3Schema` as JSON, before any conversion for validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BundledCrd {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// `group/version`.
    pub api_version: &'static str,
    /// The project that ships the CRD, e.g. `Flux`.
    pub project: &'static str,
    /// Path under `crds/`, e.g. `helm.toolkit.fluxcd.io/helmrelease_v2.json`.
    pub file: &'static str,
    group_index: usize,
    start: usize,
    end: usize,
}

struct CrdGroup {
    group: &'static str,
    /// Decompressed length.
    len: usize,
    data: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/crds.rs"));

/// Every bundled CRD version, sorted by group, version and kind.
pub fn bundled_crds() -> impl ExactSizeIterator<Item = &'static BundledCrd> + Clone {
    BUNDLED_CRDS.iter()
}

/// The bundled CRD version with this `apiVersion` and `kind` (`kind` as the CRD names it).
pub fn bundled_crd(api_version: &str, kind: &str) -> Option<&'static BundledCrd> {
    BUNDLED_CRDS.iter().find(|c| c.api_version == api_version && c.kind == kind)
}

/// The bundled CRD version by group, version and kind in any letter case (catalog file names
/// write the kind in lower case).
pub fn bundled_crd_ignore_case(group: &str, version: &str, kind: &str) -> Option<&'static BundledCrd> {
    BUNDLED_CRDS.iter().find(|c| c.group == group && c.version == version && c.kind.eq_ignore_ascii_case(kind))
}

/// Compressed bytes embedded for the bundled CRDs, and their size once decompressed.
pub fn bundled_crd_sizes() -> (usize, usize) {
    CRD_GROUPS.iter().fold((0, 0), |(c, d), g| (c + g.data.len(), d + g.len))
}

impl BundledCrd {
    /// The CRD version's `openAPIV3Schema`. Its group is decompressed on first use and kept.
    pub fn schema(&self) -> Value {
        let text = group_text(self.group_index);
        serde_json::from_str(&text[self.start..self.end]).expect("bundled CRD schemas are valid JSON")
    }
}

fn group_text(index: usize) -> &'static str {
    static TEXTS: OnceLock<Vec<OnceLock<String>>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| CRD_GROUPS.iter().map(|_| OnceLock::new()).collect());
    texts[index].get_or_init(|| {
        use std::io::Read as _;
        let group = &CRD_GROUPS[index];
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(group.data)
            .unwrap_or_else(|e| panic!("bundled CRDs of {}: {e}", group.group));
        let mut text = String::with_capacity(group.len);
        decoder.read_to_string(&mut text).unwrap_or_else(|e| panic!("bundled CRDs of {}: {e}", group.group));
        text
    })
}
