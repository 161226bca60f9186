//! The kustomization.yaml schema we author (`schemas/kustomization.json`).

use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};

use crate::schema::navigate::{self, Segment};
use crate::yaml::{YamlFile, to_json};

const SCHEMA: &str = include_str!("../../../schemas/kustomization.json");

const EXAMPLES: &[(&str, &str)] = &[
    ("apps/production", include_str!("../../../examples/apps/production/kustomization.yaml")),
    ("apps/base/podinfo", include_str!("../../../examples/apps/base/podinfo/kustomization.yaml")),
    ("apps/base/redis", include_str!("../../../examples/apps/base/redis/kustomization.yaml")),
    ("infrastructure/controllers", include_str!("../../../examples/infrastructure/controllers/kustomization.yaml")),
];

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("kustomization.json is JSON")
}

fn yaml(text: &str) -> Value {
    let file = YamlFile::parse(text);
    to_json(file.documents()[0].doc.root.as_ref().expect("a document")).unwrap()
}

/// Error pointers, an unknown field pointing at the field itself.
fn errors(instance: &Value) -> Vec<String> {
    let validator = jsonschema::options().should_validate_formats(true).build(&schema()).expect("schema compiles");
    validator
        .iter_errors(instance)
        .flat_map(|e| {
            let path = e.instance_path().as_str().to_owned();
            match e.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    unexpected.iter().map(|u| format!("{path}/{u}")).collect()
                }
                _ => vec![path],
            }
        })
        .collect()
}

fn assert_error_at(text: &str, path: &str) {
    let errs = errors(&yaml(text));
    assert!(errs.iter().any(|p| p == path), "expected an error at {path}, got {errs:?}");
}

#[test]
fn the_examples_are_valid() {
    for (dir, text) in EXAMPLES {
        let errs = errors(&yaml(text));
        assert!(errs.is_empty(), "{dir}: {errs:?}");
    }
}

#[test]
fn a_full_kustomization_is_valid() {
    let text = r#"
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
namePrefix: prod-
nameSuffix: -v2
resources:
  - ../base
  - github.com/org/repo//deploy?ref=v1.2.0
components:
crds: [crds/widget.yaml]
labels:
  - pairs: {app.kubernetes.io/part-of: shop}
    includeSelectors: true
    fields:
      - path: spec/template/metadata/labels
        kind: Deployment
        create: true
commonAnnotations:
  owner: team-a
images:
  - name: nginx
    newName: registry.example.com/nginx
    newTag: "1.27"
  - name: ghcr.io/org/app
    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
replicas:
  - name: web
    count: 3
patches:
  - path: patches/replicas.yaml
  - patch: |-
      - op: replace
        path: /spec/replicas
        value: 2
    target:
      group: apps
      version: v1
      kind: Deployment
      name: web
      labelSelector: tier=frontend
    options:
      allowNameChange: true
configMapGenerator:
  - name: settings
    behavior: merge
    literals: [LOG_LEVEL=debug]
    files: [config.json, app.properties=props/app.properties]
    envs: [.env]
    options:
      disableNameSuffixHash: true
secretGenerator:
  - name: tls
    type: kubernetes.io/tls
    files: [tls.crt, tls.key]
generatorOptions:
  labels: {generated: "true"}
  immutable: true
replacements:
  - source: {kind: Service, name: web, fieldPath: metadata.name}
    targets:
      - select: {kind: Ingress}
        fieldPaths: [spec.rules.0.http.paths.0.backend.service.name]
        options: {create: true}
  - path: replacements/hosts.yaml
helmCharts:
  - name: podinfo
    repo: https://stefanprodan.github.io/podinfo
    version: 6.7.1
    releaseName: podinfo
    valuesInline:
      replicaCount: 2
      ingress: {enabled: true, hosts: [{host: a.example.com}]}
    includeCRDs: false
helmGlobals: {chartHome: charts}
buildMetadata: [originAnnotations]
sortOptions: {order: fifo}
"#;
    let errs = errors(&yaml(text));
    assert!(errs.is_empty(), "{errs:?}");
}

