//! Walking a JSON schema along a YAML path: for error messages, hover and completion.
//!
//! Schemas here are draft-07 documents whose `$ref`s point into the same document
//! (`#/definitions/...`); `anyOf`/`oneOf`/`allOf` branches are searched for properties.

use serde_json::Value;

/// One step of a path into a document: a mapping key or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl std::fmt::Display for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Segment::Key(k) => write!(f, "{k}"),
            Segment::Index(i) => write!(f, "{i}"),
        }
    }
}

/// `Deployment.spec.template.spec.containers[].image` style: indices become `[]`.
pub fn display_path(kind: &str, path: &[Segment]) -> String {
    let mut s = kind.to_string();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Segment::Index(_) => s.push_str("[]"),
        }
    }
    s
}

/// Follows `$ref` (possibly chained) within `root`.
pub fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(r) = schema.get("$ref").and_then(Value::as_str) else { break };
        match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

/// The sub-schemas that describe the same value: the schema itself and its `allOf`, `anyOf`,
/// `oneOf` branches (resolved), depth-first.
pub fn branches<'a>(root: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut stack = vec![resolve(root, schema)];
    while let Some(s) = stack.pop() {
        if out.len() > 64 {
            break;
        }
        out.push(s);
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(list) = s.get(key).and_then(Value::as_array) {
                stack.extend(list.iter().rev().map(|b| resolve(root, b)));
            }
        }
    }
    out
}

/// The schema of the child at `seg`, if the schema says anything about it.
pub fn child<'a>(root: &'a Value, schema: &'a Value, seg: &Segment) -> Option<&'a Value> {
    for b in branches(root, schema) {
        match seg {
            Segment::Key(k) => {
                if let Some(p) = b.get("properties").and_then(|p| p.get(k.as_str())) {
                    return Some(resolve(root, p));
                }
                if let Some(ap) = b.get("additionalProperties").filter(|v| v.is_object()) {
                    return Some(resolve(root, ap));
                }
                // A preserved-unknown or embedded object says nothing about its children.
            }
            Segment::Index(_) => {
                if let Some(items) = b.get("items").filter(|v| v.is_object()) {
                    return Some(resolve(root, items));
                }
            }
        }
    }
    None
}

/// The schema at `path` below `root` (the root schema itself for an empty path).
pub fn schema_at<'a>(root: &'a Value, path: &[Segment]) -> Option<&'a Value> {
    let mut s = resolve(root, root);
    for seg in path {
        s = child(root, s, seg)?;
    }
    Some(s)
}

/// The named properties an object schema allows, across its branches, in schema order.
pub fn properties<'a>(root: &'a Value, schema: &'a Value) -> Vec<(&'a str, &'a Value)> {
    let mut out: Vec<(&str, &Value)> = Vec::new();
    for b in branches(root, schema) {
        if let Some(Value::Object(props)) = b.get("properties") {
            for (k, v) in props {
                if !out.iter().any(|(n, _)| *n == k.as_str()) {
                    out.push((k.as_str(), resolve(root, v)));
                }
            }
        }
    }
    out
}

/// The required property names of an object schema, across `allOf` branches.
pub fn required<'a>(root: &'a Value, schema: &'a Value) -> Vec<&'a str> {
    let mut out = Vec::new();
    for b in branches(root, schema) {
        if let Some(list) = b.get("required").and_then(Value::as_array) {
            out.extend(list.iter().filter_map(Value::as_str).filter(|r| !out.contains(r)).collect::<Vec<_>>());
        }
    }
    out
}

/// True when the object accepts keys it does not name (maps, preserved unknown fields).
pub fn is_open_object(root: &Value, schema: &Value) -> bool {
    branches(root, schema).iter().any(|b| {
        b.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
            || b.get("additionalProperties").is_some_and(|a| a.is_object() || a == &Value::Bool(true))
            || (b.get("type").and_then(Value::as_str) == Some("object")
                && b.get("properties").is_none()
                && b.get("additionalProperties").is_none())
    })
}

pub fn description<'a>(root: &'a Value, schema: &'a Value) -> Option<&'a str> {
    branches(root, schema).into_iter().find_map(|b| b.get("description").and_then(Value::as_str))
}

pub fn enum_values<'a>(root: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    branches(root, schema).into_iter().filter_map(|b| b.get("enum").and_then(Value::as_array)).flatten().collect()
}

