use std::time::Instant;

use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};

use super::*;
use crate::schema::navigate::{self, Segment};
use crate::yaml::{YamlFile, to_json};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../../tests/fixtures/crds/", $name))
    };
}

const FLUX_KUSTOMIZATION: &str = fixture!("kustomize.toolkit.fluxcd.io_kustomizations.yaml");
const GIT_REPOSITORY: &str = fixture!("source.toolkit.fluxcd.io_gitrepositories.yaml");
const HELM_REPOSITORY: &str = fixture!("source.toolkit.fluxcd.io_helmrepositories.yaml");
const OCI_REPOSITORY: &str = fixture!("source.toolkit.fluxcd.io_ocirepositories.yaml");
const HELM_RELEASE: &str = fixture!("helm.toolkit.fluxcd.io_helmreleases.yaml");
const IMAGE_POLICY: &str = fixture!("image.toolkit.fluxcd.io_imagepolicies.yaml");
const IMAGE_REPOSITORY: &str = fixture!("image.toolkit.fluxcd.io_imagerepositories.yaml");
const ARGO_APPLICATION: &str = fixture!("argoproj.io_applications_v1beta1.yaml");
const ARGO_APPLICATIONSET: &str = fixture!("argoproj.io_applicationsets.yaml");
const ARGO_APPPROJECT: &str = fixture!("argoproj.io_appprojects.yaml");
const ROOT_SYNC: &str = fixture!("configsync.gke.io_rootsyncs.yaml");
const REPO_SYNC: &str = fixture!("configsync.gke.io_reposyncs.yaml");
const CONFIG_MANAGEMENT: &str = fixture!("configmanagement.gke.io_configmanagements.yaml");
const CRONTAB: &str = fixture!("stable.example.com_crontabs.yaml");

const ALL: &[(&str, &str)] = &[
    ("Kustomization", FLUX_KUSTOMIZATION),
    ("GitRepository", GIT_REPOSITORY),
    ("HelmRepository", HELM_REPOSITORY),
    ("OCIRepository", OCI_REPOSITORY),
    ("HelmRelease", HELM_RELEASE),
    ("ImagePolicy", IMAGE_POLICY),
    ("ImageRepository", IMAGE_REPOSITORY),
    ("Application", ARGO_APPLICATION),
    ("ApplicationSet", ARGO_APPLICATIONSET),
    ("AppProject", ARGO_APPPROJECT),
    ("RootSync", ROOT_SYNC),
    ("RepoSync", REPO_SYNC),
    ("ConfigManagement", CONFIG_MANAGEMENT),
    ("CronTab", CRONTAB),
];

/// Every document of a YAML text as JSON.
fn docs(text: &str) -> Vec<Value> {
    YamlFile::parse(text)
        .documents()
        .iter()
        .filter_map(|slot| slot.doc.root.as_ref().map(|r| to_json(r).expect("no alias bomb")))
        .collect()
}

fn one(text: &str) -> Value {
    docs(text).into_iter().next().expect("a document")
}

fn versions(crd_text: &str) -> Vec<CrdVersion> {
    crd_versions(&one(crd_text)).expect("CRD converts")
}

fn version<'a>(all: &'a [CrdVersion], name: &str) -> &'a CrdVersion {
    all.iter().find(|v| v.version == name).unwrap_or_else(|| panic!("no version {name}"))
}

fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::options().should_validate_formats(true).build(schema).expect("schema compiles")
}

/// Instance paths and messages of every validation error; an unknown field is reported at
/// the field itself (jsonschema names the parent object), as diagnostics place it.
fn errors(schema: &Value, instance: &Value) -> Vec<(String, String)> {
    compile(schema)
        .iter_errors(instance)
        .flat_map(|e| {
            let path = e.instance_path().as_str().to_owned();
            match e.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    unexpected.iter().map(|u| (format!("{path}/{u}"), e.to_string())).collect()
                }
                _ => vec![(path, e.to_string())],
            }
        })
        .collect()
}

fn assert_valid(schema: &Value, instance: &Value) {
    let errs = errors(schema, instance);
    assert!(errs.is_empty(), "unexpected errors: {errs:#?}");
}

fn assert_error_at(schema: &Value, instance: &Value, path: &str) -> String {
    let errs = errors(schema, instance);
    errs.iter()
        .find(|(p, _)| p == path)
        .map(|(_, m)| m.clone())
        .unwrap_or_else(|| panic!("expected an error at {path}, got {errs:#?}"))
}

