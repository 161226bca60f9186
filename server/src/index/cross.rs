//! The diagnostics of one file that come from the repository around it: kustomization paths
//! that name nothing, and the unit findings (duplicates, references to nothing, unused
//! `images`, patch targets). Pure: the file system is asked through [`Disk`].

use std::path::Path;

use super::kustomization::Expect;
use super::{FileSummary, RepoIndex};
use crate::k8s::kustomize::KUSTOMIZATION_FILE_NAMES;
use crate::yaml::{Diagnostic, Related, Severity};

pub use crate::vfs::PathKind;

/// What exists on disk (or in the editor's open documents), asked by the edges.
pub trait Disk {
    fn kind(&self, path: &Path) -> Option<PathKind>;
}

impl<F: Fn(&Path) -> Option<PathKind>> Disk for F {
    fn kind(&self, path: &Path) -> Option<PathKind> {
        self(path)
    }
}

fn has_build(disk: &dyn Disk, dir: &Path) -> bool {
    KUSTOMIZATION_FILE_NAMES.iter().any(|n| disk.kind(&dir.join(n)) == Some(PathKind::File))
}

/// The repository's diagnostics for the file at `path`, whose summary is `own` (its current
/// text's; the index may still hold an older one with other positions but the same content).
/// `complete`: the index holds the whole repository, so findings about what is missing from
/// it hold (while a scan is under way only the file's own paths are checked).
pub fn diagnostics(
    index: &RepoIndex,
    path: &Path,
    own: &FileSummary,
    disk: &dyn Disk,
    complete: bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(k) = &own.kustomization {
        for e in &k.build.entries {
            let found = disk.kind(&e.path).or_else(|| index.get(&e.path).map(|_| PathKind::File));
            let problem = match (found, e.expect) {
                (None, _) => Some(format!("`{}` does not exist (listed in `{}`)", e.raw, e.field)),
                (Some(PathKind::Dir), Expect::File) => {
                    Some(format!("`{}` is a directory; `{}` takes a file", e.raw, e.field))
                }
                (Some(PathKind::Dir), Expect::FileOrBuild | Expect::Build) if !has_build(disk, &e.path) => {
                    Some(format!("directory `{}` has no kustomization.yaml, so kustomize cannot build it", e.raw))
                }
                (Some(PathKind::File), Expect::Build) => {
                    Some(format!("`{}` is a file; a component is a directory with a kustomization.yaml", e.raw))
                }
                _ => None,
            };
            if let Some(message) = problem {
                out.push(Diagnostic::new(e.span, Severity::Error, "kustomize-missing-path", message));
            }
        }
        for image in &k.build.images {
            if let Some(span) = image.tag_and_digest {
                out.push(Diagnostic::new(
                    span,
                    Severity::Error,
                    "kustomize-tag-and-digest",
                    format!("image `{}` sets both `newTag` and `digest`: kustomize uses one of them", image.name),
                ));
            }
        }
    }
    for a in own.objects.iter().flat_map(|o| &o.applies).filter(|a| !a.this_repository) {
        // Argo CD: the path (and its values files) must exist when repoURL is this repository.
        let Some(url) = a.repo_url.as_deref().filter(|u| index.is_this_repository(u)) else { continue };
        let roots = index.roots();
        let dir_of = |r: &std::path::PathBuf| crate::k8s::kustomize::join_normalized(r, &a.path);
        let Some(root) = roots.iter().find(|r| disk.kind(&dir_of(r)) == Some(PathKind::Dir)) else {
            if !roots.is_empty() {
                out.push(Diagnostic::new(
                    a.span,
                    Severity::Warning,
                    "argocd-path-missing",
                    format!(
                        "directory `{}` does not exist in this repository ({url}), so Argo CD has nothing to sync",
                        a.path
                    ),
                ));
            }
            continue;
        };
        for (file, span) in &a.files {
            let at = crate::k8s::kustomize::join_normalized(&dir_of(root), file);
            if disk.kind(&at) != Some(PathKind::File) {
                out.push(Diagnostic::new(
                    *span,
                    Severity::Warning,
                    "argocd-path-missing",
                    format!("values file `{file}` does not exist in `{}` of this repository", a.path),
                ));
            }
        }
    }
    for a in own.objects.iter().flat_map(|o| &o.applies).filter(|a| a.this_repository) {
        let roots = index.roots();
        let exists = |r: &std::path::PathBuf| {
            disk.kind(&crate::k8s::kustomize::join_normalized(r, &a.path)) == Some(PathKind::Dir)
        };
        if !roots.is_empty() && !roots.iter().any(exists) {
            out.push(Diagnostic::new(
                a.span,
                Severity::Warning,
                "flux-path-missing",
                format!("directory `{}` does not exist in this repository, so Flux has nothing to apply", a.path),
            ));
        }
    }
    if !complete {
        return out;
    }
    out.extend(image_policy_mismatches(index, own));
    let derived = index.derived();
    for f in derived.findings(path) {
        let Some(span) = f.site.span(own) else { continue };
        let mut d = Diagnostic::new(span, f.severity, f.code, f.message.clone());
        for (file, site, message) in &f.related {
            let summary = if **file == *path { Some(own) } else { index.get(file).map(|s| &**s) };
            if let Some(span) = summary.and_then(|s| site.span(s)) {
                d.related.push(Related { path: file.to_path_buf(), span, message: message.clone() });
            }
        }
        out.push(d);
    }
    out
}

