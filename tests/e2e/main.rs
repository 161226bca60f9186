//! End-to-end tests: the real `gitops-ls` binary over stdio.

mod check_cli;
mod ci_integration;
mod configsync;
mod harness;
mod hostile_yaml;
mod ignore_comments;
mod limits;
mod liveness;
mod parity;
mod project_settings;
mod protocol;
mod repository;
mod schema_status;
mod workspace_fs;

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
    let names: Vec<&str> = symbols.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["ConfigMap settings", "Deployment web"]);
    let deployment = &symbols[1];
    assert_eq!(deployment["detail"], "apps/v1");
    // The selection is the `kind` value on line 8 (0-based).
    assert_eq!(
        deployment["selectionRange"],
        json!({"start": {"line": 8, "character": 6}, "end": {"line": 8, "character": 16}})
    );
    let children: Vec<&str> =
        deployment["children"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(children, vec!["apiVersion", "kind", "metadata", "spec"]);
    let folds = server.request("textDocument/foldingRange", json!({"textDocument": {"uri": URI}}));
    let lines: Vec<(u64, u64)> = folds
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["startLine"].as_u64().unwrap(), f["endLine"].as_u64().unwrap()))
        .collect();
    for expected in [(0, 5), (2, 3), (4, 5), (7, 12), (9, 10), (11, 12)] {
        assert!(lines.contains(&expected), "fold {expected:?} missing from {lines:?}");
    }
    let first = server.request("gitops-ls/parseCount", json!({"uri": URI})).as_u64().unwrap();
    assert_eq!(first, 2, "both documents parsed once");
    server.change(URI, 2, vec![insert(12, 12, "1")]);
    let second = server.request("gitops-ls/parseCount", json!({"uri": URI})).as_u64().unwrap();
    assert_eq!(second, first + 1, "only the edited document is parsed again");

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
    assert!(stdout.contains("gitops-ls check [OPTIONS] PATH"), "{stdout}");
    for args in [&["--bogus"][..], &["bogus"], &["lsp", "extra"], &["--version", "extra"]] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(stdout.is_empty() && stderr.contains("gitops-ls:"), "{args:?}: {stderr}");
    }
}

#[test]
fn one_keystroke_in_a_thousand_documents_reparses_and_revalidates_one() {
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  k: v\n"));
    }
    let mut server = Server::start();
    server.initialize(true);
    server.open(URI, 1, &text);
    server.await_diagnostics(URI, 1);
    let before = server.request("gitops-ls/parseCount", json!({"uri": URI})).as_u64().unwrap();
    assert_eq!(before, 1000);
    let validated = server.request("gitops-ls/validationCount", json!({"uri": URI})).as_u64().unwrap();
    assert_eq!(validated, 1000);
    // Line 7*500+4 is `  name: cm-500`.
    server.change(URI, 2, vec![insert(7 * 500 + 4, 14, "7")]);
    let diagnostics = server.await_diagnostics(URI, 2);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let after = server.request("gitops-ls/parseCount", json!({"uri": URI})).as_u64().unwrap();
    assert_eq!(after - before, 1);
    let now = server.request("gitops-ls/validationCount", json!({"uri": URI})).as_u64().unwrap();
    assert_eq!(now - validated, 1, "only the edited document is validated again");
    // A typo there is still found, on the right line, with the other 999 taken from the cache.
    server.change(URI, 3, vec![insert(7 * 500 + 5, 0, "zq")]);
    let diagnostics = server.await_diagnostics(URI, 3);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["range"]["start"]["line"], 7 * 500 + 5);
    let last = server.request("gitops-ls/validationCount", json!({"uri": URI})).as_u64().unwrap();
    assert_eq!(last - now, 1);
    let symbols = server.request("textDocument/documentSymbol", json!({"textDocument": {"uri": URI}}));
    assert_eq!(symbols.as_array().unwrap().len(), 1000);
    assert_eq!(symbols[500]["name"], "ConfigMap cm-5007");
    server.shutdown_and_exit();
}

