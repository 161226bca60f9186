//! Per-file summaries and the repository index built from them (pure: no I/O).
//!
//! A file's summary says what it declares (objects, CRDs) and what it refers to (Kustomize
//! patches and inputs, schema modelines). A file that changes only recomputes its own
//! summary; the index never keeps the YAML trees of files that are not open.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::k8s::{kustomize, namespace_scope};
use crate::schema::modeline::{ModelineSchema, find_modeline};
use crate::schema::{CustomKind, crd_file};
use crate::yaml::{Node, Span, YamlFile};

pub mod cross;
pub mod kustomization;
pub mod navigate;
pub mod refs;
pub mod units;

#[cfg(test)]
mod tests;

pub use kustomization::KustomizationSummary;
pub use refs::{Applies, Implied, Reference};

/// One Kubernetes object a file declares (a document, or an item of a `List`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectSummary {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    /// The object's node, in absolute offsets of the file.
    pub span: Span,
    /// The `metadata.name` scalar.
    pub name_span: Option<Span>,
    pub refs: Vec<Reference>,
    pub implied: Vec<Implied>,
    /// Container image names (without tag or digest), for kustomize's `images`.
    pub images: Vec<String>,
    /// Directories it makes a GitOps tool apply.
    pub applies: Vec<Applies>,
    /// A workload's pod template labels (a Pod's own).
    pub pod_labels: Option<Vec<(String, String)>>,
    /// A Service's `spec.selector`, with the selector's span.
    pub selector: Option<(Vec<(String, String)>, Span)>,
    /// Flux variables it uses without a default (`${VAR}`), where each is written.
    pub variables: Vec<(String, Span)>,
    /// A Flux Kustomization's `postBuild.substitute`.
    pub substitute: Option<Vec<(String, String)>>,
    /// A ConfigMap's or Secret's keys, with ConfigMap values (for `substituteFrom`).
    pub data: Vec<(String, Option<String>)>,
    /// Flux image automation setters in its text (each is also an ImagePolicy reference).
    pub markers: Vec<refs::ImageMarker>,
    /// An ImageRepository's `spec.image`.
    pub image_repository: Option<String>,
}

impl ObjectSummary {
    pub fn group(&self) -> &str {
        refs::group_of(&self.api_version)
    }

    /// Everything but positions.
    fn same_content(&self, other: &ObjectSummary) -> bool {
        self.api_version == other.api_version
            && self.kind == other.kind
            && self.namespace == other.namespace
            && self.name == other.name
            && self.implied == other.implied
            && self.images == other.images
            && self.pod_labels == other.pod_labels
            && self.substitute == other.substitute
            && self.data == other.data
            && self.image_repository == other.image_repository
            && self.markers.len() == other.markers.len()
            && self.markers.iter().zip(&other.markers).all(|(a, b)| {
                (&a.namespace, &a.policy, &a.field, &a.value) == (&b.namespace, &b.policy, &b.field, &b.value)
            })
            && self.variables.len() == other.variables.len()
            && self.variables.iter().zip(&other.variables).all(|(a, b)| a.0 == b.0)
            && self.selector.as_ref().map(|s| &s.0) == other.selector.as_ref().map(|s| &s.0)
            && self.applies.len() == other.applies.len()
            && self.applies.iter().zip(&other.applies).all(|(a, b)| {
                (&a.path, a.this_repository, &a.repo_url) == (&b.path, b.this_repository, &b.repo_url)
                    && a.files.iter().map(|f| &f.0).eq(b.files.iter().map(|f| &f.0))
            })
            && self.refs.len() == other.refs.len()
            && self.refs.iter().zip(&other.refs).all(|(a, b)| {
                (&a.group, &a.kind, &a.name, &a.namespace, a.optional)
                    == (&b.group, &b.kind, &b.name, &b.namespace, b.optional)
            })
    }
}

/// What a kustomization file uses, as absolute paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KustomizationRefs {
    /// Files used as patches: partial objects.
    pub patches: Vec<PathBuf>,
    /// With `namespace:` set: the directories and files whose objects it renames.
    pub namespace_scopes: Vec<PathBuf>,
    /// What the build does with its inputs.
    pub build: KustomizationSummary,
}

#[derive(Clone, Debug, Default)]
pub struct FileSummary {
    pub objects: Vec<ObjectSummary>,
    /// Kinds its CustomResourceDefinitions serve.
    pub crds: Vec<CustomKind>,
    /// Schema locations its modelines name.
    pub modelines: Vec<String>,
    pub kustomization: Option<KustomizationRefs>,
}

impl FileSummary {
    /// Same declarations and references; positions may differ (an edit moved them).
    pub fn same_content(&self, other: &FileSummary) -> bool {
        self.modelines == other.modelines
            && self.kustomization == other.kustomization
            && same_crds(&self.crds, &other.crds)
            && self.objects.len() == other.objects.len()
            && self.objects.iter().zip(&other.objects).all(|(a, b)| a.same_content(b))
    }
}

