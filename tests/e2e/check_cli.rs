//! `gitops-ls check` on hostile trees: special files, missing paths, symlink loops, odd file
//! names, size limits and internal failures.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn check_env(args: &[&Path], extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitops-ls"));
    cmd.arg("check").args(extra).args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn check(args: &[&Path], extra: &[&str]) -> Run {
    check_env(args, extra, &[])
}

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

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n";
const DUPLICATE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n  name: e\n";

#[test]
fn check_never_opens_fifos_or_devices() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "ok.yaml", CONFIGMAP);
    let fifo = root.join("pipe.yaml");
    mkfifo(&fifo);
    let zero = root.join("zero.yaml");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let random = root.join("random.yaml");
    std::os::unix::fs::symlink("/dev/urandom", &random).unwrap();

    // Found in the walk: skipped (a debug log line says so).
    let run = check_env(&[root], &[], &[("GITOPS_LS_LOG", "debug")]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.ends_with("1 resource, 0 errors, 0 warnings in 1 file\n"), "{}", run.stdout);
    assert!(run.stderr.contains("skipping a special file"), "{}", run.stderr);

    // Named on the command line: one error each, and the other files are still checked.
    let run = check(&[&fifo, &zero, &random, &root.join("ok.yaml")], &[]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(lines[0].ends_with("pipe.yaml:1:1: error: not a regular file (a FIFO (named pipe)): not read [io]"));
    assert!(lines[1].ends_with("random.yaml:1:1: error: not a regular file (a character device): not read [io]"));
    assert!(lines[2].ends_with("zero.yaml:1:1: error: not a regular file (a character device): not read [io]"));
    assert_eq!(lines[3], "1 resource, 3 errors, 0 warnings in 4 files");
}

#[test]
fn files_over_the_size_limit_get_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!("{CONFIGMAP}  pad: \"{}\"\n", "x".repeat(3 << 19));
    let path = write(dir.path(), "big.yaml", &big);
    let run = check(&[&path], &["--max-file-size-mb", "1"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stdout.lines().next().unwrap(),
        format!(
            "{}:1:1: error: file is 1.6 MB, over the limit of 1 MB (--max-file-size-mb): not checked [file-too-large]",
            path.display()
        )
    );
    assert!(run.stdout.ends_with("0 resources, 1 error, 0 warnings in 1 file\n"), "{}", run.stdout);
    // Under the limit (the default is 20 MB) it is checked.
    let run = check(&[&path], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.stdout, "1 resource, 0 errors, 0 warnings in 1 file\n");
}

#[test]
fn a_missing_path_is_an_error_and_the_others_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "dup.yaml", DUPLICATE);
    let missing = dir.path().join("nope");
    let run = check(&[&missing, &good], &[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].contains("dup.yaml:5:3: error: duplicate key `name`"), "{}", run.stdout);
    assert!(lines[1].starts_with(&format!("{}:1:1: error: cannot read: No such file", missing.display())));
    assert!(lines[1].ends_with("[io]"), "{}", run.stdout);
    assert_eq!(lines[2], "1 resource, 2 errors, 0 warnings in 2 files");
}

#[test]
fn an_internal_failure_names_the_file_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.yaml", "b.yaml", "c.yaml"] {
        write(dir.path(), name, DUPLICATE);
    }
    let run = check_env(&[dir.path()], &["--format", "json"], &[("GITOPS_LS_TESTING_PANIC_ON_FILE", "b.yaml")]);
    assert_eq!(run.code, Some(3), "{}{}", run.stdout, run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let found: Vec<(String, &str)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let path = Path::new(d["path"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
            (path, d["code"].as_str().unwrap())
        })
        .collect();
    let expected = [("a.yaml", "duplicate-key"), ("b.yaml", "internal-error"), ("c.yaml", "duplicate-key")];
    assert_eq!(found, expected.map(|(p, c)| (p.to_string(), c)));
    assert_eq!(v["summary"]["files"], 3);
    assert!(run.stderr.contains("internal error while checking ") && run.stderr.contains("b.yaml"), "{}", run.stderr);
    // Without the failure the same tree exits 1.
    assert_eq!(check(&[dir.path()], &[]).code, Some(1));

    // A failure in the first pass (CRDs and patches) alone: the file's own check went well,
    // but what it defines may be missing, so its result is unknown too.
    let run = check_env(&[dir.path()], &[], &[("GITOPS_LS_TESTING_PANIC_ON_FILE", "first-pass:c.yaml")]);
    assert_eq!(run.code, Some(3), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    assert!(lines[2].contains("c.yaml:1:1: error: gitops-ls failed on this file"), "{}", run.stdout);
    assert!(lines[2].ends_with("[internal-error]"), "{}", run.stdout);
    assert!(lines[3].contains("c.yaml:5:3: error: duplicate key"), "{}", run.stdout);
}

#[test]
fn symlinked_directories_are_followed_once_and_loops_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "real/dup.yaml", DUPLICATE);
    std::os::unix::fs::symlink(root.join("real"), root.join("same")).unwrap();
    std::os::unix::fs::symlink("..", root.join("real/loop")).unwrap();
    let run = check(&[root], &[]);
    assert_eq!(run.code, Some(1));
    // Checked once, under the first path in name order.
    assert_eq!(run.stdout.matches("duplicate key").count(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("/real/dup.yaml:5:3:"), "{}", run.stdout);
    let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.contains("warning:")).collect();
    assert_eq!(warnings.len(), 2, "{}", run.stderr);
    assert!(warnings[0].contains("/real/loop: symlink loop back to "), "{}", run.stderr);
    assert!(warnings[1].contains("/same: directory already checked as "), "{}", run.stderr);
}

