//! HTTP side of the registry API (distribution spec): tag lists with `Link` pagination,
//! manifests, config blobs; anonymous and basic bearer-token flows and plain basic auth.
//!
//! Requests are made with reqwest directly rather than through oci-client's `Client`, which
//! neither follows `Link` pages nor exposes `Retry-After` of a 429, and which would send basic
//! credentials to whatever token realm a registry names. Redirects are followed by hand so the
//! rule "credentials go only to the host they belong to" is checked at every hop.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use oci_client::manifest::{OciImageIndex, OciImageManifest};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, LINK, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{StatusCode, Url};

use super::auth::{Credentials, credentials_from, docker_config_path};
use crate::analysis::images::ImageDetails;

/// Tags asked for per page; registries may send fewer and a `Link` to the next page.
const PAGE_SIZE: usize = 1000;
/// A bound on pages, so a registry that links in circles cannot keep a fetch alive.
pub const MAX_PAGES: usize = 1000;
const MAX_REDIRECTS: usize = 5;
/// A `Retry-After` this short is waited out once; a longer one blocks the registry until then.
const SHORT_RETRY: Duration = Duration::from_secs(2);

const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Why a fetch failed, in words safe to show (no URLs with tokens, no credentials).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    RateLimited { retry_after: Duration },
    Unauthorized,
    NotFound,
    Status(u16),
    Network(String),
    Malformed(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::RateLimited { retry_after } => {
                write!(f, "rate limited by the registry; trying again in {}s", retry_after.as_secs().max(1))
            }
            FetchError::Unauthorized => {
                write!(f, "access denied; log in with `docker login` (credentials are read from ~/.docker/config.json)")
            }
            FetchError::NotFound => write!(f, "not found in the registry"),
            FetchError::Status(s) => write!(f, "the registry answered HTTP {s}"),
            FetchError::Network(e) => write!(f, "cannot reach the registry: {e}"),
            FetchError::Malformed(e) => write!(f, "the registry sent a malformed answer: {e}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Hosts (with port) reached over plain HTTP besides localhost.
    pub insecure: Vec<String>,
    pub timeout: Duration,
    /// The Docker config to read credentials from; `None` for the default location.
    pub docker_config: Option<PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions { insecure: Vec::new(), timeout: Duration::from_secs(15), docker_config: None }
    }
}

pub struct RegistryClient {
    http: reqwest::Client,
    opts: ClientOptions,
    /// Bearer tokens per (registry, repository), with their expiry.
    tokens: Mutex<HashMap<(String, String), (String, Instant)>>,
    /// Registries that answered 429, until when.
    blocked: Mutex<HashMap<String, Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `host[:port]` of a URL, the unit credentials belong to.
fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

impl RegistryClient {
    pub fn new(opts: ClientOptions) -> RegistryClient {
        // Redirects by hand, so credentials never follow one to another host.
        let http = crate::net::http_client(crate::net::HttpOptions { timeout: opts.timeout, follow_redirects: false });
        RegistryClient { http, opts, tokens: Mutex::default(), blocked: Mutex::default() }
    }

    /// The API host of a registry: Docker Hub's API is not at `docker.io`.
    fn api_host(registry: &str) -> &str {
        if registry == "docker.io" { "registry-1.docker.io" } else { registry }
    }