/// Same kinds and schemas (where the CRD sits in its file does not matter).
pub fn same_crds(a: &[CustomKind], b: &[CustomKind]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(a, b)| a.api_version == b.api_version && a.kind == b.kind && a.schema == b.schema)
}

/// Summarizes one file. `path` is its absolute path (for Kustomize references and its
/// name), `source` how CRD provenance names it, `line_of` the 1-based line of an offset.
pub fn summarize(path: Option<&Path>, source: &str, file: &YamlFile, line_of: impl Fn(usize) -> u32) -> FileSummary {
    let mut summary = FileSummary { crds: crd_file::crd_kinds(file, source, line_of), ..Default::default() };
    for slot in file.documents() {
        if let Some((ModelineSchema::Location(l), _)) = find_modeline(&slot.doc.comments)
            && !summary.modelines.contains(&l)
        {
            summary.modelines.push(l);
        }
        if slot.doc.is_template {
            continue;
        }
        let Some(root) = slot.good_tree() else { continue };
        let first = summary.objects.len();
        let mut push = |n: &Node| {
            if let Some(o) = object(n, slot.start) {
                summary.objects.push(o);
            }
        };
        push(root);
        if root.get("kind").and_then(Node::as_str).is_some_and(|k| k.ends_with("List")) {
            root.get("items").map(Node::items).unwrap_or_default().iter().for_each(&mut push);
        }
        // A setter belongs to the last object starting before it (a trailing comment lies
        // past the end of the object's node).
        for m in refs::image_markers(&slot.doc.comments, slot.start, root) {
            let around = summary.objects[first..]
                .iter_mut()
                .filter(|o| o.span.start <= m.span.start)
                .max_by_key(|o| o.span.start);
            if let Some(o) = around {
                o.refs.push(refs::Reference {
                    group: refs::IMAGE_GROUP.into(),
                    kind: "ImagePolicy".into(),
                    name: m.policy.clone(),
                    namespace: Some(m.namespace.clone()),
                    span: m.span,
                    optional: false,
                });
                o.markers.push(m);
            }
        }
    }
    if let Some(path) = path.filter(|p| kustomize::is_kustomization_file(p)) {
        let dir = path.parent().unwrap_or(Path::new("/"));
        summary.kustomization = Some(KustomizationRefs {
            patches: kustomize::patch_paths(file).iter().map(|p| kustomize::join_normalized(dir, p)).collect(),
            namespace_scopes: namespace_scope::namespace_scopes(path, file),
            build: kustomization::summarize(path, file),
        });
    }
    summary
}

