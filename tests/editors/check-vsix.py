#!/usr/bin/env python3
"""Checks a packaged .vsix: it bundles the server binary, stripped (no .debug_*
sections, no symbol table) and, given MAX_MB, that the package is smaller
(meant for dist builds: a stripped debug build is bigger). Prints one line per
check and the sizes, writes the checks to RESULTS (JSON) and exits 1 if any
failed.

usage: check-vsix.py EXTENSION.vsix RESULTS.json [MAX_MB]
"""
import json
import os
import struct
import sys
import zipfile

# Allocated, read at run time (names gdb pretty-printer scripts): strip keeps it; no debug info.
KEPT = {".debug_gdb_scripts"}


def elf_sections(data):
    """Section names of an ELF file (32/64-bit, either byte order)."""
    if data[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x2E)

    def header(i):
        base = shoff + i * shentsize
        if is64:
            name, typ, _flags, _addr, off, size = struct.unpack_from(end + "IIQQQQ", data, base)
        else:
            name, typ, _flags, _addr, off, size = struct.unpack_from(end + "IIIIII", data, base)
        return name, typ, off, size

    _, _, stroff, strsize = header(shstrndx)
    strtab = data[stroff:stroff + strsize]
    names = []
    for i in range(shnum):
        name, typ, _, _ = header(i)
        names.append((strtab[name:strtab.index(b"\0", name)].decode(), typ))
    return names


def checks(vsix, max_mb):
    size_mb = os.path.getsize(vsix) / 1e6
    with zipfile.ZipFile(vsix) as z:
        entry = next((n for n in z.namelist() if n in ("extension/server/gitops-ls", "extension/server/gitops-ls.exe")), None)
        yield "the .vsix bundles extension/server/gitops-ls", entry is not None, z.namelist()
        if entry is None:
            return
        data = z.read(entry)
    print(f"package: {vsix}: {size_mb:.1f} MB; bundled binary {len(data) / 1e6:.1f} MB")
    if entry.endswith(".exe"):
        yield "bundled binary is an ELF file (only Linux packages are checked)", False, entry
        return
    sections = elf_sections(data)
    debug = [n for n, _ in sections if n.startswith((".debug_", ".zdebug_")) and n not in KEPT]
    yield "bundled binary has no .debug_* sections", not debug, debug
    symtab = [n for n, typ in sections if typ == 2]  # SHT_SYMTAB; .dynsym stays
    yield "bundled binary has no symbol table", not symtab, symtab
    if max_mb is not None:
        yield f".vsix is smaller than {max_mb:g} MB", size_mb < max_mb, f"{size_mb:.1f} MB"


def main():
    vsix, out = sys.argv[1], sys.argv[2]
    max_mb = float(sys.argv[3]) if len(sys.argv) > 3 else None
    results = []
    try:
        for name, ok, detail in checks(vsix, max_mb):
            results.append({"name": name, "ok": bool(ok), "detail": "" if ok else str(detail)[:300]})
    except Exception as e:  # a broken archive or ELF file is a failure, not a crash
        results.append({"name": "read the .vsix and its binary", "ok": False, "detail": repr(e)})
    for r in results:
        print(("PASS " if r["ok"] else "FAIL ") + r["name"] + ("" if r["ok"] else f": {r['detail']}"))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)
    passed = sum(r["ok"] for r in results)
    print(f"package: {passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
