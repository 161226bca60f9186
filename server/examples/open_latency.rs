//! Time from `didOpen` to `publishDiagnostics` for a generated manifest, measured against the
//! real server binary over stdio.
//!
//! cargo build --release && cargo run --release --example open_latency -- [LINES] [RUNS]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn manifest(lines: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.lines().count() < lines {
        s.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  labels: {{app: app-{i}}}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: app-{i}}}\n  template:\n    metadata:\n      labels: {{app: app-{i}}}\n    spec:\n      containers:\n        - name: main\n          image: registry.example.com/app:{i}.0\n          ports:\n            - containerPort: 8080\n          resources:\n            limits: {{cpu: 500m, memory: 256Mi}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{i}\nspec:\n  selector: {{app: app-{i}}}\n  ports:\n    - port: 80\n      targetPort: 8080\n"
        ));
        i += 1;
    }
    s
}

fn send(stdin: &mut impl Write, msg: Value) {
    let body = msg.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
}

fn read(reader: &mut impl BufRead) -> Value {
    let mut len = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lines: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let runs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20);
    let exe = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("gitops-ls");
    let text = manifest(lines);
    let mut child =
        Command::new(&exe).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    send(&mut stdin, json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}));
    read(&mut reader);
    send(&mut stdin, json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let mut times = Vec::new();
    for run in 0..runs {
        let uri = format!("file:///bench/{run}.yaml");
        let started = Instant::now();
        send(
            &mut stdin,
            json!({"jsonrpc": "2.0", "method": "textDocument/didOpen",
                   "params": {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}}),
        );
        loop {
            let msg = read(&mut reader);
            if msg["method"] == "textDocument/publishDiagnostics" && msg["params"]["uri"] == uri.as_str() {
                break;
            }
        }
        times.push(started.elapsed());
        send(
            &mut stdin,
            json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}}),
        );
    }
    send(&mut stdin, json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    send(&mut stdin, json!({"jsonrpc": "2.0", "method": "exit"}));
    let _ = child.wait();
    let first = times[0];
    let mut rest: Vec<Duration> = times[1..].to_vec();
    rest.sort();
    let pct = |p: f64| rest[((rest.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{lines} lines, {} bytes: first open {:.1} ms (validators compiled); then median {:.1} ms, p90 {:.1} ms, max {:.1} ms over {} runs",
        text.len(),
        first.as_secs_f64() * 1e3,
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.9).as_secs_f64() * 1e3,
        rest.last().unwrap().as_secs_f64() * 1e3,
        rest.len()
    );
}
