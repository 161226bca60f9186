//! Files that used to abort both binaries: nesting thousands of levels deep and an anchor whose
//! value contains itself. The workspace scan reads `kustomization.yaml` and CRDs without them
//! being opened, so such files must be harmless there too.

use std::path::Path;

use serde_json::json;

use super::harness::Server;

const SELF_ALIAS: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loop\ndata:\n  a: &x [*x]\n  b: c\n";

fn deep_crd() -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: deeps.example.com\n\
         spec:\n  group: example.com\n  names:\n    kind: Deep\n    plural: deeps\n  scope: Namespaced\n  versions:\n  \
         - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: {}x{}\n",
        "{type: object, properties: {a: ".repeat(5_000),
        "}}".repeat(5_000)
    )
}

/// A 4 KB kustomization of nested sequences, a deep CRD, a block mapping 2,000 levels deep, the
/// self-referencing ConfigMap, and a well-formed CRD with one resource of its kind.
fn hostile_repo(root: &Path) {
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("kustomization.yaml", &format!("{}x\n", "- ".repeat(2_000)));
    write("crds/deep.yaml", &deep_crd());
    write("crds/crontab.yaml", include_str!("../fixtures/crds/stable.example.com_crontabs.yaml"));
    let mut map = String::new();
    for i in 0..2_000 {
        map.push_str(&"  ".repeat(i));
        map.push_str("k:\n");
    }
    write("apps/deep-map.yaml", &map);
    write("apps/loop.yaml", SELF_ALIAS);
    write("apps/cron.yaml", CRON);
}

const CRON: &str = "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: c\nspec:\n  replica: 1\n";

#[test]
fn check_reports_hostile_yaml_and_exits_normally() {
    let dir = tempfile::tempdir().unwrap();
    hostile_repo(dir.path());
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_gitops-ls")).arg("check").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "errors found, no crash\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line_of = |file: &str, code: &str| {
        stdout
            .lines()
            .find(|l| l.contains(file) && l.ends_with(&format!("[{code}]")))
            .unwrap_or_else(|| panic!("{file} {code}:\n{stdout}"))
            .to_string()
    };
    assert!(
        line_of("kustomization.yaml", "yaml-too-deep")
            .contains("kustomization.yaml:1:257: error: collections nested deeper than 128 levels")
    );
    assert!(line_of("deep.yaml", "yaml-too-deep").contains("deep.yaml:16:"));
    assert!(line_of("deep-map.yaml", "yaml-too-deep").contains("deep-map.yaml:129:257:"));
    assert!(
        line_of("loop.yaml", "alias")
            .contains("loop.yaml:6:10: error: alias *x is inside the value of its own anchor &x")
    );
    // The rest of the tree is still checked: the CronTab against its CRD.
    line_of("cron.yaml", "unknown-field");
    assert!(stdout.lines().last().unwrap().ends_with("in 6 files"), "{stdout}");
}

#[test]
fn server_scans_and_serves_hostile_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    hostile_repo(root);
    let mut server = Server::start();
    server.initialize_workspace(root, json!({}));
    // The CronTab is checked against the CRD the scan found, so the scan went through every file.
    let cron = format!("file://{}", root.join("apps/cron.yaml").display());
    server.open(&cron, 1, CRON);
    server.await_notification("the CR checked against the scanned CRD", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == cron.as_str()
            && n["params"]["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["code"] == "unknown-field"))
    });

    let kustomization = format!("file://{}", root.join("kustomization.yaml").display());
    let text = format!("{}x\n", "- ".repeat(100_000));
    server.open(&kustomization, 1, &text);
    let diagnostics = server.await_diagnostics(&kustomization, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "yaml-too-deep");
    assert_eq!(diagnostics[0]["range"]["start"], json!({"line": 0, "character": 256}));
    let doc = json!({"uri": kustomization});
    for (method, at) in
        [("textDocument/hover", 150_000), ("textDocument/completion", 199_990), ("textDocument/hover", 100)]
    {
        server.request(method, json!({"textDocument": doc, "position": {"line": 0, "character": at}}));
    }
    server.request("textDocument/documentSymbol", json!({"textDocument": doc}));
    server.request("textDocument/foldingRange", json!({"textDocument": doc}));

    let looping = format!("file://{}", root.join("apps/loop.yaml").display());
    server.open(&looping, 1, SELF_ALIAS);
    let diagnostics = server.await_diagnostics(&looping, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "alias");
    server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": looping}, "position": {"line": 5, "character": 10}}),
    );
    server.shutdown_and_exit();
}
