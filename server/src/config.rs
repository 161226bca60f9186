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

/// The project settings file at a repository's top, read by the server and `check`.
pub const PROJECT_FILE: &str = ".gitops-ls.toml";

/// A parsed `.gitops-ls.toml`: the settings it sets (in the editor settings' shape, merged over
/// them), severities per code and excluded paths. Paths in it are relative to its directory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Project {
    pub file: PathBuf,
    /// The directory holding the file.
    pub dir: PathBuf,
    /// An object in the editor settings' shape; [`Project::settings_over`] merges it.
    pub settings: Value,
    /// Code → severity (`None`: off).
    pub severities: BTreeMap<String, Option<Severity>>,
    /// Globs relative to `dir` (`*` within a segment, `**` across, no `/`: any file name).
    pub exclude: Vec<String>,
    /// Keys or values it ignored, for the caller to report.
    pub warnings: Vec<String>,
}

impl Project {
    /// Parses the file at `path` (its text `text`); a TOML error is the error.
    pub fn parse(path: &std::path::Path, text: &str) -> Result<Project, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string().trim_end().to_string())?;
        let mut value = serde_json::to_value(table).map_err(|e| e.to_string())?;
        let dir = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        let mut project = Project { file: path.to_path_buf(), dir, ..Default::default() };
        let Value::Object(map) = &mut value else { return Ok(project) };
        if let Some(severity) = map.remove("severity") {
            match severity {
                Value::Object(codes) => {
                    for (code, level) in codes {
                        let known = crate::analysis::suppress::KNOWN_CODES.contains(&code.as_str())
                            || crate::configsync::CODES.contains(&code.as_str());
                        if !known {
                            project.warnings.push(format!("severity: unknown code `{code}`"));
                        }
                        match level.as_str().map(str::to_ascii_lowercase) {
                            Some(l)
                                if ["error", "warning", "information", "info", "hint", "off"].contains(&l.as_str()) =>
                            {
                                project.severities.insert(code, parse_severity(&l));
                            }
                            _ => project.warnings.push(format!(
                                "severity.{code}: {level} is not one of error, warning, information, hint, off"
                            )),
                        }
                    }
                }
                other => project.warnings.push(format!("severity: {other} is not a table of code = \"level\"")),
            }
        }
        if let Some(exclude) = map.remove("exclude") {
            match exclude {
                Value::Array(globs) if globs.iter().all(Value::is_string) => {
                    project.exclude = globs.iter().filter_map(Value::as_str).map(String::from).collect();
                }
                other => project.warnings.push(format!("exclude: {other} is not a list of globs")),
            }
        }
        check_keys(map, "", &mut project.warnings);
        resolve_paths(map, &project.dir);
        project.settings = value;
        Ok(project)
    }

    /// The editor's settings with this file's on top: the repository's choices hold for every
    /// editor and for CI alike.
    pub fn settings_over(&self, editor: &Value) -> Value {
        let mut merged = editor.get("gitops-ls").unwrap_or(editor).clone();
        merge_into(&mut merged, &self.settings);
        merged
    }

    /// Whether `path` (absolute) is excluded.
    pub fn excludes(&self, path: &std::path::Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.dir) else { return false };
        let rel = rel.to_string_lossy();
        self.exclude.iter().any(|g| {
            let g = g.trim_start_matches("./").trim_end_matches('/');
            crate::schema::store::glob_matches(g, &rel) || crate::schema::store::glob_matches(&format!("{g}/**"), &rel)
        })
    }

    /// `diagnostics` with this file's severities: a code set to `off` is dropped.
    pub fn apply(&self, diagnostics: Vec<crate::yaml::Diagnostic>) -> Vec<crate::yaml::Diagnostic> {
        if self.severities.is_empty() {
            return diagnostics;
        }
        diagnostics
            .into_iter()
            .filter_map(|mut d| match self.severities.get(d.code) {
                Some(None) => None,
                Some(Some(level)) => {
                    d.severity = *level;
                    Some(d)
                }
                None => Some(d),
            })
            .collect()
    }
}

/// Warns about keys no server setting has (the extension-only ones do nothing here either).
fn check_keys(map: &serde_json::Map<String, Value>, prefix: &str, warnings: &mut Vec<String>) {
    for (key, value) in map {
        let dotted = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let setting = SETTINGS.iter().find(|s| s.key == dotted);
        match setting {
            Some(s) if s.reader == Reader::Server => {}
            Some(_) => warnings.push(format!("`{dotted}` is read by the VS Code extension only")),
            None => match value {
                Value::Object(inner) if SETTINGS.iter().any(|s| s.key.starts_with(&format!("{dotted}."))) => {
                    check_keys(inner, &dotted, warnings);
                }
                _ => warnings.push(format!("unknown setting `{dotted}`")),
            },
        }
    }
}

