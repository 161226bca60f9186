//! What a kustomization file declares for the build it is part of: the files and directories
//! it uses (with where each is written), its transformers' settings, images and patch targets.

use std::path::{Path, PathBuf};

use crate::k8s::kustomize::join_normalized;
use crate::yaml::{Node, Span, YamlFile};

/// What a path entry must name for the build to work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A file, or a directory holding a kustomization (`resources`, `bases`, `generators`…).
    FileOrBuild,
    /// A directory holding a kustomization (`components`).
    Build,
    /// A file (patches, generator inputs, Helm values).
    File,
}

/// One local path a kustomization names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathEntry {
    /// The field it is listed under, for messages.
    pub field: &'static str,
    /// As written.
    pub raw: String,
    /// Absolute, `.` and `..` resolved.
    pub path: PathBuf,
    /// The scalar naming it (for a `key=path` generator entry, the path part).
    pub span: Span,
    pub expect: Expect,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageEntry {
    pub name: String,
    pub span: Span,
    /// Both `newTag` and `digest`: the span of `digest`'s key.
    pub tag_and_digest: Option<Span>,
}

/// A `target:` selector of a patch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchTarget {
    pub span: Span,
    pub group: Option<String>,
    pub kind: Option<String>,
    /// A regular expression in kustomize; matched literally or as an anchored pattern here.
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Label or annotation selectors: not decidable from the summaries.
    pub selects_by_metadata: bool,
}

/// The build-relevant content of one kustomization file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KustomizationSummary {
    pub entries: Vec<PathEntry>,
    pub namespace: Option<String>,
    pub name_prefix: Option<String>,
    pub name_suffix: Option<String>,
    pub images: Vec<ImageEntry>,
    /// Generated ConfigMaps and Secrets: (kind, name).
    pub generated: Vec<(String, String)>,
    /// `helmCharts` render objects nobody can see here.
    pub renders_charts: bool,
    pub patch_targets: Vec<PatchTarget>,
    /// Strategic-merge patch files (their objects name their targets).
    pub merge_patches: Vec<(PathBuf, Span)>,
    /// Labels it adds: (key, value, to selectors, to pod templates).
    pub labels: Vec<(String, String, bool, bool)>,
}

