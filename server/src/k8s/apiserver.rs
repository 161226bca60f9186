//! Checks the API server makes in its validation code, beyond what the OpenAPI schema says
//! (Kubernetes' `pkg/apis/core/validation`, `apps/validation`, `batch/validation`): names,
//! restart policies, ports, container and volume names, selectors, requests and limits,
//! probe handlers. Each rule has its own code; every message says what to change.
//!
//! The rules read the decoded object (aliases and merge keys expanded, Flux defaults applied)
//! along fixed paths, so nothing here recurses on the input. A value a GitOps tool fills in
//! later ([`gitops::is_opaque`]) is never judged.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::gitops::is_opaque;
use super::quantity::Quantity;

/// One step of a path into the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Which range of the path a problem covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// The value at the path.
    Value,
    /// The key of the entry at the path.
    Key,
    /// The object at the path lacks a field: its key (or a list item's first key).
    Missing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: Vec<Step>,
    pub at: At,
    pub code: &'static str,
    pub message: String,
}

/// What is known about the object besides its content.
#[derive(Clone, Copy, Debug)]
pub struct Scope {
    /// The kind is an API object (built in, or a CRD's): it needs a name.
    pub named_object: bool,
}

/// Every rule code, for documentation and tests.
pub const CODES: &[&str] = &[
    "k8s-name-required",
    "k8s-restart-policy",
    "k8s-port-range",
    "k8s-port-name",
    "k8s-duplicate-port-name",
    "k8s-service-port-name-required",
    "k8s-container-name",
    "k8s-duplicate-container-name",
    "k8s-volume-name",
    "k8s-duplicate-volume-name",
    "k8s-volume-not-found",
    "k8s-duplicate-mount-path",
    "k8s-image-required",
    "k8s-selector-empty",
    "k8s-selector-mismatch",
    "k8s-requests-exceed-limits",
    "k8s-probe-handler",
    "k8s-probe-success-threshold",
    "k8s-lifecycle-handler",
];

struct Cx {
    kind: String,
    out: Vec<Problem>,
}

fn key(k: &str) -> Step {
    Step::Key(k.to_string())
}

fn join(base: &[Step], more: &[Step]) -> Vec<Step> {
    base.iter().chain(more).cloned().collect()
}

