//! The `check` command: the analysis engine as a CLI for CI.
//!
//! Files stream through one worker per core (see `pipeline`): only each file's findings are
//! kept after it is checked, so memory does not grow with the tree. A first, cheap pass reads
//! only what the whole check needs up front: the CRDs and the kustomizations' patch lists.

mod output;
mod pipeline;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use output::{Format, Style, Summary, severity_name, write_report};
use pipeline::Event;

use crate::analysis;
use crate::analysis::images::{ImageTags, NoTags, image_sites};
use crate::base::{Encoding, LineIndex};
use crate::config::ImageSettings;
use crate::index::{self, FileSummary, RepoIndex};
use crate::k8s::kustomize;
use crate::registry::Registry;
use crate::schema::modeline::modeline_locations;
use crate::schema::store::StoreSettings;
use crate::schema::{SchemaStore, ValidationOptions};
use crate::vfs::{self, ReadError};
use crate::yaml::{Diagnostic, Severity, YamlFile};

/// Exit status when nothing is wrong.
pub const EXIT_OK: i32 = 0;
/// Exit status when some file has an error.
pub const EXIT_ERRORS: i32 = 1;
/// Exit status for a bad command line.
pub const EXIT_USAGE: i32 = 2;
/// Exit status when gitops-ls itself failed on some file (a bug): its result is unknown.
pub const EXIT_INTERNAL: i32 = 3;

/// Makes the check of a file with this name panic, to test that an internal failure is
/// reported. For the test suite only.
const PANIC_ON_FILE_ENV: &str = "GITOPS_LS_TESTING_PANIC_ON_FILE";

const USAGE: &str = "\
usage: gitops-ls check [OPTIONS] PATH...

Checks every *.yaml and *.yml file under each PATH (directories are walked honouring .gitignore
and .git/info/exclude; .git and node_modules are skipped, symlinked directories are followed
once): YAML problems, then every Kubernetes resource against its schema (built-in kinds, and
the CustomResourceDefinitions found in the checked files).

Options:
  -f, --format FORMAT            text (default), json, sarif (code scanning), github (annotations) or
                                 junit (JUnit XML for GitLab and Jenkins), nomos (Config Sync findings
                                 only, printed and exiting as `nomos vet` does)
  -q, --quiet                    print only the problems: no summary line (nor progress)
      --source-format FMT            each PATH is a Config Sync root in this format (hierarchy or
                                 unstructured), as for `nomos vet --path PATH --source-format FMT`;
                                 without it, roots come from RootSync/RepoSync objects and
                                 hierarchical layouts (system/repo.yaml)
      --missing-reference-severity LEVEL
                                 severity of references to names the repository does not define:
                                 error, warning (default), information, hint or off
      --units                        list the deployment units first (kustomize build roots and the
                                 directories Flux, Argo CD and Config Sync apply), with their
                                 objects and problems (text format)
      --color WHEN               colour text output: auto (default: when stdout is a terminal and
                                 NO_COLOR is not set), always or never
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
      --max-file-size-mb N       files larger than N MB are not read; each is an error
                                 [file-too-large] (default 20)
      --config FILE              project settings from FILE instead of the .gitops-ls.toml found in
                                 the first PATH's directory or above it (up to the repository's top)
      --no-config                read no project settings file
  -h, --help                     print this help

Project settings (.gitops-ls.toml): the editor settings' keys (kubernetesVersion, schemas,
validation, configSync…), [severity] CODE = LEVEL (error, warning, information, hint, off) and
exclude = [GLOB…] for walked files; command-line options win over the file.

Ignore comments: `# gitops-ls-disable-next-line [CODE[,CODE]...]` ignores the next line's
problems with those codes (all codes when none is given), `# gitops-ls-disable [CODE...]` the
whole file's. A code gitops-ls does not report is a warning [ignore-comment].

A PATH that does not exist, a file that cannot be read and a special file (FIFO, device) named
on the command line are errors [io]; the other paths are still checked. Symlink loops and
directories reached twice are warned about on stderr.

Exit status: 0 when no errors were found, 1 when there are errors, 2 on usage errors, 3 when
gitops-ls failed internally on some file (named in the output, code internal-error): its
result is unknown, so treat it as a failure.";