#[test]
fn yaml_problems_are_published_on_exact_ranges() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n---\nbad: [1, 2\n---\nkind: Secret\n";
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, text);
    let diagnostics = server.await_diagnostics(URI, 1);
    let summary: Vec<(String, Value, String)> = diagnostics
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["range"].clone(), d["severity"].to_string()))
        .collect();
    assert_eq!(summary.len(), 2, "{diagnostics:?}");
    assert_eq!(summary[0].0, "duplicate-key");
    assert_eq!(summary[0].1, json!({"start": {"line": 4, "character": 2}, "end": {"line": 4, "character": 6}}));
    assert_eq!(summary[0].2, "1");
    assert_eq!(summary[1].0, "yaml-syntax");
    assert_eq!(
        summary[1].1,
        json!({"start": {"line": 6, "character": 5}, "end": {"line": 6, "character": 6}}),
        "the unclosed `[`"
    );
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("duplicate key `name`"));
    // Fix the duplicate: the first problem goes away, the broken document's stays.
    server.change(URI, 2, vec![json!({"range": range(4, 2, 4, 6), "text": "namespace"})]);
    let diagnostics = server.await_diagnostics(URI, 2);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["source"], "gitops-ls");
    server.shutdown_and_exit();
}

#[test]
fn schema_diagnostics_quick_fixes_and_schema_info() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    example.com/on: yes\nspec:\n  replica: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
    let mut server = Server::start();
    server.initialize(false);
    server.open(URI, 1, text);
    let diagnostics = server.await_diagnostics(URI, 1);
    let codes: Vec<&str> = diagnostics.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["yaml11-type", "unknown-field"], "{diagnostics:?}");
    assert_eq!(
        diagnostics[1]["range"],
        json!({"start": {"line": 7, "character": 2}, "end": {"line": 7, "character": 9}})
    );
    assert!(diagnostics[1]["message"].as_str().unwrap().contains("did you mean `replicas`?"));

    let actions = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": range(7, 3, 7, 3), "context": {"diagnostics": []}}),
    );
    let action = &actions[0];
    assert_eq!(action["title"], "Change to `replicas`");
    assert_eq!(action["kind"], "quickfix");
    let edit = &action["edit"]["changes"][URI][0];
    assert_eq!(edit["range"], json!({"start": {"line": 7, "character": 2}, "end": {"line": 7, "character": 9}}));
    assert_eq!(edit["newText"], "replicas");

    let quote = server.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": range(5, 21, 5, 21), "context": {"diagnostics": []}}),
    );
    assert_eq!(quote[0]["edit"]["changes"][URI][0]["newText"], "\"yes\"");

    // Apply both fixes: the document is clean.
    server.change(URI, 2, vec![json!({"range": range(7, 2, 7, 9), "text": "replicas"})]);
    server.change(URI, 3, vec![json!({"range": range(5, 20, 5, 23), "text": "\"yes\""})]);
    assert_eq!(server.await_diagnostics(URI, 3), Vec::<Value>::new());

    let info = server.request("gitops-ls/schemaInfo", json!({"uri": URI}));
    assert_eq!(info["label"], "apps/v1 Deployment");
    assert!(info["source"].as_str().unwrap().starts_with("embedded Kubernetes 1."), "{info}");
    assert!(info["sourceUri"].as_str().unwrap().ends_with("#deployment-v1-apps"), "{info}");
    server.shutdown_and_exit();
}