/// `Deployment.spec.template.spec.containers[0].name`, as the messages name fields.
fn show(kind: &str, path: &[Step]) -> String {
    let mut s = kind.to_string();
    for step in path {
        match step {
            Step::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

impl Cx {
    fn push(&mut self, path: Vec<Step>, at: At, code: &'static str, message: String) {
        self.out.push(Problem { path, at, code, message });
    }
    fn show(&self, path: &[Step]) -> String {
        show(&self.kind, path)
    }
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// A string that is known now (not filled in later).
fn known_str(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !is_opaque(s))
}

fn opaque(v: &Value) -> bool {
    v.as_str().is_some_and(is_opaque)
}

/// Runs every rule that applies to an object of `api_version` and `kind`.
pub fn check(api_version: &str, kind: &str, obj: &Value, scope: Scope) -> Vec<Problem> {
    let mut cx = Cx { kind: kind.to_string(), out: Vec::new() };
    if scope.named_object {
        check_name(&mut cx, obj);
    }
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let template: Option<(&[&str], Workload)> = match (group, kind) {
        ("", "Pod") => Some((&["spec"], Workload::Pod)),
        ("", "PodTemplate") => Some((&["template", "spec"], Workload::Pod)),
        ("", "ReplicationController") => Some((&["spec", "template", "spec"], Workload::Service)),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => {
            Some((&["spec", "template", "spec"], Workload::Service))
        }
        ("batch", "Job") => Some((&["spec", "template", "spec"], Workload::Job)),
        ("batch", "CronJob") => Some((&["spec", "jobTemplate", "spec", "template", "spec"], Workload::Job)),
        _ => None,
    };
    if let Some((path, workload)) = template {
        let steps: Vec<Step> = path.iter().map(|k| key(k)).collect();
        if let Some(spec) = get(obj, path) {
            let claim_templates: Vec<&str> = if kind == "StatefulSet" {
                get(obj, &["spec", "volumeClaimTemplates"])
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| get(t, &["metadata", "name"]).and_then(Value::as_str))
                    .collect()
            } else {
                Vec::new()
            };
            check_pod_spec(&mut cx, spec, &steps, &claim_templates);
            check_restart_policy(&mut cx, spec, &steps, workload, obj);
        }
        check_selector(&mut cx, group, kind, obj);
    }
    if group.is_empty() && kind == "Service" {
        check_service(&mut cx, obj);
    }
    cx.out
}

fn check_name(cx: &mut Cx, obj: &Value) {
    let meta = obj.get("metadata");
    let has = |k: &str| meta.and_then(|m| m.get(k)).is_some_and(|v| v.as_str().is_none_or(|s| !s.is_empty()));
    if has("name") || has("generateName") {
        return;
    }
    let (path, at) = match meta {
        Some(m) if m.get("name").is_some() => (vec![key("metadata"), key("name")], At::Value),
        Some(_) => (vec![key("metadata")], At::Missing),
        None => (Vec::new(), At::Missing),
    };
    cx.push(
        path,
        at,
        "k8s-name-required",
        format!("{}: name or generateName is required; set `metadata.name`", cx.show(&[key("metadata"), key("name")])),
    );
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Workload {
    Pod,
    /// Controllers that keep their pods running: Deployment, ReplicaSet, StatefulSet, DaemonSet, RC.
    Service,
    Job,
}

fn check_restart_policy(cx: &mut Cx, spec: &Value, at: &[Step], workload: Workload, obj: &Value) {
    let policy = spec.get("restartPolicy");
    let path = join(at, &[key("restartPolicy")]);
    if policy.is_some_and(opaque) {
        return;
    }
    let value = policy.and_then(Value::as_str);
    match workload {
        Workload::Pod => {}
        Workload::Service => {
            if let Some(v) = value.filter(|v| *v != "Always") {
                let message = format!(
                    "{}: Unsupported value `{v}`: supported values: `Always`; a {}'s pods are always restarted (remove the field or set `Always`)",
                    cx.show(&path),
                    cx.kind
                );
                cx.push(path, At::Value, "k8s-restart-policy", message);
            }
        }
        Workload::Job => match value {
            None | Some("Always") => {
                let message = format!(
                    "{}: Required value: valid values: `OnFailure`, `Never`; a Job's pods must be allowed to finish, and an unset policy means `Always`",
                    cx.show(&path)
                );
                let (path, at) = if value.is_some() { (path, At::Value) } else { (at.to_vec(), At::Missing) };
                cx.push(path, at, "k8s-restart-policy", message);
            }
            Some("Never") => {}
            Some(other) => {
                // `OnFailure` (or a value the schema's enum already rejects).
                let job_spec = &at[..at.len() - 2];
                let pfp = get_steps(obj, job_spec).and_then(|s| s.get("podFailurePolicy"));
                if other == "OnFailure" && pfp.is_some() {
                    let message = format!(
                        "{}: Invalid value `OnFailure`: only `Never` is supported when podFailurePolicy is specified",
                        cx.show(&path)
                    );
                    cx.push(path, At::Value, "k8s-restart-policy", message);
                }
            }
        },
    }
}

fn get_steps<'a>(v: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.get(k.as_str()),
        Step::Index(i) => v.get(*i),
    })
}

const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

fn check_pod_spec(cx: &mut Cx, spec: &Value, at: &[Step], claim_templates: &[&str]) {
    // Volumes: unique names; the set volume mounts may refer to.
    let mut volumes: HashSet<&str> = claim_templates.iter().copied().collect();
    let mut volumes_known = true;
    let mut seen_volume: HashMap<&str, usize> = HashMap::new();
    for (i, vol) in spec.get("volumes").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let Some(name) = vol.get("name") else { continue };
        let Some(n) = known_str(name) else {
            volumes_known = false;
            continue;
        };
        volumes.insert(n);
        if let Some(p) = dns_label_problem(n) {
            let path = join(at, &[key("volumes"), Step::Index(i), key("name")]);
            let message = format!("{}: Invalid value `{n}`: {p}", cx.show(&path));
            cx.push(path, At::Value, "k8s-volume-name", message);
        } else if let Some(first) = seen_volume.insert(n, i) {
            let path = join(at, &[key("volumes"), Step::Index(i), key("name")]);
            let message = format!(
                "{}: Duplicate value `{n}`: volumes[{first}] already has this name; volume names must be unique within a pod",
                cx.show(&path)
            );
            cx.push(path, At::Value, "k8s-duplicate-volume-name", message);
        }
    }
    let mut seen_container: HashMap<&str, String> = HashMap::new();
    for list in CONTAINER_LISTS {
        for (i, c) in spec.get(list).and_then(Value::as_array).into_iter().flatten().enumerate() {
            let cpath = join(at, &[key(list), Step::Index(i)]);
            check_container(cx, c, &cpath, list, &volumes, volumes_known);
            let Some(name) = c.get("name").and_then(known_str) else { continue };
            let npath = join(&cpath, &[key("name")]);
            if let Some(p) = dns_label_problem(name) {
                let message = format!("{}: Invalid value `{name}`: {p}", cx.show(&npath));
                cx.push(npath, At::Value, "k8s-container-name", message);
            } else if let Some(first) = seen_container.get(name) {
                let message = format!(
                    "{}: Duplicate value `{name}`: {first} already has this name; container names must be unique across containers, initContainers and ephemeralContainers",
                    cx.show(&npath)
                );
                cx.push(npath, At::Value, "k8s-duplicate-container-name", message);
            } else {
                seen_container.insert(name, format!("{list}[{i}]"));
            }
        }
    }
}