#[derive(Debug)]
pub struct Options {
    pub format: Format,
    pub paths: Vec<PathBuf>,
    pub schemas: StoreSettings,
    /// `Some` with `--check-images`: tags are looked up in their registries.
    pub images: Option<ImageSettings>,
    /// Files larger than this many bytes are not read.
    pub max_file_bytes: u64,
    pub quiet: bool,
    pub color: ColorChoice,
    /// `--source-format`: each PATH is a Config Sync root of this format (as for `nomos vet`).
    pub source_format: Option<crate::configsync::Format>,
    /// `--units`: one summary line per deployment unit.
    pub units: bool,
    /// `--missing-reference-severity`: `reference-not-found` at this severity (`None`: off).
    pub missing_reference: Option<Severity>,
    /// Strict field validation and the unknown-kind severity (the project file may set them).
    pub validation: ValidationOptions,
    /// Config Sync roots the project file declares (absolute).
    pub config_sync_roots: Vec<(PathBuf, crate::configsync::Format)>,
    /// The project settings file in effect, with what it said about itself.
    pub project: Option<crate::config::Project>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Colours with `--color always`; with `auto`, when stdout is a terminal and `NO_COLOR` is
/// unset or empty (https://no-color.org).
fn use_color(choice: ColorChoice, stdout_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// Runs `gitops-ls check` with the arguments after `check`; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    let opts = match parse_args(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return EXIT_OK;
        }
        Err(msg) => {
            eprintln!("gitops-ls check: {msg}\n{USAGE}");
            return EXIT_USAGE;
        }
    };
    init_logging();
    if let Some(p) = &opts.project {
        for w in &p.warnings {
            eprintln!("gitops-ls check: warning: {}: {}", vfs::display_path(&p.file), vfs::escape_control(w));
        }
    }
    use std::io::IsTerminal;
    let progress = std::cell::RefCell::new(
        (opts.format == Format::Text && !opts.quiet && std::io::stderr().is_terminal()).then(Progress::default),
    );
    let with_progress = |f: &dyn Fn(&mut Progress)| {
        if let Some(p) = progress.borrow_mut().as_mut() {
            f(p);
        }
    };
    let outcome = check_paths(
        &opts,
        |path, message| {
            with_progress(&|p| p.clear());
            eprintln!("gitops-ls check: warning: {}: {}", vfs::display_path(path), vfs::escape_control(message))
        },
        |n| with_progress(&|p| p.checked(n)),
    );
    with_progress(&|p| p.clear());
    let summary = Summary::of(&outcome.reports);
    let stdout = std::io::stdout();
    let style = Style {
        color: opts.format == Format::Text && use_color(opts.color, stdout.is_terminal(), std::env::var_os("NO_COLOR")),
        quiet: opts.quiet,
    };
    let mut out = stdout.lock();
    if opts.units && opts.format == Format::Text {
        for u in &outcome.units {
            let _ = writeln!(out, "{}", u.text());
        }
    }
    if let Err(e) = write_report(&mut out, opts.format, &outcome.reports, &summary, style).and_then(|_| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("gitops-ls check: cannot write output: {e}");
    }
    if !matches!(opts.format, Format::Text | Format::Json | Format::Nomos) && !opts.quiet {
        eprintln!("{}", summary.line());
    }
    // As `nomos vet`: only Config Sync's own findings decide the status.
    let nomos_errors = || {
        outcome
            .reports
            .iter()
            .flat_map(|r| &r.findings)
            .any(|f| output::is_nomos(f) && f.diagnostic.severity == Severity::Error)
    };
    if outcome.internal_failures > 0 {
        EXIT_INTERNAL
    } else if opts.format == Format::Nomos {
        if nomos_errors() { EXIT_ERRORS } else { EXIT_OK }
    } else if summary.errors > 0 {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}

/// A `checked N files` line on a terminal's stderr, redrawn in place at most ten times a second.
#[derive(Default)]
struct Progress {
    drawn: Option<Instant>,
    visible: bool,
}

impl Progress {
    fn checked(&mut self, files: usize) {
        if self.drawn.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        self.drawn = Some(Instant::now());
        self.visible = true;
        eprint!("\rchecked {files} file{}", if files == 1 { "" } else { "s" });
    }

    /// Erases the line, before anything else is written to stderr and at the end.
    fn clear(&mut self) {
        if std::mem::take(&mut self.visible) {
            eprint!("\r\x1b[K");
        }
    }
}

