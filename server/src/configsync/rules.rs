//! The `nomos vet` validators, one function per group of rules. Unlike nomos, which stops after
//! the first stage that fails, every rule runs, so one pass shows every problem.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::yaml::{Diagnostic, Node, NodeKind, ScalarValue, Severity, Span};

use super::objects::{
    self, CLUSTER_NAME_SELECTOR_ANNOTATION, CLUSTER_SELECTOR_ANNOTATION, CM_GROUP, CM_PREFIX, CS_GROUP, CS_PREFIX,
    MANAGED_ANNOTATION, NS_SELECTOR_ANNOTATION, Obj, group_kind,
};
use super::selector::{LabelSelector, SelectorKind, landing, namespace_dirs};
use super::{Format, Options, SourceFile};

const TOP_DIRS: &[&str] = &["system", "cluster", "clusterregistry", "namespaces"];
const CONTROLLER_NAMESPACE: &str = "config-management-system";
const CLUSTER_REGISTRY_GROUP: &str = "clusterregistry.k8s.io";
const CRD_GROUP: &str = "apiextensions.k8s.io";
const HNC_DEPTH_SUFFIX: &str = ".tree.hnc.x-k8s.io/depth";
/// Annotations of Config Sync's prefixes that users may set.
const SOURCE_ANNOTATIONS: &[&str] = &[
    NS_SELECTOR_ANNOTATION,
    CLUSTER_SELECTOR_ANNOTATION,
    CLUSTER_NAME_SELECTOR_ANNOTATION,
    MANAGED_ANNOTATION,
    "client.lifecycle.config.k8s.io/mutation",
    "configsync.gke.io/deletion-propagation-policy",
];
const DEPRECATED_KINDS: &[(&str, &str)] = &[
    ("DaemonSet", "DaemonSet.apps"),
    ("Deployment", "Deployment.apps"),
    ("Ingress", "Ingress.networking.k8s.io"),
    ("ReplicaSet", "ReplicaSet.apps"),
    ("NetworkPolicy", "NetworkPolicy.networking.k8s.io"),
    ("PodSecurityPolicy", "PodSecurityPolicy.policy"),
    ("StatefulSet", "StatefulSet.apps"),
];

struct Cx {
    out: Vec<(usize, Diagnostic)>,
}

impl Cx {
    fn push(&mut self, file: usize, span: Span, code: &'static str, message: impl Into<String>) {
        self.out.push((file, Diagnostic::new(span, Severity::Error, code, message)));
    }
    fn at(&mut self, o: &Obj, span: Span, code: &'static str, message: impl Into<String>) {
        self.push(o.file, span, code, message);
    }
}

fn top(path: &Path) -> Option<&str> {
    (path.components().count() > 1).then(|| path.components().next()?.as_os_str().to_str()).flatten()
}

pub(crate) fn vet(
    files: &[SourceFile],
    options: &Options,
    scope: &dyn Fn(&str, &str) -> Option<bool>,
) -> Vec<(usize, Diagnostic)> {
    let paths: Vec<&Path> = files.iter().map(|f| f.path).collect();
    if super::needs_rendering(&paths) {
        return Vec::new();
    }
    let hierarchy = options.format == Format::Hierarchy;
    let keep = |p: &Path| objects::is_read(p) && (!hierarchy || top(p).is_some_and(|t| TOP_DIRS.contains(&t)));
    let (objs, bad) = objects::collect(files, keep);
    let mut cx = Cx { out: Vec::new() };
    for b in &bad {
        cx.push(
            b.file,
            b.span,
            "KNV2001",
            format!("the document cannot be decoded as a Kubernetes object: {}", b.reason),
        );
    }
    let crd_scopes = crd_scopes(&objs);
    let scope_of = |o: &Obj| -> Option<bool> {
        builtin_scope(o.group, o.kind)
            .or_else(|| crd_scopes.get(&(o.group, o.kind)).copied())
            .or_else(|| scope(o.group, o.kind))
    };
    let scopes: Vec<Option<bool>> = objs.iter().map(scope_of).collect();
    let tree = hierarchy.then(|| Tree::new(&objs, &scopes));
    let repo_namespace = options.synced_by.filter(|s| !s.is_root_sync()).map(|s| s.namespace.as_str());

    for (i, o) in objs.iter().enumerate() {
        metadata_values(&mut cx, o);
        disallowed_fields(&mut cx, o);
        config_sync_metadata(&mut cx, o, hierarchy);
        kinds(&mut cx, o, hierarchy);
        name_and_namespace(&mut cx, o);
        if hierarchy {
            directory(&mut cx, o);
        }
        crd(&mut cx, o);
        typed_fields(&mut cx, o);
        if let Some(sync) = options.synced_by {
            let same = match o.kind {
                "RootSync" => sync.is_root_sync() && sync.name == o.name,
                "RepoSync" => !sync.is_root_sync() && sync.name == o.name && sync.namespace == o.namespace,
                _ => false,
            };
            if o.group == CS_GROUP && same {
                let msg =
                    format!("{} {}/{} must not be managed from the repository it syncs", o.kind, o.namespace, o.name);
                cx.at(o, o.anchor(), "KNV1069", msg);
            }
        }
        let hydrated_ns = tree.as_ref().and_then(|t| t.namespace_of[i]).unwrap_or(o.namespace);
        scoped(&mut cx, o, scopes[i], hydrated_ns, repo_namespace.is_some());
    }
    selector_rules(&mut cx, &objs, &scopes, tree.as_ref());
    for (file, span, message) in super::placement::selects_nothing(&objs, hierarchy) {
        cx.out.push((file, Diagnostic::new(span, Severity::Warning, "selector-matches-nothing", message)));
    }
    if let Some(t) = &tree {
        top_level_dirs(&mut cx, &objs, &scopes);
        repo_object(&mut cx, files, &objs);
        hierarchy_configs(&mut cx, &objs, &scopes);
        t.rules(&mut cx, &objs);
    }
    final_rules(&mut cx, &objs, &scopes, tree.as_ref(), repo_namespace.unwrap_or("default"));
    cx.out.sort_by(|a, b| (a.0, a.1.span.start, a.1.code).cmp(&(b.0, b.1.span.start, b.1.code)));
    cx.out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    cx.out
}

