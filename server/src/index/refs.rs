//! The names one object refers to (ConfigMaps, Secrets, ServiceAccounts, Flux sources…) and
//! the objects it makes exist besides itself (an ExternalSecret's Secret).

use crate::yaml::{Node, NodeKind, Span};

/// A reference by name from one object to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub group: String,
    pub kind: String,
    pub name: String,
    /// Written namespace; `None` means the referring object's own (or none for cluster-scoped
    /// targets).
    pub namespace: Option<String>,
    /// The name's scalar, in absolute offsets.
    pub span: Span,
    /// `optional: true`: a missing target is not a problem.
    pub optional: bool,
}

/// An object another one makes exist (group, kind, name), e.g. the Secret of an ExternalSecret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Implied {
    pub group: String,
    pub kind: String,
    pub name: String,
    /// When not the object's own namespace.
    pub namespace: Option<String>,
}

/// A directory a GitOps tool applies, relative to the repository root (Flux
/// `Kustomization.spec.path`, Argo CD `Application` source paths, Config Sync `git.dir`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applies {
    pub path: String,
    pub span: Span,
    /// Known to be this repository (a Flux source named `flux-system`, bootstrap's own), so the
    /// directory must exist here.
    pub this_repository: bool,
    /// The repository URL the tool fetches the path from (Argo CD's `repoURL`).
    pub repo_url: Option<String>,
    /// Files the tool reads below the path (Argo CD's `helm.valueFiles`), with their spans.
    pub files: Vec<(String, Span)>,
}

/// Kinds whose objects have no namespace (built-in ones; a CRD's scope is not known here).
pub fn is_cluster_scoped_target(group: &str, kind: &str) -> bool {
    crate::k8s::scope::builtin_namespaced(group, kind) == Some(false)
}

/// What exists without being declared: built-in objects of every cluster.
pub fn is_builtin(group: &str, kind: &str, name: &str) -> bool {
    match (group, kind) {
        ("", "ServiceAccount") => name == "default",
        ("", "Namespace") => matches!(name, "default" | "kube-system" | "kube-public" | "kube-node-lease"),
        ("", "ConfigMap") => name == "kube-root-ca.crt",
        ("rbac.authorization.k8s.io", "ClusterRole") => {
            matches!(name, "cluster-admin" | "admin" | "edit" | "view") || name.starts_with("system:")
        }
        ("scheduling.k8s.io", "PriorityClass") => matches!(name, "system-cluster-critical" | "system-node-critical"),
        ("argoproj.io", "AppProject") => name == "default",
        _ => false,
    }
}

/// The group of an `apiVersion` (`""` for the core group).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

struct Collector {
    start: usize,
    refs: Vec<Reference>,
}

impl Collector {
    fn push(&mut self, group: &str, kind: &str, name: Option<&Node>, namespace: Option<&str>, optional: bool) {
        let Some(node) = name else { return };
        let Some(text) = node.as_str().filter(|s| !s.is_empty()) else { return };
        self.refs.push(Reference {
            group: group.to_string(),
            kind: kind.to_string(),
            name: text.to_string(),
            namespace: namespace.filter(|s| !s.is_empty()).map(str::to_string),
            span: node.span.shift(self.start),
            optional,
        });
    }

    /// `{name, optional}` mappings such as `configMapRef`.
    fn named(&mut self, group: &str, kind: &str, node: Option<&Node>, name_key: &str) {
        let Some(node) = node else { return };
        let optional = node.get("optional").and_then(Node::as_scalar).is_some_and(|s| &*s.value == "true");
        self.push(group, kind, node.get(name_key), None, optional);
    }

    fn pod_spec(&mut self, spec: &Node) {
        self.push("", "ServiceAccount", spec.get("serviceAccountName").or(spec.get("serviceAccount")), None, false);
        self.push("scheduling.k8s.io", "PriorityClass", spec.get("priorityClassName"), None, false);
        for s in spec.get("imagePullSecrets").map(Node::items).unwrap_or_default() {
            self.push("", "Secret", s.get("name"), None, false);
        }
        for field in ["initContainers", "containers", "ephemeralContainers"] {
            for c in spec.get(field).map(Node::items).unwrap_or_default() {
                for env in c.get("env").map(Node::items).unwrap_or_default() {
                    let from = env.get("valueFrom");
                    self.named("", "ConfigMap", from.and_then(|f| f.get("configMapKeyRef")), "name");
                    self.named("", "Secret", from.and_then(|f| f.get("secretKeyRef")), "name");
                }
                for from in c.get("envFrom").map(Node::items).unwrap_or_default() {
                    self.named("", "ConfigMap", from.get("configMapRef"), "name");
                    self.named("", "Secret", from.get("secretRef"), "name");
                }
            }
        }
        for v in spec.get("volumes").map(Node::items).unwrap_or_default() {
            self.named("", "ConfigMap", v.get("configMap"), "name");
            self.named("", "Secret", v.get("secret"), "secretName");
            self.push(
                "",
                "PersistentVolumeClaim",
                v.get("persistentVolumeClaim").and_then(|p| p.get("claimName")),
                None,
                false,
            );
            let sources = v.get("projected").and_then(|p| p.get("sources"));
            for s in sources.map(Node::items).unwrap_or_default() {
                self.named("", "ConfigMap", s.get("configMap"), "name");
                self.named("", "Secret", s.get("secret"), "name");
            }
        }
    }
}

