#!/usr/bin/env python3
"""How many of a repository's objects `gitops-ls check` validates against a schema.

  coverage.py GITOPS_LS_BINARY PATH [check options...]

An object is a YAML document with a string `apiVersion` and `kind` (Helm templates, which
gitops-ls does not validate, are left out). It counts as not validated when gitops-ls reports
`unknown-kind` on it, or when its modeline could not be loaded (`schema-load`) and nothing else
gives it a schema: with the fallback to apiVersion/kind detection, that is a kind neither
bundled nor built in. Prints objects, validated, files, warnings, errors and wall time.
Needs PyYAML.
"""
import json
import os
import re
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling"}


def bundled():
    out = set()
    with open(os.path.join(HERE, "..", "crds", "index.tsv")) as f:
        for line in f:
            if not line.startswith("#"):
                g, v, k = line.split("\t")[:3]
                out.add((f"{g}/{v}", k))
    return out


def documents(path):
    """(start line, end line, apiVersion, kind, is_template) per document, 1-based lines."""
    try:
        text = open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError):
        return
    lines = text.split("\n")
    starts = [0] + [i + 1 for i, l in enumerate(lines) if l.startswith("---")]
    for n, start in enumerate(starts):
        end = starts[n + 1] - 1 if n + 1 < len(starts) else len(lines)
        chunk = "\n".join(lines[start:end])
        template = "{{" in chunk and re.search(r"\{\{-?\s*(\.|if|range|include|template|end|toYaml|\$)", chunk)
        try:
            doc = yaml.safe_load(chunk)
        except yaml.YAMLError:
            doc = None
        api = kind = None
        if isinstance(doc, dict):
            api, kind = doc.get("apiVersion"), doc.get("kind")
        elif template:
            m1 = re.search(r"^apiVersion:\s*(\S+)", chunk, re.M)
            m2 = re.search(r"^kind:\s*(\S+)", chunk, re.M)
            api, kind = m1 and m1.group(1), m2 and m2.group(1)
        if isinstance(api, str) and isinstance(kind, str) and api and kind:
            yield start + 1, end, api, kind, bool(template)


def main():
    binary, path, *opts = sys.argv[1:]
    t = time.monotonic()
    out = subprocess.run([binary, "check", "--format", "json", *opts, path], capture_output=True, text=True)
    wall = time.monotonic() - t
    report = json.loads(out.stdout)
    diags = report["diagnostics"]
    ship = bundled()
    by_file = {}
    for d in diags:
        by_file.setdefault(os.path.abspath(d["path"]), []).append(d)
    objects = validated = 0
    files = 0
    for root, dirs, names in os.walk(path):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            if not name.endswith((".yaml", ".yml")):
                continue
            files += 1
            p = os.path.abspath(os.path.join(root, name))
            mine = by_file.get(p, [])
            for start, end, api, kind, template in documents(p):
                if template:
                    continue
                objects += 1
                inside = [d for d in mine if start <= d["line"] <= end]
                if any(d["code"] == "unknown-kind" for d in inside):
                    continue
                if any(d["code"] == "schema-load" for d in inside) or any(
                    d["code"] == "schema-load" and d["line"] < start for d in []
                ):
                    group = api.rsplit("/", 1)[0] if "/" in api else ""
                    known = (api, kind) in ship or group in BUILTIN_GROUPS or group.endswith(".k8s.io")
                    if not known or os.environ.get("COVERAGE_MODELINE_FAILS"):
                        continue
                validated += 1
    codes = {}
    for d in diags:
        codes[d["code"]] = codes.get(d["code"], 0) + 1
    warnings = sum(1 for d in diags if d["severity"] == "warning")
    errors = sum(1 for d in diags if d["severity"] == "error")
    print(
        json.dumps(
            {
                "objects": objects,
                "validated": validated,
                "pct": round(100 * validated / objects, 1) if objects else None,
                "files": files,
                "warnings": warnings,
                "errors": errors,
                "wall_s": round(wall, 2),
                "codes": codes,
            }
        )
    )


if __name__ == "__main__":
    main()
