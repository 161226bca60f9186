//! Config Sync: `check` finds what `nomos vet` finds in the fixture roots (each finding of
//! `expected.txt`, no more), prints it the way nomos does with `--format nomos`, and the
//! server publishes the same findings while a file of a root is edited.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::harness::Server;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/configsync").join(name)
}

fn check(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
        .args(["check", "--offline"])
        .args(args)
        .arg(root)
        .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
        .output()
        .unwrap()
}

/// `path:line:col: KNVxxxx` of every Config Sync finding, sorted.
fn knv_findings(root: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = check(root, &all);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let prefix = format!("{}/", root.display());
    let mut found: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"].as_str().unwrap().starts_with("KNV"))
        .map(|d| {
            let path = d["path"].as_str().unwrap().trim_start_matches(&prefix).to_string();
            format!("{path}:{}:{}: {}", d["line"], d["column"], d["code"].as_str().unwrap())
        })
        .collect();
    found.sort();
    found
}

fn expected(root: &Path) -> Vec<String> {
    let mut lines: Vec<String> =
        std::fs::read_to_string(root.join("expected.txt")).unwrap().lines().map(str::to_string).collect();
    lines.sort();
    lines
}

#[test]
fn check_finds_exactly_the_expected_findings_of_every_fixture_root() {
    let mut total = 0;
    for (name, format) in [
        ("hierarchy-invalid", "hierarchy"),
        ("hierarchy-valid", "hierarchy"),
        ("unstructured-invalid", "unstructured"),
        ("unstructured-valid", "unstructured"),
    ] {
        let root = fixture(name);
        let want = expected(&root);
        assert_eq!(knv_findings(&root, &["--source-format", format]), want, "{name}");
        total += want.len();
    }
    // Not a comparison of empty lists.
    assert!(total >= 25, "{total} findings expected in all");
    // A hierarchical root is recognised by its system/repo.yaml without being told.
    let root = fixture("hierarchy-invalid");
    assert_eq!(knv_findings(&root, &[]), expected(&root));
}

