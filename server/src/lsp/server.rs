//! The `LanguageServer` implementation: one short handler per method.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use serde::Deserialize;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};
use tracing::{debug, info, warn};

use crate::analysis::completion::paths::DirEntry;

/// Most entries of one directory a path completion lists.
const MAX_LISTED_ENTRIES: usize = 2_000;

use super::convert::file_path;
use super::session::{Session, Snapshot};
use super::transport::Limits;
use super::workspace::{Learned, Workspace};
use super::{convert, guard};
use crate::analysis;
use crate::analysis::images;
use crate::config::Settings;
use crate::registry::Registry;
use crate::schema::{SchemaStore, ValidationOptions};

/// How long a request to the client (settings, registrations) may stay unanswered.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Environment variable that enables `gitops-ls/debugPanic` (for tests of the panic guard).
/// Most objects one `workspace/symbol` answer lists.
const MAX_WORKSPACE_SYMBOLS: usize = 200;

pub const TEST_PANIC_ENV: &str = "GITOPS_LS_TEST_PANIC";

pub struct Backend {
    shared: Arc<Shared>,
    shutdown_requested: Arc<AtomicBool>,
}

/// State that outlives a handler: background diagnostics tasks hold it too.
struct Shared {
    client: Client,
    session: Session,
    /// Embedded kinds, workspace CRDs and compiled validators, shared by every document.
    store: Arc<SchemaStore>,
    /// CRDs and Kustomize patches of the repository.
    workspace: Workspace,
    settings: RwLock<Settings>,
    /// The settings as the editor last sent them; the project file is merged over them.
    editor_settings: RwLock<serde_json::Value>,
    /// `.gitops-ls.toml` of the (first) workspace folder, once read.
    project: RwLock<Option<Arc<crate::config::Project>>>,
    /// Registry tag cache and background fetches for image completion, hover and diagnostics.
    registry: Registry,
    /// What the client can do, learnt at `initialize`.
    client_caps: RwLock<ClientCaps>,
    /// The client accepts snippet completions (`$0`, `${1:…}`); else they are sent as plain text.
    snippets: AtomicBool,
    /// Per-document publishing gate and the sequence number last published. Publishing is
    /// serialized per URI and checks currency under the gate, so an older result can never
    /// follow a newer one. Kept after close so a late clear and a re-open stay ordered.
    gates: Mutex<HashMap<Uri, Arc<tokio::sync::Mutex<u64>>>>,
    /// Message size limit of the transport, kept in step with `maxFileSizeMb`.
    limits: Arc<Limits>,
    /// Bumped whenever settings, loaded schemas or registry answers change: cached results of
    /// an older epoch are recomputed.
    epoch: AtomicU64,
    /// Numbers `workspace/configuration` pulls; an answer older than one applied is dropped.
    pulls: AtomicU64,
    applied_pull: Mutex<u64>,
    /// Disk reads, one at a time and in order, off the handlers.
    disk: tokio::sync::mpsc::UnboundedSender<DiskJob>,
    /// Config Sync roots and the closed files parsed for vetting them.
    configsync: super::configsync::ConfigSync,
    schema_status: super::schema_status::SchemaStatus,
}

/// Work on files that are not open.
enum DiskJob {
    /// A watched file changed or was created, or an open document was closed.
    Load(Uri, PathBuf),
    /// The project settings file changed, appeared or went.
    Project,
    Remove(Uri, PathBuf),
}

#[derive(Clone, Copy, Debug, Default)]
struct ClientCaps {
    configuration: bool,
    watched_files_registration: bool,
    /// The most folding ranges the client wants (`foldingRange.rangeLimit`).
    folding_range_limit: Option<u32>,
    /// The client shows server-initiated `$/progress` (`window.workDoneProgress`).
    work_done_progress: bool,
}

#[derive(Debug, Deserialize)]
pub struct UriParams {
    pub uri: Uri,
}

