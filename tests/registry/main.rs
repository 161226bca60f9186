//! End-to-end tests of image features against a real registry: the CNCF distribution registry
//! (`docker-registry`) on 127.0.0.1, filled with skopeo from OCI layouts written here. One
//! instance is open, one requires htpasswd basic auth (credentials from a docker config.json in
//! a temporary HOME). `tests/registry/setup.sh` installs the tools when they are missing; when
//! it cannot, the tests fail, unless `GITOPS_LS_SKIP_REGISTRY_TESTS=1` asks to skip them.
//!
//! Every registry runs under a watchdog shell that holds the read end of a pipe from this
//! process: when the test binary ends, however it ends, the pipe closes and the watchdog kills
//! the registry. A registry dropped earlier is killed by its guard.

#[allow(dead_code)]
#[path = "../e2e/harness.rs"]
mod harness;

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use harness::Server;
use serde_json::{Value, json};

const URI: &str = "file:///repo/app/pod.yaml";
const TAGS: [&str; 5] = ["1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "latest"];
const USER: &str = "ci";
const PASSWORD: &str = "s3cret-pw";

/// Set to `1` to skip the registry tests when their tools cannot be installed.
const SKIP_ENV: &str = "GITOPS_LS_SKIP_REGISTRY_TESTS";

/// Runs `PROGRAM ARGS...` with stdin from /dev/null, prints its pid, then kills it when its
/// own stdin (a pipe from the test process) reaches end of file.
const WATCHDOG: &str = r#""$@" </dev/null >/dev/null 2>&1 & child=$!
echo "$child"
read -r _ || true
kill "$child" 2>/dev/null
wait "$child"
exit 0"#;

/// A process that cannot outlive the test binary: killed when this is dropped, and by its
/// watchdog when the test process exits without dropping it (a static, a panic, a signal).
struct Watched {
    watchdog: Child,
    /// Closing it (explicitly or by the process ending) tells the watchdog to kill.
    pipe: Option<ChildStdin>,
    pid: u32,
}

impl Watched {
    fn spawn(program: &str, args: &[&str]) -> Watched {
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("watchdog")
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sh");
        let mut line = String::new();
        BufReader::new(watchdog.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let pid = line.trim().parse().unwrap_or_else(|_| panic!("watchdog for {program} printed {line:?}"));
        Watched { pipe: watchdog.stdin.take(), watchdog, pid }
    }

    /// Kills the process and waits until it is gone.
    fn stop(&mut self) {
        drop(self.pipe.take());
        let _ = self.watchdog.wait();
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A running registry, under a [`Watched`] guard.
struct Registry {
    port: u16,
    _process: Watched,
    _dir: tempfile::TempDir,
}

struct Fixture {
    open: Registry,
    auth: Registry,
    /// The HOME with a docker config.json holding the auth registry's credentials.
    home: tempfile::TempDir,
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs the tools if needed; `Err` with the reason when that is impossible.
fn tools() -> Result<(), String> {
    if have("docker-registry") && have("skopeo") && have("htpasswd") {
        return Ok(());
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/registry/setup.sh");
    let status = Command::new("bash").arg(&script).stdin(Stdio::null()).status().map_err(|e| e.to_string())?;
    if status.success() && have("docker-registry") && have("skopeo") && have("htpasswd") {
        Ok(())
    } else {
        Err(format!("{} could not install docker-registry, skopeo and apache2-utils", script.display()))
    }
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().expect("sha256sum");
    String::from_utf8(out.stdout).unwrap().split_whitespace().next().unwrap().to_string()
}

/// An OCI layout with one blob store; `add` returns (digest, size).
struct Layout {
    dir: PathBuf,
}

impl Layout {
    fn new(dir: PathBuf) -> Layout {
        std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
        std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        Layout { dir }
    }

    fn add(&self, bytes: &[u8]) -> (String, usize) {
        let tmp = self.dir.join("blob.tmp");
        std::fs::write(&tmp, bytes).unwrap();
        let hex = sha256(&tmp);
        std::fs::rename(&tmp, self.dir.join("blobs/sha256").join(&hex)).unwrap();
        (format!("sha256:{hex}"), bytes.len())
    }

    /// A one-layer image for `os/arch`; returns the manifest descriptor.
    fn image(&self, arch: &str, created: &str) -> Value {
        let (layer, layer_size) = self.add(format!("layer for {arch} {created}").as_bytes());
        let config = json!({
            "created": created, "architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer]}, "config": {}
        });
        let (config_digest, config_size) = self.add(config.to_string().as_bytes());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}]
        });
        let (digest, size) = self.add(manifest.to_string().as_bytes());
        json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size,
               "platform": {"os": "linux", "architecture": arch}})
    }

    fn write_index(&self, name: &str, descriptor: &Value) {
        let mut d = descriptor.clone();
        d["annotations"] = json!({"org.opencontainers.image.ref.name": name});
        let index = json!({"schemaVersion": 2, "manifests": [d]});
        std::fs::write(self.dir.join("index.json"), index.to_string()).unwrap();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_registry(htpasswd: Option<&Path>) -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let auth = htpasswd.map_or(String::new(), |p| {
        format!("auth:\n  htpasswd:\n    realm: gitops-ls-test\n    path: {}\n", p.display())
    });
    let config = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
        dir.path().join("data").display()
    );
    let config_path = dir.path().join("config.yml");
    std::fs::write(&config_path, config).unwrap();
    let process = Watched::spawn("docker-registry", &["serve", config_path.to_str().unwrap()]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "registry did not start on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Registry { port, _process: process, _dir: dir }
}

fn skopeo_copy(layout: &Path, name: &str, dest: &str, creds: Option<&str>, all: bool) {
    let mut cmd = Command::new("skopeo");
    cmd.args(["--insecure-policy", "copy", "--dest-tls-verify=false"]);
    if all {
        cmd.arg("--all");
    }
    if let Some(c) = creds {
        cmd.args(["--dest-creds", c]);
    }
    let out = cmd
        .arg(format!("oci:{}:{name}", layout.display()))
        .arg(format!("docker://{dest}"))
        .stdin(Stdio::null())
        .output()
        .expect("run skopeo");
    assert!(out.status.success(), "skopeo copy to {dest}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Pushes `team/app` with every tag of [`TAGS`] and `team/multi:1.0.0`, an image index for
/// linux/amd64 and linux/arm64.
fn fill(reg: &Registry, creds: Option<&str>) {
    let work = tempfile::tempdir().unwrap();
    for (i, tag) in TAGS.iter().enumerate() {
        let layout = Layout::new(work.path().join(format!("app-{i}")));
        let descriptor = layout.image("amd64", &format!("2024-0{}-01T00:00:00Z", i + 1));
        layout.write_index("img", &descriptor);
        skopeo_copy(&layout.dir, "img", &format!("127.0.0.1:{}/team/app:{tag}", reg.port), creds, false);
    }
    let layout = Layout::new(work.path().join("multi"));
    let amd = layout.image("amd64", "2024-06-01T12:00:00Z");
    let arm = layout.image("arm64", "2024-06-01T12:00:00Z");
    let index =
        json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [amd, arm]});
    let (digest, size) = layout.add(index.to_string().as_bytes());
    layout.write_index(
        "multi",
        &json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size}),
    );
    skopeo_copy(&layout.dir, "multi", &format!("127.0.0.1:{}/team/multi:1.0.0", reg.port), creds, true);
}