/// Remote bases and anything templated are not files of the workspace.
fn is_local(raw: &str) -> bool {
    !(raw.is_empty()
        || raw.contains("://")
        || raw.contains("${")
        || raw.starts_with("git@")
        || raw.contains("?ref=")
        || raw.contains(".git//")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"].iter().any(|h| raw.starts_with(h)))
}

fn text(node: Option<&Node>) -> Option<String> {
    node.and_then(Node::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Summarizes the kustomization at `path` (absolute).
pub fn summarize(path: &Path, file: &YamlFile) -> KustomizationSummary {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let mut out = KustomizationSummary::default();
    for slot in file.documents() {
        let Some(root) = slot.good_tree() else { continue };
        let start = slot.start;
        let entry = |field: &'static str, node: &Node, expect: Expect, out: &mut KustomizationSummary| {
            let Some(raw) = node.as_str() else { return };
            // Generator files may be `key=path`.
            let (raw, skip) = match raw.split_once('=') {
                Some((_, p)) if matches!(field, "configMapGenerator" | "secretGenerator") => (p, raw.len() - p.len()),
                _ => (raw, 0),
            };
            let raw = raw.trim();
            if !is_local(raw) || raw.contains('\n') {
                return;
            }
            let mut span = node.span.shift(start);
            // Plain scalars start at their text; quoted ones one byte later.
            if skip > 0 && span.len() >= skip {
                span.start = (span.start + skip).min(span.end);
            }
            out.entries.push(PathEntry { field, raw: raw.to_string(), path: join_normalized(dir, raw), span, expect });
        };
        for field in ["resources", "bases"] {
            for item in root.get(field).map(Node::items).unwrap_or_default() {
                entry(if field == "bases" { "bases" } else { "resources" }, item, Expect::FileOrBuild, &mut out);
            }
        }
        for item in root.get("components").map(Node::items).unwrap_or_default() {
            entry("components", item, Expect::Build, &mut out);
        }
        for field in ["crds", "configurations", "generators", "transformers", "validators"] {
            let expect = if matches!(field, "crds" | "configurations") { Expect::File } else { Expect::FileOrBuild };
            // Inline transformer configurations are mappings, not paths: `entry` skips them.
            for item in root.get(field).map(Node::items).unwrap_or_default() {
                entry(field, item, expect, &mut out);
            }
        }
        for item in root.get("patches").map(Node::items).unwrap_or_default() {
            // Old kustomizations list bare file names here.
            let path_node = item.get("path").or(item.as_str().map(|_| item));
            if let Some(p) = path_node {
                entry("patches", p, Expect::File, &mut out);
            }
            match item.get("target") {
                Some(t) => out.patch_targets.push(patch_target(t, start)),
                None => {
                    if let Some(p) = path_node.and_then(Node::as_str).filter(|p| is_local(p)) {
                        out.merge_patches.push((
                            join_normalized(dir, p),
                            path_node.map(|n| n.span.shift(start)).unwrap_or_default(),
                        ));
                    }
                }
            }
        }
        for item in root.get("patchesStrategicMerge").map(Node::items).unwrap_or_default() {
            if let Some(p) = item.as_str().filter(|p| !p.contains('\n') && !p.contains(": ") && is_local(p)) {
                entry("patchesStrategicMerge", item, Expect::File, &mut out);
                out.merge_patches.push((join_normalized(dir, p), item.span.shift(start)));
            }
        }
        for item in root.get("patchesJson6902").map(Node::items).unwrap_or_default() {
            if let Some(p) = item.get("path") {
                entry("patchesJson6902", p, Expect::File, &mut out);
            }
            if let Some(t) = item.get("target") {
                out.patch_targets.push(patch_target(t, start));
            }
        }
        for (field, kind) in [("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")] {
            for g in root.get(field).map(Node::items).unwrap_or_default() {
                let field = if kind == "ConfigMap" { "configMapGenerator" } else { "secretGenerator" };
                for f in g.get("files").map(Node::items).unwrap_or_default() {
                    entry(field, f, Expect::File, &mut out);
                }
                for f in g.get("envs").map(Node::items).unwrap_or_default() {
                    entry(field, f, Expect::File, &mut out);
                }
                if let Some(f) = g.get("env") {
                    entry(field, f, Expect::File, &mut out);
                }
                if let Some(name) = text(g.get("name")) {
                    out.generated.push((kind.to_string(), name));
                }
            }
        }
        for chart in root.get("helmCharts").map(Node::items).unwrap_or_default() {
            out.renders_charts = true;
            if let Some(f) = chart.get("valuesFile") {
                entry("helmCharts", f, Expect::File, &mut out);
            }
            for f in chart.get("additionalValuesFiles").map(Node::items).unwrap_or_default() {
                entry("helmCharts", f, Expect::File, &mut out);
            }
        }
        for image in root.get("images").map(Node::items).unwrap_or_default() {
            let Some(name_node) = image.get("name") else { continue };
            let Some(name) = text(Some(name_node)) else { continue };
            let tag_and_digest = match (image.get_entry("newTag"), image.get_entry("digest")) {
                (Some(_), Some(d)) => Some(d.key.span.shift(start)),
                _ => None,
            };
            out.images.push(ImageEntry { name, span: name_node.span.shift(start), tag_and_digest });
        }
        let pairs = |n: Option<&Node>| -> Vec<(String, String)> {
            n.map(Node::entries)
                .unwrap_or_default()
                .iter()
                .filter_map(|e| Some((e.key.as_str()?.to_string(), e.value.as_str()?.to_string())))
                .collect()
        };
        for (k, v) in pairs(root.get("commonLabels")) {
            out.labels.push((k, v, true, true));
        }
        for l in root.get("labels").map(Node::items).unwrap_or_default() {
            let flag = |key: &str| l.get(key).and_then(Node::as_scalar).is_some_and(|s| &*s.value == "true");
            let (selectors, templates) = (flag("includeSelectors"), flag("includeTemplates"));
            for (k, v) in pairs(l.get("pairs")) {
                out.labels.push((k, v, selectors, selectors || templates));
            }
        }
        out.namespace = out.namespace.take().or(text(root.get("namespace")));
        out.name_prefix = out.name_prefix.take().or(text(root.get("namePrefix")));
        out.name_suffix = out.name_suffix.take().or(text(root.get("nameSuffix")));
    }
    out
}

fn patch_target(t: &Node, start: usize) -> PatchTarget {
    PatchTarget {
        span: t.span.shift(start),
        group: t.get("group").and_then(Node::as_str).map(str::to_string),
        kind: text(t.get("kind")),
        name: text(t.get("name")),
        namespace: text(t.get("namespace")),
        selects_by_metadata: t.get("labelSelector").is_some() || t.get("annotationSelector").is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_carry_their_field_path_and_span() {
        let text = "\
resources:
  - deploy.yaml
  - ../base
  - https://example.com/x.yaml
  - github.com/org/repo//dir?ref=v1
components: [../../components/ns]
configMapGenerator:
  - name: app
    files: [conf=files/app.conf, other.txt]
    envs: [app.env]
patches:
  - path: patch.yaml
  - path: json.yaml
    target: {kind: Deployment, name: web}
images:
  - name: nginx
    newTag: '1.27'
    digest: sha256:abc
namespace: apps
namePrefix: p-
";
        let s = summarize(Path::new("/r/app/kustomization.yaml"), &YamlFile::parse(text));
        let got: Vec<(&str, &str, &str)> =
            s.entries.iter().map(|e| (e.field, e.raw.as_str(), &text[e.span.start..e.span.end])).collect();
        assert_eq!(
            got,
            [
                ("resources", "deploy.yaml", "deploy.yaml"),
                ("resources", "../base", "../base"),
                ("components", "../../components/ns", "../../components/ns"),
                ("patches", "patch.yaml", "patch.yaml"),
                ("patches", "json.yaml", "json.yaml"),
                ("configMapGenerator", "files/app.conf", "files/app.conf"),
                ("configMapGenerator", "other.txt", "other.txt"),
                ("configMapGenerator", "app.env", "app.env"),
            ]
        );
        assert_eq!(s.entries[1].path, PathBuf::from("/r/base"));
        assert_eq!(s.entries[2].expect, Expect::Build);
        assert_eq!(s.generated, [("ConfigMap".to_string(), "app".to_string())]);
        assert_eq!(s.namespace.as_deref(), Some("apps"));
        assert_eq!(s.name_prefix.as_deref(), Some("p-"));
        assert_eq!(s.patch_targets.len(), 1);
        assert_eq!(s.patch_targets[0].name.as_deref(), Some("web"));
        assert_eq!(s.merge_patches, [(PathBuf::from("/r/app/patch.yaml"), s.entries[3].span)]);
        let image = &s.images[0];
        assert_eq!(image.name, "nginx");
        assert_eq!(image.tag_and_digest.map(|d| &text[d.start..d.end]), Some("digest"));
    }
}