/// `reference-not-found` at the configured severity (`None`: not reported).
pub fn with_reference_severity(found: Vec<Diagnostic>, severity: Option<Severity>) -> Vec<Diagnostic> {
    found
        .into_iter()
        .filter_map(|mut d| {
            if d.code == "reference-not-found" {
                d.severity = severity?;
            }
            Some(d)
        })
        .collect()
}

/// The repository part of an image reference (no tag, no digest), as registries name it.
fn image_repository_of(image: &str) -> String {
    let image = image.split('@').next().unwrap_or(image);
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    let repo = match image[last_slash..].find(':') {
        Some(colon) => &image[..last_slash + colon],
        None => image,
    };
    let repo = repo.strip_prefix("index.docker.io/").or_else(|| repo.strip_prefix("docker.io/")).unwrap_or(repo);
    repo.strip_prefix("library/").unwrap_or(repo).to_string()
}

/// A setter whose ImagePolicy follows an ImageRepository of another image: Flux would write
/// that image's tags into this one. Missing policies are `reference-not-found`.
fn image_policy_mismatches(index: &RepoIndex, own: &FileSummary) -> Vec<Diagnostic> {
    use super::refs::IMAGE_GROUP;
    let markers: Vec<&super::refs::ImageMarker> = own.objects.iter().flat_map(|o| &o.markers).collect();
    if markers.is_empty() {
        return Vec::new();
    }
    // Linear, but only for the rare files with setters.
    let find = |kind: &str, namespace: &str, name: &str| {
        index.files().flat_map(|(p, s)| s.objects.iter().map(move |o| (p, o))).find(|(_, o)| {
            o.group() == IMAGE_GROUP
                && o.kind == kind
                && o.name.as_deref() == Some(name)
                && o.namespace.as_deref().is_none_or(|n| n == namespace)
        })
    };
    let mut out = Vec::new();
    for m in markers {
        let written = match m.field.as_deref() {
            None | Some("name") => m.value.as_deref().map(image_repository_of),
            _ => None,
        };
        let Some(written) = written else { continue };
        let Some((_, policy)) = find("ImagePolicy", &m.namespace, &m.policy) else { continue };
        let Some(r) = policy.refs.iter().find(|r| r.kind == "ImageRepository") else { continue };
        let namespace = r.namespace.as_deref().or(policy.namespace.as_deref()).unwrap_or(&m.namespace);
        let Some((repo_path, repo)) = find("ImageRepository", namespace, &r.name) else { continue };
        let Some(followed) = repo.image_repository.as_deref() else { continue };
        if image_repository_of(followed) == written {
            continue;
        }
        let mut d = Diagnostic::new(
            m.span,
            Severity::Warning,
            "image-policy-mismatch",
            format!(
                "ImagePolicy `{}/{}` follows ImageRepository `{}` of `{followed}`, not `{written}`: Flux would write that image's tags here",
                m.namespace, m.policy, r.name
            ),
        );
        d.related.push(crate::yaml::Related {
            path: repo_path.to_path_buf(),
            span: repo.name_span.unwrap_or(repo.span),
            message: format!("ImageRepository `{}`", r.name),
        });
        out.push(d);
    }
    out
}
