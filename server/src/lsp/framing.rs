//! LSP base-protocol framing, without I/O: bytes in, frames or framing errors out.
//!
//! Lenient where the specification leaves room and bounded everywhere: header names are
//! case-insensitive, unknown headers (such as `Content-Type`) are ignored, lines may end in
//! `\n` as well as `\r\n`, and a body larger than the limit is skipped as it streams past
//! (never buffered). After garbage the reader resynchronises at the next `Content-Length`
//! header, so a well-formed frame that follows is never lost.
//!
//! [`classify`] then decides what a complete body is: a message for the framework, or an
//! error the transport answers itself.

use std::collections::VecDeque;

use serde::Deserialize;
use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};

/// Longest header section accepted, in bytes; real clients send well under 100.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

const CONTENT_LENGTH: &[u8] = b"content-length";

/// What the reader found in the byte stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete body (not yet checked to be JSON).
    Body(Vec<u8>),
    /// Bytes that do not form a frame were dropped.
    Error(FrameError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Bytes that are not a header line.
    Garbage { skipped: usize },
    /// A header section without `Content-Length`.
    MissingContentLength,
    /// `Content-Length` that is not a number, or two that disagree.
    BadContentLength(String),
    /// A header section longer than [`MAX_HEADER_BYTES`].
    HeaderTooLong,
    /// A body over the size limit; its bytes are skipped.
    TooLarge { declared: usize, limit: usize },
    /// The stream ended inside a frame.
    Truncated { missing: usize },
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Garbage { skipped } => write!(f, "skipped {skipped} bytes that are not an LSP header"),
            FrameError::MissingContentLength => f.write_str("header section without Content-Length"),
            FrameError::BadContentLength(v) => write!(f, "invalid Content-Length `{v}`"),
            FrameError::HeaderTooLong => write!(f, "header section longer than {MAX_HEADER_BYTES} bytes"),
            FrameError::TooLarge { declared, limit } => {
                write!(f, "message of {declared} bytes skipped: the limit is {limit} bytes (see maxFileSizeMb)")
            }
            FrameError::Truncated { missing } => write!(f, "input ended {missing} bytes before the end of a message"),
        }
    }
}

#[derive(Debug)]
enum State {
    Headers,
    Body { len: usize, body: Vec<u8> },
    Skip { remaining: usize },
}

/// Incremental frame reader: [`push`](FrameReader::push) bytes as they arrive, then take
/// frames with [`next_frame`](FrameReader::next_frame) until it returns `None`.
#[derive(Debug)]
pub struct FrameReader {
    /// Bytes not yet consumed while reading headers.
    buf: VecDeque<u8>,
    state: State,
    max_body: usize,
    /// Errors found while consuming pushed bytes (skips), reported before later frames.
    queued: VecDeque<Frame>,
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

enum Header {
    /// Need more bytes.
    Partial,
    /// A complete header section of `consumed` bytes.
    Ok { consumed: usize, content_length: usize },
    /// A complete but unusable section of `consumed` bytes.
    Bad { consumed: usize, error: FrameError },
    /// A line that is not a header at all.
    Garbage,
}

impl FrameReader {
    pub fn new(max_body: usize) -> Self {
        FrameReader { buf: VecDeque::new(), state: State::Headers, max_body, queued: VecDeque::new() }
    }

    pub fn set_max_body(&mut self, max_body: usize) {
        self.max_body = max_body;
    }

    /// Bytes held: a partial header section and a partial body.
    pub fn buffered(&self) -> usize {
        self.buf.len() + if let State::Body { body, .. } = &self.state { body.len() } else { 0 }
    }

    /// True when no partial frame is buffered.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Headers) && self.buf.is_empty() && self.queued.is_empty()
    }