/// Scopes Config Sync knows without discovery.
fn builtin_scope(group: &str, kind: &str) -> Option<bool> {
    match (group, kind) {
        ("", "Namespace") => Some(false),
        (CM_GROUP, "Repo" | "HierarchyConfig" | "ClusterSelector" | "NamespaceSelector" | "Sync") => Some(false),
        (CLUSTER_REGISTRY_GROUP, "Cluster") => Some(false),
        (CS_GROUP, "RootSync" | "RepoSync") => Some(true),
        (CRD_GROUP, "CustomResourceDefinition") => Some(false),
        _ => None,
    }
}

/// Scopes of the kinds the root's own CRDs declare.
fn crd_scopes<'a>(objs: &[Obj<'a>]) -> HashMap<(&'a str, &'a str), bool> {
    let mut out = HashMap::new();
    for o in objs.iter().filter(|o| o.is(CRD_GROUP, "CustomResourceDefinition")) {
        let spec = o.node.get("spec");
        let get = |k: &str| spec.and_then(|s| s.get(k)).and_then(Node::as_str);
        let kind = spec.and_then(|s| s.get("names")).and_then(|n| n.get("kind")).and_then(Node::as_str);
        if let (Some(group), Some(kind), Some(scope)) = (get("group"), kind, get("scope")) {
            out.insert((group, kind), scope == "Namespaced");
        }
    }
    out
}

/// KNV1054: annotation and label values must be strings.
fn metadata_values(cx: &mut Cx, o: &Obj) {
    for (field, entries) in [("annotations", o.annotations()), ("labels", o.labels())] {
        for e in entries {
            let string = e.value.as_scalar().is_some_and(|s| s.typed == ScalarValue::String);
            if !string {
                let key = e.key.as_str().unwrap_or("");
                let msg = format!(
                    "Values in metadata.{field} need to be strings; put quotes around the value. Non-string value for:\nmetadata.{field}.{key}"
                );
                cx.at(o, o.span(&e.value), "KNV1054", msg);
            }
        }
    }
}

/// KNV1045: fields the API server sets must not be declared.
fn disallowed_fields(cx: &mut Cx, o: &Obj) {
    let mut flag = |node: &Node, field: &str| {
        let msg =
            format!("Objects that declare {field:?} are not allowed. Remove the {field:?} field (or the object):");
        cx.at(o, o.span(node), "KNV1045", msg);
    };
    if let Some(meta) = o.meta {
        for e in meta.entries() {
            let Some(key) = e.key.as_str() else { continue };
            let v = &e.value;
            let set = match key {
                "ownerReferences" => !v.items().is_empty(),
                "selfLink" | "uid" | "resourceVersion" => v.as_str().is_some_and(|s| !s.is_empty()) && !v.is_null(),
                "generation" => !v.is_null() && v.as_str() != Some("0"),
                "creationTimestamp" | "deletionTimestamp" | "deletionGracePeriodSeconds" => !v.is_null(),
                _ => false,
            };
            if set {
                let field =
                    if key == "ownerReferences" { "metadata.ownerReference".into() } else { format!("metadata.{key}") };
                flag(&e.key, &field);
            }
        }
    }
    if o.group != CM_GROUP
        && let Some(status) = o.node.get_entry("status")
        && !status.value.entries().is_empty()
    {
        flag(&status.key, "status");
    }
}

/// KNV1010, KNV1011, KNV1057, KNV1005, KNV1066, KNV1004 (cluster selection of selectors).
fn config_sync_metadata(cx: &mut Cx, o: &Obj, hierarchy: bool) {
    let prefixed = |k: &str| k.starts_with(CM_PREFIX) || k.starts_with(CS_PREFIX);
    for e in o.annotations() {
        let Some(key) = e.key.as_str() else { continue };
        if prefixed(key) && !SOURCE_ANNOTATIONS.contains(&key) {
            let msg = format!(
                "Objects must not declare annotations starting with {CM_PREFIX:?} or {CS_PREFIX:?} other than the supported ones. Unsupported annotation: {key:?}"
            );
            cx.at(o, o.span(&e.key), "KNV1010", msg);
        }
    }
    for e in o.labels() {
        let Some(key) = e.key.as_str() else { continue };
        if prefixed(key) {
            let msg = format!(
                "Objects must not declare labels starting with {CM_PREFIX:?} or {CS_PREFIX:?}. Disallowed label: {key:?}"
            );
            cx.at(o, o.span(&e.key), "KNV1011", msg);
        }
        if hierarchy && key.ends_with(HNC_DEPTH_SUFFIX) {
            let msg =
                format!("Objects must not declare labels ending with {HNC_DEPTH_SUFFIX:?}. Disallowed label: {key:?}");
            cx.at(o, o.span(&e.key), "KNV1057", msg);
        }
    }
    if let Some(e) = o.annotation(MANAGED_ANNOTATION) {
        let value = e.value.as_str().unwrap_or("");
        if value != "disabled" {
            let msg = format!(
                "The management annotation {MANAGED_ANNOTATION}={value} is not valid: when set in the source, the value must be \"disabled\"."
            );
            cx.at(o, o.span(&e.value), "KNV1005", msg);
        }
    }
    let legacy = o.annotation(CLUSTER_SELECTOR_ANNOTATION);
    let inline = o.annotation(CLUSTER_NAME_SELECTOR_ANNOTATION);
    if let (Some(_), Some(e)) = (legacy, inline) {
        let msg = format!(
            "Object {:?} may declare only one cluster-selector annotation, but has both {CLUSTER_NAME_SELECTOR_ANNOTATION:?} and {CLUSTER_SELECTOR_ANNOTATION:?}. Remove one of them:",
            o.name
        );
        cx.at(o, o.span(&e.key), "KNV1066", msg);
    }
    let selects_clusters = SelectorKind::of(o).is_some() || o.is(CLUSTER_REGISTRY_GROUP, "Cluster");
    if selects_clusters
        && let Some((key, e)) =
            legacy.map(|e| (CLUSTER_SELECTOR_ANNOTATION, e)).or(inline.map(|e| (CLUSTER_NAME_SELECTOR_ANNOTATION, e)))
    {
        let msg = format!(
            "{}s cannot be cluster-selected, so they must not declare the annotation '{key}'. Remove `metadata.annotations.{key}` from:",
            o.kind
        );
        cx.at(o, o.span(&e.key), "KNV1004", msg);
    }
}

