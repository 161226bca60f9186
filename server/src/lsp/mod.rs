//! The LSP edge: server, session state, handlers, protocol conversions.
//!
//! - [`session`] owns the open documents; text changes apply synchronously in arrival order,
//!   readers take immutable [`Snapshot`]s.
//! - [`server`] has the handlers; every one runs under [`guard`], so a panic becomes an error
//!   response and the server keeps serving.
//! - [`convert`] is the only place that maps byte offsets to protocol positions.

pub mod convert;
pub mod guard;
pub mod server;
pub mod session;
pub mod workspace;

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tower_lsp_server::LspService;

pub use server::Backend;
pub use session::{Session, Snapshot};

/// Environment variable with the log filter (`tracing` directives, default `info`).
pub const LOG_ENV: &str = "GITOPS_LS_LOG";

/// Sends `tracing` output to stderr: stdout carries the protocol.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env(LOG_ENV);
    let invalid = filter.as_ref().err().filter(|_| std::env::var_os(LOG_ENV).is_some()).map(ToString::to_string);
    tracing_subscriber::fmt()
        .with_env_filter(filter.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    if let Some(err) = invalid {
        tracing::warn!("ignoring {LOG_ENV}: {err}");
    }
}

/// Serves LSP on stdin/stdout until `exit`. Returns the process exit code: 0 when `shutdown`
/// came first, 1 otherwise (as the specification asks).
pub async fn serve_stdio() -> i32 {
    let shutdown_requested = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&shutdown_requested);
    let (service, socket) = LspService::build(move |client| Backend::new(client, flag))
        .custom_method("gitops-ls/parseCount", Backend::parse_count)
        .custom_method("gitops-ls/documentText", Backend::document_text)
        .custom_method("gitops-ls/schemaInfo", Backend::schema_info)
        .custom_method("gitops-ls/debugPanic", Backend::debug_panic)
        .finish();
    tower_lsp_server::Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service).await;
    if shutdown_requested.load(Ordering::SeqCst) { 0 } else { 1 }
}
