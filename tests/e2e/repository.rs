//! The repository as one system: Kustomize paths, duplicates within a build, references,
//! images and patch targets, in `check` (with related locations) and live in the server.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::Server;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/repository")
}

fn check_json(root: &Path, format: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
        .args(["check", "--offline", "--format", format])
        .arg(root)
        .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "errors expected: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn check_reports_every_repository_finding_with_its_related_locations() {
    let root = fixture();
    let report = check_json(&root, "json");
    let prefix = format!("{}/", root.display());
    let rel = |p: &Value| p.as_str().unwrap().trim_start_matches(&prefix).to_string();
    let found: Vec<(String, u64, u64, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                rel(&d["path"]),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, u64, String)> = [
        ("apps/base/deployment.yaml", 23, 23, "reference-not-found"),
        ("apps/base/service.yaml", 4, 9, "duplicate-object"),
        ("apps/prod/extra.yaml", 4, 9, "duplicate-object"),
        ("apps/prod/extra.yaml", 18, 11, "substitution-undefined"),
        ("apps/prod/extra.yaml", 20, 3, "selector-matches-nothing"),
        ("apps/prod/kustomization.yaml", 7, 5, "kustomize-missing-path"),
        ("apps/prod/kustomization.yaml", 8, 5, "kustomize-missing-path"),
        ("apps/prod/kustomization.yaml", 14, 5, "kustomize-tag-and-digest"),
        ("apps/prod/kustomization.yaml", 15, 11, "kustomize-image-unused"),
        ("apps/prod/kustomization.yaml", 19, 11, "patch-target-not-found"),
        ("apps/prod/kustomization.yaml", 21, 7, "patch-target-not-found"),
        ("clusters/prod/apps.yaml", 24, 9, "flux-path-missing"),
    ]
    .iter()
    .map(|(p, l, c, code)| (p.to_string(), *l, *c, code.to_string()))
    .collect();
    assert_eq!(found, expected);
    let by = |path: &str, code: &str| {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| rel(&d["path"]) == path && d["code"] == code)
            .cloned()
            .unwrap()
    };
    let duplicate = by("apps/prod/extra.yaml", "duplicate-object");
    assert_eq!(
        duplicate["message"],
        "Service prod/web is defined twice in the kustomize build of `kustomization.yaml` (the other definition is in \
         `../base/service.yaml`); only one of them can be applied"
    );
    let related = &duplicate["related"][0];
    assert_eq!(rel(&related["path"]), "apps/base/service.yaml");
    assert_eq!((related["line"].as_u64(), related["column"].as_u64()), (Some(4), Some(9)));
    assert_eq!(
        by("apps/base/deployment.yaml", "reference-not-found")["message"],
        "Secret `web-credentials` is not defined anywhere in this repository, which defines other Secret objects"
    );
    assert_eq!(
        by("apps/prod/kustomization.yaml", "patch-target-not-found")["message"],
        "this patch is for Deployment worker, which none of the kustomization's resources is: the patch changes nothing"
    );
    // SARIF carries the same related location.
    let sarif = check_json(&root, "sarif");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let dup = results
        .iter()
        .find(|r| {
            r["ruleId"] == "duplicate-object"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .ends_with("apps/prod/extra.yaml")
        })
        .unwrap();
    let location = &dup["relatedLocations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"].as_str().unwrap().ends_with("apps/base/service.yaml"), "{location}");
    assert_eq!(location["region"]["startLine"], 4);
}

/// A server on the workspace `root`, offline, answering the server's requests by itself.
fn serve(root: &Path) -> Server {
    let mut server = Server::start();
    server.ignore_server_requests();
    server.initialize_workspace(root, json!({"offline": true, "images": {"checkTags": false}}));
    server
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Opens the Deployment and waits until its diagnostics carry the repository's finding about
/// it: the workspace scan is done, so answers come from the whole repository.
fn open_once_scanned(server: &mut Server, root: &Path) -> String {
    let path = root.join("apps/base/deployment.yaml");
    let uri = file_uri(&path);
    server.open(&uri, 1, &std::fs::read_to_string(&path).unwrap());
    server.await_notification("the scan's findings", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == uri
            && codes(&n["params"]).contains(&"reference-not-found".to_string())
    });
    uri
}

fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn an_edit_in_one_file_makes_another_files_diagnostic_appear_and_go() {
    let root = fixture();
    let mut server = serve(&root);
    let deployment = file_uri(&root.join("apps/base/deployment.yaml"));
    let secret_path = root.join("apps/staging/secret.yaml");
    let secret = file_uri(&secret_path);
    let publication = |server: &Server, uri: &str, skip: usize, want: bool| {
        let what = format!("{uri} {} reference-not-found", if want { "with" } else { "without" });
        server.await_notification(&what, skip, |n| {
            n["method"] == "textDocument/publishDiagnostics"
                && n["params"]["uri"] == uri
                && codes(&n["params"]).contains(&"reference-not-found".to_string()) == want
        })
    };
    server.open(&deployment, 1, &std::fs::read_to_string(root.join("apps/base/deployment.yaml")).unwrap());
    // Once the workspace scan is done, the Secret the Deployment names is known to be missing.
    let (at, params) = publication(&server, &deployment, 0, true);
    let warning =
        params["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "reference-not-found").unwrap();
    assert_eq!(warning["range"]["start"], json!({"line": 22, "character": 22}));
    let text = std::fs::read_to_string(&secret_path).unwrap();
    server.open(&secret, 1, &text);
    // Renaming the Secret in another file (not saved) to the name the Deployment uses.
    let renamed = text.replace("name: registry-login", "name: web-credentials");
    server.change(&secret, 2, vec![json!({"text": renamed})]);
    let (at, _) = publication(&server, &deployment, at + 1, false);
    // And back: the warning returns.
    server.change(&secret, 3, vec![json!({"text": text})]);
    publication(&server, &deployment, at + 1, true);
    server.shutdown_and_exit();
}

#[test]
fn duplicates_point_at_the_other_definition_in_the_editor() {
    let root = fixture();
    let mut server = serve(&root);
    let extra = file_uri(&root.join("apps/prod/extra.yaml"));
    server.open(&extra, 1, &std::fs::read_to_string(root.join("apps/prod/extra.yaml")).unwrap());
    let (_, params) = server.await_notification("the duplicate", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == extra
            && codes(&n["params"]).contains(&"duplicate-object".to_string())
    });
    let d = params["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "duplicate-object").unwrap().clone();
    assert_eq!(d["severity"], 1);
    assert_eq!(d["range"], json!({"start": {"line": 3, "character": 8}, "end": {"line": 3, "character": 11}}));
    let related = &d["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], file_uri(&root.join("apps/base/service.yaml")));
    assert_eq!(related["location"]["range"]["start"], json!({"line": 3, "character": 8}));
    assert_eq!(related["message"], "the other definition");
    server.shutdown_and_exit();
}

#[test]
fn paths_and_references_navigate_across_the_repository() {
    let root = fixture();
    let mut server = Server::start();
    server.ignore_server_requests();
    let caps = server.initialize_workspace(&root, json!({"offline": true, "images": {"checkTags": false}}));
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(caps["referencesProvider"], true);
    assert_eq!(caps["workspaceSymbolProvider"], true);
    let kustomization_path = root.join("apps/prod/kustomization.yaml");
    let kustomization = file_uri(&kustomization_path);
    let deployment_path = root.join("apps/base/deployment.yaml");
    let deployment = file_uri(&deployment_path);
    server.open(&kustomization, 1, &std::fs::read_to_string(&kustomization_path).unwrap());
    server.open(&deployment, 1, &std::fs::read_to_string(&deployment_path).unwrap());
    // Navigation answers from the whole repository once it is scanned: wait for the
    // repository's own finding on the deployment.
    server.await_notification("the scan's findings", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == deployment
            && codes(&n["params"]).contains(&"reference-not-found".to_string())
    });
    let links = server.request("textDocument/documentLink", json!({"textDocument": {"uri": kustomization}}));
    let targets: Vec<(u64, String)> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["range"]["start"]["line"].as_u64().unwrap(), l["target"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        targets,
        [
            (4, file_uri(&root.join("apps/base/kustomization.yaml"))),
            (5, file_uri(&root.join("apps/prod/extra.yaml"))),
            (9, file_uri(&root.join("components/namespace/kustomization.yaml"))),
            (17, file_uri(&root.join("apps/prod/replicas.yaml"))),
            (18, file_uri(&root.join("apps/prod/ghost.yaml"))),
        ]
    );
    // `- ../base` leads to the base's kustomization.
    let at = |line: u32, character: u32, uri: &str| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
    let found = server.request("textDocument/definition", at(4, 6, &kustomization));
    assert_eq!(found[0]["uri"], file_uri(&root.join("apps/base/kustomization.yaml")));
    // The ServiceAccount name leads to its definition, and back.
    let found = server.request("textDocument/definition", at(14, 28, &deployment));
    assert_eq!(found[0]["uri"], file_uri(&root.join("apps/base/serviceaccount.yaml")));
    assert_eq!(found[0]["range"]["start"], json!({"line": 3, "character": 8}));
    let sa_path = root.join("apps/base/serviceaccount.yaml");
    let sa = file_uri(&sa_path);
    server.open(&sa, 1, &std::fs::read_to_string(&sa_path).unwrap());
    let mut params = at(3, 9, &sa);
    params["context"] = json!({"includeDeclaration": false});
    let refs = server.request("textDocument/references", params);
    assert_eq!(refs.as_array().unwrap().len(), 1, "{refs}");
    assert_eq!(refs[0]["uri"], deployment);
    assert_eq!(refs[0]["range"]["start"], json!({"line": 14, "character": 26}));
    let symbols = server.request("workspace/symbol", json!({"query": "ServiceAccount web"}));
    let first = &symbols[0];
    assert_eq!(first["name"], "ServiceAccount web");
    assert_eq!(first["location"]["uri"], sa);
    server.shutdown_and_exit();
}

#[test]
fn renaming_an_object_or_a_file_edits_what_refers_to_it() {
    let root = fixture();
    let mut server = Server::start();
    server.ignore_server_requests();
    let caps = server.initialize_workspace(&root, json!({"offline": true, "images": {"checkTags": false}}));
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert_eq!(caps["workspace"]["fileOperations"]["willRename"]["filters"][0]["pattern"]["glob"], "**/*");
    let sa_path = root.join("apps/base/serviceaccount.yaml");
    let sa = file_uri(&sa_path);
    let deployment = open_once_scanned(&mut server, &root);
    server.open(&sa, 1, &std::fs::read_to_string(&sa_path).unwrap());
    let at = json!({"textDocument": {"uri": sa}, "position": {"line": 3, "character": 9}});
    let prepared = server.request("textDocument/prepareRename", at.clone());
    assert_eq!(prepared["placeholder"], "web");
    assert_eq!(prepared["range"], json!({"start": {"line": 3, "character": 8}, "end": {"line": 3, "character": 11}}));
    let mut params = at.clone();
    params["newName"] = json!("web-runner");
    let edit = server.request("textDocument/rename", params);
    let changes = edit["changes"].as_object().unwrap();
    let mut files: Vec<&String> = changes.keys().collect();
    files.sort();
    assert_eq!(files, [&deployment, &sa]);
    assert_eq!(changes[&deployment][0]["range"]["start"], json!({"line": 14, "character": 26}));
    assert_eq!(changes[&deployment][0]["newText"], "web-runner");
    let mut bad = at.clone();
    bad["newName"] = json!("Web_Runner");
    let error = server.request_error("textDocument/rename", bad);
    assert!(error["message"].as_str().unwrap().contains("not a valid object name"), "{error}");
    // Moving service.yaml into a subdirectory rewrites the base kustomization's entry.
    let old = file_uri(&root.join("apps/base/service.yaml"));
    let new = file_uri(&root.join("apps/base/network/service.yaml"));
    let edit = server.request("workspace/willRenameFiles", json!({"files": [{"oldUri": old, "newUri": new}]}));
    let base = file_uri(&root.join("apps/base/kustomization.yaml"));
    let edits = edit["changes"][&base].as_array().unwrap();
    assert_eq!(edits.len(), 1, "{edit}");
    assert_eq!(edits[0]["newText"], "network/service.yaml");
    assert_eq!(edits[0]["range"], json!({"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 16}}));
    server.shutdown_and_exit();
}

#[test]
fn hover_shows_how_builds_render_an_object_and_what_a_patch_targets() {
    let root = fixture();
    let mut server = serve(&root);
    let sa_path = root.join("apps/base/serviceaccount.yaml");
    let sa = file_uri(&sa_path);
    open_once_scanned(&mut server, &root);
    server.open(&sa, 1, &std::fs::read_to_string(&sa_path).unwrap());
    let hover = server
        .request("textDocument/hover", json!({"textDocument": {"uri": sa}, "position": {"line": 3, "character": 9}}));
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("- `prod/web` in the kustomize build of `../prod/kustomization.yaml`"), "{text}");
    assert!(text.contains("- `staging/web` in the kustomize build of `../staging/kustomization.yaml`"), "{text}");
    assert!(text.contains("1 reference in this repository: `deployment.yaml`"), "{text}");
    let kustomization_path = root.join("apps/prod/kustomization.yaml");
    let kustomization = file_uri(&kustomization_path);
    server.open(&kustomization, 1, &std::fs::read_to_string(&kustomization_path).unwrap());
    // The JSON patch's `target:` names a Deployment the build does not have.
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": kustomization}, "position": {"line": 20, "character": 8}}),
    );
    assert_eq!(hover["contents"]["value"], "Patches nothing.");
    // A Flux variable shows what the Flux Kustomization applying the file sets it to.
    let extra_path = root.join("apps/prod/extra.yaml");
    let extra = file_uri(&extra_path);
    server.open(&extra, 1, &std::fs::read_to_string(&extra_path).unwrap());
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": extra}, "position": {"line": 16, "character": 12}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.ends_with("---\n\n**`${ENV}`**\n- `prod` from the Flux Kustomization `flux-system/apps`"), "{text}");
    server.shutdown_and_exit();
}

#[test]
fn units_are_listed_with_their_objects_and_problems() {
    let root = fixture();
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
        .args(["check", "--offline", "--units", "."])
        .current_dir(&root)
        .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let units: Vec<&str> = text.lines().filter(|l| l.starts_with("unit ")).collect();
    assert_eq!(
        units,
        [
            "unit apps/prod/kustomization.yaml (kustomize build): 6 objects in 5 files, 2 errors, 3 warnings",
            "unit apps/staging/kustomization.yaml (kustomize build): 5 objects in 5 files, 1 error, 1 warning",
        ]
    );
}

#[test]
fn the_severity_of_missing_references_is_a_setting() {
    let root = fixture();
    let run = |level: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
            .args(["check", "--offline", "--format", "json", "--missing-reference-severity", level])
            .arg(&root)
            .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let severities: Vec<String> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "reference-not-found")
            .map(|d| d["severity"].as_str().unwrap().to_string())
            .collect();
        severities
    };
    assert_eq!(run("error"), ["error"]);
    assert_eq!(run("off"), Vec::<String>::new());
    // The server: a hint, through the settings.
    let mut server = Server::start();
    server.ignore_server_requests();
    let options =
        json!({"offline": true, "images": {"checkTags": false}, "validation": {"missingReferenceSeverity": "hint"}});
    server.initialize_workspace(&root, options);
    let deployment_path = root.join("apps/base/deployment.yaml");
    let deployment = file_uri(&deployment_path);
    server.open(&deployment, 1, &std::fs::read_to_string(&deployment_path).unwrap());
    let (_, params) = server.await_notification("the hint", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == deployment
            && codes(&n["params"]).contains(&"reference-not-found".to_string())
    });
    let d =
        params["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == "reference-not-found").unwrap().clone();
    assert_eq!(d["severity"], 4);
    server.shutdown_and_exit();
}

