#!/usr/bin/env python3
"""Compares the generated schemas with another set of Kubernetes JSON schemas.

Usage:
  cargo run -p gitops-ls-schemas --example dump -- /tmp/ours
  python3 -m venv /tmp/kv && /tmp/kv/bin/pip install kubernetes-validate
  /tmp/kv/bin/python schemas/scripts/crosscheck.py /tmp/ours [--version 1.37] [--reference FILE]

Without --reference the oracle is kubernetes-validate's strict schemas for --version (default:
ours). With --reference FILE it is a `definitions` document such as the kubeconform-style
`_definitions.json`. Prints a summary of the differences in: kinds present, required lists,
strictness (additionalProperties: false), enums, int-or-string and quantity fields.
"""
import argparse
import json
import os
import sys
from collections import defaultdict

INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


def load_defs(path):
    doc = json.load(open(path))
    return doc.get("definitions") or doc["$defs"]


def oracle_defs(args, ours_version):
    if args.reference:
        return load_defs(args.reference), args.reference
    import kubernetes_validate
    version = args.version or ours_version
    base = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    folder = os.path.join(base, "v%s.0-local-strict" % version)
    defs = load_defs(os.path.join(folder, "_definitions.json"))
    # The per-kind files carry the kind's own definition (its `_definitions.json` entry can
    # differ, e.g. `required`), so prefer those for kinds.
    for name in os.listdir(folder):
        if name.startswith("_") or name == "all.json":
            continue
        schema = json.load(open(os.path.join(folder, name)))
        gvk = schema.get("x-kubernetes-group-version-kind")
        if not gvk:
            continue
        for def_name, d in defs.items():
            if d.get("x-kubernetes-group-version-kind") == gvk:
                defs[def_name] = schema
    return defs, "kubernetes-validate %s (strict)" % version


def ref_name(schema):
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref.rsplit("/", 1)[-1] if ref else None


def types(schema):
    t = schema.get("type")
    if t is None:
        return None
    t = [t] if isinstance(t, str) else t
    return sorted(x for x in t if x != "null")


def walk(defs, name, schema, path, out):
    """Collects facts per JSON path: required, strict, enum, type, ref."""
    if not isinstance(schema, dict):
        return
    r = ref_name(schema)
    if r:
        out[path]["ref"] = r
        return
    out[path]["type"] = types(schema)
    if "enum" in schema:
        out[path]["enum"] = sorted(x for x in schema["enum"] if x is not None)
    if "properties" in schema:
        out[path]["strict"] = schema.get("additionalProperties") is False
        out[path]["required"] = sorted(schema.get("required", []))
        for prop, sub in schema["properties"].items():
            walk(defs, name, sub, path + "." + prop, out)
    if isinstance(schema.get("items"), dict):
        walk(defs, name, schema["items"], path + "[]", out)
    if isinstance(schema.get("additionalProperties"), dict):
        walk(defs, name, schema["additionalProperties"], path + "{}", out)


def facts(defs):
    out = defaultdict(dict)
    for name, schema in defs.items():
        walk(defs, name, schema, name, out)
    return out


def gvks(defs):
    found = set()
    for d in defs.values():
        for g in d.get("x-kubernetes-group-version-kind", []) if isinstance(d, dict) else []:
            found.add((g["group"], g["version"], g["kind"]))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours", help="directory written by `--example dump`")
    ap.add_argument("--version")
    ap.add_argument("--reference")
    ap.add_argument("--limit", type=int, default=40, help="examples printed per category")
    args = ap.parse_args()

    ours_doc = json.load(open(os.path.join(args.ours, "definitions.json")))
    ours = ours_doc["definitions"]
    theirs, label = oracle_defs(args, ours_doc["x-kubernetes-version"])
    print("ours: Kubernetes %s, %d definitions; oracle: %s, %d definitions"
          % (ours_doc["x-kubernetes-version"], len(ours), label, len(theirs)))

    kinds = json.load(open(os.path.join(args.ours, "kinds.json")))
    our_kinds = {(k["group"], k["version"], k["kind"]) for k in kinds}
    their_kinds = gvks(theirs)
    # Subresources and discovery types are not manifest kinds; we leave them out on purpose.
    not_manifests = {"Scale", "Eviction", "TokenRequest", "Status", "APIGroup", "APIGroupList",
                     "APIResourceList", "APIVersions", "WatchEvent", "DeleteOptions"}
    only_theirs = sorted(k for k in their_kinds - our_kinds
                         if k[2] not in not_manifests and not k[2].endswith("List"))
    only_ours = sorted(our_kinds - their_kinds)
    section("kinds only in the oracle (excluding subresources, discovery types, lists)", only_theirs, args.limit)
    section("kinds only in ours", only_ours, args.limit)

    a, b = facts(ours), facts(theirs)
    common = sorted(set(a) & set(b))
    cats = defaultdict(list)
    for path in common:
        x, y = a[path], b[path]
        if "required" in x and "required" in y and x["required"] != y["required"]:
            cats["required differs (ours vs oracle)"].append("%s: %s vs %s" % (path, x["required"], y["required"]))
        if "strict" in x and "strict" in y and x["strict"] != y["strict"]:
            cats["strictness differs (ours vs oracle)"].append("%s: %s vs %s" % (path, x["strict"], y["strict"]))
        if x.get("enum") != y.get("enum") and not path.endswith((".kind", ".apiVersion")):
            cats["enum differs (ours vs oracle)"].append("%s: %s vs %s" % (path, x.get("enum"), y.get("enum")))
        for special in (INT_OR_STRING, QUANTITY):
            if (x.get("ref") == special) != (y.get("ref") == special):
                cats["%s use differs" % special.rsplit(".", 1)[-1]].append(
                    "%s: %s vs %s" % (path, x.get("ref") or x.get("type"), y.get("ref") or y.get("type")))
        if x.get("type") and y.get("type") and x["type"] != y["type"]:
            cats["type differs (ours vs oracle)"].append("%s: %s vs %s" % (path, x["type"], y["type"]))
    for k in (".apiVersion", ".kind"):
        pass
    for title, items in sorted(cats.items()):
        section(title, items, args.limit)
    strict_ours = sum(1 for f in a.values() if f.get("strict"))
    strict_theirs = sum(1 for f in b.values() if f.get("strict"))
    print("\nobjects with known properties that are strict: ours %d/%d, oracle %d/%d"
          % (strict_ours, sum(1 for f in a.values() if "strict" in f),
             strict_theirs, sum(1 for f in b.values() if "strict" in f)))
    print("paths compared: %d (ours only %d, oracle only %d)" % (len(common), len(set(a) - set(b)), len(set(b) - set(a))))


def section(title, items, limit):
    print("\n== %s: %d" % (title, len(items)))
    for item in items[:limit]:
        print("  ", item if isinstance(item, str) else "/".join(x for x in item if x))
    if len(items) > limit:
        print("   ... %d more" % (len(items) - limit))


if __name__ == "__main__":
    sys.exit(main())
