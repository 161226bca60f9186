//! Registry credentials from the Docker client configuration (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`): `auths` entries, a `credsStore` for every registry, and per-registry
//! `credHelpers`, which run `docker-credential-<name> get` with the server URL on stdin.
//!
//! Credentials never appear in `Debug` output or error messages.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials {{ username: {:?}, secret: <hidden> }}", self.username)
    }
}

/// Where the Docker configuration is.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    Some(PathBuf::from(std::env::var_os("HOME")?).join(".docker").join("config.json"))
}

/// The keys a registry may be stored under: Docker Hub's historic URL, the bare host, and the
/// host with a scheme.
fn server_keys(registry: &str) -> Vec<String> {
    if registry == "docker.io" {
        return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"]
            .map(String::from)
            .to_vec();
    }
    vec![registry.to_string(), format!("https://{registry}"), format!("http://{registry}")]
}

/// Credentials for `registry` (`docker.io`, `ghcr.io`, `127.0.0.1:5000`) from the config at
/// `path`; `None` when it has none (anonymous access).
pub fn credentials_from(path: &Path, registry: &str) -> Option<Credentials> {
    let config: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let keys = server_keys(registry);
    // A helper for this registry wins over the store and over `auths`, as in the Docker CLI.
    if let Some(helpers) = config.get("credHelpers").and_then(Value::as_object) {
        for key in &keys {
            if let Some(helper) = helpers.get(key).and_then(Value::as_str) {
                return run_helper(helper, key);
            }
        }
    }
    let auths = config.get("auths").and_then(Value::as_object);
    let entry = auths.and_then(|a| {
        a.iter().find(|(k, _)| keys.iter().any(|key| normalise_key(k) == normalise_key(key))).map(|(_, v)| v)
    });
    if let Some(found) = entry.and_then(auth_entry) {
        return Some(found);
    }
    if let Some(store) = config.get("credsStore").and_then(Value::as_str) {
        return run_helper(store, &keys[0]);
    }
    None
}

/// `https://ghcr.io/` and `ghcr.io` name the same registry.
fn normalise_key(k: &str) -> &str {
    let k = k.strip_prefix("https://").or_else(|| k.strip_prefix("http://")).unwrap_or(k);
    k.strip_suffix('/').unwrap_or(k)
}

fn auth_entry(v: &Value) -> Option<Credentials> {
    if let Some(encoded) = v.get("auth").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        let decoded = String::from_utf8(base64_decode(encoded)?).ok()?;
        let (username, secret) = decoded.split_once(':')?;
        return Some(Credentials { username: username.into(), secret: secret.into() });
    }
    if let Some(token) = v.get("identitytoken").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        return Some(Credentials { username: "<token>".into(), secret: token.into() });
    }
    let username = v.get("username")?.as_str()?;
    let password = v.get("password")?.as_str()?;
    Some(Credentials { username: username.into(), secret: password.into() })
}

/// The credential-helper protocol: `docker-credential-<name> get`, server URL on stdin, JSON
/// `{"Username", "Secret"}` on stdout. A helper that fails or is missing means anonymous.
fn run_helper(name: &str, server: &str) -> Option<Credentials> {
    run_program(&format!("docker-credential-{name}"), server)
}

fn run_program(program: &str, server: &str) -> Option<Credentials> {
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| tracing::debug!("cannot run {program}: {e}"))
        .ok()?;
    child.stdin.take()?.write_all(server.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        tracing::debug!("{program} found no credentials for {server}");
        return None;
    }
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    let username = v.get("Username")?.as_str()?.to_string();
    let secret = v.get("Secret")?.as_str()?.to_string();
    Some(Credentials { username, secret })
}

/// Standard base64 (with or without padding); `None` on anything else.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auths_and_hides_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        // "user:pa:ss" — the password may contain a colon.
        std::fs::write(
            &path,
            r#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "dXNlcjpwYTpzcw=="},
                "127.0.0.1:5000": {"username": "u", "password": "p"},
                "https://ghcr.io/": {"auth": "Z2g6dG9r"}
            }, "credHelpers": {"quay.io": "gitops-ls-test-missing-helper"}}"#,
        )
        .unwrap();
        let hub = credentials_from(&path, "docker.io").unwrap();
        assert_eq!((hub.username.as_str(), hub.secret.as_str()), ("user", "pa:ss"));
        assert_eq!(credentials_from(&path, "127.0.0.1:5000").unwrap().secret, "p");
        assert_eq!(credentials_from(&path, "ghcr.io").unwrap().secret, "tok");
        assert_eq!(credentials_from(&path, "example.com"), None);
        // A helper that cannot run means anonymous access, not a failure.
        assert_eq!(credentials_from(&path, "quay.io"), None);
        assert!(!format!("{hub:?}").contains("pa:ss"));
        assert_eq!(base64_decode("YQ").unwrap(), b"a");
        assert_eq!(base64_decode("a*b"), None);
    }

    #[test]
    fn runs_credential_helpers() {
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-fake");
        // Answers for one server only, like a real helper.
        std::fs::write(
            &helper,
            "#!/bin/sh\nread s\n[ \"$1\" = get ] && [ \"$s\" = example.com ] || exit 1\necho '{\"ServerURL\":\"example.com\",\"Username\":\"h\",\"Secret\":\"s3\"}'\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let program = helper.to_str().unwrap();
        assert_eq!(run_program(program, "example.com").unwrap().secret, "s3");
        assert_eq!(run_program(program, "other.com"), None);
    }
}