/// The registries, started once for all tests. When the tools cannot be installed the tests
/// fail, or are skipped (`None`, said on stderr) with `GITOPS_LS_SKIP_REGISTRY_TESTS=1`.
fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            if let Err(why) = tools() {
                assert!(
                    std::env::var(SKIP_ENV).is_ok_and(|v| v == "1"),
                    "registry tests cannot run: {why} (set {SKIP_ENV}=1 to skip them)"
                );
                eprintln!("SKIPPED registry tests ({SKIP_ENV}=1): {why}");
                return None;
            }
            let open = start_registry(None);
            fill(&open, None);
            let home = tempfile::tempdir().unwrap();
            let htpasswd = home.path().join("htpasswd");
            let status = Command::new("htpasswd")
                .args(["-Bbc"])
                .arg(&htpasswd)
                .args([USER, PASSWORD])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            assert!(status.success(), "htpasswd");
            let auth = start_registry(Some(&htpasswd));
            fill(&auth, Some(&format!("{USER}:{PASSWORD}")));
            let docker = home.path().join(".docker");
            std::fs::create_dir_all(&docker).unwrap();
            let encoded = base64(format!("{USER}:{PASSWORD}").as_bytes());
            let config = json!({"auths": {format!("127.0.0.1:{}", auth.port): {"auth": encoded}}});
            std::fs::write(docker.join("config.json"), config.to_string()).unwrap();
            Some(Fixture { open, auth, home })
        })
        .as_ref()
}

