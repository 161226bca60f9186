#!/usr/bin/env bash
# Side by side with yaml-language-server: the same generated files, the same Kubernetes schemas
# (gitops-ls's embedded ones, served to both from disk), the same LSP client over stdio.
#
#   scripts/compare.sh [--quick] [--out DIR]
#
# Installs what is missing into target/compare/ (yaml-language-server from npm at the version in
# scripts/compare/package-lock.json, matplotlib in a venv), builds target/release/gitops-ls if it
# is missing (or uses $GITOPS_LS), then writes results.md, results.json and edit-latency.png to
# DIR (default target/compare/results-{full,quick}). Exits non-zero on any failure: a missing
# tool, a protocol error, a server asking for the network, an answer that never comes.
# --quick: small inputs and few iterations (under a minute once everything is installed).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/scripts/compare"
cache="${COMPARE_CACHE:-$root/target/compare}"
mode=full
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "compare: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
out="${out:-$cache/results-$mode}"
mkdir -p "$cache"

need() { command -v "$1" >/dev/null || { echo "compare: $1 is required but not on PATH" >&2; exit 1; }; }
need python3
need node
need npm
[ -x /usr/bin/time ] || { echo "compare: /usr/bin/time (GNU time) is required" >&2; exit 1; }

# yaml-language-server, pinned by the lock file; reinstalled when the lock file changes.
yls_dir="$cache/yls"
if ! cmp -s "$here/package-lock.json" "$yls_dir/installed.json"; then
  echo "== installing yaml-language-server into $yls_dir"
  rm -rf "$yls_dir"
  mkdir -p "$yls_dir"
  cp "$here/package.json" "$here/package-lock.json" "$yls_dir/"
  (cd "$yls_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$yls_dir/installed.json"  # only after a complete install
fi
yls="$yls_dir/node_modules/yaml-language-server/bin/yaml-language-server"

# matplotlib for the plot, in a venv of its own.
venv="$cache/venv"
if ! "$venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
  echo "== installing matplotlib into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "matplotlib==3.11.2"
fi

# gitops-ls.
bin="${GITOPS_LS:-$root/target/release/gitops-ls}"
if [ ! -x "$bin" ]; then
  [ -n "${GITOPS_LS:-}" ] && { echo "compare: GITOPS_LS=$bin is not an executable" >&2; exit 1; }
  need cargo
  echo "== building gitops-ls (release)"
  (cd "$root" && cargo build --release -p gitops-ls)
fi
version="$("$bin" --version)"

# The schemas gitops-ls embeds, in yaml-language-server's Kubernetes layout; redone when the
# binary's version or the schema generator's output changes.
schemas="$cache/schemas"
stamp="$version $(cat "$root"/schemas/build.rs "$root"/schemas/build/*.rs "$here/schemas.py" | sha256sum | cut -c1-16)"
if [ "$(cat "$schemas/stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "== writing the embedded schemas for yaml-language-server"
  rm -rf "$schemas"
  profile=--release
  case "$bin" in */target/debug/*) profile= ;; esac  # dump with the profile already built
  (cd "$root" && cargo run -q $profile -p gitops-ls-schemas --example dump -- "$schemas/dump")
  python3 "$here/schemas.py" "$schemas/dump" "$schemas"
  echo "$stamp" >"$schemas/stamp"
fi
k8s="v$(cat "$schemas/version").0"

# Inputs, regenerated when a generator changes.
if [ "$mode" = quick ]; then
  small_lines=500 big_lines=2000 repo_files=100 big_repo_files=5000 tree_resources=5000
else
  small_lines=5000 big_lines=52000 repo_files=2500 big_repo_files=50000 tree_resources=100000
fi
inputs="$cache/inputs-$mode"
stamp="$(cat "$here/gen.py" "$root/scripts/gen-tree.py" | sha256sum | cut -c1-16) $small_lines $big_lines $repo_files $big_repo_files $tree_resources"
if [ "$(cat "$inputs/stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "== generating inputs in $inputs"
  rm -rf "$inputs"
  mkdir -p "$inputs/edit"
  python3 "$here/gen.py" manifest "$inputs/edit/small.yaml" "$small_lines"
  python3 "$here/gen.py" manifest "$inputs/edit/big.yaml" "$big_lines"
  python3 "$here/gen.py" repo "$inputs/repo" "$repo_files"
  python3 "$here/gen.py" repo "$inputs/repo-big" "$big_repo_files"
  python3 "$root/scripts/gen-tree.py" "$inputs/tree" "$tree_resources" 50
  echo "$stamp" >"$inputs/stamp"
fi

echo "== $mode run: gitops-ls ($version) and yaml-language-server, results in $out"
"$venv/bin/python" "$here/bench.py" --mode "$mode" --gitops-ls "$bin" --yls "$yls" --schemas "$schemas" \
  --k8s-version "$k8s" --small "$inputs/edit/small.yaml" --big "$inputs/edit/big.yaml" \
  --repo "$inputs/repo" --big-repo "$inputs/repo-big" --tree "$inputs/tree" --tree-resources "$tree_resources" --out "$out" \
  --command "scripts/compare.sh$([ "$mode" = quick ] && echo ' --quick')"