/// KNV1043 (internal kinds), KNV1032 (hierarchy-only kinds in unstructured), KNV1050 (deprecated).
fn kinds(cx: &mut Cx, o: &Obj, hierarchy: bool) {
    if o.is(CM_GROUP, "Sync") {
        let msg = "Config Sync does not allow declaring objects of its internal type Sync. Remove the object:";
        cx.at(o, o.span(o.kind_node), "KNV1043", msg);
    }
    if !hierarchy && (o.is(CM_GROUP, "Repo") || o.is(CM_GROUP, "HierarchyConfig")) {
        let msg = format!(
            "The type {} is not allowed when `sourceFormat` is `unstructured`. Remove the object, or switch the repository to `sourceFormat: hierarchy`.",
            o.group_kind()
        );
        cx.at(o, o.span(o.kind_node), "KNV1032", msg);
    }
    if o.group == "extensions"
        && let Some((_, to)) = DEPRECATED_KINDS.iter().find(|(k, _)| *k == o.kind)
    {
        let msg = format!("The object uses a deprecated Group and Kind. Change the Group and Kind to {to:?}");
        cx.at(o, o.span(o.api_node), "KNV1050", msg);
    }
}

/// KNV1031, KNV1036, KNV1055, KNV1034.
fn name_and_namespace(cx: &mut Cx, o: &Obj) {
    match o.name_node {
        _ if o.name.is_empty() => {
            let at = o.name_node.or(o.node.get_entry("metadata").map(|e| &e.key)).unwrap_or(o.kind_node);
            cx.at(o, o.span(at), "KNV1031", "Objects must declare `metadata.name`:");
        }
        Some(n) => {
            let valid = if o.group == "rbac.authorization.k8s.io" {
                // RBAC names are path segments, not DNS names.
                !matches!(o.name, "." | "..") && !o.name.contains(['/', '%'])
            } else {
                objects::is_dns1123_subdomain(o.name)
            };
            if !valid {
                let msg = "Objects need a `metadata.name` of at most 253 characters made of lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character. Rename or remove the object:";
                cx.at(o, o.span(n), "KNV1036", msg);
            }
        }
        None => {}
    }
    let bad_ns = |ns: &str| {
        format!(
            "metadata.namespace needs to be a valid Kubernetes Namespace name. Rename {ns:?} so that it\n1. is at most 63 characters long;\n2. consists of lowercase letters (a-z), digits (0-9) and hyphens '-' only; and\n3. starts and ends with a lowercase letter or digit.\n"
        )
    };
    if o.is_namespace() {
        if let Some(n) = o.name_node.filter(|_| !o.name.is_empty()) {
            if !objects::is_dns1123_label(o.name) {
                cx.at(o, o.span(n), "KNV1055", bad_ns(o.name));
            } else if o.name == CONTROLLER_NAMESPACE {
                cx.at(o, o.span(n), "KNV1034", format!("The {CONTROLLER_NAMESPACE:?} Namespace must not be declared"));
            }
        }
    } else if let Some(n) =
        o.namespace_node.filter(|_| !o.namespace.is_empty() && !objects::is_dns1123_label(o.namespace))
    {
        cx.at(o, o.span(n), "KNV1055", bad_ns(o.namespace));
    }
}

/// Hierarchy: KNV1019, KNV1020 (Namespace directories), KNV1009 (metadata.namespace vs directory).
fn directory(cx: &mut Cx, o: &Obj) {
    let dir = o.dir();
    let base = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if o.is_namespace() {
        if dir == Path::new("namespaces") {
            let msg = "Namespaces must be declared in subdirectories of 'namespaces/'. Create a subdirectory for this Namespace:";
            cx.at(o, o.span(o.kind_node), "KNV1019", msg);
        } else if o.name != base {
            let msg = format!(
                "A Namespace's `metadata.name` must match the name of its directory.\n\nexpected `metadata.name`: {base}"
            );
            cx.at(o, o.anchor(), "KNV1020", msg);
        }
    } else if let Some(n) = o.namespace_node.filter(|_| !o.namespace.is_empty() && o.namespace != base) {
        let msg = format!(
            "An object must either leave `namespace` blank or set it to exactly the directory that contains it, {base:?}:"
        );
        cx.at(o, o.span(n), "KNV1009", msg);
    }
}

