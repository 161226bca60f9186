//! Helpers shared by fixture tests.
//!
//! Expected diagnostics are written under the offending text as annotation lines, removed
//! before parsing: `   ^^^ error[duplicate-key]: duplicate key` (the carets give the columns of
//! the line above; the message is matched as a substring).

use crate::yaml::{Diagnostic, Severity, Span};

pub struct Expected {
    pub span: Span,
    pub severity: Severity,
    pub code: String,
    pub message: String,
}

pub fn strip_annotations(fixture: &str) -> (String, Vec<Expected>) {
    let mut text = String::new();
    let mut expected = Vec::new();
    let mut prev_line_start = 0;
    for line in fixture.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('^') {
            let col = line.len() - trimmed.len();
            let carets = trimmed.chars().take_while(|&c| c == '^').count();
            let rest = trimmed[carets..].trim();
            let (head, message) = rest.split_once(": ").unwrap_or((rest, ""));
            let (sev, code) = head.split_once('[').map(|(s, c)| (s, c.trim_end_matches(']'))).unwrap_or((head, ""));
            let severity = match sev {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                "info" => Severity::Information,
                "hint" => Severity::Hint,
                other => panic!("bad severity {other}"),
            };
            let start = prev_line_start + col;
            expected.push(Expected {
                span: Span::new(start, start + carets),
                severity,
                code: code.to_string(),
                message: message.trim().to_string(),
            });
        } else {
            prev_line_start = text.len();
            text.push_str(line);
        }
    }
    (text, expected)
}

/// Asserts that `actual` is exactly the annotated set (every annotation found, nothing else).
#[track_caller]
pub fn assert_diagnostics(text: &str, expected: &[Expected], actual: &[Diagnostic]) {
    let show = |d: &Diagnostic| {
        format!("{:?}[{}] {:?} {:?}: {}", d.severity, d.code, d.span, &text[d.span.start..d.span.end], d.message)
    };
    for e in expected {
        assert!(
            actual.iter().any(|d| d.span == e.span
                && d.severity == e.severity
                && d.code == e.code
                && d.message.contains(&e.message)),
            "missing {:?}[{}] {:?} {:?}: {}\nactual:\n{}",
            e.severity,
            e.code,
            e.span,
            &text[e.span.start..e.span.end.min(text.len())],
            e.message,
            actual.iter().map(show).collect::<Vec<_>>().join("\n")
        );
    }
    for d in actual {
        assert!(expected.iter().any(|e| d.span == e.span && d.code == e.code), "unexpected diagnostic {}", show(d));
    }
}

/// A small HTTP/1.1 server on 127.0.0.1 serving fixed paths; records the paths asked for.
pub(crate) struct TestServer {
    pub base: String,
    hits: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl TestServer {
    pub fn start<P: Into<String>>(files: Vec<(P, String)>) -> TestServer {
        TestServer::with_status(files.into_iter().map(|(p, b)| (p, 200, b)).collect())
    }

    /// Like [`TestServer::start`], with the status each path answers.
    pub fn with_status<P: Into<String>>(files: Vec<(P, u16, String)>) -> TestServer {
        use std::io::{BufRead, BufReader, Write};
        let files: Vec<(String, u16, String)> = files.into_iter().map(|(p, c, b)| (p.into(), c, b)).collect();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // Drain the headers.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
                log.lock().unwrap().push(path.clone());
                let (status, body) = match files.iter().find(|(p, _, _)| *p == path) {
                    Some((_, code, body)) => (format!("{code} Status"), body.clone()),
                    None => ("404 Not Found".to_string(), "404: Not Found".to_string()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TestServer { base, hits }
    }

    /// Every path asked for, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }

    /// How many times `path` was asked for.
    pub fn count(&self, path: &str) -> usize {
        self.hits().iter().filter(|p| *p == path).count()
    }
}

/// Every `.rs` file of the crate: its path relative to `server/src` and its text (for tests
/// that hold the sources to a rule).
pub fn crate_sources() -> Vec<(std::path::PathBuf, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("server/src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.strip_prefix(&src).unwrap().to_path_buf(), text));
            }
        }
    }
    out
}