fn check_container(cx: &mut Cx, c: &Value, at: &[Step], list: &str, volumes: &HashSet<&str>, volumes_known: bool) {
    if !c.is_object() {
        return;
    }
    match c.get("image") {
        None => {
            let message = format!(
                "{}: Required value: every container needs an image to run (kustomize `images:` and Flux image automation only rewrite an image that is there)",
                cx.show(&join(at, &[key("image")]))
            );
            cx.push(at.to_vec(), At::Missing, "k8s-image-required", message);
        }
        Some(Value::String(s)) if s.is_empty() => {
            let path = join(at, &[key("image")]);
            let message = format!("{}: Required value: the image must not be empty", cx.show(&path));
            cx.push(path, At::Value, "k8s-image-required", message);
        }
        _ => {}
    }
    // Ports: numbers in range, IANA names, unique names within the container.
    let mut port_names: HashMap<&str, usize> = HashMap::new();
    for (i, p) in c.get("ports").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let ppath = join(at, &[key("ports"), Step::Index(i)]);
        for field in ["containerPort", "hostPort"] {
            if let Some(v) = p.get(field) {
                let zero_ok = field == "hostPort";
                port_number(cx, v, join(&ppath, &[key(field)]), zero_ok);
            }
        }
        if let Some(name) = p.get("name").and_then(known_str) {
            let npath = join(&ppath, &[key("name")]);
            if let Some(problem) = iana_port_name_problem(name) {
                let message = format!("{}: Invalid value `{name}`: {problem}", cx.show(&npath));
                cx.push(npath, At::Value, "k8s-port-name", message);
            } else if let Some(first) = port_names.insert(name, i) {
                let message = format!(
                    "{}: Duplicate value `{name}`: ports[{first}] already has this name; port names must be unique within a container",
                    cx.show(&npath)
                );
                cx.push(npath, At::Value, "k8s-duplicate-port-name", message);
            }
        }
    }
    // Probes and lifecycle hooks: exactly one handler each, valid ports.
    let probes: &[&str] =
        if list == "ephemeralContainers" { &[] } else { &["livenessProbe", "readinessProbe", "startupProbe"] };
    for probe in probes {
        if let Some(p) = c.get(*probe) {
            handler(cx, p, join(at, &[key(probe)]), &["exec", "httpGet", "tcpSocket", "grpc"], "k8s-probe-handler");
            // Only readiness may need several successes in a row.
            let threshold = p.get("successThreshold").and_then(Value::as_i64);
            if *probe != "readinessProbe" && threshold.is_some_and(|t| t != 1) {
                let path = join(at, &[key(probe), key("successThreshold")]);
                let message = format!(
                    "{}: Invalid value `{}`: must be 1 (only a readinessProbe may ask for more successes); remove it or set 1",
                    cx.show(&path),
                    threshold.unwrap_or_default()
                );
                cx.push(path, At::Value, "k8s-probe-success-threshold", message);
            }
        }
    }
    for hook in ["postStart", "preStop"] {
        if let Some(h) = c.get("lifecycle").and_then(|l| l.get(hook)) {
            let path = join(at, &[key("lifecycle"), key(hook)]);
            handler(cx, h, path, &["exec", "httpGet", "tcpSocket", "sleep"], "k8s-lifecycle-handler");
        }
    }
    // Two mounts on one path: the API server takes only one.
    let mut mount_paths: HashMap<&str, usize> = HashMap::new();
    for (i, m) in c.get("volumeMounts").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let Some(mp) = m.get("mountPath").and_then(known_str).filter(|p| !p.is_empty()) else { continue };
        if let Some(first) = mount_paths.insert(mp, i) {
            let path = join(at, &[key("volumeMounts"), Step::Index(i), key("mountPath")]);
            let message = format!(
                "{}: Invalid value `{mp}`: must be unique (volumeMounts[{first}] mounts there already); mount each path once",
                cx.show(&path)
            );
            cx.push(path, At::Value, "k8s-duplicate-mount-path", message);
        }
    }
    // Volume mounts and devices refer to the pod's volumes.
    if volumes_known {
        for field in ["volumeMounts", "volumeDevices"] {
            for (i, m) in c.get(field).and_then(Value::as_array).into_iter().flatten().enumerate() {
                let Some(name) = m.get("name").and_then(known_str) else { continue };
                if !volumes.contains(name) {
                    let path = join(at, &[key(field), Step::Index(i), key("name")]);
                    let message = format!(
                        "{}: Not found `{name}`: no volume of this pod has that name; add it to `volumes` or correct the name",
                        cx.show(&path)
                    );
                    cx.push(path, At::Value, "k8s-volume-not-found", message);
                }
            }
        }
    }
    check_resources(cx, c, at);
}

