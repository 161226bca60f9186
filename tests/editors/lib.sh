# Shared helpers for the editor tests; source it from bash.
# shellcheck shell=bash

EDITORS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$EDITORS_DIR/../.." && pwd)"
ARTIFACTS_DIR="$REPO_ROOT/tests/artifacts"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

# Installs the Debian packages that are not installed yet. `apt-get update`
# runs only when something is missing, and at most once per process tree.
ensure_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "${GITOPS_LS_APT_UPDATED:-}" ]; then
    log "apt-get update (missing: ${missing[*]})"
    as_root apt-get update -q </dev/null >&2
    export GITOPS_LS_APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2
}

# Prints the path of the gitops-ls binary under test: $GITOPS_LS_PATH, else a
# debug build of the workspace (built here; cargo makes it a no-op when fresh).
server_binary() {
  if [ -n "${GITOPS_LS_PATH:-}" ]; then
    printf '%s\n' "$GITOPS_LS_PATH"
    return
  fi
  log "cargo build -p gitops-ls"
  (cd "$REPO_ROOT" && cargo build -q -p gitops-ls </dev/null >&2)
  printf '%s\n' "${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/gitops-ls"
}

# Kills every process whose environment carries `$1` (a marker variable set
# when the test started its processes). Catches the editors' descendants
# (extension host, language server) that leave the process group.
kill_marked() {
  local marker="$1" pid
  for pid in $(grep -lsz -F -x -- "$marker" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
    [ "$pid" = "$$" ] && continue
    kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 0.5
  for pid in $(grep -lsz -F -x -- "$marker" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
    [ "$pid" = "$$" ] && continue
    kill -KILL "$pid" 2>/dev/null || true
  done
}
