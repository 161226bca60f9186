#!/usr/bin/env python3
"""The editor configurations shown in the docs, marked `<!-- snippet: NAME -->` on
the line before their code block in docs/editors.md (the source) and README.md.

usage: snippets.py extract NAME   print snippet NAME of docs/editors.md
       snippets.py check          every snippet in README.md equals the one of
                                  that name in docs/editors.md (exit 1 if not)
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MARK = re.compile(r"^\s*<!-- snippet: ([\w.-]+) -->\s*$")
FENCE = re.compile(r"^(\s*)```")


def snippets(path):
    """NAME -> code of the fenced block after its marker (dedented by the fence's indent)."""
    lines = open(os.path.join(ROOT, path), encoding="utf-8").read().split("\n")
    found = {}
    for i, line in enumerate(lines):
        m = MARK.match(line)
        if not m:
            continue
        fence = FENCE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if not fence:
            sys.exit(f"{path}:{i + 1}: snippet {m.group(1)} is not followed by a code block")
        indent = len(fence.group(1))
        code = []
        for body in lines[i + 2:]:
            if FENCE.match(body):
                break
            code.append(body[indent:] if body[:indent].strip() == "" else body)
        if m.group(1) in found:
            sys.exit(f"{path}:{i + 1}: snippet {m.group(1)} appears twice")
        found[m.group(1)] = "\n".join(code) + "\n"
    return found


def main():
    docs = snippets("docs/editors.md")
    if sys.argv[1:2] == ["extract"] and len(sys.argv) == 3:
        if sys.argv[2] not in docs:
            sys.exit(f"docs/editors.md has no snippet {sys.argv[2]} (has: {', '.join(docs)})")
        sys.stdout.write(docs[sys.argv[2]])
    elif sys.argv[1:] == ["check"]:
        readme = snippets("README.md")
        bad = [n for n in readme if readme[n] != docs.get(n)]
        for n in readme:
            print(("PASS" if n not in bad else "FAIL") + f" README.md snippet {n} equals docs/editors.md's")
        if not readme:
            print("FAIL README.md has no snippets")
        sys.exit(1 if bad or not readme else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