    pub fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Headers => {
                    self.buf.extend(bytes);
                    return;
                }
                State::Body { len, body } => {
                    let take = (*len - body.len()).min(bytes.len());
                    body.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if body.len() == *len {
                        let body = std::mem::take(body);
                        self.queued.push_back(Frame::Body(body));
                        self.state = State::Headers;
                    }
                }
                State::Skip { remaining } => {
                    let take = (*remaining).min(bytes.len());
                    *remaining -= take;
                    bytes = &bytes[take..];
                    if *remaining == 0 {
                        self.state = State::Headers;
                    }
                }
            }
        }
    }

    /// The next frame or error, or `None` until more bytes are pushed.
    pub fn next_frame(&mut self) -> Option<Frame> {
        if let Some(frame) = self.queued.pop_front() {
            return Some(frame);
        }
        if !matches!(self.state, State::Headers) {
            return None;
        }
        // Blank lines between messages are harmless.
        while matches!(self.buf.front(), Some(b'\r' | b'\n')) {
            self.buf.pop_front();
        }
        if self.buf.is_empty() {
            return None;
        }
        match self.parse_headers() {
            Header::Partial => {
                if self.buf.len() <= MAX_HEADER_BYTES {
                    return None;
                }
                // Keep what may be the start of a later header; drop the rest.
                self.resync(true);
                Some(Frame::Error(FrameError::HeaderTooLong))
            }
            Header::Garbage => {
                let skipped = self.resync(false);
                Some(Frame::Error(FrameError::Garbage { skipped }))
            }
            Header::Bad { consumed, error } => {
                // A later `Content-Length` inside the section may start a real frame.
                match find_content_length(&self.buf, 1, consumed, true) {
                    Some(at) => drop(self.buf.drain(..at)),
                    None => drop(self.buf.drain(..consumed)),
                }
                Some(Frame::Error(error))
            }
            Header::Ok { consumed, content_length } => {
                self.buf.drain(..consumed);
                if content_length > self.max_body {
                    let limit = self.max_body;
                    let buffered = self.buf.len().min(content_length);
                    self.buf.drain(..buffered);
                    if buffered < content_length {
                        self.state = State::Skip { remaining: content_length - buffered };
                    }
                    return Some(Frame::Error(FrameError::TooLarge { declared: content_length, limit }));
                }
                if self.buf.len() >= content_length {
                    let body: Vec<u8> = self.buf.drain(..content_length).collect();
                    return Some(Frame::Body(body));
                }
                // The declared length is bounded by `max_body`, so reserving it is too.
                let mut body = Vec::with_capacity(content_length);
                body.extend(self.buf.drain(..));
                self.state = State::Body { len: content_length, body };
                None
            }
        }
    }

    /// At end of input: an error for a frame cut short, if any.
    pub fn finish(&mut self) -> Option<Frame> {
        if let Some(frame) = self.next_frame() {
            return Some(frame);
        }
        let missing = match std::mem::replace(&mut self.state, State::Headers) {
            State::Headers if !self.buf.is_empty() => {
                let n = self.buf.len();
                self.buf.clear();
                return Some(Frame::Error(FrameError::Garbage { skipped: n }));
            }
            State::Headers => return None,
            State::Body { len, body } => len - body.len(),
            State::Skip { remaining } => remaining,
        };
        Some(Frame::Error(FrameError::Truncated { missing }))
    }

    /// Drops bytes up to the next `content-length` after the first byte; returns how many.
    /// `keep_tail`: without a match, keep the last bytes that could start one.
    fn resync(&mut self, keep_tail: bool) -> usize {
        let to = match find_content_length(&self.buf, 1, self.buf.len(), false) {
            Some(at) => at,
            None if keep_tail => self.buf.len().saturating_sub(CONTENT_LENGTH.len() - 1),
            None => {
                // Keep a partial line: it may still become a `Content-Length` header.
                match self.buf.iter().rposition(|&b| b == b'\n') {
                    Some(nl) => nl + 1,
                    None => self.buf.len().saturating_sub(CONTENT_LENGTH.len() - 1).max(1),
                }
            }
        };
        let to = to.max(1).min(self.buf.len());
        self.buf.drain(..to);
        to
    }

    fn parse_headers(&self) -> Header {
        let mut pos = 0;
        let mut content_length: Option<usize> = None;
        let mut error = None;
        let len = self.buf.len();
        loop {
            let Some(nl) = (pos..len.min(pos + MAX_HEADER_BYTES + 1)).find(|&i| self.buf[i] == b'\n') else {
                // A line that cannot be a header, even before it ends: its name (up to the
                // colon) must be a token. A final `\r` may be half of a line break.
                let name_end = (pos..len).find(|&i| self.buf[i] == b':').unwrap_or(len);
                let cr_last = len > pos && self.buf[len - 1] == b'\r';
                let name_end = if name_end == len && cr_last { len - 1 } else { name_end };
                if !(pos..name_end).all(|i| is_token_byte(self.buf[i])) {
                    return Header::Garbage;
                }
                return Header::Partial;
            };
            let mut end = nl;
            if end > pos && self.buf[end - 1] == b'\r' {
                end -= 1;
            }
            if end == pos {
                let consumed = nl + 1;
                return match (error, content_length) {
                    (Some(error), _) => Header::Bad { consumed, error },
                    (None, Some(content_length)) => Header::Ok { consumed, content_length },
                    (None, None) => Header::Bad { consumed, error: FrameError::MissingContentLength },
                };
            }
            let line: Vec<u8> = (pos..end).map(|i| self.buf[i]).collect();
            let Some(colon) = line.iter().position(|&b| b == b':') else { return Header::Garbage };
            let (name, value) = (&line[..colon], &line[colon + 1..]);
            if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
                return Header::Garbage;
            }
            if name.eq_ignore_ascii_case(CONTENT_LENGTH) {
                let text = String::from_utf8_lossy(value).trim().to_string();
                match text.parse::<usize>() {
                    Ok(n) if content_length.is_none_or(|c| c == n) => content_length = Some(n),
                    _ => {
                        error.get_or_insert(FrameError::BadContentLength(text.chars().take(40).collect()));
                    }
                }
            }
            pos = nl + 1;
        }
    }
}

