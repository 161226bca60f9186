//! Where the objects of a root land (namespaces, clusters), what a selector annotation names,
//! and selectors that select nothing: the facts behind hover, go-to-definition, references and
//! the `selector-matches-nothing` warnings.

use std::path::{Path, PathBuf};

use crate::yaml::{NodeKind, Span};

use super::objects::{self, CLUSTER_NAME_SELECTOR_ANNOTATION, Obj};
use super::selector::{self, LabelSelector, SelectorKind};
use super::{Format, Options, SourceFile};

const CLUSTER_REGISTRY_GROUP: &str = "clusterregistry.k8s.io";

/// A selector declaration as a place: the file (index into the root's files) and its
/// `metadata.name` value.
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub file: usize,
    pub span: Span,
}

/// The namespaces an object is created in.
#[derive(Clone, Debug, PartialEq)]
pub enum Namespaces {
    /// Cluster-scoped (or a Namespace itself).
    None,
    /// `metadata.namespace`, the namespace directory, or the namespaces below an abstract one.
    Listed(Vec<String>),
    /// Narrowed by a NamespaceSelector: the selected namespaces of those it could land in.
    /// `dynamic`: namespaces on the cluster with matching labels are selected too.
    Selected { selector: String, names: Vec<String>, dynamic: bool },
    /// Unstructured, no `metadata.namespace`: the namespace Config Sync defaults it to.
    Default(String),
}

/// The clusters an object is synced to.
#[derive(Clone, Debug, PartialEq)]
pub enum Clusters {
    /// Every cluster that syncs the root.
    All,
    /// A ClusterSelector: the declared Clusters it selects, of `declared` in the root.
    Selected { selector: String, names: Vec<String>, declared: usize },
    /// `configsync.gke.io/cluster-name-selector`.
    Named(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Landing {
    pub kind: String,
    pub name: String,
    pub namespaces: Namespaces,
    pub clusters: Clusters,
}

/// An object inherited by a namespace from an abstract namespace directory above it.
#[derive(Clone, Debug, PartialEq)]
pub struct Inherited {
    pub kind: String,
    pub name: String,
    pub file: usize,
    pub span: Span,
}

/// The objects of a root the way the rules read them.
fn root_objects<'a>(files: &[SourceFile<'a>], format: Format) -> Vec<Obj<'a>> {
    let hierarchy = format == Format::Hierarchy;
    const TOP: &[&str] = &["system", "cluster", "clusterregistry", "namespaces"];
    let keep = |p: &Path| {
        let top = (p.components().count() > 1).then(|| p.components().next().and_then(|c| c.as_os_str().to_str()));
        objects::is_read(p) && (!hierarchy || top.flatten().is_some_and(|t| TOP.contains(&t)))
    };
    objects::collect(files, keep).0
}

/// The innermost object of `file` whose text holds `offset`.
fn object_at<'o, 'a>(objs: &'o [Obj<'a>], file: usize, offset: usize) -> Option<&'o Obj<'a>> {
    objs.iter().filter(|o| o.file == file && o.span(o.node).touches(offset)).min_by_key(|o| o.node.span.len())
}

/// A selector's labels, when it parses and is not empty.
fn label_selector(o: &Obj) -> Option<LabelSelector> {
    let sel = o.node.get("spec")?.get("selector").filter(|s| matches!(s.kind, NodeKind::Mapping(_)))?;
    LabelSelector::parse(sel).ok().filter(|s| !s.is_empty())
}

/// The declaration a selector annotation of `o` names: in a hierarchy the one of its own
/// directory or a parent (the rule nomos applies), else any with the name.
fn declaration<'o, 'a>(objs: &'o [Obj<'a>], o: &Obj, kind: SelectorKind, name: &str) -> Option<&'o Obj<'a>> {
    let mut named = objs.iter().filter(|d| SelectorKind::of(d) == Some(kind) && d.name == name);
    let all: Vec<&Obj> = named.by_ref().collect();
    all.iter().copied().find(|d| kind == SelectorKind::Cluster || o.dir().starts_with(d.dir())).or(all.first().copied())
}

/// The selector annotation value under `offset` in `file`, and the declaration it names.
pub fn selector_at(files: &[SourceFile], format: Format, file: usize, offset: usize) -> Option<(Span, Place)> {
    let objs = root_objects(files, format);
    let o = object_at(&objs, file, offset)?;
    for kind in [SelectorKind::Namespace, SelectorKind::Cluster] {
        let Some(e) = o.annotation(kind.annotation()) else { continue };
        let at = o.span(&e.value);
        if !at.touches(offset) {
            continue;
        }
        let decl = declaration(&objs, o, kind, e.value.as_str().unwrap_or(""))?;
        return Some((at, Place { file: decl.file, span: decl.span(decl.name_node?) }));
    }
    None
}