/// KNV1065, KNV1048, KNV1043 (CRDs of Config Sync's groups).
fn crd(cx: &mut Cx, o: &Obj) {
    if !o.is(CRD_GROUP, "CustomResourceDefinition") {
        return;
    }
    let spec = o.node.get("spec");
    let malformed = |why: &str| format!("malformed CustomResourceDefinition: {why}");
    let Some(spec) = spec.filter(|s| matches!(s.kind, NodeKind::Mapping(_))) else {
        let at = o.node.get_entry("spec").map_or(o.span(o.kind_node), |e| o.span(&e.value));
        cx.at(o, at, "KNV1065", malformed("spec must be an object"));
        return;
    };
    fn string_at<'n>(n: &'n Node, key: &str) -> Option<&'n Node> {
        n.get(key).filter(|v| !v.is_null() && v.as_scalar().is_none())
    }
    if let Some(bad) = string_at(spec, "group").or(string_at(spec, "scope")) {
        cx.at(o, o.span(bad), "KNV1065", malformed("expected a string"));
        return;
    }
    let names = spec.get("names");
    if let Some(bad) = names.filter(|n| !n.is_null() && !matches!(n.kind, NodeKind::Mapping(_))) {
        cx.at(o, o.span(bad), "KNV1065", malformed("spec.names must be an object"));
        return;
    }
    if let Some(bad) = names.and_then(|n| string_at(n, "plural").or(string_at(n, "kind"))) {
        cx.at(o, o.span(bad), "KNV1065", malformed("expected a string"));
        return;
    }
    if let Some(bad) = spec.get("versions").filter(|v| !v.is_null() && !matches!(v.kind, NodeKind::Sequence(_))) {
        cx.at(o, o.span(bad), "KNV1065", malformed("spec.versions must be a list"));
        return;
    }
    let group = spec.get("group").and_then(Node::as_str).unwrap_or("");
    let plural = names.and_then(|n| n.get("plural")).and_then(Node::as_str).unwrap_or("");
    if matches!(group, CM_GROUP | CS_GROUP) {
        let at = spec.get("group").map_or(o.anchor(), |g| o.span(g));
        let msg =
            format!("Config Sync does not allow declaring CRDs in the `{group}` APIGroup. Use a different APIGroup.");
        cx.at(o, at, "KNV1043", msg);
    }
    let expected = format!("{plural}.{group}");
    if let Some(n) = o.name_node.filter(|_| !o.name.is_empty() && o.name != expected) {
        let msg = format!(
            "Invalid CustomResourceDefinition name `{}`: `metadata.name` must be `<spec.names.plural>.<spec.group>`. Change the spec fields, or rename it to `{expected}`.",
            o.name
        );
        cx.at(o, o.span(n), "KNV1048", msg);
    }
}

/// KNV1006: Config Sync's own kinds whose fields have the wrong type cannot be decoded.
fn typed_fields(cx: &mut Cx, o: &Obj) {
    let spec = o.node.get("spec").filter(|s| !s.is_null());
    let gvk = format!("{}/{}, Kind={}", o.group, o.version, o.kind);
    let mut fail = |n: &Node, why: &str| {
        cx.at(o, o.span(n), "KNV1006", format!("This object could not be decoded as {gvk}: {why}"));
    };
    fn not_scalar(n: Option<&Node>) -> Option<&Node> {
        n.filter(|v| !v.is_null() && v.as_scalar().is_none())
    }
    fn not_map(n: Option<&Node>) -> Option<&Node> {
        n.filter(|v| !v.is_null() && !matches!(v.kind, NodeKind::Mapping(_)))
    }
    fn not_seq(n: Option<&Node>) -> Option<&Node> {
        n.filter(|v| !v.is_null() && !matches!(v.kind, NodeKind::Sequence(_)))
    }
    let typed = o.group == CM_GROUP || o.is(CLUSTER_REGISTRY_GROUP, "Cluster");
    if !typed {
        return;
    }
    if let Some(s) = not_map(spec) {
        return fail(s, "spec must be an object");
    }
    match o.kind {
        "Repo" => {
            if let Some(v) = not_scalar(spec.and_then(|s| s.get("version"))) {
                fail(v, "spec.version must be a string");
            }
        }
        "ClusterSelector" | "NamespaceSelector" => {
            let sel = spec.and_then(|s| s.get("selector"));
            if let Some(v) = not_map(sel) {
                fail(v, "spec.selector must be an object");
            } else if let Some(v) = not_map(sel.and_then(|s| s.get("matchLabels"))) {
                fail(v, "spec.selector.matchLabels must be an object");
            } else if let Some(v) = not_seq(sel.and_then(|s| s.get("matchExpressions"))) {
                fail(v, "spec.selector.matchExpressions must be a list");
            }
            if let Some(v) = not_scalar(spec.and_then(|s| s.get("mode"))) {
                fail(v, "spec.mode must be a string");
            }
        }
        "HierarchyConfig" => {
            let res = spec.and_then(|s| s.get("resources"));
            if let Some(v) = not_seq(res) {
                return fail(v, "spec.resources must be a list");
            }
            for r in res.map(Node::items).unwrap_or_default() {
                if let Some(v) = not_map(Some(r)) {
                    fail(v, "spec.resources items must be objects");
                } else if let Some(v) = not_scalar(r.get("group")).or(not_scalar(r.get("hierarchyMode"))) {
                    fail(v, "expected a string");
                } else if let Some(v) = not_seq(r.get("kinds")) {
                    fail(v, "kinds must be a list");
                }
            }
        }
        _ => {}
    }
}

/// KNV1052, KNV1004 (namespace selection of cluster-scoped objects), KNV1053, KNV1058.
fn scoped(cx: &mut Cx, o: &Obj, scope: Option<bool>, hydrated_ns: &str, namespace_repo: bool) {
    let selector = o.annotation(NS_SELECTOR_ANNOTATION);
    match scope {
        Some(false) => {
            if let Some(n) = o.namespace_node.filter(|_| !o.namespace.is_empty()) {
                cx.at(o, o.span(n), "KNV1052", "Cluster-scoped objects must not declare metadata.namespace");
            }
            if let Some(e) = selector {
                let msg = format!(
                    "Cluster-scoped objects cannot be namespace-selected, so they must not declare the annotation '{NS_SELECTOR_ANNOTATION}'. Remove `metadata.annotations.{NS_SELECTOR_ANNOTATION}` from:"
                );
                cx.at(o, o.span(&e.key), "KNV1004", msg);
            }
            if namespace_repo {
                let msg = format!(
                    "A namespace repository may only hold namespace-scoped objects, but {} is cluster-scoped. Move {} to the root repository.",
                    o.group_kind(),
                    o.name
                );
                cx.at(o, o.span(o.kind_node), "KNV1058", msg);
            }
        }
        Some(true) if !hydrated_ns.is_empty() => {
            if let Some(e) = selector {
                let msg = format!(
                    "Namespace-scoped objects must not declare both metadata.namespace and metadata.annotations.{NS_SELECTOR_ANNOTATION}"
                );
                cx.at(o, o.span(&e.key), "KNV1053", msg);
            }
        }
        _ => {}
    }
}