fn file_uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn workspace_crds_patches_and_settings() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::create_dir_all(root.join("crds")).unwrap();
    std::fs::create_dir_all(root.join("apps")).unwrap();
    let crd = include_str!("../fixtures/crds/stable.example.com_crontabs.yaml");
    std::fs::write(root.join("crds/crontab.yaml"), crd).unwrap();
    std::fs::write(
        root.join("apps/kustomization.yaml"),
        "resources: [deploy.yaml]\npatches:\n  - path: replicas.yaml\n",
    )
    .unwrap();

    let mut server = Server::start();
    server.initialize_workspace(root, json!({"gitops-ls": {"validation": {"unknownKindSeverity": "off"}}}));

    // A custom resource is validated against the CRD found on disk.
    let cr_uri = file_uri(&root.join("apps/cron.yaml"));
    let cr = "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: c\nspec:\n  cronSpec: \"* * * * */5\"\n  image: my-cron\n  replica: 1\n";
    server.open(&cr_uri, 1, cr);
    let found = server.await_notification("unknown-field on the CR", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == cr_uri.as_str()
            && n["params"]["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["code"] == "unknown-field"))
    });
    let diags = found.1["diagnostics"].as_array().unwrap().clone();
    let diag = diags.iter().find(|d| d["code"] == "unknown-field").unwrap();
    assert!(diag["message"].as_str().unwrap().contains("did you mean `replicas`?"), "{diag}");

    // Editing the open CRD changes the CR's validation live: allow `replica`.
    let crd_uri = file_uri(&root.join("crds/crontab.yaml"));
    server.open(&crd_uri, 1, crd);
    let at = crd.find("                replicas:").expect("replicas in the CRD");
    let line = crd[..at].matches('\n').count() as u32;
    server.change(&crd_uri, 2, vec![json!({"range": range(line, 16, line, 24), "text": "replica"})]);
    server.await_notification("the CR re-validated clean", found.0 + 1, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == cr_uri.as_str()
            && n["params"]["diagnostics"].as_array().is_some_and(|d| d.is_empty())
    });

    // The kustomization's patch is a partial object: no missing required fields.
    let patch_uri = file_uri(&root.join("apps/replicas.yaml"));
    server.open(&patch_uri, 1, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n");
    assert_eq!(server.await_diagnostics(&patch_uri, 1), Vec::<Value>::new());
    // The same file not used as a patch is missing `selector` and `template`.
    let other_uri = file_uri(&root.join("apps/other.yaml"));
    server.open(&other_uri, 1, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n");
    assert_eq!(server.await_diagnostics(&other_uri, 1).len(), 2);

    // Settings: unknown kinds were off; turning them on re-publishes with the warning.
    let unknown_uri = file_uri(&root.join("apps/widget.yaml"));
    server.open(&unknown_uri, 1, "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n");
    assert_eq!(server.await_diagnostics(&unknown_uri, 1), Vec::<Value>::new());
    let before = server.notification_count();
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"gitops-ls": {"validation": {"unknownKindSeverity": "error"}}}}),
    );
    // Other re-validations (a schema lookup that settles) may publish in between: wait for the
    // answer that carries the new setting.
    let (_, n) = server.await_notification("unknown-kind after the settings change", before, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == unknown_uri.as_str()
            && n["params"]["diagnostics"].as_array().is_some_and(|d| !d.is_empty())
    });
    assert_eq!(n["diagnostics"][0]["code"], "unknown-kind");
    assert_eq!(n["diagnostics"][0]["severity"], 1);
    server.shutdown_and_exit();
}

/// `initialize` as an editor with snippet support does it; returns the capabilities.
fn initialize_with_snippets(server: &mut Server) -> Value {
    let params = json!({
        "processId": null,
        "rootUri": null,
        "capabilities": {
            "general": {"positionEncodings": ["utf-16"]},
            "textDocument": {"completion": {"completionItem": {"snippetSupport": true}}}
        }
    });
    let caps = server.request("initialize", params)["capabilities"].clone();
    server.notify("initialized", json!({}));
    caps
}

