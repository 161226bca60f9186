//! Peak memory of the server for one big manifest: open, outline, a few quick-fix requests.
//!
//! ```text
//! cargo run --example lsp_rss -- BINARY MEGABYTES [deployments|separators]
//! ```
//! `deployments` (the default) fills the file with Deployments; `separators` with tiny `---`
//! documents (about 100,000 of them in 1 MB). Prints the server's peak RSS (`VmHWM`, Linux only)
//! read before it exits, and the size of each answer.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use serde_json::{Value, json};

fn manifest(megabytes: usize, kind: &str) -> String {
    let target = megabytes << 20;
    let mut out = String::with_capacity(target + 1024);
    for i in 0.. {
        let next = if kind == "separators" {
            format!("---\nk: {i}\n")
        } else {
            format!(
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  labels:\n    app: web\n\
                 spec:\n  replica: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n\
                 \x20     labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n\
                 \x20         image: nginx:1.27\n          ports:\n            - containerPort: 80\n"
            )
        };
        // Stays just under the size asked for, so `20` is still under the default limit.
        if out.len() + next.len() > target {
            break;
        }
        out.push_str(&next);
    }
    out
}

fn send(stdin: &mut impl Write, message: &Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).expect("write");
    stdin.flush().expect("flush");
}

fn read_message(reader: &mut impl BufRead) -> Option<(Value, usize)> {
    let mut length = 0;
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
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((serde_json::from_slice(&body).ok()?, length))
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(binary), Some(mb)) = (args.first(), args.get(1).and_then(|m| m.parse::<usize>().ok())) else {
        eprintln!("usage: lsp_rss BINARY MEGABYTES [deployments|separators]");
        std::process::exit(2);
    };
    let kind = args.get(2).map_or("deployments", String::as_str);
    let text = manifest(mb, kind);
    let lines = text.lines().count() as u32;
    let mut child = Command::new(binary)
        .env("GITOPS_LS_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the server");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        while let Some(message) = read_message(&mut reader) {
            if tx.send(message).is_err() {
                break;
            }
        }
    });
    let wait = |id: i64| -> usize {
        loop {
            let (message, len) = rx.recv().expect("server output ended");
            if message["id"] == id {
                return len;
            }
        }
    };
    let started = Instant::now();
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": null, "rootUri": null,
            "capabilities": {"textDocument": {"documentSymbol": {"hierarchicalDocumentSymbolSupport": true}}}
        }}),
    );
    wait(1);
    send(&mut stdin, &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let uri = "file:///rss/big.yaml";
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}
        }}),
    );
    let text_len = text.len();
    drop(text);
    // The model is built on first use; this asks for it and nothing else.
    send(&mut stdin, &json!({"jsonrpc": "2.0", "id": 4, "method": "gitops-ls/parseCount", "params": {"uri": uri}}));
    wait(4);
    let after_parse = peak_rss_kb(pid);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/documentSymbol",
        "params": {"textDocument": {"uri": uri}}}),
    );
    let symbols_bytes = wait(2);
    let after_symbols = peak_rss_kb(pid);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/foldingRange",
        "params": {"textDocument": {"uri": uri}}}),
    );
    let folding_bytes = wait(3);
    let mut actions_bytes = Vec::new();
    for (k, line) in [8, lines / 2, lines.saturating_sub(10)].into_iter().enumerate() {
        let id = 10 + k as i64;
        let position = json!({"line": line, "character": 3});
        send(
            &mut stdin,
            &json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/codeAction", "params": {
                "textDocument": {"uri": uri}, "range": {"start": position, "end": position}, "context": {"diagnostics": []}
            }}),
        );
        actions_bytes.push(wait(id));
    }
    let peak = peak_rss_kb(pid);
    send(&mut stdin, &json!({"jsonrpc": "2.0", "id": 99, "method": "shutdown"}));
    wait(99);
    send(&mut stdin, &json!({"jsonrpc": "2.0", "method": "exit"}));
    drop(stdin);
    let _ = child.wait();
    let mb = |kb: Option<u64>| kb.map_or("unknown".to_string(), |kb| format!("{:.0} MB", kb as f64 / 1024.0));
    println!(
        "{kind} {:.1} MB ({lines} lines): peak RSS {} (after open+parse {}, after documentSymbol {}); \
         documentSymbol {symbols_bytes} B, foldingRange {folding_bytes} B, codeAction {actions_bytes:?} B; {:.1?}",
        text_len as f64 / f64::from(1 << 20),
        mb(peak),
        mb(after_parse),
        mb(after_symbols),
        started.elapsed()
    );
}
