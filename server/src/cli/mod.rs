//! The `check` command: the analysis engine as a CLI for CI, with text and JSON output.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::analysis;
use crate::schema::{SchemaStore, ValidationOptions};
use crate::yaml::{Diagnostic, Severity, YamlFile};

const USAGE: &str = "\
usage: gitops-ls check [--format text|json] PATH...

Checks every *.yaml and *.yml file under each PATH (directories are walked, .git is skipped).
Exit status: 0 when no errors were found, 1 when there are errors, 2 on usage errors.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug)]
pub struct Options {
    pub format: Format,
    pub paths: Vec<PathBuf>,
}

/// Runs `gitops-ls check` with the arguments after `check`; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    let opts = match parse_args(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return 0;
        }
        Err(msg) => {
            eprintln!("gitops-ls check: {msg}\n{USAGE}");
            return 2;
        }
    };
    let files = match collect_files(&opts.paths) {
        Ok(f) => f,
        Err(msg) => {
            eprintln!("gitops-ls check: {msg}");
            return 2;
        }
    };
    let reports = check_files(&files);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let summary = Summary::of(&reports);
    let written = match opts.format {
        Format::Text => write_text(&mut out, &reports, &summary),
        Format::Json => write_json(&mut out, &reports, &summary),
    };
    if let Err(e) = written.and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("gitops-ls check: cannot write output: {e}");
        }
    }
    if summary.errors > 0 { 1 } else { 0 }
}

pub fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut format = Format::Text;
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--format" | "-f" => {
                format = parse_format(it.next().ok_or("--format needs a value (text or json)")?)?;
            }
            s if s.starts_with("--format=") => format = parse_format(&s["--format=".len()..])?,
            "--" => paths.extend(it.by_ref().map(PathBuf::from)),
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option `{s}`")),
            s => paths.push(PathBuf::from(s)),
        }
    }
    if paths.is_empty() {
        return Err("no PATH given".into());
    }
    Ok(Some(Options { format, paths }))
}

fn parse_format(v: &str) -> Result<Format, String> {
    match v {
        "text" => Ok(Format::Text),
        "json" => Ok(Format::Json),
        other => Err(format!("unknown format `{other}` (expected text or json)")),
    }
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// Files named on the command line are checked whatever their extension; directories are walked.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if entry.file_name() != ".git" {
                walk(&path, out);
            }
        } else if (ft.is_file() || ft.is_symlink()) && is_yaml(&path) && path.is_file() {
            out.push(path);
        }
    }
}

/// One problem, positioned for people: 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub diagnostic: Diagnostic,
}

#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub findings: Vec<Finding>,
    pub resources: usize,
}

/// Checks files on every core; work is handed out one file at a time so one huge file does
/// not leave the other threads idle.
pub fn check_files(files: &[PathBuf]) -> Vec<FileReport> {
    let store = SchemaStore::new();
    let opts = ValidationOptions::default();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut reports: Vec<(usize, FileReport)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        mine.push((i, check_file(path, &store, &opts)));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, r)| r).collect()
}

pub fn check_file(path: &Path, store: &SchemaStore, opts: &ValidationOptions) -> FileReport {
    let (findings, resources) = match std::fs::read(path) {
        Err(e) => (vec![whole_file(format!("cannot read file: {e}"), "io")], 0),
        Ok(bytes) => match String::from_utf8(bytes) {
            Err(e) => (
                vec![whole_file(
                    format!("not valid UTF-8 (byte {}): YAML files must be UTF-8", e.utf8_error().valid_up_to()),
                    "encoding",
                )],
                0,
            ),
            Ok(text) => check_text(&text, store, opts),
        },
    };
    FileReport { path: path.to_path_buf(), findings, resources }
}

fn whole_file(message: String, code: &'static str) -> Finding {
    Finding {
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        diagnostic: Diagnostic::new(Default::default(), Severity::Error, code, message),
    }
}

/// Everything `check` reports for one file's text, and how many resources it holds.
pub fn check_text(text: &str, store: &SchemaStore, opts: &ValidationOptions) -> (Vec<Finding>, usize) {
    let file = YamlFile::parse(text);
    let index = LineIndex::new(text);
    let analysis = analysis::analyze(&file, store, opts);
    let findings = analysis
        .diagnostics
        .into_iter()
        .map(|d| {
            let (line, column) = index.line_col(text, d.span.start);
            let (end_line, end_column) = index.line_col(text, d.span.end);
            Finding { line, column, end_line, end_column, diagnostic: d }
        })
        .collect();
    (findings, analysis.resources)
}

struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }
    fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let col = text[self.starts[line]..offset].chars().count();
        (line + 1, col + 1)
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub resources: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn of(reports: &[FileReport]) -> Self {
        let mut s = Summary {
            files: reports.len(),
            resources: reports.iter().map(|r| r.resources).sum(),
            ..Default::default()
        };
        for f in reports.iter().flat_map(|r| &r.findings) {
            match f.diagnostic.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                _ => {}
            }
        }
        s
    }
}

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information => "info",
        Severity::Hint => "hint",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

pub fn write_text(out: &mut impl Write, reports: &[FileReport], summary: &Summary) -> std::io::Result<()> {
    for r in reports {
        for f in &r.findings {
            writeln!(
                out,
                "{}:{}:{}: {}: {} [{}]",
                r.path.display(),
                f.line,
                f.column,
                severity_name(f.diagnostic.severity),
                f.diagnostic.message,
                f.diagnostic.code
            )?;
        }
    }
    writeln!(
        out,
        "{}, {}, {} in {}",
        plural(summary.resources, "resource"),
        plural(summary.errors, "error"),
        plural(summary.warnings, "warning"),
        plural(summary.files, "file")
    )
}

pub fn write_json(out: &mut impl Write, reports: &[FileReport], summary: &Summary) -> std::io::Result<()> {
    let diagnostics: Vec<serde_json::Value> = reports
        .iter()
        .flat_map(|r| {
            r.findings.iter().map(move |f| {
                serde_json::json!({
                    "path": r.path.display().to_string(),
                    "line": f.line,
                    "column": f.column,
                    "endLine": f.end_line,
                    "endColumn": f.end_column,
                    "severity": severity_name(f.diagnostic.severity),
                    "code": f.diagnostic.code,
                    "message": f.diagnostic.message,
                })
            })
        })
        .collect();
    let doc = serde_json::json!({
        "diagnostics": diagnostics,
        "summary": {
            "files": summary.files,
            "resources": summary.resources,
            "errors": summary.errors,
            "warnings": summary.warnings,
        },
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn argument_errors_are_usage_errors() {
        assert!(parse_args(&args(&[])).is_err());
        assert!(parse_args(&args(&["--bogus", "x"])).is_err());
        assert!(parse_args(&args(&["--format", "xml", "x"])).is_err());
        assert_eq!(parse_args(&args(&["--format=json", "a", "b"])).unwrap().unwrap().paths.len(), 2);
        assert!(parse_args(&args(&["--help"])).unwrap().is_none());
    }

    #[test]
    fn findings_have_one_based_character_columns() {
        let check_text = |t: &str| check_text(t, &SchemaStore::new(), &ValidationOptions::default()).0;
        let f = check_text("name: caf\u{e9}\nx: 1\nx: 2\n");
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].line, f[0].column, f[0].end_line, f[0].end_column), (3, 1, 3, 2));
        let f = check_text("k: \u{1f600}\nk: 2\n");
        assert_eq!((f[0].line, f[0].column), (2, 1));
        let f = check_text("a: \u{e9}\u{e9}: b\n");
        assert_eq!((f[0].line, f[0].column), (1, 6));
    }
}
