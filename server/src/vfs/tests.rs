use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo (coreutils) is needed");
    assert!(status.success());
}

#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Files (relative to `root`) and warnings (relative path, message) of a walk.
fn walk_rel(root: &Path) -> (Vec<String>, Vec<(String, String)>) {
    let (mut files, mut warnings) = (Vec::new(), Vec::new());
    let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    walk(root, |e| match e {
        WalkEvent::File(p) => files.push(rel(&p)),
        WalkEvent::Warning { path, message } => warnings.push((rel(&path), message)),
    });
    (files, warnings)
}

#[test]
fn walk_honours_gitignore_and_info_exclude_and_skips_vcs_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a.yaml", "");
    write(root, "b.yml", "");
    write(root, "notes.txt", "");
    write(root, "base/Kustomization", "");
    write(root, "build/out.yaml", "");
    write(root, "apps/generated.yaml", "");
    write(root, "apps/kept.yaml", "");
    write(root, "private/secret.yaml", "");
    write(root, ".git/config.yaml", "");
    write(root, "node_modules/pkg/x.yaml", "");
    write(root, ".github/workflows/ci.yaml", "");
    write(root, ".gitignore", "build/\n");
    write(root, "apps/.gitignore", "generated.yaml\n");
    write(root, ".git/info/exclude", "private/\n");
    let (files, warnings) = walk_rel(root);
    assert_eq!(files, [".github/workflows/ci.yaml", "a.yaml", "apps/kept.yaml", "b.yml", "base/Kustomization"]);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[cfg(unix)]
#[test]
fn walk_skips_special_files_without_opening_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "ok.yaml", "a: 1\n");
    mkfifo(&root.join("pipe.yaml"));
    symlink("/dev/zero", &root.join("zero.yaml"));
    symlink("/dev/urandom", &root.join("random.yml"));
    // Opening the FIFO would block this test forever; the walk must not.
    let (files, warnings) = walk_rel(root);
    assert_eq!(files, ["ok.yaml"]);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[cfg(unix)]
#[test]
fn walk_follows_symlinked_directories_once_and_reports_loops() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "real/app.yaml", "");
    symlink(root.join("real"), &root.join("alias"));
    symlink(root, &root.join("real/up"));
    // A symlinked directory outside the tree is followed.
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "shared.yaml", "");
    symlink(outside.path(), &root.join("linked"));
    let (files, warnings) = walk_rel(root);
    // `alias` sorts first, so the files are found under it and `real` is the second path.
    assert_eq!(files, ["alias/app.yaml", "linked/shared.yaml"]);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0].0, "alias/up");
    assert!(warnings[0].1.starts_with("symlink loop back to "), "{warnings:?}");
    assert_eq!(warnings[1].0, "real");
    assert!(warnings[1].1.contains("already checked as ") && warnings[1].1.ends_with("alias: not walked again"));
}

#[cfg(unix)]
#[test]
fn a_gitignore_that_is_a_fifo_does_not_hang_the_walk() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a/x.yaml", "");
    mkfifo(&root.join("a/.gitignore"));
    write(root, "b/y.yaml", "");
    let (files, warnings) = walk_rel(root);
    assert_eq!(files, ["b/y.yaml"]);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].0, "a/.gitignore");
}

#[cfg(unix)]
#[test]
fn dangling_manifest_symlinks_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    symlink("missing-target", &dir.path().join("gone.yaml"));
    symlink("missing-target", &dir.path().join("gone.txt"));
    let (files, warnings) = walk_rel(dir.path());
    assert!(files.is_empty());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, "gone.yaml");
    assert!(warnings[0].1.starts_with("dangling symlink"), "{warnings:?}");
}

#[cfg(unix)]
#[test]
fn reader_refuses_devices_and_fifos_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.yaml");
    mkfifo(&fifo);
    assert!(matches!(read_bytes(&fifo, 1 << 20), Err(ReadError::NotRegular(FileKind::Fifo))));
    for dev in ["/dev/zero", "/dev/urandom"] {
        let link = dir.path().join(format!("{}.yaml", &dev[5..]));
        symlink(dev, &link);
        assert!(matches!(read_bytes(&link, 1 << 20), Err(ReadError::NotRegular(FileKind::CharDevice))), "{dev}");
    }
    assert!(matches!(read_bytes(dir.path(), 1 << 20), Err(ReadError::NotRegular(FileKind::Directory))));
    let err = read_bytes(&fifo, 1).unwrap_err().to_string();
    assert_eq!(err, "not a regular file (a FIFO (named pipe)): not read");
}

#[test]
fn reader_stops_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "big.yaml", &"a".repeat(1000));
    assert_eq!(read_bytes(&p, 1000).unwrap().len(), 1000);
    match read_bytes(&p, 999) {
        Err(ReadError::TooLarge { size, limit }) => assert_eq!((size, limit), (1000, 999)),
        other => panic!("{other:?}"),
    }
    assert!(read_bytes(&dir.path().join("none.yaml"), 10).unwrap_err().is_not_found());
    std::fs::write(&p, b"a: \xff\n").unwrap();
    assert!(matches!(read_text(&p, 10), Err(ReadError::NotUtf8 { valid_up_to: 3 })));
}

#[test]
fn sizes_and_control_characters_for_people() {
    assert_eq!(mb_text(megabytes(20)), "20");
    assert_eq!(mb_text(megabytes(19) + (1 << 19)), "19.5");
    assert_eq!(mb_text(1), "0.1");
    assert_eq!(escape_control("a\nb\r\tc\u{1b}d"), "a\\nb\\r\\tc\\u{1b}d");
    assert_eq!(escape_control("caf\u{e9}.yaml"), "caf\u{e9}.yaml");
}
