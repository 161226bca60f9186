//! The bundled CRD schemas as users meet them: validation, hover and completion of custom
//! resources whose CRD is not in the repository, modelines that name a schema URL, and the
//! online catalog.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use super::store::{Lookup, Provenance, SchemaStore, StoreSettings};
use super::validate::{ValidationOptions, validate_file};
use crate::test_util::{TestServer, assert_diagnostics, strip_annotations};
use crate::yaml::{Diagnostic, YamlFile};

fn run(fixture: &str, store: &SchemaStore, opts: &ValidationOptions) -> (Vec<Diagnostic>, usize) {
    let (text, expected) = strip_annotations(fixture);
    let file = YamlFile::parse(&text);
    assert!(file.diagnostics().is_empty(), "fixture has YAML problems: {:?}", file.diagnostics());
    let result = validate_file(&file, store, opts);
    assert_diagnostics(&text, &expected, &result.diagnostics);
    (result.diagnostics, result.resources)
}

#[track_caller]
fn check(fixture: &str) -> (Vec<Diagnostic>, usize) {
    run(fixture, &SchemaStore::new(), &ValidationOptions::default())
}

#[test]
fn flux_objects_validate_against_the_bundled_schemas() {
    let (_, resources) = check(
        "\
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: app-template
spec:
  interval: 15m
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
  ref:
    tag: 4.4.0
  url: oci://ghcr.io/bjw-s-labs/helm/app-template
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
  wait: fals
        ^^^^ error[wrong-type]: Kustomization.spec.wait must be a boolean, found the string \"fals\"
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: echo
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: app-template
  install:
    remediation:
      retries: -1
  upgrade:
    cleanupOnFail: true
    remediaton: {}
    ^^^^^^^^^^ error[unknown-field]: unknown field `remediaton` in HelmRelease.spec.upgrade; did you mean `remediation`?
  values:
    anything:
      goes: [1, 2]
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
spec:
  interval: 30m
  url: ssh://git@github.com/example/home-ops
  ref:
    branch: main
  secretRef:
    name: flux-system
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: flux
spec:
  providerRef:
    name: github
  eventSeverity: loud
                 ^^^^ error[invalid-value]: `loud` is not a valid value for Alert.spec.eventSeverity: expected one of `info`, `error`
  eventSources:
    - kind: Kustomization
      name: \"*\"
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: app
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: \">=1.0.0\"
",
    );
    assert_eq!(resources, 6);
}