fn kustomization_schema() -> Value {
    version(&versions(FLUX_KUSTOMIZATION), "v1").schema.clone()
}

#[test]
fn every_fixture_converts_and_compiles() {
    for (kind, text) in ALL {
        let all = versions(text);
        assert!(!all.is_empty(), "{kind}: no versions");
        for v in &all {
            assert_eq!(&v.kind, kind);
            let start = Instant::now();
            compile(&v.schema);
            eprintln!("{kind} {}: validator built in {:?}", v.api_version(), start.elapsed());
            assert_eq!(v.schema["properties"]["apiVersion"]["enum"], json!([v.api_version()]));
            assert_eq!(v.schema["properties"]["kind"]["enum"], json!([kind]));
            assert_eq!(v.schema["additionalProperties"], json!(false), "{kind}: root is strict");
        }
        assert_eq!(all.iter().filter(|v| v.storage).count(), 1, "{kind}: one storage version");
    }
}

#[test]
fn crd_metadata_is_read() {
    let all = versions(FLUX_KUSTOMIZATION);
    assert_eq!(all.len(), 1);
    let v = &all[0];
    assert_eq!(
        (v.group.as_str(), v.version.as_str(), v.plural.as_str()),
        ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations")
    );
    assert!(v.namespaced && v.served && v.storage && v.deprecated.is_none());
    assert_eq!(v.version_index, 0);
    let cm = versions(CONFIG_MANAGEMENT);
    assert!(!cm[0].namespaced, "ConfigManagement is cluster-scoped");
}

#[test]
fn flux_kustomization_from_the_examples_is_valid() {
    let schema = kustomization_schema();
    let ks = one(include_str!("../../../examples/clusters/production/apps.yaml"));
    assert_valid(&schema, &ks);
    for doc in docs(include_str!("../../../examples/clusters/production/infrastructure.yaml")) {
        if doc["kind"] == "Kustomization" {
            assert_valid(&schema, &doc);
        }
    }
}

#[test]
fn unknown_field_wrong_type_and_missing_required_are_errors() {
    let schema = kustomization_schema();
    let mut ks = one(include_str!("../../../examples/clusters/production/apps.yaml"));

    let mut typo = ks.clone();
    typo["spec"]["prun"] = json!(true);
    let msg = assert_error_at(&schema, &typo, "/spec/prun");
    assert!(msg.contains("prun"), "{msg}");

    let mut wrong_type = ks.clone();
    wrong_type["spec"]["prune"] = json!("yes");
    assert_error_at(&schema, &wrong_type, "/spec/prune");

    let mut bad_interval = ks.clone();
    bad_interval["spec"]["interval"] = json!("ten minutes");
    assert_error_at(&schema, &bad_interval, "/spec/interval");

    let mut bad_enum = ks.clone();
    bad_enum["spec"]["sourceRef"]["kind"] = json!("HelmRepository");
    assert_error_at(&schema, &bad_enum, "/spec/sourceRef/kind");

    ks["spec"].as_object_mut().unwrap().remove("sourceRef");
    let msg = assert_error_at(&schema, &ks, "/spec");
    assert!(msg.contains("sourceRef"), "{msg}");
}

#[test]
fn metadata_api_version_and_kind_are_checked() {
    let schema = kustomization_schema();
    let ks = one(include_str!("../../../examples/clusters/production/apps.yaml"));

    let mut labels = ks.clone();
    labels["metadata"]["labels"] = json!({"app": "web", "tier": "frontend"});
    labels["metadata"]["annotations"] = json!({"kustomize.toolkit.fluxcd.io/prune": "disabled"});
    labels["metadata"]["finalizers"] = json!(["finalizers.fluxcd.io"]);
    assert_valid(&schema, &labels);

    let mut number_label = ks.clone();
    number_label["metadata"]["labels"] = json!({"replicas": 3});
    assert_error_at(&schema, &number_label, "/metadata/labels/replicas");

    let mut typo = ks.clone();
    typo["metadata"]["nmae"] = json!("x");
    assert_error_at(&schema, &typo, "/metadata/nmae");

    let mut other_version = ks.clone();
    other_version["apiVersion"] = json!("kustomize.toolkit.fluxcd.io/v1beta2");
    assert_error_at(&schema, &other_version, "/apiVersion");

    let mut with_status = ks;
    with_status["status"] = json!({"observedGeneration": 3});
    assert_valid(&schema, &with_status);
}

