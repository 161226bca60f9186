//! RootSync / RepoSync objects: where their roots are, and the spec rules the reconciler
//! manager applies to them (KNV1061).

use std::path::Path;

use crate::yaml::{Diagnostic, Node, Severity, Span, YamlFile};

use super::Format;
use super::objects::{self, CS_GROUP, Obj};

const INVALID_SYNC: &str = "KNV1061";
const CONTROLLER_NAMESPACE: &str = "config-management-system";
const MAX_ROOT_SYNC_NAME: usize = 38;
const MAX_REPO_SYNC_NAME_AND_NAMESPACE: usize = 45;
const GCP_SA_SUFFIX: &str = ".iam.gserviceaccount.com";
const DELETION_PROPAGATION_ANNOTATION: &str = "configsync.gke.io/deletion-propagation-policy";

/// A RootSync or RepoSync found in a file.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncObject {
    /// `RootSync` or `RepoSync`.
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// `spec.sourceType`, `git` when unset.
    pub source_type: String,
    /// `spec.sourceFormat`; a RepoSync is always unstructured, an unset RootSync hierarchy.
    pub format: Format,
    /// `spec.git.repo`, `spec.oci.image` or `spec.helm.repo`.
    pub source: Option<String>,
    /// `spec.git.dir` or `spec.oci.dir` (None for helm or when unset).
    pub dir: Option<String>,
    /// `spec.git.branch` / `spec.git.revision`, when given.
    pub revision: Option<String>,
    /// The object's `metadata.name` value span (absolute).
    pub span: Span,
}

impl SyncObject {
    pub fn is_root_sync(&self) -> bool {
        self.kind == "RootSync"
    }
}

fn is_sync(obj: &Obj) -> bool {
    obj.group == CS_GROUP && matches!(obj.kind, "RootSync" | "RepoSync")
}

fn text<'a>(node: Option<&'a Node>, path: &[&str]) -> Option<&'a str> {
    let mut n = node?;
    for key in path {
        n = n.get(key)?;
    }
    n.as_str().filter(|s| !s.is_empty())
}

/// The RootSync and RepoSync objects of a file.
pub fn sync_objects(file: &YamlFile) -> Vec<SyncObject> {
    let (mut objs, mut bad) = (Vec::new(), Vec::new());
    objects::file_objects(0, Path::new(""), file, &mut objs, &mut bad);
    objs.iter()
        .filter(|o| is_sync(o))
        .map(|o| {
            let spec = o.node.get("spec");
            let source_type = text(spec, &["sourceType"]).unwrap_or("git").to_string();
            let root = o.kind == "RootSync";
            let format = match text(spec, &["sourceFormat"]).and_then(Format::parse) {
                Some(f) if root => f,
                _ if root => Format::Hierarchy,
                _ => Format::Unstructured,
            };
            let (source, dir) = match source_type.as_str() {
                "oci" => (text(spec, &["oci", "image"]), text(spec, &["oci", "dir"])),
                "helm" => (text(spec, &["helm", "repo"]), None),
                _ => (text(spec, &["git", "repo"]), text(spec, &["git", "dir"])),
            };
            let revision = text(spec, &["git", "revision"]).or_else(|| text(spec, &["git", "branch"]));
            SyncObject {
                kind: o.kind.to_string(),
                name: o.name.to_string(),
                namespace: o.namespace.to_string(),
                source_type,
                format,
                source: source.map(str::to_string),
                dir: dir.map(str::to_string),
                revision: revision.map(str::to_string),
                span: o.anchor(),
            }
        })
        .collect()
}

/// The reconciler-manager's spec rules for every RootSync/RepoSync of a file: at most one
/// metadata finding and one spec finding per object (the reconciler stops at the first).
pub fn sync_spec_diagnostics(file: &YamlFile) -> Vec<Diagnostic> {
    let (mut objs, mut bad) = (Vec::new(), Vec::new());
    objects::file_objects(0, Path::new(""), file, &mut objs, &mut bad);
    let mut out = Vec::new();
    for o in objs.iter().filter(|o| is_sync(o)) {
        let mut push = |(span, message): (Span, String)| {
            out.push(Diagnostic::new(span, Severity::Error, INVALID_SYNC, message));
        };
        if let Some(d) = metadata_problem(o) {
            push(d);
        }
        if let Some(d) = spec_problem(o) {
            push(d);
        }
    }
    out
}

