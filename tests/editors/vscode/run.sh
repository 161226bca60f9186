#!/usr/bin/env bash
# VS Code end-to-end test: installs what is missing (idempotent), packages the
# extension with the gitops-ls under test, and runs vscode.test.mjs in
# code-server + Chromium. Prints `N passed, N failed`; exits non-zero on failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../lib.sh"

CODE_SERVER_VERSION=4.100.3   # the last release that runs on Node 20
STAMP="$here/node_modules/.gitops-ls-e2e-ready"

ensure_apt chromium fonts-liberation ripgrep build-essential python3 libkrb5-dev

# node-gyp must not download Node headers (no network beyond the registries):
# point it at the ones installed with Node.
if [ -z "${npm_config_nodedir:-}" ]; then
  node_prefix="$(dirname "$(dirname "$(command -v node)")")"
  [ -f "$node_prefix/include/node/node.h" ] && export npm_config_nodedir="$node_prefix"
fi

install_code_server() {
  local t0=$SECONDS vscode="$here/node_modules/code-server/lib/vscode"
  log "installing code-server $CODE_SERVER_VERSION and playwright-core into $here/node_modules"
  # Lifecycle scripts would fetch prebuilt binaries; everything is rebuilt from source below.
  (cd "$here" && nice -n 10 npm ci --ignore-scripts --no-audit --no-fund </dev/null)
  (cd "$vscode" && nice -n 10 npm install --omit=dev --ignore-scripts --no-audit --no-fund </dev/null)
  # @vscode/ripgrep's postinstall downloads rg unless the binary is already there.
  mkdir -p "$vscode/node_modules/@vscode/ripgrep/bin"
  cp "$(command -v rg)" "$vscode/node_modules/@vscode/ripgrep/bin/rg"
  # Builds the native modules (node-gyp) with the lifecycle scripts now allowed.
  # As root, code-server's postinstall insists on --unsafe-perm (which npm 11 only passes on
  # as this variable); it installs VS Code's built-in extensions and links bin/ and node_modules.asar.
  export npm_config_unsafe_perm=true npm_config_yes=true
  (cd "$vscode" && nice -n 10 npm rebuild </dev/null)
  (cd "$here" && nice -n 10 npm rebuild </dev/null)
  [ -f "$vscode/node_modules/node-pty/build/Release/pty.node" ] && [ -e "$vscode/node_modules.asar" ] ||
    { log "code-server install is incomplete (native modules or postinstall)"; exit 1; }
  echo "$CODE_SERVER_VERSION" > "$STAMP"
  log "code-server installed in $((SECONDS - t0)) s"
}
[ "$(cat "$STAMP" 2>/dev/null)" = "$CODE_SERVER_VERSION" ] || install_code_server

# The extension package bundles the binary under test.
if [ -z "${VSIX:-}" ]; then
  GITOPS_LS_PATH="$(server_binary)"
  export GITOPS_LS_PATH
  ext="$REPO_ROOT/vscode-extension"
  [ -d "$ext/node_modules" ] || (cd "$ext" && nice -n 10 npm ci --no-audit --no-fund </dev/null)
  log "packaging the extension with $GITOPS_LS_PATH"
  ensure_apt binutils # copy-server strips the bundled binary
  (cd "$ext" && npm run -s package </dev/null >&2)
  export VSIX="$ext/gitops-ls-linux-x64.vsix"
fi

export ARTIFACTS="${ARTIFACTS:-$ARTIFACTS_DIR/vscode}"
export GITOPS_LS_E2E_MARKER="GITOPS_LS_E2E_RUN=vscode-$$-$RANDOM"
trap 'kill_marked "$GITOPS_LS_E2E_MARKER"' EXIT
rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"
node "$here/vscode.test.mjs"
