#!/usr/bin/env python3
"""Writes gitops-ls's embedded Kubernetes schemas in the layout yaml-language-server reads for
its `kubernetes` schema (kubernetes-json-schema's `standalone-strict/all.json`: a `oneOf` of
references into `_definitions.json`), so both servers validate against the same schemas.

schemas.py DUMP_DIR OUT_DIR   DUMP_DIR is the output of
                              `cargo run -p gitops-ls-schemas --example dump -- DUMP_DIR`
"""
import json
import os
import sys

dump, out = sys.argv[1], sys.argv[2]
with open(os.path.join(dump, "definitions.json")) as fh:
    doc = json.load(fh)
with open(os.path.join(dump, "kinds.json")) as fh:
    kinds = json.load(fh)
os.makedirs(out, exist_ok=True)
definitions = {"definitions": doc["definitions"]}
if "$schema" in doc:
    definitions["$schema"] = doc["$schema"]
with open(os.path.join(out, "_definitions.json"), "w") as fh:
    json.dump(definitions, fh, separators=(",", ":"), sort_keys=True)
refs = sorted({k["definition"] for k in kinds})
missing = [r for r in refs if r not in doc["definitions"]]
if missing:
    sys.exit(f"kinds without a definition: {missing}")
with open(os.path.join(out, "all.json"), "w") as fh:
    json.dump({"oneOf": [{"$ref": f"_definitions.json#/definitions/{r}"} for r in refs]}, fh, indent=1)
with open(os.path.join(out, "version"), "w") as fh:
    fh.write(doc.get("x-kubernetes-version", "") + "\n")
print(f"{out}: {len(refs)} kinds, {len(doc['definitions'])} definitions (Kubernetes {doc.get('x-kubernetes-version')})")
