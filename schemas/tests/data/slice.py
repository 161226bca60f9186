#!/usr/bin/env python3
"""Cuts k8s-v1.32.2-definitions-slice.json from the strict 1.32.2 `_definitions.json` of
kubeconform's schema layout (generated from the Kubernetes OpenAPI, Apache-2.0). Keeps only
what tests/upstream_reference.rs compares: group/version/kinds, required lists, top-level
additionalProperties, `$ref`s of every property path, and the `kind` enums.

Usage: slice.py INPUT_definitions.json > k8s-v1.32.2-definitions-slice.json"""
import json
import sys


def strip(s):
    if not isinstance(s, dict):
        return s
    out = {}
    if "$ref" in s:
        out["$ref"] = s["$ref"]
    if isinstance(s.get("properties"), dict):
        out["properties"] = {k: strip(v) for k, v in s["properties"].items()}
    if "items" in s:
        out["items"] = strip(s["items"])
    if isinstance(s.get("additionalProperties"), dict):
        out["additionalProperties"] = strip(s["additionalProperties"])
    return out


defs = json.load(open(sys.argv[1]))["definitions"]
sliced = {}
for name, s in sorted(defs.items()):
    d = strip(s)
    for key in ("x-kubernetes-group-version-kind", "required"):
        if key in s:
            d[key] = s[key]
    if "additionalProperties" in s:
        d["additionalProperties"] = s["additionalProperties"]
    kind_enum = s.get("properties", {}).get("kind", {}).get("enum")
    if kind_enum is not None:
        d["properties"]["kind"]["enum"] = kind_enum
    sliced[name] = d
json.dump({"definitions": sliced}, sys.stdout, separators=(",", ":"), sort_keys=True)
sys.stdout.write("\n")
