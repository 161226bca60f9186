#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine: the Rust unit, fixture and
# end-to-end tests, then the editor tests (which install what they need when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "cargo is required (https://rustup.rs)" >&2
  exit 1
fi

echo "== cargo test"
cargo test --workspace --locked

if [[ -x tests/editors/run-all.sh ]]; then
  echo "== editor tests"
  tests/editors/run-all.sh
fi
