//! Misbehaving clients over stdio: broken frames, protocol misuse, clients that never answer
//! or die. Each case checks the answer (an error code or a log line), that the server keeps
//! serving afterwards, and that the document text stays exact.

use serde_json::{Value, json};

use crate::harness::{Server, insert, range};

const URI: &str = "file:///repo/protocol.yaml";
const TEXT: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: hello\n";

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn assert_text(server: &mut Server, uri: &str, expected: &str) {
    assert_eq!(server.document_text(uri).as_deref(), Some(expected), "document text");
}

fn text_document(uri: &str) -> Value {
    json!({"textDocument": {"uri": uri}})
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

#[test]
fn malformed_messages_are_answered_and_reading_goes_on() {
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, TEXT);
    let did_change = |text: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{URI}","version":9}},"contentChanges":[{{"range":{{"start":{{"line":0,"character":0}},"end":{{"line":0,"character":0}}}},"text":"{text}"}}]}}}}"#
        )
    };
    let mut invalid_utf8 = did_change("X").into_bytes();
    let x = invalid_utf8.iter().rposition(|&b| b == b'X').unwrap();
    invalid_utf8[x] = 0xff;
    let cases: Vec<(&str, Vec<u8>, i64)> = vec![
        ("malformed JSON", frame(br#"{"jsonrpc": "2.0", "id": 1,"#), -32700),
        ("an empty body", frame(b""), -32700),
        ("invalid UTF-8 inside a message", frame(&invalid_utf8), -32700),
        ("a lone surrogate escape", frame(did_change("\\ud800").as_bytes()), -32700),
        ("a batch", frame(br#"[{"jsonrpc":"2.0","id":1000,"method":"shutdown"}]"#), -32600),
        ("a JSON value that is not an object", frame(b"42"), -32600),
        ("another JSON-RPC version", frame(br#"{"jsonrpc":"1.0","method":"initialized"}"#), -32600),
        ("an id that is not an integer or string", frame(br#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#), -32600),
        ("garbage between frames", b"hello there\r\n\r\n".to_vec(), -32700),
        ("a header section without Content-Length", b"Content-Type: text/plain\r\n\r\n".to_vec(), -32700),
        ("an unparsable Content-Length", b"Content-Length: many\r\n\r\n".to_vec(), -32700),
        ("a Content-Length beyond any size", b"Content-Length: 99999999999999999999999\r\n\r\n".to_vec(), -32700),
    ];
    for (n, (what, bytes, code)) in cases.into_iter().enumerate() {
        server.send_raw(&bytes);
        let error = server.await_null_id_error(n + 1);
        assert_eq!(error["code"], code, "{what}: {error}");
        assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {error}");
        // Still reading, and nothing of the bad message reached the document.
        assert_text(&mut server, URI, TEXT);
    }

    // Frames that are unusual but valid are served as usual.
    let variants = [
        "content-length: {len}\r\n\r\n",
        "CONTENT-LENGTH: {len}\r\n\r\n",
        "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: {len}\r\n\r\n",
        "Content-Length: {len}\r\nContent-Type: application/json\r\nX-Trace: 1\r\n\r\n",
        "Content-Length:{len}\n\n",
        "\r\n\r\nContent-Length: {len}\r\n\r\n",
    ];
    for header in variants {
        let id = server.next_request_id();
        let body =
            json!({"jsonrpc": "2.0", "id": id, "method": "gitops-ls/documentText", "params": {"uri": URI}}).to_string();
        let mut bytes = header.replace("{len}", &body.len().to_string()).into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        server.send_raw(&bytes);
        assert_eq!(server.response(id)["result"], TEXT, "header {header:?}");
    }
    // Garbage glued to the front of a frame does not lose the frame.
    let id = server.next_request_id();
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "gitops-ls/documentText", "params": {"uri": URI}});
    let mut bytes = b"}}garbage".to_vec();
    bytes.extend(frame(body.to_string().as_bytes()));
    server.send_raw(&bytes);
    assert_eq!(server.response(id)["result"], TEXT);
    server.await_null_id_error(13);

    server.send_raw(&frame(did_change("# ok\\n").as_bytes()));
    assert_text(&mut server, URI, &format!("# ok\n{TEXT}"));
    assert!(server.stderr().contains("bad message"), "{}", server.stderr());
    server.shutdown_and_exit();
}

#[test]
fn a_message_over_the_size_limit_is_skipped() {
    let mut server = Server::start();
    // The message limit follows the file limit (twice it, at least 16 MB, plus 1 MB).
    server.initialize_workspace(std::path::Path::new("/nonexistent-root"), json!({"maxFileSizeMb": 1}));
    let big = "a".repeat(18 << 20);
    server.open("file:///repo/huge.yaml", 1, &big);
    drop(big);
    let error = server.await_null_id_error(1);
    assert_eq!(error["code"], -32700);
    assert!(error["message"].as_str().unwrap().contains("skipped"), "{error}");
    assert_eq!(server.document_text("file:///repo/huge.yaml"), None);
    server.open(URI, 1, TEXT);
    assert_text(&mut server, URI, TEXT);
    server.shutdown_and_exit();
}

#[test]
fn dollar_requests_get_method_not_found_and_dollar_notifications_are_ignored() {
    let mut server = Server::start();
    server.initialize(false);
    let error = server.request_error("$/somethingNew", json!({}));
    assert_eq!(error["code"], -32601, "{error}");
    server.notify("$/somethingNew", json!({}));
    server.notify("$/setTrace", json!({"value": "off"}));
    let error = server.request_error("gitops-ls/noSuchMethod", json!({}));
    assert_eq!(error["code"], -32601, "{error}");
    server.notify("gitops-ls/noSuchNotification", json!({}));
    server.open(URI, 1, TEXT);
    assert_text(&mut server, URI, TEXT);
    server.shutdown_and_exit();
}

#[test]
fn requests_after_shutdown_are_invalid() {
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, TEXT);
    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    let error = server.request_error("textDocument/hover", at(URI, 0, 0));
    assert_eq!(error["code"], -32600, "{error}");
    let error = server.request_error("shutdown", Value::Null);
    assert_eq!(error["code"], -32600, "{error}");
    server.notify("exit", Value::Null);
    let status = server.await_exit();
    assert_eq!(status.code(), Some(0), "exit after shutdown");
}

#[test]
fn a_flood_of_cancelled_requests() {
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, TEXT);
    let mut ids = Vec::new();
    for i in 0..500 {
        let id = server.send_request("textDocument/documentSymbol", text_document(URI));
        server.notify("$/cancelRequest", json!({"id": id}));
        // Cancelling what was never sent, or twice.
        server.notify("$/cancelRequest", json!({"id": 1_000_000 + i}));
        server.notify("$/cancelRequest", json!({"id": id}));
        ids.push(id);
    }
    for id in ids {
        let response = server.response(id);
        match response.get("error") {
            Some(error) => assert_eq!(error["code"], -32800, "{response}"),
            None => assert!(response["result"].is_array(), "{response}"),
        }
    }
    assert_text(&mut server, URI, TEXT);
    server.shutdown_and_exit();
}

#[test]
fn a_thousand_changes_sent_without_waiting() {
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, TEXT);
    // Alternate between the middle and the end of one line, so order matters.
    let mut line = "  greeting: hello".to_string();
    for i in 0..1000 {
        let (character, s) = if i % 2 == 0 { (12, "x") } else { (u32::MAX, "y") };
        line.insert_str(if i % 2 == 0 { 12 } else { line.len() }, s);
        server.change(URI, 2 + i, vec![insert(5, character, s)]);
    }
    let expected = TEXT.replace("  greeting: hello", &line);
    assert_text(&mut server, URI, &expected);
    server.await_diagnostics(URI, 1001);
    server.shutdown_and_exit();
}

#[test]
fn positions_and_ranges_out_of_bounds() {
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, TEXT);
    let far = u32::MAX;
    for (line, character) in [(far, far), (0, far), (far, 0), (6, 0), (1_000_000, 3)] {
        let hover = server.request("textDocument/hover", at(URI, line, character));
        assert!(hover.is_null() || hover.is_object(), "{hover}");
        let completion = server.request("textDocument/completion", at(URI, line, character));
        assert!(completion.is_null() || completion.is_object(), "{completion}");
        server.request("gitops-ls/schemaInfo", json!({"uri": URI, "position": {"line": line, "character": character}}));
    }
    // A range whose start is after its end, and one far past the end.
    for r in [range(5, 10, 0, 0), range(far, far, 0, 0), range(0, 0, far, far)] {
        let actions = server.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": URI}, "range": r, "context": {"diagnostics": []}}),
        );
        assert!(actions.is_array(), "{actions}");
    }
    // Edits are clamped: past the end means the end; a reversed range counts as swapped.
    server.change(URI, 2, vec![insert(far, far, "# end\n")]);
    let mut expected = format!("{TEXT}# end\n");
    assert_text(&mut server, URI, &expected);
    server.change(URI, 3, vec![json!({"range": range(0, 2, 0, 0), "text": "AP"})]);
    expected.replace_range(0..2, "AP");
    assert_text(&mut server, URI, &expected);
    server.change(URI, 4, vec![json!({"range": range(1, far, 1, far), "text": "!"})]);
    expected = expected.replacen("kind: ConfigMap", "kind: ConfigMap!", 1);
    assert_text(&mut server, URI, &expected);
    server.await_diagnostics(URI, 4);
    server.shutdown_and_exit();
}

