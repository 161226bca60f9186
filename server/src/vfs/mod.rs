//! The file-system edge shared by the server and `check`: one walker and one bounded reader.
//!
//! The walker honours `.gitignore` and `.git/info/exclude` (the `ignore` crate), never enters
//! VCS and dependency directories, follows symlinked directories once and says so when it does
//! not (a loop, or a directory already walked under another path), and leaves special files
//! (FIFOs, sockets, devices) alone. The reader opens regular files only, never blocks on open,
//! and stops at a size limit, so a `.yaml` symlink to `/dev/zero` or a FIFO costs nothing.
//! [`Vfs`] numbers files ([`crate::base::FileId`]) and lays open documents over the disk.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, FileType, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tracing::debug;

mod overlay;

pub use overlay::{Contents, Vfs};

/// Default of `maxFileSizeMb` / `--max-file-size-mb`.
pub const DEFAULT_MAX_FILE_SIZE_MB: u64 = 20;

/// Bytes in `mb` megabytes (MiB).
pub fn megabytes(mb: u64) -> u64 {
    mb.saturating_mul(1 << 20)
}

/// Directories never walked: version control and tool caches.
pub const SKIP_DIRS: &[&str] = &[".git", ".hg", ".svn", "node_modules", ".terraform", ".venv"];

/// Files the walker yields: `*.yaml`, `*.yml` and Kustomize's extension-less `Kustomization`.
pub fn is_manifest_name(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        || path.file_name().is_some_and(|n| n == "Kustomization")
}

/// What a path is, as far as reading it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Regular,
    Directory,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Other,
}

impl FileKind {
    pub fn of(ft: &FileType) -> FileKind {
        if ft.is_file() {
            return FileKind::Regular;
        }
        if ft.is_dir() {
            return FileKind::Directory;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_fifo() {
                return FileKind::Fifo;
            }
            if ft.is_socket() {
                return FileKind::Socket;
            }
            if ft.is_char_device() {
                return FileKind::CharDevice;
            }
            if ft.is_block_device() {
                return FileKind::BlockDevice;
            }
        }
        FileKind::Other
    }

    fn describe(self) -> &'static str {
        match self {
            FileKind::Regular => "a regular file",
            FileKind::Directory => "a directory",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Other => "a special file",
        }
    }
}

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// A FIFO, socket, device or directory: never opened for reading.
    NotRegular(FileKind),
    /// Larger than the limit; `size` is what the file system says (at least `limit + 1`).
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// Not UTF-8; the first bad byte is at `valid_up_to`.
    NotUtf8 {
        valid_up_to: usize,
    },
    Io(std::io::Error),
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotRegular(kind) => write!(f, "not a regular file ({}): not read", kind.describe()),
            ReadError::TooLarge { size, limit } => {
                write!(f, "file is {} MB, over the limit of {} MB: not read", mb_text(*size), mb_text(*limit))
            }
            ReadError::NotUtf8 { valid_up_to } => {
                write!(f, "not valid UTF-8 (byte {valid_up_to}): YAML files must be UTF-8")
            }
            ReadError::Io(e) => write!(f, "cannot read file: {e}"),
        }
    }
}

/// `20`, `19.5`: megabytes with at most one decimal.
pub fn mb_text(bytes: u64) -> String {
    let tenths = (bytes * 10).div_ceil(1 << 20);
    if tenths.is_multiple_of(10) { format!("{}", tenths / 10) } else { format!("{}.{}", tenths / 10, tenths % 10) }
}

fn check_regular(meta: &Metadata, limit: u64) -> Result<(), ReadError> {
    let kind = FileKind::of(&meta.file_type());
    if kind != FileKind::Regular {
        return Err(ReadError::NotRegular(kind));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge { size: meta.len(), limit });
    }
    Ok(())
}

/// Opens without blocking: a path that became a FIFO after it was checked must not wait for
/// a writer.
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Reads a regular file of at most `limit` bytes. Special files are refused before they are
/// opened, the opened handle is checked again, and reading stops after `limit + 1` bytes
/// whatever the file system claimed.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    check_regular(&std::fs::metadata(path).map_err(ReadError::Io)?, limit)?;
    let file = open_nonblocking(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    check_regular(&meta, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { size: meta.len().max(bytes.len() as u64), limit });
    }
    Ok(bytes)
}

/// [`read_bytes`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path, limit)?)
        .map_err(|e| ReadError::NotUtf8 { valid_up_to: e.utf8_error().valid_up_to() })
}