#[test]
fn popular_operators_validate_against_the_bundled_schemas() {
    check(
        "\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: app
spec:
  refreshInterval: 1h
  secretStoreRef:
    kind: ClusterSecretStore
    name: onepassword
  target:
    name: app-secret
    template:
      data:
        TOKEN: \"{{ .token }}\"
  dataFrom:
    - extract:
        key: app
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: wildcard
spec:
  secretName: wildcard-tls
  issuerRef:
    name: letsencrypt
    kind: ClusterIssuer
  dnsNames: [\"*.example.com\"]
  privateKey:
    algorithm: ECDSA
    size: 256
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: app
spec:
  selector:
    matchLabels:
      app: web
  endpoints:
    - port: http
      targetPort: 8080
      interval: 1m
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: rules
spec:
  groups:
    - name: app
      partial_response_strategy: warn
      rules:
        - alert: Down
          expr: up == 0
          for: 5m
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: app
spec:
  parentRefs:
    - name: internal
      namespace: kube-system
      sectionName: https
  hostnames: [app.example.com]
  rules:
    - backendRefs:
        - name: app
          port: 80
      matches:
        - path:
            type: PathPrefix
            value: /
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-dns
spec:
  endpointSelector: {}
  egress:
    - toEndpoints:
        - matchLabels:
            k8s:io.kubernetes.pod.namespace: kube-system
      toPorts:
        - ports:
            - port: \"53\"
              protocol: ANY
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
  syncPolicy:
    automated:
      prune: true
      selfHeal: tru
                ^^^ error[wrong-type]: Application.spec.syncPolicy.automated.selfHeal must be a boolean, found the string \"tru\"
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: app
spec:
  replicas: 2
  strategy:
    canary:
      maxSurge: 25%
      maxUnavailable: 1
      steps:
        - setWeight: 20
        - pause: {duration: 10m}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: app
spec:
  scaleTargetRef:
    name: app
  triggers:
    - type: cron
      metadata:
        timezone: Europe/Amsterdam
        start: 0 8 * * *
        end: 0 20 * * *
        desiredReplicas: \"1\"
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg
spec:
  instances: 3
  storage:
    size: 20Gi
---
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata:
  name: app
spec:
  sourcePVC: app
  trigger:
    schedule: \"0 * * * *\"
  restic:
    copyMethod: Snapshot
    repository: app-volsync-secret
    retain:
      hourly: 24
",
    );
}

#[test]
fn config_sync_kinds_validate_without_their_crds() {
    let (_, resources) = check(
        "\
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
    dir: clusters/prod
    auth: none
---
apiVersion: configsync.gke.io/v1beta1
kind: RepoSync
metadata:
  name: repo-sync
  namespace: team-a
spec:
  sourceType: oci
  oci:
    image: us-docker.pkg.dev/example/config:latest
    auth: none
    peroid: 30s
    ^^^^^^ error[unknown-field]: unknown field `peroid` in RepoSync.spec.oci; did you mean `period`?
---
apiVersion: configmanagement.gke.io/v1
kind: Repo
metadata:
  name: repo
spec:
  version: \"1.0.0\"
---
apiVersion: configmanagement.gke.io/v1
kind: NamespaceSelector
metadata:
  name: sre-supported
spec:
  selector:
    matchLabels:
      env: prod
---
apiVersion: configmanagement.gke.io/v1
kind: ClusterSelector
metadata:
  name: selector-prod
spec:
  selector:
    matchLabels:
      environment: prod
---
apiVersion: configmanagement.gke.io/v1
kind: HierarchyConfig
metadata:
  name: rbac
spec:
  resources:
    - group: rbac.authorization.k8s.io
      kinds: [RoleBinding]
      hierarchyMode: inherit
---
apiVersion: clusterregistry.k8s.io/v1alpha1
kind: Cluster
metadata:
  name: cluster-1
  labels:
    environment: prod
",
    );
    assert_eq!(resources, 7);
}

#[test]
fn every_bundled_schema_compiles_and_is_strict() {
    let store = SchemaStore::new();
    let mut checked = 0;
    for crd in gitops_ls_schemas::bundled_crds() {
        let resolved = store.bundled(crd.api_version, crd.kind).expect("bundled");
        store.validator(&resolved).unwrap_or_else(|e| panic!("{} {}: {e}", crd.api_version, crd.kind));
        assert_eq!(resolved.schema["additionalProperties"], false, "{} {} root", crd.api_version, crd.kind);
        // Every object that names its fields is closed, unless it keeps unknown fields.
        let mut stack = vec![&*resolved.schema];
        while let Some(s) = stack.pop() {
            if let Some(map) = s.as_object() {
                let preserve = map.get("x-kubernetes-preserve-unknown-fields") == Some(&serde_json::Value::Bool(true));
                if map.get("properties").is_some_and(|p| p.is_object()) && !preserve {
                    assert!(
                        map.contains_key("additionalProperties"),
                        "{} {}: open object with {:?}",
                        crd.api_version,
                        crd.kind,
                        map["properties"].as_object().map(|p| p.keys().take(5).collect::<Vec<_>>())
                    );
                }
                // Branches of allOf/anyOf/oneOf/not check values only; definitions are the embedded ones.
                stack.extend(
                    map.iter()
                        .filter(|(k, _)| !matches!(k.as_str(), "allOf" | "anyOf" | "oneOf" | "not" | "definitions"))
                        .map(|(_, v)| v),
                );
            } else if let Some(items) = s.as_array() {
                stack.extend(items);
            }
        }
        checked += 1;
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn every_listed_project_is_bundled() {
    let groups = [
        "source.toolkit.fluxcd.io",
        "kustomize.toolkit.fluxcd.io",
        "helm.toolkit.fluxcd.io",
        "notification.toolkit.fluxcd.io",
        "image.toolkit.fluxcd.io",
        "argoproj.io",
        "configsync.gke.io",
        "configmanagement.gke.io",
        "clusterregistry.k8s.io",
        "cert-manager.io",
        "acme.cert-manager.io",
        "external-secrets.io",
        "monitoring.coreos.com",
        "gateway.networking.k8s.io",
        "networking.istio.io",
        "security.istio.io",
        "traefik.io",
        "kyverno.io",
        "templates.gatekeeper.sh",
        "bitnami.com",
        "keda.sh",
        "cilium.io",
        "velero.io",
        "postgresql.cnpg.io",
        "ceph.rook.io",
        "grafana.integreatly.org",
        "metallb.io",
        "longhorn.io",
        "cluster.x-k8s.io",
        "apiextensions.crossplane.io",
        "pkg.crossplane.io",
        "serving.knative.dev",
        "volsync.backube",
    ];
    for g in groups {
        assert!(gitops_ls_schemas::bundled_crds().any(|c| c.group == g), "no bundled CRD of {g}");
    }
    // Argo CD, Rollouts and Workflows.
    for kind in ["Application", "ApplicationSet", "AppProject", "Rollout", "AnalysisTemplate", "WorkflowTemplate"] {
        assert!(gitops_ls_schemas::bundled_crd("argoproj.io/v1alpha1", kind).is_some(), "{kind}");
    }
    // Every served version of a kind is there (Flux HelmRelease v2beta1, v2beta2, v2).
    for v in ["v2beta1", "v2beta2", "v2"] {
        assert!(gitops_ls_schemas::bundled_crd(&format!("helm.toolkit.fluxcd.io/{v}"), "HelmRelease").is_some());
    }
    let (compressed, raw) = gitops_ls_schemas::bundled_crd_sizes();
    assert!(compressed * 4 < raw, "{compressed} of {raw}");
}

/// Splits a fixture at its `$0` cursor: (text, offset, parsed file).
fn cursor(fixture: &str) -> (String, usize, YamlFile) {
    let offset = fixture.find("$0").expect("fixture has a $0 cursor");
    let text = fixture.replacen("$0", "", 1);
    let file = YamlFile::parse(text.as_str());
    (text, offset, file)
}

#[test]
fn hover_and_completion_describe_bundled_kinds() {
    let store = SchemaStore::new();
    let hover_at = |fixture: &str| {
        let (text, offset, file) = cursor(fixture);
        crate::analysis::hover::hover(&file, text.as_str(), offset, &store).expect("hover").markdown
    };
    let md = hover_at(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: a\nspec:\n  pru$0ne: true\n",
    );
    assert!(md.contains("Prune enables garbage collection"), "{md}");
    let md = hover_at("apiVersion: cert-manager.io/v1\nkind: Certifi$0cate\nmetadata:\n  name: a\n");
    assert!(md.contains("bundled cert-manager CRD schema (cert-manager.io/certificate_v1.json)"), "{md}");

    let (text, offset, file) =
        cursor("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: a\nspec:\n  inter$0\n");
    let items = crate::analysis::completion::completion(&file, text.as_str(), offset, &store).items;
    let interval = items.iter().find(|i| i.label == "interval").expect("interval is offered");
    assert!(
        interval.documentation.as_deref().is_some_and(|d| d.contains("Interval at which to reconcile")),
        "{:?}",
        interval.documentation
    );
    assert!(items.iter().any(|i| i.label == "chartRef"));

    // `kind` values for a bundled group, `apiVersion` values for a bundled kind.
    let labels = |fixture: &str| {
        let (text, offset, file) = cursor(fixture);
        let items = crate::analysis::completion::completion(&file, text.as_str(), offset, &store).items;
        items.into_iter().map(|i| i.label).collect::<Vec<_>>()
    };
    let kinds = labels("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: $0\n");
    assert_eq!(kinds, ["HelmRelease"]);
    let versions = labels("apiVersion: $0\nkind: RootSync\n");
    assert!(versions.contains(&"configsync.gke.io/v1beta1".to_string()), "{versions:?}");
    assert!(versions.contains(&"configsync.gke.io/v1alpha1".to_string()), "{versions:?}");
}

#[test]
fn a_crd_in_the_repository_overrides_the_bundled_schema() {
    let store = SchemaStore::new();
    let crd = include_str!("../../../tests/fixtures/crds/configsync.gke.io_rootsyncs.yaml");
    let kinds = crate::schema::crd_file::crd_kinds(&YamlFile::parse(crd), "crds/rootsync.yaml", |_| 3);
    store.set_custom_kinds("crds/rootsync.yaml", kinds);
    let r = store.resolve_kind("configsync.gke.io/v1beta1", "RootSync").unwrap();
    assert_eq!(r.provenance.describe(), "CRD in file crds/rootsync.yaml:3");
    store.set_custom_kinds("crds/rootsync.yaml", Vec::new());
    let r = store.resolve_kind("configsync.gke.io/v1beta1", "RootSync").unwrap();
    assert_eq!(
        r.provenance,
        Provenance::Bundled { project: "Config Sync".into(), file: "configsync.gke.io/rootsync_v1beta1.json".into() }
    );
}

#[test]
fn well_known_modeline_urls_resolve_to_what_is_shipped() {
    // None of these hosts is contacted: the schemas are the ones gitops-ls ships.
    let store = SchemaStore::new();
    let (_, resources) = run(
        "\
# yaml-language-server: $schema=https://k8s-schemas.home-operations.com/external-secrets.io/externalsecret_v1.json
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: app
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: op}
  refreshIntervall: 1h
  ^^^^^^^^^^^^^^^^ error[unknown-field]: unknown field `refreshIntervall` in ExternalSecret.spec; did you mean `refreshInterval`?
---
# yaml-language-server: $schema=https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/v1.29.0-standalone-strict/configmap-v1.json
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
dat: {}
^^^ error[unknown-field]: unknown field `dat` in ConfigMap; did you mean `data`?
",
        &store,
        &ValidationOptions::default(),
    );
    assert_eq!(resources, 2);
    let kustomization = "https://json.schemastore.org/kustomization";
    let found = store.well_known_location(kustomization).expect("shipped");
    assert_eq!(
        found.provenance.describe(),
        format!("gitops-ls kustomization.yaml schema (for $schema={kustomization}, without download)")
    );
    let catalog =
        "https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/configsync.gke.io/rootsync_v1beta1.json";
    let found = store.well_known_location(catalog).expect("shipped");
    assert!(found.provenance.describe().starts_with("bundled Config Sync CRD schema"), "{:?}", found.provenance);
    // A group/kind/version not shipped is downloaded as usual.
    assert!(store.well_known_location("https://example.com/x.example.com/thing_v1.json").is_none());
}

/// A port nothing listens on.
fn dead_base() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    base
}

#[test]
fn an_unloadable_modeline_warns_once_and_the_document_is_still_checked() {
    let base = dead_base();
    let url = format!("{base}/charts/app-template/schemas/helmrelease-helm-v2.schema.json");
    let doc = |name: &str, typo: &str| {
        format!(
            "# yaml-language-server: $schema={url}\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\nspec:\n  {typo}: 1h\n  chartRef: {{kind: OCIRepository, name: app-template}}\n"
        )
    };
    let files: Vec<(PathBuf, String)> = vec![
        ("/repo/apps/a/helmrelease.yaml".into(), doc("a", "interval")),
        ("/repo/apps/b/helmrelease.yaml".into(), doc("b", "intervall")),
        ("/repo/apps/c/helmrelease.yaml".into(), doc("c", "interval")),
    ];
    let store = SchemaStore::new();
    let uses: Vec<(String, PathBuf)> = files.iter().map(|(p, _)| (url.clone(), p.clone())).collect();
    store.prefetch(&uses);
    // Validated in another order than the files': the first file still reports.
    let mut by_file = Vec::new();
    for (path, text) in files.iter().rev() {
        let opts = ValidationOptions { path: Some(path.clone()), ..Default::default() };
        let result = validate_file(&YamlFile::parse(text), &store, &opts);
        assert_eq!(result.resources, 1);
        by_file.push((path.clone(), result.diagnostics));
    }
    by_file.reverse();
    let codes = |d: &[Diagnostic]| d.iter().map(|d| d.code).collect::<Vec<_>>();
    assert_eq!(codes(&by_file[0].1), ["schema-load"]);
    let msg = &by_file[0].1[0].message;
    assert!(msg.starts_with(&format!("cannot fetch schema {url}")), "{msg}");
    assert!(msg.contains("checked by apiVersion and kind instead (also used in 2 other files: /repo/apps/b/helmrelease.yaml, /repo/apps/c/helmrelease.yaml)"), "{msg}");
    // The fallback checks the document against the bundled HelmRelease schema.
    assert_eq!(codes(&by_file[1].1), ["missing-field", "unknown-field"]);
    assert!(by_file[2].1.is_empty(), "{:?}", by_file[2].1);
}

#[test]
fn without_prefetch_the_first_document_to_ask_reports() {
    let url = format!("{}/schema.json", dead_base());
    let text = format!(
        "# yaml-language-server: $schema={url}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n# yaml-language-server: $schema={url}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n"
    );
    let store = SchemaStore::new();
    let opts = |p: &str| ValidationOptions { path: Some(p.into()), ..Default::default() };
    // While the download runs the documents are checked by kind, without a note.
    let pending = validate_file(&YamlFile::parse(&text), &store, &opts("/r/a.yaml")).diagnostics;
    assert!(pending.is_empty(), "{pending:?}");
    store.wait_idle();
    let first = validate_file(&YamlFile::parse(&text), &store, &opts("/r/a.yaml")).diagnostics;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].span.start, 0);
    // Validating again (an edit in the server) reports it again, on the same document, even
    // when the edit moved it.
    assert_eq!(validate_file(&YamlFile::parse(&text), &store, &opts("/r/a.yaml")).diagnostics.len(), 1);
    let edited = format!("# notes\n\n{text}");
    let again = validate_file(&YamlFile::parse(&edited), &store, &opts("/r/a.yaml")).diagnostics;
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].span.start, "# notes\n\n".len());
    assert!(validate_file(&YamlFile::parse(&text), &store, &opts("/r/b.yaml")).diagnostics.is_empty());
}

