#!/usr/bin/env bash
# Neovim test: headless nvim (0.7+) with the docs' Neovim 0.7 snippet as its
# init (snippet neovim-0.7 of docs/editors.md) and gitops-ls on PATH; probe.lua
# drives the client the snippet starts, then check.py judges what it saw.
# Prints `neovim: N passed, N failed`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"

ensure_apt neovim python3
GITOPS_LS_PATH="$(server_binary)"
out="${ARTIFACTS:-$ARTIFACTS_DIR/neovim}"
rm -rf "$out" && mkdir -p "$out"

# The snippet runs `gitops-ls` from PATH: the binary under test.
mkdir -p "$out/bin" "$out/config"
ln -sf "$(readlink -f "$GITOPS_LS_PATH")" "$out/bin/gitops-ls"
export PATH="$out/bin:$PATH"
python3 "$here/../snippets.py" extract neovim-0.7 >"$out/init.lua"
# No network: registries and schema downloads are refused, whatever the snippet's settings.
export GITOPS_LS_REGISTRY_LOOPBACK_ONLY=1 GITOPS_LS_SCHEMAS_LOOPBACK_ONLY=1
export PROBE_FIXTURE="$REPO_ROOT/tests/fixtures/editors/deployment.yaml"
export PROBE_OUT="$out/observed.json"
# Own cache/state dirs: the LSP log lands in the artifacts, not in ~/.cache.
export XDG_CACHE_HOME="$out/cache" XDG_STATE_HOME="$out/state" XDG_CONFIG_HOME="$out/config" XDG_DATA_HOME="$out/data"
marker="GITOPS_LS_E2E_RUN=neovim-$$-$RANDOM"
trap 'kill_marked "$marker"' EXIT
# -n: no swap file next to the fixture (the buffer is edited, never written).
# The init is the snippet alone; -i NONE: no shada file.
env "$marker" timeout 120 nvim --headless -i NONE -n --cmd "luafile $here/probe.lua" \
  -u "$out/init.lua" </dev/null >"$out/nvim.log" 2>&1 || log "nvim exited with status $? (see $out/nvim.log)"
python3 "$here/../check.py" "$PROBE_OUT" "$out/results.json"
