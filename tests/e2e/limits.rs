//! What one document or one answer may cost: `maxFileSizeMb`, and bounded outlines, folding
//! ranges, quick fixes and diagnostics.

use serde_json::{Value, json};

use crate::harness::Server;
use crate::liveness::deployments;

const BIG: &str = "file:///repo/big.yaml";

fn start(options: Value, capabilities: Value) -> Server {
    let mut server = Server::start();
    server.initialize_with(json!({
        "processId": null,
        "rootUri": null,
        "initializationOptions": options,
        "capabilities": capabilities,
    }));
    server
}

fn doc(uri: &str) -> Value {
    json!({"textDocument": {"uri": uri}})
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

fn whole_file(uri: &str) -> Value {
    json!({
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 999_999, "character": 0}},
        "context": {"diagnostics": []}
    })
}

/// Every symbol of an outline, counted without recursion.
fn count_symbols(symbols: &Value) -> usize {
    let mut stack: Vec<&Value> = symbols.as_array().unwrap().iter().collect();
    let mut n = 0;
    while let Some(s) = stack.pop() {
        n += 1;
        if let Some(children) = s["children"].as_array() {
            stack.extend(children);
        }
    }
    n
}

#[test]
fn a_document_over_max_file_size_gets_one_diagnostic_and_only_cheap_features() {
    let mut server = start(json!({"maxFileSizeMb": 1}), json!({}));
    let text = deployments(4000);
    assert!(text.len() > 1 << 20);
    server.open(BIG, 1, &text);
    let diagnostics = server.await_diagnostics(BIG, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "file-too-large");
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("maxFileSizeMb"));
    // Symbols and folding still work; nothing else does.
    let symbols = server.request("textDocument/documentSymbol", doc(BIG));
    assert_eq!(symbols[0]["name"], "Deployment web-0");
    assert!(!server.request("textDocument/foldingRange", doc(BIG)).as_array().unwrap().is_empty());
    assert_eq!(server.request("textDocument/hover", at(BIG, 2, 2)), Value::Null);
    assert_eq!(server.request("textDocument/completion", at(BIG, 2, 2)), Value::Null);
    assert_eq!(server.request("textDocument/codeAction", whole_file(BIG)), Value::Null);

    // Raising the limit validates it like any other document.
    let seen = server.notification_count();
    server.notify("workspace/didChangeConfiguration", json!({"settings": {"gitops-ls": {"maxFileSizeMb": 5}}}));
    let (_, params) = server.await_notification("diagnostics under the new limit", seen, |n| {
        n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == BIG
    });
    assert_eq!(params["diagnostics"], json!([]), "{params}");
    assert!(server.request("textDocument/hover", at(BIG, 2, 2))["contents"]["value"].is_string());
    assert_eq!(server.document_text(BIG).as_deref(), Some(text.as_str()));
    server.shutdown_and_exit();
}

#[test]
fn outlines_and_folding_ranges_are_bounded() {
    let mut server = start(json!({}), json!({"textDocument": {"foldingRange": {"rangeLimit": 100}}}));
    // More documents than the outline lists: the rest are summed up in one entry.
    let many: String = (0..20_000).map(|i| format!("---\nkey{i}: {i}\n")).collect();
    server.open(BIG, 1, &many);
    let symbols = server.request("textDocument/documentSymbol", doc(BIG));
    let list = symbols.as_array().unwrap();
    assert_eq!(list.len(), 10_000);
    assert_eq!(list.last().unwrap()["name"], "… 10001 more documents", "{}", list.last().unwrap());
    assert_eq!(count_symbols(&symbols), 10_000);

    // Deep outlines keep whole levels while they fit and count the rest.
    let deep = "file:///repo/deep.yaml";
    server.open(deep, 1, &deployments(2000));
    let symbols = server.request("textDocument/documentSymbol", doc(deep));
    assert_eq!(symbols.as_array().unwrap().len(), 2000);
    assert!(count_symbols(&symbols) <= 10_000);
    let detail = symbols[0]["children"][2]["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("nested symbols not listed"), "{}", symbols[0]);
    let folds = server.request("textDocument/foldingRange", doc(deep));
    assert_eq!(folds.as_array().unwrap().len(), 100, "the client's rangeLimit");
    server.shutdown_and_exit();
}

#[test]
fn quick_fixes_and_diagnostics_are_bounded() {
    let mut server = start(json!({}), json!({"textDocument": {"publishDiagnostics": {"versionSupport": true}}}));
    // One problem in each of 1,200 documents (validation reports at most 100 per document).
    let text: String = (0..1200)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  annotations:\n    example.com/on: yes\n"))
        .collect();
    server.open(BIG, 1, &text);
    let diagnostics = server.await_diagnostics(BIG, 1);
    assert_eq!(diagnostics.len(), 1001);
    let last = diagnostics.last().unwrap();
    assert_eq!(last["code"], "too-many-problems");
    assert!(last["message"].as_str().unwrap().starts_with("200 more problems"), "{last}");
    let actions = server.request("textDocument/codeAction", whole_file(BIG));
    assert_eq!(actions.as_array().unwrap().len(), 100);
    // A fix for the line asked about is still offered.
    let one = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": BIG}, "range": {"start": {"line": 7006, "character": 21}, "end": {"line": 7006, "character": 21}}, "context": {"diagnostics": []}}),
    );
    assert_eq!(one[0]["edit"]["changes"][BIG][0]["newText"], "\"yes\"", "{one}");
    server.shutdown_and_exit();
}
