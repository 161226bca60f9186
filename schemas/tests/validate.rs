//! Validates manifests against the embedded schemas with `jsonschema`, the way the server does:
//! one validator compiled per kind from `schema_for`, offline, then reused.

use std::sync::OnceLock;
use std::time::Instant;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

fn validator(api_version: &str, kind: &str) -> Validator {
    let schema = gitops_ls_schemas::schema_for(api_version, kind).expect("built-in kind");
    jsonschema::options().with_draft(Draft::Draft7).build(&schema).expect("schema compiles")
}

fn deployment_validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| validator("apps/v1", "Deployment"))
}

/// (JSON pointer of the offending value or key, error kind name) for every error. For an
/// unknown field the pointer names the field itself, as a diagnostic should.
fn errors(v: &Validator, instance: &Value) -> Vec<(String, String)> {
    v.iter_errors(instance)
        .flat_map(|e| {
            let path = e.instance_path().as_str().to_owned();
            match e.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    unexpected.iter().map(|u| (format!("{path}/{u}"), "additionalProperties".to_owned())).collect()
                }
                kind => vec![(path, kind_name(kind).to_owned())],
            }
        })
        .collect()
}

fn kind_name(kind: &ValidationErrorKind) -> &'static str {
    match kind {
        ValidationErrorKind::Enum { .. } => "enum",
        ValidationErrorKind::Type { .. } => "type",
        ValidationErrorKind::Required { .. } => "required",
        ValidationErrorKind::OneOfNotValid { .. } => "oneOf",
        ValidationErrorKind::Pattern { .. } => "pattern",
        _ => "other",
    }
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "labels": { "app": "web", "example.com/any-key_1": "x" },
            "annotations": { "a": "b" },
            "creationTimestamp": null
        },
        "spec": {
            "replicas": 3,
            "selector": { "matchLabels": { "app": "web" } },
            "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": "25%", "maxUnavailable": 1 } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": {
                    "containers": [{
                        "name": "web",
                        "image": "nginx:1.27",
                        "imagePullPolicy": "IfNotPresent",
                        "ports": [{ "containerPort": 80, "protocol": "TCP", "name": "http" }],
                        "resources": {
                            "requests": { "cpu": "500m", "memory": "1Gi" },
                            "limits": { "cpu": 1, "memory": "1.5Gi" }
                        },
                        "readinessProbe": { "httpGet": { "path": "/", "port": "http" } }
                    }],
                    "restartPolicy": "Always"
                }
            }
        }
    })
}

fn with(mut doc: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    doc.pointer_mut(parent).unwrap().as_object_mut().unwrap().insert(key.to_owned(), value);
    doc
}

fn without(mut doc: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    doc.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
    doc
}

fn assert_single(v: &Validator, doc: &Value, pointer: &str, kind: &str) {
    assert_eq!(errors(v, doc), vec![(pointer.to_owned(), kind.to_owned())]);
}

#[test]
fn valid_deployment_passes() {
    assert_eq!(errors(deployment_validator(), &deployment()), vec![]);
}

#[test]
fn unknown_field_is_reported_at_its_path() {
    let doc = with(deployment(), "/spec/replica", json!(3));
    assert_single(deployment_validator(), &doc, "/spec/replica", "additionalProperties");
    // jsonschema itself reports the object holding the unknown key, and names the key.
    let err = deployment_validator().iter_errors(&doc).next().unwrap();
    assert_eq!(err.instance_path().as_str(), "/spec");
}

#[test]
fn enum_type_and_pattern_errors() {
    let v = deployment_validator();
    let c = "/spec/template/spec/containers/0";
    let doc = with(deployment(), &format!("{c}/imagePullPolicy"), json!("Sometimes"));
    assert_single(v, &doc, &format!("{c}/imagePullPolicy"), "enum");
    let doc = with(deployment(), "/spec/replicas", json!("3"));
    assert_single(v, &doc, "/spec/replicas", "type");
    let doc = with(deployment(), &format!("{c}/resources/requests/cpu"), json!("lots"));
    assert_single(v, &doc, &format!("{c}/resources/requests/cpu"), "oneOf");
    let doc = with(deployment(), &format!("{c}/ports/0/protocol"), json!("tcp"));
    assert_single(v, &doc, &format!("{c}/ports/0/protocol"), "enum");
}

#[test]
fn quantities() {
    let v = deployment_validator();
    let cpu = "/spec/template/spec/containers/0/resources/requests/cpu";
    for ok in [json!("500m"), json!("1Gi"), json!(1), json!(0.5), json!("1e3"), json!("+.5"), json!("100Ki")] {
        assert!(v.is_valid(&with(deployment(), cpu, ok.clone())), "{ok} should be a quantity");
    }
    for bad in [json!("lots"), json!("1GB"), json!("1 Gi"), json!(""), json!(true)] {
        assert!(!v.is_valid(&with(deployment(), cpu, bad.clone())), "{bad} should not be a quantity");
    }
}

