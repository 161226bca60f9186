//! Settings, as the editor sends them (`workspace/configuration` section `gitops-ls`,
//! `initializationOptions`, `didChangeConfiguration`). Unknown or malformed values fall back to
//! the defaults: a typo in settings.json must not stop the server.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use crate::schema::ValidationOptions;
use crate::schema::store::StoreSettings;
use crate::yaml::Severity;

/// One setting the server reads, as the editor sends it: the contract that the extension's
/// `package.json` and the README's table are tested against.
pub struct SettingDef {
    /// Dotted key under the `gitops-ls` section.
    pub key: &'static str,
    /// JSON types the setting takes.
    pub types: &'static [&'static str],
    /// The default, as JSON: sending it must change nothing.
    pub default: &'static str,
    /// A value other than the default, as JSON: sending it must change what the server uses.
    pub example: &'static str,
}

/// Every setting of the `gitops-ls` section the server reads.
pub const SETTINGS: &[SettingDef] = &[
    SettingDef { key: "kubernetesVersion", types: &["string"], default: r#""""#, example: r#""1.30""# },
    SettingDef { key: "maxFileSizeMb", types: &["number"], default: "20", example: "5" },
    SettingDef { key: "offline", types: &["boolean"], default: "false", example: "true" },
    SettingDef { key: "schemas.locations", types: &["array"], default: "[]", example: r#"["/schemas"]"# },
    SettingDef { key: "schemas.crdCatalog", types: &["string"], default: r#""""#, example: r#""/catalog""# },
    SettingDef {
        key: "schemas.onlineCatalog",
        types: &["string", "null"],
        default: "null",
        example: r#""https://example.com/catalog""#,
    },
    SettingDef { key: "schemas.associations", types: &["object"], default: "{}", example: r#"{"*.yaml": "/s.json"}"# },
    SettingDef {
        key: "validation.unknownKindSeverity",
        types: &["string"],
        default: r#""warning""#,
        example: r#""off""#,
    },
    SettingDef { key: "validation.strict", types: &["boolean"], default: "true", example: "false" },
    SettingDef { key: "images.checkTags", types: &["boolean"], default: "true", example: "false" },
    SettingDef {
        key: "images.insecureRegistries",
        types: &["array"],
        default: "[]",
        example: r#"["registry.lan:5000"]"#,
    },
    SettingDef { key: "images.cacheTtlSeconds", types: &["integer"], default: "3600", example: "60" },
    SettingDef { key: "images.completionTimeoutMs", types: &["integer"], default: "300", example: "1000" },
];

/// Default of `maxFileSizeMb`.
pub const DEFAULT_MAX_FILE_SIZE_MB: u64 = 20;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    pub kubernetes_version: Option<String>,
    /// Documents larger than this get one diagnostic and only symbols and folding.
    pub max_file_size_mb: u64,
    pub schemas: SchemaSettings,
    pub validation: ValidationSettings,
    pub images: ImageSettings,
    pub log: LogSettings,
    /// Never download schemas (modeline URLs, the online CRD catalog, other Kubernetes versions).
    pub offline: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            kubernetes_version: None,
            max_file_size_mb: DEFAULT_MAX_FILE_SIZE_MB,
            schemas: SchemaSettings::default(),
            validation: ValidationSettings::default(),
            images: ImageSettings::default(),
            log: LogSettings::default(),
            offline: false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SchemaSettings {
    pub locations: Vec<String>,
    pub crd_catalog: Option<String>,
    pub associations: BTreeMap<String, String>,
    /// Base URL of an online CRD catalog (CRDs-catalog layout); `""` turns it off.
    pub online_catalog: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ValidationSettings {
    /// `error`, `warning`, `information`, `hint` or `off`.
    pub unknown_kind_severity: String,
    pub strict: bool,
}

impl Default for ValidationSettings {
    fn default() -> Self {
        ValidationSettings { unknown_kind_severity: "warning".into(), strict: true }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImageSettings {
    pub check_tags: bool,
    pub insecure_registries: Vec<String>,
    pub cache_ttl_seconds: u64,
    pub completion_timeout_ms: u64,
}

impl Default for ImageSettings {
    fn default() -> Self {
        ImageSettings {
            check_tags: true,
            insecure_registries: Vec::new(),
            cache_ttl_seconds: 3600,
            completion_timeout_ms: 300,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    pub level: Option<String>,
}

/// `$XDG_CACHE_HOME/gitops-ls/<what>` (or `~/.cache/gitops-ls/<what>`): downloads kept across runs.
pub fn cache_dir(what: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("gitops-ls").join(what))
}

impl Settings {
    /// Reads settings from a JSON value, field by field, so one bad value only resets itself.
    pub fn from_json(v: &Value) -> Settings {
        let v = v.get("gitops-ls").unwrap_or(v);
        let mut s = Settings::default();
        let Value::Object(map) = v else { return s };
        if let Some(k) = map.get("kubernetesVersion") {
            s.kubernetes_version = match k {
                Value::String(x) if !x.trim().is_empty() => Some(x.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
        }
        if let Some(mb) = map.get("maxFileSizeMb").and_then(Value::as_f64).filter(|mb| *mb >= 0.0) {
            // Fractions of a megabyte round up, so a small limit never becomes zero.
            s.max_file_size_mb = mb.ceil().min(u64::MAX as f64) as u64;
        }
        if let Some(x) = map.get("schemas").and_then(|x| serde_json::from_value::<SchemaSettings>(x.clone()).ok()) {
            // An empty text field in an editor's settings UI means "not set".
            s.schemas = SchemaSettings { crd_catalog: x.crd_catalog.clone().filter(|c| !c.trim().is_empty()), ..x };
        }
        if let Some(x) = map.get("validation").and_then(|x| serde_json::from_value(x.clone()).ok()) {
            s.validation = x;
        }
        if let Some(x) = map.get("images").and_then(|x| serde_json::from_value(x.clone()).ok()) {
            s.images = x;
        }
        if let Some(x) = map.get("log").and_then(|x| serde_json::from_value(x.clone()).ok()) {
            s.log = x;
        }
        if let Some(Value::Bool(b)) = map.get("offline") {
            s.offline = *b;
        }
        s
    }

    /// `maxFileSizeMb` in bytes.
    pub fn max_file_bytes(&self) -> usize {
        usize::try_from(self.max_file_size_mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
    }

    pub fn unknown_kind_severity(&self) -> Option<Severity> {
        match self.validation.unknown_kind_severity.to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "information" | "info" => Some(Severity::Information),
            "hint" => Some(Severity::Hint),
            "off" | "none" | "ignore" => None,
            _ => Some(Severity::Warning),
        }
    }

    pub fn store_settings(&self, cache_dir: Option<PathBuf>) -> StoreSettings {
        StoreSettings {
            kubernetes_version: self.kubernetes_version.clone(),
            schema_locations: self.schemas.locations.clone(),
            crd_catalog: self.schemas.crd_catalog.as_ref().map(PathBuf::from),
            associations: self.schemas.associations.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            cache_dir,
            offline: self.offline,
            online_catalog: match self.schemas.online_catalog.as_deref().map(str::trim) {
                None => Some(crate::schema::store::DEFAULT_ONLINE_CATALOG.to_string()),
                Some("") => None,
                Some(url) => Some(url.to_string()),
            },
        }
    }

    pub fn validation_options(&self) -> ValidationOptions {
        ValidationOptions {
            unknown_kind: self.unknown_kind_severity(),
            strict: self.validation.strict,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Settings the VS Code extension uses itself (they never reach the server's analysis).
    const CLIENT_ONLY: &[&str] = &["log.level", "server.path", "trace.server"];

    fn nested(key: &str, value: Value) -> Value {
        key.rsplit('.').fold(value, |inner, part| json!({ part: inner }))
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// Each defined setting is read by the parser: its default changes nothing, another value
    /// changes the settings.
    #[test]
    fn every_defined_setting_is_read_with_its_default() {
        for def in SETTINGS {
            let default = Settings::from_json(&nested(def.key, parse(def.default)));
            assert_eq!(default, Settings::default(), "{}: the default {} is not the default", def.key, def.default);
            let other = Settings::from_json(&nested(def.key, parse(def.example)));
            assert_ne!(other, Settings::default(), "{}: {} is not read", def.key, def.example);
        }
    }

    /// The extension contributes exactly the server's settings (plus its own), with the same
    /// types, and defaults that mean the server's defaults.
    #[test]
    fn the_extension_and_the_readme_match_the_definition() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let package: Value = parse(&std::fs::read_to_string(root.join("vscode-extension/package.json")).unwrap());
        let props = package["contributes"]["configuration"]["properties"].as_object().expect("properties");
        let mut contributed: Vec<&str> = props.keys().filter_map(|k| k.strip_prefix("gitops-ls.")).collect();
        contributed.retain(|k| !CLIENT_ONLY.contains(k));
        contributed.sort();
        let mut defined: Vec<&str> = SETTINGS.iter().map(|d| d.key).collect();
        defined.sort();
        assert_eq!(contributed, defined, "package.json settings differ from config::SETTINGS");
        for def in SETTINGS {
            let prop = &props[&format!("gitops-ls.{}", def.key)];
            let types: Vec<&str> = match &prop["type"] {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                other => panic!("{}: type {other}", def.key),
            };
            assert_eq!(types, def.types, "{}: type", def.key);
            let from_package = Settings::from_json(&nested(def.key, prop["default"].clone()));
            assert_eq!(
                from_package,
                Settings::default(),
                "{}: package.json default {} differs",
                def.key,
                prop["default"]
            );
        }
        // The README's settings table lists the same settings.
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let table = &readme[readme.find("### Settings").expect("a Settings section")..];
        let table = &table[..table[4..].find("\n## ").map_or(table.len(), |i| i + 4)];
        let mut listed: Vec<&str> = table.lines().filter_map(|l| l.strip_prefix("| `")?.split('`').next()).collect();
        listed.sort();
        assert_eq!(listed, defined, "README settings table differs from config::SETTINGS");
    }

    #[test]
    fn reads_the_extension_shape_and_survives_bad_values() {
        let s = Settings::from_json(&json!({"gitops-ls": {
            "kubernetesVersion": 1.3,
            "schemas": {"locations": ["/s"], "crdCatalog": "/c", "associations": {"*.yaml": "/x.json"}},
            "validation": {"unknownKindSeverity": "off"},
            "images": "not an object",
        }}));
        assert_eq!(s.kubernetes_version.as_deref(), Some("1.3"));
        assert_eq!(s.schemas.locations, vec!["/s"]);
        assert_eq!(s.unknown_kind_severity(), None);
        assert_eq!(s.images, ImageSettings::default());
        let store = s.store_settings(None);
        assert_eq!(store.crd_catalog, Some(PathBuf::from("/c")));
        assert_eq!(store.associations, vec![("*.yaml".to_string(), "/x.json".to_string())]);
        assert_eq!(Settings::from_json(&Value::Null), Settings::default());
        assert_eq!(Settings::default().unknown_kind_severity(), Some(Severity::Warning));
        assert_eq!(s.max_file_size_mb, DEFAULT_MAX_FILE_SIZE_MB);
        assert_eq!(Settings::from_json(&json!({"maxFileSizeMb": 0.5})).max_file_bytes(), 1 << 20);
        assert_eq!(Settings::from_json(&json!({"maxFileSizeMb": 3})).max_file_bytes(), 3 << 20);
        assert_eq!(Settings::from_json(&json!({"maxFileSizeMb": -1})).max_file_size_mb, 20);
        assert_eq!(Settings::from_json(&json!({"maxFileSizeMb": "big"})).max_file_size_mb, 20);
    }
}
