//! Fixture tests for schema validation: expected diagnostics are annotated under the text.

use std::sync::Arc;

use serde_json::json;

use super::store::{CustomKind, Provenance, SchemaStore};
use super::validate::{ValidationOptions, validate_file};
use crate::test_util::{assert_diagnostics, strip_annotations};
use crate::yaml::{Diagnostic, Severity, YamlFile};

fn run(fixture: &str, store: &SchemaStore, opts: &ValidationOptions) -> (String, Vec<Diagnostic>, usize) {
    let (text, expected) = strip_annotations(fixture);
    let file = YamlFile::parse(&text);
    assert!(file.diagnostics().is_empty(), "fixture has YAML problems: {:?}", file.diagnostics());
    let result = validate_file(&file, store, opts);
    assert_diagnostics(&text, &expected, &result.diagnostics);
    (text, result.diagnostics, result.resources)
}

#[track_caller]
fn check(fixture: &str) -> (String, Vec<Diagnostic>, usize) {
    run(fixture, &SchemaStore::new(), &ValidationOptions::default())
}

/// Applies the first fix of the diagnostic with `code`.
fn apply_fix(text: &str, diags: &[Diagnostic], code: &str) -> String {
    let d = diags.iter().find(|d| d.code == code).expect("diagnostic");
    let fix = d.fixes.first().expect("a fix");
    let mut out = text.to_string();
    let mut edits = fix.edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
    for e in edits {
        out.replace_range(e.span.start..e.span.end, &e.new_text);
    }
    out
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
  annotations:
    example.com/note: \"yes\"
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 1
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: IfNotPresent
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: MODE
              value: \"on\"
          resources:
            requests:
              cpu: 500m
              memory: 1Gi
            limits:
              cpu: 1
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
";

#[test]
fn a_valid_deployment_is_clean() {
    let (_, _, resources) = check(DEPLOYMENT);
    assert_eq!(resources, 1);
}

#[test]
fn unknown_field_on_its_key_with_a_suggestion() {
    let (text, diags, _) = check(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replica: 3
  ^^^^^^^ error[unknown-field]: unknown field `replica` in Deployment.spec; did you mean `replicas`?
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
          imagePullPolicy: Always
          ports:
            - containerPort: 80
              protcol: TCP
              ^^^^^^^ error[unknown-field]: unknown field `protcol` in Deployment.spec.template.spec.containers[].ports[]; did you mean `protocol`?
",
    );
    assert!(apply_fix(&text, &diags, "unknown-field").contains("  replicas: 3\n"));
}

#[test]
fn wrong_types_enums_and_quantities_on_the_value() {
    let (text, diags, _) = check(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: \"3\"
            ^^^ error[wrong-type]: Deployment.spec.replicas must be an integer, found the string \"3\"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
          imagePullPolicy: Sometimes
                           ^^^^^^^^^ error[invalid-value]: `Sometimes` is not a valid value for Deployment.spec.template.spec.containers[].imagePullPolicy: expected one of
          resources:
            limits:
              cpu: lots
                   ^^^^ error[invalid-value]: cpu must be a quantity such as `500m`, `1.5` or `2Gi`, found the string \"lots\"
          ports:
            - containerPort: [80]
                             ^^^^ error[wrong-type]: must be an integer, found a list
",
    );
    assert!(apply_fix(&text, &diags, "wrong-type").contains("  replicas: 3\n"));
}

#[test]
fn missing_required_field_on_the_parent_key() {
    check(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
    ^^^^ error[missing-field]: missing required field `containers` ([]Container) in Deployment.spec.template.spec
      restartPolicy: Always
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - image: nginx
      ^^^^^ error[missing-field]: missing required field `name` (string) in Pod.spec.containers[]
",
    );
}

#[test]
fn yaml_1_1_trap_is_an_error_with_a_quoting_fix() {
    let (text, diags, _) = check(
        "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    example.com/enabled: true
                         ^^^^ error[yaml11-type]: `true` is read as the boolean true (YAML 1.1, as Kubernetes decodes it), but ConfigMap.metadata.annotations.example.com/enabled must be a string; quote it
data:
  version: 1.10
           ^^^^ error[yaml11-type]: `1.10` is read as the number 1.1
  answer: yes
          ^^^ error[yaml11-type]: `yes` is read as the boolean true
  mode: 0644
        ^^^^ error[yaml11-type]: `0644` is read as the number 420
  quoted: \"yes\"
",
    );
    let fixed = apply_fix(&text, &diags, "yaml11-type");
    assert!(fixed.contains("example.com/enabled: \"true\"\n"), "{fixed}");
    let fixed_file = YamlFile::parse(&fixed);
    let again = validate_file(&fixed_file, &SchemaStore::new(), &ValidationOptions::default());
    assert_eq!(again.diagnostics.len(), diags.len() - 1);
}

#[test]
fn removed_api_versions_with_a_rewrite_fix() {
    let (text, diags, _) = check(
        "\
apiVersion: extensions/v1beta1
            ^^^^^^^^^^^^^^^^^^ error[removed-api]: extensions/v1beta1 Deployment was removed in Kubernetes 1.16; use apps/v1
kind: Deployment
metadata:
  name: old
---
apiVersion: policy/v1beta1
            ^^^^^^^^^^^^^^ error[removed-api]: policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25; use policy/v1
kind: PodDisruptionBudget
metadata:
  name: pdb
spec:
  minAvailable: 1
",
    );
    assert!(apply_fix(&text, &diags, "removed-api").starts_with("apiVersion: apps/v1\n"));
}

#[test]
fn unknown_kinds_get_one_clear_diagnostic() {
    check(
        "\
apiVersion: apps/v1
kind: Deploymnet
      ^^^^^^^^^^ error[unknown-kind]: apps/v1 has no kind `Deploymnet`; did you mean `Deployment`?
metadata:
  name: x
---
apiVersion: v1
            ^^ error[unknown-api-version]: Deployment is not served as v1; it is apps/v1
kind: Deployment
metadata:
  name: x
---
apiVersion: widgets.example.com/v1
kind: Widget
      ^^^^^^ warning[unknown-kind]: no schema for widgets.example.com/v1 Widget, so it is not validated (add its CustomResourceDefinition
metadata:
  name: x
spec:
  anything: goes
",
    );
    let store = SchemaStore::new();
    let quiet = ValidationOptions { unknown_kind: None, ..Default::default() };
    run("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n", &store, &quiet);
}

#[test]
fn missing_api_version_or_kind() {
    check(
        "\
kind: ConfigMap
^^^^ error[missing-api-version]: this object has `kind` but no `apiVersion`
metadata:
  name: x
---
apiVersion: v1
^^^^^^^^^^ error[missing-kind]: this object has `apiVersion` but no `kind`
metadata:
  name: y
",
    );
}

#[test]
fn files_that_are_not_kubernetes_get_nothing() {
    let (_, _, resources) = check(
        "\
name: CI
on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
---
# Helm values
replicaCount: 2
image:
  repository: nginx
  tag: yes
kind: frontend
---
apiVersion: skaffold/v4beta6
kind: Config
build:
  artifacts: [{image: app}]
---
apiVersion: v2
name: chart
version: 1.0.0
",
    );
    assert_eq!(resources, 1, "only the skaffold config has apiVersion and kind");
}

#[test]
fn lists_validate_each_item() {
    let (_, _, resources) = check(
        "\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: a
    data:
      k: v
  - apiVersion: v1
    kind: Service
    metadata:
      name: b
    spec:
      ports:
        - port: http
                ^^^^ error[wrong-type]: Service.items[].spec.ports[].port must be an integer
",
    );
    assert_eq!(resources, 2);
}

#[test]
fn names_labels_and_namespaces() {
    check(
        "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: My_Config
        ^^^^^^^^^ error[invalid-name]: invalid name `My_Config`: must be a DNS subdomain
  namespace: team.a
             ^^^^^^ error[invalid-name]: invalid namespace `team.a`
  labels:
    app: -web
         ^^^^ error[invalid-name]: invalid label value `-web`
    bad key: x
    ^^^^^^^ error[invalid-name]: invalid label key `bad key`
    tier: ${tier}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregate-to-view
rules: []
",
    );
}

#[test]
fn empty_values_are_absent_like_the_api_server_reads_them() {
    check(
        "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  annotations:
  labels: ~
data:
",
    );
}

#[test]
fn patches_are_partial_objects() {
    let patch = ValidationOptions { partial: true, ..Default::default() };
    run(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 5
  template:
    spec:
      containers:
        - name: web
          resourcs: {}
          ^^^^^^^^ error[unknown-field]: unknown field `resourcs`
",
        &SchemaStore::new(),
        &patch,
    );
}

#[test]
fn anchors_and_merge_keys_are_expanded_before_validation() {
    check(
        "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - &base
      name: a
      image: nginx
      colour: red
      ^^^^^^ error[unknown-field]: unknown field `colour` in Pod.spec.containers[]
    - <<: *base
      ^^ error[unknown-field]: unknown field `colour` in Pod.spec.containers[]
      name: b
    - <<: *base
      ^^ error[unknown-field]: unknown field `colour` in Pod.spec.containers[]
      name: c
      imagePullPolicy: Always
",
    );
}

#[test]
fn custom_kinds_from_crds_shadow_nothing_and_validate() {
    let store = SchemaStore::new();
    let schema = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "additionalProperties": false,
                "required": ["interval"],
                "properties": {
                    "interval": {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},
                    "prune": {"type": "boolean"}
                }
            }
        }
    });
    store.set_custom_kinds(
        "file:///crds/kustomization.yaml",
        vec![CustomKind {
            api_version: "kustomize.toolkit.fluxcd.io/v1".into(),
            kind: "Kustomization".into(),
            namespaced: true,
            schema: Arc::new(schema),
            provenance: Provenance::WorkspaceCrd { file: "crds/kustomization.yaml".into(), line: 1 },
        }],
    );
    run(
        "\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  interval: 10m
  prun: true
  ^^^^ error[unknown-field]: unknown field `prun` in Kustomization.spec; did you mean `prune`?
",
        &store,
        &ValidationOptions::default(),
    );
    let resolved = store.resolve_kind("kustomize.toolkit.fluxcd.io/v1", "Kustomization").unwrap();
    assert_eq!(resolved.provenance.describe(), "CRD in file crds/kustomization.yaml:1");
    // Removing the CRD falls back to the schema bundled with gitops-ls.
    store.set_custom_kinds("file:///crds/kustomization.yaml", Vec::new());
    let resolved = store.resolve_kind("kustomize.toolkit.fluxcd.io/v1", "Kustomization").unwrap();
    assert_eq!(
        resolved.provenance.describe(),
        "bundled Flux CRD schema (kustomize.toolkit.fluxcd.io/kustomization_v1.json)"
    );
    // A kind nothing knows stays unknown.
    let (text, _) = strip_annotations("apiVersion: widgets.example.com/v1\nkind: Widget\nmetadata:\n  name: a\n");
    let d = validate_file(&YamlFile::parse(&text), &store, &ValidationOptions::default()).diagnostics;
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].code, d[0].severity), ("unknown-kind", Severity::Warning));
}

