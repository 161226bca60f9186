//! CustomResourceDefinitions to JSON schemas.
//!
//! A CRD's `openAPIV3Schema` is OpenAPI 3.0 flavoured and relies on Kubernetes extensions
//! (`x-kubernetes-preserve-unknown-fields`, `-int-or-string`, `-embedded-resource`) and on the
//! API server pruning unknown fields. [`openapi_to_json_schema`] turns it into a strict draft-07
//! schema that reports what the API server's strict field validation would reject, and
//! [`crd_versions`] yields one self-contained schema per version of a CRD (v1 and legacy v1beta1).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::store::{CustomKind, Provenance};

/// The embedded definition used for every custom resource's `metadata`.
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// One version of a CRD, with its converted schema.
#[derive(Clone, Debug, PartialEq)]
pub struct CrdVersion {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    pub served: bool,
    pub storage: bool,
    /// `deprecationWarning`, or a generic message when the version is only marked `deprecated`.
    pub deprecated: Option<String>,
    /// Self-contained draft-07 schema for a resource of this version.
    pub schema: Value,
    /// Position in `spec.versions` (0 for a legacy single-version CRD).
    pub version_index: usize,
}

impl CrdVersion {
    /// `group/version`, the value of a resource's `apiVersion`.
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}

/// Every version declared by a `CustomResourceDefinition` (a document converted with
/// `yaml::to_json`), each with its own schema. Errors name the missing or malformed field.
pub fn crd_versions(crd: &Value) -> Result<Vec<CrdVersion>, String> {
    let api_version = crd.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    if !matches!(api_version, "apiextensions.k8s.io/v1" | "apiextensions.k8s.io/v1beta1") {
        return Err(format!(
            "unsupported CustomResourceDefinition apiVersion {api_version:?}: expected apiextensions.k8s.io/v1 \
             (or the legacy v1beta1)"
        ));
    }
    let spec = crd.get("spec").filter(|s| s.is_object()).ok_or("CustomResourceDefinition has no spec")?;
    let group = non_empty_str(spec, "group").ok_or("CustomResourceDefinition is missing spec.group")?;
    let names = spec.get("names").ok_or("CustomResourceDefinition is missing spec.names")?;
    let kind = non_empty_str(names, "kind").ok_or("CustomResourceDefinition is missing spec.names.kind")?;
    let plural = non_empty_str(names, "plural").unwrap_or_default();
    // Namespaced is the API server's default for v1beta1; v1 requires the field.
    let namespaced = spec.get("scope").and_then(Value::as_str) != Some("Cluster");
    // v1beta1 may give one schema for all versions at the top level.
    let shared_schema = spec.pointer("/validation/openAPIV3Schema");

    let declared: Vec<&Value> = match spec.get("versions") {
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect(),
        Some(Value::Array(_)) | None => Vec::new(),
        Some(_) => return Err("spec.versions of the CustomResourceDefinition must be a list".into()),
    };
    let mut out = Vec::new();
    if declared.is_empty() {
        let version = non_empty_str(spec, "version")
            .ok_or("CustomResourceDefinition is missing spec.versions (or the legacy spec.version)")?;
        out.push(CrdVersion {
            schema: resource_schema(shared_schema, group, version, kind),
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
            served: true,
            storage: true,
            deprecated: None,
            version_index: 0,
        });
        return Ok(out);
    }
    for (index, v) in declared.into_iter().enumerate() {
        let version = non_empty_str(v, "name").ok_or_else(|| format!("spec.versions[{index}] has no name"))?;
        let openapi = v.pointer("/schema/openAPIV3Schema").or(shared_schema);
        let deprecated = (v.get("deprecated") == Some(&Value::Bool(true))).then(|| {
            non_empty_str(v, "deprecationWarning")
                .map_or_else(|| format!("{group}/{version} {kind} is deprecated"), str::to_string)
        });
        out.push(CrdVersion {
            schema: resource_schema(openapi, group, version, kind),
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
            // Both flags are required by the API server; a missing one is taken at its most useful value.
            served: v.get("served").and_then(Value::as_bool).unwrap_or(true),
            storage: v.get("storage").and_then(Value::as_bool).unwrap_or(false),
            deprecated,
            version_index: index,
        });
    }
    Ok(out)
}

/// The served versions as custom kinds for the schema store.
pub fn to_custom_kinds(versions: &[CrdVersion], provenance: impl Fn(&CrdVersion) -> Provenance) -> Vec<CustomKind> {
    versions
        .iter()
        .filter(|v| v.served)
        .map(|v| CustomKind {
            api_version: v.api_version(),
            kind: v.kind.clone(),
            namespaced: v.namespaced,
            schema: Arc::new(v.schema.clone()),
            provenance: provenance(v),
        })
        .collect()
}

