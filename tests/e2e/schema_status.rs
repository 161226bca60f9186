//! `gitops-ls/schemaChanged`: pushed on open and when an edit changes the document's schema.

use serde_json::{Value, json};

use crate::harness::{Server, range};

const URI: &str = "file:///repo/app/thing.yaml";
const METHOD: &str = "gitops-ls/schemaChanged";
const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";

fn initialize(server: &mut Server, opt_in: bool) -> Value {
    let experimental = if opt_in { json!({ METHOD: true }) } else { json!({}) };
    server.initialize_with(json!({
        "processId": null,
        "rootUri": null,
        "capabilities": {
            "general": {"positionEncodings": ["utf-16"]},
            "textDocument": {"publishDiagnostics": {"versionSupport": true}},
            "experimental": experimental
        }
    }))
}

/// Waits for a push of `label` after the first `skip` notifications; returns its index.
fn await_schema(server: &Server, skip: usize, label: &str) -> usize {
    let (at, params) = server.await_notification(&format!("{METHOD} to {label}"), skip, |n| {
        n["method"] == METHOD && n["params"]["uri"] == URI && n["params"]["schema"]["label"] == label
    });
    assert!(params["schema"]["source"].as_str().unwrap().starts_with("embedded Kubernetes 1."), "{params}");
    at
}

fn labels(server: &Server) -> Vec<Value> {
    server.notifications_of(METHOD).iter().map(|p| p["schema"]["label"].clone()).collect()
}

#[test]
fn schema_changes_are_pushed_once_per_change() {
    let mut server = Server::start();
    let caps = initialize(&mut server, true);
    assert_eq!(caps["experimental"][METHOD], true, "advertised: {caps}");

    server.open(URI, 1, CONFIG_MAP);
    let at = await_schema(&server, 0, "v1 ConfigMap");

    // ConfigMap → Deployment.
    server.change(URI, 2, vec![json!({"range": range(0, 12, 1, 15), "text": "apps/v1\nkind: Deployment"})]);
    let at = await_schema(&server, at + 1, "apps/v1 Deployment");

    // Same kind: the name changes, the schema does not.
    server.change(URI, 3, vec![json!({"range": range(3, 8, 3, 9), "text": "web"})]);
    server.await_diagnostics(URI, 3);

    // Deployment → Service. A document's pushes go out in order, so one for version 3 would
    // have come before this one.
    server.change(URI, 4, vec![json!({"range": range(0, 12, 1, 16), "text": "v1\nkind: Service"})]);
    let at = await_schema(&server, at + 1, "v1 Service");
    assert_eq!(labels(&server), [json!("v1 ConfigMap"), json!("apps/v1 Deployment"), json!("v1 Service")]);

    // No schema any more: pushed as null, as the request answers.
    server.change(URI, 5, vec![json!({"text": "foo: bar\n"})]);
    let (at, _) = server.await_notification("schemaChanged to null", at + 1, |n| {
        n["method"] == METHOD && n["params"]["uri"] == URI && n["params"]["schema"].is_null()
    });
    assert_eq!(server.request("gitops-ls/schemaInfo", json!({"uri": URI})), Value::Null);

    // Closed and re-opened with the schema pushed last: pushed again.
    server.change(URI, 6, vec![json!({"text": CONFIG_MAP})]);
    let at = await_schema(&server, at + 1, "v1 ConfigMap");
    server.close(URI);
    server.open(URI, 1, CONFIG_MAP);
    await_schema(&server, at + 1, "v1 ConfigMap");
    server.shutdown_and_exit();
}

#[test]
fn schema_changes_are_not_pushed_unless_asked_for() {
    let mut server = Server::start();
    let caps = initialize(&mut server, false);
    assert_eq!(caps["experimental"][METHOD], true, "advertised either way: {caps}");
    server.open(URI, 1, CONFIG_MAP);
    server.await_diagnostics(URI, 1);
    server.change(URI, 2, vec![json!({"range": range(0, 12, 1, 15), "text": "apps/v1\nkind: Deployment"})]);
    server.await_diagnostics(URI, 2);
    server.close(URI);
    // A push follows its publish at once, from the same task: it would be here by the clear.
    server.await_notification("diagnostics cleared", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics" && n["params"]["version"].is_null()
    });
    assert_eq!(server.notifications_of(METHOD), Vec::<Value>::new());
    server.shutdown_and_exit();
}