/// Selector declarations (KNV1014, KNV1029 for names, KNV1039 for placement) and the
/// annotations that name them (KNV1013).
fn selector_rules(cx: &mut Cx, objs: &[Obj], scopes: &[Option<bool>], tree: Option<&Tree>) {
    let hierarchy = tree.is_some();
    let mut by_name: HashMap<(SelectorKind, &str), Vec<&Obj>> = HashMap::new();
    for o in objs {
        let Some(kind) = SelectorKind::of(o) else {
            if hierarchy && o.is(CLUSTER_REGISTRY_GROUP, "Cluster") && o.top_dir() != Some("clusterregistry") {
                cluster_registry_placement(cx, o);
            }
            continue;
        };
        by_name.entry((kind, o.name)).or_default().push(o);
        if hierarchy && kind == SelectorKind::Cluster && o.top_dir() != Some("clusterregistry") {
            cluster_registry_placement(cx, o);
        }
        let spec = o.node.get("spec");
        let sel = spec.and_then(|s| s.get("selector")).filter(|s| matches!(s.kind, NodeKind::Mapping(_)));
        match sel.map(LabelSelector::parse) {
            Some(Err(p)) => {
                let msg = format!("{} has validation errors that must be corrected: {}", o.kind, p.reason);
                cx.at(o, p.node_span.shift(o.start), "KNV1014", msg);
            }
            Some(Ok(s)) if !s.is_empty() => {}
            _ => {
                let at = spec.and_then(|s| s.get_entry("selector")).map_or(o.span(o.kind_node), |e| o.span(&e.key));
                cx.at(o, at, "KNV1014", format!("{}s must define `spec.selector`", o.kind));
            }
        }
        if kind == SelectorKind::Namespace
            && let Some(mode) = spec.and_then(|s| s.get("mode")).filter(|m| !m.is_null())
        {
            match mode.as_str().unwrap_or("") {
                "dynamic" if hierarchy => {
                    let msg = "NamespaceSelectors cannot use the dynamic mode with the hierarchy source format. Switch to the unstructured format, or remove `spec.mode`.";
                    cx.at(o, o.span(mode), "KNV1014", msg);
                }
                "" | "static" | "dynamic" => {}
                _ => {
                    let msg = "The NamespaceSelector has an unknown mode. Use \"static\" or \"dynamic\".";
                    cx.at(o, o.span(mode), "KNV1014", msg);
                }
            }
        }
    }
    for ((kind, name), dups) in &by_name {
        if dups.len() > 1 {
            for o in dups {
                let msg = format!(
                    "{0}s need globally unique names. Found {1} {0}s named {name:?}. Rename or delete the duplicates:",
                    kind.kind(),
                    dups.len()
                );
                cx.at(o, o.anchor(), "KNV1029", msg);
            }
        }
    }
    for (i, o) in objs.iter().enumerate() {
        // Selectors and Clusters cannot be cluster-selected (KNV1004 instead).
        let forbids = SelectorKind::of(o).is_some() || o.is(CLUSTER_REGISTRY_GROUP, "Cluster");
        if let Some(e) = o.annotation(CLUSTER_SELECTOR_ANNOTATION).filter(|_| !forbids) {
            let value = e.value.as_str().unwrap_or("");
            if !by_name.contains_key(&(SelectorKind::Cluster, value)) {
                let msg = format!(
                    "Object {:?} must name an existing ClusterSelector, but its annotation \"{CLUSTER_SELECTOR_ANNOTATION}={value}\" names no declared ClusterSelector",
                    o.name
                );
                cx.at(o, o.span(&e.value), "KNV1013", msg);
            }
        }
        let Some(e) = o.annotation(NS_SELECTOR_ANNOTATION) else { continue };
        // Cluster-scoped objects get KNV1004; hierarchy only resolves objects of the namespaces/ tree.
        if scopes[i] == Some(false) || (hierarchy && o.top_dir() != Some("namespaces")) {
            continue;
        }
        let value = e.value.as_str().unwrap_or("");
        match by_name.get(&(SelectorKind::Namespace, value)) {
            None => {
                let msg = format!(
                    "Object {:?} must name an existing NamespaceSelector, but its annotation \"{NS_SELECTOR_ANNOTATION}={value}\" names no declared NamespaceSelector",
                    o.name
                );
                cx.at(o, o.span(&e.value), "KNV1013", msg);
            }
            Some(decls) if hierarchy && !decls.iter().any(|s| o.dir().starts_with(s.dir())) => {
                let msg = format!(
                    "Object {0:?} must name a NamespaceSelector of its own directory or a parent directory. Remove the annotation \"{NS_SELECTOR_ANNOTATION}={value}\" from {0:?}, or move NamespaceSelector {value:?} to a parent directory of {0:?}.",
                    o.name
                );
                cx.at(o, o.span(&e.value), "KNV1013", msg);
            }
            Some(_) => {}
        }
    }
}

fn cluster_registry_placement(cx: &mut Cx, o: &Obj) {
    let msg = format!(
        "Cluster and ClusterSelector objects must be declared in `clusterregistry/`. Move the {} to `clusterregistry/`.",
        o.kind
    );
    cx.at(o, o.span(o.kind_node), "KNV1039", msg);
}

