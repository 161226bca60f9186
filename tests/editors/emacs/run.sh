#!/usr/bin/env bash
# Emacs test: Eglot in `emacs --batch` runs probe.el against gitops-ls, then
# check.py judges what it saw. Prints `emacs: N passed, N failed`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"

ensure_apt emacs-nox elpa-eglot python3
GITOPS_LS_PATH="$(server_binary)"
out="${ARTIFACTS:-$ARTIFACTS_DIR/emacs}"
rm -rf "$out" && mkdir -p "$out"

export GITOPS_LS_PATH
export PROBE_OUT="$out/observed.json"
# A throwaway HOME for Emacs: no user init file, no ~/.emacs.d state from earlier runs.
mkdir -p "$out/home"
marker="GITOPS_LS_E2E_RUN=emacs-$$-$RANDOM"
trap 'kill_marked "$marker"' EXIT
# No -Q: Debian's site-start files are what make elpa-eglot loadable.
env "$marker" HOME="$out/home" timeout 120 emacs --batch -l "$here/probe.el" "$REPO_ROOT/tests/fixtures/editors/deployment.yaml" \
  </dev/null >"$out/emacs.log" 2>&1 || log "emacs exited with status $? (see $out/emacs.log)"
python3 "$here/../check.py" "$PROBE_OUT" "$out/results.json"