#[test]
fn maps_accept_any_keys() {
    let doc = with(deployment(), "/metadata/labels", json!({ "app.kubernetes.io/name": "x", "weird key": "y" }));
    assert!(deployment_validator().is_valid(&doc));
    // ...but map values keep their type.
    let doc = with(deployment(), "/metadata/labels", json!({ "replicas": 3 }));
    assert_single(deployment_validator(), &doc, "/metadata/labels/replicas", "type");
}

#[test]
fn required_fields() {
    let v = deployment_validator();
    let doc = without(deployment(), "/spec/template/spec/containers");
    assert_single(v, &doc, "/spec/template/spec", "required");
    // Kubernetes 1.37's OpenAPI requires a Deployment's `spec` (1.32's did not); `metadata` is
    // never required on a Deployment, although k8s-openapi lists it.
    assert_single(v, &without(deployment(), "/spec"), "", "required");
    assert!(v.is_valid(&without(deployment(), "/metadata")));
    // A Pod's spec is optional.
    let pod = validator("v1", "Pod");
    assert!(pod.is_valid(&json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p" } })));
    let pod_doc = json!({ "apiVersion": "v1", "kind": "Pod", "spec": {} });
    assert_single(&pod, &pod_doc, "/spec", "required");
    // `name` of a secretKeyRef defaults to "" upstream; k8s-openapi would require it.
    let cm = json!({ "apiVersion": "v1", "kind": "Pod", "spec": { "containers": [{ "name": "c",
        "env": [{ "name": "X", "valueFrom": { "secretKeyRef": { "key": "k" } } }] }] } });
    assert!(pod.is_valid(&cm));
}

#[test]
fn service_target_port_is_int_or_string() {
    let v = validator("v1", "Service");
    let svc = |target: Value| {
        json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "s" },
            "spec": { "type": "ClusterIP", "selector": { "app": "web" },
                "ports": [{ "port": 80, "targetPort": target, "protocol": "TCP" }] } })
    };
    assert!(v.is_valid(&svc(json!("http"))));
    assert!(v.is_valid(&svc(json!(8080))));
    assert_single(&v, &svc(json!(1.5)), "/spec/ports/0/targetPort", "oneOf");
    assert_single(&v, &svc(json!(true)), "/spec/ports/0/targetPort", "oneOf");
    let bad_type = with(svc(json!(80)), "/spec/type", json!("Internal"));
    assert_single(&v, &bad_type, "/spec/type", "enum");
}

#[test]
fn api_version_and_kind_must_match() {
    assert!(gitops_ls_schemas::schema_for("v1", "Deployment").is_none());
    assert!(gitops_ls_schemas::kind_info("v1", "Deployment").is_none());
    let doc = with(deployment(), "/apiVersion", json!("apps/v1beta1"));
    assert_single(deployment_validator(), &doc, "/apiVersion", "enum");
    let doc = with(deployment(), "/kind", json!("StatefulSet"));
    assert_single(deployment_validator(), &doc, "/kind", "enum");
}

#[test]
fn every_kind_compiles_and_accepts_a_minimal_object() {
    for k in gitops_ls_schemas::kinds() {
        let v = validator(k.api_version, k.kind);
        let minimal = json!({ "apiVersion": k.api_version, "kind": k.kind, "metadata": { "name": "x" } });
        // Only the kind's own required fields may be missing.
        for (path, kind) in errors(&v, &minimal) {
            assert_eq!((path.as_str(), kind.as_str()), ("", "required"), "{} {}", k.api_version, k.kind);
        }
    }
}

/// Prints what the README reports: compile time of the Deployment validator and the time to
/// validate one Deployment. `cargo test -p gitops-ls-schemas --release -- --nocapture timings`
#[test]
fn timings() {
    let start = Instant::now();
    let count = gitops_ls_schemas::definitions().len();
    let parse = start.elapsed();
    let start = Instant::now();
    let schema = gitops_ls_schemas::schema_for("apps/v1", "Deployment").unwrap();
    let extract = start.elapsed();
    let start = Instant::now();
    let v = jsonschema::options().with_draft(Draft::Draft7).build(&schema).unwrap();
    let compile = start.elapsed();
    let doc = deployment();
    let rounds = 1000;
    let start = Instant::now();
    for _ in 0..rounds {
        assert!(v.is_valid(&doc));
    }
    let validate = start.elapsed() / rounds;
    println!(
        "embedded document parse (first use only, {count} definitions) {parse:?}; \
         Deployment: schema_for {extract:?} ({} definitions), compile {compile:?}, validate {validate:?}",
        schema["definitions"].as_object().unwrap().len()
    );
}
