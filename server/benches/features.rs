//! Hover and completion latency in a generated 50k-line multi-document manifest, with the
//! cursor deep in a Deployment in the middle of the file.
//!
//! Run: cargo bench -p gitops-ls --bench features
//! Before criterion's mean/median, a plain loop of timed calls prints median, p99 and max
//! (criterion does not report tail latency). Budget: p99 < 10 ms.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use gitops_ls::analysis;
use gitops_ls::lsp::{Snapshot, convert};
use gitops_ls::schema::SchemaStore;
use gitops_ls::text::{Document, PositionEncoding};
use gitops_ls::yaml::YamlFile;
use tower_lsp_server::ls_types::Uri;

/// Deployments with containers, probes and resources, plus Services and ConfigMaps.
fn manifest(min_lines: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.bytes().filter(|&b| b == b'\n').count() < min_lines {
        s.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  labels:\n    app: app-{i}\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n        - name: main\n          image: registry.example.com/app-{i}:1.0.{i}\n          ports:\n            - containerPort: 8080\n          readinessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n          resources:\n            limits:\n              memory: 256Mi\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{i}\nspec:\n  selector:\n    app: app-{i}\n  ports:\n    - port: 80\n      targetPort: 8080\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{i}\ndata:\n  mode: production\n"
        ));
        i += 1;
    }
    s
}

struct Case {
    name: &'static str,
    text: String,
    offset: usize,
}

/// The file with an extra line typed in the middle Deployment's container, and the cursor on it.
fn cases() -> Vec<Case> {
    let base = manifest(50_000);
    let docs = base.matches("kind: Deployment").count();
    let anchor = format!("          image: registry.example.com/app-{}:", docs / 2);
    let line_start = base.find(&anchor).expect("middle deployment");
    let with_line = |line: &str, cursor_in_line: usize| {
        let mut text = base.clone();
        text.insert_str(line_start, line);
        Case { name: "", text, offset: line_start + cursor_in_line }
    };
    let key = with_line("          imagePull\n", 19);
    let empty = with_line("          \n", 10);
    let value = with_line("          imagePullPolicy: \n", 27);
    let hover = Case { name: "hover-image-key", text: base.clone(), offset: line_start + 12 };
    vec![
        Case { name: "completion-half-typed-key", ..key },
        Case { name: "completion-empty-line", ..empty },
        Case { name: "completion-enum-value", ..value },
        hover,
    ]
}

fn run(case: &Case, file: &YamlFile, store: &SchemaStore) -> usize {
    if case.name.starts_with("hover") {
        analysis::hover(file, case.text.as_str(), case.offset, store).map_or(0, |h| h.markdown.len())
    } else {
        analysis::completion(file, case.text.as_str(), case.offset, store).items.len()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// 1000 timed calls per case; the first (cold: the schema is built and cached) is shown apart.
fn tail_latency() {
    let store = SchemaStore::new();
    for case in cases() {
        let file = YamlFile::parse(case.text.as_str());
        let start = Instant::now();
        let n = run(&case, &file, &store);
        let cold = start.elapsed();
        assert!(n > 0, "{}: nothing computed", case.name);
        let mut times: Vec<Duration> = (0..1000)
            .map(|_| {
                let start = Instant::now();
                black_box(run(&case, &file, &store));
                start.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "{:<28} lines {:>6}  cold {:>9.3?}  median {:>9.3?}  p99 {:>9.3?}  max {:>9.3?}",
            case.name,
            case.text.lines().count(),
            cold,
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            times[times.len() - 1],
        );
    }
    // What the edge adds: positions, protocol types and the JSON the client receives.
    let case = &cases()[1];
    let doc = Document::new(&case.text, 1, PositionEncoding::Utf16);
    let snap = Snapshot {
        uri: "file:///bench.yaml".parse::<Uri>().unwrap(),
        seq: 1,
        yaml: Arc::new(YamlFile::parse(&doc.rope)),
        doc,
        cache: Default::default(),
        prior: None,
    };
    let position = tower_lsp_server::ls_types::Position::new(
        snap.doc.offset_to_position(case.offset).line,
        snap.doc.offset_to_position(case.offset).character,
    );
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..200 {
        let start = Instant::now();
        let list = convert::completion(&snap, &store, position, true);
        bytes = serde_json::to_string(&list).unwrap().len();
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "{:<28} items+json {bytes} bytes  median {:>9.3?}  p99 {:>9.3?}",
        "lsp-completion-empty-line",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
}

fn bench(c: &mut Criterion) {
    let store = SchemaStore::new();
    let mut g = c.benchmark_group("features-50k-lines");
    for case in cases() {
        let file = YamlFile::parse(case.text.as_str());
        run(&case, &file, &store);
        g.bench_function(case.name, |b| b.iter(|| run(black_box(&case), &file, &store)));
    }
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    tail_latency();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
