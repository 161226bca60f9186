//! ClusterSelector / NamespaceSelector declarations, their label selectors, and where
//! objects of abstract namespaces land.

use std::path::{Path, PathBuf};

use crate::yaml::{Node, NodeKind, Span};

use super::SourceFile;
use super::objects::{self, CLUSTER_SELECTOR_ANNOTATION, CM_GROUP, NS_SELECTOR_ANNOTATION, Obj};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SelectorKind {
    Cluster,
    Namespace,
}

impl SelectorKind {
    pub fn kind(self) -> &'static str {
        match self {
            SelectorKind::Cluster => "ClusterSelector",
            SelectorKind::Namespace => "NamespaceSelector",
        }
    }
    /// The annotation that names a selector of this kind.
    pub fn annotation(self) -> &'static str {
        match self {
            SelectorKind::Cluster => CLUSTER_SELECTOR_ANNOTATION,
            SelectorKind::Namespace => NS_SELECTOR_ANNOTATION,
        }
    }
    pub(crate) fn of(obj: &Obj) -> Option<SelectorKind> {
        match (obj.group, obj.kind) {
            (CM_GROUP, "ClusterSelector") => Some(SelectorKind::Cluster),
            (CM_GROUP, "NamespaceSelector") => Some(SelectorKind::Namespace),
            _ => None,
        }
    }
}

/// A declared selector: what a `...-selector` annotation value resolves to.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectorDecl {
    pub kind: SelectorKind,
    pub name: String,
    /// Index into the files.
    pub file: usize,
    /// The `metadata.name` value.
    pub span: Span,
    /// The directory of the declaring file (hierarchy: references must be below it).
    pub dir: PathBuf,
}

/// Every ClusterSelector and NamespaceSelector declared in the files.
pub fn selectors(files: &[SourceFile]) -> Vec<SelectorDecl> {
    let (objs, _) = objects::collect(files, objects::is_read);
    objs.iter()
        .filter_map(|o| {
            Some(SelectorDecl {
                kind: SelectorKind::of(o)?,
                name: o.name.to_string(),
                file: o.file,
                span: o.span(o.name_node?),
                dir: o.dir().to_path_buf(),
            })
        })
        .collect()
}

/// The namespaces an object in the file at `path` (hierarchy format) is copied into: its own
/// namespace directory's, or for an abstract namespace every namespace directory below it.
/// NamespaceSelector annotations are not applied here; see the object's own rules.
pub fn inherited_by(files: &[SourceFile], path: &Path) -> Vec<String> {
    let (objs, _) = objects::collect(files, objects::is_read);
    let dirs = namespace_dirs(&objs);
    let dir = path.parent().unwrap_or(Path::new(""));
    landing(&dirs, dir).map(|(_, o)| o.name.to_string()).collect()
}

/// Directories of `namespaces/` that hold a Namespace named like the directory.
pub(crate) fn namespace_dirs<'o, 'a>(objs: &'o [Obj<'a>]) -> Vec<(&'a Path, &'o Obj<'a>)> {
    let mut out: Vec<(&Path, &Obj)> = objs
        .iter()
        .filter(|o| o.is_namespace() && o.top_dir() == Some("namespaces"))
        .filter(|o| o.dir().file_name().and_then(|n| n.to_str()) == Some(o.name))
        .map(|o| (o.dir(), o))
        .collect();
    out.sort_by_key(|(d, _)| *d);
    out.dedup_by_key(|(d, _)| *d);
    out
}

