//! The one HTTP stack: schema downloads and the image registry use clients built here, so both
//! trust the same roots (the OS certificate store, through rustls-platform-verifier, which
//! reqwest's rustls backend uses), send the same user agent and have the same kind of timeouts.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

/// Sent with every request.
pub const USER_AGENT: &str = concat!("gitops-ls/", env!("CARGO_PKG_VERSION"));

/// A dead host or a DNS that never answers must not stall a whole check.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// rustls needs one process-wide crypto provider; ring is the one the tree already has.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// How a client behaves beyond what every client shares.
#[derive(Clone, Copy, Debug)]
pub struct HttpOptions {
    /// The whole request, body included.
    pub timeout: Duration,
    /// Follow redirects (schema downloads); the registry follows them by hand to keep
    /// credentials on their own host.
    pub follow_redirects: bool,
}

/// A client with the shared TLS configuration, user agent and connect timeout.
pub fn http_client(opts: HttpOptions) -> reqwest::Client {
    install_crypto_provider();
    let redirect =
        if opts.follow_redirects { reqwest::redirect::Policy::limited(5) } else { reqwest::redirect::Policy::none() };
    reqwest::Client::builder()
        .redirect(redirect)
        .connect_timeout(opts.timeout.min(CONNECT_TIMEOUT))
        .timeout(opts.timeout)
        .user_agent(USER_AGENT)
        .build()
        .unwrap_or_default()
}

/// Runs `fut` on the current tokio runtime (the server's), or on a small runtime of its own
/// (one worker, kept for the life of the process) where there is none, as in `check`.
pub fn spawn<F>(fut: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn(fut);
        }
        Err(_) => {
            if let Some(rt) = background_runtime() {
                rt.spawn(fut);
            }
        }
    }
}

fn background_runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("gitops-ls-net")
            .enable_all()
            .build()
            .ok()
    })
    .as_ref()
}

/// What a GET answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GetError {
    /// HTTP 404 or 410: the server has no such file.
    NotFound(u16),
    /// Any other status.
    Status(u16),
    /// No answer from the host (DNS, connection, TLS, timeout).
    Unreachable(String),
    /// The answer broke off or was larger than allowed.
    Body(String),
}

/// GETs `url` as text, at most `max_bytes` of it.
pub async fn get_text(client: &reqwest::Client, url: &str, max_bytes: u64) -> Result<String, GetError> {
    let mut response = client.get(url).send().await.map_err(|e| GetError::Unreachable(error_chain(&e)))?;
    let status = response.status().as_u16();
    if status == 404 || status == 410 {
        return Err(GetError::NotFound(status));
    }
    if !(200..300).contains(&status) {
        return Err(GetError::Status(status));
    }
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(GetError::Body(format!("larger than {} MB", max_bytes >> 20)));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| GetError::Body(error_chain(&e)))? {
        if body.len() as u64 + chunk.len() as u64 > max_bytes {
            return Err(GetError::Body(format!("larger than {} MB", max_bytes >> 20)));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| GetError::Body("not UTF-8 text".into()))
}

/// An error with its causes (reqwest's own message is only "error sending request").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