#[test]
fn helm_release_values_accept_anything() {
    let schema = version(&versions(HELM_RELEASE), "v2").schema.clone();
    let hr = docs(include_str!("../../../examples/infrastructure/controllers/ingress-nginx.yaml"))
        .into_iter()
        .find(|d| d["kind"] == "HelmRelease")
        .unwrap();
    assert_valid(&schema, &hr);

    let mut free_form = hr.clone();
    free_form["spec"]["values"] = json!({
        "anything": {"nested": [1, "two", {"three": null}], "enabled": true},
        "replicaCount": 3,
    });
    free_form["spec"]["valuesFrom"] = json!([{"kind": "ConfigMap", "name": "overrides", "valuesKey": "values.yaml"}]);
    free_form["spec"]["install"] = json!({"crds": "CreateReplace", "remediation": {"retries": -1}});
    free_form["spec"]["postRenderers"] =
        json!([{"kustomize": {"patches": [{"target": {"kind": "Deployment"}, "patch": "- op: remove\n  path: /x"}]}}]);
    assert_valid(&schema, &free_form);

    let mut typo = hr.clone();
    typo["spec"]["install"] = json!({"createNamspace": true});
    assert_error_at(&schema, &typo, "/spec/install/createNamspace");

    let mut bad_remediation = hr;
    bad_remediation["spec"]["upgrade"] = json!({"remediation": {"strategy": "retry"}});
    assert_error_at(&schema, &bad_remediation, "/spec/upgrade/remediation/strategy");
}

#[test]
fn flux_sources_and_image_automation() {
    let git = version(&versions(GIT_REPOSITORY), "v1").schema.clone();
    let repo = json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "podinfo", "namespace": "flux-system"},
        "spec": {"interval": "1m", "url": "https://github.com/stefanprodan/podinfo", "ref": {"branch": "master"},
                 "secretRef": {"name": "https-credentials"}, "ignore": "/*\n!/kustomize\n"}
    });
    assert_valid(&git, &repo);
    let mut scp = repo.clone();
    scp["spec"]["url"] = json!("git@github.com:org/repo");
    assert_error_at(&git, &scp, "/spec/url");

    let oci = version(&versions(OCI_REPOSITORY), "v1").schema.clone();
    let mut oci_repo = json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository", "metadata": {"name": "podinfo"},
        "spec": {"interval": "5m", "url": "oci://ghcr.io/stefanprodan/manifests/podinfo", "ref": {"semver": ">=6.0.0"},
                 "layerSelector": {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "operation": "copy"}}
    });
    assert_valid(&oci, &oci_repo);
    oci_repo["spec"]["ref"]["branch"] = json!("main");
    assert_error_at(&oci, &oci_repo, "/spec/ref/branch");

    let image_repo = version(&versions(IMAGE_REPOSITORY), "v1").schema.clone();
    let ir = json!({
        "apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImageRepository", "metadata": {"name": "podinfo"},
        "spec": {"image": "ghcr.io/stefanprodan/podinfo", "interval": "5m", "exclusionList": ["^.*\\.sig$"]}
    });
    assert_valid(&image_repo, &ir);

    let policy = version(&versions(IMAGE_POLICY), "v1").schema.clone();
    let mut ip = json!({
        "apiVersion": "image.toolkit.fluxcd.io/v1", "kind": "ImagePolicy", "metadata": {"name": "podinfo"},
        "spec": {"imageRepositoryRef": {"name": "podinfo"}, "policy": {"semver": {"range": "5.0.x"}}}
    });
    assert_valid(&policy, &ip);
    ip["spec"]["policy"]["semver"] = json!({});
    let msg = assert_error_at(&policy, &ip, "/spec/policy/semver");
    assert!(msg.contains("range"), "{msg}");
}

