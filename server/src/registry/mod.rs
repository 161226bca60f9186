//! The OCI registry client and the tag cache behind image completion, hover and diagnostics.
//!
//! Nothing here blocks a request: [`Registry::ensure_tags`] and [`Registry::ensure_details`]
//! start a background fetch (one per repository or tag, however many ask; at most
//! [`PER_REGISTRY`] at a time per registry) and return; [`Registry::wait_tags`] waits a bounded
//! time for one in flight. Answers are cached in memory and tag lists also on disk, for the
//! configured TTL; failures are remembered for a shorter time so a broken registry is not
//! hammered. The pure analysis reads the cache through [`ImageTags`].

pub mod auth;
pub mod client;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::{Semaphore, watch};

pub use client::{ClientOptions, FetchError, RegistryClient};

use crate::analysis::images::{ImageDetails, ImageSite, ImageTags, TagList, TagState, image_sites};
use crate::config::ImageSettings;
use crate::yaml::{Diagnostic, TextSource, YamlFile};

/// Concurrent fetches per registry.
pub const PER_REGISTRY: usize = 4;
/// How long a failure is remembered before the next attempt (a 429 asks for its own wait).
const FAILURE_TTL: Duration = Duration::from_secs(60);

struct Slot<T> {
    value: Option<T>,
    error: Option<String>,
    /// The error is a network failure (no answer from the registry at all).
    offline: bool,
    /// When `value` or `error` was learnt; with the TTL it decides when to fetch again.
    at: Option<SystemTime>,
    /// How long `error` stands.
    error_ttl: Duration,
    /// Set while a fetch runs; turns `true` when it lands.
    inflight: Option<watch::Receiver<bool>>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot { value: None, error: None, offline: false, at: None, error_ttl: FAILURE_TTL, inflight: None }
    }
}

impl<T> Slot<T> {
    fn is_fresh(&self, ttl: Duration) -> bool {
        let Some(at) = self.at else { return false };
        let age = SystemTime::now().duration_since(at).unwrap_or_default();
        if self.error.is_some() { age < self.error_ttl } else { age < ttl }
    }
}

#[derive(Default)]
struct State {
    tags: HashMap<String, Slot<Arc<TagList>>>,
    details: HashMap<(String, String), Slot<Arc<ImageDetails>>>,
    limits: HashMap<String, Arc<Semaphore>>,
}

type Listener = Arc<dyn Fn() + Send + Sync>;

struct Inner {
    client: Mutex<Arc<RegistryClient>>,
    state: Mutex<State>,
    settings: Mutex<ImageSettings>,
    cache_dir: Option<PathBuf>,
    on_update: Mutex<Option<Listener>>,
}

/// Cheap to clone; all clones share one cache.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `~/.cache/gitops-ls/registry` (or under `$XDG_CACHE_HOME`).
pub fn default_cache_dir() -> Option<PathBuf> {
    crate::config::cache_dir("registry")
}

/// `ghcr.io/a/b` → `ghcr.io` and `a/b`.
fn split_repo(repo: &str) -> (&str, &str) {
    repo.split_once('/').unwrap_or((repo, ""))
}

impl Registry {
    pub fn new(settings: &ImageSettings, cache_dir: Option<PathBuf>) -> Registry {
        let client = RegistryClient::new(client_options(settings));
        Registry {
            inner: Arc::new(Inner {
                client: Mutex::new(Arc::new(client)),
                state: Mutex::default(),
                settings: Mutex::new(settings.clone()),
                cache_dir,
                on_update: Mutex::default(),
            }),
        }
    }

    /// Applies new settings; a changed list of insecure registries takes a new client.
    pub fn configure(&self, settings: &ImageSettings) {
        let mut current = lock(&self.inner.settings);
        if current.insecure_registries != settings.insecure_registries {
            *lock(&self.inner.client) = Arc::new(RegistryClient::new(client_options(settings)));
        }
        *current = settings.clone();
    }

    /// Called (on a runtime thread) whenever a fetch lands, e.g. to re-run diagnostics.
    pub fn set_on_update(&self, f: impl Fn() + Send + Sync + 'static) {
        *lock(&self.inner.on_update) = Some(Arc::new(f));
    }

    fn ttl(&self) -> Duration {
        Duration::from_secs(lock(&self.inner.settings).cache_ttl_seconds)
    }

    pub fn completion_timeout(&self) -> Duration {
        Duration::from_millis(lock(&self.inner.settings).completion_timeout_ms)
    }

    pub fn check_tags(&self) -> bool {
        lock(&self.inner.settings).check_tags
    }

