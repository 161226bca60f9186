#!/usr/bin/env python3
"""Judges what an editor probe observed (JSON written by neovim/probe.lua or
emacs/probe.el). Prints one line per check, then `N passed, N failed`; writes
the checks to RESULTS (JSON) and exits 1 if any failed.

usage: check.py OBSERVED.json RESULTS.json
"""
import json
import sys

# Which server feature each group needs (for the report).
NEEDS = {
    "lsp-core": "server: stdio LSP, incremental sync, YAML diagnostics, documentSymbol, foldingRange",
    "schema-hover": "server: hover from Kubernetes schemas",
    "schema-completion": "server: completion of schema keys",
}

DUP_LINE = 8  # 0-based line of the second `replicas:` the probes type
SPEC_LINE = 6  # 0-based line of `spec:` in deployment.yaml


def is_dup(d, line=None):
    return "duplicate" in d.get("message", "").lower() and (line is None or d["range"]["start"]["line"] == line)


def flatten(symbols):
    for s in symbols or []:
        yield s
        yield from flatten(s.get("children"))


def hover_text(h):
    if not isinstance(h, dict):
        return ""
    c = h.get("contents")
    items = c if isinstance(c, list) else [c]
    return "\n".join(i if isinstance(i, str) else (i or {}).get("value", "") for i in items)


def completion_labels(c):
    items = c.get("items", []) if isinstance(c, dict) else (c or [])
    return [i.get("label") for i in items if isinstance(i, dict)]


def checks(o):
    init = o.get("initialize") or {}
    caps = init.get("capabilities") or {}
    sync = caps.get("textDocumentSync")
    sync_kind = sync.get("change") if isinstance(sync, dict) else sync
    yield "lsp-core", "initialize: serverInfo.name is gitops-ls", (init.get("serverInfo") or {}).get("name") == "gitops-ls", init.get("serverInfo")
    yield "lsp-core", "server asks for incremental sync", sync_kind == 2, f"textDocumentSync={sync!r}"

    initial = o.get("diagnostics_initial")
    yield "lsp-core", "diagnostics published for the clean manifest, none for duplicates", isinstance(initial, list) and not any(map(is_dup, initial)), initial

    after = o.get("diagnostics_after_edit")
    dup = [d for d in after or [] if is_dup(d, DUP_LINE)]
    yield "lsp-core", "typed duplicate key: error diagnostic on line 9", bool(dup) and dup[0].get("severity") == 1, after

    undo = o.get("diagnostics_after_undo")
    # Only meaningful once the duplicate was reported at all.
    yield "lsp-core", "undo: the duplicate-key diagnostic goes away", bool(dup) and isinstance(undo, list) and not any(map(is_dup, undo)), undo

    syms = o.get("symbols")
    names = [s.get("name") for s in flatten(syms if isinstance(syms, list) else [])]
    top = syms[0] if isinstance(syms, list) and syms else {}
    yield (
        "lsp-core",
        "documentSymbol: `Deployment web` with a `spec` child",
        top.get("name") == "Deployment web" and "spec" in [c.get("name") for c in top.get("children") or []],
        names[:10],
    )

    folds = o.get("folding")
    starts = sorted({f.get("startLine") for f in folds}) if isinstance(folds, list) else folds
    yield "lsp-core", "foldingRange: a range starts at `spec:` (line 7)", isinstance(folds, list) and SPEC_LINE in starts, f"start lines: {starts}"

    yield "lsp-core", "server shut down cleanly", o.get("stopped") is True, o.get("stopped")

    text = hover_text(o.get("hover"))
    yield "schema-hover", "hover on `replicas` shows its schema description", "desired pods" in text.lower(), text[:160] or o.get("hover")

    labels = completion_labels(o.get("completion"))
    yield "schema-completion", "completion in `spec:` offers strategy and minReadySeconds", {"strategy", "minReadySeconds"} <= set(labels), labels[:12]

    yield "lsp-core", "probe ran without errors", not o.get("errors"), o.get("errors")


def main():
    observed, results_path = sys.argv[1], sys.argv[2]
    try:
        with open(observed) as f:
            o = json.load(f)
    except (OSError, ValueError) as e:
        o = {"errors": [f"no observations: {e}"]}
    editor = o.get("editor", "editor")
    results = []
    for group, name, ok, detail in checks(o):
        ok = bool(ok)
        results.append({"group": group, "name": name, "ok": ok, "detail": detail})
        line = f"{'PASS' if ok else 'FAIL'} [{group}] {name}"
        if not ok:
            line += f" — got: {json.dumps(detail)[:300]}"
        print(line)
    with open(results_path, "w") as f:
        json.dump(results, f, indent=2)
    failed = [r for r in results if not r["ok"]]
    for g in dict.fromkeys(r["group"] for r in failed):
        print(f"failing group {g} needs: {NEEDS[g]}")
    print(f"editor: {editor}")
    print(f"{editor.split()[0]}: {len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