#[test]
fn the_nomos_format_prints_and_exits_as_nomos_vet() {
    let out = check(&fixture("hierarchy-invalid"), &["--format", "nomos"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    // 14 findings; the two of one name collision read the same and are printed once.
    assert!(text.starts_with("Error: 13 error(s)"), "{text}");
    assert!(text.contains("KNV1020: "), "{text}");
    assert!(text.contains("source: namespaces/prod/namespace.yaml"), "{text}");
    assert!(text.contains("For more information, see https://g.co/cloud/acm-errors#knv1020"), "{text}");
    // Schema findings are not nomos's: a valid root passes whatever else gitops-ls reports.
    let out = check(&fixture("unstructured-valid"), &["--format", "nomos", "--source-format", "unstructured"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "✅ No validation issues found.\n");
}

#[test]
fn the_server_vets_the_root_of_an_open_document_as_it_is_edited() {
    let root = fixture("hierarchy-invalid");
    let mut server = Server::start();
    server.ignore_server_requests();
    server.initialize_workspace(&root, json!({"offline": true, "images": {"checkTags": false}}));
    let path = root.join("namespaces/prod/namespace.yaml");
    let uri = format!("file://{}", path.display());
    let text = std::fs::read_to_string(&path).unwrap();
    server.open(&uri, 1, &text);
    let with = |code: &'static str, want: bool| {
        let uri = uri.clone();
        move |n: &Value| {
            n["method"] == "textDocument/publishDiagnostics"
                && n["params"]["uri"] == uri.as_str()
                && n["params"]["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == code) == want
        }
    };
    let (at, params) = server.await_notification("KNV1020", 0, with("KNV1020", true));
    let d = params["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "KNV1020").unwrap().clone();
    assert_eq!(d["range"]["start"], json!({"line": 3, "character": 8}));
    // Naming the Namespace after its directory fixes it.
    let fixed = text.replace("name: production", "name: prod");
    assert_ne!(fixed, text, "the fixture names its Namespace `production`");
    server.change(&uri, 2, vec![json!({"text": fixed})]);
    server.await_notification("KNV1020 gone", at + 1, with("KNV1020", false));
    server.shutdown_and_exit();
}

fn copy_tree(from: &Path, to: &Path) {
    let mut stack = vec![from.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.strip_prefix(from).unwrap());
            if path.is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                stack.push(path);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
}

#[test]
fn selectors_resolve_hover_says_where_objects_land_and_a_setting_declares_a_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    copy_tree(&fixture("hierarchy-valid"), &root);
    // A selector nothing matches, and a directory only the setting makes a root.
    let nothing = "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: nobody\nspec:\n  selector:\n    matchLabels:\n      team: none\n";
    std::fs::write(root.join("namespaces/eng/namespace-selector-nobody.yaml"), nothing).unwrap();
    std::fs::create_dir_all(root.join("extra")).unwrap();
    std::fs::write(root.join("extra/cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n")
        .unwrap();
    let mut server = Server::start();
    server.ignore_server_requests();
    server.initialize_workspace(
        &root,
        json!({"offline": true, "images": {"checkTags": false}, "configSync": {"roots": {"extra": "unstructured"}}}),
    );
    let uri = |rel: &str| format!("file://{}", root.join(rel).display());
    let open = |server: &mut Server, rel: &str| {
        let text = std::fs::read_to_string(root.join(rel)).unwrap();
        server.open(&uri(rel), 1, &text);
    };
    let published = |rel: &str, code: &'static str| {
        let uri = uri(rel);
        move |n: &Value| {
            n["method"] == "textDocument/publishDiagnostics"
                && n["params"]["uri"] == uri.as_str()
                && n["params"]["diagnostics"].as_array().unwrap().iter().any(|d| d["code"] == code)
        }
    };
    // Repository findings come once the scan is done: navigation answers from then on.
    open(&mut server, "namespaces/eng/namespace-selector-nobody.yaml");
    let (_, params) = server.await_notification(
        "selector-matches-nothing",
        0,
        published("namespaces/eng/namespace-selector-nobody.yaml", "selector-matches-nothing"),
    );
    let d =
        &params["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "selector-matches-nothing").unwrap();
    assert_eq!((&d["severity"], &d["range"]["start"]), (&json!(2), &json!({"line": 5, "character": 2})));
    open(&mut server, "extra/cm.yaml");
    server.await_notification("KNV1036 in the declared root", 0, published("extra/cm.yaml", "KNV1036"));

    let at = |rel: &str, line: u32, character: u32| json!({"textDocument": {"uri": uri(rel)}, "position": {"line": line, "character": character}});
    let rb = "namespaces/eng/rolebinding-sre.yaml";
    open(&mut server, rb);
    // The annotation's value opens the NamespaceSelector's name.
    let found = server.request("textDocument/definition", at(rb, 5, 50));
    assert_eq!(found[0]["uri"], uri("namespaces/eng/namespace-selector-sre.yaml"));
    assert_eq!(found[0]["range"], json!({"start": {"line": 3, "character": 8}, "end": {"line": 3, "character": 21}}));
    // And back: the selector's name lists the annotation that names it.
    open(&mut server, "namespaces/eng/namespace-selector-sre.yaml");
    let found = server.request(
        "textDocument/references",
        json!({"textDocument": {"uri": uri("namespaces/eng/namespace-selector-sre.yaml")}, "position": {"line": 3, "character": 10}, "context": {"includeDeclaration": false}}),
    );
    let places: Vec<(String, Value)> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["uri"].as_str().unwrap().to_string(), l["range"]["start"].clone()))
        .collect();
    assert_eq!(places, [(uri(rb), json!({"line": 5, "character": 48}))]);
    // Hover on the RoleBinding's name: the namespaces the selector picks, every cluster.
    let hover = server.request("textDocument/hover", at(rb, 3, 10));
    let text = hover["contents"]["value"].as_str().unwrap().to_string();
    assert!(text.contains("- namespaces: `backend`, selected by NamespaceSelector `sre-supported`"), "{text}");
    assert!(text.contains("- clusters: every cluster that syncs this root"), "{text}");
    // The object with a ClusterSelector lands on the Cluster it selects.
    let config = "namespaces/eng/backend/config.yaml";
    open(&mut server, config);
    let hover = server.request("textDocument/hover", at(config, 1, 7));
    let text = hover["contents"]["value"].as_str().unwrap().to_string();
    assert!(text.contains("- clusters: `prod-us`, selected by ClusterSelector `selector-prod`"), "{text}");
    // A Namespace lists what it inherits; the analytics one is not selected by sre-supported.
    for (ns, inherited) in [
        ("backend", vec!["RoleBinding sre-admin", "RoleBinding namespace-viewers"]),
        ("analytics", vec!["RoleBinding namespace-viewers"]),
    ] {
        let rel = format!("namespaces/eng/{ns}/namespace.yaml");
        open(&mut server, &rel);
        let hover = server.request("textDocument/hover", at(&rel, 3, 9));
        let text = hover["contents"]["value"].as_str().unwrap().to_string();
        assert!(
            text.contains(&format!("- inherits {} objects from the abstract namespaces above it:", inherited.len())),
            "{text}"
        );
        for object in inherited {
            assert!(text.contains(&format!("`{object}`")), "{ns}: {object} missing in {text}");
        }
    }
    server.shutdown_and_exit();
}