#[test]
fn gitignored_files_are_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "app/dup.yaml", DUPLICATE);
    write(root, "out/dup.yaml", DUPLICATE);
    write(root, "local/dup.yaml", DUPLICATE);
    write(root, ".gitignore", "out/\n");
    write(root, ".git/info/exclude", "local/\n");
    let run = check(&[root], &[]);
    assert_eq!(run.stdout.matches("duplicate key").count(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("/app/dup.yaml:"), "{}", run.stdout);
    // Named explicitly, an ignored file is checked.
    let run = check(&[&root.join("out/dup.yaml")], &[]);
    assert_eq!(run.code, Some(1));
}

#[test]
fn a_newline_in_a_file_name_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad\nname.yaml", DUPLICATE);
    for (format, needle) in [("text", "bad\\nname.yaml:5:3: error:"), ("github", "bad%0Aname.yaml,line=5,col=3")] {
        let run = check(&[dir.path()], &["--format", format]);
        assert_eq!(run.code, Some(1));
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), if format == "text" { 2 } else { 1 }, "{}", run.stdout);
        assert!(lines[0].contains(needle), "{format}: {}", run.stdout);
    }
}

#[test]
fn lone_cr_line_endings_put_problems_on_the_right_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "mac.yaml", &DUPLICATE.replace('\n', "\r"));
    let mixed =
        write(dir.path(), "mixed.yaml", "apiVersion: v1\r\nkind: ConfigMap\rmetadata:\n  name: d\r\n  name: e\r");
    let run = check(&[&path, &mixed], &[]);
    assert_eq!(run.code, Some(1));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].contains("mac.yaml:5:3: error: duplicate key"), "{}", run.stdout);
    assert!(lines[1].contains("mixed.yaml:5:3: error: duplicate key"), "{}", run.stdout);
}

#[test]
fn crds_and_patches_are_learned_before_any_file_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Both sort before the files that define what they need.
    write(
        root,
        "a-cron.yaml",
        "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: c\nspec:\n  replica: 1\n",
    );
    write(
        root,
        "b-patch.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n",
    );
    write(root, "crd.yaml", include_str!("../fixtures/crds/stable.example.com_crontabs.yaml"));
    write(root, "kustomization.yaml", "resources: []\npatches:\n  - path: b-patch.yaml\n");
    let run = check(&[root], &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let codes: Vec<&str> = v["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["unknown-field"], "{}", run.stdout);
    assert!(v["diagnostics"][0]["path"].as_str().unwrap().ends_with("a-cron.yaml"));
}

#[test]
fn ignore_comments_drop_findings_and_unknown_codes_are_warned_about() {
    use crate::ignore_comments::{FILE_IGNORED, IGNORED, without_comments};
    let dir = tempfile::tempdir().unwrap();
    let web = write(dir.path(), "web.yaml", IGNORED);
    let pod = write(dir.path(), "pod.yaml", FILE_IGNORED);
    let run = check(&[&web, &pod], &[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].contains("web.yaml:8:13: error:") && lines[0].ends_with("[wrong-type]"), "{}", run.stdout);
    assert!(
        lines[1].contains("web.yaml:17:54: warning: `unknown-feild` is not a gitops-ls diagnostic code"),
        "{}",
        run.stdout
    );
    assert!(lines[1].ends_with("[ignore-comment]"), "{}", run.stdout);
    assert_eq!(lines[2], "2 resources, 1 error, 1 warning in 2 files");

    // Without the comments the same files have the ignored problems back.
    std::fs::write(&web, without_comments()).unwrap();
    std::fs::write(&pod, FILE_IGNORED.replace("# gitops-ls-disable image-latest\n", "")).unwrap();
    let run = check(&[&web, &pod], &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mut codes: Vec<(String, &str)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let path = Path::new(d["path"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
            (path, d["code"].as_str().unwrap())
        })
        .collect();
    codes.sort();
    let expected = [
        ("pod.yaml", "image-latest"),
        ("pod.yaml", "image-latest"),
        ("web.yaml", "image-latest"),
        ("web.yaml", "unknown-field"),
        ("web.yaml", "wrong-type"),
    ];
    assert_eq!(codes, expected.map(|(p, c)| (p.to_string(), c)));
}
