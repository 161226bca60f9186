#!/usr/bin/env bash
# Runs every editor test against one gitops-ls build: the extension's unit
# tests, VS Code (code-server + Chromium), Neovim and Emacs. Installs missing
# Debian and npm packages first. Ends with `N passed, N failed` over all
# checks; exits non-zero if any failed. Safe with CI=true and no stdin.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
exec </dev/null

passed=0 failed=0
declare -a summary=()
count() { # NAME PASSED FAILED
  passed=$((passed + $2)) failed=$((failed + $3))
  summary+=("$(printf '%-12s %3d passed, %3d failed  (%s s)' "$1:" "$2" "$3" "$4")")
}
# Adds up a results.json written by a test (a list of {ok: bool}).
count_results() { # NAME FILE SECONDS
  local p f
  if read -r p f < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(x["ok"] for x in r), sum(not x["ok"] for x in r))' "$2" 2>/dev/null); then
    count "$1" "$p" "$f" "$3"
  else
    log "$1 wrote no results ($2)"
    count "$1" 0 1 "$3"
  fi
}
finish() {
  echo; printf '%s\n' "${summary[@]}"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

t0=$SECONDS
ensure_apt chromium fonts-liberation ripgrep build-essential binutils python3 libkrb5-dev neovim emacs-nox elpa-eglot elpa-yaml-mode
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 20 ]; then
  log "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))"
  count setup 0 1 $((SECONDS - t0)); finish
fi

# The README's editor snippets are copies of the ones docs/editors.md marks (and the
# Neovim and Emacs tests load from there).
t=$SECONDS
if docs_out="$(python3 "$here/snippets.py" check 2>&1)"; then
  count docs "$(grep -c '^PASS' <<<"$docs_out")" 0 $((SECONDS - t))
else
  printf '%s\n' "$docs_out" >&2
  count docs "$(grep -c '^PASS' <<<"$docs_out")" "$(grep -c -v '^PASS' <<<"$docs_out")" $((SECONDS - t))
fi

# Extension unit tests: they need no server.
t=$SECONDS
ext="$REPO_ROOT/vscode-extension"
mkdir -p "$ARTIFACTS_DIR"
if [ ! -f "$ext/node_modules/.package-lock.json" ] || [ "$ext/package-lock.json" -nt "$ext/node_modules/.package-lock.json" ]; then
  (cd "$ext" && nice -n 10 npm ci --no-audit --no-fund >&2)
fi
(cd "$ext" && npm test 2>&1) >"$ARTIFACTS_DIR/extension-unit.log"
unit_pass="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$ARTIFACTS_DIR/extension-unit.log")"
unit_fail="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$ARTIFACTS_DIR/extension-unit.log")"
[ -n "$unit_pass" ] || { unit_pass=0; unit_fail=1; tail -20 "$ARTIFACTS_DIR/extension-unit.log" >&2; }
count extension "$unit_pass" "${unit_fail:-0}" $((SECONDS - t))

if ! GITOPS_LS_PATH="$(server_binary)" || ! "$GITOPS_LS_PATH" --version 2>/dev/null | grep -q '^gitops-ls '; then
  log "no usable gitops-ls binary: ${GITOPS_LS_PATH:-the build failed} (\`--version\` must print \"gitops-ls <version>\")"
  count setup 0 1 $((SECONDS - t0)); finish
fi
export GITOPS_LS_PATH
log "testing $("$GITOPS_LS_PATH" --version) at $GITOPS_LS_PATH"
log "setup took $((SECONDS - t0)) s"

# The .vsix that the VS Code test installs bundles the binary under test.
t=$SECONDS
if (cd "$ext" && npm run -s package >&2); then
  export VSIX="$ext/gitops-ls-linux-x64.vsix"
  # The bundled binary is stripped; prints the .vsix and binary sizes.
  python3 "$here/check-vsix.py" "$VSIX" "$ARTIFACTS_DIR/package/results.json" >&2
  count_results package "$ARTIFACTS_DIR/package/results.json" 0
  rm -f "$ARTIFACTS_DIR/vscode/results.json" # never count an earlier run's results
  "$here/vscode/run.sh"
  count_results vscode "$ARTIFACTS_DIR/vscode/results.json" $((SECONDS - t))
else
  log "npm run package failed"
  count vscode 0 1 $((SECONDS - t))
fi

for editor in neovim emacs; do
  t=$SECONDS
  rm -f "$ARTIFACTS_DIR/$editor/results.json"
  "$here/$editor/run.sh"
  count_results "$editor" "$ARTIFACTS_DIR/$editor/results.json" $((SECONDS - t))
done
finish