fn path<'a>(node: &'a Node, keys: &[&str]) -> Option<&'a Node> {
    keys.iter().try_fold(node, |n, k| n.get(k))
}

fn text(node: Option<&Node>) -> Option<&str> {
    node.and_then(Node::as_str).filter(|s| !s.is_empty())
}

/// The references of one object (`start`: where its document starts in the file).
pub fn references(group: &str, kind: &str, object: &Node, start: usize) -> Vec<Reference> {
    let mut c = Collector { start, refs: Vec::new() };
    let spec = object.get("spec");
    match (group, kind) {
        ("", "Pod") => c.pod_spec_opt(spec),
        ("apps" | "", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController")
        | ("batch", "Job") => c.pod_spec_opt(spec.and_then(|s| path(s, &["template", "spec"]))),
        ("batch", "CronJob") => {
            c.pod_spec_opt(spec.and_then(|s| path(s, &["jobTemplate", "spec", "template", "spec"])))
        }
        ("", "PersistentVolumeClaim") => {
            c.push("storage.k8s.io", "StorageClass", spec.and_then(|s| s.get("storageClassName")), None, false)
        }
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            if let Some(role) = object.get("roleRef") {
                let kind = text(role.get("kind")).unwrap_or("ClusterRole");
                if matches!(kind, "Role" | "ClusterRole") {
                    c.push("rbac.authorization.k8s.io", kind, role.get("name"), None, false);
                }
            }
            for s in object.get("subjects").map(Node::items).unwrap_or_default() {
                if text(s.get("kind")) == Some("ServiceAccount") {
                    c.push("", "ServiceAccount", s.get("name"), text(s.get("namespace")), false);
                }
            }
        }
        ("networking.k8s.io", "Ingress") => {
            let Some(spec) = spec else { return c.refs };
            c.push("", "Service", path(spec, &["defaultBackend", "service", "name"]), None, false);
            for rule in spec.get("rules").map(Node::items).unwrap_or_default() {
                for p in rule.get("http").and_then(|h| h.get("paths")).map(Node::items).unwrap_or_default() {
                    c.push("", "Service", path(p, &["backend", "service", "name"]), None, false);
                }
            }
            for tls in spec.get("tls").map(Node::items).unwrap_or_default() {
                c.push("", "Secret", tls.get("secretName"), None, false);
            }
        }
        ("gateway.networking.k8s.io", "HTTPRoute" | "GRPCRoute" | "TCPRoute" | "TLSRoute" | "UDPRoute") => {
            for rule in spec.and_then(|s| s.get("rules")).map(Node::items).unwrap_or_default() {
                for b in rule.get("backendRefs").map(Node::items).unwrap_or_default() {
                    let group = text(b.get("group")).unwrap_or("");
                    let kind = text(b.get("kind")).unwrap_or("Service");
                    if (group, kind) == ("", "Service") {
                        c.push("", "Service", b.get("name"), text(b.get("namespace")), false);
                    }
                }
            }
        }
        ("autoscaling", "HorizontalPodAutoscaler") => {
            if let Some(target) = spec.and_then(|s| s.get("scaleTargetRef")) {
                let api = text(target.get("apiVersion")).unwrap_or("apps/v1");
                if let Some(kind) = text(target.get("kind")) {
                    c.push(group_of(api), kind, target.get("name"), None, false);
                }
            }
        }
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
            let Some(spec) = spec else { return c.refs };
            c.source_ref(spec.get("sourceRef"));
            c.depends_on(spec, "kustomize.toolkit.fluxcd.io", "Kustomization");
            for s in path(spec, &["postBuild", "substituteFrom"]).map(Node::items).unwrap_or_default() {
                c.typed_ref(s);
            }
        }
        ("helm.toolkit.fluxcd.io", "HelmRelease") => {
            let Some(spec) = spec else { return c.refs };
            c.source_ref(path(spec, &["chart", "spec", "sourceRef"]));
            c.source_ref(spec.get("chartRef"));
            c.depends_on(spec, "helm.toolkit.fluxcd.io", "HelmRelease");
            for v in spec.get("valuesFrom").map(Node::items).unwrap_or_default() {
                c.typed_ref(v);
            }
        }
        ("image.toolkit.fluxcd.io", "ImagePolicy") => {
            if let Some(r) = spec.and_then(|s| s.get("imageRepositoryRef")) {
                c.push("image.toolkit.fluxcd.io", "ImageRepository", r.get("name"), text(r.get("namespace")), false);
            }
        }
        ("image.toolkit.fluxcd.io", "ImageUpdateAutomation") => c.source_ref(spec.and_then(|s| s.get("sourceRef"))),
        ("argoproj.io", "Application") => {
            c.push("argoproj.io", "AppProject", spec.and_then(|s| s.get("project")), None, false)
        }
        _ => {}
    }
    c.refs
}