#[test]
fn errors_in_later_documents_have_absolute_ranges() {
    check(
        "\
apiVersion: v1
kind: Namespace
metadata:
  name: prod
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
automountServiceAccountToken: \"false\"
                              ^^^^^^^ error[wrong-type]: ServiceAccount.automountServiceAccountToken must be a boolean
",
    );
}

#[test]
fn modelines_choose_or_disable_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.schema.json"),
        r#"{"type": "object", "additionalProperties": false, "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}"#,
    )
    .unwrap();
    let opts = ValidationOptions { path: Some(dir.path().join("app.yaml")), ..Default::default() };
    run(
        "\
# yaml-language-server: $schema=./app.schema.json
name: web
port: http
      ^^^^ error[wrong-type]: port must be an integer
---
# yaml-language-server: $schema=none
apiVersion: apps/v1
kind: Deployment
spec: {replica: 1}
---
# yaml-language-server: $schema=./missing.json
^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ warning[schema-load]: missing.json
a: 1
",
        &SchemaStore::new(),
        &opts,
    );
}

#[test]
fn kustomization_files_use_the_authored_schema() {
    let opts = ValidationOptions { path: Some("apps/kustomization.yaml".into()), ..Default::default() };
    run(
        "\
resources:
  - deployment.yaml
resource:
^^^^^^^^ error[unknown-field]: unknown field `resource` in Kustomization; did you mean `resources`?
  - service.yaml
replicas:
  - name: web
    count: \"3\"
           ^^^ error[wrong-type]: must be an integer
",
        &SchemaStore::new(),
        &opts,
    );
}