    fn disk_path(&self, repo: &str) -> Option<PathBuf> {
        let name: String = repo.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect();
        Some(self.inner.cache_dir.as_ref()?.join("tags").join(format!("{name}.json")))
    }

    fn load_disk(&self, repo: &str) -> Option<(Vec<String>, SystemTime)> {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(self.disk_path(repo)?).ok()?).ok()?;
        if v.get("repository")?.as_str()? != repo {
            return None;
        }
        let at = UNIX_EPOCH + Duration::from_secs(v.get("fetchedAt")?.as_u64()?);
        let tags = v.get("tags")?.as_array()?.iter().filter_map(|t| t.as_str().map(str::to_string)).collect();
        Some((tags, at))
    }

    fn save_disk(&self, repo: &str, tags: &[String]) {
        let Some(path) = self.disk_path(repo) else { return };
        let at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let body = serde_json::json!({"repository": repo, "fetchedAt": at, "tags": tags});
        let tmp = path.with_extension("tmp");
        // Write then rename, so a concurrent reader never sees half a file.
        let ok = path.parent().is_some_and(|d| std::fs::create_dir_all(d).is_ok())
            && std::fs::write(&tmp, body.to_string()).is_ok()
            && std::fs::rename(&tmp, &path).is_ok();
        if !ok {
            tracing::debug!("cannot write the tag cache for {repo}");
        }
    }

    fn semaphore(&self, registry: &str) -> Arc<Semaphore> {
        let mut state = lock(&self.inner.state);
        Arc::clone(state.limits.entry(registry.to_string()).or_insert_with(|| Arc::new(Semaphore::new(PER_REGISTRY))))
    }

    /// Starts fetching the tags of `repo` (`registry/repository`) unless they are fresh or
    /// already being fetched. Needs a Tokio runtime; without one it does nothing.
    pub fn ensure_tags(&self, repo: &str) {
        let ttl = self.ttl();
        let (tx, handle) = {
            let mut state = lock(&self.inner.state);
            let slot = state.tags.entry(repo.to_string()).or_default();
            if slot.is_fresh(ttl) || slot.inflight.is_some() {
                return;
            }
            let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
            let (tx, rx) = watch::channel(false);
            slot.inflight = Some(rx);
            (tx, handle)
        };
        let this = self.clone();
        let repo = repo.to_string();
        handle.spawn(async move {
            // A fresh list on disk (from an earlier run) saves the request.
            let from_disk =
                this.load_disk(&repo).filter(|(_, at)| SystemTime::now().duration_since(*at).unwrap_or_default() < ttl);
            let result = match from_disk {
                Some((tags, at)) => Ok((tags, at)),
                None => {
                    let (registry, repository) = split_repo(&repo);
                    let permit = this.semaphore(registry).acquire_owned().await;
                    let client = Arc::clone(&lock(&this.inner.client));
                    let fetched = client.list_tags(registry, repository).await;
                    drop(permit);
                    if let Ok(tags) = &fetched {
                        this.save_disk(&repo, tags);
                    }
                    fetched.map(|t| (t, SystemTime::now()))
                }
            };
            {
                let mut state = lock(&this.inner.state);
                let slot = state.tags.entry(repo.clone()).or_default();
                store(slot, result.map(|(tags, at)| (Arc::new(TagList::new(tags)), at)));
            }
            let _ = tx.send(true);
            this.notify();
        });
    }

    /// Starts fetching digest, platforms, date and size of `repo:tag`.
    pub fn ensure_details(&self, repo: &str, tag: &str) {
        let ttl = self.ttl();
        let key = (repo.to_string(), tag.to_string());
        let (tx, handle) = {
            let mut state = lock(&self.inner.state);
            let slot = state.details.entry(key.clone()).or_default();
            if slot.is_fresh(ttl) || slot.inflight.is_some() {
                return;
            }
            let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
            let (tx, rx) = watch::channel(false);
            slot.inflight = Some(rx);
            (tx, handle)
        };
        let this = self.clone();
        handle.spawn(async move {
            let (registry, repository) = split_repo(&key.0);
            let permit = this.semaphore(registry).acquire_owned().await;
            let client = Arc::clone(&lock(&this.inner.client));
            let fetched = client.details(registry, repository, &key.1).await;
            drop(permit);
            {
                let mut state = lock(&this.inner.state);
                let slot = state.details.entry(key.clone()).or_default();
                store(slot, fetched.map(|d| (Arc::new(d), SystemTime::now())));
            }
            let _ = tx.send(true);
            this.notify();
        });
    }

    fn notify(&self) {
        let listener = lock(&self.inner.on_update).clone();
        if let Some(f) = listener {
            f();
        }
    }

    /// Starts the tag fetch and waits at most `timeout` for it (or one already running).
    pub async fn wait_tags(&self, repo: &str, timeout: Duration) {
        self.ensure_tags(repo);
        let rx = lock(&self.inner.state).tags.get(repo).and_then(|s| s.inflight.clone());
        wait(rx, timeout).await;
    }

    pub async fn wait_details(&self, repo: &str, tag: &str, timeout: Duration) {
        self.ensure_details(repo, tag);
        let key = (repo.to_string(), tag.to_string());
        let rx = lock(&self.inner.state).details.get(&key).and_then(|s| s.inflight.clone());
        wait(rx, timeout).await;
    }

    /// Starts every fetch the images of a file need (tags, and details of the written tags).
    pub fn prefetch(&self, sites: &[ImageSite]) {
        for site in sites {
            // A reference pinned by digest alone has no tag to check.
            let digest_only = site.parsed.as_ref().is_ok_and(|r| r.tag.is_none() && r.digest.is_some());
            if let Some((repo, tag)) = site.repo_and_tag().filter(|_| !digest_only) {
                self.ensure_tags(&repo);
                self.ensure_details(&repo, &tag);
            }
        }
    }
}

