//! End-to-end tests: the real `gitops-ls` binary over stdio.

mod harness;

use harness::{Server, insert, range};
use serde_json::{Value, json};

const URI: &str = "file:///repo/app/deployment.yaml";

const MANIFESTS: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: \"héllo 😀\"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
";

/// The position of byte `offset` of `text`, counting characters in UTF-16 or UTF-8.
fn position_at(text: &str, offset: usize, utf16: bool) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = &before[line_start..];
    let character = if utf16 { column.encode_utf16().count() } else { column.len() };
    (line, character as u32)
}

#[test]
fn initialize_advertises_capabilities() {
    for (utf8, encoding) in [(false, "utf-16"), (true, "utf-8")] {
        let mut server = Server::start();
        let caps = server.initialize(utf8);
        assert_eq!(caps["positionEncoding"], encoding);
        assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
        assert_eq!(caps["textDocumentSync"]["openClose"], true);
        assert_eq!(caps["documentSymbolProvider"], true);
        assert_eq!(caps["foldingRangeProvider"], true);
        server.shutdown_and_exit();
    }
}

#[test]
fn diagnostics_carry_the_document_version() {
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, MANIFESTS);
    server.await_diagnostics(URI, 1);

    server.change(URI, 2, vec![insert(12, 12, "1")]);
    server.await_diagnostics(URI, 2);
    assert_eq!(server.document_text(URI).unwrap(), MANIFESTS.replace("replicas: 2", "replicas: 12"));

    // Closing clears the diagnostics and forgets the text.
    let seen = server.notification_count();
    server.close(URI);
    let (_, cleared) = server.await_notification("diagnostics cleared on close", seen, |n| {
        n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == URI
    });
    assert_eq!(cleared["diagnostics"], json!([]));
    assert_eq!(server.document_text(URI), None);

    // Re-opened: fresh diagnostics follow the clear, never the other way round.
    let seen = server.notification_count();
    server.open(URI, 1, MANIFESTS);
    server.await_notification("diagnostics after re-open", seen, |n| {
        n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == URI && n["params"]["version"] == 1
    });
    server.shutdown_and_exit();
}

#[test]
fn rapid_edits_apply_in_order() {
    const PIECES: &[&str] = &["a", "é", "😀", "中", " ", "e\u{301}", "\n", ":", "\r\n", "-"];
    let mut server = Server::start();
    server.initialize(false);
    // Insert before a tail, so an edit applied out of order lands somewhere else instead of
    // being clamped back to the end.
    const TAIL: &str = "end: true\n";
    server.open(URI, 1, TAIL);
    let mut expected = TAIL.to_string();
    let mut version = 1;
    for i in 0..300 {
        let piece = PIECES[i % PIECES.len()];
        let before_tail = expected.len() - TAIL.len();
        // Sometimes insert at the start of the current line instead.
        let offset = if i % 7 == 3 { expected[..before_tail].rfind('\n').map_or(0, |n| n + 1) } else { before_tail };
        let (line, character) = position_at(&expected, offset, true);
        expected.insert_str(offset, piece);
        version += 1;
        server.change(URI, version, vec![insert(line, character, piece)]);
    }
    assert_eq!(server.document_text(URI).unwrap(), expected);

    server.await_diagnostics(URI, version);
    let versions: Vec<i64> = server.published_versions(URI).into_iter().map(|v| v.expect("versioned")).collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "diagnostics published out of order: {versions:?}");
    assert_eq!(versions.last(), Some(&i64::from(version)));
    server.shutdown_and_exit();
}

#[test]
fn several_changes_in_one_notification() {
    let mut server = Server::start();
    server.initialize(true);
    server.open(URI, 1, "a: 1\r\nb: 2\r\n");
    server.change(
        URI,
        2,
        vec![
            json!({"range": range(0, 3, 0, 4), "text": "中文"}),
            insert(1, 4, "0"),
            // Past the line end clamps to the end of its content, before the CRLF.
            insert(0, 99, " # x"),
        ],
    );
    assert_eq!(server.document_text(URI).unwrap(), "a: 中文 # x\r\nb: 20\r\n");
    server.change(URI, 3, vec![json!({"text": "replaced: true\n"})]);
    assert_eq!(server.document_text(URI).unwrap(), "replaced: true\n");
    server.await_diagnostics(URI, 3);
    server.shutdown_and_exit();
}