/// What a walk finds.
#[derive(Debug, PartialEq, Eq)]
pub enum WalkEvent {
    /// A regular file with a manifest name ([`is_manifest_name`]).
    File(PathBuf),
    /// Something not walked that a person should know about: a symlink loop, a directory
    /// already walked under another path, a directory that cannot be read.
    Warning { path: PathBuf, message: String },
}

/// Identity of a directory, to walk each one once whatever the symlinks leading to it.
#[cfg(unix)]
fn dir_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_id(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// Walks `root` in file-name order and calls `f` for every manifest file and every warning.
/// Special files and other file names are skipped with a debug log line.
pub fn walk(root: &Path, mut f: impl FnMut(WalkEvent)) {
    // The ignore crate opens ignore files with a blocking read: one that is a FIFO would hang
    // the walk, so such a file turns ignore rules off (said in a warning).
    let special_ignore = root.ancestors().find_map(special_ignore_file);
    if let Some(p) = &special_ignore {
        let message = "not a regular file: .gitignore rules are not applied to this walk".to_string();
        f(WalkEvent::Warning { path: p.clone(), message });
    }
    let gitignore = special_ignore.is_none();
    let seen = Arc::new(Mutex::new(HashMap::new()));
    if let Some(id) = dir_id(root) {
        seen.lock().unwrap_or_else(PoisonError::into_inner).insert(id, root.to_path_buf());
    }
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let (filter_seen, filter_warnings) = (Arc::clone(&seen), Arc::clone(&warnings));
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .git_ignore(gitignore)
        .git_exclude(gitignore)
        // Same files on every machine: a user's global excludes do not change what CI checks.
        .git_global(false)
        .require_git(false)
        .parents(true)
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let Some(ft) = entry.file_type() else { return true };
            if !ft.is_dir() {
                return true;
            }
            if entry.file_name().to_str().is_some_and(|n| SKIP_DIRS.contains(&n)) {
                return false;
            }
            if let Some(p) = special_ignore_file(entry.path()).filter(|_| gitignore) {
                let message = "not a regular file: its directory is not walked".to_string();
                let mut warnings = filter_warnings.lock().unwrap_or_else(PoisonError::into_inner);
                warnings.push(WalkEvent::Warning { path: p, message });
                return false;
            }
            let Some(id) = dir_id(entry.path()) else { return true };
            let mut seen = filter_seen.lock().unwrap_or_else(PoisonError::into_inner);
            match seen.get(&id) {
                Some(first) => {
                    let message =
                        format!("directory already checked as {}: not walked again", crate::vfs::display_path(first));
                    filter_warnings
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(WalkEvent::Warning { path: entry.path().to_path_buf(), message });
                    false
                }
                None => {
                    if entry.path_is_symlink() {
                        debug!(path = %entry.path().display(), "following a symlinked directory");
                    }
                    seen.insert(id, entry.path().to_path_buf());
                    true
                }
            }
        })
        .build();
    for item in walker {
        for w in warnings.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            f(w);
        }
        match item {
            Ok(entry) => {
                let Some(ft) = entry.file_type() else { continue };
                let kind = FileKind::of(&ft);
                let path = entry.path();
                match kind {
                    FileKind::Directory => {}
                    FileKind::Regular if is_manifest_name(path) => f(WalkEvent::File(entry.into_path())),
                    FileKind::Regular => {}
                    _ => debug!(path = %path.display(), kind = kind.describe(), "skipping a special file"),
                }
            }
            Err(err) => {
                if let Some(event) = error_event(&err) {
                    f(event);
                }
            }
        }
    }
    for w in warnings.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
        f(w);
    }
}