    fn is_plain_http(&self, registry: &str) -> bool {
        let host = registry.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()));
        let host = host.map_or(registry, |(h, _)| h);
        matches!(host, "localhost" | "127.0.0.1" | "[::1]") || self.opts.insecure.iter().any(|i| i == registry)
    }

    fn base(&self, registry: &str) -> String {
        let scheme = if self.is_plain_http(registry) { "http" } else { "https" };
        format!("{scheme}://{}", Self::api_host(registry))
    }

    fn credentials(&self, registry: &str) -> Option<Credentials> {
        let path = self.opts.docker_config.clone().or_else(docker_config_path)?;
        credentials_from(&path, registry)
    }

    /// All tags of `registry/repository`, following `Link` pages.
    pub async fn list_tags(&self, registry: &str, repository: &str) -> Result<Vec<String>, FetchError> {
        let mut url = format!("{}/v2/{repository}/tags/list?n={PAGE_SIZE}", self.base(registry));
        let mut tags = Vec::new();
        for _ in 0..MAX_PAGES {
            let (resp, final_url) = self.get(registry, repository, &url, "application/json").await?;
            let next = next_link(resp.headers()).and_then(|l| final_url.join(&l).ok());
            let body = resp.bytes().await.map_err(|e| FetchError::Network(plain_error(&e)))?;
            let page: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| FetchError::Malformed(e.to_string()))?;
            match page.get("tags") {
                Some(serde_json::Value::Array(items)) => {
                    tags.extend(items.iter().filter_map(|t| t.as_str().map(str::to_string)))
                }
                Some(serde_json::Value::Null) | None if page.get("name").is_some() => {}
                _ => return Err(FetchError::Malformed("no `tags` list".into())),
            }
            match next {
                Some(n) => url = n.to_string(),
                None => return Ok(tags),
            }
        }
        tracing::warn!("{registry}/{repository}: stopped after {MAX_PAGES} pages of tags");
        Ok(tags)
    }

    /// Digest, platforms, creation date and size of `registry/repository:tag`.
    pub async fn details(&self, registry: &str, repository: &str, tag: &str) -> Result<ImageDetails, FetchError> {
        let base = self.base(registry);
        let (body, digest, media_type) =
            self.manifest(registry, repository, &format!("{base}/v2/{repository}/manifests/{tag}")).await?;
        let mut details = ImageDetails { digest, media_type: media_type.clone(), ..Default::default() };
        let is_index =
            media_type.contains("index") || media_type.contains("manifest.list") || body.get("manifests").is_some();
        let manifest: OciImageManifest = if is_index {
            let index: OciImageIndex =
                serde_json::from_value(body).map_err(|e| FetchError::Malformed(format!("image index: {e}")))?;
            let mut chosen = None;
            for entry in &index.manifests {
                let Some(p) = &entry.platform else { continue };
                let (os, arch) = (p.os.to_string(), p.architecture.to_string());
                // Attestation manifests are listed as unknown/unknown.
                if os == "unknown" {
                    continue;
                }
                let name = match p.variant.as_deref() {
                    Some(v) => format!("{os}/{arch}/{v}"),
                    None => format!("{os}/{arch}"),
                };
                if chosen.is_none() || name == "linux/amd64" {
                    chosen = Some(entry.digest.clone());
                }
                details.platforms.push(name);
            }
            let Some(child) = chosen.or_else(|| index.manifests.first().map(|m| m.digest.clone())) else {
                return Ok(details);
            };
            let (body, _, _) =
                self.manifest(registry, repository, &format!("{base}/v2/{repository}/manifests/{child}")).await?;
            serde_json::from_value(body).map_err(|e| FetchError::Malformed(format!("image manifest: {e}")))?
        } else {
            serde_json::from_value(body).map_err(|e| FetchError::Malformed(format!("image manifest: {e}")))?
        };
        let layers: i64 = manifest.layers.iter().map(|l| l.size).sum();
        details.size = u64::try_from(layers + manifest.config.size).ok();
        let config_url = format!("{base}/v2/{repository}/blobs/{}", manifest.config.digest);
        let (resp, _) = self.get(registry, repository, &config_url, "*/*").await?;
        let body = resp.bytes().await.map_err(|e| FetchError::Network(plain_error(&e)))?;
        if let Ok(config) = serde_json::from_slice::<serde_json::Value>(&body) {
            details.created = config.get("created").and_then(|c| c.as_str()).map(str::to_string);
            if details.platforms.is_empty()
                && let (Some(os), Some(arch)) = (config["os"].as_str(), config["architecture"].as_str())
            {
                details.platforms.push(match config["variant"].as_str() {
                    Some(v) => format!("{os}/{arch}/{v}"),
                    None => format!("{os}/{arch}"),
                });
            }
        }
        Ok(details)
    }

    async fn manifest(
        &self,
        registry: &str,
        repository: &str,
        url: &str,
    ) -> Result<(serde_json::Value, String, String), FetchError> {
        let (resp, _) = self.get(registry, repository, url, MANIFEST_TYPES).await?;
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let digest = header("docker-content-digest");
        let content_type = header("content-type").unwrap_or_default();
        let body = resp.bytes().await.map_err(|e| FetchError::Network(plain_error(&e)))?;
        // The digest of a manifest is the sha256 of its bytes, for registries that omit the header.
        let digest = digest.unwrap_or_else(|| {
            use sha2::Digest;
            let hash = sha2::Sha256::digest(&body);
            format!("sha256:{}", hash.iter().map(|b| format!("{b:02x}")).collect::<String>())
        });
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| FetchError::Malformed(format!("manifest: {e}")))?;
        let media_type = json.get("mediaType").and_then(|m| m.as_str()).map_or(content_type, str::to_string);
        Ok((json, digest, media_type))
    }

    /// GET with authentication: a cached token first; on 401 the challenge decides (bearer
    /// token, or basic credentials), once each. Returns the response and the URL it came from.
    async fn get(
        &self,
        registry: &str,
        repository: &str,
        url: &str,
        accept: &str,
    ) -> Result<(reqwest::Response, Url), FetchError> {
        if let Some(until) = lock(&self.blocked).get(registry).copied()
            && until > Instant::now()
        {
            return Err(FetchError::RateLimited { retry_after: until - Instant::now() });
        }
        let url = Url::parse(url).map_err(|e| FetchError::Malformed(e.to_string()))?;
        let owner = authority(&url);
        let key = (registry.to_string(), repository.to_string());
        let mut auth =
            lock(&self.tokens).get(&key).filter(|(_, exp)| *exp > Instant::now()).map(|(t, _)| format!("Bearer {t}"));
        let (mut tried_bearer, mut tried_basic, mut waited) = (false, false, false);
        loop {
            let (resp, final_url) = self.follow(&url, &owner, auth.as_deref(), accept).await?;
            match resp.status() {
                s if s.is_success() => return Ok((resp, final_url)),
                StatusCode::UNAUTHORIZED => {
                    let challenge = resp.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or("");
                    let (scheme, params) = parse_challenge(challenge);
                    if scheme.eq_ignore_ascii_case("bearer") && !tried_bearer {
                        tried_bearer = true;
                        let token = self.token(registry, repository, &owner, &params).await?;
                        auth = Some(format!("Bearer {token}"));
                    } else if scheme.eq_ignore_ascii_case("basic") && !tried_basic {
                        tried_basic = true;
                        let Some(c) = self.credentials(registry) else { return Err(FetchError::Unauthorized) };
                        auth = Some(basic(&c));
                    } else {
                        return Err(FetchError::Unauthorized);
                    }
                }
                StatusCode::TOO_MANY_REQUESTS => {
                    let retry_after = retry_after(resp.headers()).unwrap_or(Duration::from_secs(60));
                    if retry_after <= SHORT_RETRY && !waited {
                        waited = true;
                        tokio::time::sleep(retry_after).await;
                        continue;
                    }
                    lock(&self.blocked).insert(registry.to_string(), Instant::now() + retry_after);
                    return Err(FetchError::RateLimited { retry_after });
                }
                StatusCode::NOT_FOUND => return Err(FetchError::NotFound),
                StatusCode::FORBIDDEN => return Err(FetchError::Unauthorized),
                s => return Err(FetchError::Status(s.as_u16())),
            }
        }
    }

    /// Fetches a bearer token from the challenge's realm. Basic credentials go along only when
    /// the realm is on the registry's own host (or is Docker Hub's token service for Docker Hub).
    async fn token(
        &self,
        registry: &str,
        repository: &str,
        owner: &str,
        params: &HashMap<String, String>,
    ) -> Result<String, FetchError> {
        let realm =
            params.get("realm").ok_or_else(|| FetchError::Malformed("bearer challenge without realm".into()))?;
        let mut url = Url::parse(realm).map_err(|e| FetchError::Malformed(format!("token realm: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(service) = params.get("service") {
                q.append_pair("service", service);
            }
            q.append_pair("scope", params.get("scope").map_or(&format!("repository:{repository}:pull"), |s| s));
        }
        let realm_host = authority(&url);
        let trusted = realm_host == owner || (registry == "docker.io" && realm_host == "auth.docker.io");
        let creds = if trusted { self.credentials(registry) } else { None };
        let header = creds.as_ref().map(basic);
        let (resp, _) = self.follow(&url, &realm_host, header.as_deref(), "application/json").await?;
        match resp.status() {
            s if s.is_success() => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => return Err(FetchError::Unauthorized),
            StatusCode::TOO_MANY_REQUESTS => {
                let retry_after = retry_after(resp.headers()).unwrap_or(Duration::from_secs(60));
                lock(&self.blocked).insert(registry.to_string(), Instant::now() + retry_after);
                return Err(FetchError::RateLimited { retry_after });
            }
            s => return Err(FetchError::Status(s.as_u16())),
        }
        let body = resp.bytes().await.map_err(|e| FetchError::Network(plain_error(&e)))?;
        let v: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| FetchError::Malformed(format!("token: {e}")))?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| FetchError::Malformed("token answer without a token".into()))?
            .to_string();
        let ttl = v.get("expires_in").and_then(|e| e.as_u64()).unwrap_or(60).max(10);
        // Renew a little early.
        let expiry = Instant::now() + Duration::from_secs(ttl - 5);
        lock(&self.tokens).insert((registry.to_string(), repository.to_string()), (token.clone(), expiry));
        Ok(token)
    }

    /// One GET, following redirects; `auth` is sent only to `owner` (`host:port`), never to
    /// another host a redirect points at (blob storage, a CDN).
    async fn follow(
        &self,
        url: &Url,
        owner: &str,
        auth: Option<&str>,
        accept: &str,
    ) -> Result<(reqwest::Response, Url), FetchError> {
        let mut url = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            if loopback_only() && !is_loopback(&url) {
                return Err(FetchError::Network(format!(
                    "{LOOPBACK_ONLY_ENV} is set: not contacting {}",
                    authority(&url)
                )));
            }
            let mut req = self.http.get(url.clone()).header(ACCEPT, accept);
            if let Some(a) = auth.filter(|_| authority(&url) == owner) {
                req = req.header(AUTHORIZATION, a);
            }
            let resp = req.send().await.map_err(|e| FetchError::Network(plain_error(&e)))?;
            if !resp.status().is_redirection() {
                return Ok((resp, url));
            }
            let location = resp.headers().get(LOCATION).and_then(|l| l.to_str().ok());
            let next = location.and_then(|l| url.join(l).ok());
            url = next.ok_or_else(|| FetchError::Malformed("redirect without a usable Location".into()))?;
        }
        Err(FetchError::Malformed("too many redirects".into()))
    }
}

