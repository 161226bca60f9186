//! stdio in front of the framework.
//!
//! tower-lsp-server's own reader stops at the first message it cannot decode, and its request
//! slots are shared with notifications. So our task reads stdin, answers bad frames itself and
//! forwards only messages the framework accepts, re-framed, over an in-memory pipe; one writer
//! owns stdout so our answers and the framework's never interleave. The reader also watches
//! the client's process and sees `exit` and the end of input first, so none of them can be
//! held up by a busy framework.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::LspService;
use tracing::{error, info, warn};

use super::framing::{self, Classified, Frame, FrameReader, Incoming};
use super::server::Backend;

/// Requests and notifications the framework runs at once. Handlers hand long work to other
/// tasks, so a slot is held only briefly, but many of them keep short requests from queueing
/// behind a burst of slow ones.
const CONCURRENCY: usize = 256;
/// Time the framework gets to answer what is in flight after `exit` or the end of input.
const GRACE: Duration = Duration::from_secs(2);
/// How often the client's process is checked.
const PARENT_POLL: Duration = Duration::from_secs(1);
const CHUNK: usize = 64 * 1024;

/// The largest message accepted, shared with the settings (it follows `maxFileSizeMb`).
#[derive(Debug)]
pub struct Limits {
    max_message_bytes: AtomicUsize,
}

impl Default for Limits {
    fn default() -> Self {
        let limits = Limits { max_message_bytes: AtomicUsize::new(0) };
        limits.set_max_file_size_mb(crate::config::DEFAULT_MAX_FILE_SIZE_MB);
        limits
    }
}

impl Limits {
    /// A document over the size limit must still arrive (to be told it is too big): JSON
    /// escapes make its message up to twice its size.
    pub fn set_max_file_size_mb(&self, mb: u64) {
        let bytes = usize::try_from(mb.saturating_mul(2 << 20)).unwrap_or(usize::MAX);
        self.max_message_bytes.store(bytes.max(16 << 20).saturating_add(1 << 20), Ordering::Relaxed);
    }

    pub fn max_message_bytes(&self) -> usize {
        self.max_message_bytes.load(Ordering::Relaxed)
    }
}

/// Why reading stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Exit,
    EndOfInput,
    ParentGone(u32),
}

/// Serves LSP on stdin/stdout until `exit`, the end of input, or the client's death. Returns
/// the exit code: 0 when `shutdown` came first, 1 otherwise (as the specification asks).
pub async fn serve_stdio() -> i32 {
    serve(tokio::io::stdin(), tokio::io::stdout()).await
}

pub async fn serve<I, O>(input: I, output: O) -> i32
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let shutdown_requested = Arc::new(AtomicBool::new(false));
    let limits = Arc::new(Limits::default());
    let flag = Arc::clone(&shutdown_requested);
    let backend_limits = Arc::clone(&limits);
    let (service, socket) = LspService::build(move |client| Backend::new(client, flag, backend_limits))
        .custom_method("gitops-ls/parseCount", Backend::parse_count)
        .custom_method("gitops-ls/validationCount", Backend::validation_count)
        .custom_method("gitops-ls/documentText", Backend::document_text)
        .custom_method("gitops-ls/schemaInfo", Backend::schema_info)
        .custom_method("gitops-ls/debugPanic", Backend::debug_panic)
        .finish();

    let (to_framework, framework_in) = tokio::io::duplex(CHUNK);
    let (framework_out, from_framework) = tokio::io::duplex(CHUNK);
    let server = tokio::spawn(
        tower_lsp_server::Server::new(framework_in, framework_out, socket)
            .concurrency_level(CONCURRENCY)
            .serve(service),
    );
    let (ours_tx, ours_rx) = mpsc::channel::<Vec<u8>>(64);
    let writer = tokio::spawn(write_output(output, from_framework, ours_rx));
    let (forward_tx, forward_rx) = mpsc::channel::<Vec<u8>>(1024);
    let forwarder = tokio::spawn(forward(to_framework, forward_rx));

    let stop = read_input(input, &limits, &forward_tx, &ours_tx).await;
    drop(forward_tx);
    drop(ours_tx);
    match stop {
        Stop::Exit | Stop::EndOfInput => {
            if stop == Stop::EndOfInput {
                info!("input closed; stopping");
            }
            let _ = tokio::time::timeout(GRACE, forwarder).await;
            let mut server = server;
            if tokio::time::timeout(GRACE, &mut server).await.is_err() {
                warn!("requests still running at exit are abandoned");
                server.abort();
            }
        }
        Stop::ParentGone(pid) => {
            warn!(pid, "the client's process is gone; stopping");
            server.abort();
        }
    }
    if tokio::time::timeout(GRACE, writer).await.is_err() {
        warn!("output not flushed in time");
    }
    if shutdown_requested.load(Ordering::SeqCst) { 0 } else { 1 }
}

