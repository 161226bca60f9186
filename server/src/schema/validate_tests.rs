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
        let kinds = crate::schema::crd_file::crd_kinds(&YamlFile::parse(text), name, |_| 1);
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

// ---- GitOps conventions: Flux substitution, kustomize placeholders, SOPS, embedded values ----

#[test]
fn flux_substitution_is_checked_through_its_default() {
    check(
        "\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-${APP}
  namespace: ${NS:=media}
spec:
  accessModes:
    - ${ACCESS_MODE:=ReadWriteOnce}
    - ${OTHER_MODE}
    - ${BAD_MODE:=ReadWriteAlways}
      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ error[invalid-value]: `ReadWriteAlways` is not a valid value for PersistentVolumeClaim.spec.accessModes[]
  resources:
    requests:
      storage: \"${CAPACITY:=5Gi}\"
    limits:
      storage: app-${SIZE}
  volumeMode: ${MODE}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${APP:=web}
spec:
  replicas: ${REPLICAS:=3}
  paused: ${PAUSED}
  revisionHistoryLimit: \"${HISTORY:=3}\"
                        ^^^^^^^^^^^^^^^ error[wrong-type]: Deployment.spec.revisionHistoryLimit must be an integer, found the string \"3\"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:${TAG:=1.27}
          ports:
            - containerPort: ${PORT}
              name: ${PORT_NAME:=Http}
                    ^^^^^^^^^^^^^^^^^^ error[k8s-port-name]: Deployment.spec.template.spec.containers[0].ports[0].name: Invalid value `Http`: must contain only alpha-numeric characters
",
    );
}

