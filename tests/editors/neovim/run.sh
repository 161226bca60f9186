#!/usr/bin/env bash
# Neovim test: headless nvim (0.7+) runs probe.lua against gitops-ls, then
# check.py judges what it saw. Prints `neovim: N passed, N failed`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"

ensure_apt neovim python3
GITOPS_LS_PATH="$(server_binary)"
out="${ARTIFACTS:-$ARTIFACTS_DIR/neovim}"
rm -rf "$out" && mkdir -p "$out"

export GITOPS_LS_PATH
export PROBE_FIXTURE="$REPO_ROOT/tests/fixtures/editors/deployment.yaml"
export PROBE_OUT="$out/observed.json"
# Own cache/state dirs: the LSP log lands in the artifacts, not in ~/.cache.
export XDG_CACHE_HOME="$out/cache" XDG_STATE_HOME="$out/state"
marker="GITOPS_LS_E2E_RUN=neovim-$$-$RANDOM"
trap 'kill_marked "$marker"' EXIT
# -n: no swap file next to the fixture (the buffer is edited, never written).
env "$marker" timeout 120 nvim --headless --clean -u NONE -n \
  -c "luafile $here/probe.lua" </dev/null >"$out/nvim.log" 2>&1 || log "nvim exited with status $? (see $out/nvim.log)"
python3 "$here/../check.py" "$PROBE_OUT" "$out/results.json"
