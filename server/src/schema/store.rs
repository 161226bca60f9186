//! Which schema applies to a document, and why; compiled validators cached per schema.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde_json::Value;

/// Identifies one schema (and so one compiled validator).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SchemaKey {
    /// Embedded Kubernetes kind.
    Builtin { api_version: String, kind: String },
    /// A CRD version from the workspace or a catalog; `source` tells them apart.
    Custom { api_version: String, kind: String, source: String },
    /// A schema file or URL named by a modeline or a setting.
    Location(String),
    /// The kustomization.yaml schema we author.
    Kustomization,
}

/// Why a schema applies; shown in hover and the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provenance {
    Embedded {
        kubernetes_version: String,
    },
    /// A `CustomResourceDefinition` in the workspace: file (URI or path) and 1-based line.
    WorkspaceCrd {
        file: String,
        line: u32,
    },
    /// A CRD catalog directory (`{group}/{kind}_{version}.json`).
    Catalog {
        path: String,
    },
    /// Kubernetes schemas of another version loaded from a directory or URL template.
    KubernetesVersion {
        version: String,
        location: String,
    },
    /// `# yaml-language-server: $schema=…` in the document.
    Modeline {
        location: String,
    },
    /// A glob-to-schema association from the settings.
    Setting {
        glob: String,
        location: String,
    },
    /// Authored by this project (kustomization.yaml).
    Authored {
        name: String,
    },
}

impl Provenance {
    pub fn describe(&self) -> String {
        match self {
            Provenance::Embedded { kubernetes_version } => format!("embedded Kubernetes {kubernetes_version}"),
            Provenance::WorkspaceCrd { file, line } => format!("CustomResourceDefinition at {file}:{line}"),
            Provenance::Catalog { path } => format!("CRD catalog {path}"),
            Provenance::KubernetesVersion { version, location } => format!("Kubernetes {version} from {location}"),
            Provenance::Modeline { location } => format!("modeline $schema={location}"),
            Provenance::Setting { glob, location } => format!("setting {glob} → {location}"),
            Provenance::Authored { name } => format!("gitops-ls {name} schema"),
        }
    }
}

/// A schema chosen for a document.
#[derive(Clone, Debug)]
pub struct ResolvedSchema {
    pub key: SchemaKey,
    pub schema: Arc<Value>,
    pub provenance: Provenance,
    /// e.g. `apps/v1 Deployment`.
    pub label: String,
}

/// A custom resource version known from a CRD.
#[derive(Clone, Debug)]
pub struct CustomKind {
    pub api_version: String,
    pub kind: String,
    pub namespaced: bool,
    pub schema: Arc<Value>,
    pub provenance: Provenance,
}

/// Schemas known to the analysis: embedded kinds plus custom kinds registered by source.
#[derive(Default)]
pub struct SchemaStore {
    /// Custom kinds by source (a CRD file's URI/path, or a catalog); replaced whole when the
    /// source changes, so an edited CRD updates its kinds live.
    custom: RwLock<HashMap<String, Vec<CustomKind>>>,
    builtin: RwLock<HashMap<(String, String), Arc<Value>>>,
    validators: Mutex<HashMap<SchemaKey, Arc<jsonschema::Validator>>>,
}

impl SchemaStore {
    pub fn new() -> Self {
        SchemaStore::default()
    }