#[test]
fn components_and_deprecated_fields_are_accepted() {
    let component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: p.yaml\n";
    assert!(errors(&yaml(component)).is_empty());
    let old = r#"
bases: [../base]
commonLabels: {app: web}
patchesStrategicMerge:
  - deployment-patch.yaml
  - |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec: {replicas: 2}
patchesJson6902:
  - target: {group: apps, version: v1, kind: Deployment, name: web}
    path: ops.yaml
  - target: {version: v1, kind: Service, name: web}
    patch: '[{"op": "remove", "path": "/spec/clusterIP"}]'
vars:
  - name: SERVICE
    objref: {kind: Service, name: web, apiVersion: v1}
configMapGenerator:
  - name: env
    env: app.env
"#;
    let errs = errors(&yaml(old));
    assert!(errs.is_empty(), "{errs:?}");
    let s = schema();
    for (field, replacement) in [
        ("bases", "resources"),
        ("patchesStrategicMerge", "patches"),
        ("patchesJson6902", "patches"),
        ("commonLabels", "labels"),
        ("vars", "replacements"),
    ] {
        let prop = &s["properties"][field];
        assert_eq!(prop["deprecated"], json!(true), "{field}");
        let d = prop["description"].as_str().unwrap();
        assert!(d.starts_with("Deprecated") && d.contains(&format!("`{replacement}`")), "{field}: {d}");
    }
}

#[test]
fn mistakes_are_errors() {
    assert_error_at("resource:\n  - a.yaml\n", "/resource");
    assert_error_at("replicas:\n  - name: web\n    count: \"3\"\n", "/replicas/0/count");
    assert_error_at("replicas:\n  - name: web\n", "/replicas/0");
    assert_error_at("configMapGenerator:\n  - name: c\n    behavior: upsert\n", "/configMapGenerator/0/behavior");
    assert_error_at("secretGenerator:\n  - name: s\n    behaviour: merge\n", "/secretGenerator/0/behaviour");
    assert_error_at("images:\n  - name: nginx\n    newtag: \"1\"\n", "/images/0/newtag");
    assert_error_at("images:\n  - name: nginx\n    newTag: 1.27\n", "/images/0/newTag");
    assert_error_at("images:\n  - newName: nginx\n", "/images/0");
    assert_error_at("patches:\n  - target: {kind: Deployment}\n", "/patches/0");
    assert_error_at("patches:\n  - path: a.yaml\n    patch: '{}'\n", "/patches/0");
    assert_error_at(
        "patches:\n  - path: a.yaml\n    target: {kind: Deployment, labelselector: a=b}\n",
        "/patches/0/target/labelselector",
    );
    assert_error_at(
        "patches:\n  - path: a.yaml\n    options: {allowNameChange: yes please}\n",
        "/patches/0/options/allowNameChange",
    );
    assert_error_at("kind: Kustomisation\n", "/kind");
    assert_error_at("commonAnnotations:\n  replicas: 3\n", "/commonAnnotations/replicas");
    assert_error_at("buildMetadata: [origin]\n", "/buildMetadata/0");
}

#[test]
fn hover_text_is_reachable() {
    let s = schema();
    let at = |path: &[Segment]| navigate::schema_at(&s, path).unwrap_or_else(|| panic!("{path:?}"));
    let key = |k: &str| Segment::Key(k.into());
    let new_tag = at(&[key("images"), Segment::Index(0), key("newTag")]);
    assert!(navigate::description(&s, new_tag).unwrap().contains("Quote numeric tags"));
    let target = at(&[key("patches"), Segment::Index(0), key("target")]);
    assert!(navigate::description(&s, target).unwrap().starts_with("Which resources"));
    let kind = at(&[key("patches"), Segment::Index(0), key("target"), key("kind")]);
    assert_eq!(navigate::type_name(&s, kind), "string");
    let behavior = at(&[key("configMapGenerator"), Segment::Index(0), key("behavior")]);
    assert_eq!(navigate::enum_values(&s, behavior), [&json!("create"), &json!("replace"), &json!("merge")]);
    let resources = at(&[key("resources")]);
    assert!(navigate::description(&s, resources).unwrap().contains("remote bases"));
}