async fn read_input<I: AsyncRead + Unpin>(
    mut input: I,
    limits: &Limits,
    forward_tx: &mpsc::Sender<Vec<u8>>,
    ours_tx: &mpsc::Sender<Vec<u8>>,
) -> Stop {
    let mut reader = FrameReader::new(limits.max_message_bytes());
    let mut chunk = vec![0u8; CHUNK];
    let (parent_tx, mut parent_rx) = mpsc::channel::<u32>(1);
    let mut watching = false;
    loop {
        let n = tokio::select! {
            read = input.read(&mut chunk) => match read {
                Ok(n) => n,
                Err(e) => {
                    error!("cannot read stdin: {e}");
                    0
                }
            },
            Some(pid) = parent_rx.recv() => return Stop::ParentGone(pid),
        };
        if n == 0 {
            while let Some(frame) = reader.finish() {
                if let Frame::Error(e) = frame {
                    warn!("{e}");
                }
            }
            return Stop::EndOfInput;
        }
        reader.set_max_body(limits.max_message_bytes());
        reader.push(&chunk[..n]);
        while let Some(frame) = reader.next_frame() {
            let body = match frame {
                Frame::Body(body) => body,
                Frame::Error(e) => {
                    warn!("bad message: {e}");
                    send_ours(ours_tx, &framing::frame_error_response(&e)).await;
                    continue;
                }
            };
            let incoming = match framing::classify(&body) {
                Classified::Forward(incoming) => incoming,
                Classified::Reject(response) => {
                    warn!("rejected message: {}", serde_json::to_string(&response).unwrap_or_default());
                    send_ours(ours_tx, &response).await;
                    continue;
                }
                Classified::Ignore => continue,
            };
            let exit = matches!(&incoming, Incoming::Notification { method } if method == "exit");
            if let Incoming::Request { parent_pid: Some(pid), .. } = incoming
                && !watching
            {
                watching = watch_parent(pid, parent_tx.clone());
            }
            let framed = framing::encode(&body);
            drop(body);
            if exit {
                // Best effort: the framework may be too busy to take it, and we stop anyway.
                let _ = forward_tx.try_send(framed);
                return Stop::Exit;
            }
            tokio::select! {
                sent = forward_tx.send(framed) => if sent.is_err() {
                    return Stop::EndOfInput;
                },
                Some(pid) = parent_rx.recv() => return Stop::ParentGone(pid),
            }
        }
    }
}

async fn send_ours(ours_tx: &mpsc::Sender<Vec<u8>>, response: &tower_lsp_server::jsonrpc::Response) {
    match serde_json::to_vec(response) {
        Ok(body) => {
            let _ = ours_tx.send(framing::encode(&body)).await;
        }
        Err(e) => error!("cannot encode an error response: {e}"),
    }
}

async fn forward<W: AsyncWrite + Unpin>(mut to_framework: W, mut rx: mpsc::Receiver<Vec<u8>>) {
    while let Some(frame) = rx.recv().await {
        if to_framework.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = to_framework.shutdown().await;
}

/// The single writer of stdout: whole frames from the framework and from us.
async fn write_output<O, F>(mut out: O, mut framework: F, mut ours: mpsc::Receiver<Vec<u8>>)
where
    O: AsyncWrite + Unpin,
    F: AsyncRead + Unpin,
{
    let mut frames = FrameReader::new(usize::MAX);
    let mut chunk = vec![0u8; CHUNK];
    let (mut framework_open, mut ours_open) = (true, true);
    while framework_open || ours_open {
        let result = tokio::select! {
            read = framework.read(&mut chunk), if framework_open => match read {
                Ok(0) | Err(_) => {
                    framework_open = false;
                    Ok(())
                }
                Ok(n) => {
                    frames.push(&chunk[..n]);
                    let mut result = Ok(());
                    while let Some(frame) = frames.next_frame() {
                        if let Frame::Body(body) = frame {
                            result = out.write_all(&framing::encode(&body)).await;
                            if result.is_err() {
                                break;
                            }
                        }
                    }
                    result
                }
            },
            frame = ours.recv(), if ours_open => match frame {
                Some(frame) => out.write_all(&frame).await,
                None => {
                    ours_open = false;
                    Ok(())
                }
            },
        };
        if result.and(out.flush().await).is_err() {
            // The client stopped reading; nothing more can reach it.
            return;
        }
    }
}

/// Starts polling the client's process; false when it cannot be watched here.
fn watch_parent(pid: u32, tx: mpsc::Sender<u32>) -> bool {
    if pid == 0 || pid == std::process::id() {
        return false;
    }
    if !Path::new("/proc/self/stat").exists() {
        info!(pid, "cannot watch the client's process on this system");
        return false;
    }
    info!(pid, "watching the client's process");
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(PARENT_POLL).await;
            if !process_alive(pid) {
                let _ = tx.send(pid).await;
                return;
            }
        }
    });
    true
}

/// A process exists and is not a zombie (a dead child its parent has not reaped yet).
fn process_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // `pid (comm) state …`; comm may itself contain spaces and parentheses.
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z' | 'X' | 'x'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive_and_a_free_pid_is_not() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(u32::MAX));
    }

    #[test]
    fn message_limit_follows_the_file_limit() {
        let limits = Limits::default();
        limits.set_max_file_size_mb(100);
        assert_eq!(limits.max_message_bytes(), (200 << 20) + (1 << 20));
        limits.set_max_file_size_mb(0);
        assert_eq!(limits.max_message_bytes(), (16 << 20) + (1 << 20));
        limits.set_max_file_size_mb(u64::MAX);
        assert_eq!(limits.max_message_bytes(), usize::MAX);
    }
}