/// The declaration under `offset` (on its name or on an annotation naming it) and every
/// annotation value that names it.
pub fn selector_uses(files: &[SourceFile], format: Format, file: usize, offset: usize) -> Option<(Place, Vec<Place>)> {
    let objs = root_objects(files, format);
    let o = object_at(&objs, file, offset)?;
    let decl = match SelectorKind::of(o) {
        Some(_) if o.name_node.is_some_and(|n| o.span(n).touches(offset)) => o,
        _ => {
            let (_, place) = selector_at(files, format, file, offset)?;
            objs.iter().find(|d| d.file == place.file && d.name_node.is_some_and(|n| d.span(n) == place.span))?
        }
    };
    let kind = SelectorKind::of(decl)?;
    let uses = objs
        .iter()
        .filter_map(|u| {
            let e = u.annotation(kind.annotation())?;
            let named = declaration(&objs, u, kind, e.value.as_str()?)?;
            std::ptr::eq(named, decl).then(|| Place { file: u.file, span: u.span(&e.value) })
        })
        .collect();
    Some((Place { file: decl.file, span: decl.span(decl.name_node?) }, uses))
}

fn selected_clusters(objs: &[Obj], o: &Obj) -> Clusters {
    if let Some(names) = o.annotation_value(CLUSTER_NAME_SELECTOR_ANNOTATION) {
        return Clusters::Named(names.split(',').map(str::trim).filter(|n| !n.is_empty()).map(String::from).collect());
    }
    let Some(name) = o.annotation_value(SelectorKind::Cluster.annotation()) else { return Clusters::All };
    let clusters: Vec<&Obj> = objs.iter().filter(|c| c.is(CLUSTER_REGISTRY_GROUP, "Cluster")).collect();
    let selector = declaration(objs, o, SelectorKind::Cluster, name).and_then(label_selector);
    let names = clusters
        .iter()
        .filter(|c| selector.as_ref().is_some_and(|s| s.matches(&c.labels_map())))
        .map(|c| c.name.to_string())
        .collect();
    Clusters::Selected { selector: name.to_string(), names, declared: clusters.len() }
}

/// Where the object under `offset` lands, when `offset` is on its `kind`, its name or one of
/// its selector annotations (the span returned). `scope(group, kind)` as in [`super::vet`].
pub fn landing_at(
    files: &[SourceFile],
    options: &Options,
    scope: &dyn Fn(&str, &str) -> Option<bool>,
    file: usize,
    offset: usize,
) -> Option<(Span, Landing)> {
    let objs = root_objects(files, options.format);
    let o = object_at(&objs, file, offset)?;
    let mut spots: Vec<Span> = vec![o.span(o.kind_node)];
    spots.extend(o.name_node.map(|n| o.span(n)));
    for key in
        [SelectorKind::Namespace.annotation(), SelectorKind::Cluster.annotation(), CLUSTER_NAME_SELECTOR_ANNOTATION]
    {
        spots.extend(o.annotation(key).map(|e| Span::new(o.span(&e.key).start, o.span(&e.value).end)));
    }
    let at = spots.into_iter().find(|s| s.touches(offset))?;
    let namespaced = match (o.group, o.kind) {
        ("", "Namespace") => Some(false),
        _ if SelectorKind::of(o).is_some() || o.is(CLUSTER_REGISTRY_GROUP, "Cluster") => Some(false),
        _ => crate::k8s::scope::builtin_namespaced(o.group, o.kind).or_else(|| scope(o.group, o.kind)),
    };
    let ns_selector = o.annotation_value(SelectorKind::Namespace.annotation());
    let hierarchy = options.format == Format::Hierarchy;
    let namespaces = if namespaced == Some(false) || (hierarchy && o.top_dir() != Some("namespaces")) {
        Namespaces::None
    } else if hierarchy {
        let dirs = selector::namespace_dirs(&objs);
        let below: Vec<&Obj> = selector::landing(&dirs, o.dir()).map(|(_, n)| n).collect();
        match ns_selector {
            Some(name) => {
                let sel = declaration(&objs, o, SelectorKind::Namespace, name).and_then(label_selector);
                let names = below
                    .iter()
                    .filter(|n| sel.as_ref().is_some_and(|s| s.matches(&n.labels_map())))
                    .map(|n| n.name.to_string())
                    .collect();
                Namespaces::Selected { selector: name.to_string(), names, dynamic: false }
            }
            None => Namespaces::Listed(below.iter().map(|n| n.name.to_string()).collect()),
        }
    } else if !o.namespace.is_empty() {
        Namespaces::Listed(vec![o.namespace.to_string()])
    } else if let Some(name) = ns_selector {
        let decl = declaration(&objs, o, SelectorKind::Namespace, name);
        let sel = decl.and_then(label_selector);
        let dynamic = decl.and_then(|d| d.node.get("spec")?.get("mode")?.as_str()) == Some("dynamic");
        let names = objs
            .iter()
            .filter(|n| n.is_namespace() && sel.as_ref().is_some_and(|s| s.matches(&n.labels_map())))
            .map(|n| n.name.to_string())
            .collect();
        Namespaces::Selected { selector: name.to_string(), names, dynamic }
    } else {
        let repo_ns = options.synced_by.filter(|s| !s.is_root_sync()).map(|s| s.namespace.as_str());
        Namespaces::Default(repo_ns.unwrap_or("default").to_string())
    };
    let landing = Landing {
        kind: o.kind.to_string(),
        name: o.name.to_string(),
        namespaces,
        clusters: selected_clusters(&objs, o),
    };
    Some((at, landing))
}