#[test]
fn utf8_and_utf16_positions_after_an_emoji() {
    let text = "note: \"😀x\"\n";
    let x = text.find('x').unwrap();
    for utf8 in [true, false] {
        let mut server = Server::start();
        server.initialize(utf8);
        server.open(URI, 1, text);
        let (line, character) = position_at(text, x, !utf8);
        assert_eq!(character, if utf8 { 11 } else { 9 });
        server.change(URI, 2, vec![json!({"range": range(line, character, line, character + 1), "text": "y"})]);
        assert_eq!(server.document_text(URI).unwrap(), "note: \"😀y\"\n", "utf8 = {utf8}");
        server.shutdown_and_exit();
    }
}

#[test]
fn a_panicking_handler_answers_with_an_error() {
    let mut server = Server::start_with_env(&[("GITOPS_LS_TEST_PANIC", "1")]);
    server.expect_panics();
    server.initialize(false);
    for blocking in [false, true] {
        let error = server.request_error("gitops-ls/debugPanic", json!({"blocking": blocking}));
        assert_eq!(error["code"], -32603, "internal error: {error}");
    }
    // Still serving.
    server.open(URI, 1, MANIFESTS);
    assert_eq!(server.document_text(URI).unwrap(), MANIFESTS);
    server.await_diagnostics(URI, 1);
    server.shutdown_and_exit();
}

#[test]
fn debug_panic_is_off_by_default() {
    let mut server = Server::start();
    server.initialize(false);
    let error = server.request_error("gitops-ls/debugPanic", json!({}));
    assert_eq!(error["code"], -32601, "method not found: {error}");
    server.shutdown_and_exit();
}

#[test]
fn exit_without_shutdown_is_an_error() {
    let mut server = Server::start();
    server.initialize(false);
    let status = server.exit_without_shutdown();
    assert!(!status.success(), "exit without shutdown must not be 0");
}

// The YAML model is still a stub: these only prove the requests are served. Tighten them
// (exact symbols, fold lines, parse counts) once the tree and analysis land.
#[test]
fn symbols_folding_and_parse_count_are_served() {
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, MANIFESTS);
    let symbols = server.request("textDocument/documentSymbol", json!({"textDocument": {"uri": URI}}));
    assert!(symbols.is_array(), "{symbols}");
    let folds = server.request("textDocument/foldingRange", json!({"textDocument": {"uri": URI}}));
    assert!(folds.is_array(), "{folds}");
    let first = server.request("gitops-ls/parseCount", json!({"uri": URI})).as_u64().unwrap();
    assert!(first >= 2, "both documents parsed: {first}");
    server.change(URI, 2, vec![insert(12, 12, "1")]);
    let second = server.request("gitops-ls/parseCount", json!({"uri": URI})).as_u64().unwrap();
    // Tighten to `first + 1` (only the touched document re-parsed) once `YamlFile::edit` is real.
    assert!(second >= first, "parse count went backwards: {first} -> {second}");

    // Requests for documents that are not open answer null.
    let other = json!({"textDocument": {"uri": "file:///elsewhere.yaml"}});
    assert_eq!(server.request("textDocument/documentSymbol", other), Value::Null);
    server.shutdown_and_exit();
}

#[test]
fn command_line() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gitops-ls")).args(args).output().unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let (code, stdout, _) = run(&["--version"]);
    assert_eq!((code, stdout.trim()), (Some(0), concat!("gitops-ls ", env!("CARGO_PKG_VERSION"))));
    assert_eq!(run(&["-V"]).1, run(&["--version"]).1);
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("gitops-ls check PATH"), "{stdout}");
    for args in [&["--bogus"][..], &["bogus"], &["lsp", "extra"], &["--version", "extra"]] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(stdout.is_empty() && stderr.contains("gitops-ls:"), "{args:?}: {stderr}");
    }
}
