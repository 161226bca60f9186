//! The LSP edge: server, session state, handlers, protocol conversions.
//!
//! - [`session`] owns the open documents; text changes apply synchronously in arrival order,
//!   readers take immutable [`Snapshot`]s.
//! - [`server`] has the handlers; every one runs under [`guard`], so a panic becomes an error
//!   response and the server keeps serving.
//! - [`transport`] owns stdin and stdout: it frames messages itself ([`framing`]), answers
//!   bad ones, and forwards the rest to the framework.
//! - [`convert`] is the only place that maps byte offsets to protocol positions.

mod configsync;
pub mod convert;
pub mod framing;
pub mod guard;
pub mod schema_status;
pub mod server;
pub mod session;
pub mod transport;
pub mod workspace;

use std::io::IsTerminal;

pub use server::Backend;
pub use session::{Session, Snapshot};
pub use transport::serve_stdio;

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