/// Warnings on stderr, `GITOPS_LS_LOG` as for the server (debug shows skipped special files).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GITOPS_LS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();
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
    let mut quiet = false;
    let mut color = ColorChoice::Auto;
    let mut insecure = Vec::new();
    let mut max_file_mb = None;
    let mut source_format = None;
    let mut units = false;
    let mut missing_reference = None;
    let mut config: Option<Option<PathBuf>> = None;
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
            "--max-file-size-mb" => {
                let v = value("--max-file-size-mb")?;
                max_file_mb = Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or(format!("--max-file-size-mb needs a whole number of megabytes above 0, not `{v}`"))?,
                );
                continue;
            }
            "--source-format" => {
                let v = value("--source-format")?;
                source_format = Some(
                    crate::configsync::Format::parse(&v)
                        .ok_or(format!("--source-format takes hierarchy or unstructured, not `{v}`"))?,
                );
                continue;
            }
            "--missing-reference-severity" => {
                let v = value("--missing-reference-severity")?;
                if !["error", "warning", "information", "hint", "off"].contains(&v.as_str()) {
                    return Err(format!(
                        "--missing-reference-severity takes error, warning, information, hint or off, not `{v}`"
                    ));
                }
                missing_reference = Some(crate::config::parse_severity(&v));
                continue;
            }
            "--config" => {
                config = Some(Some(PathBuf::from(value("--config")?)));
                continue;
            }
            "--no-config" if inline.is_none() => {
                config = Some(None);
                continue;
            }
            "--color" => {
                color = match value("--color")?.as_str() {
                    "auto" => ColorChoice::Auto,
                    "always" => ColorChoice::Always,
                    "never" => ColorChoice::Never,
                    other => return Err(format!("--color takes auto, always or never, not `{other}`")),
                };
                continue;
            }
            "--quiet" | "-q" if inline.is_none() => {
                quiet = true;
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
            "--units" if inline.is_none() => {
                units = true;
                continue;
            }
            _ => {}
        }
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--format" | "-f" => {
                format = Format::parse(
                    it.next().ok_or("--format needs a value (text, json, sarif, github, junit or nomos)")?,
                )?;
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
    // The project file fills in what the command line leaves unset.
    let project = match config {
        Some(None) => None,
        Some(Some(file)) => Some(read_project(&file)?),
        None => paths
            .first()
            .and_then(|p| vfs::find_upwards(&absolute(p), crate::config::PROJECT_FILE))
            .map(|f| read_project(&f))
            .transpose()?,
    };
    let settings = project
        .as_ref()
        .map(|p| crate::config::Settings::from_json(&p.settings_over(&serde_json::Value::Null)))
        .unwrap_or_default();
    if let Some(p) = &project {
        let from = settings.store_settings(None);
        schemas.kubernetes_version = schemas.kubernetes_version.or(from.kubernetes_version);
        if schemas.schema_locations.is_empty() {
            schemas.schema_locations = from.schema_locations;
        }
        schemas.crd_catalog = schemas.crd_catalog.or(from.crd_catalog);
        schemas.associations = from.associations;
        schemas.offline |= from.offline;
        if p.settings.get("schemas").and_then(|s| s.get("onlineCatalog")).is_some() {
            schemas.online_catalog = from.online_catalog;
        }
        insecure.extend(settings.images.insecure_registries.iter().cloned());
    }
    let images = check_images.then(|| ImageSettings { insecure_registries: insecure, ..Default::default() });
    let max_file_mb = max_file_mb.unwrap_or(if project.is_some() {
        settings.max_file_size_mb.max(1)
    } else {
        vfs::DEFAULT_MAX_FILE_SIZE_MB
    });
    let max_file_bytes = vfs::megabytes(max_file_mb);
    let missing_reference = missing_reference.unwrap_or(settings.missing_reference_severity());
    let validation = settings.validation_options();
    let config_sync_roots = settings.config_sync_roots();
    Ok(Some(Options {
        format,
        paths,
        schemas,
        images,
        max_file_bytes,
        quiet,
        color,
        source_format,
        units,
        missing_reference,
        validation,
        config_sync_roots,
        project,
    }))
}

/// Reads and parses a project settings file (an error names the file).
fn read_project(file: &Path) -> Result<crate::config::Project, String> {
    let shown = vfs::display_path(file);
    let text = vfs::read_text(file, 1 << 20).map_err(|e| format!("{shown}: {e}"))?;
    crate::config::Project::parse(&absolute(file), text.as_str()).map_err(|e| format!("{shown}: {e}"))
}

/// Downloaded schemas are kept across runs (`$XDG_CACHE_HOME/gitops-ls` or `~/.cache/gitops-ls`).
pub fn default_cache_dir() -> Option<PathBuf> {
    crate::config::cache_dir("schemas")
}

/// One problem, positioned for people: 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub diagnostic: Diagnostic,
    /// Where the diagnostic's related places are (1-based, character columns).
    pub related: Vec<RelatedFinding>,
    /// For a Config Sync finding: the file's path in its root and the object, as `nomos vet`
    /// names them.
    pub nomos: Option<(PathBuf, Option<crate::configsync::nomos_format::ObjectId>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RelatedFinding {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
}

#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub findings: Vec<Finding>,
    pub resources: usize,
}