#[test]
fn glob_associations_from_settings() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("values.schema.json");
    std::fs::write(&schema, r#"{"type": "object", "properties": {"replicaCount": {"type": "integer"}}}"#).unwrap();
    let store = SchemaStore::new();
    store.configure(super::store::StoreSettings {
        associations: vec![("**/values*.yaml".into(), schema.display().to_string())],
        ..Default::default()
    });
    let opts = ValidationOptions { path: Some(dir.path().join("chart/values-prod.yaml")), ..Default::default() };
    run("replicaCount: two\n              ^^^ error[wrong-type]: replicaCount must be an integer\n", &store, &opts);
}

#[test]
fn workspace_crds_validate_their_custom_resources() {
    let store = SchemaStore::new();
    for (name, text) in [
        (
            "kustomizations",
            include_str!("../../../tests/fixtures/crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml"),
        ),
        ("helmreleases", include_str!("../../../tests/fixtures/crds/helm.toolkit.fluxcd.io_helmreleases.yaml")),
        ("rootsyncs", include_str!("../../../tests/fixtures/crds/configsync.gke.io_rootsyncs.yaml")),
        ("applicationsets", include_str!("../../../tests/fixtures/crds/argoproj.io_applicationsets.yaml")),
    ] {
        let kinds = crate::analysis::workspace::crd_kinds(&YamlFile::parse(text), name, |_| 1);
        assert!(!kinds.is_empty(), "{name}");
        store.set_custom_kinds(name, kinds);
    }
    run(
        "\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
^^^^ error[missing-field]: missing required field `prune` (boolean) in Kustomization.spec
  interval: 10m
  path: ./apps
  prun: true
  ^^^^ error[unknown-field]: unknown field `prun` in Kustomization.spec; did you mean `prune`?
  sourceRef:
    kind: GitRepository
    name: platform
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
spec:
  interval: 5m
  chart:
    spec:
      chart: podinfo
      sourceRef: {kind: HelmRepository, name: podinfo}
  values:
    anything: [goes, here]
---
apiVersion: configsync.gke.io/v1beta1
kind: RootSync
metadata:
  name: root-sync
  namespace: config-management-system
spec:
  sourceFormat: unstructured
  git:
    repo: https://github.com/example/config
    branch: main
    auth: none
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: apps
spec:
  generators:
    - git:
        repoURL: https://github.com/example/config
        revision: HEAD
        directories:
          - path: apps/*
  template:
    metadata:
      name: '{{path.basename}}'
    spec:
      project: default
      source:
        repoURL: https://github.com/example/config
        targetRevision: HEAD
        path: '{{path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{path.basename}}'
",
        &store,
        &ValidationOptions::default(),
    );
}

#[test]
fn unknown_fields_are_warnings_when_not_strict() {
    let lenient = ValidationOptions { strict: false, ..Default::default() };
    run(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labls: {}\n  ^^^^^ warning[unknown-field]: did you mean `labels`?\n",
        &SchemaStore::new(),
        &lenient,
    );
}
