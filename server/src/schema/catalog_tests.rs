use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use crate::test_util::TestServer;

use super::super::downloads::cache_file_name;
use super::*;

/// Downloads as `check` makes them: each waits for its answer.
fn batch(cache_dir: Option<&Path>) -> Arc<Downloads> {
    let downloads = Arc::new(Downloads::default());
    downloads.configure(cache_dir.map(Path::to_path_buf), false);
    downloads.set_batch(true);
    downloads
}

#[track_caller]
fn ready<T>(p: Poll<T>) -> T {
    match p {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("pending in batch mode"),
    }
}

fn compile(schema: &Value) -> jsonschema::Validator {
    jsonschema::options().should_validate_formats(true).build(schema).expect("schema compiles")
}

/// A catalog file as datreeio/CRDs-catalog writes them: named objects strict, root open.
fn catalog_file() -> Value {
    json!({
        "description": "HelmRepository is the Schema for the helmrepositories API.",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "properties": {
                    "interval": {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"},
                    "url": {"type": "string"},
                    "secretRef": {"properties": {"name": {"type": "string"}}, "required": ["name"], "type": "object",
                                  "additionalProperties": false},
                    "values": {"x-kubernetes-preserve-unknown-fields": true}
                },
                "required": ["url"],
                "type": "object",
                "additionalProperties": false
            }
        },
        "type": "object"
    })
}

#[test]
fn catalog_layout_and_strictness() {
    let dir = tempfile::tempdir().unwrap();
    let group_dir = dir.path().join("source.toolkit.fluxcd.io");
    std::fs::create_dir_all(&group_dir).unwrap();
    std::fs::write(group_dir.join("helmrepository_v1.json"), catalog_file().to_string()).unwrap();

    let found = catalog_lookup(dir.path(), "source.toolkit.fluxcd.io", "v1", "HelmRepository").unwrap();
    assert_eq!(found, group_dir.join("helmrepository_v1.json"));
    assert_eq!(catalog_lookup(dir.path(), "source.toolkit.fluxcd.io", "v1beta2", "HelmRepository"), None);
    assert_eq!(catalog_lookup(dir.path(), "example.com", "v1", "HelmRepository"), None);
    assert_eq!(load_from_catalog(dir.path(), "example.com", "v1", "Widget"), Ok(None));

    let schema = load_from_catalog(dir.path(), "source.toolkit.fluxcd.io", "v1", "HelmRepository").unwrap().unwrap();
    let v = compile(&schema);
    let good = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
                      "metadata": {"name": "charts", "labels": {"a": "b"}},
                      "spec": {"interval": "1h", "url": "https://charts.example.com", "values": {"x": [1]}}});
    assert!(v.is_valid(&good));
    // The root of a catalog file is open; here it is strict like a CRD's.
    let mut top = good.clone();
    top["extra"] = json!(1);
    assert!(!v.is_valid(&top));
    let mut kind = good.clone();
    kind["kind"] = json!("HelmChart");
    assert!(!v.is_valid(&kind));
    let mut meta = good;
    meta["metadata"]["nmae"] = json!("x");
    assert!(!v.is_valid(&meta));
}