fn handler(cx: &mut Cx, h: &Value, at: Vec<Step>, kinds: &[&str], code: &'static str) {
    let Some(map) = h.as_object() else { return };
    let present: Vec<&str> = kinds.iter().copied().filter(|k| map.contains_key(*k)).collect();
    match present.as_slice() {
        [] => {
            let message = format!(
                "{}: Required value: must specify a handler type, one of {}",
                cx.show(&at),
                kinds.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            );
            cx.push(at.clone(), At::Missing, code, message);
        }
        [first, rest @ ..] => {
            for extra in rest {
                let path = join(&at, &[key(extra)]);
                let message = format!(
                    "{}: Forbidden: may not specify more than 1 handler type (`{first}` is already set); keep one",
                    cx.show(&path)
                );
                cx.push(path, At::Key, code, message);
            }
        }
    }
    for k in ["httpGet", "tcpSocket"] {
        if let Some(port) = map.get(k).and_then(|a| a.get("port")) {
            port_number_or_name(cx, port, join(&at, &[key(k), key("port")]));
        }
    }
    if let Some(port) = map.get("grpc").and_then(|a| a.get("port")) {
        port_number(cx, port, join(&at, &[key("grpc"), key("port")]), false);
    }
}

fn check_resources(cx: &mut Cx, c: &Value, at: &[Step]) {
    let Some(res) = c.get("resources") else { return };
    let (Some(requests), Some(limits)) =
        (res.get("requests").and_then(Value::as_object), res.get("limits").and_then(Value::as_object))
    else {
        return;
    };
    for (name, request) in requests {
        let Some(limit) = limits.get(name) else { continue };
        let (Some(rq), Some(lq)) = (quantity(request), quantity(limit)) else { continue };
        if rq.compare(&lq) == std::cmp::Ordering::Greater {
            let path = join(at, &[key("resources"), key("requests"), key(name)]);
            let message = format!(
                "{}: Invalid value `{}`: must be less than or equal to {name} limit of `{}`; raise the limit or lower the request",
                cx.show(&path),
                plain(request),
                plain(limit)
            );
            cx.push(path, At::Value, "k8s-requests-exceed-limits", message);
        }
    }
}

fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn quantity(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) if !is_opaque(s) => Quantity::parse(s),
        Value::Number(n) => Quantity::parse(&n.to_string()),
        _ => None,
    }
}

/// A port number: 1–65535 (0 allowed where it means "none", e.g. `hostPort`).
fn port_number(cx: &mut Cx, v: &Value, path: Vec<Step>, zero_ok: bool) {
    let Some(n) = v.as_i64() else { return };
    if (zero_ok && n == 0) || (1..=65535).contains(&n) {
        return;
    }
    let message = format!("{}: Invalid value `{n}`: must be between 1 and 65535, inclusive", cx.show(&path));
    cx.push(path, At::Value, "k8s-port-range", message);
}

/// A port given as a number, or as the name of a container port.
fn port_number_or_name(cx: &mut Cx, v: &Value, path: Vec<Step>) {
    match v {
        Value::Number(_) => port_number(cx, v, path, false),
        Value::String(s) if !is_opaque(s) => {
            if let Some(problem) = iana_port_name_problem(s) {
                let message = format!("{}: Invalid value `{s}`: {problem}", cx.show(&path));
                cx.push(path, At::Value, "k8s-port-name", message);
            }
        }
        _ => {}
    }
}