    /// Replaces every custom kind that came from `source` (an empty list removes them).
    pub fn set_custom_kinds(&self, source: &str, kinds: Vec<CustomKind>) {
        let mut custom = self.custom.write().unwrap_or_else(PoisonError::into_inner);
        if kinds.is_empty() {
            custom.remove(source);
        } else {
            custom.insert(source.to_string(), kinds);
        }
        // Compiled validators of that source are stale now.
        self.validators
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|k, _| !matches!(k, SchemaKey::Custom { source: s, .. } if s == source));
    }

    /// Every custom kind, for completion of `kind` and `apiVersion` values.
    pub fn custom_kinds(&self) -> Vec<CustomKind> {
        self.custom.read().unwrap_or_else(PoisonError::into_inner).values().flatten().cloned().collect()
    }

    /// The schema for a resource by `apiVersion` and `kind`: a workspace CRD first (so a
    /// repository can shadow a built-in), then the embedded kinds.
    pub fn resolve_kind(&self, api_version: &str, kind: &str) -> Option<ResolvedSchema> {
        let custom = self.custom.read().unwrap_or_else(PoisonError::into_inner);
        let mut sources: Vec<&String> = custom.keys().collect();
        sources.sort();
        for source in sources {
            if let Some(k) = custom[source].iter().find(|k| k.api_version == api_version && k.kind == kind) {
                return Some(ResolvedSchema {
                    key: SchemaKey::Custom {
                        api_version: api_version.into(),
                        kind: kind.into(),
                        source: source.clone(),
                    },
                    schema: Arc::clone(&k.schema),
                    provenance: k.provenance.clone(),
                    label: format!("{api_version} {kind}"),
                });
            }
        }
        drop(custom);
        self.builtin(api_version, kind)
    }

    pub fn builtin(&self, api_version: &str, kind: &str) -> Option<ResolvedSchema> {
        let key = (api_version.to_string(), kind.to_string());
        let cached = self.builtin.read().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
        let schema = match cached {
            Some(s) => s,
            None => {
                let s = Arc::new(gitops_ls_schemas::schema_for(api_version, kind)?);
                self.builtin.write().unwrap_or_else(PoisonError::into_inner).insert(key, Arc::clone(&s));
                s
            }
        };
        Some(ResolvedSchema {
            key: SchemaKey::Builtin { api_version: api_version.into(), kind: kind.into() },
            schema,
            provenance: Provenance::Embedded { kubernetes_version: builtin_version().to_string() },
            label: format!("{api_version} {kind}"),
        })
    }

    /// The compiled validator for a schema, built once and reused.
    pub fn validator(&self, resolved: &ResolvedSchema) -> Result<Arc<jsonschema::Validator>, String> {
        if let Some(v) = self.validators.lock().unwrap_or_else(PoisonError::into_inner).get(&resolved.key) {
            return Ok(Arc::clone(v));
        }
        // Compiled outside the lock: a big schema takes milliseconds, other documents need not wait.
        let compiled = jsonschema::options()
            .should_validate_formats(true)
            .build(&resolved.schema)
            .map_err(|e| format!("invalid schema ({}): {e}", resolved.label))?;
        let compiled = Arc::new(compiled);
        self.validators
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(resolved.key.clone())
            .or_insert_with(|| Arc::clone(&compiled));
        Ok(compiled)
    }
}

/// The Kubernetes version of the embedded schemas, e.g. `1.37`.
pub fn builtin_version() -> &'static str {
    gitops_ls_schemas::document().get("x-kubernetes-version").and_then(Value::as_str).unwrap_or("unknown")
}

/// The Kubernetes API reference page of a built-in kind, for the embedded schema's version.
pub fn api_reference_url(api_version: &str, kind: &str) -> Option<String> {
    let info = gitops_ls_schemas::kind_info(api_version, kind)?;
    let group =
        if info.group.is_empty() { "core".to_string() } else { info.group.split('.').next().unwrap_or("").to_string() };
    Some(format!(
        "https://kubernetes.io/docs/reference/generated/kubernetes-api/v{}/#{}-{}-{}",
        builtin_version(),
        kind.to_ascii_lowercase(),
        info.version,
        group
    ))
}

impl ResolvedSchema {
    /// Where the schema can be read: a CRD file, a schema file or URL, or the API reference.
    pub fn source_uri(&self) -> Option<String> {
        let to_uri = |s: &str| {
            if s.contains("://") {
                s.to_string()
            } else {
                let abs = std::path::Path::new(s);
                format!("file://{}", if abs.is_absolute() { abs.display().to_string() } else { s.to_string() })
            }
        };
        match &self.provenance {
            Provenance::Embedded { .. } => match &self.key {
                SchemaKey::Builtin { api_version, kind } => api_reference_url(api_version, kind),
                _ => None,
            },
            Provenance::WorkspaceCrd { file, .. } => Some(to_uri(file)),
            Provenance::Catalog { path } => Some(to_uri(path)),
            Provenance::KubernetesVersion { location, .. } => Some(to_uri(location)),
            Provenance::Modeline { location } | Provenance::Setting { location, .. } => Some(to_uri(location)),
            Provenance::Authored { .. } => None,
        }
    }
}