async fn wait(rx: Option<watch::Receiver<bool>>, timeout: Duration) {
    if let Some(mut rx) = rx {
        let _ = tokio::time::timeout(timeout, rx.wait_for(|done| *done)).await;
    }
}

fn store<T>(slot: &mut Slot<T>, result: Result<(T, SystemTime), FetchError>) {
    slot.inflight = None;
    match result {
        Ok((v, at)) => {
            slot.value = Some(v);
            slot.error = None;
            slot.at = Some(at);
        }
        Err(e) => {
            // Keep an older good answer to show, but remember the failure.
            slot.error_ttl = match &e {
                FetchError::RateLimited { retry_after } => *retry_after,
                _ => FAILURE_TTL,
            };
            slot.offline = matches!(e, FetchError::Network(_));
            slot.error = Some(e.to_string());
            slot.at = Some(SystemTime::now());
        }
    }
}

fn client_options(settings: &ImageSettings) -> ClientOptions {
    ClientOptions { insecure: settings.insecure_registries.clone(), ..Default::default() }
}

impl ImageTags for Registry {
    fn tags(&self, repo: &str) -> TagState {
        let state = lock(&self.inner.state);
        match state.tags.get(repo) {
            None => TagState::Unknown,
            Some(s) => match (&s.value, &s.error) {
                (Some(v), _) => TagState::Ready(Arc::clone(v)),
                (None, Some(e)) if s.offline => TagState::Offline(e.clone()),
                (None, Some(e)) => TagState::Failed(e.clone()),
                (None, None) if s.inflight.is_some() => TagState::Pending,
                (None, None) => TagState::Unknown,
            },
        }
    }

    fn details(&self, repo: &str, tag: &str) -> Option<Arc<ImageDetails>> {
        let state = lock(&self.inner.state);
        state.details.get(&(repo.to_string(), tag.to_string()))?.value.clone()
    }
}

/// For `gitops-ls check --check-images`: fetches what the images of `files` need (waiting up
/// to `timeout` in all) and returns each file's image diagnostics, tag checks included.
/// Runs its own runtime; call it from synchronous code.
pub fn check_images<T: TextSource + ?Sized>(
    files: &[(&YamlFile, &T)],
    settings: &ImageSettings,
    timeout: Duration,
) -> Vec<Vec<Diagnostic>> {
    let registry = Registry::new(settings, default_cache_dir());
    let sites: Vec<Vec<ImageSite>> = files.iter().map(|(f, t)| image_sites(f, *t)).collect();
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
        rt.block_on(async {
            let mut pending = Vec::new();
            for site in sites.iter().flatten() {
                if let Some((repo, tag)) = site.repo_and_tag() {
                    pending.push((repo, tag));
                }
            }
            pending.sort();
            pending.dedup();
            let waits = pending.iter().map(|(repo, tag)| async {
                registry.wait_tags(repo, timeout).await;
                registry.wait_details(repo, tag, timeout).await;
            });
            let _ = tokio::time::timeout(timeout, futures::future::join_all(waits)).await;
        });
    }
    files.iter().map(|(f, t)| crate::analysis::images::image_diagnostics(f, *t, &registry, true)).collect()
}

#[cfg(test)]
mod tests;