#[test]
fn several_versions_each_have_their_own_schema() {
    let all = versions(HELM_REPOSITORY);
    let names: Vec<_> = all.iter().map(|v| (v.version.as_str(), v.version_index, v.served, v.storage)).collect();
    assert_eq!(names, [("v1", 0, true, true), ("v1beta1", 1, true, false)]);
    assert_eq!(all[0].deprecated, None);
    assert_eq!(all[1].deprecated.as_deref(), Some("v1beta1 HelmRepository is deprecated, upgrade to v1"));

    let oci_type = |api: &str| {
        json!({"apiVersion": api, "kind": "HelmRepository", "metadata": {"name": "charts"},
               "spec": {"interval": "1h", "url": "oci://ghcr.io/org/charts", "type": "oci"}})
    };
    assert_valid(&all[0].schema, &oci_type("source.toolkit.fluxcd.io/v1"));
    // v1beta1 had no `type` field yet.
    assert_error_at(&all[1].schema, &oci_type("source.toolkit.fluxcd.io/v1beta1"), "/spec/type");
    // ...and required an interval, which v1 does not.
    let no_interval = |api: &str| {
        json!({"apiVersion": api, "kind": "HelmRepository", "metadata": {"name": "charts"},
               "spec": {"url": "https://charts.example.com"}})
    };
    assert_valid(&all[0].schema, &no_interval("source.toolkit.fluxcd.io/v1"));
    assert_error_at(&all[1].schema, &no_interval("source.toolkit.fluxcd.io/v1beta1"), "/spec");

    let root_sync = versions(ROOT_SYNC);
    let served: Vec<_> = root_sync.iter().map(|v| (v.api_version(), v.storage)).collect();
    assert_eq!(
        served,
        [("configsync.gke.io/v1alpha1".to_string(), false), ("configsync.gke.io/v1beta1".to_string(), true)]
    );
}

#[test]
fn served_versions_become_custom_kinds() {
    let mut all = versions(HELM_REPOSITORY);
    all[1].served = false;
    let kinds = to_custom_kinds(&all, |v| Provenance::WorkspaceCrd {
        file: "crds.yaml".into(),
        line: 1 + v.version_index as u32,
    });
    assert_eq!(kinds.len(), 1);
    assert_eq!(kinds[0].api_version, "source.toolkit.fluxcd.io/v1");
    assert_eq!(kinds[0].kind, "HelmRepository");
    assert!(kinds[0].namespaced);
    assert_eq!(kinds[0].provenance, Provenance::WorkspaceCrd { file: "crds.yaml".into(), line: 1 });
}

#[test]
fn root_sync_int_or_string_nullable_and_open_objects() {
    let schema = version(&versions(ROOT_SYNC), "v1beta1").schema.clone();
    let rs = json!({
        "apiVersion": "configsync.gke.io/v1beta1", "kind": "RootSync",
        "metadata": {"name": "root-sync", "namespace": "config-management-system"},
        "spec": {
            "sourceFormat": "unstructured",
            "git": {"repo": "https://github.com/GoogleCloudPlatform/anthos-config-management-samples",
                    "branch": "main", "dir": "quickstart/multirepo/root", "auth": "none", "secretRef": null},
            "override": {"resources": [{"containerName": "reconciler", "cpuLimit": "500m", "memoryLimit": 1}]}
        }
    });
    assert_valid(&schema, &rs);

    let mut null_override = rs.clone();
    null_override["spec"]["override"] = Value::Null;
    assert_valid(&schema, &null_override);

    let mut bool_cpu = rs.clone();
    bool_cpu["spec"]["override"]["resources"][0]["cpuLimit"] = json!(true);
    assert_error_at(&schema, &bool_cpu, "/spec/override/resources/0/cpuLimit");

    let mut bad_quantity = rs.clone();
    bad_quantity["spec"]["override"]["resources"][0]["cpuLimit"] = json!("lots");
    assert_error_at(&schema, &bad_quantity, "/spec/override/resources/0/cpuLimit");

    let mut bad_auth = rs.clone();
    bad_auth["spec"]["git"]["auth"] = json!("password");
    assert_error_at(&schema, &bad_auth, "/spec/git/auth");

    // `helm.values` is `type: object` without properties: any keys.
    let mut helm = rs;
    helm["spec"]["sourceType"] = json!("helm");
    helm["spec"]["helm"] = json!({"repo": "oci://example.com/charts", "chart": "web", "auth": "none",
                                  "values": {"image": {"tag": "1.2"}, "replicas": 2}});
    assert_valid(&schema, &helm);

    // The v1alpha1 schema is the same document (a YAML alias in the fixture).
    let alpha = version(&versions(ROOT_SYNC), "v1alpha1").schema.clone();
    assert_eq!(alpha["properties"]["spec"], schema["properties"]["spec"]);

    let repo_sync = version(&versions(REPO_SYNC), "v1alpha1").schema.clone();
    let rps = json!({"apiVersion": "configsync.gke.io/v1alpha1", "kind": "RepoSync",
                     "metadata": {"name": "repo-sync", "namespace": "gamestore"},
                     "spec": {"git": {"repo": "https://example.com/repo.git", "auth": "token", "secretRef": {"name": "git-creds"}}}});
    assert_valid(&repo_sync, &rps);
}