fn base64(data: &[u8]) -> String {
    let out =
        Command::new("base64").arg("-w0").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        });
    String::from_utf8(out.unwrap().stdout).unwrap()
}

/// A server whose HOME (docker config) and cache are the fixture's own.
fn start_server(f: &Fixture, home: &Path) -> Server {
    let cache = tempfile::tempdir().unwrap().keep();
    let _ = f;
    let mut s = Server::start_with_env(&[
        ("HOME", home.to_str().unwrap()),
        ("XDG_CACHE_HOME", cache.to_str().unwrap()),
        ("DOCKER_CONFIG", home.join(".docker").to_str().unwrap()),
    ]);
    s.initialize(false);
    s
}

fn pod(image: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: {image}\n"
    )
}

/// Completion at the end of line 7 until the server has the whole list.
fn complete_until_complete(server: &mut Server, character: u32) -> Vec<String> {
    loop {
        let list = server.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": URI}, "position": {"line": 7, "character": character}}),
        );
        if list["isIncomplete"] == false {
            return list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["label"].as_str().unwrap().to_string())
                .collect();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for published diagnostics of `URI` that contain `code`.
fn await_code(server: &Server, code: &str) -> Value {
    let (_, params) = server.await_notification(&format!("a `{code}` diagnostic"), 0, |n| {
        n["method"] == "textDocument/publishDiagnostics"
            && n["params"]["uri"] == URI
            && n["params"]["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["code"] == code))
    });
    params["diagnostics"].as_array().unwrap().iter().find(|d| d["code"] == code).unwrap().clone()
}

#[test]
fn watched_processes_die_with_their_guard_or_the_test_process() {
    let alive = |pid: u32| Path::new(&format!("/proc/{pid}")).exists();
    let mut sleeper = Watched::spawn("sleep", &["600"]);
    let pid = sleeper.pid;
    assert!(alive(pid));
    sleeper.stop();
    assert!(!alive(pid), "sleep {pid} outlived its guard");

    // A writer that ends without closing its end (as this test binary does with the registries
    // in a static) closes it by ending: `true` plays that process here.
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"true | sh -c "$1" watchdog sleep 600"#)
        .arg("outer")
        .arg(WATCHDOG)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let pid: u32 = String::from_utf8(out.stdout).unwrap().trim().parse().unwrap();
    assert!(!alive(pid), "sleep {pid} outlived the process holding its pipe");
}

#[test]
fn completes_tags_newest_first_and_digests() {
    let Some(f) = fixture() else { return };
    let mut server = start_server(f, f.home.path());
    let image = format!("127.0.0.1:{}/team/app:", f.open.port);
    let text = pod(&image);
    server.open(URI, 1, &text);
    let column = text.lines().nth(7).unwrap().len() as u32;
    assert_eq!(complete_until_complete(&mut server, column), ["2.0.0-rc.1", "1.10.0", "1.2.0", "1.0.0", "latest"]);

    // A typed prefix filters; after `@` comes the digest of the typed tag.
    server.change(URI, 2, vec![harness::insert(7, column, "1.1")]);
    assert_eq!(complete_until_complete(&mut server, column + 3), ["1.10.0"]);
    server.change(URI, 3, vec![harness::insert(7, column + 3, "0.0@")]);
    let digests = complete_until_complete(&mut server, column + 7);
    assert_eq!(digests.len(), 1);
    assert!(digests[0].starts_with("sha256:") && digests[0].len() == 71, "{digests:?}");
    server.shutdown_and_exit();
}

#[test]
fn hover_shows_digest_and_platforms() {
    let Some(f) = fixture() else { return };
    let mut server = start_server(f, f.home.path());
    let text = pod(&format!("127.0.0.1:{}/team/multi:1.0.0", f.open.port));
    server.open(URI, 1, &text);
    let markdown = loop {
        let hover = server.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": {"line": 7, "character": 20}}),
        );
        let md = hover["contents"]["value"].as_str().unwrap_or("").to_string();
        if md.contains("Digest:") {
            break md;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(markdown.contains("- Registry: `127.0.0.1:"), "{markdown}");
    assert!(markdown.contains("- Repository: `team/multi`"), "{markdown}");
    assert!(markdown.contains("- Digest: `sha256:"), "{markdown}");
    assert!(markdown.contains("- Platforms: linux/amd64, linux/arm64"), "{markdown}");
    assert!(markdown.contains("- Created: 2024-06-01T12:00:00Z"), "{markdown}");
    assert!(markdown.contains("- Size: "), "{markdown}");
    server.shutdown_and_exit();
}

#[test]
fn missing_tag_is_an_error_and_latest_can_be_pinned() {
    let Some(f) = fixture() else { return };
    let mut server = start_server(f, f.home.path());
    let repo = format!("127.0.0.1:{}/team/app", f.open.port);
    server.open(URI, 1, &pod(&format!("{repo}:1.3.0")));
    let missing = await_code(&server, "image-tag-missing");
    assert_eq!(missing["severity"], 1);
    assert!(missing["message"].as_str().unwrap().contains("tag `1.3.0` does not exist"), "{missing}");

    let end = 13 + format!("{repo}:1.3.0").len() as u32;
    server.change(URI, 2, vec![json!({"range": harness::range(7, 13, 7, end), "text": format!("{repo}:latest")})]);
    await_code(&server, "image-latest");
    let pin = loop {
        let actions = server.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": URI}, "range": harness::range(7, 20, 7, 20), "context": {"diagnostics": []}}),
        );
        let found = actions
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"].as_str().unwrap().starts_with("Pin to digest"))
            .cloned();
        if let Some(a) = found {
            break a;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let new_text = pin["edit"]["changes"][URI][0]["newText"].as_str().unwrap();
    assert!(new_text.starts_with(":latest@sha256:") && new_text.len() == ":latest@".len() + 71, "{new_text}");
    server.shutdown_and_exit();
}

#[test]
fn credentials_come_from_the_docker_config() {
    let Some(f) = fixture() else { return };
    let image = format!("127.0.0.1:{}/team/app:", f.auth.port);
    let text = pod(&image);
    let column = text.lines().nth(7).unwrap().len() as u32;

    let mut server = start_server(f, f.home.path());
    server.open(URI, 1, &text);
    assert_eq!(complete_until_complete(&mut server, column)[0], "2.0.0-rc.1");
    server.shutdown_and_exit();

    // Without credentials: access denied, said in a diagnostic that names no secret.
    let empty = tempfile::tempdir().unwrap();
    let mut server = start_server(f, empty.path());
    server.open(URI, 1, &pod(&format!("{image}1.0.0")));
    let denied = await_code(&server, "image-registry");
    assert!(denied["message"].as_str().unwrap().contains("access denied"), "{denied}");
    assert!(!server.stderr().contains(PASSWORD));
    server.shutdown_and_exit();
}

#[test]
fn a_hanging_registry_does_not_block_the_editor() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().flatten().collect();
        drop(held);
    });
    let home = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut server = Server::start_with_env(&[
        ("HOME", home.path().to_str().unwrap()),
        ("XDG_CACHE_HOME", cache.path().to_str().unwrap()),
    ]);
    server.initialize(false);
    let text = pod(&format!("127.0.0.1:{port}/team/app:"));
    server.open(URI, 1, &text);
    let column = text.lines().nth(7).unwrap().len() as u32;
    let list = server.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": 7, "character": column}}),
    );
    assert_eq!(list["isIncomplete"], true, "{list}");
    assert_eq!(list["items"], json!([]));
    // Other requests answer while the fetch hangs.
    let symbols = server.request("textDocument/documentSymbol", json!({"textDocument": {"uri": URI}}));
    assert_eq!(symbols[0]["name"], "Pod p");
    let hover = server
        .request("textDocument/hover", json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 2}}));
    assert!(hover["contents"]["value"].as_str().is_some());
    server.shutdown_and_exit();
}

#[test]
fn check_asks_the_registry_with_check_images() {
    let Some(f) = fixture() else { return };
    let repo = format!("127.0.0.1:{}/team/app", f.open.port);
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("pod.yaml");
    std::fs::write(&manifest, pod(&format!("{repo}:1.3.0"))).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
            .arg("check")
            .args(extra)
            .arg(&manifest)
            .env("HOME", f.home.path())
            .env("XDG_CACHE_HOME", cache.path())
            .env("GITOPS_LS_REGISTRY_LOOPBACK_ONLY", "1")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    // Offline by default: nothing to say about an existing-looking tag.
    let (code, stdout) = run(&[]);
    assert_eq!(code, Some(0), "{stdout}");
    // With --check-images the registry says the tag does not exist.
    let (code, stdout) = run(&["--check-images"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("tag `1.3.0` does not exist"), "{stdout}");
    assert!(stdout.contains("[image-tag-missing]"), "{stdout}");
}
