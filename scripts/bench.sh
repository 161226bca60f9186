#!/usr/bin/env bash
# Reproduces the numbers in BENCHMARKS.md (release builds; takes a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
echo "== parse and edit (criterion)"
cargo bench -p gitops-ls --bench yaml
echo "== hover and completion latency (criterion + percentiles)"
cargo bench -p gitops-ls --bench features
echo "== didOpen to diagnostics, 5,000-line manifest"
cargo run -q --release --example open_latency -- 5000 30
echo "== check throughput, generated 100k-resource tree"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
python3 scripts/gen-tree.py "$tree" 100000 50
if command -v hyperfine >/dev/null; then
  hyperfine -w 1 -r 5 "./target/release/gitops-ls check $tree"
else
  time ./target/release/gitops-ls check "$tree" | tail -1
fi
