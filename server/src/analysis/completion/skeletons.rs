//! Resource skeletons for an empty document: hand-written ones for common kinds, generated
//! ones (required fields) for the custom kinds in the store.
//!
//! Templates are written once in one canonical style (two spaces, `- ` indented under its key)
//! and rendered in the file's style, so a 4-space file gets 4-space skeletons.

use serde_json::Value;

use super::{CompletionItem, ItemKind, escape_snippet, pad};
use crate::analysis::context::Style;
use crate::schema::SchemaStore;
use crate::schema::navigate::{self, Segment};
use crate::yaml::Span;

/// A small YAML tree to render; scalars are snippet text, written out as they are.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Skel {
    Scalar(String),
    Map(Vec<(String, Skel)>),
    Seq(Vec<Skel>),
    /// An object to fill in: the key, then a tab stop on the next line, one level deeper.
    Hole(String),
}

/// (apiVersion, kind, template body below `metadata.name`). `$1` is the name.
pub(crate) const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "apps/v1",
        "Deployment",
        "spec:
  replicas: ${2:1}
  selector:
    matchLabels:
      app: $1
  template:
    metadata:
      labels:
        app: $1
    spec:
      containers:
        - name: ${3:main}
          image: ${4:image}
          ports:
            - containerPort: ${5:8080}",
    ),
    (
        "v1",
        "Service",
        "spec:
  selector:
    app: ${2:$1}
  ports:
    - port: ${3:80}
      targetPort: ${4:8080}",
    ),
    ("v1", "ConfigMap", "data:\n  ${2:key}: ${3:value}"),
    (
        "v1",
        "Secret",
        "type: ${2|Opaque,kubernetes.io/tls,kubernetes.io/dockerconfigjson,kubernetes.io/basic-auth|}
stringData:
  ${3:key}: ${4:value}",
    ),
    (
        "networking.k8s.io/v1",
        "Ingress",
        "spec:
  ingressClassName: ${2:nginx}
  rules:
    - host: ${3:example.com}
      http:
        paths:
          - path: ${4:/}
            pathType: ${5|Prefix,Exact,ImplementationSpecific|}
            backend:
              service:
                name: ${6:service}
                port:
                  number: ${7:80}",
    ),
    ("v1", "Namespace", ""),
    ("v1", "ServiceAccount", ""),
    (
        "rbac.authorization.k8s.io/v1",
        "Role",
        "rules:
  - apiGroups: [\"$2\"]
    resources: [${3:\"pods\"}]
    verbs: [${4:\"get\", \"list\", \"watch\"}]",
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        "roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ${2|Role,ClusterRole|}
  name: ${3:role}
subjects:
  - kind: ServiceAccount
    name: ${4:default}",
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        "rules:
  - apiGroups: [\"$2\"]
    resources: [${3:\"pods\"}]
    verbs: [${4:\"get\", \"list\", \"watch\"}]",
    ),
    (
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        "roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ${2:role}
subjects:
  - kind: ServiceAccount
    name: ${3:default}
    namespace: ${4:default}",
    ),
    (
        "batch/v1",
        "CronJob",
        "spec:
  schedule: \"${2:*/15 * * * *}\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: ${3|OnFailure,Never|}
          containers:
            - name: ${4:main}
              image: ${5:image}",
    ),
    (
        "batch/v1",
        "Job",
        "spec:
  template:
    spec:
      restartPolicy: ${2|Never,OnFailure|}
      containers:
        - name: ${3:main}
          image: ${4:image}",
    ),
    (
        "apps/v1",
        "StatefulSet",
        "spec:
  serviceName: ${2:$1}
  replicas: ${3:1}
  selector:
    matchLabels:
      app: $1
  template:
    metadata:
      labels:
        app: $1
    spec:
      containers:
        - name: ${4:main}
          image: ${5:image}",
    ),
    (
        "apps/v1",
        "DaemonSet",
        "spec:
  selector:
    matchLabels:
      app: $1
  template:
    metadata:
      labels:
        app: $1
    spec:
      containers:
        - name: ${2:main}
          image: ${3:image}",
    ),
    (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: ${2:$1}
  minReplicas: ${3:1}
  maxReplicas: ${4:5}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: ${5:80}",
    ),
    (
        "policy/v1",
        "PodDisruptionBudget",
        "spec:
  minAvailable: ${2:1}
  selector:
    matchLabels:
      app: ${3:$1}",
    ),
    (
        "networking.k8s.io/v1",
        "NetworkPolicy",
        "spec:
  podSelector:
    matchLabels:
      app: ${2:$1}
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector: {}",
    ),
    (
        "v1",
        "PersistentVolumeClaim",
        "spec:
  accessModes:
    - ${2|ReadWriteOnce,ReadOnlyMany,ReadWriteMany,ReadWriteOncePod|}
  resources:
    requests:
      storage: ${3:1Gi}",
    ),
];

/// Skeleton items for an empty document, replacing `replace` (what was typed of a key).
pub(crate) fn items(store: &SchemaStore, style: Style, replace: Span) -> Vec<CompletionItem> {
    let mut out = Vec::new();
    for (api_version, kind, body) in TEMPLATES {
        let mut entries = header(api_version, kind);
        entries.extend(parse_template(body));
        out.push(item(api_version, kind, &Skel::Map(entries), style, replace, "0"));
    }
    for custom in store.custom_kinds() {
        if out.iter().any(|i| i.label == custom.kind && i.detail.as_deref() == Some(&custom.api_version)) {
            continue;
        }
        let skel = generate(&custom.schema, &custom.api_version, &custom.kind);
        out.push(item(&custom.api_version, &custom.kind, &skel, style, replace, "1"));
    }
    out
}

fn header(api_version: &str, kind: &str) -> Vec<(String, Skel)> {
    vec![
        ("apiVersion".into(), Skel::Scalar(api_version.into())),
        ("kind".into(), Skel::Scalar(kind.into())),
        ("metadata".into(), Skel::Map(vec![("name".into(), Skel::Scalar("${1:name}".into()))])),
    ]
}

fn item(api_version: &str, kind: &str, skel: &Skel, style: Style, replace: Span, rank: &str) -> CompletionItem {
    let snippet = render(skel, style);
    CompletionItem {
        label: kind.to_string(),
        kind: ItemKind::Snippet,
        detail: Some(api_version.to_string()),
        documentation: Some(format!("```yaml\n{}\n```", expand_placeholders(&snippet))),
        insert_text: snippet,
        is_snippet: true,
        replace,
        sort_text: Some(format!("{rank}{kind}")),
        filter_text: Some(kind.to_string()),
    }
}

/// A skeleton from a schema: `metadata.name` plus every required field, recursively, with a
/// placeholder per scalar (its enum as a choice, or its default).
pub(crate) fn generate(root: &Value, api_version: &str, kind: &str) -> Skel {
    let mut entries = header(api_version, kind);
    let mut next = 2;
    let schema = navigate::resolve(root, root);
    let mut names: Vec<&str> = navigate::required(root, schema);
    // A resource without `spec` is rarely useful, required or not.
    if !names.contains(&"spec") && navigate::child(root, schema, &Segment::Key("spec".into())).is_some() {
        names.push("spec");
    }
    for name in names {
        if matches!(name, "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if let Some(child) = navigate::child(root, schema, &Segment::Key(name.into())) {
            entries.push((name.to_string(), from_schema(root, child, name, &mut next, 0)));
        }
    }
    Skel::Map(entries)
}

fn from_schema(root: &Value, schema: &Value, name: &str, next: &mut u32, depth: usize) -> Skel {
    let mut placeholder = |text: String| {
        let n = *next;
        *next += 1;
        format!("${{{n}:{}}}", escape_snippet(&text))
    };
    let ty = navigate::type_name(root, schema);
    if depth > 6 {
        return Skel::Scalar(placeholder(name.into()));
    }
    if ty.starts_with("[]") {
        let item = navigate::child(root, schema, &Segment::Index(0));
        return Skel::Seq(vec![match item {
            Some(item) => from_schema(root, item, name, next, depth + 1),
            None => Skel::Scalar(placeholder(name.into())),
        }]);
    }
    if ty == "object" || ty.starts_with("map[") || !navigate::properties(root, schema).is_empty() {
        let entries: Vec<(String, Skel)> = navigate::required(root, schema)
            .into_iter()
            .filter_map(|r| {
                let child = navigate::child(root, schema, &Segment::Key(r.into()))?;
                Some((r.to_string(), from_schema(root, child, r, next, depth + 1)))
            })
            .collect();
        if entries.is_empty() {
            let n = *next;
            *next += 1;
            return Skel::Hole(format!("${n}"));
        }
        return Skel::Map(entries);
    }
    let values = navigate::enum_values(root, schema);
    let simple = |s: &String| !s.is_empty() && !s.contains([',', '|', '$', '}', '\\']);
    let texts: Vec<String> = values.iter().map(|v| super::plain(v)).collect();
    if !texts.is_empty() && texts.len() <= 12 && texts.iter().all(simple) {
        let n = *next;
        *next += 1;
        return Skel::Scalar(format!("${{{n}|{}|}}", texts.join(",")));
    }
    match navigate::branches(root, schema).iter().find_map(|b| b.get("default")) {
        Some(d) if !d.is_object() && !d.is_array() => Skel::Scalar(placeholder(super::plain(d))),
        _ => Skel::Scalar(placeholder(name.into())),
    }
}

/// Parses a template in the canonical style: `key: value`, `key:` with a deeper block below,
/// `- ` items indented under their key. Values are kept as written.
pub(crate) fn parse_template(text: &str) -> Vec<(String, Skel)> {
    let mut lines: Vec<(usize, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| (l.len() - l.trim_start().len(), l.trim().to_string()))
        .collect();
    let mut i = 0;
    parse_map(&mut lines, &mut i, 0)
}

fn parse_map(lines: &mut [(usize, String)], i: &mut usize, indent: usize) -> Vec<(String, Skel)> {
    let mut out = Vec::new();
    while *i < lines.len() && lines[*i].0 == indent && !lines[*i].1.starts_with("- ") {
        let content = lines[*i].1.clone();
        *i += 1;
        if let Some((k, v)) = content.split_once(": ") {
            out.push((k.to_string(), Skel::Scalar(v.to_string())));
            continue;
        }
        let key = content.trim_end_matches(':').to_string();
        let value = match lines.get(*i) {
            Some((ind, next)) if *ind > indent && next.starts_with("- ") => Skel::Seq(parse_seq(lines, i, *ind)),
            Some((ind, _)) if *ind > indent => Skel::Map(parse_map(lines, i, *ind)),
            _ => Skel::Map(Vec::new()),
        };
        out.push((key, value));
    }
    out
}

fn parse_seq(lines: &mut [(usize, String)], i: &mut usize, indent: usize) -> Vec<Skel> {
    let mut out = Vec::new();
    while *i < lines.len() && lines[*i].0 == indent && lines[*i].1.starts_with("- ") {
        let rest = lines[*i].1[2..].to_string();
        if rest.contains(": ") || rest.ends_with(':') {
            // The item's first key continues as a mapping two columns in.
            lines[*i] = (indent + 2, rest);
            out.push(Skel::Map(parse_map(lines, i, indent + 2)));
        } else {
            *i += 1;
            out.push(Skel::Scalar(rest));
        }
    }
    out
}

/// Renders a skeleton (a mapping at column 0) in `style`, without a trailing line break.
pub(crate) fn render(skel: &Skel, style: Style) -> String {
    let mut out = String::new();
    if let Skel::Map(entries) = skel {
        render_map(entries, 0, false, style, &mut out);
    }
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

/// `inline`: the first entry follows a `- ` already written on the line.
fn render_map(entries: &[(String, Skel)], col: usize, inline: bool, style: Style, out: &mut String) {
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 || !inline {
            out.push_str(&pad(col));
        }
        out.push_str(key);
        out.push(':');
        match value {
            Skel::Scalar(s) => {
                out.push(' ');
                out.push_str(s);
                out.push('\n');
            }
            Skel::Map(m) if m.is_empty() => out.push_str(" {}\n"),
            Skel::Map(m) => {
                out.push('\n');
                render_map(m, col + style.width, false, style, out);
            }
            Skel::Hole(stop) => {
                out.push('\n');
                out.push_str(&pad(col + style.width));
                out.push_str(stop);
                out.push('\n');
            }
            Skel::Seq(items) => {
                out.push('\n');
                let dash = col + if style.indent_sequences { style.width } else { 0 };
                for item in items {
                    out.push_str(&pad(dash));
                    out.push_str("- ");
                    match item {
                        Skel::Map(m) if !m.is_empty() => render_map(m, dash + 2, true, style, out),
                        Skel::Scalar(s) | Skel::Hole(s) => {
                            out.push_str(s);
                            out.push('\n');
                        }
                        _ => out.push_str("{}\n"),
                    }
                }
            }
        }
    }
}

/// The snippet as the user would see it with every placeholder at its default (a choice at its
/// first option, a mirror `$n` at its placeholder's value) and escapes undone.
pub(crate) fn expand_placeholders(snippet: &str) -> String {
    expand(snippet, &mut Vec::new())
}

fn expand(s: &str, defaults: &mut Vec<(String, String)>) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if b[i] == b'\\' && b.get(i + 1).is_some_and(|c| matches!(c, b'$' | b'}' | b'\\' | b',' | b'|')) {
            out.push(b[i + 1] as char);
            i += 2;
            continue;
        }
        if b[i] == b'$' {
            let rest = &s[i + 1..];
            if let Some(body) = rest.strip_prefix('{')
                && let Some(close) = matching_brace(body)
            {
                let inner = &body[..close];
                let (n, spec) = inner.split_at(inner.bytes().take_while(u8::is_ascii_digit).count());
                let value = if let Some(d) = spec.strip_prefix(':') {
                    expand(d, defaults)
                } else if let Some(c) = spec.strip_prefix('|') {
                    expand(c.split([',', '|']).next().unwrap_or_default(), defaults)
                } else {
                    lookup(defaults, n)
                };
                defaults.push((n.to_string(), value.clone()));
                out.push_str(&value);
                i += 2 + close + 1;
                continue;
            }
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 {
                out.push_str(&lookup(defaults, &rest[..digits]));
                i += 1 + digits;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or_default();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

fn lookup(defaults: &[(String, String)], n: &str) -> String {
    defaults.iter().rev().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// Index of the `}` closing a `${` whose body starts `s`, skipping escapes and nested `${…}`.
fn matching_brace(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}