/// IANA service name rules (RFC 6335) as the API server applies them to port names.
pub fn iana_port_name_problem(name: &str) -> Option<String> {
    if name.len() > 15 {
        return Some(format!("must be no more than 15 characters (it has {})", name.len()));
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Some("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        return Some("must contain at least one letter (a-z)".into());
    }
    if name.contains("--") {
        return Some("must not contain consecutive hyphens (-)".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("must not begin or end with a hyphen (-)".into());
    }
    None
}

/// RFC 1123 label: what container names and Service port names must be.
fn dns_label_problem(name: &str) -> Option<String> {
    if name.len() > 63 {
        return Some("must be no more than 63 characters".into());
    }
    let ok = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    (!ok).then(|| {
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character".into()
    })
}

fn check_service(cx: &mut Cx, obj: &Value) {
    let Some(ports) = get(obj, &["spec", "ports"]).and_then(Value::as_array) else { return };
    let several = ports.len() > 1;
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, p) in ports.iter().enumerate() {
        if !p.is_object() {
            continue;
        }
        let ppath = vec![key("spec"), key("ports"), Step::Index(i)];
        match p.get("name") {
            None | Some(Value::Null) if several => {
                let message = format!(
                    "{}: Required value: a Service with several ports must name each of them",
                    cx.show(&join(&ppath, &[key("name")]))
                );
                cx.push(ppath.clone(), At::Missing, "k8s-service-port-name-required", message);
            }
            Some(Value::String(s)) if s.is_empty() && several => {
                let path = join(&ppath, &[key("name")]);
                let message =
                    format!("{}: Required value: a Service with several ports must name each of them", cx.show(&path));
                cx.push(path, At::Value, "k8s-service-port-name-required", message);
            }
            Some(name) => {
                if let Some(n) = known_str(name).filter(|n| !n.is_empty()) {
                    let npath = join(&ppath, &[key("name")]);
                    if let Some(problem) = dns_label_problem(n) {
                        let message = format!("{}: Invalid value `{n}`: {problem}", cx.show(&npath));
                        cx.push(npath, At::Value, "k8s-port-name", message);
                    } else if let Some(first) = names.insert(n, i) {
                        let message = format!(
                            "{}: Duplicate value `{n}`: ports[{first}] already has this name; Service port names must be unique",
                            cx.show(&npath)
                        );
                        cx.push(npath, At::Value, "k8s-duplicate-port-name", message);
                    }
                }
            }
            None => {}
        }
        if let Some(v) = p.get("port") {
            port_number(cx, v, join(&ppath, &[key("port")]), false);
        }
        if let Some(v) = p.get("nodePort") {
            port_number(cx, v, join(&ppath, &[key("nodePort")]), true);
        }
        if let Some(v) = p.get("targetPort") {
            port_number_or_name(cx, v, join(&ppath, &[key("targetPort")]));
        }
    }
}

/// Whether `labels` satisfy a `LabelSelector` (`matchLabels` and `matchExpressions`); `None`
/// when it cannot be told yet (a value filled in later, a malformed selector).
fn selector_matches(selector: &Value, labels: &serde_json::Map<String, Value>) -> Option<Result<(), String>> {
    // Label values are strings; a number here is reported by the schema, compared as written.
    let label = |k: &str| labels.get(k).map(plain);
    if labels.values().any(opaque) || labels.keys().any(|k| is_opaque(k)) {
        return None;
    }
    if let Some(ml) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            let want = plain(v);
            if is_opaque(&want) || is_opaque(k) {
                return None;
            }
            match label(k) {
                Some(have) if have == want => {}
                Some(have) => {
                    return Some(Err(format!("the selector wants `{k}: {want}`, the labels have `{k}: {have}`")));
                }
                None => return Some(Err(format!("the selector wants `{k}: {want}`, the labels have no `{k}`"))),
            }
        }
    }
    for e in selector.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
        let k = e.get("key").and_then(Value::as_str)?;
        let op = e.get("operator").and_then(Value::as_str)?;
        let values: Vec<&str> =
            e.get("values").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        if is_opaque(k) || values.iter().any(|v| is_opaque(v)) {
            return None;
        }
        let have = label(k);
        let ok = match op {
            "In" => have.is_some_and(|h| values.contains(&h.as_str())),
            "NotIn" => have.is_none_or(|h| !values.contains(&h.as_str())),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => return None,
        };
        if !ok {
            return Some(Err(format!("the labels do not satisfy `{k} {op} [{}]`", values.join(", "))));
        }
    }
    Some(Ok(()))
}