#[test]
fn image_setters_resolve_to_their_policies_and_must_follow_the_same_image() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/image-automation");
    // Both findings are warnings: check passes, so it is run here without `check_json`.
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
        .args(["check", "--offline", "--format", "json"])
        .arg(&root)
        .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(u64, u64, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["line"].as_u64().unwrap(), d["column"].as_u64().unwrap(), d["code"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(found, [(21, 85, "image-policy-mismatch".to_string()), (23, 62, "reference-not-found".to_string())]);
    let mismatch = &report["diagnostics"][0];
    assert!(
        mismatch["message"].as_str().unwrap().contains(
            "follows ImageRepository `nginx` of `docker.io/library/nginx`, not `ghcr.io/stefanprodan/podinfo`"
        ),
        "{mismatch}"
    );
    assert_eq!(mismatch["related"][0]["line"], 25);
    // In the editor: the same warning, and the setter's policy name opens the ImagePolicy.
    let mut server = serve(&root);
    let app = file_uri(&root.join("app.yaml"));
    server.open(&app, 1, &std::fs::read_to_string(root.join("app.yaml")).unwrap());
    server.await_notification("the setter findings", 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == app.as_str()
            && codes(&n["params"]).contains(&"image-policy-mismatch".to_string())
            && codes(&n["params"]).contains(&"reference-not-found".to_string())
    });
    let found = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": app}, "position": {"line": 16, "character": 86}}),
    );
    assert_eq!(found[0]["uri"], file_uri(&root.join("automation.yaml")));
    assert_eq!(found[0]["range"]["start"], json!({"line": 12, "character": 8}));
    server.shutdown_and_exit();
}