fn object(node: &Node, start: usize) -> Option<ObjectSummary> {
    let text = |n: Option<&Node>| n.and_then(Node::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let api_version = text(node.get("apiVersion"))?;
    let kind = text(node.get("kind"))?;
    let metadata = node.get("metadata");
    let name_node = metadata.and_then(|m| m.get("name"));
    let group = refs::group_of(&api_version);
    Some(ObjectSummary {
        refs: refs::references(group, &kind, node, start),
        implied: refs::implied(group, &kind, node),
        images: image_names(node),
        applies: refs::applies(group, &kind, node, start),
        pod_labels: refs::pod_labels(group, &kind, node),
        selector: refs::service_selector(group, &kind, node, start),
        variables: refs::variables(node, start),
        substitute: refs::substitute(group, &kind, node),
        data: refs::data(group, &kind, node),
        markers: Vec::new(),
        image_repository: refs::image_repository(group, &kind, node),
        namespace: text(metadata.and_then(|m| m.get("namespace"))),
        name: text(name_node),
        name_span: name_node.filter(|n| n.as_str().is_some()).map(|n| n.span.shift(start)),
        span: node.span.shift(start),
        api_version,
        kind,
    })
}

/// The names of the images an object runs: every `image:` string in it, without tag or
/// digest (kustomize's `images` match on that name).
fn image_names(node: &Node) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in node.descendants() {
        for e in n.entries() {
            let Some(image) = e.value.as_str().filter(|_| e.key.as_str() == Some("image")) else { continue };
            let name = image_name(image);
            if !name.is_empty() && !out.iter().any(|o| o == name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

/// `registry:5000/app:1.2@sha256:…` → `registry:5000/app`.
pub fn image_name(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(i) if !image[i..].contains('/') => &image[..i],
        _ => image,
    }
}

/// What an index update changed, for deciding what to check again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// Patch or namespace-scope references moved: those files' options change.
    pub references: bool,
    /// The file's CRDs changed: custom kinds must be registered again.
    pub crds: bool,
}

/// What the kustomizations say about other files, derived from their summaries.
#[derive(Debug, Default)]
struct References {
    patches: HashSet<PathBuf>,
    namespace_scopes: HashSet<PathBuf>,
}

/// The repository as the summaries of its files. Cheap to clone (summaries are shared), so a
/// state owner can hand out immutable copies.
#[derive(Clone, Debug, Default)]
pub struct RepoIndex {
    files: HashMap<PathBuf, Arc<FileSummary>>,
    /// Derived from the kustomization summaries, rebuilt when one changes.
    /// Built on first use after a kustomization changes: a scan of many kustomizations would
    /// otherwise rebuild them once per file.
    references: OnceLock<Arc<References>>,
    /// The repositories' root directories: where GitOps tools' paths start.
    roots: Arc<Vec<PathBuf>>,
    /// The URLs this repository is fetched by (its git remotes), normalized.
    remotes: Arc<Vec<String>>,
    /// Units and their findings, built on first use after a change.
    derived: OnceLock<Arc<units::Derived>>,
}

impl RepoIndex {
    /// Sets the summary of the file at `path`.
    pub fn update(&mut self, path: PathBuf, summary: FileSummary) -> Change {
        self.update_shared(path, Arc::new(summary))
    }

    /// [`RepoIndex::update`] with a summary the caller keeps too.
    pub fn update_shared(&mut self, path: PathBuf, summary: Arc<FileSummary>) -> Change {
        let previous = self.files.get(&path);
        let change = Change {
            references: previous.and_then(|p| p.kustomization.as_ref()) != summary.kustomization.as_ref(),
            crds: !same_crds(previous.map_or(&[][..], |p| &p.crds), &summary.crds),
        };
        self.files.insert(path, summary);
        self.derived = OnceLock::new();
        if change.references {
            self.references = OnceLock::new();
        }
        change
    }

    /// Forgets a file (deleted, or no longer readable).
    pub fn remove(&mut self, path: &Path) -> Change {
        let Some(previous) = self.files.remove(path) else { return Change::default() };
        let change = Change { references: previous.kustomization.is_some(), crds: !previous.crds.is_empty() };
        self.derived = OnceLock::new();
        if change.references {
            self.references = OnceLock::new();
        }
        change
    }

    fn references(&self) -> &References {
        self.references.get_or_init(|| {
            let refs = || self.files.values().filter_map(|s| s.kustomization.as_ref());
            Arc::new(References {
                patches: refs().flat_map(|k| k.patches.iter().cloned()).collect(),
                namespace_scopes: refs().flat_map(|k| k.namespace_scopes.iter().cloned()).collect(),
            })
        })
    }

    pub fn get(&self, path: &Path) -> Option<&Arc<FileSummary>> {
        self.files.get(path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// True when some kustomization uses `path` as a patch (a partial object).
    pub fn is_patch(&self, path: &Path) -> bool {
        self.references().patches.contains(path)
    }

    /// True when a kustomization with `namespace:` builds `path`: the names of its Namespace
    /// objects are placeholders that the build replaces.
    pub fn in_namespace_scope(&self, path: &Path) -> bool {
        namespace_scope::in_namespace_scope(&self.references().namespace_scopes, path)
    }

    /// Sets the repository roots (workspace folders, or the git top level of what `check` runs on).
    pub fn set_roots(&mut self, roots: Vec<PathBuf>) {
        if *self.roots != roots {
            self.roots = Arc::new(roots);
            self.derived = OnceLock::new();
        }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// Sets the URLs this repository is known by (any spelling of a git URL).
    pub fn set_remotes(&mut self, urls: &[String]) {
        let mut remotes: Vec<String> = urls.iter().map(|u| refs::normalize_repo_url(u)).collect();
        remotes.sort();
        remotes.dedup();
        self.remotes = Arc::new(remotes);
    }

    /// Whether a tool fetching `url` fetches this repository.
    pub fn is_this_repository(&self, url: &str) -> bool {
        self.remotes.contains(&refs::normalize_repo_url(url))
    }

    /// Every file with its summary.
    pub fn files(&self) -> impl Iterator<Item = (&Path, &Arc<FileSummary>)> {
        self.files.iter().map(|(p, s)| (p.as_path(), s))
    }

    /// The build units and their findings for this state of the index.
    pub fn derived(&self) -> Arc<units::Derived> {
        Arc::clone(self.derived.get_or_init(|| Arc::new(units::Derived::build(self))))
    }

    /// Every object of the repository with the file declaring it.
    pub fn objects(&self) -> impl Iterator<Item = (&Path, &ObjectSummary)> {
        self.files.iter().flat_map(|(p, s)| s.objects.iter().map(move |o| (p.as_path(), o)))
    }

    /// Every CRD-served kind with the file declaring it.
    pub fn crds(&self) -> impl Iterator<Item = (&Path, &CustomKind)> {
        self.files.iter().flat_map(|(p, s)| s.crds.iter().map(move |k| (p.as_path(), k)))
    }
}