fn widget_schema() -> String {
    serde_json::json!({
        "description": "Widget is a thing.",
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {"type": "object", "additionalProperties": false,
                     "properties": {"size": {"type": "integer", "description": "How big."}}}
        }
    })
    .to_string()
}

fn settings(online: Option<String>, cache: &Path, offline: bool) -> StoreSettings {
    StoreSettings { online_catalog: online, cache_dir: Some(cache.to_path_buf()), offline, ..Default::default() }
}

#[test]
fn the_online_catalog_covers_the_long_tail_and_is_cached_on_disk() {
    let server = TestServer::start(vec![("/catalog/widgets.example.com/widget_v1.json", widget_schema())]);
    let cache = tempfile::tempdir().unwrap();
    let store = SchemaStore::new();
    store.configure(settings(Some(format!("{}/catalog", server.base)), cache.path(), false));
    // As in `check`: each lookup waits for its download.
    store.set_batch(true);
    let text = "apiVersion: widgets.example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: big\n        ^^^ error[wrong-type]: Widget.spec.size must be an integer, found the string \"big\"\n";
    run(text, &store, &ValidationOptions::default());
    match store.lookup_kind("widgets.example.com/v1", "Widget") {
        Lookup::Found(r) => assert_eq!(
            r.provenance.describe(),
            format!("online CRD catalog {}/catalog/widgets.example.com/widget_v1.json", server.base)
        ),
        other => panic!("{other:?}"),
    }
    // Bundled kinds never go to the catalog; a kind it lacks is just unknown.
    assert!(store.resolve_kind("cert-manager.io/v1", "Issuer").is_some());
    assert!(matches!(store.lookup_kind("widgets.example.com/v1", "Gadget"), Lookup::Missing));
    // A miss is remembered; a typo in a built-in group is not looked up at all.
    assert!(matches!(store.lookup_kind("widgets.example.com/v1", "Gadget"), Lookup::Missing));
    assert!(matches!(store.lookup_kind("apps/v1", "Deploymnet"), Lookup::Missing));
    assert!(matches!(store.lookup_kind("networking.k8s.io/v1", "Ingres"), Lookup::Missing));
    assert_eq!(
        server.hits(),
        ["/catalog/widgets.example.com/widget_v1.json", "/catalog/widgets.example.com/gadget_v1.json"]
    );

    // Offline, a new store finds the catalog's schema in the disk cache and asks no one.
    let offline = SchemaStore::new();
    offline.configure(settings(Some(format!("{}/catalog", server.base)), cache.path(), true));
    assert!(offline.resolve_kind("widgets.example.com/v1", "Widget").is_some());
    assert!(offline.resolve_kind("widgets.example.com/v1", "Sprocket").is_none());
    assert_eq!(server.hits().len(), 2);
}