/// Position of the first case-insensitive `content-length` in `buf[from..to]`; `embedded`:
/// only one glued to the end of something else (not at the start of a line).
fn find_content_length(buf: &VecDeque<u8>, from: usize, to: usize, embedded: bool) -> Option<usize> {
    let to = to.min(buf.len());
    let n = CONTENT_LENGTH.len();
    (from..to).find(|&i| {
        i + n <= buf.len()
            && (0..n).all(|k| buf[i + k].eq_ignore_ascii_case(&CONTENT_LENGTH[k]))
            && !(embedded && buf[i - 1] == b'\n')
    })
}

/// Writes one frame.
pub fn encode(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// The framework's own message type (it is not public): a body that decodes as this is one
/// the framework accepts, so forwarding it never ends its read loop.
#[derive(Deserialize)]
#[serde(untagged)]
enum Message {
    Response(#[allow(dead_code)] Response),
    Request(Request),
}

/// What to do with one body.
#[derive(Debug)]
pub enum Classified {
    /// Forward to the framework.
    Forward(Incoming),
    /// Answer with this error and do not forward.
    Reject(Response),
    /// Drop silently (a `$/` notification the framework does not know).
    Ignore,
}

/// The parts of a forwarded message the transport itself acts on.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Request { id: Id, method: String, parent_pid: Option<u32> },
    Notification { method: String },
    Response,
}

fn error(code: ErrorCode, message: String) -> Error {
    Error { code, message: message.into(), data: None }
}

/// Notifications starting with `$/` the framework implements.
const KNOWN_DOLLAR_NOTIFICATIONS: &[&str] = &["$/cancelRequest", "$/setTrace"];

pub fn classify(body: &[u8]) -> Classified {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            return Classified::Reject(Response::from_error(Id::Null, parse_error(&format!("invalid UTF-8: {e}"))));
        }
    };
    // A JSON array is a batch, which the framework would misread as a positional request.
    if !text.trim_start().starts_with('{') {
        return Classified::Reject(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Err(e) => Response::from_error(Id::Null, parse_error(&e.to_string())),
            Ok(_) if text.trim_start().starts_with('[') => Response::from_error(
                Id::Null,
                error(ErrorCode::InvalidRequest, "batches are not supported by the Language Server Protocol".into()),
            ),
            Ok(_) => Response::from_error(
                Id::Null,
                error(ErrorCode::InvalidRequest, "a message must be a JSON object".into()),
            ),
        });
    }
    match serde_json::from_str::<Message>(text) {
        Ok(Message::Response(_)) => Classified::Forward(Incoming::Response),
        Ok(Message::Request(req)) => {
            let method = req.method().to_string();
            match req.id().cloned() {
                Some(id) if method.starts_with("$/") => Classified::Reject(Response::from_error(
                    id,
                    error(ErrorCode::MethodNotFound, format!("method not found: {method}")),
                )),
                Some(id) => {
                    let parent_pid = (method == "initialize")
                        .then(|| req.params()?.get("processId")?.as_u64())
                        .flatten()
                        .and_then(|p| u32::try_from(p).ok());
                    Classified::Forward(Incoming::Request { id, method, parent_pid })
                }
                None if method.starts_with("$/") && !KNOWN_DOLLAR_NOTIFICATIONS.contains(&method.as_str()) => {
                    Classified::Ignore
                }
                None => Classified::Forward(Incoming::Notification { method }),
            }
        }
        Err(e) if e.is_data() => {
            // Valid JSON, wrong shape: answer with the request's id when there is a usable one.
            let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            let what = format!("not a JSON-RPC 2.0 message: {e}");
            let id = match value.get("id") {
                Some(Value::String(s)) => Id::String(s.clone()),
                Some(Value::Number(n)) => n.as_i64().map_or(Id::Null, Id::Number),
                _ => Id::Null,
            };
            Classified::Reject(Response::from_error(id, error(ErrorCode::InvalidRequest, what)))
        }
        Err(e) => Classified::Reject(Response::from_error(Id::Null, parse_error(&e.to_string()))),
    }
}