#[test]
fn edits_for_documents_that_are_not_open_and_versions_going_backwards() {
    let mut server = Server::start();
    server.initialize(false);
    let other = "file:///repo/never-opened.yaml";
    server.change(other, 2, vec![insert(0, 0, "x")]);
    server.close(other);
    assert_eq!(server.document_text(other), None);
    assert_eq!(server.request("textDocument/hover", at(other, 0, 0)), Value::Null);
    assert_eq!(server.request("textDocument/documentSymbol", text_document(other)), Value::Null);

    server.open(URI, 5, TEXT);
    server.await_diagnostics(URI, 5);
    server.change(URI, 3, vec![insert(0, 0, "# a\n")]);
    server.change(URI, 3, vec![insert(0, 0, "# b\n")]);
    assert_text(&mut server, URI, &format!("# b\n# a\n{TEXT}"));
    server.await_diagnostics(URI, 3);
    let log = server.stderr();
    assert!(log.contains("change for a document that is not open"), "{log}");
    assert!(log.contains("close for a document that is not open"), "{log}");
    assert!(log.contains("document version did not increase"), "{log}");
    server.shutdown_and_exit();
}

#[test]
fn uris_that_are_not_files_or_do_not_decode() {
    let mut server = Server::start();
    server.initialize(false);
    let uris = [
        "untitled:Untitled-1",
        "https://example.com/deploy.yaml",
        "file:///repo/%FF%FE.yaml",
        "file:///repo/with%20space.yaml",
        "vscode-notebook-cell:/nb.ipynb#W0sZmlsZQ%3D%3D",
    ];
    for (i, uri) in uris.iter().enumerate() {
        let text = format!("{TEXT}# {i}\n");
        server.open(uri, 1, &text);
        server.await_diagnostics(uri, 1);
        assert_text(&mut server, uri, &text);
        let symbols = server.request("textDocument/documentSymbol", text_document(uri));
        assert_eq!(symbols[0]["name"], "ConfigMap settings", "{uri}: {symbols}");
        server.close(uri);
    }
    // Watched-file events for them are skipped, not read.
    let changes: Vec<Value> = uris.iter().map(|u| json!({"uri": u, "type": 1})).collect();
    server.notify("workspace/didChangeWatchedFiles", json!({"changes": changes}));
    // Percent-encoding that is not valid in a URI at all: the message cannot be read, and
    // the server says so and goes on.
    let id = server.send_request("textDocument/hover", at("file:///repo/%zz.yaml", 0, 0));
    let response = server.response(id);
    assert_eq!(response["error"]["code"], -32602, "{response}");
    server.open(URI, 1, TEXT);
    assert_text(&mut server, URI, TEXT);
    assert!(server.stderr().contains("non-file URI"), "{}", server.stderr());
    server.shutdown_and_exit();
}
