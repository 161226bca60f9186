//! `.gitops-ls.toml`: the project's settings, severities and excluded paths, read the same way
//! by `check` and by the server (which reloads it when it changes).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::Server;

const PROJECT: &str = r#"
exclude = ["vendor"]

[validation]
strict = false

[severity]
unknown-kind = "off"
duplicate-key = "warning"
"#;

/// A ConfigMap with a duplicate key, a Deployment with an unknown field, a kind nobody
/// defines, and a broken file under vendor/.
fn repository(root: &Path) {
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    std::fs::create_dir_all(root.join(".git")).unwrap();
    write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n  k: w\n");
    write(
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicaz: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n",
    );
    write("widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n");
    write("vendor/broken.yaml", "a: [\n");
}

/// (file name, code, severity) of every finding, sorted; and the exit status.
fn check(root: &Path, extra: &[&str]) -> (Vec<(String, String, String)>, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
        .args(["check", "--offline", "--format", "json"])
        .args(extra)
        .arg(root)
        .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let path = d["path"].as_str().unwrap();
            let name = Path::new(path).strip_prefix(root).unwrap_or(Path::new(path)).display().to_string();
            (name, d["code"].as_str().unwrap().to_string(), d["severity"].as_str().unwrap().to_string())
        })
        .collect();
    found.sort();
    (found, out.status.code())
}

#[test]
fn check_reads_the_project_file_and_the_command_line_can_skip_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    repository(&root);
    let (without, code) = check(&root, &[]);
    assert_eq!(code, Some(1), "{without:?}");
    assert!(without.iter().any(|f| f.0 == "vendor/broken.yaml"), "{without:?}");
    assert!(without.contains(&("widget.yaml".into(), "unknown-kind".into(), "warning".into())), "{without:?}");
    std::fs::write(root.join(".gitops-ls.toml"), PROJECT).unwrap();
    let (with, code) = check(&root, &[]);
    assert_eq!(
        with,
        [
            ("cm.yaml".into(), "duplicate-key".into(), "warning".into()),
            ("deploy.yaml".into(), "unknown-field".into(), "warning".into()),
        ]
    );
    assert_eq!(code, Some(0), "only warnings are left");
    // Checking a subdirectory finds the file above it.
    let (sub, _) = check(&root.join("vendor"), &[]);
    assert!(sub.is_empty(), "vendor/ is excluded when walked: {sub:?}");
    assert_eq!(check(&root, &["--no-config"]), (without.clone(), Some(1)));
    // A file named explicitly, and one that does not parse.
    std::fs::write(root.join("other.toml"), "[severity]\nduplicate-key = \"off\"\n").unwrap();
    let (other, _) = check(&root, &["--config", root.join("other.toml").to_str().unwrap()]);
    assert!(!other.iter().any(|f| f.1 == "duplicate-key"), "{other:?}");
    std::fs::write(root.join(".gitops-ls.toml"), "exclude = [\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-ls")).args(["check", "--offline"]).arg(&root).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(".gitops-ls.toml: TOML parse error"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_server_applies_the_project_file_and_reloads_it_when_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    repository(&root);
    std::fs::write(root.join(".gitops-ls.toml"), "[severity]\nduplicate-key = \"off\"\n").unwrap();
    let mut server = Server::start();
    server.ignore_server_requests();
    server.initialize_workspace(&root, json!({"offline": true, "images": {"checkTags": false}}));
    let uri = format!("file://{}", root.join("cm.yaml").display());
    let text = std::fs::read_to_string(root.join("cm.yaml")).unwrap();
    // An unknown field keeps the file from being clean either way.
    let text = text.replace("metadata:\n", "metadata:\n  labelz: {}\n");
    server.open(&uri, 1, &text);
    let codes = |n: &Value| -> Vec<String> {
        n["params"]["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect()
    };
    let published = |want_duplicate: bool| {
        let uri = uri.clone();
        move |n: &Value| {
            n["method"] == "textDocument/publishDiagnostics"
                && n["params"]["uri"] == uri.as_str()
                && codes(n).contains(&"unknown-field".to_string())
                && codes(n).contains(&"duplicate-key".to_string()) == want_duplicate
        }
    };
    let (at, _) = server.await_notification("duplicate-key turned off", 0, published(false));
    // The file changes: the duplicate key is reported again, as a warning.
    std::fs::write(root.join(".gitops-ls.toml"), "[severity]\nduplicate-key = \"warning\"\n").unwrap();
    let project = format!("file://{}", root.join(".gitops-ls.toml").display());
    server.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": project, "type": 2}]}));
    let (_, params) = server.await_notification("duplicate-key back", at + 1, published(true));
    let d = params["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "duplicate-key").unwrap().clone();
    assert_eq!(d["severity"], 2);
    server.shutdown_and_exit();
}