/// A self-contained schema for a resource: the converted `openAPIV3Schema` with `apiVersion`
/// and `kind` pinned, `metadata` checked against the embedded ObjectMeta, and `status` allowed.
/// `None` (a legacy CRD without validation) accepts any fields.
pub fn resource_schema(openapi: Option<&Value>, group: &str, version: &str, kind: &str) -> Value {
    let mut root = match openapi.map(openapi_to_json_schema) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    root.insert("type".into(), json!("object"));
    let open = root.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) || openapi.is_none();
    let mut props = match root.remove("properties") {
        Some(Value::Object(p)) => p,
        _ => Map::new(),
    };
    let described = |props: &Map<String, Value>, key: &str, mut schema: Value| {
        if let Some(d) = props.get(key).and_then(|p| p.get("description")) {
            schema["description"] = d.clone();
        }
        schema
    };
    let api_version =
        described(&props, "apiVersion", json!({"type": "string", "enum": [format!("{group}/{version}")]}));
    let kind_schema = described(&props, "kind", json!({"type": "string", "enum": [kind]}));
    // The API server only honours constraints on metadata.name/generateName; keep those as an
    // extra (non-strict) branch next to the full ObjectMeta.
    let meta_ref = json!({"$ref": format!("#/definitions/{OBJECT_META}")});
    let metadata = match props.get("metadata") {
        Some(m) if m.get("properties").is_some() => {
            let mut extra = m.clone();
            if let Some(o) = extra.as_object_mut() {
                o.remove("additionalProperties");
            }
            json!({"allOf": [meta_ref, extra]})
        }
        _ => meta_ref,
    };
    props.insert("apiVersion".into(), api_version);
    props.insert("kind".into(), kind_schema);
    props.insert("metadata".into(), metadata);
    // Status is written by controllers; a repository may carry one, and it is never an error here.
    props.entry("status").or_insert_with(|| json!({"description": "Status written by the controller."}));
    root.insert("properties".into(), Value::Object(props));
    if open {
        root.remove("additionalProperties");
    } else {
        root.insert("additionalProperties".into(), Value::Bool(false));
    }
    root.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    root.insert("definitions".into(), Value::Object(object_meta_definitions()));
    Value::Object(root)
}

/// ObjectMeta and every embedded definition it reaches, keyed by name.
fn object_meta_definitions() -> Map<String, Value> {
    let mut reached = BTreeMap::new();
    let mut pending = vec![OBJECT_META.to_string()];
    while let Some(name) = pending.pop() {
        if reached.contains_key(&name) {
            continue;
        }
        let Some(def) = gitops_ls_schemas::definition(&name) else { continue };
        collect_refs(def, &mut pending);
        reached.insert(name, def.clone());
    }
    reached.into_iter().collect()
}