/// A short human type: `string`, `integer`, `boolean`, `object`, `map[string]string`,
/// `[]Container`, `int-or-string`, `quantity`.
pub fn type_name(root: &Value, schema: &Value) -> String {
    let resolved = resolve(root, schema);
    if is_int_or_string(root, resolved) {
        return "int-or-string".into();
    }
    if is_quantity(root, resolved) {
        return "quantity".into();
    }
    let ty = branches(root, resolved).into_iter().find_map(|b| b.get("type").cloned());
    let ty = match ty {
        Some(Value::String(s)) => s,
        Some(Value::Array(list)) => {
            list.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect::<Vec<_>>().join("|")
        }
        _ => {
            if resolved.get("properties").is_some() {
                "object".into()
            } else {
                return "any".into();
            }
        }
    };
    match ty.as_str() {
        "array" => {
            let items = resolved.get("items").map(|i| type_label(root, i)).unwrap_or_else(|| "any".into());
            format!("[]{items}")
        }
        "object" => match resolved.get("additionalProperties").filter(|a| a.is_object()) {
            Some(ap) => format!("map[string]{}", type_label(root, ap)),
            None => "object".into(),
        },
        _ => ty,
    }
}

/// For items and map values: the definition's short name (`Container`) or its type.
fn type_label(root: &Value, schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit(['/', '.']).next().unwrap_or(r);
        if name == "IntOrString" {
            return "int-or-string".into();
        }
        if name == "Quantity" {
            return "quantity".into();
        }
        return name.to_string();
    }
    type_name(root, schema)
}

pub fn is_int_or_string(root: &Value, schema: &Value) -> bool {
    branches(root, schema).iter().any(|b| {
        b.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
            || b.get("format").and_then(Value::as_str) == Some("int-or-string")
    }) || {
        let s = resolve(root, schema);
        let alts = s.get("oneOf").or_else(|| s.get("anyOf")).and_then(Value::as_array);
        alts.is_some_and(|a| {
            let types: Vec<&str> = a.iter().filter_map(|b| b.get("type").and_then(Value::as_str)).collect();
            types.len() == 2
                && types.contains(&"integer")
                && types.contains(&"string")
                && s.get("description").and_then(Value::as_str).is_none_or(|d| !d.starts_with("Quantity"))
        })
    }
}

pub fn is_quantity(root: &Value, schema: &Value) -> bool {
    let s = resolve(root, schema);
    s.get("description").and_then(Value::as_str).is_some_and(|d| d.starts_with("Quantity is a fixed-point"))
        || s.get("format").and_then(Value::as_str) == Some("quantity")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> Value {
        gitops_ls_schemas::schema_for("apps/v1", "Deployment").unwrap()
    }

    fn path(p: &str) -> Vec<Segment> {
        p.split('.')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<usize>().map_or_else(|_| Segment::Key(s.to_string()), Segment::Index))
            .collect()
    }

    #[test]
    fn walks_refs_items_and_maps() {
        let root = deployment();
        let image = schema_at(&root, &path("spec.template.spec.containers.0.image")).unwrap();
        assert_eq!(type_name(&root, image), "string");
        assert!(description(&root, image).unwrap().contains("Container image name"));
        let containers = schema_at(&root, &path("spec.template.spec.containers")).unwrap();
        assert_eq!(type_name(&root, containers), "[]Container");
        let labels = schema_at(&root, &path("metadata.labels")).unwrap();
        assert_eq!(type_name(&root, labels), "map[string]string");
        assert!(schema_at(&root, &path("metadata.labels.app")).is_some());
        let port = schema_at(&root, &path("spec.template.spec.containers.0.ports.0.containerPort")).unwrap();
        assert_eq!(type_name(&root, port), "integer");
        assert!(schema_at(&root, &path("spec.bogus")).is_none());
    }

    #[test]
    fn kubernetes_special_types() {
        let root = deployment();
        let surge = schema_at(&root, &path("spec.strategy.rollingUpdate.maxSurge")).unwrap();
        assert_eq!(type_name(&root, surge), "int-or-string");
        let cpu = schema_at(&root, &path("spec.template.spec.containers.0.resources.limits.cpu")).unwrap();
        assert_eq!(type_name(&root, cpu), "quantity");
        let limits = schema_at(&root, &path("spec.template.spec.containers.0.resources.limits")).unwrap();
        assert_eq!(type_name(&root, limits), "map[string]quantity");
        let policy = schema_at(&root, &path("spec.template.spec.containers.0.imagePullPolicy")).unwrap();
        assert_eq!(enum_values(&root, policy).len(), 3);
    }

    #[test]
    fn properties_and_required() {
        let root = deployment();
        let spec = schema_at(&root, &path("spec")).unwrap();
        let names: Vec<&str> = properties(&root, spec).into_iter().map(|(n, _)| n).collect();
        assert!(names.contains(&"replicas") && names.contains(&"template"));
        assert!(required(&root, spec).contains(&"selector"));
        assert!(!is_open_object(&root, spec));
        assert!(is_open_object(&root, schema_at(&root, &path("metadata.labels")).unwrap()));
        assert_eq!(
            display_path("Deployment", &path("spec.template.spec.containers.0.image")),
            "Deployment.spec.template.spec.containers[].image"
        );
    }
}
