//! Turns panics inside handlers into error responses so one bug never kills the server.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};

pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}

pub fn internal_error(method: &str, message: &str) -> Error {
    Error { code: ErrorCode::InternalError, message: format!("{method} failed: {message}").into(), data: None }
}

/// Runs a request handler; a panic becomes an `InternalError` response.
pub async fn request<T>(method: &'static str, fut: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            tracing::error!(method, "handler panicked: {message}");
            Err(internal_error(method, message))
        }
    }
}

/// Runs a notification handler; a panic is logged (notifications have no response).
pub async fn notification(method: &'static str, fut: impl Future<Output = ()>) {
    if let Err(payload) = AssertUnwindSafe(fut).catch_unwind().await {
        tracing::error!(method, "handler panicked: {}", panic_message(payload.as_ref()));
    }
}

/// Runs blocking work on tokio's blocking pool; a panic there becomes an `InternalError`.
pub async fn blocking<T: Send + 'static>(method: &'static str, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => Ok(value),
        Err(err) => {
            let message = match err.try_into_panic() {
                Ok(payload) => panic_message(payload.as_ref()).to_string(),
                Err(err) => err.to_string(),
            };
            tracing::error!(method, "blocking task failed: {message}");
            Err(internal_error(method, &message))
        }
    }
}
