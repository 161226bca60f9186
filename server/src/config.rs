//! Settings, as the editor sends them (`workspace/configuration` section `gitops-ls`,
//! `initializationOptions`, `didChangeConfiguration`). Unknown or malformed values fall back to
//! the defaults: a typo in settings.json must not stop the server.
//!
//! [`SETTINGS`] is the one definition of every setting: the tests hold the parser, the VS Code
//! extension's `package.json` and the settings tables of both READMEs to it
//! (`UPDATE_SETTINGS=1 cargo test -p gitops-ls --lib config` rewrites the latter three).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::ValidationOptions;
use crate::schema::store::StoreSettings;
use crate::yaml::Severity;

/// Default of `maxFileSizeMb`.
pub const DEFAULT_MAX_FILE_SIZE_MB: u64 = 20;

/// Who reads a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    /// The server (every editor sends it).
    Server,
    /// The VS Code extension only.
    Extension,
}

/// One setting, below the section `gitops-ls`.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// Dotted name, e.g. `schemas.locations`.
    pub key: &'static str,
    /// JSON types of the value (`null` for "unset").
    pub types: &'static [&'static str],
    /// The type of array items or of an object's values.
    pub items: Option<&'static str>,
    /// The default, as JSON.
    pub default: &'static str,
    /// How the tables show the default when the JSON says little (`""` for "none").
    pub default_doc: Option<&'static str>,
    /// The only values allowed.
    pub values: &'static [&'static str],
    pub minimum: Option<u32>,
    /// VS Code's scope, when not the default `window`.
    pub scope: Option<&'static str>,
    pub reader: Reader,
    /// Markdown, one paragraph.
    pub description: &'static str,
}

