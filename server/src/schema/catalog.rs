//! Schema loaders: the only part of `schema/` that reads files or fetches URLs.
//!
//! * A CRD catalog directory in the datreeio/CRDs-catalog layout,
//!   `{group}/{kind lowercased}_{version}.json`. Those files are the CRDs' `openAPIV3Schema`
//!   converted to JSON with `additionalProperties: false` on named objects but not on the root,
//!   and without `apiVersion`/`kind` enums; they go through the same conversion as workspace
//!   CRDs ([`crd::resource_schema`]) so both behave alike.
//! * Kubernetes schemas of another version in kubeconform's layout, from a directory or a URL
//!   template ([`KubeconformSource`]), downloaded once and cached on disk.
//! * A plain schema file or URL named by a modeline or a setting ([`load_schema`]).

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::crd;
use super::modeline::{SchemaLocation, resolve_location};

/// Why a schema could not be loaded. Messages say what was looked for and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The location does not have this schema (missing file or directory, HTTP 404).
    NotFound(String),
    /// The file or URL could not be read (permissions, network, server error).
    Unreachable(String),
    /// The content is not a JSON schema, or the location template is malformed.
    Invalid(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotFound(m) | LoadError::Unreachable(m) | LoadError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for LoadError {}

/// The catalog file for a kind, if the catalog has one: `{dir}/{group}/{kind}_{version}.json`
/// with the kind lowercased.
pub fn catalog_lookup(dir: &Path, group: &str, version: &str, kind: &str) -> Option<PathBuf> {
    let path = dir.join(group).join(format!("{}_{version}.json", kind.to_lowercase()));
    path.is_file().then_some(path)
}

/// Loads a catalog file and makes it a strict, self-contained resource schema (root strict,
/// `apiVersion`/`kind` pinned, `metadata` checked against ObjectMeta).
pub fn load_catalog_schema(path: &Path, group: &str, version: &str, kind: &str) -> Result<Value, LoadError> {
    let openapi = read_json_file(path)?;
    Ok(crd::resource_schema(Some(&openapi), group, version, kind))
}

/// [`catalog_lookup`] then [`load_catalog_schema`]; `Ok(None)` when the catalog lacks the kind.
pub fn load_from_catalog(dir: &Path, group: &str, version: &str, kind: &str) -> Result<Option<Value>, LoadError> {
    catalog_lookup(dir, group, version, kind).map(|p| load_catalog_schema(&p, group, version, kind)).transpose()
}

/// A schema named by a modeline or a setting: a JSON file (relative to the document's
/// directory) or a URL (cached under `cache_dir` when given; only the cache is read when
/// `offline`). Used as is.
pub fn load_schema(
    location: &str,
    document_path: Option<&Path>,
    cache_dir: Option<&Path>,
    offline: bool,
) -> Result<Value, LoadError> {
    match resolve_location(location, document_path) {
        SchemaLocation::File(path) => read_json_file(&path),
        SchemaLocation::Url(url) => {
            let text = fetch_cached(&url, cache_dir, offline).map_err(|e| match e {
                Fetch::NotFound(status) => LoadError::NotFound(format!("schema {url} not found (HTTP {status})")),
                Fetch::Failed(reason) => LoadError::Unreachable(format!("cannot fetch schema {url}: {reason}")),
            })?;
            parse_json(&text, &url)
        }
    }
}

/// Kubernetes JSON schemas of one version in kubeconform's layout (e.g. a checkout or mirror of
/// yannh/kubernetes-json-schema), from a directory or an `http(s)://` URL.
///
/// `location` is either a base (directory or URL) under which kubeconform's default layout
/// `{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`
/// is used, or a full template ending in `json` with kubeconform's variables:
/// * `NormalizedKubernetesVersion`: `v` + the version (`1.29` is taken as `v1.29.0`, the
///   directory names those repositories use), or `master`;
/// * `StrictSuffix`: `-strict` (the embedded schemas are strict, so these are too);
/// * `ResourceKind`: the kind, lowercased; `ResourceAPIVersion`: the version (`v1`);
/// * `Group`: the API group (empty for the core group);
/// * `KindSuffix`: `-{first label of the group}-{version}`, or `-{version}` for the core group
///   (`deployment-apps-v1.json`, `ingress-networking-v1.json`, `service-v1.json`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeconformSource {
    pub location: String,
    /// e.g. `1.29`, `1.29.3` or `master`.
    pub kubernetes_version: String,
    /// Where downloaded schemas are kept (one file per URL); no caching when `None`.
    pub cache_dir: Option<PathBuf>,
    /// Read the cache only; never download.
    pub offline: bool,
}

const DEFAULT_LAYOUT: &str =
    "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json";