fn check_selector(cx: &mut Cx, group: &str, kind: &str, obj: &Value) {
    let (selector, template_path): (Option<Value>, &[&str]) = match (group, kind) {
        ("apps", _) => (get(obj, &["spec", "selector"]).cloned(), &["spec", "template"]),
        ("batch", "Job") => {
            if get(obj, &["spec", "manualSelector"]).and_then(Value::as_bool) != Some(true) {
                return;
            }
            (get(obj, &["spec", "selector"]).cloned(), &["spec", "template"])
        }
        // A map of labels; when unset it defaults to the template's labels.
        ("", "ReplicationController") => (
            get(obj, &["spec", "selector"])
                .filter(|s| s.as_object().is_some_and(|m| !m.is_empty()))
                .map(|s| serde_json::json!({ "matchLabels": s })),
            &["spec", "template"],
        ),
        _ => return,
    };
    let Some(selector) = selector else { return };
    let Some(template) = get(obj, template_path) else { return };
    let empty_labels = serde_json::Map::new();
    let labels = template.get("metadata").and_then(|m| m.get("labels")).and_then(Value::as_object);
    let is_empty = selector.as_object().is_some_and(|m| {
        m.get("matchLabels").and_then(Value::as_object).is_none_or(|l| l.is_empty())
            && m.get("matchExpressions").and_then(Value::as_array).is_none_or(|l| l.is_empty())
    });
    if is_empty && group == "apps" {
        let path = vec![key("spec"), key("selector")];
        let message = format!(
            "{}: Invalid value: empty selector is invalid for {}; select the template's labels with `matchLabels`",
            cx.show(&path),
            kind.to_ascii_lowercase()
        );
        cx.push(path, At::Value, "k8s-selector-empty", message);
        return;
    }
    let Some(Err(why)) = selector_matches(&selector, labels.unwrap_or(&empty_labels)) else { return };
    let mut path: Vec<Step> = template_path.iter().map(|k| key(k)).collect();
    let at = match (template.get("metadata"), labels) {
        (Some(_), Some(_)) => {
            path.extend([key("metadata"), key("labels")]);
            At::Key
        }
        (Some(_), None) => {
            path.push(key("metadata"));
            At::Missing
        }
        _ => At::Missing,
    };
    let message = format!(
        "{}: Invalid value: `selector` does not match template `labels` ({why}); make the template's labels carry what the selector asks for",
        cx.show(&[key("spec"), key("template"), key("metadata"), key("labels")])
    );
    cx.push(path, at, "k8s-selector-mismatch", message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_names_follow_rfc_6335() {
        assert_eq!(iana_port_name_problem("http"), None);
        assert_eq!(iana_port_name_problem("h2c-metrics"), None);
        assert!(iana_port_name_problem("a-very-long-port-name").unwrap().contains("15 characters"));
        assert!(iana_port_name_problem("HTTP").unwrap().contains("alpha-numeric"));
        assert!(iana_port_name_problem("8080").unwrap().contains("at least one letter"));
        assert!(iana_port_name_problem("a--b").unwrap().contains("consecutive"));
        assert!(iana_port_name_problem("-web").unwrap().contains("begin or end"));
    }

    #[test]
    fn selectors_with_expressions() {
        let labels = serde_json::json!({"app": "web", "tier": "front"});
        let labels = labels.as_object().unwrap();
        let sel = |v: Value| selector_matches(&v, labels);
        assert_eq!(sel(serde_json::json!({"matchLabels": {"app": "web"}})), Some(Ok(())));
        assert!(matches!(sel(serde_json::json!({"matchLabels": {"app": "api"}})), Some(Err(_))));
        let expr = |op: &str, values: Value| {
            sel(serde_json::json!({"matchExpressions": [{"key": "tier", "operator": op, "values": values}]}))
        };
        assert_eq!(expr("In", serde_json::json!(["front", "back"])), Some(Ok(())));
        assert!(matches!(expr("NotIn", serde_json::json!(["front"])), Some(Err(_))));
        assert_eq!(expr("Exists", serde_json::json!([])), Some(Ok(())));
        assert!(matches!(expr("DoesNotExist", serde_json::json!([])), Some(Err(_))));
        assert_eq!(sel(serde_json::json!({"matchLabels": {"app": "${APP}"}})), None);
    }
}