/// The objects a Namespace of a hierarchical root inherits from the abstract namespace
/// directories above its own, when `offset` is on the Namespace's kind or name (the span).
pub fn inherited_at(
    files: &[SourceFile],
    scope: &dyn Fn(&str, &str) -> Option<bool>,
    file: usize,
    offset: usize,
) -> Option<(Span, Vec<Inherited>)> {
    let objs = root_objects(files, Format::Hierarchy);
    let ns = object_at(&objs, file, offset).filter(|o| o.is_namespace() && o.top_dir() == Some("namespaces"))?;
    let at = [Some(ns.kind_node), ns.name_node].into_iter().flatten().map(|n| ns.span(n));
    let at = at.into_iter().find(|s| s.touches(offset))?;
    let dirs = selector::namespace_dirs(&objs);
    if !dirs.iter().any(|(d, n)| *d == ns.dir() && std::ptr::eq(*n, ns)) {
        return Some((at, Vec::new()));
    }
    let labels = ns.labels_map();
    let out = objs
        .iter()
        .filter(|o| o.top_dir() == Some("namespaces") && o.dir() != ns.dir() && ns.dir().starts_with(o.dir()))
        .filter(|o| !o.is_namespace() && SelectorKind::of(o).is_none())
        .filter(|o| {
            crate::k8s::scope::builtin_namespaced(o.group, o.kind).or_else(|| scope(o.group, o.kind)) != Some(false)
        })
        .filter(|o| match o.annotation_value(SelectorKind::Namespace.annotation()) {
            Some(name) => declaration(&objs, o, SelectorKind::Namespace, name)
                .and_then(label_selector)
                .is_some_and(|s| s.matches(&labels)),
            None => true,
        })
        .map(|o| Inherited { kind: o.kind.to_string(), name: o.name.to_string(), file: o.file, span: o.anchor() })
        .collect();
    Some((at, out))
}

/// Selectors whose labels select nothing the root declares: a NamespaceSelector (static mode)
/// that matches no Namespace it can apply to, a ClusterSelector that matches none of the
/// declared Clusters (only when the root declares some: without them, cluster labels come
/// from outside the repository). (file, span of `spec.selector`'s key, message).
pub(crate) fn selects_nothing(objs: &[Obj], hierarchy: bool) -> Vec<(usize, Span, String)> {
    let clusters: Vec<&Obj> = objs.iter().filter(|c| c.is(CLUSTER_REGISTRY_GROUP, "Cluster")).collect();
    let dirs = selector::namespace_dirs(objs);
    let mut out = Vec::new();
    for o in objs {
        let Some(kind) = SelectorKind::of(o) else { continue };
        let Some(sel) = label_selector(o) else { continue };
        let Some(key) = o.node.get("spec").and_then(|s| s.get_entry("selector")).map(|e| o.span(&e.key)) else {
            continue;
        };
        let message = match kind {
            SelectorKind::Namespace => {
                let dynamic =
                    o.node.get("spec").and_then(|s| s.get("mode")).and_then(|m| m.as_str()) == Some("dynamic");
                if dynamic && !hierarchy {
                    continue;
                }
                let candidates: Vec<&Obj> = if hierarchy {
                    dirs.iter().filter(|(d, _)| d.starts_with(o.dir())).map(|(_, n)| *n).collect()
                } else {
                    objs.iter().filter(|n| n.is_namespace()).collect()
                };
                if candidates.iter().any(|n| sel.matches(&n.labels_map())) {
                    continue;
                }
                let scope = if hierarchy {
                    format!("no namespace directory below {}", display_dir(o.dir()))
                } else {
                    "no Namespace the repository declares".to_string()
                };
                format!(
                    "NamespaceSelector {:?} selects nothing: {scope} has labels it matches ({} checked), so the objects that name it are not synced anywhere",
                    o.name,
                    candidates.len()
                )
            }
            SelectorKind::Cluster => {
                if clusters.is_empty() || clusters.iter().any(|c| sel.matches(&c.labels_map())) {
                    continue;
                }
                format!(
                    "ClusterSelector {:?} selects none of the {} Clusters the repository declares, so the objects that name it are not synced to them",
                    o.name,
                    clusters.len()
                )
            }
        };
        out.push((o.file, key, message));
    }
    out
}

fn display_dir(dir: &Path) -> String {
    let shown: PathBuf = dir.components().collect();
    format!("{}/", shown.display())
}