#[derive(Debug, Deserialize)]
pub struct SchemaInfoParams {
    pub uri: Uri,
    #[serde(default)]
    pub position: Option<Position>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DebugPanicParams {
    /// Panic on a blocking-pool thread instead of inside the async handler.
    #[serde(default)]
    pub blocking: bool,
}

impl Backend {
    pub fn new(client: Client, shutdown_requested: Arc<AtomicBool>, limits: Arc<Limits>) -> Self {
        let (disk, disk_jobs) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            client,
            session: Session::new(),
            store: Arc::new(SchemaStore::new()),
            workspace: Workspace::default(),
            settings: RwLock::default(),
            editor_settings: RwLock::new(serde_json::Value::Null),
            project: RwLock::default(),
            registry: Registry::new(&Default::default(), crate::registry::default_cache_dir()),
            client_caps: RwLock::default(),
            snippets: AtomicBool::new(false),
            gates: Mutex::default(),
            limits,
            epoch: AtomicU64::new(0),
            pulls: AtomicU64::new(0),
            applied_pull: Mutex::new(0),
            disk,
            configsync: Default::default(),
            schema_status: Default::default(),
        });
        tokio::spawn(disk_worker(Arc::downgrade(&shared), disk_jobs));
        // A fetch that lands changes what the image diagnostics can say.
        let weak = Arc::downgrade(&shared);
        shared.registry.set_on_update(move || {
            if let Some(shared) = weak.upgrade() {
                shared.epoch.fetch_add(1, Ordering::SeqCst);
                shared.refresh_all(None);
            }
        });
        // So does a schema download: results cached before it are of an older epoch.
        let weak = Arc::downgrade(&shared);
        shared.store.set_on_update(move || {
            if let Some(shared) = weak.upgrade() {
                shared.epoch.fetch_add(1, Ordering::SeqCst);
                shared.refresh_all(None);
            }
        });
        Backend { shared, shutdown_requested }
    }

    fn session(&self) -> &Session {
        &self.shared.session
    }

    /// Runs `f` on an up-to-date snapshot on the blocking pool; `None` when not open.
    async fn with_snapshot<T: Send + 'static>(
        &self,
        method: &'static str,
        uri: Uri,
        f: impl FnOnce(&Snapshot) -> T + Send + 'static,
    ) -> Result<Option<T>> {
        let shared = Arc::clone(&self.shared);
        guard::blocking(method, move || shared.session.snapshot(&uri).map(|snap| f(&snap))).await
    }

    /// True (and logged) when an open document is over `maxFileSizeMb`: only symbols and
    /// folding are served for it.
    fn oversized(&self, uri: &Uri) -> bool {
        let Some(len) = self.session().len(uri) else { return false };
        let too_large = self.shared.too_large(len);
        if too_large {
            debug!(uri = uri.as_str(), bytes = len, "document over maxFileSizeMb: request not served");
        }
        too_large
    }

    /// `gitops-ls/parseCount`: documents parsed by the file's YAML model so far.
    pub async fn parse_count(&self, params: UriParams) -> Result<usize> {
        const METHOD: &str = "gitops-ls/parseCount";
        guard::request(METHOD, async {
            let count = self.with_snapshot(METHOD, params.uri, |s| s.yaml.parse_count()).await?;
            count.ok_or_else(|| Error::invalid_params("document is not open"))
        })
        .await
    }

    /// `gitops-ls/validationCount`: documents validated for the file since it was opened
    /// (each edit re-validates only the documents it touched).
    pub async fn validation_count(&self, params: UriParams) -> Result<usize> {
        const METHOD: &str = "gitops-ls/validationCount";
        let shared = Arc::clone(&self.shared);
        guard::request(METHOD, async move {
            let count = guard::blocking(METHOD, move || {
                let snap = shared.session.snapshot(&params.uri)?;
                shared.analysis(&snap);
                snap.cache.results.get().map(|r| r.validated())
            })
            .await?;
            count.ok_or_else(|| Error::invalid_params("document is not open"))
        })
        .await
    }

    /// `gitops-ls/schemaInfo`: which schema applies to the document (at `position`, if given).
    pub async fn schema_info(&self, params: SchemaInfoParams) -> Result<Option<serde_json::Value>> {
        const METHOD: &str = "gitops-ls/schemaInfo";
        let shared = Arc::clone(&self.shared);
        guard::request(METHOD, async move {
            let found = guard::blocking(METHOD, move || {
                let snap = shared.session.snapshot(&params.uri)?;
                let offset = params.position.map(|p| snap.doc.position_to_offset(convert::from_position(p)));
                analysis::schema_info(&snap.yaml, &shared.store, offset)
            })
            .await?;
            Ok(found.map(|i| serde_json::json!({"label": i.label, "source": i.source, "sourceUri": i.source_uri})))
        })
        .await
    }

    /// `gitops-ls/documentText`: the server's copy of an open document, `null` when not open.
    pub async fn document_text(&self, params: UriParams) -> Result<Option<String>> {
        guard::request("gitops-ls/documentText", async { Ok(self.session().document(&params.uri).map(|d| d.text())) })
            .await
    }

    /// `gitops-ls/debugPanic`: panics on purpose when [`TEST_PANIC_ENV`] is `1`.
    pub async fn debug_panic(&self, params: DebugPanicParams) -> Result<()> {
        const METHOD: &str = "gitops-ls/debugPanic";
        guard::request(METHOD, async {
            if std::env::var_os(TEST_PANIC_ENV).is_none_or(|v| v != "1") {
                return Err(Error::method_not_found());
            }
            if params.blocking {
                guard::blocking(METHOD, || panic!("panic requested on a blocking thread")).await
            } else {
                panic!("panic requested in an async handler")
            }
        })
        .await
    }
}

/// Runs disk jobs in arrival order, each on the blocking pool; re-validates open documents
/// once a burst of jobs changed what the repository declares.
async fn disk_worker(shared: std::sync::Weak<Shared>, mut jobs: tokio::sync::mpsc::UnboundedReceiver<DiskJob>) {
    let mut changed_since_refresh = false;
    while let Some(job) = jobs.recv().await {
        let Some(shared) = shared.upgrade() else { return };
        let work = Arc::clone(&shared);
        let changed = guard::blocking("disk", move || match job {
            // An open document's text wins over the disk.
            // An open document's text wins over the disk, but a file appearing or going may
            // change what its kustomization paths name.
            DiskJob::Project => {
                work.load_project();
                false
            }
            DiskJob::Load(uri, _) | DiskJob::Remove(uri, _) if work.session.is_open(&uri) => true,
            DiskJob::Load(_, path) => work.workspace.load_from_disk(&work.store, &path).content,
            // Any file (an env file, a directory) may be what a kustomization names.
            DiskJob::Remove(uri, path) => {
                work.workspace.remove_file(&work.store, &uri, Some(&path));
                true
            }
        })
        .await;
        changed_since_refresh |= matches!(changed, Ok(true));
        // A burst of events re-validates once, after its last job.
        if changed_since_refresh && jobs.is_empty() {
            changed_since_refresh = false;
            shared.refresh_all(None);
        }
    }
}

/// `$/progress` for the start-up scan, when the client accepts server-initiated progress.
async fn report_scan_progress(
    shared: Arc<Shared>,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<super::workspace::ScanProgress>,
) {
    let supported = shared.client_caps.read().unwrap_or_else(PoisonError::into_inner).work_done_progress;
    let token = NumberOrString::String("gitops-ls/scan".into());
    let created = supported
        && matches!(
            tokio::time::timeout(CLIENT_TIMEOUT, shared.client.create_work_done_progress(token.clone())).await,
            Ok(Ok(()))
        );
    if !created {
        while rx.recv().await.is_some() {}
        return;
    }
    let progress = shared.client.progress(token, "Indexing the repository").with_percentage(0).begin().await;
    let mut last = None;
    while let Some(p) = rx.recv().await {
        let percent = (p.done * 100).checked_div(p.total).unwrap_or(100) as u32;
        progress.report_with_message(format!("{}/{} files", p.done, p.total), percent).await;
        last = Some(p);
    }
    let files = last.map_or(0, |p| p.total);
    progress.finish_with_message(format!("{files} files indexed")).await;
}

