//! Schema downloads, off the analysis path.
//!
//! Analysis asks [`Downloads::get`] for a URL and gets the schema, the reason it cannot be
//! had, or [`Poll::Pending`]: the first ask queues a background fetch (on the current tokio
//! runtime, or [`crate::net::spawn`]'s own) and returns at once. When the fetch lands the
//! revision goes up and the listener fires, so the edge validates again. Each URL is fetched
//! once however many documents name it; a network failure is logged once per URL and fetched
//! again, when asked after an exponential backoff, while the old error stands. A 404 or an
//! answer that is not a schema stays until the settings change. `check` uses batch mode: a
//! lookup waits for its fetch and failures are final, so its output never depends on timing.
//!
//! The disk cache (one file per URL, only valid JSON written) is read synchronously on the
//! first ask: files gitops-ls wrote itself, bounded by [`MAX_SCHEMA_BYTES`].

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::net::{self, GetError, HttpOptions};

/// Schemas of big CRDs run to a few MB; this bounds a misbehaving server.
pub const MAX_SCHEMA_BYTES: u64 = 64 << 20;

/// One download, body included.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A host that could not be reached is not asked again for this long: one run of `check`
/// (or a burst of edits) pays for a dead host once.
const HOST_FAILURE_TTL: Duration = Duration::from_secs(120);

/// Concurrent downloads per host.
const PER_HOST: usize = 4;

/// The first retry of a failed URL waits this long; each further one twice as long as the last.
const BACKOFF_BASE: Duration = Duration::from_secs(2);
/// The longest wait between two attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(600);

/// Set (to anything but `0`) to download schemas from loopback addresses only, so a test run
/// can never reach the network.
pub const LOOPBACK_ONLY_ENV: &str = "GITOPS_LS_SCHEMAS_LOOPBACK_ONLY";

/// Why a URL gave no schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownloadError {
    /// HTTP 404 or 410.
    NotFound(u16),
    /// No usable answer (network, server error, offline); retried after a backoff.
    Failed(String),
    /// The answer is not a JSON schema.
    Invalid(String),
}

type Listener = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
pub struct Downloads {
    state: Mutex<State>,
    /// Signalled whenever a fetch lands.
    landed: Condvar,
    revision: AtomicU64,
    on_update: Mutex<Option<Listener>>,
    client: OnceLock<reqwest::Client>,
    /// Added to the clock; tests move time forward with it.
    skew_ms: AtomicU64,
}

#[derive(Default)]
struct State {
    urls: HashMap<String, Entry>,
    hosts: HashMap<String, Host>,
    /// Fetches running (of any epoch).
    inflight: usize,
    /// Bumped when the settings change; a fetch of an older epoch is dropped when it lands.
    epoch: u64,
    cache_dir: Option<PathBuf>,
    offline: bool,
    batch: bool,
}

#[derive(Default)]
struct Entry {
    /// The latest answer; `None` until the first one lands.
    result: Option<Result<Arc<Value>, DownloadError>>,
    inflight: bool,
    /// Failed attempts in a row.
    failures: u32,
    /// When a failed URL may be fetched again.
    retry_at: Option<Instant>,
}

struct Host {
    permits: Arc<Semaphore>,
    /// When and why the host last could not be reached.
    failed: Option<(Instant, String)>,
}

