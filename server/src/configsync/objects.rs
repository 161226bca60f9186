//! The objects of a root as nomos reads them: `kind: List` items flattened, local-config
//! objects and template documents skipped.

use std::path::Path;

use crate::yaml::{Entry, Node, NodeKind, Span, YamlFile};

use super::SourceFile;

pub(crate) const CM_GROUP: &str = "configmanagement.gke.io";
pub(crate) const CS_GROUP: &str = "configsync.gke.io";
pub(crate) const CM_PREFIX: &str = "configmanagement.gke.io/";
pub(crate) const CS_PREFIX: &str = "configsync.gke.io/";
pub(crate) const NS_SELECTOR_ANNOTATION: &str = "configmanagement.gke.io/namespace-selector";
pub(crate) const CLUSTER_SELECTOR_ANNOTATION: &str = "configmanagement.gke.io/cluster-selector";
pub(crate) const CLUSTER_NAME_SELECTOR_ANNOTATION: &str = "configsync.gke.io/cluster-name-selector";
pub(crate) const MANAGED_ANNOTATION: &str = "configmanagement.gke.io/managed";
const LOCAL_CONFIG_ANNOTATION: &str = "config.kubernetes.io/local-config";

/// One object of the root.
pub(crate) struct Obj<'a> {
    /// Index into the root's files.
    pub file: usize,
    pub path: &'a Path,
    /// Offset of the object's document: node spans are relative to it.
    pub start: usize,
    pub node: &'a Node,
    pub group: &'a str,
    pub version: &'a str,
    pub kind: &'a str,
    pub kind_node: &'a Node,
    pub api_node: &'a Node,
    pub meta: Option<&'a Node>,
    /// Empty when missing.
    pub name: &'a str,
    pub name_node: Option<&'a Node>,
    pub namespace: &'a str,
    pub namespace_node: Option<&'a Node>,
}

impl<'a> Obj<'a> {
    pub fn span(&self, node: &Node) -> Span {
        node.span.shift(self.start)
    }
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }
    pub fn is_namespace(&self) -> bool {
        self.is("", "Namespace")
    }
    pub fn annotations(&self) -> &'a [Entry] {
        self.meta.and_then(|m| m.get("annotations")).map(Node::entries).unwrap_or_default()
    }
    pub fn labels(&self) -> &'a [Entry] {
        self.meta.and_then(|m| m.get("labels")).map(Node::entries).unwrap_or_default()
    }
    pub fn annotation(&self, key: &str) -> Option<&'a Entry> {
        self.annotations().iter().find(|e| e.key.as_str() == Some(key))
    }
    pub fn annotation_value(&self, key: &str) -> Option<&'a str> {
        self.annotation(key).map(|e| e.value.as_str().unwrap_or(""))
    }
    /// `Kind.group` as Kubernetes prints a GroupKind.
    pub fn group_kind(&self) -> String {
        group_kind(self.group, self.kind)
    }
    /// The node a finding about the whole object points at.
    pub fn anchor(&self) -> Span {
        self.span(self.name_node.unwrap_or(self.kind_node))
    }
    /// The directory of the file, relative to the root.
    pub fn dir(&self) -> &'a Path {
        self.path.parent().unwrap_or(Path::new(""))
    }
    pub fn top_dir(&self) -> Option<&'a str> {
        let first = self.path.components().next()?.as_os_str().to_str()?;
        (self.path.components().count() > 1).then_some(first)
    }
    pub fn labels_map(&self) -> Vec<(&'a str, &'a str)> {
        self.labels().iter().filter_map(|e| Some((e.key.as_str()?, e.value.as_str().unwrap_or("")))).collect()
    }
}

pub(crate) fn group_kind(group: &str, kind: &str) -> String {
    if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") }
}

/// A document nomos cannot decode as an object (KNV2001 there).
pub(crate) struct Undecodable {
    pub file: usize,
    pub span: Span,
    pub reason: String,
}

