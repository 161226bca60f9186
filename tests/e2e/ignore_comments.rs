//! Ignore comments (`# gitops-ls-disable-next-line`, `# gitops-ls-disable`) in `check` and in
//! the server: both drop the same diagnostics and warn about the same unknown code.

use serde_json::Value;

use crate::harness::Server;

/// A Deployment with an unknown field, a wrong type and a `:latest` image; the comments
/// ignore the first and the last (and name one code that does not exist).
pub const IGNORED: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  # gitops-ls-disable-next-line unknown-field -- kept for an old controller
  replica: 2
  replicas: two
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          # gitops-ls-disable-next-line image-latest,unknown-feild
          image: nginx:latest
";

/// `IGNORED` without its ignore comments.
pub fn without_comments() -> String {
    IGNORED.lines().filter(|l| !l.contains("gitops-ls-disable")).map(|l| format!("{l}\n")).collect()
}

/// A whole-file comment, for two `:latest` images.
pub const FILE_IGNORED: &str = "\
# gitops-ls-disable image-latest
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - {name: a, image: nginx:latest}
    - {name: b, image: redis}
";

fn codes_and_lines(diagnostics: &[Value]) -> Vec<(String, u64)> {
    let mut found: Vec<(String, u64)> = diagnostics
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["range"]["start"]["line"].as_u64().unwrap()))
        .collect();
    found.sort();
    found
}

fn owned(v: &[(&str, u64)]) -> Vec<(String, u64)> {
    v.iter().map(|(c, l)| (c.to_string(), *l)).collect()
}

#[test]
fn the_server_drops_ignored_diagnostics_and_warns_about_unknown_codes() {
    let uri = "file:///repo/apps/web.yaml";
    let mut server = Server::start();
    server.initialize(true);
    server.open(uri, 1, IGNORED);
    let diagnostics = server.await_diagnostics(uri, 1);
    // 0-based LSP lines: `replicas: two` is line 7, the comment naming `unknown-feild` line 16.
    assert_eq!(codes_and_lines(&diagnostics), owned(&[("ignore-comment", 16), ("wrong-type", 7)]), "{diagnostics:?}");
    let warning = diagnostics.iter().find(|d| d["code"] == "ignore-comment").unwrap();
    assert_eq!(warning["severity"], 2);
    assert!(warning["message"].as_str().unwrap().contains("`unknown-feild`"), "{warning}");

    // The same text without the comments has both problems back.
    server.change(uri, 2, vec![serde_json::json!({"text": without_comments()})]);
    let diagnostics = server.await_diagnostics(uri, 2);
    assert_eq!(
        codes_and_lines(&diagnostics),
        owned(&[("image-latest", 15), ("unknown-field", 5), ("wrong-type", 6)]),
        "{diagnostics:?}"
    );

    let pod = "file:///repo/apps/pod.yaml";
    server.open(pod, 1, FILE_IGNORED);
    assert_eq!(server.await_diagnostics(pod, 1), Vec::<Value>::new());
    server.shutdown_and_exit();
}
