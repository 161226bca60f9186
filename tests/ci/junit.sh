#!/usr/bin/env bash
# `gitops-ls check --format junit` against tests/ci/schemas/junit.xsd, validated by the
# `xmlschema` package from PyPI (installed into a venv under target/ when missing), and its
# counts against the findings of the same tree in JSON. Uses $GITOPS_LS, else the debug build
# that `cargo test` made.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
target="$(cd "$root" && mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)"
bin="${GITOPS_LS:-$target/debug/gitops-ls}"
[[ -x "$bin" ]] || { echo "FAIL: $bin does not exist (run cargo build -p gitops-ls)" >&2; exit 1; }
source "$root/tests/ci/lib.sh"
venv="$target/ci-venv"
venv_with "$venv" xmlschema 'xmlschema==4.3.2'

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree"
cat >"$work/tree/ok.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: ok
YAML
# Two errors, one with characters XML must escape in its message.
cat >"$work/tree/bad <&>.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: bad
  "<&'\"x>": 1
data:
  a: b
  a: c
YAML
cat >"$work/tree/warn.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - {name: a, image: nginx:latest}
YAML

set +e
(cd "$work" && "$bin" check --offline --format junit tree) >"$work/report.xml"
code=$?
(cd "$work" && "$bin" check --offline --format json tree) >"$work/report.json"
set -e
[[ $code == 1 ]] || { cat "$work/report.xml"; echo "FAIL: exit status $code, expected 1" >&2; exit 1; }

"$venv/bin/python" - "$root/tests/ci/schemas/junit.xsd" "$work/report.xml" "$work/report.json" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
import xmlschema

xsd, report, findings = sys.argv[1:]
xmlschema.XMLSchema(xsd).validate(report)
root = ET.parse(report).getroot()
suites = root.findall("testsuite")
assert root.tag == "testsuites" and len(suites) == 1, ET.tostring(root)
suite = suites[0]
cases = suite.findall("testcase")
diagnostics = json.load(open(findings))["diagnostics"]
by_file = {}
for d in diagnostics:
    by_file.setdefault(d["path"], []).append(d)
assert int(suite.get("tests")) == len(cases) == 3, suite.attrib
assert {c.get("name") for c in cases} == {"tree/ok.yaml", "tree/bad <&>.yaml", "tree/warn.yaml"}, [c.get("name") for c in cases]
failed = [c for c in cases if c.find("failure") is not None]
assert int(suite.get("failures")) == len(failed) == 1, suite.attrib
failure = failed[0].find("failure")
errors = [d for d in by_file["tree/bad <&>.yaml"] if d["severity"] == "error"]
assert len(errors) == 2, errors
first = errors[0]
assert failure.get("message") == f"line {first['line']}, column {first['column']}: {first['message']} [{first['code']}] (and 1 more)", failure.get("message")
assert "<&'\"x>" in failure.text, failure.text
lines = failure.text.splitlines()
assert len(lines) == 2 and lines[1].startswith(f"tree/bad <&>.yaml:{errors[1]['line']}:{errors[1]['column']}: error:"), lines
warn = next(c for c in cases if c.get("name") == "tree/warn.yaml")
assert warn.find("failure") is None and "[image-latest]" in warn.find("system-out").text, ET.tostring(warn)
print("junit report: valid against junit.xsd, 3 test cases, 1 failure")
PY