/// `dir/.gitignore` or `dir/.git/info/exclude` when it exists and is not a regular file.
fn special_ignore_file(dir: &Path) -> Option<PathBuf> {
    [dir.join(".gitignore"), dir.join(".git/info/exclude")]
        .into_iter()
        .find(|p| std::fs::metadata(p).is_ok_and(|m| !m.is_file()))
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

fn error_loop(err: &ignore::Error) -> Option<(&Path, &Path)> {
    match err {
        ignore::Error::Loop { ancestor, child } => Some((ancestor, child)),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithPath { err, .. } => error_loop(err),
        _ => None,
    }
}

/// A walk error worth telling a person; a dangling symlink that is not a manifest is not.
fn error_event(err: &ignore::Error) -> Option<WalkEvent> {
    if let Some((ancestor, child)) = error_loop(err) {
        let message = format!("symlink loop back to {}: not followed", display_path(ancestor));
        return Some(WalkEvent::Warning { path: child.to_path_buf(), message });
    }
    let path = error_path(err).map(Path::to_path_buf).unwrap_or_default();
    let not_found = err.io_error().is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    if not_found && !is_manifest_name(&path) {
        debug!(path = %path.display(), "skipping a dangling symlink");
        return None;
    }
    let message = match err.io_error() {
        Some(e) if not_found => format!("dangling symlink: not read ({e})"),
        Some(e) => format!("cannot read: {e}"),
        None => err.to_string(),
    };
    Some(WalkEvent::Warning { path, message })
}

/// A path for one line of output: control characters (a newline in a file name, say) are
/// escaped so every problem stays on its own line.
/// Where GitOps tools' paths may start for a checked path or workspace folder: the directory itself (a
/// repository checked out, or copied, there) and the git work tree around it.
pub fn repository_roots(path: &Path) -> Vec<PathBuf> {
    let dir = if path.is_dir() { path } else { path.parent().unwrap_or(path) };
    let mut roots = vec![dir.to_path_buf()];
    if let Some(git) = dir.ancestors().find(|d| d.join(".git").exists()).filter(|g| *g != dir) {
        roots.push(git.to_path_buf());
    }
    roots
}

/// The regular file `name` in the directory of `path` (itself when a directory) or the
/// nearest one above it, looking no further up than the git work tree's top.
pub fn find_upwards(path: &Path, name: &str) -> Option<PathBuf> {
    let dir = if path.is_dir() { path } else { path.parent().unwrap_or(path) };
    for d in dir.ancestors() {
        let candidate = d.join(name);
        if std::fs::metadata(&candidate).is_ok_and(|m| m.is_file()) {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
    }
    None
}

/// At most `max` entries of a directory, sorted by name: (name, is a directory, is a directory
/// holding one of the files `marks`). Special files and names that are not UTF-8 are left out;
/// nothing is opened but the directories.
pub fn list_dir(dir: &Path, max: usize, marks: &[&str]) -> Vec<(String, bool, bool)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<(String, bool, bool)> = entries
        .filter_map(Result::ok)
        .take(max)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let meta = std::fs::metadata(e.path()).ok()?;
            if meta.is_dir() {
                let builds = marks.iter().any(|k| std::fs::metadata(e.path().join(k)).is_ok_and(|m| m.is_file()));
                Some((name, true, builds))
            } else {
                meta.is_file().then_some((name, false, false))
            }
        })
        .collect();
    out.sort();
    out
}

/// The remote URLs in the git configuration of the work tree at `root` (`.git/config`, or
/// the main repository's for a linked work tree), read with a small bound.
pub fn git_remote_urls(root: &Path) -> Vec<String> {
    const LIMIT: u64 = 256 * 1024;
    let git = root.join(".git");
    let dir = match std::fs::metadata(&git) {
        Ok(m) if m.is_dir() => git,
        // A linked work tree: `gitdir: <main>/.git/worktrees/<name>`, whose `commondir` leads back.
        Ok(m) if m.is_file() => {
            let Ok(text) = read_text(&git, LIMIT) else { return Vec::new() };
            let Some(gitdir) = text.lines().find_map(|l| l.strip_prefix("gitdir:")).map(|d| root.join(d.trim())) else {
                return Vec::new();
            };
            match read_text(&gitdir.join("commondir"), LIMIT) {
                Ok(common) => gitdir.join(common.trim()),
                Err(_) => gitdir,
            }
        }
        _ => return Vec::new(),
    };
    let Ok(config) = read_text(&dir.join("config"), LIMIT) else { return Vec::new() };
    let mut in_remote = false;
    let mut urls = Vec::new();
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            in_remote = line.starts_with("[remote ");
        } else if in_remote
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "url"
        {
            urls.push(value.trim().trim_matches('"').to_string());
        }
    }
    urls
}

/// Whether `path` is a file or a directory on disk, for the repository's path checks.
pub fn path_kind(path: &Path) -> Option<PathKind> {
    let meta = std::fs::metadata(path).ok()?;
    Some(if meta.is_dir() { PathKind::Dir } else { PathKind::File })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    File,
    Dir,
}

pub fn display_path(path: &Path) -> String {
    escape_control(&path.display().to_string())
}

/// `\n`, `\r`, `\t` and `\u{1b}` for control characters; everything else as it is.
pub fn escape_control(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