#[test]
fn bad_catalog_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{ not json").unwrap();
    let err = load_catalog_schema(&path, "g", "v1", "K").unwrap_err();
    assert!(matches!(err, LoadError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("broken.json is not valid JSON"), "{err}");
    std::fs::write(&path, "[1, 2]").unwrap();
    assert!(load_catalog_schema(&path, "g", "v1", "K").unwrap_err().to_string().contains("not a JSON schema"));
    let missing = load_catalog_schema(&dir.path().join("nope.json"), "g", "v1", "K").unwrap_err();
    assert!(matches!(missing, LoadError::NotFound(_)), "{missing}");
}

#[test]
fn kubeconform_locations() {
    let source = |location: &str, version: &str| KubeconformSource {
        location: location.into(),
        kubernetes_version: version.into(),
    };
    let base = source("https://example.com/schemas/", "1.29");
    assert_eq!(
        base.schema_location("apps", "v1", "Deployment").unwrap(),
        "https://example.com/schemas/v1.29.0-standalone-strict/deployment-apps-v1.json"
    );
    assert_eq!(
        base.schema_location("", "v1", "Service").unwrap(),
        "https://example.com/schemas/v1.29.0-standalone-strict/service-v1.json"
    );
    assert_eq!(
        base.schema_location("networking.k8s.io", "v1", "Ingress").unwrap(),
        "https://example.com/schemas/v1.29.0-standalone-strict/ingress-networking-v1.json"
    );
    let template =
        source("/schemas/{{.Group}}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}{{.StrictSuffix}}.json", "master");
    assert_eq!(
        template.schema_location("cert-manager.io", "v1", "Certificate").unwrap(),
        "/schemas/cert-manager.io/certificate_v1-strict.json"
    );
    assert_eq!(
        source("dir", "v1.30.2").schema_location("", "v1", "Pod").unwrap(),
        "dir/v1.30.2-standalone-strict/pod-v1.json"
    );
    assert_eq!(
        source("dir", "master").schema_location("", "v1", "Pod").unwrap(),
        "dir/master-standalone-strict/pod-v1.json"
    );
    let bad = source("/x/{{ .Nope }}.json", "1.29").schema_location("", "v1", "Pod").unwrap_err();
    assert!(bad.to_string().contains("unknown template variable .Nope"), "{bad}");
    let unclosed = source("/x/{{ .ResourceKind.json", "1.29").schema_location("", "v1", "Pod").unwrap_err();
    assert!(unclosed.to_string().contains("unclosed"), "{unclosed}");
}

#[test]
fn kubeconform_directory() {
    let dir = tempfile::tempdir().unwrap();
    let version_dir = dir.path().join("v1.29.0-standalone-strict");
    std::fs::create_dir_all(&version_dir).unwrap();
    let schema =
        json!({"type": "object", "properties": {"kind": {"enum": ["Deployment"]}}, "additionalProperties": false});
    std::fs::write(version_dir.join("deployment-apps-v1.json"), schema.to_string()).unwrap();

    let source = KubeconformSource { location: dir.path().display().to_string(), kubernetes_version: "1.29".into() };
    let d = batch(None);
    assert_eq!(ready(source.load("apps", "v1", "Deployment", &d)).unwrap().as_deref(), Some(&schema));
    // The version is there but not this kind: not an error, a custom resource may have it.
    assert_eq!(ready(source.load("example.com", "v1", "Widget", &d)).unwrap(), None);

    let other = KubeconformSource { kubernetes_version: "1.30".into(), ..source };
    let err = ready(other.load("apps", "v1", "Deployment", &d)).unwrap_err();
    assert!(matches!(err, LoadError::NotFound(_)));
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("Kubernetes 1.30 schemas not found at {}: no directory", dir.path().display())),
        "{msg}"
    );
    assert!(msg.contains("v1.30.0-standalone-strict"), "{msg}");
}

#[test]
fn kubeconform_url_with_cache_and_404() {
    let schema = json!({"type": "object", "description": "Deployment enables declarative updates", "additionalProperties": false});
    let path = "/schemas/v1.29.0-standalone-strict/deployment-apps-v1.json";
    let server = TestServer::start(vec![(path, schema.to_string())]);
    let cache = tempfile::tempdir().unwrap();
    let source = KubeconformSource { location: format!("{}/schemas", server.base), kubernetes_version: "1.29".into() };
    let d = batch(Some(&cache.path().join("kubeconform")));
    let load = |s: &KubeconformSource, d: &Arc<Downloads>| ready(s.load("apps", "v1", "Deployment", d));

    assert_eq!(load(&source, &d).unwrap().as_deref(), Some(&schema));
    assert_eq!(server.count(path), 1);
    // Second load is answered from memory: the server is not asked again.
    assert_eq!(load(&source, &d).unwrap().as_deref(), Some(&schema));
    assert_eq!(server.count(path), 1);
    let fresh = batch(Some(&cache.path().join("kubeconform")));
    assert_eq!(load(&source, &fresh).unwrap().as_deref(), Some(&schema));
    assert_eq!(server.count(path), 1, "the cache is on disk, not only in memory");

    let missing = KubeconformSource { kubernetes_version: "1.12".into(), ..source.clone() };
    let err = load(&missing, &d).unwrap_err();
    assert!(matches!(err, LoadError::NotFound(_)));
    assert_eq!(
        err.to_string(),
        format!(
            "Kubernetes 1.12 schemas not found at {0}/schemas: {0}/schemas/v1.12.0-standalone-strict/deployment-apps-v1.json returned HTTP 404",
            server.base
        )
    );
    // A 404 is not written to the disk cache: another run asks the server again.
    let _ = load(&missing, &batch(Some(&cache.path().join("kubeconform"))));
    assert_eq!(server.count("/schemas/v1.12.0-standalone-strict/deployment-apps-v1.json"), 2);
}