impl Collector {
    fn pod_spec_opt(&mut self, spec: Option<&Node>) {
        if let Some(spec) = spec {
            self.pod_spec(spec);
        }
    }

    /// Flux `sourceRef` / `chartRef`: `{kind, name, namespace}`.
    fn source_ref(&mut self, node: Option<&Node>) {
        let Some(node) = node else { return };
        let Some(kind) = text(node.get("kind")) else { return };
        let group = match kind {
            "GitRepository" | "OCIRepository" | "HelmRepository" | "Bucket" | "HelmChart" | "ExternalArtifact" => {
                "source.toolkit.fluxcd.io"
            }
            _ => return,
        };
        self.push(group, kind, node.get("name"), text(node.get("namespace")), false);
    }

    fn depends_on(&mut self, spec: &Node, group: &str, kind: &str) {
        for d in spec.get("dependsOn").map(Node::items).unwrap_or_default() {
            self.push(group, kind, d.get("name"), text(d.get("namespace")), false);
        }
    }

    /// Flux `valuesFrom` / `substituteFrom`: `{kind: ConfigMap|Secret, name, optional}`.
    fn typed_ref(&mut self, node: &Node) {
        let Some(kind @ ("ConfigMap" | "Secret")) = text(node.get("kind")) else { return };
        let optional = node.get("optional").and_then(Node::as_scalar).is_some_and(|s| &*s.value == "true");
        self.push("", kind, node.get("name"), None, optional);
    }
}

/// Objects that exist because this one does (controllers that write a Secret of a known name).
pub fn implied(group: &str, kind: &str, object: &Node) -> Vec<Implied> {
    let spec = object.get("spec");
    let name = text(path(object, &["metadata", "name"]));
    let secret = |n: Option<&str>| {
        n.map(|n| Implied { group: String::new(), kind: "Secret".into(), name: n.into(), namespace: None })
    };
    let one = match (group, kind) {
        ("external-secrets.io", "ExternalSecret") => {
            secret(text(spec.and_then(|s| path(s, &["target", "name"]))).or(name))
        }
        ("bitnami.com", "SealedSecret") => {
            secret(text(spec.and_then(|s| path(s, &["template", "metadata", "name"]))).or(name))
        }
        ("cert-manager.io", "Certificate") => secret(text(spec.and_then(|s| s.get("secretName")))),
        ("secrets.hashicorp.com", "VaultStaticSecret" | "VaultDynamicSecret") => {
            secret(text(spec.and_then(|s| path(s, &["destination", "name"]))))
        }
        ("onepassword.com", "OnePasswordItem") => secret(name),
        _ => None,
    };
    let mut out: Vec<Implied> = one.into_iter().collect();
    // The Flux Operator's instance makes the cluster's own source and Kustomization.
    if (group, kind) == ("fluxcd.controlplane.io", "FluxInstance") {
        for (g, k) in [
            ("source.toolkit.fluxcd.io", "GitRepository"),
            ("source.toolkit.fluxcd.io", "OCIRepository"),
            ("source.toolkit.fluxcd.io", "Bucket"),
            ("kustomize.toolkit.fluxcd.io", "Kustomization"),
        ] {
            out.push(Implied { group: g.into(), kind: k.into(), name: "flux-system".into(), namespace: None });
        }
    }
    out
}

/// Whether an object makes the cluster run things nobody can see in the repository (Helm
/// charts): references to names it may create cannot be judged.
pub fn renders_unseen(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("helm.toolkit.fluxcd.io", "HelmRelease")
            | ("fluxcd.controlplane.io", "FluxInstance")
            | ("argoproj.io", "Application" | "ApplicationSet")
            | ("helm.cattle.io", "HelmChart")
    )
}

