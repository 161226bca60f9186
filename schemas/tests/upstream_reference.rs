//! Cross-check with Kubernetes 1.32.2's strict definitions (a slice vendored under
//! `tests/data/`, see its README for the source and licence). Differences that are expected
//! between 1.32 and 1.37 are printed; the test fails only on ones that would be our mistakes.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

fn reference() -> BTreeMap<String, Value> {
    let doc: Value = serde_json::from_str(include_str!("data/k8s-v1.32.2-definitions-slice.json")).unwrap();
    serde_json::from_value(doc["definitions"].clone()).unwrap()
}

/// `$ref` target of every property path (definition.prop.prop[]...), following inline schemas.
fn refs(defs: &BTreeMap<String, Value>) -> BTreeMap<String, String> {
    fn walk(s: &Value, path: String, out: &mut BTreeMap<String, String>) {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            out.insert(path, r.rsplit('/').next().unwrap().to_owned());
            return;
        }
        if let Some(Value::Object(props)) = s.get("properties") {
            for (k, v) in props {
                walk(v, format!("{path}.{k}"), out);
            }
        }
        if let Some(items) = s.get("items") {
            walk(items, format!("{path}[]"), out);
        }
        if let Some(ap @ Value::Object(_)) = s.get("additionalProperties") {
            walk(ap, format!("{path}{{}}"), out);
        }
    }
    let mut out = BTreeMap::new();
    for (name, s) in defs {
        walk(s, name.clone(), &mut out);
    }
    out
}

fn required(s: &Value) -> BTreeSet<String> {
    s.get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn cross_check_with_upstream_1_32() {
    let upstream = reference();
    assert!(upstream.len() > 600, "the slice holds every definition of 1.32");
    let ours: BTreeMap<String, Value> =
        gitops_ls_schemas::definitions().iter().map(|(k, v)| (k.clone(), v.clone())).collect();

    // Kinds: every GA kind of 1.32 is still built in; alpha/beta versions come and go.
    let ours_kinds: BTreeSet<(String, String, String)> =
        gitops_ls_schemas::kinds().map(|k| (k.group.to_owned(), k.version.to_owned(), k.kind.to_owned())).collect();
    let skip = [
        "Scale",
        "Eviction",
        "TokenRequest",
        "Status",
        "APIGroup",
        "APIGroupList",
        "APIResourceList",
        "APIVersions",
        "WatchEvent",
        "DeleteOptions",
    ];
    let mut missing_ga = Vec::new();
    for s in upstream.values() {
        for gvk in s.get("x-kubernetes-group-version-kind").and_then(Value::as_array).into_iter().flatten() {
            let key = (
                gvk["group"].as_str().unwrap().to_owned(),
                gvk["version"].as_str().unwrap().to_owned(),
                gvk["kind"].as_str().unwrap().to_owned(),
            );
            if skip.contains(&key.2.as_str()) || key.2.ends_with("List") || ours_kinds.contains(&key) {
                continue;
            }
            if key.1.contains("alpha") || key.1.contains("beta") {
                println!("not in 1.37 (pre-GA version): {key:?}");
            } else {
                missing_ga.push(key);
            }
        }
    }
    assert!(missing_ga.is_empty(), "GA kinds of 1.32 missing: {missing_ga:?}");

    // IntOrString and Quantity fields: the same paths use them.
    let (ours_refs, up_refs) = (refs(&ours), refs(&upstream));
    let mut special_mismatch = Vec::new();
    for (path, up) in &up_refs {
        let Some(our) = ours_refs.get(path) else {
            continue;
        };
        for special in [INT_OR_STRING, QUANTITY] {
            if (up == special) != (our == special) {
                special_mismatch.push(format!("{path}: ours {our}, upstream {up}"));
            }
        }
    }
    assert!(special_mismatch.is_empty(), "{special_mismatch:#?}");
    for special in [INT_OR_STRING, QUANTITY] {
        let n = ours_refs.values().filter(|r| *r == special).count();
        println!("{special}: used by {n} fields");
    }

    // Required lists and strictness of every definition both have.
    let mut required_diffs = 0;
    for (name, up) in &upstream {
        let Some(our) = ours.get(name) else { continue };
        let (a, b) = (required(our), required(up));
        if a != b {
            required_diffs += 1;
            println!("required differs: {name}: ours {a:?}, upstream 1.32 {b:?}");
        }
        if up.get("properties").is_some() {
            assert_eq!(our.get("additionalProperties"), up.get("additionalProperties"), "strictness of {name}");
        }
        if let (Some(Value::Array(e)), Some(k)) =
            (up.pointer("/properties/kind/enum"), our.pointer("/properties/kind/enum"))
        {
            assert_eq!(Some(e), k.as_array(), "kind enum of {name}");
        }
    }
    println!("{required_diffs} definitions with different required lists (see README.md)");
}
