//! The server and `check` run one engine: on the example repository and every fixture
//! repository, the diagnostics the server publishes for each file (after its start-up scan)
//! are exactly what `check` reports for it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::Server;

/// (line, column, code, severity, message), 1-based as `check` prints them.
type Finding = (u64, u64, String, String, String);

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(root: &Path) -> BTreeMap<PathBuf, Vec<Finding>> {
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
        .args(["check", "--offline", "--format", "json"])
        .arg(root)
        .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut by_file: BTreeMap<PathBuf, Vec<Finding>> = BTreeMap::new();
    for d in report["diagnostics"].as_array().unwrap() {
        let finding = (
            d["line"].as_u64().unwrap(),
            d["column"].as_u64().unwrap(),
            d["code"].as_str().unwrap().to_string(),
            d["severity"].as_str().unwrap().to_string(),
            d["message"].as_str().unwrap().to_string(),
        );
        by_file.entry(PathBuf::from(d["path"].as_str().unwrap())).or_default().push(finding);
    }
    by_file
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

fn severity(n: &Value) -> String {
    match n.as_u64() {
        Some(1) => "error",
        Some(2) => "warning",
        Some(3) => "info",
        _ => "hint",
    }
    .to_string()
}

/// Starts the server on `root`, waits for its scan to end (`$/progress`), opens every file
/// and collects what it publishes.
fn server(root: &Path, files: &[PathBuf]) -> BTreeMap<PathBuf, Vec<Finding>> {
    let mut server = Server::start();
    server.ignore_server_requests();
    let uri = format!("file://{}", root.display());
    let params = json!({
        "processId": null,
        "rootUri": uri,
        "workspaceFolders": [{"uri": uri, "name": "repo"}],
        "initializationOptions": {"offline": true, "images": {"checkTags": false}},
        "capabilities": {
            "general": {"positionEncodings": ["utf-16"]},
            "window": {"workDoneProgress": true},
            "textDocument": {"publishDiagnostics": {"versionSupport": true}}
        }
    });
    server.request("initialize", params);
    server.notify("initialized", json!({}));
    let create = server.await_server_requests("window/workDoneProgress/create", 1).remove(0);
    server.respond(&create, Value::Null);
    server.await_notification("the end of the scan", 0, |n| {
        n["method"] == "$/progress" && n["params"]["value"]["kind"] == "end"
    });
    let mut by_file = BTreeMap::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        let file_uri = format!("file://{}", path.display());
        server.open(&file_uri, 1, &text);
        let published = server.await_diagnostics(&file_uri, 1);
        let findings: Vec<Finding> = published
            .iter()
            .map(|d| {
                (
                    d["range"]["start"]["line"].as_u64().unwrap() + 1,
                    d["range"]["start"]["character"].as_u64().unwrap() + 1,
                    d["code"].as_str().unwrap_or_default().to_string(),
                    severity(&d["severity"]),
                    d["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        if !findings.is_empty() {
            by_file.insert(path.clone(), findings);
        }
    }
    server.shutdown_and_exit();
    by_file
}

#[test]
fn the_server_and_check_agree_on_every_fixture_repository() {
    let base = repo_root();
    let mut compared = 0;
    let mut with_findings = 0;
    for rel in [
        "examples",
        "tests/fixtures/gitops",
        "tests/fixtures/modelines",
        "tests/fixtures/crds",
        "tests/fixtures/repository",
        "tests/fixtures/image-automation",
    ] {
        let root = base.join(rel);
        let mut files = Vec::new();
        yaml_files(&root, &mut files);
        assert!(!files.is_empty(), "{rel} has no YAML files");
        let mut from_check = check(&root);
        for findings in from_check.values_mut() {
            findings.sort();
        }
        let mut from_server = server(&root, &files);
        for findings in from_server.values_mut() {
            findings.sort();
        }
        assert_eq!(from_server, from_check, "{rel}: server (left) and check (right) disagree");
        compared += files.len();
        with_findings += from_check.len();
    }
    // Not a comparison of empty sets: the fixtures hold deliberate mistakes.
    assert!(compared > 30 && with_findings >= 3, "{compared} files, {with_findings} with findings");
}
