#!/usr/bin/env bash
# Emacs test: `emacs --batch` loads the docs' Emacs 28 snippet (snippet emacs-28
# of docs/editors.md) as the user's configuration, with gitops-ls on PATH;
# probe.el drives the Eglot server it starts, then check.py judges what it saw.
# Prints `emacs: N passed, N failed`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"

ensure_apt emacs-nox elpa-eglot elpa-yaml-mode python3
GITOPS_LS_PATH="$(server_binary)"
out="${ARTIFACTS:-$ARTIFACTS_DIR/emacs}"
rm -rf "$out" && mkdir -p "$out"

# The snippet runs `gitops-ls` from PATH: the binary under test.
mkdir -p "$out/bin"
ln -sf "$(readlink -f "$GITOPS_LS_PATH")" "$out/bin/gitops-ls"
export PATH="$out/bin:$PATH"
python3 "$here/../snippets.py" extract emacs-28 >"$out/init.el"
# No network: registries and schema downloads are refused, whatever the configuration says.
export GITOPS_LS_REGISTRY_LOOPBACK_ONLY=1 GITOPS_LS_SCHEMAS_LOOPBACK_ONLY=1
export PROBE_OUT="$out/observed.json"
# A throwaway HOME for Emacs: no user init file, no ~/.emacs.d state from earlier runs.
mkdir -p "$out/home"
marker="GITOPS_LS_E2E_RUN=emacs-$$-$RANDOM"
trap 'kill_marked "$marker"' EXIT
# No -Q: Debian's site-start files are what make elpa-eglot loadable. Packages are
# activated before the init, as an interactive start does (yaml-mode's autoloads).
env "$marker" HOME="$out/home" timeout 120 emacs --batch --eval '(package-initialize)' -l "$out/init.el" -l "$here/probe.el" "$REPO_ROOT/tests/fixtures/editors/deployment.yaml" \
  </dev/null >"$out/emacs.log" 2>&1 || log "emacs exited with status $? (see $out/emacs.log)"
python3 "$here/../check.py" "$PROBE_OUT" "$out/results.json"