/// Hierarchy: KNV1039, objects in the wrong top-level directory.
fn top_level_dirs(cx: &mut Cx, objs: &[Obj], scopes: &[Option<bool>]) {
    for (o, scope) in objs.iter().zip(scopes) {
        // Clusters and ClusterSelectors are filtered out before this check (their own rule).
        if SelectorKind::of(o) == Some(SelectorKind::Cluster) || o.is(CLUSTER_REGISTRY_GROUP, "Cluster") {
            continue;
        }
        let expected = if o.is(CM_GROUP, "Repo") || o.is(CM_GROUP, "HierarchyConfig") {
            "system"
        } else if o.is_namespace() || SelectorKind::of(o) == Some(SelectorKind::Namespace) {
            "namespaces"
        } else {
            match scope {
                Some(false) => "cluster",
                Some(true) => "namespaces",
                None => continue,
            }
        };
        if o.top_dir() == Some(expected) {
            continue;
        }
        let what = match expected {
            "system" => "Repo and HierarchyConfig objects",
            "cluster" => "Cluster-scoped objects other than Namespaces",
            _ => "Namespace-scoped objects and Namespaces",
        };
        let msg = format!("{what} must be declared in `{expected}/`. Move the {} to `{expected}/`.", o.kind);
        cx.at(o, o.span(o.kind_node), "KNV1039", msg);
    }
}

/// Hierarchy: KNV1017, KNV2012, KNV1027 for the Repo object.
fn repo_object(cx: &mut Cx, files: &[SourceFile], objs: &[Obj]) {
    let repos: Vec<&Obj> = objs.iter().filter(|o| o.is(CM_GROUP, "Repo")).collect();
    match repos[..] {
        [] => {
            // Reported on a file of system/ when there is one, else on the first file.
            let file = files.iter().position(|f| top(f.path) == Some("system")).or((!files.is_empty()).then_some(0));
            if let Some(file) = file {
                cx.push(file, Span::new(0, 0), "KNV1017", "The system/ directory must declare a Repo object.");
            }
        }
        [repo] => {
            let version_node = repo.node.get("spec").and_then(|s| s.get("version"));
            let version = version_node.and_then(Node::as_str).unwrap_or("");
            if !matches!(version, "1.0.0" | "0.1.0") && version_node.is_none_or(|v| v.as_scalar().is_some()) {
                let at = version_node.map_or(repo.span(repo.kind_node), |v| repo.span(v));
                cx.at(repo, at, "KNV1027", format!("Unsupported Repo spec.version {version:?}. Use version \"1.0.0\""));
            }
        }
        _ => {
            for r in &repos {
                let msg = format!("Only one Repo may be declared, but {} were found:", repos.len());
                cx.at(r, r.span(r.kind_node), "KNV2012", msg);
            }
        }
    }
}

/// Hierarchy: KNV1041, KNV1042, KNV1046 for HierarchyConfigs.
fn hierarchy_configs(cx: &mut Cx, objs: &[Obj], scopes: &[Option<bool>]) {
    let cluster_kinds: HashSet<(&str, &str)> = objs
        .iter()
        .zip(scopes)
        .filter(|(o, s)| o.top_dir() == Some("cluster") && **s == Some(false))
        .map(|(o, _)| (o.group, o.kind))
        .collect();
    for o in objs.iter().filter(|o| o.is(CM_GROUP, "HierarchyConfig")) {
        let resources = o.node.get("spec").and_then(|s| s.get("resources")).map(Node::items).unwrap_or_default();
        for r in resources {
            let group = r.get("group").and_then(Node::as_str).unwrap_or("");
            let kinds: Vec<(&str, Span)> = r
                .get("kinds")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(|k| (k.as_str().unwrap_or(""), o.span(k)))
                .collect();
            let first_gk = group_kind(group, kinds.first().map_or("", |k| k.0));
            if let Some(mode) = r.get("hierarchyMode").filter(|m| !m.is_null())
                && !matches!(mode.as_str(), Some("" | "none" | "inherit"))
            {
                let msg = format!(
                    "HierarchyMode {:?} is not valid for the APIResource {first_gk:?}. Allowed values are [none,inherit].",
                    mode.as_str().unwrap_or("")
                );
                cx.at(o, o.span(mode), "KNV1042", msg);
            }
            let whole = r.get_entry("kinds").map_or(o.span(r), |e| o.span(&e.key));
            let gks = if kinds.is_empty() { vec![("", whole)] } else { kinds };
            for (kind, span) in gks {
                let gk = group_kind(group, kind);
                if (group.is_empty() && kind == "Namespace") || group == CM_GROUP || kind.is_empty() {
                    cx.at(
                        o,
                        span,
                        "KNV1041",
                        format!("The {gk:?} APIResource must not be declared in a HierarchyConfig:"),
                    );
                } else if cluster_kinds.contains(&(group, kind)) {
                    let msg = format!(
                        "This HierarchyConfig names the APIResource {gk:?}, which is cluster-scoped. HierarchyConfigs may only name namespace-scoped kinds."
                    );
                    cx.at(o, span, "KNV1046", msg);
                }
            }
        }
    }
}

/// The `namespaces/` tree of a hierarchy root.
struct Tree<'o, 'a> {
    /// Namespace directories and their Namespace.
    dirs: Vec<(&'a Path, &'o Obj<'a>)>,
    /// Per object: the namespace its directory gives it (objects of a namespace directory).
    namespace_of: Vec<Option<&'a str>>,
    /// Objects of the tree (what nomos places in the namespaces/ hierarchy).
    members: Vec<usize>,
}

fn is_ephemeral(o: &Obj) -> bool {
    o.group == CM_GROUP && matches!(o.kind, "NamespaceSelector" | "Sync" | "Repo" | "HierarchyConfig")
}

impl<'o, 'a> Tree<'o, 'a> {
    fn new(objs: &'o [Obj<'a>], scopes: &[Option<bool>]) -> Self {
        let dirs = namespace_dirs(objs);
        let namespace_of = objs
            .iter()
            .map(|o| {
                let in_tree = o.top_dir() == Some("namespaces") && !o.is_namespace() && SelectorKind::of(o).is_none();
                let base = o.dir().file_name().and_then(|n| n.to_str())?;
                (in_tree && o.namespace.is_empty() && dirs.iter().any(|(_, ns)| ns.name == base)).then_some(base)
            })
            .collect();
        let members = (0..objs.len())
            .filter(|&i| {
                let o = &objs[i];
                o.top_dir() == Some("namespaces")
                    && (o.is_namespace() || scopes[i] != Some(false))
                    && SelectorKind::of(o).is_none()
            })
            .collect();
        Tree { dirs, namespace_of, members }
    }