impl Default for Host {
    fn default() -> Self {
        Host { permits: Arc::new(Semaphore::new(PER_HOST)), failed: None }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Downloads {
    /// Where downloads are cached and whether to download at all; a change forgets every answer.
    pub fn configure(&self, cache_dir: Option<PathBuf>, offline: bool) {
        let mut st = lock(&self.state);
        if st.cache_dir == cache_dir && st.offline == offline {
            return;
        }
        st.cache_dir = cache_dir;
        st.offline = offline;
        st.urls.clear();
        st.hosts.clear();
        st.epoch += 1;
    }

    /// Batch mode (`check`): [`Downloads::get`] waits for the answer, and failures are final.
    pub fn set_batch(&self, batch: bool) {
        lock(&self.state).batch = batch;
    }

    /// Called (on a runtime thread) whenever a fetch lands, e.g. to validate again.
    pub fn set_on_update(&self, f: impl Fn() + Send + Sync + 'static) {
        *lock(&self.on_update) = Some(Arc::new(f));
    }

    /// Goes up by one for every fetch that lands.
    pub fn revision(&self) -> u64 {
        self.revision.load(Ordering::SeqCst)
    }

    fn now(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.skew_ms.load(Ordering::SeqCst))
    }

    #[cfg(test)]
    pub(crate) fn advance_clock(&self, by: Duration) {
        self.skew_ms.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    /// The schema at `url`; `Pending` while its fetch runs (never in batch mode).
    pub fn get(self: &Arc<Self>, url: &str) -> Poll<Result<Arc<Value>, DownloadError>> {
        let answer = self.ask(url);
        if answer.is_pending() && lock(&self.state).batch {
            self.wait_for(url);
            return self.ask(url);
        }
        answer
    }

    /// Starts fetching `url` if nothing is known of it yet, without waiting.
    pub fn queue(self: &Arc<Self>, url: &str) {
        let _ = self.ask(url);
    }

    fn ask(self: &Arc<Self>, url: &str) -> Poll<Result<Arc<Value>, DownloadError>> {
        let (cache_dir, offline) = {
            let mut st = lock(&self.state);
            if let Some(answer) = self.known(&mut st, url) {
                return answer;
            }
            (st.cache_dir.clone(), st.offline)
        };
        // Read outside the lock: other lookups need not wait for the disk.
        let cached = cache_dir.as_ref().and_then(|d| read_cache(&d.join(cache_file_name(url))));
        let mut st = lock(&self.state);
        if let Some(answer) = self.known(&mut st, url) {
            return answer;
        }
        let result = match cached {
            Some(v) => Ok(Arc::new(v)),
            None if offline => Err(DownloadError::Failed("offline (not downloading; nothing cached)".into())),
            None => {
                st.urls.insert(url.to_string(), Entry { inflight: true, ..Entry::default() });
                self.start(&mut st, url);
                return Poll::Pending;
            }
        };
        st.urls.insert(url.to_string(), Entry { result: Some(result.clone()), ..Entry::default() });
        Poll::Ready(result)
    }

    /// The answer for a URL already asked for; starts a retry when one is due.
    fn known(self: &Arc<Self>, st: &mut State, url: &str) -> Option<Poll<Result<Arc<Value>, DownloadError>>> {
        let now = self.now();
        let batch = st.batch;
        let entry = st.urls.get_mut(url)?;
        let Some(result) = entry.result.clone() else { return Some(Poll::Pending) };
        let due = !batch && !entry.inflight && entry.retry_at.is_some_and(|at| now >= at);
        if due {
            entry.inflight = true;
            self.start(st, url);
        }
        Some(Poll::Ready(result))
    }

    fn start(self: &Arc<Self>, st: &mut State, url: &str) {
        st.inflight += 1;
        let (this, url, epoch, cache_dir) = (Arc::clone(self), url.to_string(), st.epoch, st.cache_dir.clone());
        net::spawn(async move {
            let result = this.fetch(&url, cache_dir.as_deref()).await;
            this.land(&url, epoch, result);
        });
    }

    fn land(&self, url: &str, epoch: u64, result: Result<Arc<Value>, DownloadError>) {
        let current = {
            let mut guard = lock(&self.state);
            let st = &mut *guard;
            let now = self.now();
            let entry = st.urls.get_mut(url).filter(|_| st.epoch == epoch);
            let current = entry.is_some();
            if let Some(entry) = entry {
                entry.inflight = false;
                if let Err(DownloadError::Failed(reason)) = &result {
                    entry.failures += 1;
                    if entry.failures == 1 {
                        tracing::warn!("cannot download schema {url}: {reason}");
                    }
                    let backoff = BACKOFF_BASE.saturating_mul(1 << (entry.failures - 1).min(16)).min(BACKOFF_MAX);
                    entry.retry_at = Some(now + backoff);
                } else {
                    entry.failures = 0;
                    entry.retry_at = None;
                }
                entry.result = Some(result);
            }
            current
        };
        if current {
            self.revision.fetch_add(1, Ordering::SeqCst);
            let listener = lock(&self.on_update).clone();
            if let Some(listener) = listener {
                listener();
            }
        }
        // Counted down last, so a waiter sees the revision and the listener's effects.
        lock(&self.state).inflight -= 1;
        self.landed.notify_all();
    }

    /// Blocks until no fetch runs (bounded by the download timeouts).
    pub fn wait_idle(&self) {
        let mut st = lock(&self.state);
        while st.inflight > 0 {
            st = self.landed.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Blocks until `url` has an answer (or was forgotten by a settings change).
    fn wait_for(&self, url: &str) {
        let mut st = lock(&self.state);
        while st.urls.get(url).is_some_and(|e| e.result.is_none()) {
            st = self.landed.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
    }

    async fn fetch(&self, url: &str, cache_dir: Option<&Path>) -> Result<Arc<Value>, DownloadError> {
        if std::env::var(LOOPBACK_ONLY_ENV).is_ok_and(|v| !v.is_empty() && v != "0") && !is_loopback(url) {
            return Err(DownloadError::Failed(format!("{LOOPBACK_ONLY_ENV} is set: not contacting {}", url_host(url))));
        }
        let host = url_host(url).to_string();
        let permits = Arc::clone(&lock(&self.state).hosts.entry(host.clone()).or_default().permits);
        let _permit = permits.acquire_owned().await;
        // Asked after the permit: the URLs queued behind a dead host's first answer fail fast.
        if let Some(reason) = self.recent_host_failure(&host) {
            return Err(DownloadError::Failed(reason));
        }
        let client =
            self.client.get_or_init(|| net::http_client(HttpOptions { timeout: TIMEOUT, follow_redirects: true }));
        let text = match net::get_text(client, url, MAX_SCHEMA_BYTES).await {
            Ok(text) => text,
            Err(GetError::NotFound(status)) => return Err(DownloadError::NotFound(status)),
            Err(GetError::Status(status)) => return Err(DownloadError::Failed(format!("HTTP {status}"))),
            Err(GetError::Body(reason)) => return Err(DownloadError::Failed(reason)),
            Err(GetError::Unreachable(e)) => {
                // The host itself failed (DNS, connection, TLS, timeout): remember it for the others.
                let reason = format!("{host} unreachable: {e}");
                let now = self.now();
                if let Some(h) = lock(&self.state).hosts.get_mut(&host) {
                    h.failed = Some((now, reason.clone()));
                }
                return Err(DownloadError::Failed(reason));
            }
        };
        let value = super::catalog::parse_json(&text, url).map_err(|e| DownloadError::Invalid(e.to_string()))?;
        if let Some(dir) = cache_dir {
            // A cache that cannot be written only costs a download next time.
            let _ = write_atomically(&dir.join(cache_file_name(url)), &text);
        }
        Ok(Arc::new(value))
    }

    fn recent_host_failure(&self, host: &str) -> Option<String> {
        let now = self.now();
        let st = lock(&self.state);
        let (at, reason) = st.hosts.get(host)?.failed.as_ref()?;
        (now.duration_since(*at) < HOST_FAILURE_TTL).then(|| reason.clone())
    }
}

fn read_cache(path: &Path) -> Option<Value> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SCHEMA_BYTES {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    super::catalog::parse_json(&text, &path.display().to_string()).ok()
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

/// A stable, readable file name per URL: a 64-bit FNV-1a hash (stable across Rust releases,
/// unlike `DefaultHasher`) plus the URL's last segment.
pub(crate) fn cache_file_name(url: &str) -> String {
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