/// The directories an object makes a GitOps tool apply.
pub fn applies(group: &str, kind: &str, object: &Node, start: usize) -> Vec<Applies> {
    let spec = object.get("spec");
    let mut out = Vec::new();
    let mut push = |node: Option<&Node>, this_repository: bool, source: Option<&Node>| {
        if let Some(n) = node
            && let Some(p) = n.as_str().filter(|p| !p.is_empty() && !p.contains("${"))
        {
            let repo_url = source.and_then(|s| text(s.get("repoURL"))).map(str::to_string);
            // `$ref/…` values come from another source; URLs are fetched.
            let files = source
                .and_then(|s| path(s, &["helm", "valueFiles"]))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|f| {
                    let v = f.as_str().filter(|v| !v.starts_with('$') && !v.contains("://") && !v.is_empty())?;
                    Some((v.to_string(), f.span.shift(start)))
                })
                .collect();
            out.push(Applies { path: p.to_string(), span: n.span.shift(start), this_repository, repo_url, files });
        }
    };
    match (group, kind) {
        ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
            let source = spec.and_then(|s| s.get("sourceRef"));
            let own = source.is_some_and(|s| {
                text(s.get("name")) == Some("flux-system")
                    && matches!(text(s.get("kind")), Some("GitRepository" | "OCIRepository"))
            });
            // Without `path` Flux applies the source's root.
            push(spec.and_then(|s| s.get("path")), own, None);
        }
        ("argoproj.io", "Application") => {
            let source = spec.and_then(|s| s.get("source"));
            push(source.and_then(|s| s.get("path")), false, source);
            for s in spec.and_then(|s| s.get("sources")).map(Node::items).unwrap_or_default() {
                push(s.get("path"), false, Some(s));
            }
        }
        ("configsync.gke.io", "RootSync" | "RepoSync") => {
            push(spec.and_then(|s| path(s, &["git", "dir"])), false, None)
        }
        _ => {}
    }
    out
}

fn string_pairs(node: Option<&Node>) -> Vec<(String, String)> {
    node.map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| Some((e.key.as_str()?.to_string(), e.value.as_scalar()?.value.to_string())))
        .collect()
}