    fn is_namespace_dir(&self, dir: &Path) -> bool {
        self.dirs.iter().any(|(d, _)| *d == dir)
    }

    /// KNV1003, KNV1044, KNV2012 (several Namespaces in one directory), KNV1038, KNV1007.
    fn rules(&self, cx: &mut Cx, objs: &[Obj]) {
        let mut by_dir: HashMap<&Path, Vec<&Obj>> = HashMap::new();
        for &i in &self.members {
            by_dir.entry(objs[i].dir()).or_default().push(&objs[i]);
        }
        // Directories that hold a Namespace object of any name.
        let ns_dirs: HashSet<&Path> =
            by_dir.iter().filter(|(_, os)| os.iter().any(|o| o.is_namespace())).map(|(d, _)| *d).collect();
        let mut dirs: Vec<&Path> = by_dir.keys().copied().collect();
        dirs.sort();
        for dir in &dirs {
            let here = &by_dir[dir];
            let namespaces: Vec<&&Obj> = here.iter().filter(|o| o.is_namespace()).collect();
            if namespaces.len() > 1 {
                for n in &namespaces {
                    let msg = format!(
                        "A directory may declare only one Namespace, but {} has {}:",
                        dir.display(),
                        namespaces.len()
                    );
                    cx.at(n, n.span(n.kind_node), "KNV2012", msg);
                }
            }
            // A Namespace directly in namespaces/ is KNV1019, not a namespace directory.
            if let Some(ns) = namespaces.first().filter(|_| *dir != Path::new("namespaces")) {
                // Direct subdirectories that hold objects somewhere below.
                let mut children: Vec<&str> = dirs
                    .iter()
                    .filter(|d| d.starts_with(dir) && *d != dir)
                    .filter_map(|d| d.strip_prefix(dir).ok()?.components().next()?.as_os_str().to_str())
                    .collect();
                children.sort_unstable();
                children.dedup();
                let parent = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
                for child in children {
                    let msg = format!(
                        "A Namespace directory must not have subdirectories. Restructure {parent:?} so that it has no subdirectory {child:?}:\n\npath: {}/",
                        dir.join(child).display()
                    );
                    cx.at(ns, ns.span(ns.kind_node), "KNV1003", msg);
                }
                continue;
            }
            // Below a namespace directory only KNV1003 applies: nomos does not descend further.
            if ns_dirs.iter().any(|d| dir.starts_with(d) && d != dir && *d != Path::new("namespaces")) {
                continue;
            }
            let syncable = here.iter().find(|o| !is_ephemeral(o));
            let Some(first) = syncable else { continue };
            let has_children = dirs.iter().any(|d| d.starts_with(dir) && d != dir);
            let has_namespace_below = ns_dirs.iter().any(|d| d.starts_with(dir) && d != dir);
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let msg = if !has_children {
                format!(
                    "The directory {name:?} has objects but no Namespace. Every bottom-level subdirectory needs a Namespace."
                )
            } else if !has_namespace_below {
                format!(
                    "The abstract namespace directory {name:?} has objects and subdirectories, but none of its subdirectories is a Namespace. An abstract namespace needs at least one Namespace subdirectory."
                )
            } else {
                continue;
            };
            cx.at(first, first.span(first.kind_node), "KNV1044", format!("{msg}\n\npath: {}/", dir.display()));
        }
        for o in objs.iter().filter(|o| SelectorKind::of(o) == Some(SelectorKind::Namespace)) {
            if ns_dirs.contains(o.dir()) {
                let msg = "Objects of this Kind must not be declared in a Namespace directory of `namespaces/`:";
                cx.at(o, o.span(o.kind_node), "KNV1038", msg);
            }
        }
        let none_kinds = hierarchy_none_kinds(objs);
        for &i in &self.members {
            let o = &objs[i];
            if ns_dirs.contains(o.dir()) || is_ephemeral(o) || !none_kinds.contains(&(o.group, o.kind)) {
                continue;
            }
            let msg = format!(
                "Object {:?} is declared in an abstract namespace directory, which its kind does not allow. Move it to a namespace directory:",
                o.name
            );
            cx.at(o, o.span(o.kind_node), "KNV1007", msg);
        }
    }

    /// The (object, namespace) pairs after inheritance: objects of namespace directories stay,
    /// objects of abstract directories are copied into every namespace below that their
    /// NamespaceSelector (if any) selects.
    fn placements(&self, objs: &[Obj], selectors: &HashMap<&str, LabelSelector>) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for &i in &self.members {
            let o = &objs[i];
            if o.is_namespace() || is_ephemeral(o) {
                continue;
            }
            if self.is_namespace_dir(o.dir()) {
                out.push((i, self.namespace_of[i].unwrap_or(o.namespace).to_string()));
                continue;
            }
            let selector = o.annotation_value(NS_SELECTOR_ANNOTATION).map(|name| selectors.get(name));
            for (_, ns) in landing(&self.dirs, o.dir()) {
                let selected = match selector {
                    None => true,
                    Some(Some(s)) => s.matches(&ns.labels_map()),
                    Some(None) => false,
                };
                if selected {
                    out.push((i, ns.name.to_string()));
                }
            }
        }
        out
    }
}