fn parse_error(detail: &str) -> Error {
    error(ErrorCode::ParseError, format!("parse error: {detail}"))
}

/// The error response for a framing problem (`Parse error`, id `null`).
pub fn frame_error_response(err: &FrameError) -> Response {
    Response::from_error(Id::Null, parse_error(&err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(max: usize, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut r = FrameReader::new(max);
        let mut out = Vec::new();
        for c in chunks {
            r.push(c);
            while let Some(f) = r.next_frame() {
                out.push(f);
            }
        }
        while let Some(f) = r.finish() {
            out.push(f);
        }
        out
    }

    fn body(s: &str) -> Frame {
        Frame::Body(s.as_bytes().to_vec())
    }

    #[test]
    fn reads_frames_in_any_split() {
        let input = b"Content-Length: 2\r\n\r\n{}content-length: 3\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[1]";
        for split in 0..input.len() {
            let got = frames(100, &[&input[..split], &input[split..]]);
            assert_eq!(got, vec![body("{}"), body("[1]")], "split at {split}");
        }
        // Bare `\n` line ends and blank lines between messages.
        assert_eq!(frames(100, &[b"\r\nCONTENT-LENGTH:1\n\n1\n"]), vec![body("1")]);
    }

    #[test]
    fn resynchronises_after_garbage() {
        let got = frames(100, &[b"hello world\r\n\r\nxyzContent-Length: 2\r\n\r\n{}"]);
        assert_eq!(got, vec![Frame::Error(FrameError::Garbage { skipped: 18 }), body("{}")]);
        let got = frames(100, &[b"}}}}Content-Length: 2\r\n\r\n{}"]);
        assert_eq!(got, vec![Frame::Error(FrameError::Garbage { skipped: 4 }), body("{}")]);
        let got = frames(100, &[b"X-Foo: 1\r\n\r\nContent-Length: 2\r\n\r\n{}"]);
        assert_eq!(got, vec![Frame::Error(FrameError::MissingContentLength), body("{}")]);
        let got = frames(100, &[b"Content-Length: x\r\n\r\nContent-Length: 2\r\n\r\n{}"]);
        assert_eq!(got, vec![Frame::Error(FrameError::BadContentLength("x".into())), body("{}")]);
        let got = frames(100, &[b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nContent-Length: 2\r\n\r\n{}"]);
        assert_eq!(got[0], Frame::Error(FrameError::BadContentLength("2".into())));
        assert_eq!(got.last(), Some(&body("{}")));
    }

    #[test]
    fn huge_bodies_are_skipped_without_buffering() {
        let mut r = FrameReader::new(10);
        r.push(b"Content-Length: 18446744073709551615\r\n\r\nabc");
        assert_eq!(r.next_frame(), Some(Frame::Error(FrameError::TooLarge { declared: usize::MAX, limit: 10 })));
        r.push(&[b'x'; 4096]);
        assert!(r.buf.is_empty() && r.next_frame().is_none());

        let got = frames(4, &[b"Content-Length: 5\r\n\r\n", b"123", b"45Content-Length: 2\r\n\r\n{}"]);
        assert_eq!(got, vec![Frame::Error(FrameError::TooLarge { declared: 5, limit: 4 }), body("{}")]);
        // A declared length beyond what usize holds is not a number we can honour.
        let got = frames(4, &[b"Content-Length: 99999999999999999999999\r\n\r\n"]);
        assert!(matches!(got[0], Frame::Error(FrameError::BadContentLength(_))));
    }

    #[test]
    fn endless_headers_are_bounded() {
        let mut r = FrameReader::new(10);
        for _ in 0..100 {
            r.push(&[b'a'; 1000]);
            while r.next_frame().is_some() {}
            assert!(r.buf.len() <= MAX_HEADER_BYTES + 1000);
        }
        r.push(b"\r\nContent-Length: 1\r\n\r\n1");
        let mut last = None;
        while let Some(f) = r.next_frame() {
            last = Some(f);
        }
        assert_eq!(last, Some(body("1")));
    }

    #[test]
    fn truncated_input_is_reported() {
        assert_eq!(
            frames(10, &[b"Content-Length: 5\r\n\r\nab"]),
            vec![Frame::Error(FrameError::Truncated { missing: 3 })]
        );
        assert_eq!(frames(10, &[b"Content-Le"]), vec![Frame::Error(FrameError::Garbage { skipped: 10 })]);
    }

    fn reject_code(body: &str) -> (i64, Value) {
        match classify(body.as_bytes()) {
            Classified::Reject(r) => {
                let v = serde_json::to_value(&r).unwrap();
                (v["error"]["code"].as_i64().unwrap(), v["id"].clone())
            }
            other => panic!("{body}: expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn classifies_bodies() {
        assert_eq!(reject_code("{"), (-32700, Value::Null));
        assert_eq!(reject_code(""), (-32700, Value::Null));
        assert_eq!(reject_code(r#"{"jsonrpc":"2.0","method":"x","params":{"s":"\ud800"}}"#), (-32700, Value::Null));
        assert!(matches!(classify(b"{\"a\":\"\xff\"}"), Classified::Reject(_)));
        assert_eq!(reject_code(r#"[{"jsonrpc":"2.0","id":1,"method":"shutdown"}]"#), (-32600, Value::Null));
        assert_eq!(reject_code("42"), (-32600, Value::Null));
        assert_eq!(reject_code(r#"{"jsonrpc":"1.0","id":7,"method":"x"}"#), (-32600, Value::from(7)));
        assert_eq!(reject_code(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#), (-32600, Value::Null));
        assert_eq!(reject_code(r#"{"jsonrpc":"2.0","method":"a","method":"b"}"#).0, -32600);
        assert_eq!(reject_code(r#"{"jsonrpc":"2.0","id":"q","method":"$/x"}"#), (-32601, Value::from("q")));
        assert!(matches!(classify(br#"{"jsonrpc":"2.0","method":"$/x"}"#), Classified::Ignore));
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#),
            Classified::Forward(Incoming::Notification { .. })
        ));
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","id":3,"result":null}"#),
            Classified::Forward(Incoming::Response)
        ));
        match classify(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":42}}"#) {
            Classified::Forward(Incoming::Request { id, method, parent_pid }) => {
                assert_eq!((id, method.as_str(), parent_pid), (Id::Number(1), "initialize", Some(42)));
            }
            other => panic!("{other:?}"),
        }
    }
}
