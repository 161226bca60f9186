//! The `LanguageServer` implementation: one short handler per method.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};
use tracing::{debug, info, warn};

use super::session::{Session, Snapshot};
use super::{convert, guard};
use crate::schema::SchemaStore;

/// How long diagnostics wait for more edits before running.
const DEBOUNCE: Duration = Duration::from_millis(25);

/// Environment variable that enables `gitops-ls/debugPanic` (for tests of the panic guard).
pub const TEST_PANIC_ENV: &str = "GITOPS_LS_TEST_PANIC";

pub struct Backend {
    shared: Arc<Shared>,
    shutdown_requested: Arc<AtomicBool>,
}

/// State that outlives a handler: background diagnostics tasks hold it too.
struct Shared {
    client: Client,
    session: Session,
    /// Schemas for hover, completion and validation (embedded kinds, CRDs once registered).
    store: Arc<SchemaStore>,
    /// The client accepts snippet completions (`$0`, `${1:…}`); else they are sent as plain text.
    snippets: AtomicBool,
    /// Per-document publishing gate and the sequence number last published. Publishing is
    /// serialized per URI and checks currency under the gate, so an older result can never
    /// follow a newer one. Kept after close so a late clear and a re-open stay ordered.
    gates: Mutex<HashMap<Uri, Arc<tokio::sync::Mutex<u64>>>>,
}

#[derive(Debug, Deserialize)]
pub struct UriParams {
    pub uri: Uri,
}

#[derive(Debug, Default, Deserialize)]
pub struct DebugPanicParams {
    /// Panic on a blocking-pool thread instead of inside the async handler.
    #[serde(default)]
    pub blocking: bool,
}

impl Backend {
    pub fn new(client: Client, shutdown_requested: Arc<AtomicBool>) -> Self {
        let shared = Arc::new(Shared {
            client,
            session: Session::new(),
            store: Arc::new(SchemaStore::new()),
            snippets: AtomicBool::new(false),
            gates: Mutex::default(),
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

    /// `gitops-ls/parseCount`: documents parsed by the file's YAML model so far.
    pub async fn parse_count(&self, params: UriParams) -> Result<usize> {
        const METHOD: &str = "gitops-ls/parseCount";
        guard::request(METHOD, async {
            let count = self.with_snapshot(METHOD, params.uri, |s| s.yaml.parse_count()).await?;
            count.ok_or_else(|| Error::invalid_params("document is not open"))
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

impl Shared {
    fn gate(&self, uri: &Uri) -> Arc<tokio::sync::Mutex<u64>> {
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(gates.entry(uri.clone()).or_default())
    }

    fn schedule_diagnostics(self: &Arc<Self>, uri: Uri, seq: u64) {
        let shared = Arc::clone(self);
        tokio::spawn(guard::notification("diagnostics", async move { shared.diagnostics(uri, seq).await }));
    }

    async fn diagnostics(self: Arc<Self>, uri: Uri, seq: u64) {
        tokio::time::sleep(DEBOUNCE).await;
        if !self.session.is_current(&uri, seq) {
            return;
        }
        let shared = Arc::clone(&self);
        let computed = guard::blocking("diagnostics", move || {
            let snap = shared.session.snapshot(&uri)?;
            let diagnostics = convert::diagnostics(&snap);
            Some((snap, diagnostics))
        })
        .await;
        if let Ok(Some((snap, diagnostics))) = computed {
            self.publish(&snap, diagnostics).await;
        }
    }

    async fn publish(&self, snap: &Snapshot, diagnostics: Vec<Diagnostic>) {
        let gate = self.gate(&snap.uri);
        let mut last = gate.lock().await;
        if *last >= snap.seq || !self.session.is_current(&snap.uri, snap.seq) {
            debug!(uri = snap.uri.as_str(), version = snap.version(), "dropping stale diagnostics");
            return;
        }
        self.client.publish_diagnostics(snap.uri.clone(), diagnostics, Some(snap.version())).await;
        *last = snap.seq;
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
            let snippets = params
                .capabilities
                .text_document
                .as_ref()
                .and_then(|t| t.completion.as_ref()?.completion_item.as_ref()?.snippet_support)
                .unwrap_or(false);
            self.shared.snippets.store(snippets, Ordering::Relaxed);
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
                    folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                    hover_provider: Some(HoverProviderCapability::Simple(true)),
                    completion_provider: Some(CompletionOptions {
                        // A space after `key:` or `- ` is where values and keys start; nothing
                        // more, so typing inside a word never pops a list up by itself.
                        trigger_characters: Some(vec![" ".to_string()]),
                        // Documentation comes with each item: a full list of a big object's keys
                        // is a few tens of kilobytes and computed in well under a millisecond.
                        resolve_provider: Some(false),
                        ..Default::default()
                    }),
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
                Some(seq) => self.shared.schedule_diagnostics(id.uri, seq),
                None => warn!(uri = id.uri.as_str(), "change for a document that is not open"),
            }
        })
        .await
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        guard::notification("textDocument/didClose", async {
            let uri = params.text_document.uri;
            if self.session().close(&uri) {
                self.shared.clear_diagnostics(uri);
            }
        })
        .await
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        const METHOD: &str = "textDocument/documentSymbol";
        guard::request(METHOD, async {
            let symbols = self.with_snapshot(METHOD, params.text_document.uri, convert::document_symbols).await?;
            Ok(symbols.map(DocumentSymbolResponse::Nested))
        })
        .await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        const METHOD: &str = "textDocument/foldingRange";
        guard::request(METHOD, self.with_snapshot(METHOD, params.text_document.uri, convert::folding_ranges)).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        const METHOD: &str = "textDocument/hover";
        let TextDocumentPositionParams { text_document, position } = params.text_document_position_params;
        let store = Arc::clone(&self.shared.store);
        guard::request(METHOD, async {
            let hover =
                self.with_snapshot(METHOD, text_document.uri, move |s| convert::hover(s, &store, position)).await?;
            Ok(hover.flatten())
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        const METHOD: &str = "textDocument/completion";
        let TextDocumentPositionParams { text_document, position } = params.text_document_position;
        let store = Arc::clone(&self.shared.store);
        let snippets = self.shared.snippets.load(Ordering::Relaxed);
        guard::request(METHOD, async {
            let list = self
                .with_snapshot(METHOD, text_document.uri, move |s| convert::completion(s, &store, position, snippets))
                .await?;
            Ok(list.map(CompletionResponse::List))
        })
        .await
    }
}