/// What a whole check found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One report per file, sorted by path.
    pub reports: Vec<FileReport>,
    /// Files whose check failed inside gitops-ls (each also has an `internal-error` finding).
    pub internal_failures: usize,
    /// The deployment units, for `--units`.
    pub units: Vec<UnitLine>,
}

/// One deployment unit as `--units` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitLine {
    /// The build root's kustomization file, or the applied directory.
    pub root: PathBuf,
    pub kustomize: bool,
    pub objects: usize,
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl UnitLine {
    pub fn text(&self) -> String {
        let what = if self.kustomize { "kustomize build" } else { "applied directory" };
        format!(
            "unit {} ({what}): {} object{} in {} file{}, {} error{}, {} warning{}",
            vfs::display_path(&self.root),
            self.objects,
            if self.objects == 1 { "" } else { "s" },
            self.files,
            if self.files == 1 { "" } else { "s" },
            self.errors,
            if self.errors == 1 { "" } else { "s" },
            self.warnings,
            if self.warnings == 1 { "" } else { "s" },
        )
    }
}

/// Checks every file under `opts.paths` in two streamed passes: the first learns the CRDs
/// and Kustomize patches (parsing only files that can hold them), the second checks each file
/// and keeps its findings. `warn` hears about what the walk did not enter, `checked` how many
/// files the second pass has finished.
pub fn check_paths(opts: &Options, mut warn: impl FnMut(&Path, &str), mut checked: impl FnMut(usize)) -> Outcome {
    let limit = opts.max_file_bytes;
    let store = SchemaStore::new();
    store.configure(opts.schemas.clone());
    // Every lookup waits for its download: the output must not depend on timing.
    store.set_batch(true);
    // `NAME` fails both passes on that file, `first-pass:NAME` only the first.
    let panic_on = std::env::var(PANIC_ON_FILE_ENV).ok();
    let (first_only, panic_on) = match panic_on.as_deref().map(|v| v.strip_prefix("first-pass:").ok_or(v)) {
        Some(Ok(name)) => (true, Some(name.to_string())),
        Some(Err(name)) => (false, Some(name.to_string())),
        None => (false, None),
    };
    let panic_if = |path: &Path, first_pass: bool| {
        let named = panic_on.as_ref().is_some_and(|name| path.file_name().is_some_and(|n| n == name.as_str()));
        if named && (first_pass || !first_only) {
            panic!("{PANIC_ON_FILE_ENV} is set for this file");
        }
    };
    let test_panic = |path: &Path| panic_if(path, true);
    let excluded = |p: &Path| opts.project.as_ref().is_some_and(|project| project.excludes(&absolute(p)));
    let (repo, first_pass_failures) = learn_repository((&opts.paths, &excluded), &store, limit, &test_panic);
    let images = opts.images.as_ref().map(ImageChecker::new);
    let mut outcome = Outcome::default();
    let work = |path: &Path| {
        panic_if(path, false);
        check_file(path, (&store, &opts.validation), &repo, images.as_ref(), limit)
    };
    let mut summaries: Vec<(PathBuf, FileSummary)> = Vec::new();
    pipeline::for_each_file(&opts.paths, &excluded, work, |event| match event {
        Event::Done(path, (report, summary)) => {
            outcome.reports.push(report);
            summaries.extend(summary.map(|s| (path, s)));
            checked(outcome.reports.len());
        }
        Event::Failed(path, message) => {
            outcome.reports.push(FileReport { path, findings: Vec::new(), resources: 0 });
            outcome.internal_failure(outcome.reports.len() - 1, &message);
        }
        Event::Missing(path, e) => {
            let finding = whole_file(format!("cannot read: {e}"), "io");
            outcome.reports.push(FileReport { path, findings: vec![finding], resources: 0 });
        }
        Event::Warning(path, message) => warn(&path, &message),
    });
    // A file named twice (or inside two named directories) is reported once.
    outcome.reports.sort_by(|a, b| a.path.cmp(&b.path));
    outcome.reports.dedup_by(|a, b| a.path == b.path);
    // A failure in the first pass may have lost the file's CRDs or patches: its result is
    // unknown even when the second pass went well.
    for (path, message) in first_pass_failures {
        let i = match outcome.reports.binary_search_by(|r| r.path.cmp(&path)) {
            Ok(i) => i,
            Err(i) => {
                outcome.reports.insert(i, FileReport { path, findings: Vec::new(), resources: 0 });
                i
            }
        };
        if !outcome.reports[i].findings.iter().any(|f| f.diagnostic.code == INTERNAL_ERROR) {
            outcome.internal_failure(i, &message);
        }
    }
    repository_findings(&mut outcome, opts, &store, repo, summaries);
    if let Some(project) = opts.project.as_ref().filter(|p| !p.severities.is_empty()) {
        for report in &mut outcome.reports {
            report.findings.retain_mut(|f| {
                if f.diagnostic.code == INTERNAL_ERROR {
                    return true;
                }
                match project.severities.get(f.diagnostic.code) {
                    Some(None) => false,
                    Some(Some(level)) => {
                        f.diagnostic.severity = *level;
                        true
                    }
                    None => true,
                }
            });
        }
    }
    outcome
}