/// Whether nomos reads this file at all (it skips CI directories and other extensions).
pub(crate) fn is_read(path: &Path) -> bool {
    let ext_ok = path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
    let ci =
        path.components().any(|c| matches!(c.as_os_str().to_str(), Some(".github" | ".gitlab" | ".gitlab-ci.yml")));
    ext_ok && !ci
}

pub(crate) fn collect<'a>(files: &[SourceFile<'a>], keep: impl Fn(&Path) -> bool) -> (Vec<Obj<'a>>, Vec<Undecodable>) {
    let mut objs = Vec::new();
    let mut bad = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if !keep(f.path) {
            continue;
        }
        file_objects(i, f.path, f.file, &mut objs, &mut bad);
    }
    (objs, bad)
}

pub(crate) fn file_objects<'a>(
    index: usize,
    path: &'a Path,
    file: &'a YamlFile,
    objs: &mut Vec<Obj<'a>>,
    bad: &mut Vec<Undecodable>,
) {
    for slot in file.documents() {
        if slot.doc.is_template {
            continue;
        }
        let Some(root) = slot.good_tree() else { continue };
        if root.is_null() {
            continue;
        }
        push_object(index, path, slot.start, root, objs, bad);
    }
}

fn push_object<'a>(
    index: usize,
    path: &'a Path,
    start: usize,
    node: &'a Node,
    objs: &mut Vec<Obj<'a>>,
    bad: &mut Vec<Undecodable>,
) {
    let mut fail =
        |reason: &str| bad.push(Undecodable { file: index, span: node.span.shift(start), reason: reason.to_string() });
    if !matches!(node.kind, NodeKind::Mapping(_)) {
        fail("the document is not an object");
        return;
    }
    let kind_node = node.get("kind");
    let kind = kind_node.and_then(Node::as_str).unwrap_or("");
    let items = node.get("items").filter(|n| matches!(n.kind, NodeKind::Sequence(_)));
    if let Some(items) = items.filter(|_| kind.ends_with("List")) {
        for item in items.items() {
            push_object(index, path, start, item, objs, bad);
        }
        return;
    }
    let (Some(api_node), Some(kind_node)) = (node.get("apiVersion"), kind_node) else {
        fail(if node.get("kind").is_none() { "Object 'Kind' is missing" } else { "Object 'apiVersion' is missing" });
        return;
    };
    let api = api_node.as_str().unwrap_or("");
    if kind.is_empty() || api.is_empty() {
        fail(if kind.is_empty() { "Object 'Kind' is missing" } else { "Object 'apiVersion' is missing" });
        return;
    }
    let (group, version) = match api.split_once('/') {
        Some((g, v)) if !v.contains('/') => (g, v),
        Some(_) => {
            fail(&format!("unexpected GroupVersion string: {api}"));
            return;
        }
        None => ("", api),
    };
    let meta = node.get("metadata").filter(|m| matches!(m.kind, NodeKind::Mapping(_)));
    let field = |key: &str| meta.and_then(|m| m.get(key)).filter(|n| !n.is_null());
    let name_node = field("name");
    let namespace_node = field("namespace");
    let obj = Obj {
        file: index,
        path,
        start,
        node,
        group,
        version,
        kind,
        kind_node,
        api_node,
        meta,
        name: name_node.and_then(Node::as_str).unwrap_or(""),
        name_node,
        namespace: namespace_node.and_then(Node::as_str).unwrap_or(""),
        namespace_node,
    };
    let local = obj.annotation(LOCAL_CONFIG_ANNOTATION).is_some_and(|e| e.value.as_str() != Some("false"));
    if !local {
        objs.push(obj);
    }
}

/// Kubernetes' DNS-1123 subdomain: at most 253 characters, dot-separated label-like parts.
pub(crate) fn is_dns1123_subdomain(s: &str) -> bool {
    crate::schema::validate::dns_subdomain_problem(s).is_none()
}

/// Kubernetes' DNS-1123 label: at most 63 lowercase alphanumerics or `-`, alphanumeric at both ends.
pub(crate) fn is_dns1123_label(s: &str) -> bool {
    crate::schema::validate::dns_label_problem(s).is_none()
}