impl Shared {
    fn settings(&self) -> std::sync::RwLockReadGuard<'_, Settings> {
        self.settings.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn project(&self) -> Option<Arc<crate::config::Project>> {
        self.project.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Settings from the editor, with the project file over them; true when they changed.
    fn apply_editor_settings(self: &Arc<Self>, editor: &serde_json::Value) -> bool {
        *self.editor_settings.write().unwrap_or_else(PoisonError::into_inner) = editor.clone();
        let merged = match self.project() {
            Some(p) => Settings::from_json(&p.settings_over(editor)),
            None => Settings::from_json(editor),
        };
        self.apply_settings(merged)
    }

    /// (Re)reads `.gitops-ls.toml` from the first workspace folder (or above it, up to the git
    /// work tree's top); a file that does not parse is reported and ignored. Disk work: call it
    /// off the request slots.
    fn load_project(self: &Arc<Self>) {
        let found =
            self.workspace.roots().first().and_then(|r| crate::vfs::find_upwards(r, crate::config::PROJECT_FILE));
        let project = found.and_then(|file| {
            let parsed = crate::vfs::read_text(&file, 1 << 20)
                .map_err(|e| e.to_string())
                .and_then(|t| crate::config::Project::parse(&file, t.as_str()));
            let shown = crate::vfs::display_path(&file);
            match parsed {
                Ok(p) => {
                    for w in &p.warnings {
                        warn!("{shown}: {w}");
                    }
                    if !p.warnings.is_empty() {
                        self.show_warning(format!("{shown}: {}", p.warnings.join("; ")));
                    }
                    Some(Arc::new(p))
                }
                Err(e) => {
                    warn!("{shown}: {e}; project settings ignored");
                    self.show_warning(format!("{shown} is ignored: {e}"));
                    None
                }
            }
        });
        let changed = {
            let mut current = self.project.write().unwrap_or_else(PoisonError::into_inner);
            let changed = *current != project;
            *current = project;
            changed
        };
        if changed {
            info!("project settings changed");
            let editor = self.editor_settings.read().unwrap_or_else(PoisonError::into_inner).clone();
            // Severities and excludes apply to every open document, also when no setting moved.
            if !self.apply_editor_settings(&editor) {
                self.epoch.fetch_add(1, Ordering::SeqCst);
                self.refresh_all(None);
            }
        }
    }

    fn show_warning(&self, message: String) {
        let client = self.client.clone();
        tokio::runtime::Handle::current().spawn(async move {
            client.show_message(MessageType::WARNING, message).await;
        });
    }

    /// True when a document of `len` bytes is over `maxFileSizeMb`.
    fn too_large(&self, len: usize) -> bool {
        len > self.settings().max_file_bytes()
    }

    /// A document's problems, computed once per snapshot and shared by diagnostics and code
    /// actions.
    fn analysis(&self, snap: &Snapshot) -> Arc<Vec<crate::yaml::Diagnostic>> {
        if let Some(found) = snap.cache.diagnostics.get() {
            return Arc::clone(found);
        }
        let found = self.analyze(snap, false).unwrap_or_default();
        Arc::clone(snap.cache.diagnostics.get_or_init(|| Arc::new(found)))
    }

    /// [`Shared::analysis`] for the diagnostics pass: given up (`None`) as soon as a newer
    /// state of the document exists; what was done is kept for that state to reuse.
    fn analysis_unless_stale(&self, snap: &Snapshot) -> Option<Arc<Vec<crate::yaml::Diagnostic>>> {
        if let Some(found) = snap.cache.diagnostics.get() {
            return Some(Arc::clone(found));
        }
        let found = self.analyze(snap, true)?;
        Some(Arc::clone(snap.cache.diagnostics.get_or_init(|| Arc::new(found))))
    }

    /// Every problem in a snapshot: YAML, schema validation, images. Only the documents that
    /// changed since the snapshot's prior results are checked again.
    fn analyze(&self, snap: &Snapshot, cancellable: bool) -> Option<Vec<crate::yaml::Diagnostic>> {
        let path = file_path(&snap.uri);
        let opts = ValidationOptions {
            partial: path.as_deref().is_some_and(|p| self.workspace.is_patch(p)),
            namespace_from_kustomization: path.as_deref().is_some_and(|p| self.workspace.in_namespace_scope(p)),
            path,
            ..self.settings.read().unwrap_or_else(PoisonError::into_inner).validation_options()
        };
        let check_tags = self.registry.check_tags();
        let kind_revision = |key: &str| self.workspace.kind_revision(key);
        let stale = || cancellable && !self.session.is_current(&snap.uri, snap.seq);
        let cx = analysis::Context {
            store: &self.store,
            opts: &opts,
            tags: &self.registry,
            check_tags,
            epoch: self.epoch.load(Ordering::SeqCst),
            kind_revision: &kind_revision,
            cancelled: &stale,
        };
        // Results of this very state (left by a pass that gave up) are the freshest to reuse.
        let prior = snap.cache.results.get().map(Arc::as_ref).or(snap.prior.as_deref());
        let done = analysis::analyze_file(&snap.yaml, &snap.doc.rope, &cx, prior);
        if check_tags {
            // A fetch that lands bumps the epoch and re-runs diagnostics.
            self.registry.prefetch(&done.new_sites);
        }
        let _ = snap.cache.results.set(done.results);
        if done.cancelled {
            return None;
        }
        let rope = &snap.doc.rope;
        let line_of = |o: usize| rope.byte_to_line(o.min(rope.len_bytes()));
        Some(analysis::suppress::suppress(&snap.yaml, done.analysis.diagnostics, line_of))
    }

    /// Learns what an open document declares and refers to, and returns its diagnostics from
    /// the repository around it (computed against its current text, which the index may not
    /// hold: a keystroke that only moves positions leaves the index alone).
    fn learn(&self, snap: &Snapshot) -> (Learned, Vec<crate::yaml::Diagnostic>) {
        let started = std::time::Instant::now();
        let path = file_path(&snap.uri);
        let (key, summary) = Self::own_summary(snap);
        let rope = &snap.doc.rope;
        let summarized = started.elapsed();
        // A newer state learns for itself; an older one must not overwrite it.
        let learned = if self.session.is_current(&snap.uri, snap.seq) {
            self.workspace.update_file(&self.store, &snap.uri, path.as_deref(), summary.clone())
        } else {
            Learned::default()
        };
        let updated = started.elapsed();
        let index = self.workspace.index();
        let scanned = self.workspace.scanned();
        if scanned {
            index.derived();
        }
        let derived = started.elapsed();
        let mut found = crate::index::cross::diagnostics(&index, &key, &summary, &crate::vfs::path_kind, scanned);
        found = crate::index::cross::with_reference_severity(found, self.settings().missing_reference_severity());
        if scanned {
            let cx = self.configsync_cx(&index);
            found.extend(self.configsync.diagnostics(&cx, &self.store, (&key, &snap.yaml)));
        }
        if !found.is_empty() {
            let line_of = |o: usize| rope.byte_to_line(o.min(rope.len_bytes()));
            found = analysis::suppress::suppress(&snap.yaml, found, line_of);
        }
        debug!(
            uri = snap.uri.as_str(),
            ?summarized,
            ?updated,
            content = learned.content,
            ?derived,
            total = ?started.elapsed(),
            "repository diagnostics"
        );
        (learned, found)
    }

    /// What the Config Sync questions need, for this state of the index and the settings.
    fn configsync_cx<'a>(&'a self, index: &'a crate::index::RepoIndex) -> super::configsync::Cx<'a> {
        let settings = self.settings();
        super::configsync::Cx {
            index,
            session: &self.session,
            limit: settings.max_file_bytes() as u64,
            declared: settings.config_sync_roots(),
        }
    }

    /// The summary of an open document as edited, with the key the index knows it by.
    fn own_summary(snap: &Snapshot) -> (PathBuf, crate::index::FileSummary) {
        let path = file_path(&snap.uri);
        let rope = &snap.doc.rope;
        let line_of = |o: usize| rope.byte_to_line(o.min(rope.len_bytes())) as u32 + 1;
        let summary = Workspace::summarize(&snap.uri, path.as_deref(), &snap.yaml, line_of);
        (Workspace::key(&snap.uri, path.as_deref()), summary)
    }

    /// A navigation target as a protocol location (the file's start when it has no span).
    fn target_location(&self, target: &crate::index::navigate::Target) -> Option<Location> {
        let related = crate::yaml::Related {
            path: target.path.clone(),
            span: target.span.unwrap_or_default(),
            message: String::new(),
        };
        self.locate(&related)
    }

    /// The text `raw` inside the scalar at `span` of `path` (inside its quotes, after a
    /// generator's `key=`), as a location.
    fn entry_location(&self, path: &std::path::Path, span: crate::yaml::Span, raw: &str) -> Option<Location> {
        let uri = Uri::from_file_path(path)?;
        let text = match self.session.document(&uri) {
            Some(doc) => doc.text(),
            None => crate::vfs::read_text(path, self.settings().max_file_bytes() as u64).ok()?.to_string(),
        };
        let within = text.get(span.start..span.end)?;
        let at = span.start + within.find(raw)?;
        let related = crate::yaml::Related {
            path: path.to_path_buf(),
            span: crate::yaml::Span::new(at, at + raw.len()),
            message: String::new(),
        };
        self.locate(&related)
    }

    /// Where a related place is: in an open document as edited, else on disk.
    fn locate(&self, related: &crate::yaml::Related) -> Option<Location> {
        let uri = Uri::from_file_path(&related.path)?;
        let doc = match self.session.document(&uri) {
            Some(doc) => doc,
            None => {
                let text = crate::vfs::read_text(&related.path, self.settings().max_file_bytes() as u64).ok()?;
                crate::text::Document::new(&text, 0, self.session.encoding())
            }
        };
        let range = doc.range(related.span.start, related.span.end);
        Some(Location { uri, range: convert::range(range) })
    }

    /// Re-validates every open document (after settings or the repository's CRDs changed).
    fn refresh_all(self: &Arc<Self>, except: Option<&Uri>) {
        for (uri, seq) in self.session.touch_all(except) {
            self.schedule_diagnostics(uri, seq);
        }
    }

    /// Applies `settings`; true when they changed (open documents are then validated again).
    fn apply_settings(self: &Arc<Self>, settings: Settings) -> bool {
        self.limits.set_max_file_size_mb(settings.max_file_size_mb);
        self.workspace.set_max_file_size_mb(settings.max_file_size_mb);
        let cache_dir = crate::config::cache_dir("schemas");
        self.store.configure(settings.store_settings(cache_dir));
        self.registry.configure(&settings.images);
        let changed = {
            let mut current = self.settings.write().unwrap_or_else(PoisonError::into_inner);
            let changed = *current != settings;
            *current = settings;
            changed
        };
        if changed {
            info!("settings changed; validating open documents again");
            self.epoch.fetch_add(1, Ordering::SeqCst);
            self.refresh_all(None);
        }
        changed
    }

    /// Asks the client for the `gitops-ls` section, if it supports `workspace/configuration`.
    /// The wait runs on its own task with a time limit: a client that never answers must not
    /// hold a request slot, nor keep the server from stopping.
    fn pull_settings(self: &Arc<Self>) {
        if !self.client_caps.read().unwrap_or_else(PoisonError::into_inner).configuration {
            return;
        }
        let pull = self.pulls.fetch_add(1, Ordering::SeqCst) + 1;
        let shared = Arc::clone(self);
        tokio::spawn(guard::notification("workspace/configuration", async move {
            let items = vec![ConfigurationItem { scope_uri: None, section: Some("gitops-ls".into()) }];
            match tokio::time::timeout(CLIENT_TIMEOUT, shared.client.configuration(items)).await {
                Ok(Ok(values)) => {
                    let Some(v) = values.first().filter(|v| !v.is_null()) else { return };
                    let mut applied = shared.applied_pull.lock().unwrap_or_else(PoisonError::into_inner);
                    if *applied > pull {
                        debug!(pull, "dropping the answer to an older settings pull");
                        return;
                    }
                    *applied = pull;
                    shared.apply_editor_settings(v);
                }
                Ok(Err(e)) => warn!("workspace/configuration failed: {e}"),
                Err(_) => warn!("no answer to workspace/configuration within {CLIENT_TIMEOUT:?}; settings unchanged"),
            }
        }));
    }

    /// Queues a disk job; the worker only stops with the server.
    fn disk_job(&self, job: DiskJob) {
        if self.disk.send(job).is_err() {
            warn!("disk worker stopped; file change ignored");
        }
    }

    fn gate(&self, uri: &Uri) -> Arc<tokio::sync::Mutex<u64>> {
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(gates.entry(uri.clone()).or_default())
    }

    /// No debounce: only the documents an edit touched are checked again, so answering every
    /// keystroke costs less than waiting would. Edits that arrived meanwhile make this state
    /// stale and skip it.
    fn schedule_diagnostics(self: &Arc<Self>, uri: Uri, seq: u64) {
        let shared = Arc::clone(self);
        tokio::spawn(guard::notification("diagnostics", async move { shared.diagnostics(uri, seq).await }));
    }

    async fn diagnostics(self: Arc<Self>, uri: Uri, seq: u64) {
        // Lets notifications already read apply first, so a burst is answered once.
        tokio::task::yield_now().await;
        if !self.session.is_current(&uri, seq) {
            return;
        }
        let limit = self.settings().max_file_bytes();
        if let Some(doc) = self.session.document(&uri).filter(|d| d.len() > limit) {
            // Only a note: neither parsed nor validated, so its size costs nothing here.
            info!(uri = uri.as_str(), bytes = doc.len(), limit, "document over maxFileSizeMb: not validated");
            let diagnostic = convert::too_large(&doc, limit);
            self.publish(&uri, seq, doc.version, vec![diagnostic]).await;
            return;
        }
        let shared = Arc::clone(&self);
        let computed = guard::blocking("diagnostics", move || {
            let snap = shared.session.snapshot(&uri)?;
            let found = shared.analysis_unless_stale(&snap)?;
            // What the file declares for the others is learned before its answer, which
            // includes what the repository around it says.
            let (learned, cross) = shared.learn(&snap);
            let mut all = found.as_ref().clone();
            all.extend(cross);
            if let Some(project) = shared.project() {
                let excluded = file_path(&snap.uri).is_some_and(|p| project.excludes(&p));
                all = if excluded { Vec::new() } else { project.apply(all) };
            }
            let diagnostics = convert::diagnostics(&snap, &all, &|r| shared.locate(r));
            let schema = shared.schema_status.compute(&snap, &shared.store);
            Some((snap, diagnostics, learned, schema))
        })
        .await;
        let Ok(Some((snap, diagnostics, learned, schema))) = computed else { return };
        self.publish(&snap.uri, snap.seq, snap.version(), diagnostics).await;
        self.schema_status.notify(&self.client, &self.session, &snap, schema).await;
        // A change (a CRD edited, a patch listed, an object renamed) checks the documents it
        // concerns again; this one too when its own validation depends on it.
        if learned.validation {
            self.refresh_all(None);
        } else if learned.content {
            self.refresh_all(Some(&snap.uri));
        }
    }

    async fn publish(&self, uri: &Uri, seq: u64, version: i32, diagnostics: Vec<Diagnostic>) {
        let gate = self.gate(uri);
        let mut last = gate.lock().await;
        if *last >= seq || !self.session.is_current(uri, seq) {
            debug!(uri = uri.as_str(), version, "dropping stale diagnostics");
            return;
        }
        self.client.publish_diagnostics(uri.clone(), diagnostics, Some(version)).await;
        *last = seq;
    }

    fn clear_diagnostics(self: &Arc<Self>, uri: Uri) {
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            let gate = shared.gate(&uri);
            let _last = gate.lock().await;
            // Re-opened in the meantime: its own diagnostics replace the old ones.
            if !shared.session.is_open(&uri) {
                shared.client.publish_diagnostics(uri, Vec::new(), None).await;
            }
        });
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        guard::request("initialize", async {
            let offered = params.capabilities.general.as_ref().and_then(|g| g.position_encodings.as_deref());
            let encoding = convert::negotiate_encoding(offered);
            self.session().set_encoding(encoding);
            let ws = params.capabilities.workspace.as_ref();
            *self.shared.client_caps.write().unwrap_or_else(PoisonError::into_inner) = ClientCaps {
                configuration: ws.and_then(|w| w.configuration).unwrap_or(false),
                watched_files_registration: ws
                    .and_then(|w| w.did_change_watched_files.as_ref())
                    .and_then(|d| d.dynamic_registration)
                    .unwrap_or(false),
                folding_range_limit: params
                    .capabilities
                    .text_document
                    .as_ref()
                    .and_then(|t| t.folding_range.as_ref()?.range_limit),
                work_done_progress: params
                    .capabilities
                    .window
                    .as_ref()
                    .and_then(|w| w.work_done_progress)
                    .unwrap_or(false),
            };
            #[allow(deprecated)] // rootUri is what older clients send
            let mut roots: Vec<_> = params
                .workspace_folders
                .iter()
                .flatten()
                .filter_map(|f| file_path(&f.uri))
                .chain(params.root_uri.as_ref().and_then(file_path))
                .collect();
            roots.sort();
            roots.dedup();
            self.shared.workspace.set_roots(roots);
            if let Some(opts) = &params.initialization_options {
                self.shared.apply_editor_settings(opts);
            }
            let snippets = params
                .capabilities
                .text_document
                .as_ref()
                .and_then(|t| t.completion.as_ref()?.completion_item.as_ref()?.snippet_support)
                .unwrap_or(false);
            self.shared.snippets.store(snippets, Ordering::Relaxed);
            self.shared.schema_status.configure(&params.capabilities);
            info!(?encoding, snippets, "initializing");
            let sync = TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..Default::default()
            };
            Ok(InitializeResult {
                capabilities: ServerCapabilities {
                    position_encoding: Some(convert::encoding_kind(encoding)),
                    text_document_sync: Some(TextDocumentSyncCapability::Options(sync)),
                    document_symbol_provider: Some(OneOf::Left(true)),
                    definition_provider: Some(OneOf::Left(true)),
                    references_provider: Some(OneOf::Left(true)),
                    document_link_provider: Some(DocumentLinkOptions {
                        resolve_provider: Some(false),
                        work_done_progress_options: Default::default(),
                    }),
                    workspace_symbol_provider: Some(OneOf::Left(true)),
                    rename_provider: Some(OneOf::Right(RenameOptions {
                        prepare_provider: Some(true),
                        work_done_progress_options: Default::default(),
                    })),
                    workspace: Some(WorkspaceServerCapabilities {
                        workspace_folders: None,
                        file_operations: Some(WorkspaceFileOperationsServerCapabilities {
                            will_rename: Some(FileOperationRegistrationOptions {
                                filters: vec![FileOperationFilter {
                                    scheme: Some("file".into()),
                                    pattern: FileOperationPattern { glob: "**/*".into(), matches: None, options: None },
                                }],
                            }),
                            ..Default::default()
                        }),
                    }),
                    folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                    code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..Default::default()
                    })),
                    hover_provider: Some(HoverProviderCapability::Simple(true)),
                    completion_provider: Some(CompletionOptions {
                        // A space after `key:` or `- ` is where values and keys start; nothing
                        // more, so typing inside a word never pops a list up by itself.
                        trigger_characters: Some(vec![" ".to_string(), "/".to_string()]),
                        // Documentation comes with each item: a full list of a big object's keys
                        // is a few tens of kilobytes and computed in well under a millisecond.
                        resolve_provider: Some(false),
                        ..Default::default()
                    }),
                    experimental: super::schema_status::server_capability(),
                    ..Default::default()
                },
                server_info: Some(ServerInfo {
                    name: "gitops-ls".to_string(),
                    version: Some(env!("CARGO_PKG_VERSION").to_string()),
                }),
                offset_encoding: None,
            })
        })
        .await
    }

    async fn initialized(&self, _: InitializedParams) {
        // Everything here waits on the client or the disk, so it runs on tasks of its own.
        let shared = Arc::clone(&self.shared);
        guard::notification("initialized", async move {
            shared.pull_settings();
            if shared.client_caps.read().unwrap_or_else(PoisonError::into_inner).watched_files_registration {
                let options = DidChangeWatchedFilesRegistrationOptions {
                    watchers: ["**/*.yaml", "**/*.yml", "**/Kustomization", "**/.gitops-ls.toml"]
                        .into_iter()
                        .map(|g| FileSystemWatcher { glob_pattern: GlobPattern::String(g.into()), kind: None })
                        .collect(),
                };
                let registration = Registration {
                    id: "gitops-ls-watch".into(),
                    method: "workspace/didChangeWatchedFiles".into(),
                    register_options: serde_json::to_value(options).ok(),
                };
                let client = shared.client.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(CLIENT_TIMEOUT, client.register_capability(vec![registration])).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => warn!("cannot watch files: {e}"),
                        Err(_) => warn!("no answer to client/registerCapability within {CLIENT_TIMEOUT:?}"),
                    }
                });
            }
            // Summarize the repository in the background, then re-validate.
            let scan = Arc::clone(&shared);
            tokio::spawn(guard::notification("workspace scan", async move {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                let reporter = tokio::spawn(report_scan_progress(Arc::clone(&scan), rx));
                let work = Arc::clone(&scan);
                let scanned = guard::blocking("workspace scan", move || {
                    work.load_project();
                    work.workspace.learn_remotes();
                    let open: std::collections::HashSet<_> =
                        work.session.open_documents().iter().filter_map(|(u, _)| file_path(u)).collect();
                    let project = work.project();
                    let excluded = |p: &std::path::Path| project.as_ref().is_some_and(|x| x.excludes(p));
                    work.workspace.scan(&work.store, &open, &excluded, |p| {
                        let _ = tx.send(p);
                    })
                })
                .await;
                let _ = reporter.await;
                if scanned.is_ok_and(|n| n > 0) {
                    scan.refresh_all(None);
                }
            }));
        })
        .await
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let shared = Arc::clone(&self.shared);
        guard::notification("workspace/didChangeConfiguration", async move {
            // Pull-model clients send `null` here and answer workspace/configuration instead.
            let pushed = params.settings.get("gitops-ls").is_some();
            if pushed {
                shared.apply_editor_settings(&params.settings);
            } else {
                shared.pull_settings();
            }
        })
        .await
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        guard::notification("workspace/didChangeWatchedFiles", async {
            for event in params.changes {
                let Some(path) = file_path(&event.uri) else {
                    info!(uri = event.uri.as_str(), "watched-file event for a non-file URI ignored");
                    continue;
                };
                if path.file_name().is_some_and(|n| n == crate::config::PROJECT_FILE) {
                    self.shared.disk_job(DiskJob::Project);
                    continue;
                }
                self.shared.disk_job(if event.typ == FileChangeType::DELETED {
                    DiskJob::Remove(event.uri, path)
                } else {
                    DiskJob::Load(event.uri, path)
                });
            }
        })
        .await
    }

    async fn shutdown(&self) -> Result<()> {
        self.shutdown_requested.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        guard::notification("textDocument/didOpen", async {
            let doc = params.text_document;
            let seq = self.session().open(doc.uri.clone(), &doc.text, doc.version);
            self.shared.schedule_diagnostics(doc.uri, seq);
        })
        .await
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        guard::notification("textDocument/didChange", async {
            // Notifications run concurrently, but each handler's first poll happens in arrival
            // order, so the edit must be applied before the first `.await`.
            let DidChangeTextDocumentParams { text_document: id, content_changes } = params;
            let changes = content_changes.into_iter().map(|c| (c.range.map(convert::from_range), c.text));
            match self.session().change(&id.uri, id.version, changes) {
                Some((seq, previous)) => {
                    if id.version <= previous {
                        // Sequence numbers, not versions, order our results, so this is safe.
                        warn!(
                            uri = id.uri.as_str(),
                            previous,
                            version = id.version,
                            "document version did not increase"
                        );
                    }
                    self.shared.schedule_diagnostics(id.uri, seq)
                }
                None => warn!(uri = id.uri.as_str(), "change for a document that is not open"),
            }
        })
        .await
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        guard::notification("textDocument/didClose", async {
            let uri = params.text_document.uri;
            if self.session().close(&uri) {
                self.shared.clear_diagnostics(uri.clone());
                self.shared.schema_status.forget(&uri).await;
                // The file on disk is what the repository has again.
                if let Some(path) = file_path(&uri) {
                    self.shared.disk_job(DiskJob::Load(uri, path));
                }
            } else {
                warn!(uri = uri.as_str(), "close for a document that is not open");
            }
        })
        .await
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        const METHOD: &str = "textDocument/documentSymbol";
        guard::request(METHOD, async {
            let symbols = self
                .with_snapshot(METHOD, params.text_document.uri, |s| {
                    Arc::clone(s.cache.symbols.get_or_init(|| Arc::new(convert::document_symbols(s))))
                })
                .await?;
            Ok(symbols.map(|s| DocumentSymbolResponse::Nested(s.as_ref().clone())))
        })
        .await
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        const METHOD: &str = "textDocument/definition";
        let TextDocumentPositionParams { text_document, position } = params.text_document_position_params;
        let shared = Arc::clone(&self.shared);
        guard::request(METHOD, async {
            let found = self
                .with_snapshot(METHOD, text_document.uri, move |s| {
                    let offset = s.doc.position_to_offset(convert::from_position(position));
                    let (_, own) = Shared::own_summary(s);
                    let index = shared.workspace.index();
                    let is_dir = |p: &std::path::Path| p.is_dir();
                    let mut targets = crate::index::navigate::definition(&index, &own, offset, &is_dir);
                    if targets.is_empty() && shared.workspace.scanned() {
                        let (key, _) = Shared::own_summary(s);
                        let doc = (key.as_path(), &s.yaml);
                        let found = shared.configsync.definition(&shared.configsync_cx(&index), doc, offset);
                        targets.extend(
                            found.map(|(path, span)| crate::index::navigate::Target { path, span: Some(span) }),
                        );
                    }
                    targets.iter().filter_map(|t| shared.target_location(t)).collect::<Vec<_>>()
                })
                .await?;
            Ok(found.filter(|l| !l.is_empty()).map(GotoDefinitionResponse::Array))
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        const METHOD: &str = "textDocument/references";
        let TextDocumentPositionParams { text_document, position } = params.text_document_position;
        let include = params.context.include_declaration;
        let shared = Arc::clone(&self.shared);
        guard::request(METHOD, async {
            let found = self
                .with_snapshot(METHOD, text_document.uri, move |s| {
                    let offset = s.doc.position_to_offset(convert::from_position(position));
                    let (key, own) = Shared::own_summary(s);
                    let index = shared.workspace.index();
                    let mut targets = crate::index::navigate::references(&index, &key, &own, offset, include);
                    if shared.workspace.scanned() {
                        let doc = (key.as_path(), &s.yaml);
                        let found = shared.configsync.references(&shared.configsync_cx(&index), doc, offset, include);
                        targets.extend(
                            found
                                .into_iter()
                                .map(|(path, span)| crate::index::navigate::Target { path, span: Some(span) }),
                        );
                    }
                    targets.iter().filter_map(|t| shared.target_location(t)).collect::<Vec<_>>()
                })
                .await?;
            Ok(found.filter(|l| !l.is_empty()))
        })
        .await
    }

    async fn prepare_rename(&self, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        const METHOD: &str = "textDocument/prepareRename";
        let TextDocumentPositionParams { text_document, position } = params;
        guard::request(METHOD, async {
            let found = self
                .with_snapshot(METHOD, text_document.uri, move |s| {
                    let offset = s.doc.position_to_offset(convert::from_position(position));
                    let (_, own) = Shared::own_summary(s);
                    let (span, renamed) = crate::index::navigate::rename_target(&own, offset)?;
                    Some(PrepareRenameResponse::RangeWithPlaceholder {
                        range: convert::range(s.doc.range(span.start, span.end)),
                        placeholder: renamed.name,
                    })
                })
                .await?;
            Ok(found.flatten())
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        const METHOD: &str = "textDocument/rename";
        let TextDocumentPositionParams { text_document, position } = params.text_document_position;
        let new_name = params.new_name;
        if let Some(problem) = crate::schema::validate::dns_subdomain_problem(&new_name) {
            return Err(Error::invalid_params(format!("`{new_name}` is not a valid object name: it {problem}")));
        }
        let shared = Arc::clone(&self.shared);
        guard::request(METHOD, async {
            let found = self
                .with_snapshot(METHOD, text_document.uri, move |s| {
                    let offset = s.doc.position_to_offset(convert::from_position(position));
                    let (key, own) = Shared::own_summary(s);
                    let (_, renamed) = crate::index::navigate::rename_target(&own, offset)?;
                    let index = shared.workspace.index();
                    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
                    for t in crate::index::navigate::rename_sites(&index, &key, &own, &renamed) {
                        // The open document's own places are converted against this very state.
                        let location = if t.path == key {
                            let span = t.span.unwrap_or_default();
                            Location { uri: s.uri.clone(), range: convert::range(s.doc.range(span.start, span.end)) }
                        } else {
                            shared.target_location(&t)?
                        };
                        changes
                            .entry(location.uri)
                            .or_default()
                            .push(TextEdit { range: location.range, new_text: new_name.clone() });
                    }
                    Some(WorkspaceEdit { changes: Some(changes), ..Default::default() })
                })
                .await?;
            Ok(found.flatten())
        })
        .await
    }

    async fn will_rename_files(&self, params: RenameFilesParams) -> Result<Option<WorkspaceEdit>> {
        const METHOD: &str = "workspace/willRenameFiles";
        let shared = Arc::clone(&self.shared);
        guard::request(METHOD, async {
            let edit = guard::blocking(METHOD, move || {
                let index = shared.workspace.index();
                let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
                for f in &params.files {
                    let (Ok(old), Ok(new)) = (f.old_uri.parse::<Uri>(), f.new_uri.parse::<Uri>()) else { continue };
                    let (Some(old), Some(new)) = (file_path(&old), file_path(&new)) else { continue };
                    for (k, span, raw, written) in crate::index::navigate::file_moves(&index, &old, &new) {
                        let Some(location) = shared.entry_location(&k, span, &raw) else { continue };
                        changes
                            .entry(location.uri)
                            .or_default()
                            .push(TextEdit { range: location.range, new_text: written });
                    }
                }
                (!changes.is_empty()).then(|| WorkspaceEdit { changes: Some(changes), ..Default::default() })
            })
            .await?;
            Ok(edit)
        })
        .await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        const METHOD: &str = "textDocument/documentLink";
        let shared = Arc::clone(&self.shared);
        guard::request(METHOD, async {
            let found = self
                .with_snapshot(METHOD, params.text_document.uri, move |s| {
                    let (_, own) = Shared::own_summary(s);
                    let index = shared.workspace.index();
                    let exists = |p: &std::path::Path| p.exists();
                    let is_dir = |p: &std::path::Path| p.is_dir();
                    crate::index::navigate::links(&index, &own, &exists, &is_dir)
                        .into_iter()
                        .map(|(span, path)| DocumentLink {
                            range: convert::range(s.doc.range(span.start, span.end)),
                            target: Uri::from_file_path(&path),
                            tooltip: Some(crate::vfs::display_path(&path)),
                            data: None,
                        })
                        .collect::<Vec<_>>()
                })
                .await?;
            Ok(found)
        })
        .await
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        const METHOD: &str = "workspace/symbol";
        let shared = Arc::clone(&self.shared);
        guard::request(METHOD, async {
            let found = guard::blocking(METHOD, move || {
                let index = shared.workspace.index();
                crate::index::navigate::symbols(&index, &params.query, MAX_WORKSPACE_SYMBOLS)
                    .into_iter()
                    .filter_map(|(path, o)| {
                        let target = crate::index::navigate::Target {
                            path: path.to_path_buf(),
                            span: Some(o.name_span.unwrap_or(o.span)),
                        };
                        let location = shared.target_location(&target)?;
                        #[allow(deprecated)]
                        Some(SymbolInformation {
                            name: format!("{} {}", o.kind, o.name.as_deref().unwrap_or_default()),
                            kind: SymbolKind::OBJECT,
                            tags: None,
                            deprecated: None,
                            location,
                            container_name: o.namespace.clone(),
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
            Ok(Some(WorkspaceSymbolResponse::Flat(found)))
        })
        .await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        const METHOD: &str = "textDocument/foldingRange";
        let limit = self.shared.client_caps.read().unwrap_or_else(PoisonError::into_inner).folding_range_limit;
        let limit = limit.map_or(convert::MAX_FOLDING_RANGES, |l| (l as usize).min(convert::MAX_FOLDING_RANGES));
        guard::request(
            METHOD,
            self.with_snapshot(METHOD, params.text_document.uri, move |s| convert::folding_ranges(s, limit)),
        )
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        const METHOD: &str = "textDocument/codeAction";
        let shared = Arc::clone(&self.shared);
        let range = params.range;
        let uri = params.text_document.uri;
        if self.oversized(&uri) {
            return Ok(None);
        }
        guard::request(METHOD, async move {
            guard::blocking(METHOD, move || {
                let snap = shared.session.snapshot(&uri)?;
                // The diagnostics pass usually computed these already for this exact text.
                let found = shared.analysis(&snap);
                Some(convert::code_actions(&snap, &found, range))
            })
            .await
        })
        .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        const METHOD: &str = "textDocument/hover";
        let TextDocumentPositionParams { text_document, position } = params.text_document_position_params;
        if self.oversized(&text_document.uri) {
            return Ok(None);
        }
        let store = Arc::clone(&self.shared.store);
        let registry = self.shared.registry.clone();
        guard::request(METHOD, async {
            // On an image: wait a little for registry details, then answer with what is known.
            let uri = text_document.uri.clone();
            let site = self
                .with_snapshot(METHOD, uri.clone(), move |s| {
                    let offset = s.doc.position_to_offset(convert::from_position(position));
                    images::site_at(&s.yaml, &s.doc.rope, offset)
                })
                .await?
                .flatten();
            if let Some(site) = site {
                if let Some((repo, tag)) = site.repo_and_tag() {
                    registry.ensure_tags(&repo);
                    registry.wait_details(&repo, &tag, registry.completion_timeout()).await;
                }
                let hover = self
                    .with_snapshot(METHOD, uri, move |s| {
                        let offset = s.doc.position_to_offset(convert::from_position(position));
                        let h = images::image_hover(&s.yaml, &s.doc.rope, offset, &registry)?;
                        convert::hover_result(s, h)
                    })
                    .await?;
                return Ok(hover.flatten());
            }
            let shared = Arc::clone(&self.shared);
            let hover = self
                .with_snapshot(METHOD, text_document.uri, move |s| {
                    let schema = convert::hover(s, &store, position);
                    // What the repository says about the name under the cursor comes after.
                    let offset = s.doc.position_to_offset(convert::from_position(position));
                    let (key, own) = Shared::own_summary(s);
                    let index = shared.workspace.index();
                    let scanned = shared.workspace.scanned();
                    let note =
                        scanned.then(|| crate::index::navigate::hover_note(&index, &key, &own, offset)).flatten();
                    let doc = (key.as_path(), &s.yaml);
                    let placed = scanned
                        .then(|| shared.configsync.hover_note(&shared.configsync_cx(&index), &store, doc, offset))
                        .flatten();
                    let note = match (note, placed) {
                        (Some((span, a)), Some((_, b))) => Some((span, format!("{a}\n\n{b}"))),
                        (a, b) => a.or(b),
                    };
                    let Some((span, note)) = note else { return schema };
                    let markdown = match schema.as_ref().map(|h| &h.contents) {
                        Some(HoverContents::Markup(m)) => format!("{}\n\n---\n\n{note}", m.value),
                        _ => note,
                    };
                    convert::hover_result(s, analysis::Hover { span, markdown })
                })
                .await?;
            Ok(hover.flatten())
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        const METHOD: &str = "textDocument/completion";
        let TextDocumentPositionParams { text_document, position } = params.text_document_position;
        if self.oversized(&text_document.uri) {
            return Ok(None);
        }
        let store = Arc::clone(&self.shared.store);
        let snippets = self.shared.snippets.load(Ordering::Relaxed);
        let registry = self.shared.registry.clone();
        guard::request(METHOD, async {
            // An image tag or digest: wait for the registry at most `completionTimeoutMs`, then
            // answer from the cache (marked incomplete while a fetch is still running).
            let uri = text_document.uri.clone();
            let target = self
                .with_snapshot(METHOD, uri.clone(), move |s| {
                    let offset = s.doc.position_to_offset(convert::from_position(position));
                    images::tag_target(&s.yaml, &s.doc.rope, offset)
                })
                .await?
                .flatten();
            if let Some(target) = target {
                let timeout = registry.completion_timeout();
                match &target.digest_of {
                    Some(tag) => registry.wait_details(&target.repo, tag, timeout).await,
                    None => registry.wait_tags(&target.repo, timeout).await,
                }
                let list = self
                    .with_snapshot(METHOD, uri, move |s| {
                        convert::completion_list(s, images::complete_target(&target, &registry), snippets)
                    })
                    .await?;
                return Ok(list.map(CompletionResponse::List));
            }
            let list = self
                .with_snapshot(METHOD, text_document.uri, move |s| {
                    // A path entry of a kustomization: what its directory holds.
                    let offset = s.doc.position_to_offset(convert::from_position(position));
                    let list = |dir: &std::path::Path| {
                        let entries = crate::vfs::list_dir(
                            dir,
                            MAX_LISTED_ENTRIES,
                            &crate::k8s::kustomize::KUSTOMIZATION_FILE_NAMES,
                        );
                        let entries = entries.into_iter();
                        entries.map(|(name, is_dir, builds)| DirEntry { name, is_dir, builds }).collect()
                    };
                    let paths = file_path(&s.uri).and_then(|path| {
                        analysis::completion::paths::kustomization_paths(&s.yaml, &s.doc.rope, offset, &path, &list)
                    });
                    match paths {
                        Some(found) => convert::completion_list(s, found, snippets),
                        None => convert::completion(s, &store, position, snippets),
                    }
                })
                .await?;
            Ok(list.map(CompletionResponse::List))
        })
        .await
    }
}