const fn setting(key: &'static str, types: &'static [&'static str], default: &'static str) -> Setting {
    Setting {
        key,
        types,
        items: None,
        default,
        default_doc: None,
        values: &[],
        minimum: None,
        scope: None,
        reader: Reader::Server,
        description: "",
    }
}

/// Every setting, in the order the tables list them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        default_doc: Some("the embedded version"),
        description: "Validate built-in kinds against this Kubernetes version (e.g. `1.31`) instead of the embedded schemas' version; its schemas are loaded from `schemas.locations` and cached on disk. A version that cannot be loaded is an error on each resource, never a silent fallback. Empty: the embedded version.",
        ..setting("kubernetesVersion", &["string"], r#""""#)
    },
    Setting {
        minimum: Some(0),
        description: "Documents larger than this (in MB; fractions round up) get one `file-too-large` warning and only the outline and folding: no validation, hover, completion or quick fixes.",
        ..setting("maxFileSizeMb", &["number"], "20")
    },
    Setting {
        description: "Never download schemas (modeline and `schemas.associations` URLs, the online CRD catalog, other Kubernetes versions); what is cached on disk is still used.",
        ..setting("offline", &["boolean"], "false")
    },
    Setting {
        items: Some("string"),
        default_doc: Some("kubeconform's public mirror"),
        description: "Where the schemas of another `kubernetesVersion` come from, tried in order; used only when `kubernetesVersion` differs from the embedded version. Each is a directory or URL in kubeconform's layout (`v{version}-standalone-strict/{kind}-{first label of the group}-{version}.json`, e.g. `deployment-apps-v1.json`) or a full template ending in `json` with kubeconform's variables. Empty: kubeconform's public mirror (yannh/kubernetes-json-schema on GitHub).",
        ..setting("schemas.locations", &["array"], "[]")
    },
    Setting {
        default_doc: Some("none"),
        description: "A directory (not a URL) of CRD schemas in the CRDs-catalog layout `{group}/{kind}_{version}.json`, for custom kinds; a CRD in the repository wins over it, it wins over the bundled CRD schemas. Empty: none.",
        ..setting("schemas.crdCatalog", &["string"], r#""""#)
    },
    Setting {
        default_doc: Some("datreeio/CRDs-catalog on GitHub"),
        description: "Base URL of an online CRD catalog in the `{group}/{kind}_{version}.json` layout, for custom kinds that neither the repository, `schemas.crdCatalog` nor the bundled schemas cover; downloaded in the background and cached on disk. Unset: datreeio/CRDs-catalog on GitHub; `\"\"`: none.",
        ..setting("schemas.onlineCatalog", &["string", "null"], "null")
    },
    Setting {
        items: Some("string"),
        description: "File glob → schema file or URL, e.g. `{\"**/values*.yaml\": \"./values.schema.json\"}`: matching files are validated against that schema instead of by `apiVersion`/`kind` (a modeline in the document still wins). `*` stays within a path segment, `**` crosses them, a glob without `/` matches the file name; a relative schema path is taken from the file's directory.",
        ..setting("schemas.associations", &["object"], "{}")
    },
    Setting {
        values: &["error", "warning", "information", "hint", "off"],
        description: "Severity of the diagnostic for a resource whose kind has no known schema. A kind missing from a built-in API group is reported even with `off`, as an error.",
        ..setting("validation.unknownKindSeverity", &["string"], r#""warning""#)
    },
    Setting {
        values: &["error", "warning", "information", "hint", "off"],
        description: "Severity of `reference-not-found`: an object naming a ConfigMap, Secret, ServiceAccount, Flux source… that the repository does not define, while it defines other objects of that kind.",
        ..setting("validation.missingReferenceSeverity", &["string"], r#""warning""#)
    },
    Setting {
        description: "Fields the schema does not define are errors, as with the API server's strict field validation; `false` makes them warnings.",
        ..setting("validation.strict", &["boolean"], "true")
    },
    Setting {
        items: Some("string"),
        description: "Config Sync roots the repository has no RootSync/RepoSync or `system/repo.yaml` for: directory → `\"hierarchy\"` or `\"unstructured\"`, e.g. `{\"clusters/prod\": \"unstructured\"}`, as `nomos vet --path DIR --source-format FMT`. A relative directory is taken from each workspace folder; a declared directory also overrides the format a RootSync says.",
        ..setting("configSync.roots", &["object"], "{}")
    },
    Setting {
        description: "Ask registries whether image tags exist (in the background; never blocks typing).",
        ..setting("images.checkTags", &["boolean"], "true")
    },
    Setting {
        items: Some("string"),
        description: "Registries (`host[:port]`) reached over plain HTTP instead of HTTPS; localhost always is. This does not turn off certificate checks: HTTPS registries are always verified against the system's trust store.",
        ..setting("images.insecureRegistries", &["array"], "[]")
    },
    Setting {
        minimum: Some(0),
        description: "How long registry answers (tag lists, image details) are kept, in seconds; tag lists also on disk.",
        ..setting("images.cacheTtlSeconds", &["integer"], "3600")
    },
    Setting {
        minimum: Some(0),
        description: "How long image tag completion waits for a registry before answering from the cache, marked incomplete, in milliseconds.",
        ..setting("images.completionTimeoutMs", &["integer"], "300")
    },
    Setting {
        values: &["error", "warn", "info", "debug", "trace"],
        reader: Reader::Extension,
        description: "Server log level, shown in the gitops-ls output channel; the extension starts the server with it in `GITOPS_LS_LOG`, so changing it restarts the server.",
        ..setting("log.level", &["string"], r#""info""#)
    },
    Setting {
        scope: Some("machine-overridable"),
        reader: Reader::Extension,
        description: "Path to a `gitops-ls` binary (`~` and `${workspaceFolder}` are expanded; a relative path is taken from the first workspace folder). Empty: `$GITOPS_LS_PATH`, then the binary bundled with the extension.",
        ..setting("server.path", &["string"], r#""""#)
    },
    Setting {
        values: &["off", "messages", "verbose"],
        reader: Reader::Extension,
        description: "Trace the LSP messages between VS Code and the server in the output channel.",
        ..setting("trace.server", &["string"], r#""off""#)
    },
];

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    pub kubernetes_version: Option<String>,
    /// Documents larger than this get one diagnostic and only symbols and folding.
    pub max_file_size_mb: u64,
    pub schemas: SchemaSettings,
    pub validation: ValidationSettings,
    pub images: ImageSettings,
    pub config_sync: ConfigSyncSettings,
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
            config_sync: ConfigSyncSettings::default(),
            offline: false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SchemaSettings {
    pub locations: Vec<String>,
    pub crd_catalog: Option<String>,
    pub associations: BTreeMap<String, String>,
    /// Base URL of an online CRD catalog (CRDs-catalog layout); `""` turns it off.
    pub online_catalog: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ValidationSettings {
    /// `error`, `warning`, `information`, `hint` or `off`.
    pub unknown_kind_severity: String,
    /// The same choices, for `reference-not-found`.
    pub missing_reference_severity: String,
    pub strict: bool,
}

impl Default for ValidationSettings {
    fn default() -> Self {
        ValidationSettings {
            unknown_kind_severity: "warning".into(),
            missing_reference_severity: "warning".into(),
            strict: true,
        }
    }
}

/// `error`, `warning`, `information` (`info`), `hint` or `off` (`none`, `ignore`); anything
/// else is a warning.
pub fn parse_severity(value: &str) -> Option<Severity> {
    match value.to_ascii_lowercase().as_str() {
        "error" => Some(Severity::Error),
        "information" | "info" => Some(Severity::Information),
        "hint" => Some(Severity::Hint),
        "off" | "none" | "ignore" => None,
        _ => Some(Severity::Warning),
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConfigSyncSettings {
    /// Directory → `hierarchy` or `unstructured`.
    pub roots: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
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
            // `""` is the extension's "none", not the current directory.
            let crd_catalog = x.crd_catalog.clone().filter(|c| !c.trim().is_empty());
            s.schemas = SchemaSettings { crd_catalog, ..x };
        }
        if let Some(x) = map.get("validation").and_then(|x| serde_json::from_value(x.clone()).ok()) {
            s.validation = x;
        }
        if let Some(x) = map.get("images").and_then(|x| serde_json::from_value(x.clone()).ok()) {
            s.images = x;
        }
        if let Some(x) = map.get("configSync").and_then(|x| serde_json::from_value(x.clone()).ok()) {
            s.config_sync = x;
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

    /// `configSync.roots` with a known format (others are ignored: nomos would refuse them too).
    pub fn config_sync_roots(&self) -> Vec<(PathBuf, crate::configsync::Format)> {
        let roots = self.config_sync.roots.iter();
        roots
            .filter_map(|(dir, f)| Some((PathBuf::from(dir.trim()), crate::configsync::Format::parse(f.trim())?)))
            .collect()
    }

    pub fn unknown_kind_severity(&self) -> Option<Severity> {
        parse_severity(&self.validation.unknown_kind_severity)
    }

    pub fn missing_reference_severity(&self) -> Option<Severity> {
        parse_severity(&self.validation.missing_reference_severity)
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

    #[test]
    fn config_sync_roots_keep_the_known_formats() {
        let s = Settings::from_json(
            &json!({"configSync": {"roots": {"a": "unstructured", " b ": "hierarchy", "c": "flat"}}}),
        );
        let roots = s.config_sync_roots();
        assert_eq!(
            roots,
            [
                (PathBuf::from("b"), crate::configsync::Format::Hierarchy),
                (PathBuf::from("a"), crate::configsync::Format::Unstructured)
            ]
        );
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

#[cfg(test)]
#[path = "config_contract_tests.rs"]
mod contract_tests;