fn metadata_problem(o: &Obj) -> Option<(Span, String)> {
    let kind = o.kind;
    if kind == "RootSync" {
        // Unset namespaces are left alone: the repo's defaulting decides them.
        if let Some(ns) = o.namespace_node.filter(|_| o.namespace != CONTROLLER_NAMESPACE && !o.namespace.is_empty()) {
            return Some((
                o.span(ns),
                format!(
                    "RootSync objects may only live in the {CONTROLLER_NAMESPACE} namespace, not in {}",
                    o.namespace
                ),
            ));
        }
        if o.name.len() > MAX_ROOT_SYNC_NAME {
            return Some((
                o.anchor(),
                format!(
                    "a RootSync name may be at most {MAX_ROOT_SYNC_NAME} characters long, but has {}",
                    o.name.len()
                ),
            ));
        }
    } else {
        if let Some(ns) = o.namespace_node.filter(|_| o.namespace == CONTROLLER_NAMESPACE) {
            return Some((
                o.span(ns),
                format!("RepoSync objects must not live in the {CONTROLLER_NAMESPACE} namespace"),
            ));
        }
        let len = o.name.len() + o.namespace.len();
        if len > MAX_REPO_SYNC_NAME_AND_NAMESPACE {
            return Some((
                o.anchor(),
                format!(
                    "a RepoSync's name and namespace may be at most {MAX_REPO_SYNC_NAME_AND_NAMESPACE} characters long together, but have {len}"
                ),
            ));
        }
    }
    let entry = o.annotation(DELETION_PROPAGATION_ANNOTATION)?;
    let value = entry.value.as_str().unwrap_or("");
    (!matches!(value, "Foreground" | "Orphan")).then(|| {
        (
            o.span(&entry.value),
            format!(
                "{kind}s with the annotation {DELETION_PROPAGATION_ANNOTATION:?} need the value \"Foreground\" or \"Orphan\", not {value:?}"
            ),
        )
    })
}

fn spec_problem(o: &Obj) -> Option<(Span, String)> {
    let kind = o.kind;
    let spec = o.node.get("spec");
    let whole = o.span(o.kind_node);
    let at = |n: Option<&Node>| n.map_or(whole, |n| o.span(n));
    let source_type_node = spec.and_then(|s| s.get("sourceType")).filter(|n| !n.is_null());
    let source_type = source_type_node.and_then(Node::as_str).unwrap_or("git");
    let result = match source_type {
        "git" => git_problem(o, spec.and_then(|s| s.get("git")).filter(|n| !n.is_null()), spec),
        "oci" => oci_problem(o, spec.and_then(|s| s.get("oci")).filter(|n| !n.is_null()), spec),
        "helm" => helm_problem(o, spec.and_then(|s| s.get("helm")).filter(|n| !n.is_null()), spec),
        _ => Some((
            at(source_type_node),
            format!("{kind}s need spec.sourceType to be one of \"git\", \"oci\", \"helm\""),
        )),
    };
    result.or_else(|| override_problem(o, spec.and_then(|s| s.get("override"))))
}

fn field<'a>(n: Option<&'a Node>, key: &str) -> Option<&'a Node> {
    n?.get(key).filter(|v| !v.is_null())
}

fn str_field<'a>(n: Option<&'a Node>, key: &str) -> &'a str {
    field(n, key).and_then(Node::as_str).unwrap_or("")
}

fn has_secret(n: Option<&Node>) -> bool {
    !str_field(field(n, "secretRef"), "name").is_empty()
}