/// The labels of a workload's pods (`None` for objects that run none).
pub fn pod_labels(group: &str, kind: &str, object: &Node) -> Option<Vec<(String, String)>> {
    let spec = object.get("spec");
    let template = match (group, kind) {
        ("", "Pod") => return Some(string_pairs(path(object, &["metadata", "labels"]))),
        ("apps" | "", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController")
        | ("batch", "Job") => spec?.get("template")?,
        ("batch", "CronJob") => path(spec?, &["jobTemplate", "spec", "template"])?,
        _ => return None,
    };
    Some(string_pairs(path(template, &["metadata", "labels"])))
}

/// A Service's pod selector and where it is written.
pub fn service_selector(group: &str, kind: &str, object: &Node, start: usize) -> Option<(Vec<(String, String)>, Span)> {
    if (group, kind) != ("", "Service") {
        return None;
    }
    let selector = object.get("spec")?.get_entry("selector")?;
    let pairs = string_pairs(Some(&selector.value));
    (!pairs.is_empty()).then(|| (pairs, selector.key.span.shift(start)))
}

/// Where `${VAR}` without a default is written in an object's string values (none when the
/// object opts out of substitution).
pub fn variables(object: &Node, start: usize) -> Vec<(String, Span)> {
    if crate::k8s::gitops::substitution_disabled(object) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for n in object.descendants() {
        let Some(s) = n.as_scalar().filter(|s| s.value.contains("${")) else { continue };
        for (name, range) in crate::k8s::gitops::undefaulted_variables(&s.value) {
            // A plain scalar's text is its value; elsewhere the whole scalar is the place.
            let span = if s.style == crate::yaml::ScalarStyle::Plain && n.span.len() == s.value.len() {
                Span::new(n.span.start + range.start, n.span.start + range.end)
            } else {
                n.span
            };
            out.push((name, span.shift(start)));
        }
    }
    out
}

/// A Flux Kustomization's `postBuild.substitute` variables.
pub fn substitute(group: &str, kind: &str, object: &Node) -> Option<Vec<(String, String)>> {
    if (group, kind) != ("kustomize.toolkit.fluxcd.io", "Kustomization") {
        return None;
    }
    let post_build = path(object, &["spec", "postBuild"])?;
    Some(string_pairs(post_build.get("substitute")))
}

/// Longest ConfigMap value kept for hover.
const MAX_KEPT_VALUE: usize = 200;

/// The keys of a ConfigMap or Secret (values of a ConfigMap, cut short; never a Secret's).
pub fn data(group: &str, kind: &str, object: &Node) -> Vec<(String, Option<String>)> {
    let fields: &[&str] = match (group, kind) {
        ("", "ConfigMap") => &["data"],
        ("", "Secret") => &["data", "stringData"],
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for f in fields {
        for e in object.get(f).map(Node::entries).unwrap_or_default() {
            let Some(key) = e.key.as_str() else { continue };
            let value = (kind == "ConfigMap")
                .then(|| e.value.as_scalar().map(|s| s.value.chars().take(MAX_KEPT_VALUE).collect::<String>()))
                .flatten();
            out.push((key.to_string(), value));
        }
    }
    out
}

/// Flux image automation's API group.
pub const IMAGE_GROUP: &str = "image.toolkit.fluxcd.io";

/// A Flux image automation setter: `# {"$imagepolicy": "NAMESPACE:NAME[:tag|:name|:digest]"}`
/// on the line of the value Flux rewrites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageMarker {
    pub namespace: String,
    pub policy: String,
    /// `tag`, `name` or `digest`; `None`: the whole image reference.
    pub field: Option<String>,
    /// The scalar on the marker's line (the image, or its tag or name part).
    pub value: Option<String>,
    /// The policy's name inside the comment, in absolute offsets.
    pub span: Span,
}

/// The image policy markers in the comments of one document whose tree is `root` (`start`: the
/// document's offset). The marked value is the scalar that ends last before the comment: the
/// one on its line, since a setter follows its value.
pub fn image_markers(comments: &[crate::yaml::Comment], start: usize, root: &Node) -> Vec<ImageMarker> {
    let mut out = Vec::new();
    for c in comments {
        let Some(at) = c.text.find("\"$imagepolicy\"") else { continue };
        let rest = &c.text[at + "\"$imagepolicy\"".len()..];
        let Some(colon) = rest.find(':') else { continue };
        let after = rest[colon + 1..].trim_start();
        let Some(body) = after.strip_prefix('"') else { continue };
        let Some(end) = body.find('"') else { continue };
        let value = &body[..end];
        let mut parts = value.splitn(3, ':');
        let (Some(namespace), Some(policy)) = (parts.next(), parts.next()) else { continue };
        if namespace.is_empty() || policy.is_empty() {
            continue;
        }
        // Offsets inside the comment's text, which starts at its span.
        let body_at = at + "\"$imagepolicy\"".len() + colon + 1 + (rest[colon + 1..].len() - after.len()) + 1;
        let name_at = c.span.start + start + body_at + namespace.len() + 1;
        out.push(ImageMarker {
            namespace: namespace.to_string(),
            policy: policy.to_string(),
            field: parts.next().map(str::to_string),
            value: scalar_before(root, c.span.start),
            span: Span::new(name_at, name_at + policy.len()),
        });
    }
    out
}

/// The value scalar of `root`'s tree that ends last at or before `offset` (document-relative).
fn scalar_before(root: &Node, offset: usize) -> Option<String> {
    let mut best: Option<&Node> = None;
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.span.start > offset {
            continue;
        }
        match &n.kind {
            NodeKind::Scalar(_) if n.span.end <= offset && best.is_none_or(|b| b.span.end < n.span.end) => {
                best = Some(n)
            }
            NodeKind::Mapping(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            NodeKind::Sequence(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    best.and_then(Node::as_str).map(str::to_string)
}

/// An ImageRepository's `spec.image`.
pub fn image_repository(group: &str, kind: &str, object: &Node) -> Option<String> {
    if (group, kind) != ("image.toolkit.fluxcd.io", "ImageRepository") {
        return None;
    }
    text(object.get("spec").and_then(|s| s.get("image"))).map(str::to_string)
}

/// A git URL in one spelling for comparison: no scheme, user, `.git` suffix, port or trailing
/// slash, `host:path` (scp-like) as `host/path`, all in lower case (as Argo CD compares them).
pub fn normalize_repo_url(url: &str) -> String {
    let url = url.trim();
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest,
        // `git@github.com:org/repo.git`
        None => &url.replacen(':', "/", 1),
    };
    let rest = rest.rsplit_once('@').filter(|(user, _)| !user.contains('/')).map_or(rest, |(_, r)| r);
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let spelled = match rest.split_once('/') {
        Some((host, path)) => format!("{}/{path}", host.split(':').next().unwrap_or(host)),
        None => rest.to_string(),
    };
    spelled.to_ascii_lowercase()
}