#[test]
fn argo_cd_kinds() {
    let app_versions = versions(ARGO_APPLICATION);
    assert_eq!(app_versions.len(), 1, "legacy v1beta1 CRD with spec.version");
    let app = app_versions[0].schema.clone();
    let application = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "guestbook", "namespace": "argocd", "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://github.com/argoproj/argocd-example-apps.git", "targetRevision": "HEAD", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"},
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}, "syncOptions": ["CreateNamespace=true"]}
        }
    });
    assert_valid(&app, &application);
    let mut typo = application.clone();
    typo["spec"]["source"]["targetRevison"] = json!("main");
    assert_error_at(&app, &typo, "/spec/source/targetRevison");
    let mut no_project = application;
    no_project["spec"].as_object_mut().unwrap().remove("project");
    assert_error_at(&app, &no_project, "/spec");

    let appset = versions(ARGO_APPLICATIONSET)[0].schema.clone();
    let set = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": {"name": "guestbook"},
        "spec": {
            "generators": [{"list": {"elements": [{"cluster": "engineering-dev", "url": "https://1.2.3.4", "extra": {"any": [1]}}]}}],
            "template": {
                "metadata": {"name": "{{cluster}}-guestbook"},
                "spec": {"project": "default",
                         "source": {"repoURL": "https://github.com/argoproj/argo-cd.git", "targetRevision": "HEAD", "path": "applicationset/examples/list-generator/guestbook/{{cluster}}"},
                         "destination": {"server": "{{url}}", "namespace": "guestbook"}}
            }
        }
    });
    assert_valid(&appset, &set);

    let project = versions(ARGO_APPPROJECT)[0].schema.clone();
    let proj = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "team-a"},
        "spec": {"sourceRepos": ["*"], "destinations": [{"namespace": "team-a", "server": "https://kubernetes.default.svc"}],
                 "clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}]}
    });
    assert_valid(&project, &proj);
}

#[test]
fn a_crd_without_metadata_or_status_in_its_schema() {
    let v = &versions(CRONTAB)[0];
    let ct = json!({"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "my-new-cron-object"},
                    "spec": {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "replicas": 1},
                    "status": {"anything": true}});
    assert_valid(&v.schema, &ct);
    let mut extra = ct;
    extra["spec"]["replica"] = json!(2);
    assert_error_at(&v.schema, &extra, "/spec/replica");
}

#[test]
fn hover_information_survives() {
    let schema = kustomization_schema();
    let path = |p: &str| p.split('.').map(|s| Segment::Key(s.into())).collect::<Vec<_>>();
    let prune = navigate::schema_at(&schema, &path("spec.prune")).unwrap();
    assert_eq!(navigate::description(&schema, prune), Some("Prune enables garbage collection."));
    let labels = navigate::schema_at(&schema, &path("metadata.labels")).unwrap();
    assert_eq!(navigate::type_name(&schema, labels), "map[string]string");
    assert!(navigate::is_open_object(
        &schema,
        navigate::schema_at(&schema, &path("spec.postBuild.substitute")).unwrap()
    ));

    let rs = version(&versions(ROOT_SYNC), "v1beta1").schema.clone();
    let cpu = navigate::schema_at(
        &rs,
        &[
            Segment::Key("spec".into()),
            Segment::Key("override".into()),
            Segment::Key("resources".into()),
            Segment::Index(0),
            Segment::Key("cpuLimit".into()),
        ],
    )
    .unwrap();
    assert_eq!(navigate::type_name(&rs, cpu), "int-or-string");
}

#[test]
fn malformed_crds_are_reported() {
    let base = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced",
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}}]}
    });
    assert!(crd_versions(&base).is_ok());
    let without = |pointer: &str, key: &str| {
        let mut crd = base.clone();
        crd.pointer_mut(pointer).unwrap().as_object_mut().unwrap().remove(key);
        crd_versions(&crd).unwrap_err()
    };
    assert_eq!(without("/spec", "group"), "CustomResourceDefinition is missing spec.group");
    assert_eq!(without("/spec/names", "kind"), "CustomResourceDefinition is missing spec.names.kind");
    assert_eq!(
        without("/spec", "versions"),
        "CustomResourceDefinition is missing spec.versions (or the legacy spec.version)"
    );
    assert_eq!(without("", "spec"), "CustomResourceDefinition has no spec");
    let mut wrong = base.clone();
    wrong["apiVersion"] = json!("v1");
    assert!(crd_versions(&wrong).unwrap_err().contains("apiextensions.k8s.io/v1"));
    let mut nameless = base;
    nameless["spec"]["versions"][0].as_object_mut().unwrap().remove("name");
    assert_eq!(crd_versions(&nameless).unwrap_err(), "spec.versions[0] has no name");
}