impl KubeconformSource {
    /// The file path or URL of one kind's schema.
    pub fn schema_location(&self, group: &str, version: &str, kind: &str) -> Result<String, LoadError> {
        let template = if self.location.ends_with("json") {
            self.location.clone()
        } else {
            format!("{}/{DEFAULT_LAYOUT}", self.location.trim_end_matches('/'))
        };
        render(&template, |name| {
            Some(match name {
                "NormalizedKubernetesVersion" => normalized_version(&self.kubernetes_version),
                "StrictSuffix" => "-strict".into(),
                "ResourceKind" => kind.to_lowercase(),
                "ResourceAPIVersion" => version.into(),
                "Group" => group.to_lowercase(),
                "KindSuffix" => match group.split('.').next().filter(|g| !g.is_empty()) {
                    Some(first) => format!("-{}-{version}", first.to_lowercase()),
                    None => format!("-{version}"),
                },
                _ => return None,
            })
        })
        .map_err(|e| LoadError::Invalid(format!("schema location {:?}: {e}", self.location)))
    }

    /// The schema of one kind. `Ok(None)` when a directory has this Kubernetes version but not
    /// the kind (so a custom resource can be looked up elsewhere); an error when the version
    /// itself is missing, the server answers 404, or the file is not a schema. Never falls back
    /// silently to another version.
    pub fn load(&self, group: &str, version: &str, kind: &str) -> Result<Option<Value>, LoadError> {
        let location = self.schema_location(group, version, kind)?;
        let not_found = |reason: String| {
            LoadError::NotFound(format!(
                "Kubernetes {} schemas not found at {}: {reason}",
                self.kubernetes_version, self.location
            ))
        };
        if location.starts_with("http://") || location.starts_with("https://") {
            let text = fetch_cached(&location, self.cache_dir.as_deref(), self.offline).map_err(|e| match e {
                Fetch::NotFound(status) => not_found(format!("{location} returned HTTP {status}")),
                Fetch::Failed(reason) => LoadError::Unreachable(format!(
                    "cannot fetch Kubernetes {} schemas from {}: {reason}",
                    self.kubernetes_version, self.location
                )),
            })?;
            return parse_json(&text, &location).map(Some);
        }
        let path = match resolve_location(&location, None) {
            SchemaLocation::File(p) => p,
            SchemaLocation::Url(u) => {
                return Err(LoadError::Invalid(format!("unsupported schema location {u}: use a directory or http(s)")));
            }
        };
        if path.is_file() {
            return read_json_file(&path).map(Some);
        }
        match path.parent() {
            Some(dir) if dir.is_dir() => Ok(None),
            Some(dir) => Err(not_found(format!("no directory {}", dir.display()))),
            None => Err(not_found(format!("no file {}", path.display()))),
        }
    }
}

fn normalized_version(v: &str) -> String {
    if v == "master" {
        return v.into();
    }
    let v = v.strip_prefix('v').unwrap_or(v);
    if v.split('.').count() == 2 { format!("v{v}.0") } else { format!("v{v}") }
}

/// Go-template style `{{ .Name }}` substitution, the subset kubeconform locations use.
fn render(template: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("unclosed {{")?;
        let name = after[..end].trim();
        let var = name.strip_prefix('.').ok_or_else(|| format!("unsupported template action {{{{ {name} }}}}"))?;
        out.push_str(&value(var).ok_or_else(|| format!("unknown template variable .{var}"))?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn read_json_file(path: &Path) -> Result<Value, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => LoadError::NotFound(format!("schema file {} not found", path.display())),
        _ => LoadError::Unreachable(format!("cannot read schema file {}: {e}", path.display())),
    })?;
    parse_json(&text, &path.display().to_string())
}

fn parse_json(text: &str, origin: &str) -> Result<Value, LoadError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| LoadError::Invalid(format!("{origin} is not valid JSON: {e}")))?;
    if value.is_object() || value.is_boolean() {
        Ok(value)
    } else {
        Err(LoadError::Invalid(format!("{origin} is not a JSON schema (expected an object)")))
    }
}

enum Fetch {
    NotFound(u16),
    Failed(String),
}

/// A CRD schema from an online catalog in the CRDs-catalog layout
/// (`{base}/{group}/{kind lowercased}_{version}.json`), cached on disk like any download.
/// `Ok(None)` when the catalog does not have the kind (HTTP 404) or cannot be reached: the
/// kind is then simply unknown, as without the catalog.
pub fn load_from_online_catalog(
    base: &str,
    group: &str,
    version: &str,
    kind: &str,
    cache_dir: Option<&Path>,
    offline: bool,
) -> Result<Option<Value>, LoadError> {
    let url = format!("{}/{group}/{}_{version}.json", base.trim_end_matches('/'), kind.to_lowercase());
    match fetch_cached(&url, cache_dir, offline) {
        Ok(text) => {
            parse_json(&text, &url).map(|openapi| Some(crd::resource_schema(Some(&openapi), group, version, kind)))
        }
        Err(Fetch::NotFound(_) | Fetch::Failed(_)) => Ok(None),
    }
}