#[test]
fn offline_modelines_are_not_downloaded() {
    let server = TestServer::start(vec![("/s.json", r#"{"type": "object"}"#.to_string())]);
    let cache = tempfile::tempdir().unwrap();
    let store = SchemaStore::new();
    store.configure(settings(None, cache.path(), true));
    let url = format!("{}/s.json", server.base);
    let text = format!(
        "# yaml-language-server: $schema={url}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: 1\n"
    );
    let opts = ValidationOptions { path: Some("/r/a.yaml".into()), ..Default::default() };
    let d = validate_file(&YamlFile::parse(&text), &store, &opts).diagnostics;
    let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
    // One warning for the URL, then the ConfigMap is checked as usual (`a: 1` is not a string).
    assert_eq!(codes, ["schema-load", "yaml11-type"], "{d:?}");
    assert!(d[0].message.contains("offline"), "{}", d[0].message);
    assert!(server.hits().is_empty());
}

#[test]
fn failed_hosts_are_not_asked_again() {
    let base = dead_base();
    let store = SchemaStore::new();
    let uses: Vec<(String, PathBuf)> =
        (0..6).map(|i| (format!("{base}/s{i}.json"), PathBuf::from(format!("/r/{i}.yaml")))).collect();
    store.prefetch(&uses);
    for (url, path) in &uses {
        match store.load_location(url, Some(path), Provenance::Modeline { location: url.clone() }) {
            Lookup::Failed(msg) => assert!(msg.contains(&format!("{base} unreachable")), "{msg}"),
            other => panic!("{other:?}"),
        }
    }
}

/// A ConfigMap whose `data` values the schema at `/app.json` wants to be integers: only that
/// schema, not the ConfigMap's own, finds fault with `a: "x"`.
fn int_data_schema() -> String {
    serde_json::json!({
        "type": "object",
        "properties": {"data": {"type": "object", "additionalProperties": {"type": "integer"}}}
    })
    .to_string()
}

fn modeline_doc(url: &str) -> String {
    format!(
        "# yaml-language-server: $schema={url}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"x\"\n"
    )
}

fn landings(store: &SchemaStore) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&count);
    store.set_on_update(move || {
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    count
}

#[test]
fn a_modeline_url_is_fetched_once_for_many_documents_and_its_landing_revalidates() {
    let server = TestServer::start(vec![("/app.json", int_data_schema())]);
    let url = format!("{}/app.json", server.base);
    let store = SchemaStore::new();
    let landed = landings(&store);
    let text = modeline_doc(&url);
    let validate = |i: usize| {
        let opts = ValidationOptions { path: Some(format!("/r/{i}.yaml").into()), ..Default::default() };
        validate_file(&YamlFile::parse(&text), &store, &opts).diagnostics
    };
    // Nothing waits for the download: the document that asks first is checked by its kind.
    assert!(validate(0).is_empty());
    // The others may run before or after it lands: either way no second request.
    for i in 1..20 {
        validate(i);
    }
    store.wait_idle();
    assert_eq!(server.count("/app.json"), 1);
    assert_eq!(store.revision(), 1);
    assert_eq!(landed.load(std::sync::atomic::Ordering::SeqCst), 1);
    for i in 0..20 {
        let d = validate(i);
        assert_eq!(d.iter().map(|d| d.code).collect::<Vec<_>>(), ["wrong-type"], "{d:?}");
    }
    store.wait_idle();
    assert_eq!(server.count("/app.json"), 1);
    assert_eq!(store.revision(), 1);
}

#[test]
fn a_failing_url_is_reported_once_and_retried_with_backoff() {
    let server = TestServer::with_status(vec![("/app.json", 503, "busy".to_string())]);
    let url = format!("{}/app.json", server.base);
    let store = SchemaStore::new();
    let landed = landings(&store);
    let text = modeline_doc(&url);
    let validate = |name: &str| {
        let opts = ValidationOptions { path: Some(format!("/r/{name}.yaml").into()), ..Default::default() };
        validate_file(&YamlFile::parse(&text), &store, &opts).diagnostics
    };
    let warnings = || ["a", "b", "c"].map(|n| validate(n).iter().filter(|d| d.code == "schema-load").count());
    assert!(validate("a").is_empty());
    store.wait_idle();
    assert_eq!(server.count("/app.json"), 1);
    assert_eq!(landed.load(std::sync::atomic::Ordering::SeqCst), 1);
    // One warning, on the first document that asked; the others are checked by kind.
    let a = validate("a");
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].message.starts_with(&format!("cannot fetch schema {url}: HTTP 503")), "{}", a[0].message);
    assert!(a[0].message.contains("checked by apiVersion and kind instead"), "{}", a[0].message);
    assert_eq!(warnings(), [1, 0, 0]);
    store.wait_idle();
    assert_eq!(server.count("/app.json"), 1, "no retry before the backoff");

    // The first retry is due after 2s, the next 4s after that, then 8s.
    let clock = store.downloads();
    let requests_after = |step: u64| {
        clock.advance_clock(std::time::Duration::from_secs(step));
        assert_eq!(warnings(), [1, 0, 0], "the old error stands while a retry runs");
        store.wait_idle();
        server.count("/app.json")
    };
    assert_eq!(requests_after(2), 2);
    assert_eq!(requests_after(2), 2);
    assert_eq!(requests_after(2), 3);
    assert_eq!(requests_after(7), 3);
    assert_eq!(requests_after(1), 4);
    assert_eq!(landed.load(std::sync::atomic::Ordering::SeqCst), 4);
}