/// Makes the file's relative directories absolute (catalogs, schema locations, Config Sync
/// roots); URLs stay as they are.
fn resolve_paths(map: &mut serde_json::Map<String, Value>, dir: &std::path::Path) {
    let local = |v: &str| !v.contains("://") && !std::path::Path::new(v).is_absolute() && !v.trim().is_empty();
    let absolute = |v: &str| Value::String(dir.join(v.trim()).to_string_lossy().into_owned());
    if let Some(Value::Object(schemas)) = map.get_mut("schemas") {
        if let Some(Value::String(c)) = schemas.get("crdCatalog").filter(|c| c.as_str().is_some_and(local)) {
            let c = absolute(c);
            schemas.insert("crdCatalog".into(), c);
        }
        if let Some(Value::Array(locations)) = schemas.get_mut("locations") {
            for l in locations.iter_mut() {
                if let Some(v) = l.as_str().filter(|v| local(v)) {
                    *l = absolute(v);
                }
            }
        }
    }
    if let Some(Value::Object(cs)) = map.get_mut("configSync")
        && let Some(Value::Object(roots)) = cs.get_mut("roots")
    {
        let entries: Vec<(String, Value)> = std::mem::take(roots).into_iter().collect();
        for (k, v) in entries {
            let key = if local(&k) { dir.join(k.trim()).to_string_lossy().into_owned() } else { k };
            roots.insert(key, v);
        }
    }
}

/// Objects merge key by key; anything else in `over` replaces.
fn merge_into(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge_into(existing, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (base, over) => *base = over.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_project_file_sets_settings_severities_and_excludes() {
        let text = r#"
kubernetesVersion = "1.31"
exclude = ["vendor", "**/charts/*/templates"]

[schemas]
crdCatalog = "crds"
locations = ["https://example.com/{{ .ResourceKind }}.json", "local-schemas"]

[validation]
strict = false

[severity]
unknown-kind = "off"
KNV1020 = "warning"
no-such-code = "error"

[configSync.roots]
"clusters/prod" = "unstructured"

[images]
checkTag = true
"#;
        let p = Project::parse(std::path::Path::new("/repo/.gitops-ls.toml"), text).unwrap();
        assert_eq!(p.dir, PathBuf::from("/repo"));
        let s = Settings::from_json(
            &p.settings_over(&json!({"gitops-ls": {"validation": {"strict": true}, "offline": true}})),
        );
        assert_eq!(s.kubernetes_version.as_deref(), Some("1.31"));
        assert!(!s.validation.strict, "the file wins over the editor");
        assert!(s.offline, "what the file does not set stays the editor's");
        assert_eq!(s.schemas.crd_catalog.as_deref(), Some("/repo/crds"));
        assert_eq!(s.schemas.locations, ["https://example.com/{{ .ResourceKind }}.json", "/repo/local-schemas"]);
        assert_eq!(
            s.config_sync_roots(),
            [(PathBuf::from("/repo/clusters/prod"), crate::configsync::Format::Unstructured)]
        );
        assert_eq!(p.severities.get("unknown-kind"), Some(&None));
        assert_eq!(p.severities.get("KNV1020"), Some(&Some(Severity::Warning)));
        assert_eq!(p.warnings, ["severity: unknown code `no-such-code`", "unknown setting `images.checkTag`"]);
        assert!(p.excludes(std::path::Path::new("/repo/vendor/a/b.yaml")));
        assert!(p.excludes(std::path::Path::new("/repo/apps/charts/web/templates/d.yaml")));
        assert!(!p.excludes(std::path::Path::new("/repo/apps/web/d.yaml")));
        assert!(!p.excludes(std::path::Path::new("/elsewhere/vendor/d.yaml")));
        let d = |code| crate::yaml::Diagnostic::new(crate::yaml::Span::new(0, 1), Severity::Error, code, "m");
        let kept = p.apply(vec![d("unknown-kind"), d("KNV1020"), d("duplicate-key")]);
        let kept: Vec<(&str, Severity)> = kept.iter().map(|d| (d.code, d.severity)).collect();
        assert_eq!(kept, [("KNV1020", Severity::Warning), ("duplicate-key", Severity::Error)]);
        assert!(Project::parse(std::path::Path::new("/r/.gitops-ls.toml"), "a = [").unwrap_err().contains("line 1"));
    }

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
