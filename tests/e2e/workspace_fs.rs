//! The server's disk reads (start-up scan, watched-file events, didClose) on special files:
//! never opened, so the server keeps serving.
#![cfg(unix)]

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::Server;

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo (coreutils) is needed");
    assert!(status.success());
}

#[test]
fn fifos_and_devices_in_the_workspace_never_block_the_server() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::create_dir_all(root.join("apps")).unwrap();
    std::fs::write(root.join("crd.yaml"), include_str!("../fixtures/crds/stable.example.com_crontabs.yaml")).unwrap();
    // Both are read by the start-up scan when they are regular files.
    mkfifo(&root.join("apps/kustomization.yaml"));
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/urandom", root.join("random.yaml")).unwrap();
    mkfifo(&root.join("pipe.yaml"));

    let mut server = Server::start();
    server.initialize_workspace(root, json!({}));
    // The scan got past the special files: the CRD on disk validates the custom resource.
    let cr_uri = uri(&root.join("apps/cron.yaml"));
    let cr = "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: c\nspec:\n  replica: 1\n";
    server.open(&cr_uri, 1, cr);
    server.await_notification("unknown-field from the CRD on disk", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == cr_uri.as_str()
            && n["params"]["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["code"] == "unknown-field"))
    });

    // More watched-file events for special files than the server has request slots.
    let changes: Vec<_> = ["apps/kustomization.yaml", "zero.yaml", "random.yaml", "pipe.yaml"]
        .iter()
        .map(|p| json!({"uri": uri(&root.join(p)), "type": 2}))
        .collect();
    for _ in 0..8 {
        server.notify("workspace/didChangeWatchedFiles", json!({"changes": changes}));
    }
    // Closing a document whose file on disk is a FIFO reads the disk again.
    let pipe_uri = uri(&root.join("pipe.yaml"));
    server.open(&pipe_uri, 1, "a: 1\n");
    server.close(&pipe_uri);

    let symbols = server.request("textDocument/documentSymbol", json!({"textDocument": {"uri": cr_uri}}));
    assert_eq!(symbols[0]["name"], "CronTab c", "{symbols}");
    server.shutdown_and_exit();
}

/// A kustomization with `namespace:` renames the Namespace objects it builds, so a placeholder
/// name there is not an error once the workspace scan has seen the kustomization; the same
/// object outside any such build still is.
#[test]
fn placeholder_namespaces_under_a_kustomization_namespace_are_accepted() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::create_dir_all(root.join("apps/media")).unwrap();
    std::fs::create_dir_all(root.join("other")).unwrap();
    std::fs::write(root.join("apps/kustomization.yaml"), "namespace: media\nresources:\n  - ./media\n").unwrap();
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: _\n";
    std::fs::write(root.join("apps/media/namespace.yaml"), namespace).unwrap();
    std::fs::write(root.join("other/namespace.yaml"), namespace).unwrap();

    let mut server = Server::start();
    server.initialize_workspace(root, json!({}));
    let outside = uri(&root.join("other/namespace.yaml"));
    server.open(&outside, 1, namespace);
    let diags = server.await_diagnostics(&outside, 1);
    assert!(diags.iter().any(|d| d["message"].as_str().is_some_and(|m| m.contains("`_`"))), "{diags:?}");

    let inside = uri(&root.join("apps/media/namespace.yaml"));
    server.open(&inside, 1, namespace);
    server.await_notification("the placeholder Namespace accepted", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == inside.as_str()
            && n["params"]["diagnostics"].as_array().is_some_and(Vec::is_empty)
    });
    server.shutdown_and_exit();
}

/// The overlay: an open document's text beats the disk (also when a watched-file event says
/// the disk changed), and closing it falls back to what the disk holds.
#[test]
fn open_documents_beat_the_disk_and_closing_falls_back() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    let crd = include_str!("../fixtures/crds/stable.example.com_crontabs.yaml");
    std::fs::write(root.join("crd.yaml"), crd).unwrap();
    let cron = "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: c\nspec:\n  replicas: 1\n";
    std::fs::write(root.join("cron.yaml"), cron).unwrap();

    let mut server = Server::start();
    server.ignore_server_requests();
    server.initialize_workspace(root, json!({}));
    let cron_uri = uri(&root.join("cron.yaml"));
    let crd_uri = uri(&root.join("crd.yaml"));
    let unknown_replicas = |n: &Value| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == cron_uri.as_str()
            && n["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["message"].as_str().is_some_and(|m| m.contains("`replicas`"))))
    };
    let clean = |n: &Value| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == cron_uri.as_str()
            && n["params"]["diagnostics"].as_array().is_some_and(Vec::is_empty)
    };
    server.open(&cron_uri, 1, cron);
    server.await_notification("the CronTab valid against the disk's CRD", 0, clean);

    // The CRD opened with `replicas` renamed: the open text wins, `replicas` is now unknown.
    let edited = crd.replace("                replicas:", "                replicaCount:");
    let mark = server.notification_count();
    server.open(&crd_uri, 1, &edited);
    let (i, _) = server.await_notification("the open CRD applied", mark, unknown_replicas);

    // The disk changes under the open CRD (another tool wrote it): the open text still wins.
    // A second CRD appearing then re-validates the CronTab; disk events are handled in order,
    // so that answer comes after the first event was handled.
    std::fs::write(root.join("crd.yaml"), crd.replace("                cronSpec:", "                schedule:"))
        .unwrap();
    std::fs::write(root.join("other.yaml"), crd.replace("stable.example.com", "other.example.com")).unwrap();
    let mark = server.notification_count().max(i + 1);
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [
            {"uri": crd_uri.as_str(), "type": 2},
            {"uri": uri(&root.join("other.yaml")), "type": 1}
        ]}),
    );
    let (_, params) = server.await_notification("the CronTab checked again", mark, |n| {
        n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == cron_uri.as_str()
    });
    let first_after = json!({"method": "textDocument/publishDiagnostics", "params": params});
    assert!(unknown_replicas(&first_after), "the disk replaced the open CRD: {first_after}");

    // Closing falls back to the disk: `replicas` is known again (the disk's CRD renamed only
    // `cronSpec`, which the CronTab does not use).
    let mark = server.notification_count();
    server.close(&crd_uri);
    server.await_notification("the disk's CRD again after close", mark, clean);
    server.shutdown_and_exit();
}
