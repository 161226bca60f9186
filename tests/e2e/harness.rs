//! Drives the real `gitops-ls` binary over stdio.
//!
//! A reader thread collects everything the server writes; tests wait on conditions, never on
//! timings (the deadline below only turns a hang into a readable failure). The harness fails a
//! test on error responses it was not told to expect, on server-to-client requests nobody
//! answers, and on panics printed to stderr.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Only a guard against hangs; no test depends on how fast anything is.
const HANG_GUARD: Duration = Duration::from_secs(120);

#[derive(Default)]
struct State {
    responses: HashMap<i64, Value>,
    /// Ids of responses in arrival order.
    response_order: Vec<i64>,
    /// Error responses with `id: null` (answers to messages the server could not read).
    null_id_errors: Vec<Value>,
    /// How many of those a test has waited for (the others are unexpected).
    null_id_errors_seen: usize,
    /// Server-to-client requests, kept when the test ignores them on purpose.
    server_requests: Vec<Value>,
    ignore_server_requests: bool,
    notifications: Vec<Value>,
    unexpected: Vec<String>,
    stderr: String,
    stdout_closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    shared: Arc<Shared>,
    next_id: i64,
    panics_expected: bool,
}

pub fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}})
}

/// An incremental change inserting `text` at a position.
pub fn insert(line: u32, character: u32, text: &str) -> Value {
    json!({"range": range(line, character, line, character), "text": text})
}

impl Server {
    pub fn start() -> Server {
        Server::start_with_env(&[])
    }