/// The namespace directories an object in `dir` lands in.
pub(crate) fn landing<'d, 'o, 'a>(
    dirs: &'d [(&'a Path, &'o Obj<'a>)],
    dir: &'d Path,
) -> impl Iterator<Item = (&'a Path, &'o Obj<'a>)> + 'd {
    let own = dirs.iter().find(|(d, _)| *d == dir).copied();
    let below = dirs.iter().filter(move |(d, _)| own.is_none() && d.starts_with(dir) && *d != dir).copied();
    own.into_iter().chain(below)
}

/// A parsed `metav1.LabelSelector`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelSelector {
    pub match_labels: Vec<(String, String)>,
    pub expressions: Vec<(String, Operator, Vec<String>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// Why a selector is unusable, and where.
pub(crate) struct SelectorProblem {
    pub node_span: Span,
    pub reason: String,
}

impl LabelSelector {
    /// Parses `spec.selector` as Kubernetes converts it to a selector; spans are document-relative.
    pub(crate) fn parse(node: &Node) -> Result<LabelSelector, SelectorProblem> {
        let problem = |n: &Node, reason: String| SelectorProblem { node_span: n.span, reason };
        let mut out = LabelSelector::default();
        if let Some(ml) = node.get("matchLabels").filter(|n| !n.is_null()) {
            if !matches!(ml.kind, NodeKind::Mapping(_)) {
                return Err(problem(ml, "matchLabels must be a map of strings".into()));
            }
            for e in ml.entries() {
                let key = e.key.as_str().unwrap_or("");
                let value = e.value.as_str().unwrap_or("");
                if let Some(why) = label_key_problem(key) {
                    return Err(problem(&e.key, format!("key: Invalid value: {key:?}: {why}")));
                }
                if let Some(why) = label_value_problem(value) {
                    return Err(problem(&e.value, format!("values[0][{key}]: Invalid value: {value:?}: {why}")));
                }
                out.match_labels.push((key.to_string(), value.to_string()));
            }
        }
        if let Some(me) = node.get("matchExpressions").filter(|n| !n.is_null()) {
            if !matches!(me.kind, NodeKind::Sequence(_)) {
                return Err(problem(me, "matchExpressions must be a list".into()));
            }
            for expr in me.items() {
                let key = expr.get("key").and_then(Node::as_str).unwrap_or("");
                let op_node = expr.get("operator");
                let op = op_node.and_then(Node::as_str).unwrap_or("");
                let values: Vec<String> = expr
                    .get("values")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .map(|v| v.as_str().unwrap_or("").to_string())
                    .collect();
                let operator = match op {
                    "In" => Operator::In,
                    "NotIn" => Operator::NotIn,
                    "Exists" => Operator::Exists,
                    "DoesNotExist" => Operator::DoesNotExist,
                    _ => {
                        return Err(problem(
                            op_node.unwrap_or(expr),
                            format!("{op:?} is not a valid label selector operator"),
                        ));
                    }
                };
                let needs_values = matches!(operator, Operator::In | Operator::NotIn);
                if needs_values && values.is_empty() {
                    return Err(problem(
                        expr,
                        "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty".into(),
                    ));
                }
                if !needs_values && !values.is_empty() {
                    return Err(problem(
                        expr,
                        "values: Invalid value: for 'exists', 'doesnotexist' operators, values set must be empty"
                            .into(),
                    ));
                }
                if let Some(why) = label_key_problem(key) {
                    return Err(problem(
                        expr.get("key").unwrap_or(expr),
                        format!("key: Invalid value: {key:?}: {why}"),
                    ));
                }
                out.expressions.push((key.to_string(), operator, values));
            }
        }
        Ok(out)
    }

    /// Kubernetes treats a selector with no requirements as selecting everything, and Config
    /// Sync refuses it.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    pub fn matches(&self, labels: &[(&str, &str)]) -> bool {
        let get = |k: &str| labels.iter().find(|(lk, _)| *lk == k).map(|(_, v)| *v);
        self.match_labels.iter().all(|(k, v)| get(k) == Some(v.as_str()))
            && self.expressions.iter().all(|(k, op, values)| match op {
                Operator::In => get(k).is_some_and(|v| values.iter().any(|x| x == v)),
                Operator::NotIn => get(k).is_none_or(|v| !values.iter().any(|x| x == v)),
                Operator::Exists => get(k).is_some(),
                Operator::DoesNotExist => get(k).is_none(),
            })
    }
}

fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn label_key_problem(key: &str) -> Option<&'static str> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if prefix.is_some_and(|p| !objects::is_dns1123_subdomain(p)) {
        return Some("prefix part must be a lowercase RFC 1123 subdomain");
    }
    (!is_name_part(name)).then_some(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63)",
    )
}

fn label_value_problem(value: &str) -> Option<&'static str> {
    (!value.is_empty() && !is_name_part(value)).then_some(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63)",
    )
}