/// A Google service account address: 6 to 30 characters before `@`, the IAM domain after.
fn valid_gcp_sa(email: &str) -> bool {
    match email.split('@').collect::<Vec<_>>()[..] {
        [local, domain] => (6..=30).contains(&local.len()) && domain.ends_with(GCP_SA_SUFFIX),
        _ => false,
    }
}

fn missing(o: &Obj, at: Span, what: &str, source: &str) -> Option<(Span, String)> {
    Some((at, format!("{}s need {what} when spec.sourceType is {source:?}", o.kind)))
}

fn gcp_sa_problem(o: &Obj, n: Option<&Node>, source: &str, at: Span) -> Option<(Span, String)> {
    let email = str_field(n, "gcpServiceAccountEmail");
    let kind = o.kind;
    if email.is_empty() {
        return Some((
            at,
            format!(
                "{kind}s that set spec.{source}.auth to \"gcpserviceaccount\" need spec.{source}.gcpServiceAccountEmail too"
            ),
        ));
    }
    (!valid_gcp_sa(email)).then(|| {
        let span = field(n, "gcpServiceAccountEmail").map_or(at, |e| o.span(e));
        (
            span,
            format!(
                "{kind}s that set spec.{source}.auth to \"gcpserviceaccount\" need an email of the form <gcp_serviceaccount_name>@<project>{GCP_SA_SUFFIX}"
            ),
        )
    })
}

fn git_problem(o: &Obj, git: Option<&Node>, spec: Option<&Node>) -> Option<(Span, String)> {
    let kind = o.kind;
    let whole = spec.map_or(o.span(o.kind_node), |s| o.span(s));
    let Some(git_node) = git else { return missing(o, whole, "spec.git", "git") };
    let at = |key: &str| field(git, key).map_or(o.span(git_node), |n| o.span(n));
    if str_field(git, "repo").is_empty() {
        return missing(o, at("repo"), "spec.git.repo", "git");
    }
    let auth = str_field(git, "auth");
    match auth {
        "ssh" | "cookiefile" | "gcenode" | "token" | "none" | "githubapp" => {}
        "gcpserviceaccount" => {
            if let Some(p) = gcp_sa_problem(o, git, "git", at("auth")) {
                return Some(p);
            }
        }
        _ => {
            return Some((
                at("auth"),
                format!(
                    "{kind}s need spec.git.auth to be one of ssh, cookiefile, gcenode, token, none, gcpserviceaccount, githubapp"
                ),
            ));
        }
    }
    if !str_field(git, "proxy").is_empty() && !matches!(auth, "none" | "cookiefile" | "token" | "githubapp") {
        return Some((
            at("proxy"),
            format!(
                "{kind}s that set spec.git.proxy need spec.git.auth to be one of \"none\", \"cookiefile\", \"token\" or \"githubapp\""
            ),
        ));
    }
    let secret = has_secret(git);
    match auth {
        "none" | "gcenode" | "gcpserviceaccount" if secret => Some((
            at("secretRef"),
            format!(
                "{kind}s that set spec.git.auth to \"none\", \"gcenode\" or \"gcpserviceaccount\" must not set spec.git.secretRef"
            ),
        )),
        "ssh" | "cookiefile" | "token" | "githubapp" if !secret => Some((
            at("auth"),
            format!(
                "{kind}s that set spec.git.auth to \"ssh\", \"cookiefile\", \"githubapp\" or \"token\" need spec.git.secretRef too"
            ),
        )),
        _ => None,
    }
}

fn oci_problem(o: &Obj, oci: Option<&Node>, spec: Option<&Node>) -> Option<(Span, String)> {
    let whole = spec.map_or(o.span(o.kind_node), |s| o.span(s));
    let Some(oci_node) = oci else { return missing(o, whole, "spec.oci", "oci") };
    let at = |key: &str| field(oci, key).map_or(o.span(oci_node), |n| o.span(n));
    if str_field(oci, "image").is_empty() {
        return missing(o, at("image"), "spec.oci.image", "oci");
    }
    match str_field(oci, "auth") {
        "gcenode" | "k8sserviceaccount" | "none" => None,
        "gcpserviceaccount" => gcp_sa_problem(o, oci, "oci", at("auth")),
        _ => Some((
            at("auth"),
            format!("{}s need spec.oci.auth to be one of gcenode, gcpserviceaccount, k8sserviceaccount, none", o.kind),
        )),
    }
}