    pub fn start_with_env(env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gitops-ls"))
            .env("GITOPS_LS_LOG", "info")
            // Tests never reach registries beyond this machine.
            .env("GITOPS_LS_REGISTRY_LOOPBACK_ONLY", "1")
            .env("GITOPS_LS_SCHEMAS_LOOPBACK_ONLY", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start gitops-ls");
        let shared = Arc::new(Shared::default());
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let s = Arc::clone(&shared);
        thread::spawn(move || read_messages(BufReader::new(stdout), &s));
        let s = Arc::clone(&shared);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut state = s.state.lock().unwrap();
                state.stderr.push_str(&line);
                state.stderr.push('\n');
            }
        });
        Server { stdin: child.stdin.take(), child, shared, next_id: 0, panics_expected: false }
    }

    /// The test provokes panics on purpose; don't fail on them in stderr.
    pub fn expect_panics(&mut self) {
        self.panics_expected = true;
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{}", body.len(), body).as_bytes());
    }

    /// Writes bytes as they are: broken frames, odd headers, garbage.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        stdin.write_all(bytes).expect("write to server");
        stdin.flush().unwrap();
    }

    /// Uses the next id without sending anything (for requests written by hand).
    pub fn next_request_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Server-to-client requests are recorded instead of failing the test; nobody answers.
    pub fn ignore_server_requests(&mut self) {
        self.lock().ignore_server_requests = true;
    }

    /// Waits until at least `n` server-to-client requests with `method` arrived.
    pub fn await_server_requests(&self, method: &str, n: usize) -> Vec<Value> {
        self.wait_for(&format!("{n} {method} requests"), |s| {
            let found: Vec<Value> = s.server_requests.iter().filter(|r| r["method"] == method).cloned().collect();
            (found.len() >= n).then_some(found)
        })
    }

    /// Waits for the `n`-th (1-based) error response with `id: null`; returns its error object.
    pub fn await_null_id_error(&self, n: usize) -> Value {
        self.wait_for(&format!("{n} error responses with id null"), |s| {
            let error = s.null_id_errors.get(n - 1).map(|r| r["error"].clone())?;
            s.null_id_errors_seen = s.null_id_errors_seen.max(n);
            Some(error)
        })
    }

    /// Position of the response to `id` among all responses so far.
    pub fn response_rank(&self, id: i64) -> Option<usize> {
        self.lock().response_order.iter().position(|&r| r == id)
    }

    /// Waits for the server to exit by itself (input still open).
    pub fn await_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.wait_for("stdout to close", |s| s.stdout_closed.then_some(()));
                self.check_clean();
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit\n{}", self.stderr());
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Closes the server's input and waits for it to exit.
    pub fn close_input_and_wait(&mut self) -> ExitStatus {
        let status = self.wait_exit();
        self.check_clean();
        status
    }

    /// `initialize` with the given params + `initialized`; returns the capabilities.
    pub fn initialize_with(&mut self, params: Value) -> Value {
        let result = self.request("initialize", params);
        self.notify("initialized", json!({}));
        result["capabilities"].clone()
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request without waiting; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Waits for the full response message of request `id`.
    pub fn response(&self, id: i64) -> Value {
        self.wait_for(&format!("response to request {id}"), |s| s.responses.remove(&id))
    }

    /// Sends a request and returns its result; an error response fails the test.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        let response = self.response(id);
        if let Some(error) = response.get("error") {
            panic!("unexpected error response to {method}: {error}\n{}", self.stderr());
        }
        response["result"].clone()
    }

    /// Answers a server-to-client request (recorded after `ignore_server_requests`).
    pub fn respond(&mut self, request: &Value, result: Value) {
        self.send(json!({"jsonrpc": "2.0", "id": request["id"].clone(), "result": result}));
    }

    /// Sends a request that must fail; returns the error object.
    pub fn request_error(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        let response = self.response(id);
        response.get("error").cloned().unwrap_or_else(|| panic!("{method} should fail, got {response}"))
    }

    /// `initialize` (with a workspace folder and initialization options) + `initialized`.
    pub fn initialize_workspace(&mut self, root: &std::path::Path, options: Value) -> Value {
        let uri = format!("file://{}", root.display());
        let params = json!({
            "processId": null,
            "rootUri": uri,
            "workspaceFolders": [{"uri": uri, "name": "repo"}],
            "initializationOptions": options,
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "textDocument": {"publishDiagnostics": {"versionSupport": true}}
            }
        });
        let result = self.request("initialize", params);
        self.notify("initialized", json!({}));
        result["capabilities"].clone()
    }

    /// `initialize` + `initialized`; returns the server's capabilities.
    pub fn initialize(&mut self, utf8: bool) -> Value {
        let encodings = if utf8 { json!(["utf-8", "utf-16"]) } else { json!(["utf-16"]) };
        let params = json!({
            "processId": null,
            "rootUri": null,
            "capabilities": {
                "general": {"positionEncodings": encodings},
                "textDocument": {
                    "documentSymbol": {"hierarchicalDocumentSymbolSupport": true},
                    "publishDiagnostics": {"versionSupport": true}
                }
            }
        });
        let result = self.request("initialize", params);
        self.notify("initialized", json!({}));
        result["capabilities"].clone()
    }

    pub fn open(&mut self, uri: &str, version: i32, text: &str) {
        let doc = json!({"uri": uri, "languageId": "yaml", "version": version, "text": text});
        self.notify("textDocument/didOpen", json!({"textDocument": doc}));
    }

    pub fn change(&mut self, uri: &str, version: i32, changes: Vec<Value>) {
        let params = json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes});
        self.notify("textDocument/didChange", params);
    }

    pub fn close(&mut self, uri: &str) {
        self.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    }

    /// The server's copy of a document (`None` when it is not open).
    pub fn document_text(&mut self, uri: &str) -> Option<String> {
        self.request("gitops-ls/documentText", json!({"uri": uri})).as_str().map(str::to_string)
    }

    /// Waits for a notification matching `pred` that arrived after the first `skip` ones;
    /// returns its index and params.
    pub fn await_notification(&self, what: &str, skip: usize, pred: impl Fn(&Value) -> bool) -> (usize, Value) {
        self.wait_for(what, |s| {
            s.notifications.iter().enumerate().skip(skip).find(|(_, n)| pred(n)).map(|(i, n)| (i, n["params"].clone()))
        })
    }

    /// Waits for `publishDiagnostics` of `uri` at `version`; returns the diagnostics.
    pub fn await_diagnostics(&self, uri: &str, version: i32) -> Vec<Value> {
        let (_, params) = self.await_notification(&format!("diagnostics for {uri} v{version}"), 0, |n| {
            n["method"] == "textDocument/publishDiagnostics"
                && n["params"]["uri"] == uri
                && n["params"]["version"] == version
        });
        params["diagnostics"].as_array().cloned().expect("diagnostics array")
    }

    /// Versions of every `publishDiagnostics` of `uri` so far, in arrival order.
    pub fn published_versions(&self, uri: &str) -> Vec<Option<i64>> {
        let state = self.lock();
        state
            .notifications
            .iter()
            .filter(|n| n["method"] == "textDocument/publishDiagnostics" && n["params"]["uri"] == uri)
            .map(|n| n["params"]["version"].as_i64())
            .collect()
    }

    /// Params of every notification of `method` so far, in arrival order.
    pub fn notifications_of(&self, method: &str) -> Vec<Value> {
        let state = self.lock();
        state.notifications.iter().filter(|n| n["method"] == method).map(|n| n["params"].clone()).collect()
    }

    pub fn notification_count(&self) -> usize {
        self.lock().notifications.len()
    }

    pub fn stderr(&self) -> String {
        self.lock().stderr.clone()
    }

    /// `shutdown` then `exit`; the server must exit with status 0 and nothing unexpected.
    pub fn shutdown_and_exit(mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let status = self.wait_exit();
        assert!(status.success(), "exit after shutdown should be 0, got {status}\n{}", self.stderr());
        self.check_clean();
    }

    /// `exit` without `shutdown`: the specification asks for exit code 1.
    pub fn exit_without_shutdown(mut self) -> ExitStatus {
        self.notify("exit", Value::Null);
        let status = self.wait_exit();
        self.check_clean();
        status
    }

    fn wait_exit(&mut self) -> ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader threads see the end of the streams.
                self.wait_for("stdout to close", |s| s.stdout_closed.then_some(()));
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit\n{}", self.stderr());
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn check_clean(&self) {
        let state = self.lock();
        assert!(state.unexpected.is_empty(), "unexpected server messages: {:#?}\n{}", state.unexpected, state.stderr);
        assert!(
            state.null_id_errors.len() <= state.null_id_errors_seen,
            "unexpected error responses: {:#?}\n{}",
            &state.null_id_errors[state.null_id_errors_seen..],
            state.stderr
        );
        if !self.panics_expected {
            assert!(!state.stderr.contains("panicked"), "server panicked:\n{}", state.stderr);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap()
    }

    fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&mut State) -> Option<T>) -> T {
        let deadline = Instant::now() + HANG_GUARD;
        let mut state = self.lock();
        loop {
            if let Some(value) = check(&mut state) {
                return value;
            }
            let now = Instant::now();
            if state.stdout_closed || now >= deadline {
                panic!("gave up waiting for {what} (server output closed: {})\n{}", state.stdout_closed, state.stderr);
            }
            state = self.shared.changed.wait_timeout(state, deadline - now).unwrap().0;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Tests that end early (failed or not) must not leave a server running.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_messages(mut reader: impl BufRead, shared: &Shared) {
    while let Some(message) = read_message(&mut reader) {
        let mut state = shared.state.lock().unwrap();
        let id = message.get("id").cloned();
        match (message.get("method").is_some(), id) {
            (true, Some(_)) if state.ignore_server_requests => state.server_requests.push(message),
            (true, Some(_)) => state.unexpected.push(format!("server request nobody answers: {message}")),
            (true, None) => state.notifications.push(message),
            (false, Some(Value::Number(id))) if id.as_i64().is_some() => {
                state.response_order.push(id.as_i64().unwrap());
                state.responses.insert(id.as_i64().unwrap(), message);
            }
            (false, Some(Value::Null)) if message.get("error").is_some() => state.null_id_errors.push(message),
            _ => state.unexpected.push(format!("response to no request of ours: {message}")),
        }
        shared.changed.notify_all();
    }
    shared.state.lock().unwrap().stdout_closed = true;
    shared.changed.notify_all();
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length.expect("Content-Length header")];
    reader.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).expect("server sent invalid JSON"))
}