#[test]
fn conversion_rules() {
    let converted = openapi_to_json_schema(&json!({
        "type": "object",
        "description": "root",
        "properties": {
            "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "maybe": {"type": "string", "nullable": true, "enum": ["a", "b"]},
            "timeout": {"type": "string", "format": "duration"},
            "count": {"type": "integer", "format": "int32", "maximum": 10, "exclusiveMaximum": true},
            "when": {"type": "string", "format": "date-time"},
            "blob": {"type": "string", "format": "byte"},
            "open": {"type": "object"},
            "free": {"x-kubernetes-preserve-unknown-fields": true},
            "keep": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"a": {"type": "string"}}},
            "map": {"type": "object", "additionalProperties": {"type": "object", "properties": {"x": {"type": "string"}}}},
            "template": {"type": "object", "x-kubernetes-embedded-resource": true, "properties": {"spec": {"type": "object"}}},
            "either": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
                       "anyOf": [{"required": ["a"]}, {"properties": {"b": {"type": "string"}}, "required": ["b"]}]}
        }
    }));
    let p = &converted["properties"];
    assert_eq!(converted["additionalProperties"], json!(false));
    assert_eq!(p["port"], json!({"type": ["integer", "string"], "x-kubernetes-int-or-string": true}));
    assert_eq!(p["maybe"]["type"], json!(["string", "null"]));
    assert_eq!(p["maybe"]["enum"], json!(["a", "b", null]));
    assert_eq!(p["timeout"], json!({"type": "string", "x-kubernetes-format": "duration"}));
    assert_eq!(p["count"]["exclusiveMaximum"], json!(10));
    assert!(p["count"].get("maximum").is_none());
    assert_eq!(p["when"]["format"], json!("date-time"));
    assert!(p["open"].get("additionalProperties").is_none());
    assert!(p["keep"].get("additionalProperties").is_none());
    assert_eq!(p["map"]["additionalProperties"]["additionalProperties"], json!(false));
    assert_eq!(p["template"]["additionalProperties"], json!(false));
    assert!(p["either"]["anyOf"][1].get("additionalProperties").is_none(), "junctor branches stay open");

    let schema = compile(&converted);
    let ok = json!({
        "port": 8080, "maybe": null, "timeout": "5m", "count": 9, "when": "2024-01-02T03:04:05Z", "blob": "aGk=",
        "open": {"x": 1}, "free": [1, 2], "keep": {"a": "x", "b": 2}, "map": {"k": {"x": "y"}},
        "template": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "spec": {}},
        "either": {"a": "1", "b": "2"}
    });
    assert!(schema.is_valid(&ok), "{:?}", schema.iter_errors(&ok).map(|e| e.to_string()).collect::<Vec<_>>());
    for (path, bad) in [
        ("/port", json!({"port": 1.5})),
        ("/count", json!({"count": 10})),
        ("/when", json!({"when": "yesterday"})),
        ("/keep/a", json!({"keep": {"a": 1}})),
        ("/map/k/z", json!({"map": {"k": {"z": 1}}})),
        ("/template/data", json!({"template": {"data": {}}})),
        ("/either", json!({"either": {}})),
    ] {
        let errs: Vec<_> = errors(&converted, &bad).into_iter().map(|(p, _)| p).collect();
        assert!(errs.contains(&path.to_string()), "{path}: {errs:?}");
    }
}

#[test]
fn legacy_crd_without_schema_accepts_any_fields() {
    let crd = json!({
        "apiVersion": "apiextensions.k8s.io/v1beta1", "kind": "CustomResourceDefinition",
        "spec": {"group": "example.com", "version": "v1alpha1", "scope": "Cluster", "names": {"kind": "Gadget", "plural": "gadgets"}}
    });
    let all = crd_versions(&crd).unwrap();
    assert_eq!(all.len(), 1);
    assert!(!all[0].namespaced);
    assert_valid(
        &all[0].schema,
        &json!({"apiVersion": "example.com/v1alpha1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {"x": 1}, "other": 2}),
    );
    assert_error_at(&all[0].schema, &json!({"apiVersion": "example.com/v1", "kind": "Gadget"}), "/apiVersion");
}