/// An error's text without the URL (which may carry a token in its query).
fn plain_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "request failed"
    };
    kind.to_string()
}

fn basic(c: &Credentials) -> String {
    format!("Basic {}", base64_encode(format!("{}:{}", c.username, c.secret).as_bytes()))
}

fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `Bearer realm="…",service="…",scope="…"` → ("Bearer", {realm, service, scope}).
fn parse_challenge(header: &str) -> (String, HashMap<String, String>) {
    let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    let mut params = HashMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else { break };
        let key = key.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            (&q[..end], q.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        params.insert(key, value.to_string());
        rest = tail.trim_start_matches([',', ' ']);
    }
    (scheme.to_string(), params)
}

/// `</v2/x/tags/list?last=b&n=2>; rel="next"` → the URL.
fn next_link(headers: &HeaderMap) -> Option<String> {
    headers.get_all(LINK).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// `Retry-After` as seconds or as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = http_date(v)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Seconds since the epoch of an IMF-fixdate, the form HTTP/1.1 servers send.
fn http_date(v: &str) -> Option<u64> {
    let mut parts = v.split_whitespace().skip(1);
    let day: u64 = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == name)? as u64
        + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|x| x.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    // Days from the civil date (proleptic Gregorian), then seconds.
    let (y, mo) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let yoe = (y - era * 400) as u64;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe as i64 - 719_468;
    u64::try_from(days).ok().map(|d| d * 86_400 + h * 3_600 + m * 60 + s)
}