fn at(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: nginx
";

#[test]
fn hover_from_the_embedded_schemas() {
    let mut server = Server::start();
    let caps = initialize_with_snippets(&mut server);
    assert_eq!(caps["hoverProvider"], true);
    server.open(URI, 1, DEPLOYMENT);
    let hover = server.request("textDocument/hover", at(5, 4));
    assert_eq!(hover["contents"]["kind"], "markdown");
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.starts_with("**replicas** `integer`"), "{markdown}");
    assert!(markdown.contains("`Deployment.spec.replicas`"), "{markdown}");
    assert_eq!(hover["range"], range(5, 2, 5, 10));
    // On `kind`: the resource and where its schema comes from.
    let hover = server.request("textDocument/hover", at(1, 8));
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("Schema: embedded Kubernetes 1."), "{markdown}");
    // Nothing on blank space, nothing without a schema.
    assert_eq!(server.request("textDocument/hover", at(11, 0)), Value::Null);
    server.open("file:///repo/other.yaml", 1, "foo: bar\n");
    let other = json!({"textDocument": {"uri": "file:///repo/other.yaml"}, "position": {"line": 0, "character": 1}});
    assert_eq!(server.request("textDocument/hover", other), Value::Null);
    server.shutdown_and_exit();
}

#[test]
fn completion_while_typing() {
    let mut server = Server::start();
    let caps = initialize_with_snippets(&mut server);
    assert_eq!(caps["completionProvider"]["triggerCharacters"], json!([" ", "/"]));
    assert_eq!(caps["completionProvider"]["resolveProvider"], false);
    server.open(URI, 1, DEPLOYMENT);

    // A half-typed key on a new line of the container.
    server.change(URI, 2, vec![insert(11, 0, "          imagePull")]);
    let list = server.request("textDocument/completion", at(11, 19));
    assert_eq!(list["isIncomplete"], false);
    let items = list["items"].as_array().unwrap();
    let item = items.iter().find(|i| i["label"] == "imagePullPolicy").expect("imagePullPolicy offered");
    assert!(!items.iter().any(|i| i["label"] == "image" || i["label"] == "name"), "existing keys are left out");
    assert_eq!(item["kind"], 10, "property");
    assert_eq!(item["insertTextFormat"], 2, "snippet");
    assert_eq!(item["textEdit"]["range"], range(11, 10, 11, 19));
    assert_eq!(item["textEdit"]["newText"], "imagePullPolicy: ${1|Always,Never,IfNotPresent|}");

    // Then its value.
    server.change(URI, 3, vec![json!({"range": range(11, 10, 11, 19), "text": "imagePullPolicy: "})]);
    let list = server.request("textDocument/completion", at(11, 27));
    let labels: Vec<&str> = list["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Always", "Never", "IfNotPresent"]);

    // A new document after `---` offers skeletons.
    server.change(URI, 4, vec![insert(11, 27, "Always\n---\n")]);
    let list = server.request("textDocument/completion", at(13, 0));
    let items = list["items"].as_array().unwrap();
    let service = items.iter().find(|i| i["label"] == "Service").expect("Service skeleton");
    assert_eq!(service["kind"], 15, "snippet");
    assert!(service["textEdit"]["newText"].as_str().unwrap().starts_with("apiVersion: v1\nkind: Service\n"));
    server.shutdown_and_exit();
}

#[test]
fn completion_without_snippet_support_is_plain_text() {
    let mut server = Server::start();
    server.initialize(true);
    server.open(URI, 1, "apiVersion: v1\nkind: Service\nspec:\n  ty\n");
    let list = server.request("textDocument/completion", at(3, 4));
    let item = list["items"].as_array().unwrap().iter().find(|i| i["label"] == "type").unwrap().clone();
    assert_eq!(item["insertTextFormat"], 1);
    assert_eq!(item["textEdit"]["newText"], "type: ClusterIP");
    server.shutdown_and_exit();
}

