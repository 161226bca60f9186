#!/usr/bin/env bash
# The pre-commit hook of .pre-commit-hooks.yaml, as a user's repository runs it: pre-commit
# (from PyPI, in a venv under target/) installs the hook with `cargo install --path` from this
# checkout, then `pre-commit try-repo` runs it on a fixture repository, once with an invalid
# manifest (must fail, naming it) and once without (must pass).
#
# The build is a release build (pre-commit's rust hooks always are); its target directory is
# kept under target/ so reruns only rebuild this package. GITOPS_LS_PRE_COMMIT_PROFILE=full
# keeps the release profile of Cargo.toml; by default the test turns off LTO and optimisation,
# which only makes the binary slower and the build several times faster.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="$(cd "$root" && mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)"
source "$root/tests/ci/lib.sh"
venv="$target/pre-commit-venv"
venv_with "$venv" pre_commit 'pre-commit==4.7.0'

if [[ "${GITOPS_LS_PRE_COMMIT_PROFILE:-}" == "full" ]]; then
  export CARGO_TARGET_DIR="$target/pre-commit-cargo-full"
else
  export CARGO_TARGET_DIR="$target/pre-commit-cargo"
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="$work/config-repo"
mkdir -p "$repo/apps"
git -C "$repo" init -q
cat >"$repo/apps/valid.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: production
YAML
cat >"$repo/apps/invalid.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replica: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
YAML
git -C "$repo" add -A

try_repo() {
  (cd "$repo" && PRE_COMMIT_HOME="$work/pre-commit-home" "$venv/bin/pre-commit" try-repo "$root" gitops-ls --all-files)
}

fail() { echo "FAIL: $*" >&2; exit 1; }

start=$SECONDS
if out="$(try_repo 2>&1)"; then
  echo "$out"
  fail "the hook passed on a repository with an invalid manifest"
fi
echo "first run (install and check) took $((SECONDS - start)) s"
grep -q 'apps/invalid.yaml:6:3: error: unknown field `replica` in Deployment.spec; did you mean `replicas`? \[unknown-field\]' <<<"$out" \
  || { echo "$out"; fail "the hook output does not name the unknown field in apps/invalid.yaml"; }
grep -q 'apps/valid.yaml:' <<<"$out" && { echo "$out"; fail "the valid manifest was reported"; }

git -C "$repo" rm -q -f apps/invalid.yaml
start=$SECONDS
if ! out="$(try_repo 2>&1)"; then
  echo "$out"
  fail "the hook failed on a repository whose only manifest is valid"
fi
echo "second run took $((SECONDS - start)) s"
grep -q 'gitops-ls check.*Passed' <<<"$out" || { echo "$out"; fail "pre-commit did not report the hook as passed"; }
echo "pre-commit hook: ok"
