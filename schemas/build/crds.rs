//! Packs the vendored CRD schemas (`crds/`, listed in `crds/index.tsv`) for embedding: one
//! zstd frame per API group holding the group's schemas as compact JSON, one after another, and
//! a table (`crds.rs`) of where each kind's schema sits in its group once decompressed.
//!
//! One frame per group rather than per file: the versions of a kind, and the kinds of a group,
//! repeat each other's sub-schemas, and zstd only finds those repeats inside one frame (about
//! 1.4 MB for all groups instead of 2.3 MB file by file). The runtime decompresses a group the
//! first time one of its kinds is used and parses only that kind.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

struct Entry {
    group: String,
    version: String,
    kind: String,
    project: String,
    file: String,
}

pub fn pack(crds: &Path, out: &Path) {
    println!("cargo::rerun-if-changed={}", crds.display());
    let index_path = crds.join("index.tsv");
    println!("cargo::rerun-if-changed={}", index_path.display());
    let index = std::fs::read_to_string(&index_path).expect("read crds/index.tsv");
    let mut groups: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for (n, line) in index.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [group, version, kind, project, file] = cols[..] else {
            panic!("crds/index.tsv line {}: expected 5 tab-separated columns", n + 1);
        };
        groups.entry(group.to_string()).or_default().push(Entry {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            project: project.into(),
            file: file.into(),
        });
    }
    let dir = out.join("crds");
    std::fs::create_dir_all(&dir).expect("create OUT_DIR/crds");
    let mut groups_rs = String::new();
    let mut kinds_rs = String::new();
    for (gi, (group, entries)) in groups.iter().enumerate() {
        let mut blob = String::new();
        for e in entries {
            let path = crds.join(&e.file);
            println!("cargo::rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
            let value: Value =
                serde_json::from_str(&text).unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()));
            assert!(value.is_object(), "{} is not a schema object", path.display());
            let compact = serde_json::to_string(&value).expect("serialize");
            let start = blob.len();
            blob.push_str(&compact);
            writeln!(
                kinds_rs,
                "    BundledCrd {{ group: {:?}, version: {:?}, kind: {:?}, api_version: {:?}, project: {:?}, file: {:?}, group_index: {gi}, start: {start}, end: {} }},",
                e.group,
                e.version,
                e.kind,
                format!("{}/{}", e.group, e.version),
                e.project,
                e.file,
                blob.len()
            )
            .unwrap();
        }
        let compressed =
            ruzstd::encoding::compress_to_vec(blob.as_bytes(), ruzstd::encoding::CompressionLevel::Fastest);
        let name = format!("{group}.zst");
        std::fs::write(dir.join(&name), &compressed).expect("write compressed group");
        writeln!(
            groups_rs,
            "    CrdGroup {{ group: {group:?}, len: {}, data: include_bytes!(concat!(env!(\"OUT_DIR\"), \"/crds/{name}\")) }},",
            blob.len()
        )
        .unwrap();
    }
    let rs = format!(
        "static CRD_GROUPS: &[CrdGroup] = &[\n{groups_rs}];\n\n/// Sorted by group, version and kind.\nstatic BUNDLED_CRDS: &[BundledCrd] = &[\n{kinds_rs}];\n"
    );
    std::fs::write(out.join("crds.rs"), rs).expect("write crds.rs");
}
