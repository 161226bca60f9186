//! The `check` command: the analysis engine as a CLI for CI.

mod output;

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use output::{Format, Summary, severity_name, write_report};

use crate::analysis::images::{NoTags, image_diagnostics};
use crate::analysis::{self, kustomize};
use crate::config::ImageSettings;
use crate::schema::modeline::{ModelineSchema, find_modeline};
use crate::schema::store::StoreSettings;
use crate::schema::{SchemaStore, ValidationOptions};
use crate::yaml::{Diagnostic, Severity, YamlFile};

const USAGE: &str = "\
usage: gitops-ls check [OPTIONS] PATH...

Checks every *.yaml and *.yml file under each PATH (directories are walked, .git is skipped):
YAML problems, then every Kubernetes resource against its schema (built-in kinds, and the
CustomResourceDefinitions found in the checked files).

Options:
  -f, --format FORMAT            text (default), json, sarif (code scanning) or github (annotations)
      --kubernetes-version VER   validate built-in kinds against Kubernetes VER (e.g. 1.30) instead of
                                 the embedded schemas, loaded from --schema-location
      --schema-location LOC      directory or URL template of kubeconform-layout schemas (repeatable;
                                 default: kubeconform's public mirror)
      --crd-catalog DIR          CRD schemas in {group}/{kind}_{version}.json layout, for custom kinds
                                 whose CRD is not in the checked files (before the bundled ones)
      --offline                  never download schemas: modeline URLs that gitops-ls does not ship and
                                 the online CRD catalog are skipped (the disk cache is still read)
      --check-images             ask the registries whether every image tag exists (credentials from
                                 ~/.docker/config.json); without it image checks stay offline
      --insecure-registry HOST   plain HTTP for this registry (repeatable; localhost always is)
  -h, --help                     print this help

Exit status: 0 when no errors were found, 1 when there are errors, 2 on usage errors.";

#[derive(Debug)]
pub struct Options {
    pub format: Format,
    pub paths: Vec<PathBuf>,
    pub schemas: StoreSettings,
    /// `Some` with `--check-images`: tags are looked up in their registries.
    pub images: Option<ImageSettings>,
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
    let reports = check_files(&files, &opts.schemas, opts.images.as_ref());
    let summary = Summary::of(&reports);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Err(e) = write_report(&mut out, opts.format, &reports, &summary).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("gitops-ls check: cannot write output: {e}");
        }
    }
    if opts.format != Format::Text && opts.format != Format::Json {
        eprintln!("{}", summary.line());
    }
    if summary.errors > 0 { 1 } else { 0 }
}

pub fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut format = Format::Text;
    let mut paths = Vec::new();
    let mut schemas = StoreSettings {
        cache_dir: default_cache_dir(),
        online_catalog: Some(crate::schema::store::DEFAULT_ONLINE_CATALOG.to_string()),
        ..Default::default()
    };
    let mut check_images = false;
    let mut insecure = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value =
            |name: &str| inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{name} needs a value"));
        match flag {
            "--kubernetes-version" => {
                schemas.kubernetes_version = Some(value("--kubernetes-version")?);
                continue;
            }
            "--schema-location" => {
                schemas.schema_locations.push(value("--schema-location")?);
                continue;
            }
            "--crd-catalog" => {
                schemas.crd_catalog = Some(PathBuf::from(value("--crd-catalog")?));
                continue;
            }
            "--insecure-registry" => {
                insecure.push(value("--insecure-registry")?);
                continue;
            }
            "--check-images" if inline.is_none() => {
                check_images = true;
                continue;
            }
            "--offline" if inline.is_none() => {
                schemas.offline = true;
                continue;
            }
            _ => {}
        }
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--format" | "-f" => {
                format = Format::parse(it.next().ok_or("--format needs a value (text, json, sarif or github)")?)?;
            }
            s if s.starts_with("--format=") => format = Format::parse(&s["--format=".len()..])?,
            "--" => paths.extend(it.by_ref().map(PathBuf::from)),
            s if s.starts_with('-') && s.len() > 1 => return Err(format!("unknown option `{s}`")),
            s => paths.push(PathBuf::from(s)),
        }
    }
    if paths.is_empty() {
        return Err("no PATH given".into());
    }
    let images = check_images.then(|| ImageSettings { insecure_registries: insecure, ..Default::default() });
    Ok(Some(Options { format, paths, schemas, images }))
}