/// Set (to anything but empty or `0`) to keep every registry request on this machine: test
/// suites set it so a manifest naming `nginx` never reaches Docker Hub.
pub const LOOPBACK_ONLY_ENV: &str = "GITOPS_LS_REGISTRY_LOOPBACK_ONLY";

fn loopback_only() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var(LOOPBACK_ONLY_ENV).is_ok_and(|v| !v.is_empty() && v != "0"))
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(h) => h.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod date_tests {
    use super::http_date;

    #[test]
    fn imf_fixdates() {
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(http_date("Tue, 24 Nov 2026 18:00:00 GMT"), Some(1_795_543_200));
        assert_eq!(http_date("soon"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_links_and_encoding() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["scope"], "repository:library/nginx:pull");
        assert_eq!(parse_challenge("Basic realm=\"Registry Realm\"").0, "Basic");
        let mut h = HeaderMap::new();
        h.insert(LINK, "</v2/a/tags/list?last=x&n=2>; rel=\"next\"".parse().unwrap());
        assert_eq!(next_link(&h).as_deref(), Some("/v2/a/tags/list?last=x&n=2"));
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        assert_eq!(base64_encode(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        let c = RegistryClient::new(ClientOptions { insecure: vec!["reg.lan:80".into()], ..Default::default() });
        assert_eq!(c.base("127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(c.base("localhost"), "http://localhost");
        assert_eq!(c.base("reg.lan:80"), "http://reg.lan:80");
        assert_eq!(c.base("docker.io"), "https://registry-1.docker.io");
        assert_eq!(c.base("ghcr.io"), "https://ghcr.io");
    }
}
