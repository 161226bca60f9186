//! [`SETTINGS`] against the parser, the VS Code extension's `package.json` and the READMEs'
//! settings tables. `UPDATE_SETTINGS=1` rewrites the package.json properties and the tables
//! from the definition instead of failing.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::*;

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn updating() -> bool {
    std::env::var("UPDATE_SETTINGS").is_ok_and(|v| v == "1")
}

fn default_of(s: &Setting) -> Value {
    serde_json::from_str(s.default).unwrap_or_else(|e| panic!("default of {} is not JSON: {e}", s.key))
}

fn server_settings() -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().filter(|s| s.reader == Reader::Server)
}

/// `{"a.b": v}` → `{"a": {"b": v}}`.
fn nested(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let mut root = Map::new();
    for (key, value) in pairs {
        let mut map = &mut root;
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().unwrap();
        for p in parts {
            map = map.entry(p).or_insert_with(|| json!({})).as_object_mut().unwrap();
        }
        map.insert(last.to_string(), value);
    }
    Value::Object(root)
}

#[test]
fn the_definition_is_well_formed() {
    let mut seen = std::collections::HashSet::new();
    for s in SETTINGS {
        assert!(seen.insert(s.key), "{} defined twice", s.key);
        assert!(!s.description.is_empty() && !s.description.contains('|'), "{}: description", s.key);
        let d = default_of(s);
        let ty = match &d {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() && s.types.contains(&"integer") => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        assert!(s.types.contains(&ty), "{}: default {d} is not of type {:?}", s.key, s.types);
        if !s.values.is_empty() {
            assert!(s.values.contains(&d.as_str().unwrap_or_default()), "{}: default not among the values", s.key);
        }
    }
}

#[test]
fn the_parser_reads_exactly_the_defined_server_settings() {
    // Every leaf of the parsed settings is a defined server setting, and every one is there.
    let parsed = serde_json::to_value(Settings::default()).unwrap();
    let defined: Vec<&str> = server_settings().map(|s| s.key).collect();
    let mut leaves = Vec::new();
    let mut stack = vec![(String::new(), &parsed)];
    while let Some((path, value)) = stack.pop() {
        match value {
            Value::Object(map) if !defined.contains(&path.as_str()) => {
                for (k, v) in map {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    stack.push((p, v));
                }
            }
            _ => leaves.push(path),
        }
    }
    leaves.sort();
    let mut defined: Vec<String> = defined.iter().map(|k| k.to_string()).collect();
    defined.sort();
    assert_eq!(leaves, defined, "the server's settings and SETTINGS differ");
}

#[test]
fn the_defined_defaults_are_the_parsers_defaults() {
    let defaults = nested(server_settings().map(|s| (s.key, default_of(s))));
    assert_eq!(Settings::from_json(&defaults), Settings::default());
    assert_eq!(Settings::from_json(&json!({ "gitops-ls": defaults })), Settings::default());
    assert_eq!(
        Settings::default().store_settings(None).online_catalog.as_deref(),
        Some(crate::schema::store::DEFAULT_ONLINE_CATALOG)
    );
}

#[test]
fn every_defined_server_setting_is_read() {
    for s in server_settings() {
        let other = match (default_of(s), s.values) {
            (Value::String(d), values) if !values.is_empty() => json!(values.iter().find(|v| **v != d).unwrap()),
            (Value::Bool(b), _) => json!(!b),
            (Value::Number(n), _) => json!(n.as_u64().unwrap() + 1),
            (Value::Array(_), _) => json!(["x.example.com"]),
            (Value::Object(_), _) => json!({"*.yaml": "./x.json"}),
            (Value::String(_) | Value::Null, _) => json!("1.29"),
        };
        let parsed = Settings::from_json(&nested([(s.key, other.clone())]));
        assert_ne!(parsed, Settings::default(), "{} = {other} is not read", s.key);
    }
    // Every allowed severity means something different.
    let setting = SETTINGS.iter().find(|s| s.key == "validation.unknownKindSeverity").unwrap();
    let severities: Vec<_> = setting
        .values
        .iter()
        .map(|v| Settings::from_json(&json!({"validation": {"unknownKindSeverity": v}})).unknown_kind_severity())
        .collect();
    for (i, a) in severities.iter().enumerate() {
        assert!(!severities[..i].contains(a), "{} means the same as another value", setting.values[i]);
    }
}

/// The `package.json` property of a setting, fields in a fixed order.
fn contribution(s: &Setting) -> Vec<(&'static str, Value)> {
    let mut fields = vec![("type", if s.types.len() == 1 { json!(s.types[0]) } else { json!(s.types) })];
    if let Some(item) = s.items {
        fields
            .push((if s.types.contains(&"object") { "additionalProperties" } else { "items" }, json!({"type": item})));
    }
    if !s.values.is_empty() {
        fields.push(("enum", json!(s.values)));
    }
    fields.push(("default", default_of(s)));
    if let Some(min) = s.minimum {
        fields.push(("minimum", json!(min)));
    }
    if let Some(scope) = s.scope {
        fields.push(("scope", json!(scope)));
    }
    fields.push(("markdownDescription", json!(s.description)));
    fields
}

/// The byte range of the object that starts at `open` (a `{`), strings taken into account.
fn object_end(text: &str, open: usize) -> usize {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in text[open..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '{' if !in_string => depth += 1,
            '}' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return open + i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces in package.json")
}

#[test]
fn package_json_contributes_the_defined_settings() {
    let path = repo_file("vscode-extension/package.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let package: Value = serde_json::from_str(&text).unwrap();
    let actual = &package["contributes"]["configuration"]["properties"];
    let expected: Map<String, Value> = SETTINGS
        .iter()
        .map(|s| {
            (
                format!("gitops-ls.{}", s.key),
                Value::Object(contribution(s).into_iter().map(|(k, v)| (k.into(), v)).collect()),
            )
        })
        .collect();
    let expected = Value::Object(expected);
    if *actual == expected {
        return;
    }
    if !updating() {
        let names = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
        let mut differ: Vec<String> =
            names(&expected).into_iter().chain(names(actual)).filter(|k| actual.get(k) != expected.get(k)).collect();
        differ.sort();
        differ.dedup();
        panic!(
            "package.json's settings differ from config::SETTINGS for {differ:?}; run with UPDATE_SETTINGS=1 to rewrite them"
        );
    }
    let config = text.find("\"configuration\"").expect("contributes.configuration");
    let open = config + text[config..].find("\"properties\": {").expect("properties") + "\"properties\": ".len();
    let close = object_end(&text, open);
    let line_start = text[..open].rfind('\n').map_or(0, |i| i + 1);
    let indent = text[line_start..].len() - text[line_start..].trim_start().len();
    let (key_pad, field_pad) = (" ".repeat(indent + 2), " ".repeat(indent + 4));
    let properties: Vec<String> = SETTINGS
        .iter()
        .map(|s| {
            let fields: Vec<String> = contribution(s)
                .into_iter()
                .map(|(k, v)| {
                    format!("{field_pad}\"{k}\": {}", serde_json::to_string(&v).unwrap().replace("\",\"", "\", \""))
                })
                .collect();
            format!("{key_pad}\"gitops-ls.{}\": {{\n{}\n{key_pad}}}", s.key, fields.join(",\n"))
        })
        .collect();
    let block = format!("{{\n{}\n{}}}", properties.join(",\n"), " ".repeat(indent));
    let rewritten = format!("{}{block}{}", &text[..open], &text[close + 1..]);
    let check: Value = serde_json::from_str(&rewritten).unwrap();
    assert_eq!(check["contributes"]["configuration"]["properties"], expected);
    std::fs::write(&path, rewritten).unwrap();
}

const TABLE_START: &str = "<!-- settings table: generated from server/src/config.rs (UPDATE_SETTINGS=1) -->";
const TABLE_END: &str = "<!-- end of settings table -->";

fn table(header: &str, prefix: &str, settings: impl Iterator<Item = &'static Setting>) -> String {
    let mut out = format!("{header}\n| --- | --- | --- |\n");
    for s in settings {
        let default = match s.default_doc {
            Some(doc) => doc.to_string(),
            None => format!("`{}`", s.default),
        };
        out.push_str(&format!("| `{prefix}{}` | {default} | {} |\n", s.key, s.description));
    }
    out
}

/// Checks (or rewrites) the generated table in a README.
fn check_table(file: &str, expected: &str) {
    let path = repo_file(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find(TABLE_START).unwrap_or_else(|| panic!("{file} has no `{TABLE_START}` marker"));
    let body = start + TABLE_START.len() + 1;
    let end = body + text[body..].find(TABLE_END).unwrap_or_else(|| panic!("{file} has no `{TABLE_END}` marker"));
    if text[body..end] == *expected {
        return;
    }
    assert!(
        updating(),
        "{file}'s settings table differs from config::SETTINGS; run with UPDATE_SETTINGS=1 to rewrite it\n--- expected\n{expected}--- found\n{}",
        &text[body..end]
    );
    std::fs::write(&path, format!("{}{expected}{}", &text[..body], &text[end..])).unwrap();
}

#[test]
fn the_readmes_tables_are_the_definition() {
    check_table("README.md", &table("| setting | default | meaning |", "", server_settings()));
    check_table("vscode-extension/README.md", &table("| Setting | Default | Meaning |", "gitops-ls.", SETTINGS.iter()));
}