/// Kinds whose HierarchyConfig sets `hierarchyMode: none`.
fn hierarchy_none_kinds<'a>(objs: &[Obj<'a>]) -> HashSet<(&'a str, &'a str)> {
    let mut out = HashSet::new();
    for o in objs.iter().filter(|o| o.is(CM_GROUP, "HierarchyConfig")) {
        for r in o.node.get("spec").and_then(|s| s.get("resources")).map(Node::items).unwrap_or_default() {
            if r.get("hierarchyMode").and_then(Node::as_str) != Some("none") {
                continue;
            }
            let group = r.get("group").and_then(Node::as_str).unwrap_or("");
            for k in r.get("kinds").map(Node::items).unwrap_or_default() {
                out.insert((group, k.as_str().unwrap_or("")));
            }
        }
    }
    out
}

/// KNV1029 (same Group, Kind, namespace and name after hydration) and KNV1056 (managed objects
/// in unmanaged Namespaces), over the objects that would be applied.
fn final_rules(cx: &mut Cx, objs: &[Obj], scopes: &[Option<bool>], tree: Option<&Tree>, default_ns: &str) {
    let applied = |o: &Obj| {
        let config_only = SelectorKind::of(o).is_some()
            || o.is(CLUSTER_REGISTRY_GROUP, "Cluster")
            || (o.group == CM_GROUP && matches!(o.kind, "Repo" | "HierarchyConfig"));
        !config_only && !o.name.is_empty()
    };
    let selectors: HashMap<&str, LabelSelector> = objs
        .iter()
        .filter(|o| SelectorKind::of(o) == Some(SelectorKind::Namespace))
        .filter_map(|o| Some((o.name, LabelSelector::parse(o.node.get("spec")?.get("selector")?).ok()?)))
        .collect();
    let namespaces: Vec<&Obj> = objs.iter().filter(|o| o.is_namespace()).collect();
    // (object index, effective namespace)
    let mut placed: Vec<(usize, String)> = Vec::new();
    match tree {
        Some(t) => {
            placed.extend(t.placements(objs, &selectors));
            for (i, o) in objs.iter().enumerate() {
                let in_tree = t.members.contains(&i) && !o.is_namespace();
                if !in_tree && (o.top_dir() == Some("cluster") || o.is_namespace()) {
                    placed.push((i, String::new()));
                }
            }
        }
        None => {
            for (i, o) in objs.iter().enumerate() {
                let namespaced = scopes[i] == Some(true);
                match o.annotation_value(NS_SELECTOR_ANNOTATION).filter(|_| namespaced && o.namespace.is_empty()) {
                    Some(name) => {
                        let Some(s) = selectors.get(name) else { continue };
                        for ns in namespaces.iter().filter(|n| s.matches(&n.labels_map())) {
                            placed.push((i, ns.name.to_string()));
                        }
                    }
                    None if namespaced && o.namespace.is_empty() => placed.push((i, default_ns.to_string())),
                    None => placed.push((i, o.namespace.to_string())),
                }
            }
        }
    }
    placed.retain(|(i, _)| applied(&objs[*i]));
    placed.sort();
    placed.dedup();

    // Objects that differ in cluster selection may both be fine: they never meet on one cluster.
    fn cluster_key<'a>(o: &Obj<'a>) -> (&'a str, &'a str) {
        let get = |key| o.annotation_value(key).unwrap_or("");
        (get(CLUSTER_SELECTOR_ANNOTATION), get(CLUSTER_NAME_SELECTOR_ANNOTATION))
    }
    // Group, Kind, namespace, name, and the cluster selection.
    type Key<'k> = (&'k str, &'k str, &'k str, &'k str, (&'k str, &'k str));
    let mut groups: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, ns) in &placed {
        let o = &objs[*i];
        groups.entry((o.group, o.kind, ns.as_str(), o.name, cluster_key(o))).or_default().push(*i);
    }
    let mut reported = HashSet::new();
    let mut keys: Vec<_> = groups.keys().copied().collect();
    keys.sort();
    for key in keys {
        let members = &groups[&key];
        if members.len() < 2 {
            continue;
        }
        let (group, kind, ns, name, _) = key;
        let gk = group_kind(group, kind);
        let n = members.len();
        let msg = if group.is_empty() && kind == "Namespace" {
            format!("Namespaces need unique names. Found {n} Namespaces named {name:?}. Rename or merge them:")
        } else if ns.is_empty() {
            format!(
                "Cluster-scoped objects of one Group and Kind need unique names. Found {n} objects of GroupKind {gk:?} named {name:?}. Rename or delete the duplicates:"
            )
        } else {
            format!(
                "Namespace-scoped objects of one Group and Kind need unique names within a Namespace. Found {n} objects of GroupKind {gk:?} in Namespace {ns:?} named {name:?}. Rename or delete the duplicates:"
            )
        };
        for &i in members {
            if reported.insert(i) {
                let o = &objs[i];
                cx.at(o, o.anchor(), "KNV1029", msg.clone());
            }
        }
    }

    let disabled = |o: &Obj| o.annotation_value(MANAGED_ANNOTATION) == Some("disabled");
    let unmanaged: HashSet<&str> = namespaces.iter().filter(|n| disabled(n)).map(|n| n.name).collect();
    let mut flagged = HashSet::new();
    for (i, ns) in &placed {
        let o = &objs[*i];
        if ns.is_empty() || disabled(o) || !unmanaged.contains(ns.as_str()) || !flagged.insert(*i) {
            continue;
        }
        let msg = format!(
            "Managed objects must not be declared in unmanaged Namespaces. Namespace {ns:?} is marked unmanaged but holds managed objects. Remove the managed: disabled annotation from Namespace {ns:?}, or mark its objects unmanaged with the configmanagement.gke.io/managed: disabled annotation."
        );
        let at = o.namespace_node.map_or(o.anchor(), |n| o.span(n));
        cx.at(o, at, "KNV1056", msg);
    }
}
