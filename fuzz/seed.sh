#!/bin/sh
# Fills fuzz/corpus/<target>/ from the repository's YAML (tests/fixtures, examples) and the
# hostile cases in fuzz/seeds/. Run from anywhere; re-running adds nothing twice.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
for target in yaml_model text_edits validation; do
    mkdir -p "$here/corpus/$target"
done
find "$root/tests/fixtures" "$root/examples" "$here/seeds" -type f \( -name '*.yaml' -o -name '*.yml' \) |
while read -r f; do
    name=$(printf '%s' "$f" | sed "s|^$root/||; s|/|_|g")
    cp "$f" "$here/corpus/yaml_model/$name"
    # text_edits reads its input as an edit program; any bytes are a valid one.
    cp "$f" "$here/corpus/text_edits/$name"
    # validation's first byte picks the path and options; the rest is the document.
    for flag in a b d; do
        { printf '%s' "$flag"; cat "$f"; } > "$here/corpus/validation/$flag-$name"
    done
done
echo "seeded: $(ls "$here/corpus/yaml_model" | wc -l) files per target"
