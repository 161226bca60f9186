//! Parse throughput and the edit path on a generated 50k-line multi-document manifest.
//! Run: cargo bench -p gitops-ls --bench yaml

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gitops_ls::analysis;
use gitops_ls::text::{Document, Position, PositionEncoding, Range};
use gitops_ls::yaml::YamlFile;

/// A realistic mix: Deployments with probes, resources and env, Services and ConfigMaps.
pub fn manifest(min_lines: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.bytes().filter(|&b| b == b'\n').count() < min_lines {
        s.push_str(&format!(
            "---\n# service {i}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: team-{}\n  labels:\n    app.kubernetes.io/name: app-{i}\n    app.kubernetes.io/part-of: shop\nspec:\n  replicas: {}\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n        - name: main\n          image: \"registry.example.com/team/app-{i}:1.{}.0\"\n          args: [\"--port=8080\", \"--log-level=info\"]\n          ports:\n            - name: http\n              containerPort: 8080\n          env:\n            - name: MODE\n              value: production\n          readinessProbe:\n            httpGet: {{path: /healthz, port: http}}\n          resources:\n            requests: {{cpu: 100m, memory: 128Mi}}\n            limits:\n              memory: 256Mi\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-{i}\nspec:\n  selector:\n    app: app-{i}\n  ports:\n    - port: 80\n      targetPort: http\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{i}-config\ndata:\n  config.yaml: |\n    listen: :8080\n    features: [a, b]\n",
            i % 7,
            i % 5 + 1,
            i % 30
        ));
        i += 1;
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = manifest(50_000);
    let mut g = c.benchmark_group("yaml-50k-lines");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse", |b| b.iter(|| YamlFile::parse(black_box(text.as_str()))));
    g.finish();

    // One keystroke in the middle of the file, as the server applies it: convert the LSP
    // position, edit the rope, re-parse the touched document.
    let mut g = c.benchmark_group("edit-50k-lines");
    let mut doc = Document::new(&text, 1, PositionEncoding::Utf16);
    let mut file = YamlFile::parse(&doc.rope);
    let at = text.find(&format!("name: app-{}\n", 500)).unwrap() + "name: app-5".len();
    let pos = doc.offset_to_position(at);
    let after = Position::new(pos.line, pos.character + 1);
    let mut inserted = false;
    g.bench_function("one-char-edit", |b| {
        b.iter(|| {
            let edit = if inserted {
                doc.apply_change(Some(Range::new(pos, after)), "")
            } else {
                doc.apply_change(Some(Range::new(pos, pos)), "7")
            };
            file.edit(&doc.rope, edit.start, edit.old_end, edit.new_len);
            inserted = !inserted;
            black_box(&file);
        })
    });
    g.bench_function("symbols", |b| b.iter(|| analysis::document_symbols(black_box(&file))));
    g.bench_function("folding", |b| b.iter(|| analysis::folding_ranges(black_box(&file))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