/// Downloads `url`, or reads it from the cache. Only successful, valid-JSON answers are cached,
/// so a transient failure is retried next time.
fn fetch_cached(url: &str, cache_dir: Option<&Path>, offline: bool) -> Result<String, Fetch> {
    let cached = cache_dir.map(|d| d.join(cache_file_name(url)));
    if let Some(text) = cached.as_ref().and_then(|p| std::fs::read_to_string(p).ok())
        && serde_json::from_str::<Value>(&text).is_ok()
    {
        return Ok(text);
    }
    if offline {
        return Err(Fetch::Failed("offline (not downloading; nothing cached)".into()));
    }
    let text = fetch(url)?;
    if let Some(path) = cached
        && serde_json::from_str::<Value>(&text).is_ok()
    {
        // A cache that cannot be written only costs a download next time.
        let _ = write_atomically(&path, &text);
    }
    Ok(text)
}

/// Schemas of big CRDs run to a few MB; this bounds a misbehaving server.
const MAX_SCHEMA_BYTES: u64 = 64 << 20;

/// A host that could not be reached is not asked again for this long: one run of `check`
/// (or a burst of edits) pays for a dead host once, a server retries later.
const HOST_FAILURE_TTL: Duration = Duration::from_secs(120);

/// Set (to anything but `0`) to download schemas from loopback addresses only, so a test run
/// can never reach the network.
pub const LOOPBACK_ONLY_ENV: &str = "GITOPS_LS_SCHEMAS_LOOPBACK_ONLY";

fn host_failures() -> &'static Mutex<HashMap<String, (Instant, String)>> {
    static FAILURES: OnceLock<Mutex<HashMap<String, (Instant, String)>>> = OnceLock::new();
    FAILURES.get_or_init(Default::default)
}

/// `scheme://host[:port]` of a URL, the unit whose failures are remembered.
pub fn url_host(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

fn is_loopback(url: &str) -> bool {
    let host = url_host(url);
    let host = &host[host.find("://").map_or(0, |i| i + 3)..];
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Why this host is not being asked, if it failed recently.
fn recent_host_failure(host: &str) -> Option<String> {
    let mut failures = host_failures().lock().unwrap_or_else(PoisonError::into_inner);
    match failures.get(host) {
        Some((at, reason)) if at.elapsed() < HOST_FAILURE_TTL => Some(reason.clone()),
        Some(_) => {
            failures.remove(host);
            None
        }
        None => None,
    }
}

fn fetch(url: &str) -> Result<String, Fetch> {
    if std::env::var(LOOPBACK_ONLY_ENV).is_ok_and(|v| !v.is_empty() && v != "0") && !is_loopback(url) {
        return Err(Fetch::Failed(format!("{LOOPBACK_ONLY_ENV} is set: not contacting {}", url_host(url))));
    }
    let host = url_host(url).to_string();
    if let Some(reason) = recent_host_failure(&host) {
        return Err(Fetch::Failed(reason));
    }
    // Short timeouts: a dead host or a DNS that never answers must not stall a whole check.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(Duration::from_secs(3)))
        .timeout_connect(Some(Duration::from_secs(3)))
        .timeout_global(Some(Duration::from_secs(20)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| {
        // The host itself failed (DNS, connection, TLS, timeout): remember it for the others.
        let reason = format!("{host} unreachable: {e}");
        host_failures()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(host.clone(), (Instant::now(), reason.clone()));
        Fetch::Failed(reason)
    })?;
    let status = response.status().as_u16();
    if status == 404 || status == 410 {
        return Err(Fetch::NotFound(status));
    }
    if !(200..300).contains(&status) {
        return Err(Fetch::Failed(format!("HTTP {status}")));
    }
    response.body_mut().with_config().limit(MAX_SCHEMA_BYTES).read_to_string().map_err(|e| Fetch::Failed(e.to_string()))
}

/// A stable, readable file name per URL: a 64-bit FNV-1a hash (stable across Rust releases,
/// unlike `DefaultHasher`) plus the URL's last segment.
fn cache_file_name(url: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in url.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let tail: String = url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .take(80)
        .collect();
    format!("{hash:016x}-{tail}")
}

fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "kustomization_tests.rs"]
mod kustomization_tests;