#[test]
fn kustomization_entries_complete_the_paths_of_their_directory() {
    let root = fixture();
    let mut server = serve(&root);
    let path = root.join("apps/prod/kustomization.yaml");
    let uri = file_uri(&path);
    server.open(&uri, 1, &std::fs::read_to_string(&path).unwrap());
    let complete = |server: &mut Server, line: u32, character: u32| -> Vec<(String, String)> {
        let list = server.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        );
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["label"].as_str().unwrap().to_string(), i["textEdit"]["newText"].as_str().unwrap().to_string()))
            .collect()
    };
    // `  - e|xtra.yaml`: the directory's manifests, not the kustomization itself.
    let here = complete(&mut server, 5, 5);
    let labels: Vec<&str> = here.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["extra.yaml", "ghost.yaml", "replicas.yaml"]);
    // `  - ../base|`: what `../` holds, kustomization directories first, written as typed.
    let up = complete(&mut server, 4, 9);
    assert_eq!(up[0], ("base/".to_string(), "../base".to_string()), "{up:?}");
    assert!(up.contains(&("staging/".to_string(), "../staging".to_string())), "{up:?}");
    server.shutdown_and_exit();
}

#[test]
fn argo_cd_paths_into_this_repository_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        ".git/config",
        "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@github.com:Example/deploy.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
    );
    write("apps/guestbook/values-prod.yaml", "replicas: 2\n");
    write("apps/guestbook/Chart.yaml", "apiVersion: v2\nname: guestbook\nversion: 1.0.0\n");
    let app = |name: &str, url: &str, path: &str, values: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: {url}\n    path: {path}\n    helm:\n      valueFiles:\n        - {values}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: {name}\n"
        )
    };
    // Right; a path that is not here; a values file that is not; another repository (not judged).
    let apps = [
        app("good", "https://github.com/example/deploy", "apps/guestbook", "values-prod.yaml"),
        app("gone", "https://github.com/example/deploy.git", "apps/missing", "values.yaml"),
        app("values", "ssh://git@github.com/example/deploy.git", "apps/guestbook", "values-staging.yaml"),
        app("other", "https://github.com/example/other", "apps/missing", "values.yaml"),
    ]
    .join("---\n");
    write("argocd/apps.yaml", &apps);
    let out = Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
        .args(["check", "--offline", "--format", "json"])
        .arg(&root)
        .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(u64, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "argocd-path-missing")
        .map(|d| (d["line"].as_u64().unwrap(), d["message"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, 10 + 17, "the second Application's path: {found:?}");
    assert!(found[0].1.starts_with("directory `apps/missing` does not exist in this repository"), "{found:?}");
    assert_eq!(found[1].0, 13 + 2 * 17, "the third Application's values file: {found:?}");
    assert!(found[1].1.contains("values file `values-staging.yaml` does not exist"), "{found:?}");
}