fn helm_problem(o: &Obj, helm: Option<&Node>, spec: Option<&Node>) -> Option<(Span, String)> {
    let kind = o.kind;
    let whole = spec.map_or(o.span(o.kind_node), |s| o.span(s));
    let Some(helm_node) = helm else { return missing(o, whole, "spec.helm", "helm") };
    let at = |key: &str| field(helm, key).map_or(o.span(helm_node), |n| o.span(n));
    if str_field(helm, "repo").is_empty() {
        return missing(o, at("repo"), "spec.helm.repo", "helm");
    }
    let chart = str_field(helm, "chart");
    if chart.is_empty() {
        return missing(o, at("chart"), "spec.helm.chart", "helm");
    }
    if chart.contains('/') {
        return Some((at("chart"), format!("{kind} field spec.helm.chart must not contain a slash (/)")));
    }
    let secret = has_secret(helm);
    let illegal_secret = || {
        Some((
            at("secretRef"),
            format!(
                "{kind}s that set spec.helm.auth to \"none\", \"gcenode\" or \"gcpserviceaccount\" must not set spec.helm.secretRef"
            ),
        ))
    };
    match str_field(helm, "auth") {
        "gcenode" | "k8sserviceaccount" | "none" if secret => return illegal_secret(),
        "gcenode" | "k8sserviceaccount" | "none" => {}
        "token" if !secret => {
            return Some((
                at("auth"),
                format!(
                    "{kind}s that set spec.helm.auth to \"ssh\", \"cookiefile\", \"githubapp\" or \"token\" need spec.helm.secretRef too"
                ),
            ));
        }
        "token" => {}
        "gcpserviceaccount" if secret => return illegal_secret(),
        "gcpserviceaccount" => {
            if let Some(p) = gcp_sa_problem(o, helm, "helm", at("auth")) {
                return Some(p);
            }
        }
        _ => {
            return Some((
                at("auth"),
                format!(
                    "{kind}s need spec.helm.auth to be one of gcenode, gcpserviceaccount, k8sserviceaccount, none, token"
                ),
            ));
        }
    }
    if let Some(r) = field(helm, "valuesFileRefs")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .find(|r| str_field(Some(r), "name").is_empty())
    {
        return Some((o.span(r), format!("{kind}s need spec.helm.valuesFileRefs.name")));
    }
    if kind == "RootSync" && !str_field(helm, "namespace").is_empty() && !str_field(helm, "deployNamespace").is_empty()
    {
        return Some((
            at("deployNamespace"),
            format!("{kind}s may set only one of 'spec.helm.namespace' and 'spec.helm.deployNamespace'"),
        ));
    }
    None
}

fn override_problem(o: &Obj, ov: Option<&Node>) -> Option<(Span, String)> {
    let kind = o.kind;
    if kind == "RootSync" {
        let refs = field(ov, "roleRefs").map(Node::items).unwrap_or_default();
        if let Some(r) =
            refs.iter().find(|r| str_field(Some(r), "kind") == "Role" && str_field(Some(r), "namespace").is_empty())
        {
            return Some((
                o.span(r),
                format!("{kind}s need 'spec.override.roleRefs.namespace' for role references of kind Role"),
            ));
        }
    }
    for res in field(ov, "resources").map(Node::items).unwrap_or_default() {
        for key in ["cpuRequest", "cpuLimit", "memoryRequest", "memoryLimit"] {
            let Some(n) = field(Some(res), key) else { continue };
            let negative = n.as_str().is_some_and(|v| v.trim_start().starts_with('-'));
            if negative {
                return Some((o.span(n), format!("{kind} field 'spec.override.resources.{key}' must not be negative")));
            }
        }
    }
    None
}