/// Downloaded schemas are kept across runs (`$XDG_CACHE_HOME/gitops-ls` or `~/.cache/gitops-ls`).
pub fn default_cache_dir() -> Option<PathBuf> {
    crate::config::cache_dir("schemas")
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
        } else if (ft.is_file() || ft.is_symlink())
            && (is_yaml(&path) || kustomize::is_kustomization_file(&path))
            && path.is_file()
        {
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

/// A file read and parsed in the first pass.
enum Loaded {
    Parsed { text: String, file: YamlFile },
    Failed(Finding),
}

/// Runs `f` over `items` on every core, handing out one item at a time so a huge file does
/// not leave the other threads idle; results come back in input order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// Checks files in two passes: parse everything (and learn the repository's CRDs and
/// Kustomize patches), then validate each file.
pub fn check_files(files: &[PathBuf], settings: &StoreSettings, images: Option<&ImageSettings>) -> Vec<FileReport> {
    let loaded = parallel_map(files, |p| load(p));
    // With --check-images every file's images are looked up once, up front.
    let mut image_findings: Vec<Option<Vec<Diagnostic>>> = loaded.iter().map(|_| None).collect();
    if let Some(images) = images {
        let parsed: Vec<(usize, (&YamlFile, &str))> = loaded
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                Loaded::Parsed { text, file } => Some((i, (file, text.as_str()))),
                Loaded::Failed(_) => None,
            })
            .collect();
        let pairs: Vec<(&YamlFile, &str)> = parsed.iter().map(|(_, p)| *p).collect();
        let found = crate::registry::check_images(&pairs, images, IMAGE_CHECK_TIMEOUT);
        for ((i, _), diags) in parsed.iter().zip(found) {
            image_findings[*i] = Some(diags);
        }
    }
    let store = SchemaStore::new();
    store.configure(settings.clone());
    let mut patches = HashSet::new();
    for (path, l) in files.iter().zip(&loaded) {
        let Loaded::Parsed { text, file } = l else { continue };
        register_crds(&store, path, text, file);
        if kustomize::is_kustomization_file(path) {
            let dir = absolute(path).parent().map(Path::to_path_buf).unwrap_or_default();
            patches.extend(kustomize::patch_paths(file).iter().map(|p| kustomize::join_normalized(&dir, p)));
        }
    }
    // Schemas named by modelines are loaded up front, concurrently; a location that cannot be
    // loaded is reported once, by its first document, for all the files that use it.
    let mut uses = Vec::new();
    for (path, l) in files.iter().zip(&loaded) {
        let Loaded::Parsed { file, .. } = l else { continue };
        for slot in file.documents() {
            let doc = &slot.doc;
            if !doc.complete || doc.is_template || doc.root.is_none() {
                continue;
            }
            if let Some((ModelineSchema::Location(location), _)) = find_modeline(&doc.comments) {
                uses.push((location, path.clone()));
            }
        }
    }
    store.prefetch(&uses);
    let pairs: Vec<(&PathBuf, &Loaded, &Option<Vec<Diagnostic>>)> =
        files.iter().zip(&loaded).zip(&image_findings).map(|((p, l), i)| (p, l, i)).collect();
    parallel_map(&pairs, |(path, l, images)| {
        let (findings, resources) = match l {
            Loaded::Failed(f) => (vec![f.clone()], 0),
            Loaded::Parsed { text, file } => {
                let images = match images {
                    Some(found) => found.clone(),
                    None => image_diagnostics(file, text.as_str(), &NoTags, false),
                };
                let opts = ValidationOptions {
                    partial: patches.contains(&absolute(path)),
                    path: Some((*path).clone()),
                    ..Default::default()
                };
                findings_for(text, file, &store, &opts, images)
            }
        };
        FileReport { path: (*path).clone(), findings, resources }
    })
}

/// The CRDs a file defines become schemas for the whole check.
fn register_crds(store: &SchemaStore, path: &Path, text: &str, file: &YamlFile) {
    let source = path.display().to_string();
    let line_of =
        |offset: usize| text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let kinds = analysis::workspace::crd_kinds(file, &source, line_of);
    if !kinds.is_empty() {
        store.set_custom_kinds(&source, kinds);
    }
}

fn absolute(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
    kustomize::join_normalized(Path::new("/"), &abs.to_string_lossy())
}

fn load(path: &Path) -> Loaded {
    match std::fs::read(path) {
        Err(e) => Loaded::Failed(whole_file(format!("cannot read file: {e}"), "io")),
        Ok(bytes) => match String::from_utf8(bytes) {
            Err(e) => Loaded::Failed(whole_file(
                format!("not valid UTF-8 (byte {}): YAML files must be UTF-8", e.utf8_error().valid_up_to()),
                "encoding",
            )),
            Ok(text) => {
                let file = YamlFile::parse(text.as_str());
                Loaded::Parsed { text, file }
            }
        },
    }
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
    let images = image_diagnostics(&file, text, &NoTags, false);
    findings_for(text, &file, store, opts, images)
}

/// How long `--check-images` waits for the registries in all.
const IMAGE_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn findings_for(
    text: &str,
    file: &YamlFile,
    store: &SchemaStore,
    opts: &ValidationOptions,
    images: Vec<Diagnostic>,
) -> (Vec<Finding>, usize) {
    let index = LineIndex::new(text);
    let analysis = analysis::analyze(file, store, opts);
    let mut diagnostics = analysis.diagnostics;
    diagnostics.extend(images);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let findings = diagnostics
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
        assert_eq!(parse_args(&args(&["-f", "sarif", "a"])).unwrap().unwrap().format, Format::Sarif);
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