fn collect_refs(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.extend(gitops_ls_schemas::ref_name(r).map(str::to_string)),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Converts an OpenAPI v3 (structural CRD) schema into a strict draft-07 schema:
/// * an object with `properties` gets `additionalProperties: false`, unless
///   `x-kubernetes-preserve-unknown-fields: true`; an object with neither properties nor
///   additionalProperties stays open;
/// * `x-kubernetes-int-or-string: true` accepts an integer or a string;
/// * `nullable: true` also accepts null;
/// * `x-kubernetes-embedded-resource: true` allows `apiVersion`, `kind` and `metadata`;
/// * formats whose JSON Schema meaning differs from Kubernetes' (`duration`, `uri`, …) are kept
///   under `x-kubernetes-format` only, so they never produce false errors;
/// * descriptions and `x-kubernetes-*` extensions are kept for hover.
pub fn openapi_to_json_schema(openapi: &Value) -> Value {
    convert(openapi, true)
}

/// Keywords copied as they are (after converting their sub-schemas where they have any).
const PLAIN_KEYWORDS: &[&str] = &[
    "description",
    "title",
    "enum",
    "const",
    "default",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "required",
];

/// Formats that jsonschema checks the same way the API server does (or not at all); others
/// are moved aside. Kubernetes' `duration` is Go's (`5m`), not ISO 8601; its `uri` and
/// `hostname` accept more than RFC 3986/1123 as jsonschema reads them.
const FORMATS_KEPT: &[&str] = &["date-time", "ipv4", "ipv6", "uuid", "int32", "int64", "float", "double", "byte"];

/// `strict` is false inside `allOf`/`anyOf`/`oneOf`/`not`: structural schemas use those for
/// value checks only (e.g. `anyOf: [{required: [a]}, {required: [b]}]`), so a branch listing
/// some properties must not reject the others.
fn convert(schema: &Value, strict: bool) -> Value {
    let Value::Object(src) = schema else {
        // `true`/`false` schemas and junk pass through.
        return schema.clone();
    };
    let mut out = Map::new();
    for key in PLAIN_KEYWORDS {
        if let Some(v) = src.get(*key) {
            out.insert((*key).into(), v.clone());
        }
    }
    // CRD patterns are Go RE2; JSON Schema's are ECMA-262, and one that does not compile as
    // such (`(?i)…`, `\PC`) would make the whole schema unusable. Those are kept for hover only.
    if let Some(Value::String(p)) = src.get("pattern")
        && !ecma_pattern_ok(p)
    {
        out.remove("pattern");
        out.insert("x-kubernetes-pattern".into(), json!(p));
    }
    for (key, value) in src {
        if key.starts_with("x-") {
            out.insert(key.clone(), value.clone());
        }
    }
    let flag = |name: &str| src.get(name) == Some(&Value::Bool(true));
    let preserve = flag("x-kubernetes-preserve-unknown-fields");
    let int_or_string = flag("x-kubernetes-int-or-string");
    let embedded = flag("x-kubernetes-embedded-resource");
    let nullable = flag("nullable");

    match src.get("format").and_then(Value::as_str) {
        Some(f) if FORMATS_KEPT.contains(&f) => {
            out.insert("format".into(), json!(f));
        }
        Some(f) => {
            out.insert("x-kubernetes-format".into(), json!(f));
        }
        None => {}
    }
    // OpenAPI 3.0 has boolean exclusiveMinimum/Maximum modifying minimum/maximum; draft-07
    // wants the bound itself.
    for (excl, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        match src.get(excl) {
            Some(Value::Bool(true)) => {
                if let Some(b) = out.remove(bound) {
                    out.insert(excl.into(), b);
                }
            }
            Some(n @ Value::Number(_)) => {
                out.insert(excl.into(), n.clone());
            }
            _ => {}
        }
    }

    if int_or_string {
        // The CRD's own `anyOf: [{type: integer}, {type: string}]` says the same; one `type` keeps
        // error messages short.
        out.insert("type".into(), json!(["integer", "string"]));
    } else if let Some(t) = src.get("type") {
        out.insert("type".into(), t.clone());
    }

    if let Some(Value::Object(props)) = src.get("properties") {
        let converted: Map<String, Value> = props.iter().map(|(k, v)| (k.clone(), convert(v, true))).collect();
        out.insert("properties".into(), Value::Object(converted));
    }
    if let Some(items) = src.get("items") {
        let converted = match items {
            Value::Array(list) => Value::Array(list.iter().map(|i| convert(i, true)).collect()),
            other => convert(other, true),
        };
        out.insert("items".into(), converted);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if int_or_string && key == "anyOf" {
            continue;
        }
        if let Some(Value::Array(list)) = src.get(key) {
            out.insert(key.into(), Value::Array(list.iter().map(|b| convert(b, false)).collect()));
        }
    }
    if let Some(not) = src.get("not") {
        out.insert("not".into(), convert(not, false));
    }

    if embedded {
        out.insert("type".into(), json!("object"));
        let props = out.entry("properties").or_insert_with(|| json!({}));
        if let Some(p) = props.as_object_mut() {
            p.entry("apiVersion").or_insert_with(|| json!({"type": "string"}));
            p.entry("kind").or_insert_with(|| json!({"type": "string"}));
            p.entry("metadata").or_insert_with(|| json!({"type": "object"}));
        }
    }

    match src.get("additionalProperties") {
        Some(Value::Bool(b)) => {
            out.insert("additionalProperties".into(), Value::Bool(*b));
        }
        Some(ap @ Value::Object(_)) => {
            out.insert("additionalProperties".into(), convert(ap, true));
        }
        _ => {
            // Only a schema that names its fields can say a field is unknown.
            if strict && !preserve && out.contains_key("properties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
    }

    if nullable {
        allow_null(&mut out);
    }
    Value::Object(out)
}

/// Whether `jsonschema` accepts the pattern (it checks patterns against ECMA-262 when it
/// builds a validator).
fn ecma_pattern_ok(pattern: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, PoisonError};
    // CRDs repeat the same few patterns (durations, names) many times.
    static CHECKED: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    let checked = CHECKED.get_or_init(Default::default);
    if let Some(ok) = checked.lock().unwrap_or_else(PoisonError::into_inner).get(pattern) {
        return *ok;
    }
    let probe = json!({"$schema": "http://json-schema.org/draft-07/schema#", "pattern": pattern});
    let ok = jsonschema::options().build(&probe).is_ok();
    checked.lock().unwrap_or_else(PoisonError::into_inner).insert(pattern.to_string(), ok);
    ok
}

/// Widens a converted schema to accept `null`.
fn allow_null(out: &mut Map<String, Value>) {
    match out.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            out.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(list)) if !list.contains(&json!("null")) => list.push(json!("null")),
        // Without a type any value, null included, passes the type check already.
        _ => {}
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
}

fn non_empty_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

#[cfg(test)]
#[path = "crd_tests.rs"]
mod tests;