#[test]
fn unreachable_server_is_an_error() {
    // Bind then drop: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let source = KubeconformSource { location: format!("http://127.0.0.1:{port}"), kubernetes_version: "1.29".into() };
    let err = ready(source.load("", "v1", "Pod", &batch(None))).unwrap_err();
    assert!(matches!(err, LoadError::Unreachable(_)), "{err}");
    assert!(err.to_string().starts_with("cannot fetch Kubernetes 1.29 schemas from http://127.0.0.1:"), "{err}");
}

#[test]
fn modeline_and_setting_schemas() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("schemas")).unwrap();
    let schema = json!({"type": "object", "properties": {"name": {"type": "string"}}});
    std::fs::write(dir.path().join("schemas/app.json"), schema.to_string()).unwrap();
    let doc = dir.path().join("apps/app.yaml");
    let d = batch(None);
    let load = |location: &str, doc: Option<&Path>, d: &Arc<Downloads>| ready(load_schema(location, doc, d));
    assert_eq!(*load("../schemas/app.json", Some(&doc), &d).unwrap(), schema);
    let url = format!("file://{}", dir.path().join("schemas/app.json").display());
    assert_eq!(*load(&url, None, &d).unwrap(), schema);
    assert!(matches!(load("../schemas/none.json", Some(&doc), &d), Err(LoadError::NotFound(_))));

    let server = TestServer::start(vec![("/app.json", schema.to_string())]);
    let cache = tempfile::tempdir().unwrap();
    let remote = format!("{}/app.json", server.base);
    let cached = batch(Some(cache.path()));
    assert_eq!(*load(&remote, Some(&doc), &cached).unwrap(), schema);
    assert_eq!(*load(&remote, Some(&doc), &cached).unwrap(), schema);
    assert_eq!(server.count("/app.json"), 1);
    let err = load(&format!("{}/gone.json", server.base), None, &d).unwrap_err();
    assert_eq!(err.to_string(), format!("schema {}/gone.json not found (HTTP 404)", server.base));
}

#[test]
fn cache_file_names_are_stable_and_distinct() {
    let a = cache_file_name("https://example.com/v1.29.0-standalone-strict/deployment-apps-v1.json");
    assert_eq!(a, cache_file_name("https://example.com/v1.29.0-standalone-strict/deployment-apps-v1.json"));
    assert!(a.ends_with("-deployment-apps-v1.json"), "{a}");
    assert_ne!(a, cache_file_name("https://example.com/v1.30.0-standalone-strict/deployment-apps-v1.json"));
    assert_eq!(cache_file_name("https://x/a?b=c"), format!("{}-a_b_c", &cache_file_name("https://x/a?b=c")[..16]));
}

#[test]
fn hits_counter_is_shared() {
    // Guards the test server itself: concurrent loads of different paths are all counted.
    let server = TestServer::start(vec![("/a.json", "{}".into()), ("/b.json", "{}".into())]);
    let count = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for p in ["/a.json", "/b.json"] {
            let url = format!("{}{p}", server.base);
            let count = Arc::clone(&count);
            s.spawn(move || {
                ready(load_schema(&url, None, &batch(None))).unwrap();
                count.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert_eq!(server.count("/a.json") + server.count("/b.json"), 2);
}