/// The third step: what the repository as a whole says about each file (Kustomize paths,
/// duplicates, references), from the summaries the second pass made. Only files with such
/// findings, and the files they point at, are read again.
fn repository_findings(
    outcome: &mut Outcome,
    opts: &Options,
    store: &SchemaStore,
    mut repo: RepoIndex,
    summaries: Vec<(PathBuf, FileSummary)>,
) {
    let limit = opts.max_file_bytes;
    let mut roots: Vec<PathBuf> = opts.paths.iter().flat_map(|p| vfs::repository_roots(&absolute(p))).collect();
    roots.sort();
    roots.dedup();
    let remotes: Vec<String> = roots.iter().flat_map(|r| vfs::git_remote_urls(r)).collect();
    repo.set_remotes(&remotes);
    repo.set_roots(roots);
    let mut own = std::collections::HashMap::new();
    for (path, summary) in summaries {
        let abs = absolute(&path);
        let summary = Arc::new(summary);
        own.insert(path, Arc::clone(&summary));
        repo.update_shared(abs, summary);
    }
    let mut texts: std::collections::HashMap<PathBuf, Option<(String, LineIndex)>> = Default::default();
    let mut text_of = |p: &Path| -> Option<(String, LineIndex)> {
        texts
            .entry(p.to_path_buf())
            .or_insert_with(|| {
                let text = vfs::read_text(p, limit).ok()?;
                let lines = LineIndex::new(&text);
                Some((text, lines))
            })
            .clone()
    };
    let position = |text: &str, lines: &LineIndex, offset: usize| {
        let p = lines.line_col(text, offset, Encoding::Chars);
        (p.line + 1, p.col + 1)
    };
    // Config Sync roots, each vetted whole: (absolute path) → (path in its root, findings).
    let sync_objects = |p: &Path| {
        vfs::read_text(p, limit)
            .map(|t| crate::configsync::sync_objects(&YamlFile::parse(t.as_str())))
            .unwrap_or_default()
    };
    let mut declared = opts.config_sync_roots.clone();
    if let Some(format) = opts.source_format {
        declared.extend(opts.paths.iter().map(|p| absolute(p)).filter(|p| p.is_dir()).map(|d| (d, format)));
    }
    let roots =
        analysis::configsync::with_declared(analysis::configsync::roots(&repo, &sync_objects), &declared, &repo);
    let mut vetted: std::collections::HashMap<PathBuf, (PathBuf, Vec<Diagnostic>)> = Default::default();
    for root in &roots {
        let members = analysis::configsync::files_of(&roots, root, repo.files().map(|(p, _)| p));
        let parsed: Vec<(PathBuf, YamlFile)> =
            members.iter().filter_map(|p| Some((p.to_path_buf(), YamlFile::parse(text_of(p)?.0.as_str())))).collect();
        let files: Vec<(PathBuf, &YamlFile)> = parsed.iter().map(|(p, f)| (p.clone(), f)).collect();
        for (path, d) in analysis::configsync::vet(root, &files, store) {
            let in_root = path.strip_prefix(&root.dir).unwrap_or(&path).to_path_buf();
            vetted.entry(path).or_insert_with(|| (in_root, Vec::new())).1.push(d);
        }
    }
    for report in &mut outcome.reports {
        let Some(summary) = own.get(&report.path) else { continue };
        let abs = absolute(&report.path);
        let found = index::cross::diagnostics(&repo, &abs, summary, &vfs::path_kind, true);
        let mut found = index::cross::with_reference_severity(found, opts.missing_reference);
        let in_root = vetted.remove(&abs).map(|(in_root, ds)| {
            found.extend(ds);
            in_root
        });
        if found.is_empty() {
            continue;
        }
        let Some((text, lines)) = text_of(&report.path) else { continue };
        // Related places are written the way the file's own path is.
        let absolute_paths = report.path.is_absolute();
        let file = YamlFile::parse(text.as_str());
        let found = analysis::suppress::suppress(&file, found, |o| lines.line_of(o));
        for d in found {
            let (line, column) = position(&text, &lines, d.span.start);
            let (end_line, end_column) = position(&text, &lines, d.span.end);
            let related = d
                .related
                .iter()
                .filter_map(|r| {
                    let (t, l) = text_of(&r.path)?;
                    let (line, column) = position(&t, &l, r.span.start);
                    let (end_line, end_column) = position(&t, &l, r.span.end);
                    let path = if absolute_paths { r.path.clone() } else { display_relative(&r.path) };
                    Some(RelatedFinding { path, line, column, end_line, end_column, message: r.message.clone() })
                })
                .collect();
            let nomos = in_root
                .as_ref()
                .filter(|_| d.code.starts_with("KNV"))
                .map(|p| (p.clone(), crate::configsync::nomos_format::object_at(&file, d.span.start)));
            report.findings.push(Finding { line, column, end_line, end_column, diagnostic: d, related, nomos });
        }
        report.findings.sort_by_key(|f| (f.line, f.column, f.end_line, f.end_column));
    }
    if opts.units {
        outcome.units = unit_lines(&repo, &outcome.reports);
    }
}