fn check(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
        .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn check_on_the_example_repository() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let (code, stdout, _) = check(&[examples]);
    assert_eq!(code, Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].ends_with(
        "apps/base/redis/statefulset.yaml:33:11: error: duplicate key `resources` (first defined on line 28): Kubernetes rejects objects with repeated keys [duplicate-key]"
    ));
    assert_eq!(lines[1], "18 resources, 1 error, 0 warnings in 15 files");

    let (code, sarif, stderr) = check(&["--format", "sarif", examples]);
    assert_eq!(code, Some(1));
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);
    assert_eq!(stderr.trim(), "18 resources, 1 error, 0 warnings in 15 files");
}

#[test]
fn check_learns_crds_from_the_tree_and_reports_every_rule() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    std::fs::write(root.join("crd.yaml"), include_str!("../fixtures/crds/stable.example.com_crontabs.yaml")).unwrap();
    std::fs::write(
        root.join("cron.yaml"),
        "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: c\nspec:\n  replica: 1\n---\napiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: old\n",
    )
    .unwrap();
    std::fs::write(root.join("values.yaml"), "replicaCount: 2\nimage: {tag: yes}\n").unwrap();
    let (code, json, _) = check(&["--format", "json", root.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    let v: Value = serde_json::from_str(&json).unwrap();
    let codes: Vec<&str> = v["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["unknown-field", "removed-api"], "{json}");
    assert_eq!(v["diagnostics"][0]["line"], 6);
    assert_eq!(v["summary"]["resources"], 3);

    // Another Kubernetes version that cannot be loaded is an error, not a silent fallback.
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(root.join("cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n").unwrap();
    let location = empty.path().to_str().unwrap();
    let cm = root.join("cm.yaml");
    let (code, stdout, _) =
        check(&["--kubernetes-version", "1.29", "--schema-location", location, cm.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("Kubernetes 1.29 schemas not found"), "{stdout}");
    let (code, _, stderr) = check(&["--format", "yaml", "."]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown format"));
}

/// A Flux repository using substitution, a kustomize placeholder Namespace, SOPS and chart
/// values (tests/fixtures/gitops): nothing false is reported, and each API-server rule broken in
/// `broken/` is reported on its line.
#[test]
fn check_gitops_conventions_fixture() {
    let fixture = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gitops"));
    let repo = tempfile::tempdir().unwrap();
    let mut dirs = vec![fixture.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let to = repo.path().join(path.strip_prefix(fixture).unwrap());
            if path.is_dir() {
                std::fs::create_dir_all(&to).unwrap();
                dirs.push(path);
            } else {
                std::fs::copy(&path, &to).unwrap();
            }
        }
    }
    // The Flux CRDs, as a repository that installs them would have them.
    std::fs::create_dir_all(repo.path().join("crds")).unwrap();
    for (name, text) in [
        ("helmreleases.yaml", include_str!("../fixtures/crds/helm.toolkit.fluxcd.io_helmreleases.yaml")),
        ("kustomizations.yaml", include_str!("../fixtures/crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml")),
    ] {
        std::fs::write(repo.path().join("crds").join(name), text).unwrap();
    }
    let (code, json, _) = check(&["--format", "json", repo.path().to_str().unwrap()]);
    assert_eq!(code, Some(1), "{json}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let root = repo.path().to_str().unwrap().to_string();
    let found: Vec<(String, u64, String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let path = d["path"].as_str().unwrap();
            let rel = path.strip_prefix(&root).unwrap_or(path).trim_start_matches('/').to_string();
            (
                rel,
                d["line"].as_u64().unwrap(),
                d["severity"].as_str().unwrap().into(),
                d["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, String, String)> = [
        ("apps/media/secret.sops.yaml", 8, "info", "sops-encrypted"),
        ("broken/workload.yaml", 11, "error", "k8s-selector-mismatch"),
        ("broken/workload.yaml", 14, "error", "k8s-restart-policy"),
        ("broken/workload.yaml", 19, "error", "k8s-port-name"),
        ("broken/workload.yaml", 21, "error", "k8s-port-range"),
        ("broken/workload.yaml", 24, "error", "k8s-requests-exceed-limits"),
        ("broken/workload.yaml", 27, "error", "k8s-probe-handler"),
        ("broken/workload.yaml", 30, "error", "k8s-volume-not-found"),
        ("broken/workload.yaml", 32, "error", "k8s-duplicate-container-name"),
        ("broken/workload.yaml", 37, "error", "k8s-duplicate-volume-name"),
        ("broken/workload.yaml", 46, "error", "k8s-restart-policy"),
        ("broken/workload.yaml", 48, "error", "k8s-image-required"),
        ("broken/workload.yaml", 58, "error", "k8s-service-port-name-required"),
        ("broken/workload.yaml", 59, "error", "k8s-service-port-name-required"),
        ("broken/workload.yaml", 62, "error", "k8s-name-required"),
        ("broken/workload.yaml", 67, "error", "unknown-kind"),
    ]
    .iter()
    .map(|(p, l, s, c)| (p.to_string(), *l, s.to_string(), c.to_string()))
    .collect();
    assert_eq!(found, expected, "{json}");
    assert_eq!(v["summary"]["resources"], 13, "{json}");
}

/// The editor reports the same conventions and API-server rules as `check`.
#[test]
fn editor_diagnostics_follow_gitops_conventions_and_api_rules() {
    let mut server = Server::start();
    server.initialize(false);
    let text = "\
apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  token: ENC[AES256_GCM,data:dG9r,iv:aXY=,tag:dGFn,type:str]
sops:
  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
  lastmodified: \"2024-05-01T10:00:00Z\"
---
apiVersion: batch/v1
kind: Job
metadata:
  name: ${JOB_NAME}
spec:
  backoffLimit: ${RETRIES:=3}
  template:
    spec:
      containers:
        - name: migrate
          image: ghcr.io/org/migrate:1.0
";
    server.open(URI, 1, text);
    let diags = server.await_diagnostics(URI, 1);
    let got: Vec<(u64, &str, u64)> = diags
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["code"].as_str().unwrap(),
                d["severity"].as_u64().unwrap(),
            )
        })
        .collect();
    // Information on the `sops` key; the Job's template has no restartPolicy (its `spec` key).
    assert_eq!(got, vec![(6, "sops-encrypted", 3), (17, "k8s-restart-policy", 1)], "{diags:?}");
    server.shutdown_and_exit();
}

#[test]
fn check_offline_resolves_known_modelines_and_reports_an_unloadable_one_once() {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/modelines");
    let (code, json, _) = check(&["--offline", "--format", "json", repo]);
    assert_eq!(code, Some(1), "{json}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let found: Vec<(String, u64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let path = d["path"].as_str().unwrap();
            let rel = path.split("fixtures/modelines/").nth(1).unwrap_or(path).to_string();
            (rel, d["line"].as_u64().unwrap(), d["code"].as_str().unwrap().to_string())
        })
        .collect();
    let expected = [
        ("apps/a/helmrelease.yaml", 2, "schema-load"),
        ("apps/b/helmrelease.yaml", 7, "missing-field"),
        ("apps/b/helmrelease.yaml", 8, "unknown-field"),
        ("flux/apps.yaml", 11, "wrong-type"),
        ("kustomization.yaml", 9, "unknown-field"),
    ];
    let expected: Vec<(String, u64, String)> =
        expected.iter().map(|(p, l, c)| (p.to_string(), *l, c.to_string())).collect();
    assert_eq!(found, expected, "{json}");
    let warning = &v["diagnostics"][0]["message"];
    let warning = warning.as_str().unwrap();
    assert!(warning.contains("offline"), "{warning}");
    assert!(
        warning.contains("also used in 1 other file: ") && warning.ends_with("apps/b/helmrelease.yaml)"),
        "{warning}"
    );
    assert_eq!(v["summary"]["resources"], 5, "{json}");
}
