//! The server stays responsive and never outlives its client: clients that never answer,
//! special files, slow requests, a dead parent process, closed input.

use std::process::Command;

use serde_json::{Value, json};

use crate::harness::Server;

const URI: &str = "file:///repo/small.yaml";
const TEXT: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: hello\n";

fn params_with(capabilities: Value, process_id: Value) -> Value {
    json!({"processId": process_id, "rootUri": null, "capabilities": capabilities})
}

/// A client that asks for settings by pull but never answers.
fn start_with_unanswered_configuration() -> Server {
    let mut server = Server::start();
    server.ignore_server_requests();
    server.initialize_with(params_with(json!({"workspace": {"configuration": true}}), Value::Null));
    server
}

fn hover_on_small_document(server: &mut Server) -> Value {
    server.request("textDocument/hover", json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 1}}))
}

#[test]
fn a_client_that_never_answers_configuration_requests_is_still_served() {
    let mut server = start_with_unanswered_configuration();
    // Far more pulls than the framework has request slots.
    for _ in 0..20 {
        server.notify("workspace/didChangeConfiguration", json!({"settings": null}));
    }
    server.await_server_requests("workspace/configuration", 21);
    server.open(URI, 1, TEXT);
    assert_eq!(server.document_text(URI).as_deref(), Some(TEXT));
    assert!(hover_on_small_document(&mut server)["contents"]["value"].is_string());
    server.shutdown_and_exit();
}

#[test]
fn exit_works_while_the_client_owes_answers() {
    let mut server = start_with_unanswered_configuration();
    for _ in 0..20 {
        server.notify("workspace/didChangeConfiguration", json!({"settings": null}));
    }
    server.await_server_requests("workspace/configuration", 21);
    let status = server.exit_without_shutdown();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn closed_input_ends_the_server_even_with_a_request_to_the_client_pending() {
    let mut server = start_with_unanswered_configuration();
    server.await_server_requests("workspace/configuration", 1);
    server.open(URI, 1, TEXT);
    server.await_diagnostics(URI, 1);
    let status = server.close_input_and_wait();
    assert_eq!(status.code(), Some(1), "no shutdown came first");
    assert!(server.stderr().contains("input closed"), "{}", server.stderr());
}

#[test]
fn the_server_exits_when_the_client_process_dies() {
    // Stands in for the editor: the server must notice it is gone.
    let mut parent = Command::new("sleep").arg("600").spawn().expect("start sleep");
    let mut server = Server::start();
    server.initialize_with(params_with(json!({}), json!(parent.id())));
    server.open(URI, 1, TEXT);
    server.await_diagnostics(URI, 1);
    parent.kill().unwrap();
    parent.wait().unwrap();
    let status = server.await_exit();
    assert_eq!(status.code(), Some(1));
    assert!(server.stderr().contains("the client's process is gone"), "{}", server.stderr());
}

#[test]
fn watched_file_events_for_a_fifo_do_not_block_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    let uri = format!("file://{}", fifo.display());
    let mut server = Server::start();
    server.initialize(false);
    for typ in [1, 2, 2, 2, 2, 2, 2, 2, 2, 2] {
        server.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri, "type": typ}]}));
    }
    server.open(URI, 1, TEXT);
    server.await_diagnostics(URI, 1);
    assert!(hover_on_small_document(&mut server)["contents"]["value"].is_string());
    server.shutdown_and_exit();
}

/// `n` Deployments, each a `---` document.
pub fn deployments(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  labels:\n    app: web-{i}\n\
             spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web-{i}\n  template:\n    metadata:\n\
             \x20     labels:\n        app: web-{i}\n    spec:\n      containers:\n        - name: web\n\
             \x20         image: nginx:1.27\n          ports:\n            - containerPort: 80\n\
             \x20         env:\n            - name: MODE\n              value: \"on\"\n"
        ));
    }
    out
}

#[test]
fn a_hover_on_a_small_document_is_not_held_up_by_slow_requests_on_a_big_one() {
    let big_uri = "file:///repo/big.yaml";
    let big = deployments(8000);
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, TEXT);
    server.await_diagnostics(URI, 1);
    server.open(big_uri, 1, &big);
    let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": 999_999, "character": 0}});
    let slow: Vec<i64> = (0..4)
        .map(|i| {
            if i % 2 == 0 {
                server.send_request("textDocument/documentSymbol", json!({"textDocument": {"uri": big_uri}}))
            } else {
                server.send_request(
                    "textDocument/codeAction",
                    json!({"textDocument": {"uri": big_uri}, "range": whole, "context": {"diagnostics": []}}),
                )
            }
        })
        .collect();
    let hover = server.send_request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 1}}),
    );
    assert!(server.response(hover)["result"]["contents"]["value"].is_string());
    let hover_rank = server.response_rank(hover).unwrap();
    for id in &slow {
        assert!(server.response(*id).get("result").is_some());
        assert!(server.response_rank(*id).unwrap() > hover_rank, "the hover waited for request {id}");
    }
    server.shutdown_and_exit();
}