/// Each unit with its size and the problems found in its files.
fn unit_lines(repo: &RepoIndex, reports: &[FileReport]) -> Vec<UnitLine> {
    let by_path: std::collections::HashMap<PathBuf, &FileReport> =
        reports.iter().map(|r| (absolute(&r.path), r)).collect();
    let derived = repo.derived();
    derived
        .units
        .iter()
        .map(|u| {
            let mut files: Vec<&Path> = u.members.iter().map(|m| &*m.file).collect();
            files.sort();
            files.dedup();
            let findings = || files.iter().filter_map(|f| by_path.get(*f)).flat_map(|r| &r.findings);
            let count = |s: Severity| findings().filter(|f| f.diagnostic.severity == s).count();
            UnitLine {
                root: display_relative(&u.root),
                kustomize: u.kustomize,
                objects: u.members.len(),
                files: files.len(),
                errors: count(Severity::Error),
                warnings: count(Severity::Warning),
            }
        })
        .collect()
}

/// An absolute path as relative to the working directory when it is under it.
fn display_relative(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().map(|d| absolute(&d)).unwrap_or_default();
    path.strip_prefix(&cwd).map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

const INTERNAL_ERROR: &str = "internal-error";

impl Outcome {
    /// Marks report `i` as failed inside gitops-ls, and says so on stderr.
    fn internal_failure(&mut self, i: usize, message: &str) {
        let report = &mut self.reports[i];
        eprintln!("gitops-ls check: internal error while checking {}: {message}", vfs::display_path(&report.path));
        self.internal_failures += 1;
        let message = format!("gitops-ls failed on this file (a bug; please report it): {message}");
        report.findings.insert(0, whole_file(message, INTERNAL_ERROR));
    }
}

/// The first pass: registers every CRD of the checked files in `store` (in path order, so
/// the result does not depend on which worker finished first) and returns the absolute paths
/// of the files that kustomizations use as patches.
/// Also returns the files on which the pass failed (panicked), with the message.
fn learn_repository(
    (paths, excluded): (&[PathBuf], pipeline::Excluded),
    store: &SchemaStore,
    limit: u64,
    test_panic: &(dyn Fn(&Path) + Sync),
) -> (RepoIndex, Vec<(PathBuf, String)>) {
    let mut learned: Vec<(PathBuf, FileSummary)> = Vec::new();
    let mut failures = Vec::new();
    pipeline::for_each_file(
        paths,
        excluded,
        |path| {
            test_panic(path);
            learn_file(path, limit)
        },
        |event| match event {
            Event::Done(path, Some(found)) => learned.push((path, found)),
            Event::Failed(path, message) => failures.push((path, message)),
            // Unreadable files and walk warnings are reported by the second pass.
            _ => {}
        },
    );
    learned.sort_by(|a, b| a.0.cmp(&b.0));
    // Schemas named by modelines are loaded up front, concurrently; a location that cannot be
    // loaded is reported once, by its first file in path order, listing the others.
    let uses: Vec<(String, PathBuf)> =
        learned.iter().flat_map(|(path, found)| found.modelines.iter().map(|l| (l.clone(), path.clone()))).collect();
    store.prefetch(&uses);
    let mut repo = RepoIndex::default();
    for (path, found) in learned {
        if !found.crds.is_empty() {
            store.set_custom_kinds(&path.display().to_string(), found.crds.clone());
        }
        repo.update(absolute(&path), found);
    }
    (repo, failures)
}

/// What one file adds to the whole check: its CRDs, modelines and, for a kustomization, its
/// patches and namespace scopes. Files that can hold none of these are read but not parsed.
fn learn_file(path: &Path, limit: u64) -> Option<FileSummary> {
    let text = vfs::read_text(path, limit).ok()?;
    let modelines = modeline_locations(&text);
    let kustomization = kustomize::is_kustomization_file(path);
    if !kustomization && !text.contains("CustomResourceDefinition") {
        return (!modelines.is_empty()).then(|| FileSummary { modelines, ..Default::default() });
    }
    let file = YamlFile::parse(text.as_str());
    let lines = LineIndex::new(&text);
    let mut summary =
        index::summarize(Some(&absolute(path)), &path.display().to_string(), &file, |o| lines.line_of(o) as u32 + 1);
    // Modelines are read from the text here, as for the files that are not parsed.
    summary.modelines = modelines;
    // Objects are summarized by the second pass, which parses every file anyway.
    summary.objects.clear();
    Some(summary)
}

/// The second pass for one file: everything `check` reports about it.
fn check_file(
    path: &Path,
    (store, base): (&SchemaStore, &ValidationOptions),
    repo: &RepoIndex,
    images: Option<&ImageChecker>,
    limit: u64,
) -> (FileReport, Option<FileSummary>) {
    let report = |findings, resources| FileReport { path: path.to_path_buf(), findings, resources };
    let text = match vfs::read_text(path, limit) {
        Ok(text) => text,
        Err(e) => return (report(vec![read_finding(&e)], 0), None),
    };
    let file = YamlFile::parse(text.as_str());
    let tags: (&dyn ImageTags, bool) = match images {
        Some(checker) => {
            checker.wait_for(&file, &text);
            (&checker.registry, true)
        }
        None => (&NoTags, false),
    };
    let opts = ValidationOptions {
        partial: repo.is_patch(&absolute(path)),
        namespace_from_kustomization: repo.in_namespace_scope(&absolute(path)),
        path: Some(path.to_path_buf()),
        ..base.clone()
    };
    let (findings, resources) = findings_for(&text, &file, store, &opts, tags);
    // CRDs were learned by the first pass; lines are not needed for what is summarized here.
    let mut summary = index::summarize(Some(&absolute(path)), "", &file, |_| 0);
    summary.crds = repo.get(&absolute(path)).map(|s| s.crds.clone()).unwrap_or_default();
    (report(findings, resources), Some(summary))
}

fn read_finding(e: &ReadError) -> Finding {
    match e {
        ReadError::TooLarge { size, limit } => whole_file(
            format!(
                "file is {} MB, over the limit of {} MB (--max-file-size-mb): not checked",
                vfs::mb_text(*size),
                vfs::mb_text(*limit)
            ),
            "file-too-large",
        ),
        ReadError::NotUtf8 { .. } => whole_file(e.to_string(), "encoding"),
        ReadError::NotRegular(_) | ReadError::Io(_) => whole_file(e.to_string(), "io"),
    }
}

/// With `--check-images`: one registry client and cache for the whole check, and one
/// deadline for all its lookups.
struct ImageChecker {
    registry: Registry,
    runtime: Option<tokio::runtime::Runtime>,
    deadline: Instant,
}

impl ImageChecker {
    fn new(settings: &ImageSettings) -> ImageChecker {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().ok();
        ImageChecker {
            registry: Registry::new(settings, crate::registry::default_cache_dir()),
            runtime,
            deadline: Instant::now() + IMAGE_CHECK_TIMEOUT,
        }
    }

    /// Waits (until the deadline) for what the file's images need from the registries.
    fn wait_for(&self, file: &YamlFile, text: &str) {
        let mut pending: Vec<(String, String)> =
            image_sites(file, text).iter().filter_map(|s| s.repo_and_tag()).collect();
        pending.sort();
        pending.dedup();
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if let Some(rt) = self.runtime.as_ref().filter(|_| !pending.is_empty() && !remaining.is_zero()) {
            let registry = &self.registry;
            rt.block_on(async {
                let waits = pending.iter().map(|(repo, tag)| async move {
                    registry.wait_tags(repo, remaining).await;
                    registry.wait_details(repo, tag, remaining).await;
                });
                let _ = tokio::time::timeout(remaining, futures::future::join_all(waits)).await;
            });
        }
    }
}

fn absolute(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
    kustomize::join_normalized(Path::new("/"), &abs.to_string_lossy())
}

fn whole_file(message: String, code: &'static str) -> Finding {
    Finding {
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        diagnostic: Diagnostic::new(Default::default(), Severity::Error, code, message),
        related: Vec::new(),
        nomos: None,
    }
}

/// Everything `check` reports for one file's text, and how many resources it holds.
pub fn check_text(text: &str, store: &SchemaStore, opts: &ValidationOptions) -> (Vec<Finding>, usize) {
    let file = YamlFile::parse(text);
    findings_for(text, &file, store, opts, (&NoTags, false))
}

/// How long `--check-images` waits for the registries in all.
const IMAGE_CHECK_TIMEOUT: Duration = Duration::from_secs(60);

fn findings_for(
    text: &str,
    file: &YamlFile,
    store: &SchemaStore,
    opts: &ValidationOptions,
    (tags, check_tags): (&dyn ImageTags, bool),
) -> (Vec<Finding>, usize) {
    // The server's engine, with nothing to reuse: each file is checked once. Lines are
    // counted only when a file has problems or ignore comments.
    let cx = analysis::Context { store, opts, tags, check_tags, epoch: 0, kind_revision: &|_| 0, cancelled: &|| false };
    let analysis = analysis::analyze_file(file, text, &cx, None).analysis;
    let index = std::cell::OnceCell::new();
    let index = || index.get_or_init(|| LineIndex::new(text));
    let mut diagnostics = analysis::suppress::suppress(file, analysis.diagnostics, |o| index().line_of(o));
    if diagnostics.is_empty() {
        return (Vec::new(), analysis.resources);
    }
    let index = index();
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    let position = |offset: usize| {
        let p = index.line_col(text, offset, Encoding::Chars);
        (p.line + 1, p.col + 1)
    };
    let findings = diagnostics
        .into_iter()
        .map(|d| {
            let (line, column) = position(d.span.start);
            let (end_line, end_column) = position(d.span.end);
            Finding { line, column, end_line, end_column, diagnostic: d, related: Vec::new(), nomos: None }
        })
        .collect();
    (findings, analysis.resources)
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
        assert_eq!(parse_args(&args(&["-f", "junit", "a"])).unwrap().unwrap().format, Format::Junit);
        let opts = parse_args(&args(&["-q", "--color=never", "a"])).unwrap().unwrap();
        assert!(opts.quiet);
        assert_eq!(opts.color, ColorChoice::Never);
        assert!(parse_args(&args(&["--color", "sometimes", "a"])).is_err());
    }

    #[test]
    fn colour_is_automatic_on_a_terminal_unless_no_color_is_set() {
        let set = |v: &str| Some(std::ffi::OsString::from(v));
        assert!(use_color(ColorChoice::Auto, true, None));
        assert!(use_color(ColorChoice::Auto, true, set("")));
        assert!(!use_color(ColorChoice::Auto, true, set("1")));
        assert!(!use_color(ColorChoice::Auto, false, None));
        assert!(use_color(ColorChoice::Always, false, set("1")));
        assert!(!use_color(ColorChoice::Never, true, None));
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

    #[test]
    fn lone_cr_and_mixed_line_endings_count_as_lines() {
        let check_text = |t: &str| check_text(t, &SchemaStore::new(), &ValidationOptions::default()).0;
        // Lines as LSP (and the server) count them: \n, \r\n and a lone \r each end one.
        for text in ["a: 1\rb: 2\rx: 1\rx: 2\r", "a: 1\r\nb: 2\rx: 1\nx: 2\r\n", "a: 1\n\rx: 1\nx: 2\n"] {
            let f = check_text(text);
            let dup: Vec<_> = f.iter().filter(|f| f.diagnostic.code == "duplicate-key").collect();
            assert_eq!(dup.len(), 1, "{text:?}: {f:?}");
            assert_eq!((dup[0].line, dup[0].column, dup[0].end_line, dup[0].end_column), (4, 1, 4, 2), "{text:?}");
        }
    }

    #[test]
    fn the_size_limit_is_a_whole_number_of_megabytes() {
        let opts = parse_args(&args(&["--max-file-size-mb", "3", "x"])).unwrap().unwrap();
        assert_eq!(opts.max_file_bytes, 3 << 20);
        assert_eq!(parse_args(&args(&["x"])).unwrap().unwrap().max_file_bytes, 20 << 20);
        for bad in ["0", "-1", "1.5", "lots"] {
            assert!(parse_args(&args(&["--max-file-size-mb", bad, "x"])).is_err(), "{bad}");
        }
    }
}