#[test]
fn substitution_can_be_disabled_per_object() {
    check(
        "\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
spec:
  accessModes: [\"${MODE}\"]
                ^^^^^^^^^ error[invalid-value]: `${MODE}` is not a valid value
",
    );
}

#[test]
fn kustomize_placeholder_namespace_names() {
    let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n";
    check("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n        ^ error[invalid-name]: invalid name `_`\n");
    let renamed = ValidationOptions { namespace_from_kustomization: true, ..Default::default() };
    let (_, diags, resources) = run(text, &SchemaStore::new(), &renamed);
    assert!(diags.is_empty() && resources == 1, "{diags:?}");
    // Only Namespace names: kustomize does not rename other objects.
    run(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: _\n        ^ error[invalid-name]: invalid name `_`\n",
        &SchemaStore::new(),
        &renamed,
    );
}

#[test]
fn sops_encrypted_documents() {
    let (_, diags, resources) = check(
        "\
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
stringData:
  password: ENC[AES256_GCM,data:Zm9v,iv:aXY=,tag:dGFn,type:str]
sops:
^^^^ info[sops-encrypted]: SOPS-encrypted document
  age:
    - recipient: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq
  lastmodified: \"2024-05-01T10:00:00Z\"
  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
  version: 3.8.1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ENC[AES256_GCM,data:Mw==,iv:aXY=,tag:dGFn,type:int]
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: Sometimes
                           ^^^^^^^^^ error[invalid-value]: `Sometimes` is not a valid value
sops:
^^^^ info[sops-encrypted]: SOPS-encrypted document
  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
  lastmodified: \"2024-05-01T10:00:00Z\"
  encrypted_regex: ^(replicas)$
",
    );
    assert_eq!(resources, 2);
    assert_eq!(diags.iter().filter(|d| d.code == "sops-encrypted").count(), 2, "once per document");
}

#[test]
fn helm_release_values_are_not_a_template() {
    let release = "\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
spec:
  values:
    service:
      name: \"{{ .Release.Name }}-web\"
    podAnnotations:
      checksum: '{{ include \"x\" . }}'
";
    let file = YamlFile::parse(release);
    assert!(!file.documents()[0].doc.is_template, "values are data for the chart");
    // Validated as a resource against the bundled Flux schema (a template would get no
    // diagnostic at all).
    let annotated = release.replacen(
        "spec:\n",
        "spec:\n^^^^ error[missing-field]: missing required field `interval` (string) in HelmRelease.spec\n",
        1,
    );
    let (_, diags, resources) = check(&annotated);
    assert_eq!((diags.len(), resources), (1, 1));
    // A Helm action outside the values still makes the file a chart template.
    let chart = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  values: {a: \"{{ .Values.a }}\"}\n";
    assert!(YamlFile::parse(chart).documents()[0].doc.is_template);
    let chart = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"{{ .Release.Name }}\"\n";
    assert!(YamlFile::parse(chart).documents()[0].doc.is_template);
}

// ---- What the API server validates beyond the schema ----

#[test]
fn names_and_empty_identity() {
    check(
        "\
apiVersion: v1
kind: ConfigMap
      ^^^^^^^^^ error[k8s-name-required]: ConfigMap.metadata.name: name or generateName is required
data: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata:
^^^^^^^^ error[k8s-name-required]: name or generateName is required
  labels: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: \"\"
        ^^ error[k8s-name-required]: name or generateName is required
---
apiVersion: v1
kind: Pod
metadata:
  generateName: job-
spec:
  containers: [{name: a, image: busybox:1.36}]
---
apiVersion: \"\"
            ^^ error[missing-api-version]: `apiVersion` is empty
kind: ConfigMap
metadata:
  name: x
---
apiVersion: v1
kind:
^^^^ error[missing-kind]: `kind` is empty
metadata:
  name: x
",
    );
    // A kubeconfig is a client's file, not an object; lists hold objects.
    check("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
    let (_, _, resources) = check(
        "\
apiVersion: v1
kind: List
metadata: {}
---
apiVersion: v1
kind: ConfigMapList
items:
  - apiVersion: v1
    kind: ConfigMap
          ^^^^^^^^^ error[k8s-name-required]: ConfigMap.metadata.name: name or generateName is required
    data: {a: b}
",
    );
    assert_eq!(resources, 1);
}

#[test]
fn unknown_kinds_in_built_in_groups_are_errors() {
    let quiet = ValidationOptions { unknown_kind: None, ..Default::default() };
    run(
        "\
apiVersion: apps/v1
kind: Application
      ^^^^^^^^^^^ error[unknown-kind]: apps/v1 has no kind `Application` (Kubernetes 1.37): `apps` is a built-in group, so no CustomResourceDefinition can add one
metadata:
  name: x
---
apiVersion: networking.k8s.io/v1
kind: HTTPRoute
      ^^^^^^^^^ error[unknown-kind]: `networking.k8s.io` is a built-in group
metadata:
  name: x
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: x
spec: {}
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: x
spec: {source: {persistentVolumeClaimName: data}}
",
        &SchemaStore::new(),
        &quiet,
    );
}

#[test]
fn restart_policy_per_workload() {
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
      restartPolicy: Never
                     ^^^^^ error[k8s-restart-policy]: Deployment.spec.template.spec.restartPolicy: Unsupported value `Never`: supported values: `Always`
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      restartPolicy: Always
      containers: [{name: db, image: postgres:16}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: once
spec:
  template:
    spec:
    ^^^^ error[k8s-restart-policy]: Job.spec.template.spec.restartPolicy: Required value: valid values: `OnFailure`, `Never`
      containers: [{name: a, image: busybox:1.36}]
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: \"0 3 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Always
                         ^^^^^^ error[k8s-restart-policy]: CronJob.spec.jobTemplate.spec.template.spec.restartPolicy: Required value
          containers: [{name: a, image: busybox:1.36}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: strict
spec:
  podFailurePolicy:
    rules:
      - action: FailJob
        onExitCodes: {operator: In, values: [42]}
  template:
    spec:
      restartPolicy: OnFailure
                     ^^^^^^^^^ error[k8s-restart-policy]: only `Never` is supported when podFailurePolicy is specified
      containers: [{name: a, image: busybox:1.36}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: fine
spec:
  template:
    spec:
      restartPolicy: ${POLICY}
      containers: [{name: a, image: busybox:1.36}]
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  restartPolicy: Never
  containers: [{name: a, image: busybox:1.36}]
",
    );
}

#[test]
fn ports_numbers_and_names() {
    check(
        "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: web
      image: nginx:1.27
      ports:
        - containerPort: 0
                         ^ error[k8s-port-range]: Pod.spec.containers[0].ports[0].containerPort: Invalid value `0`: must be between 1 and 65535, inclusive
        - containerPort: 70000
                         ^^^^^ error[k8s-port-range]: must be between 1 and 65535
          hostPort: 0
        - containerPort: 8080
          name: metrics-endpoint
                ^^^^^^^^^^^^^^^^ error[k8s-port-name]: must be no more than 15 characters
        - containerPort: 8081
          name: http
        - containerPort: 8082
          name: http
                ^^^^ error[k8s-duplicate-port-name]: Duplicate value `http`: ports[3] already has this name
      livenessProbe:
        httpGet: {path: /, port: web_port}
                                 ^^^^^^^^ error[k8s-port-name]: must contain only alpha-numeric
      readinessProbe:
        tcpSocket: {port: 65536}
                          ^^^^^ error[k8s-port-range]: Pod.spec.containers[0].readinessProbe.tcpSocket.port: Invalid value `65536`
      startupProbe:
        grpc: {port: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - name: http
      port: 80
      targetPort: http-web
    - port: 443
      ^^^^ error[k8s-service-port-name-required]: Service.spec.ports[1].name: Required value: a Service with several ports must name each of them
      targetPort: 0
                  ^ error[k8s-port-range]: Service.spec.ports[1].targetPort: Invalid value `0`
    - name: http
            ^^^^ error[k8s-duplicate-port-name]: Duplicate value `http`: ports[0] already has this name
      port: 8080
    - name: Metrics
            ^^^^^^^ error[k8s-port-name]: a lowercase RFC 1123 label
      port: 9090
      targetPort: a--b
                  ^^^^ error[k8s-port-name]: must not contain consecutive hyphens
---
apiVersion: v1
kind: Service
metadata:
  name: single
spec:
  ports:
    - port: 80
      targetPort: 8080
",
    );
}

#[test]
fn container_and_volume_names() {
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
      initContainers:
        - name: setup
          image: busybox:1.36
          volumeMounts:
            - {name: config, mountPath: /config}
      containers:
        - name: setup
                ^^^^^ error[k8s-duplicate-container-name]: Deployment.spec.template.spec.containers[0].name: Duplicate value `setup`: initContainers[0] already has this name
          image: nginx:1.27
          volumeMounts:
            - {name: data, mountPath: /data}
                     ^^^^ error[k8s-volume-not-found]: Deployment.spec.template.spec.containers[0].volumeMounts[0].name: Not found `data`
            - {name: config, mountPath: /config}
            - {name: config, mountPath: /config, subPath: a}
                                        ^^^^^^^ error[k8s-duplicate-mount-path]: Deployment.spec.template.spec.containers[0].volumeMounts[2].mountPath: Invalid value `/config`: must be unique (volumeMounts[1] mounts there already)
        - name: Web_1
                ^^^^^ error[k8s-container-name]: Invalid value `Web_1`: a lowercase RFC 1123 label
          image: nginx:1.27
        - name: sidecar
          ^^^^ error[k8s-image-required]: Deployment.spec.template.spec.containers[2].image: Required value
        - name: empty
          image: \"\"
                 ^^ error[k8s-image-required]: the image must not be empty
      volumes:
        - name: config
          configMap: {name: web}
        - name: config
                ^^^^^^ error[k8s-duplicate-volume-name]: Deployment.spec.template.spec.volumes[1].name: Duplicate value `config`: volumes[0] already has this name
          emptyDir: {}
        - name: Cache.Dir
                ^^^^^^^^^ error[k8s-volume-name]: Deployment.spec.template.spec.volumes[2].name: Invalid value `Cache.Dir`: a lowercase RFC 1123 label
          emptyDir: {}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: postgres:16
          volumeMounts:
            - {name: pgdata, mountPath: /var/lib/postgresql}
            - name: ${EXTRA}
              mountPath: /extra
  volumeClaimTemplates:
    - metadata:
        name: pgdata
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
",
    );
}

#[test]
fn selectors_match_template_labels() {
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
      labels: {app: api}
      ^^^^^^ error[k8s-selector-mismatch]: Deployment.spec.template.metadata.labels: Invalid value: `selector` does not match template `labels` (the selector wants `app: web`, the labels have `app: api`)
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchExpressions:
      - {key: tier, operator: In, values: [node]}
  template:
    metadata:
    ^^^^^^^^ error[k8s-selector-mismatch]: the labels do not satisfy `tier In [node]`
      annotations: {a: b}
    spec:
      containers: [{name: agent, image: busybox:1.36}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: rs
spec:
  selector: {}
            ^^ error[k8s-selector-empty]: empty selector is invalid for replicaset
  template:
    metadata:
      labels: {app: rs}
    spec:
      containers: [{name: a, image: busybox:1.36}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: matching
spec:
  selector:
    matchLabels:
      app: web
      tier: ${TIER}
    matchExpressions:
      - {key: track, operator: NotIn, values: [canary]}
  template:
    metadata:
      labels: {app: web, tier: front, version: v2}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: manual
spec:
  manualSelector: true
  selector:
    matchLabels: {job: manual}
  template:
    metadata:
      labels: {job: other}
      ^^^^^^ error[k8s-selector-mismatch]: the selector wants `job: manual`
    spec:
      restartPolicy: Never
      containers: [{name: a, image: busybox:1.36}]
---
apiVersion: v1
kind: ReplicationController
metadata:
  name: rc
spec:
  selector: {app: rc}
  template:
    metadata:
      labels: {app: rc}
    spec:
      containers: [{name: a, image: busybox:1.36}]
",
    );
}

#[test]
fn requests_at_most_limits_and_one_handler() {
    check(
        "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: a
      image: busybox:1.36
      resources:
        requests:
          cpu: \"1\"
               ^^^ error[k8s-requests-exceed-limits]: Pod.spec.containers[0].resources.requests.cpu: Invalid value `1`: must be less than or equal to cpu limit of `500m`
          memory: 1Gi
                  ^^^ error[k8s-requests-exceed-limits]: must be less than or equal to memory limit of `1G`
          ephemeral-storage: 1e3
        limits:
          cpu: 500m
          memory: 1G
          ephemeral-storage: 1k
      livenessProbe:
        exec: {command: [\"true\"]}
        httpGet: {path: /, port: 80}
        ^^^^^^^ error[k8s-probe-handler]: Pod.spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type (`exec` is already set)
        successThreshold: 2
                          ^ error[k8s-probe-success-threshold]: Pod.spec.containers[0].livenessProbe.successThreshold: Invalid value `2`: must be 1
      readinessProbe:
      ^^^^^^^^^^^^^^ error[k8s-probe-handler]: Pod.spec.containers[0].readinessProbe: Required value: must specify a handler type, one of `exec`, `httpGet`, `tcpSocket`, `grpc`
        periodSeconds: 5
        successThreshold: 3
      lifecycle:
        preStop:
          sleep: {seconds: 5}
        postStart:
        ^^^^^^^^^ error[k8s-lifecycle-handler]: must specify a handler type, one of `exec`, `httpGet`, `tcpSocket`, `sleep`
          exec: null
    - name: b
      image: busybox:1.36
      resources:
        requests: {cpu: 0.5, memory: 128974848}
        limits: {cpu: 500m, memory: 129M}
      startupProbe:
        tcpSocket: {port: 80}
",
    );
}

#[test]
fn no_api_rules_on_patches_or_unknown_kinds() {
    let patch = ValidationOptions { partial: true, ..Default::default() };
    run(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: web
          ports: [{containerPort: 0}]
",
        &SchemaStore::new(),
        &patch,
    );
    // Component configuration files have the shape of an object but no name.
    let quiet = ValidationOptions { unknown_kind: None, ..Default::default() };
    run("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n", &SchemaStore::new(), &quiet);
}
