#!/usr/bin/env python3
"""Fails when a locked dependency needs a newer Rust than the workspace's `rust-version`.

The workspace declares its minimum supported Rust in Cargo.toml; clippy's
`incompatible_msrv` lint holds our own code to it, and this check holds the
dependency tree in Cargo.lock to it (only one toolchain is installed here, so
`cargo +<msrv> check` is not an option).
"""
import json
import subprocess
import sys
import tomllib
from pathlib import Path

root = Path(__file__).resolve().parent.parent


def version(text):
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    declared = tomllib.loads((root / "Cargo.toml").read_text())["workspace"]["package"]["rust-version"]
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            cwd=root, check=True, capture_output=True, text=True,
        ).stdout
    )
    too_new = sorted(
        (version(p["rust_version"]), p["name"], p["version"])
        for p in meta["packages"]
        if p.get("rust_version") and version(p["rust_version"]) > version(declared)
    )
    if too_new:
        for need, name, ver in too_new:
            print(f"{name} {ver} needs Rust {'.'.join(map(str, need[:2]))}", file=sys.stderr)
        print(f"rust-version in Cargo.toml is {declared}: raise it or pin older dependencies", file=sys.stderr)
        return 1
    newest = max((version(p["rust_version"]) for p in meta["packages"] if p.get("rust_version")), default=(0,))
    print(f"rust-version {declared}: every locked dependency builds with it (newest need: {'.'.join(map(str, newest[:2]))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
