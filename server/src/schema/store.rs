//! Which schema applies to a document, and why; compiled validators cached per schema.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::task::Poll;

use super::catalog::{self, KubeconformSource, LoadError};
use super::downloads::Downloads;
use super::modeline::{SchemaLocation, WellKnown, resolve_location, well_known};

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
    /// A CRD version bundled with gitops-ls.
    Bundled { api_version: String, kind: String },
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
    /// A CRD schema bundled with gitops-ls: the project that ships the CRD and the file under
    /// `schemas/crds/`.
    Bundled {
        project: String,
        file: String,
    },
    /// An online CRD catalog (downloaded once, cached on disk).
    OnlineCatalog {
        url: String,
    },
    /// A modeline or setting naming a schema URL that gitops-ls ships: resolved without a download.
    WellKnown {
        location: String,
        schema: Box<Provenance>,
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
            Provenance::WorkspaceCrd { file, line } => format!("CRD in file {file}:{line}"),
            Provenance::Catalog { path } => format!("CRD catalog {path}"),
            Provenance::Bundled { project, file } => format!("bundled {project} CRD schema ({file})"),
            Provenance::OnlineCatalog { url } => format!("online CRD catalog {url}"),
            Provenance::WellKnown { location, schema } => {
                format!("{} (for $schema={location}, without download)", schema.describe())
            }
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

/// Where schemas come from besides the embedded kinds and workspace CRDs; from the settings
/// or the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreSettings {
    /// Validate built-in kinds against this Kubernetes version instead of the embedded one.
    pub kubernetes_version: Option<String>,
    /// kubeconform-layout schema locations (directories or URL templates), tried in order.
    pub schema_locations: Vec<String>,
    /// A CRD catalog directory (`{group}/{kind}_{version}.json`).
    pub crd_catalog: Option<PathBuf>,
    /// Glob (matched against the file path) to schema location (file or URL).
    pub associations: Vec<(String, String)>,
    /// Downloaded schemas are kept here.
    pub cache_dir: Option<PathBuf>,
    /// Never download: modeline URLs that gitops-ls does not ship, the online catalog and other
    /// Kubernetes versions come from the disk cache or not at all.
    pub offline: bool,
    /// Base URL of an online CRD catalog in the CRDs-catalog layout, for custom kinds that
    /// neither the repository, the catalog directory nor the bundled schemas cover.
    pub online_catalog: Option<String>,
}

/// The online catalog the edges configure by default.
pub const DEFAULT_ONLINE_CATALOG: &str = "https://raw.githubusercontent.com/datreeio/CRDs-catalog/main";

/// kubeconform's default location for other Kubernetes versions.
pub const DEFAULT_SCHEMA_LOCATION: &str = "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master";

/// The outcome of looking up a schema.
#[derive(Clone, Debug)]
pub enum Lookup {
    Found(ResolvedSchema),
    /// No schema is known for this kind.
    Missing,
    /// A configured source could not provide it; the message says why.
    Failed(String),
    /// Being downloaded; the store's listener fires when it lands.
    Pending,
}

/// Schemas known to the analysis: embedded kinds plus custom kinds registered by source.
#[derive(Default)]
pub struct SchemaStore {
    settings: RwLock<StoreSettings>,
    /// Schemas loaded from files, URLs, catalogs and other Kubernetes versions, by location.
    loaded: Mutex<HashMap<String, Result<Arc<Value>, String>>>,
    /// Custom kinds by source (a CRD file's URI/path, or a catalog); replaced whole when the
    /// source changes, so an edited CRD updates its kinds live.
    custom: RwLock<HashMap<String, Vec<CustomKind>>>,
    builtin: RwLock<HashMap<(String, String), Arc<Value>>>,
    /// Bundled CRD schemas converted on first use, by (apiVersion, kind).
    bundled: RwLock<HashMap<(String, String), Arc<Value>>>,
    validators: Mutex<HashMap<SchemaKey, Arc<jsonschema::Validator>>>,
    /// Locations that could not be loaded: which document reports it (one warning per location)
    /// and the other files that use it.
    failures: Mutex<HashMap<String, FailureReport>>,
    /// Schema URLs, fetched in the background.
    downloads: Arc<Downloads>,
}

#[derive(Clone, Debug)]
struct FailureReport {
    /// The file whose first document using the location carries the warning.
    owner: Option<PathBuf>,
    others: Vec<PathBuf>,
}

impl SchemaStore {
    pub fn new() -> Self {
        SchemaStore::default()
    }

    /// Applies new settings; schemas loaded under the old ones are dropped.
    pub fn configure(&self, settings: StoreSettings) {
        let mut current = self.settings.write().unwrap_or_else(PoisonError::into_inner);
        if *current == settings {
            return;
        }
        self.downloads.configure(settings.cache_dir.clone(), settings.offline);
        *current = settings;
        self.loaded.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.validators.lock().unwrap_or_else(PoisonError::into_inner).retain(|k, _| {
            matches!(k, SchemaKey::Builtin { .. } | SchemaKey::Kustomization | SchemaKey::Bundled { .. })
        });
        self.failures.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Called (on a runtime thread) whenever a download lands: documents may validate
    /// differently now.
    pub fn set_on_update(&self, f: impl Fn() + Send + Sync + 'static) {
        self.downloads.set_on_update(f);
    }

    /// Goes up whenever a download lands.
    pub fn revision(&self) -> u64 {
        self.downloads.revision()
    }

    /// For `check`: lookups wait for their downloads and a failed one is not tried again, so
    /// the output does not depend on timing.
    pub fn set_batch(&self, batch: bool) {
        self.downloads.set_batch(batch);
    }

    /// Blocks until no download runs.
    pub fn wait_idle(&self) {
        self.downloads.wait_idle();
    }

    #[cfg(test)]
    pub(crate) fn downloads(&self) -> &Arc<Downloads> {
        &self.downloads
    }

    pub fn settings(&self) -> StoreSettings {
        self.settings.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Loads (once) a schema by key, remembering failures of files so a broken one is not read
    /// on every keystroke. A download's failure is not kept here: [`Downloads`] decides when to
    /// try again.
    fn load_cached(
        &self,
        key: &str,
        remote: bool,
        load: impl FnOnce() -> Poll<Result<Option<Arc<Value>>, LoadError>>,
    ) -> Poll<Option<Result<Arc<Value>, String>>> {
        if let Some(hit) = self.loaded.lock().unwrap_or_else(PoisonError::into_inner).get(key) {
            return Poll::Ready(Some(hit.clone()));
        }
        let result = match load() {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(None)) => return Poll::Ready(None),
            Poll::Ready(Ok(Some(v))) => Ok(v),
            Poll::Ready(Err(e)) => Err(e.to_string()),
        };
        if result.is_ok() || !remote {
            self.loaded.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_string(), result.clone());
        }
        Poll::Ready(Some(result))
    }

    /// What identifies a location across documents: the URL, or the resolved file path.
    pub fn location_key(location: &str, document_path: Option<&Path>) -> String {
        match resolve_location(location, document_path) {
            SchemaLocation::File(p) => format!("file:{}", p.display()),
            SchemaLocation::Url(u) => u,
        }
    }

    /// The schema gitops-ls ships for a well-known schema URL, if it has it.
    pub fn well_known_location(&self, location: &str) -> Option<ResolvedSchema> {
        let resolved = match well_known(location)? {
            WellKnown::Kustomization => self.kustomization(),
            WellKnown::GroupKind { group, version, kind } => {
                if let Some(crd) = gitops_ls_schemas::bundled_crd_ignore_case(&group, &version, &kind) {
                    self.bundled(crd.api_version, crd.kind)?
                } else {
                    let k = gitops_ls_schemas::kinds()
                        .find(|k| k.group == group && k.version == version && k.kind.eq_ignore_ascii_case(&kind))?;
                    self.builtin(k.api_version, k.kind)?
                }
            }
            WellKnown::KindLabel { kind, label, version } => {
                let first_label = |group: &str| match label.as_deref() {
                    None => group.is_empty(),
                    Some(l) => group.split('.').next() == Some(l),
                };
                if let Some(k) = gitops_ls_schemas::kinds()
                    .find(|k| k.version == version && k.kind.eq_ignore_ascii_case(&kind) && first_label(k.group))
                {
                    self.builtin(k.api_version, k.kind)?
                } else {
                    let crd = gitops_ls_schemas::bundled_crds()
                        .find(|c| c.version == version && c.kind.eq_ignore_ascii_case(&kind) && first_label(c.group))?;
                    self.bundled(crd.api_version, crd.kind)?
                }
            }
        };
        Some(ResolvedSchema {
            provenance: Provenance::WellKnown { location: location.to_string(), schema: Box::new(resolved.provenance) },
            ..resolved
        })
    }

    /// The schema at a location named by a modeline or a setting (file path or URL). Schema
    /// URLs that gitops-ls ships are resolved without a download.
    pub fn load_location(&self, location: &str, document_path: Option<&Path>, provenance: Provenance) -> Lookup {
        if let Some(found) = self.well_known_location(location) {
            return Lookup::Found(found);
        }
        let key = Self::location_key(location, document_path);
        let remote = !key.starts_with("file:");
        match self.load_cached(&key, remote, || {
            catalog::load_schema(location, document_path, &self.downloads).map(|r| r.map(Some))
        }) {
            Poll::Ready(Some(Ok(schema))) => Lookup::Found(ResolvedSchema {
                key: SchemaKey::Location(key.clone()),
                schema,
                provenance,
                label: location.to_string(),
            }),
            Poll::Ready(Some(Err(e))) => Lookup::Failed(e),
            Poll::Ready(None) => Lookup::Missing,
            Poll::Pending => Lookup::Pending,
        }
    }

    /// The schema for a file by the glob associations in the settings, if one matches.
    pub fn association(&self, path: &Path) -> Option<Lookup> {
        let settings = self.settings();
        let text = path.to_string_lossy().replace('\\', "/");
        let (glob, location) = settings.associations.iter().find(|(g, _)| glob_matches(g, &text))?;
        let provenance = Provenance::Setting { glob: glob.clone(), location: location.clone() };
        Some(self.load_location(location, Some(path), provenance))
    }

    /// The schema for a resource: a workspace CRD, then the configured Kubernetes version or
    /// the embedded kinds, then the CRD catalog.
    pub fn lookup_kind(&self, api_version: &str, kind: &str) -> Lookup {
        if let Some(found) = self.custom_kind(api_version, kind) {
            return Lookup::Found(found);
        }
        let settings = self.settings();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let other_version = settings
            .kubernetes_version
            .as_deref()
            .filter(|v| normalize_version(v) != normalize_version(builtin_version()));
        let is_builtin_group = gitops_ls_schemas::kinds().any(|k| k.group == group);
        if let (Some(kv), true) = (other_version, is_builtin_group) {
            let locations = if settings.schema_locations.is_empty() {
                vec![DEFAULT_SCHEMA_LOCATION.to_string()]
            } else {
                settings.schema_locations.clone()
            };
            let mut failures = Vec::new();
            for location in &locations {
                let source = KubeconformSource { location: location.clone(), kubernetes_version: kv.to_string() };
                let key = format!("kubeconform|{location}|{kv}|{api_version}|{kind}");
                let remote = location.starts_with("http://") || location.starts_with("https://");
                match self.load_cached(&key, remote, || source.load(group, version, kind, &self.downloads)) {
                    // The locations are tried in order: a later one must wait for this one.
                    Poll::Pending => return Lookup::Pending,
                    Poll::Ready(Some(Ok(schema))) => {
                        return Lookup::Found(ResolvedSchema {
                            key: SchemaKey::Location(key),
                            schema,
                            provenance: Provenance::KubernetesVersion {
                                version: kv.to_string(),
                                location: location.clone(),
                            },
                            label: format!("{api_version} {kind}"),
                        });
                    }
                    Poll::Ready(Some(Err(e))) => failures.push(e),
                    Poll::Ready(None) => {}
                }
            }
            // Never fall back silently to another version's schema.
            return match failures.is_empty() {
                true => Lookup::Missing,
                false => Lookup::Failed(failures.join("; ")),
            };
        }
        if let Some(found) = self.builtin(api_version, kind) {
            return Lookup::Found(found);
        }
        if let Some(dir) = &settings.crd_catalog {
            let key = format!("catalog|{}|{api_version}|{kind}", dir.display());
            let path = catalog::catalog_lookup(dir, group, version, kind);
            let load = || Poll::Ready(catalog::load_from_catalog(dir, group, version, kind).map(|v| v.map(Arc::new)));
            match self.load_cached(&key, false, load) {
                Poll::Ready(Some(Ok(schema))) => {
                    return Lookup::Found(ResolvedSchema {
                        key: SchemaKey::Location(key),
                        schema,
                        provenance: Provenance::Catalog {
                            path: path.map_or_else(|| dir.display().to_string(), |p| p.display().to_string()),
                        },
                        label: format!("{api_version} {kind}"),
                    });
                }
                Poll::Ready(Some(Err(e))) => return Lookup::Failed(e),
                Poll::Ready(None) | Poll::Pending => {}
            }
        }
        if let Some(found) = self.bundled(api_version, kind) {
            return Lookup::Found(found);
        }
        // Only CRD groups: a kind missing from a built-in group is a typo, not the long tail.
        let crd_group = group.contains('.') && !is_builtin_group;
        if let Some(base) = settings.online_catalog.as_deref().filter(|b| !b.is_empty() && crd_group) {
            let key = format!("online|{base}|{api_version}|{kind}");
            let load = || {
                catalog::load_from_online_catalog(base, group, version, kind, &self.downloads)
                    .map(|r| r.map(|v| v.map(Arc::new)))
            };
            // A kind the catalog lacks (or a catalog that cannot be reached) is simply unknown.
            return match self.load_cached(&key, true, load) {
                Poll::Pending => Lookup::Pending,
                Poll::Ready(Some(Ok(schema))) => Lookup::Found(ResolvedSchema {
                    key: SchemaKey::Location(key),
                    schema,
                    provenance: Provenance::OnlineCatalog {
                        url: catalog::online_catalog_url(base, group, version, kind),
                    },
                    label: format!("{api_version} {kind}"),
                }),
                Poll::Ready(_) => Lookup::Missing,
            };
        }
        Lookup::Missing
    }

    /// A CRD version bundled with gitops-ls, converted like a workspace CRD on first use.
    pub fn bundled(&self, api_version: &str, kind: &str) -> Option<ResolvedSchema> {
        let crd = gitops_ls_schemas::bundled_crd(api_version, kind)?;
        let key = (api_version.to_string(), kind.to_string());
        let cached = self.bundled.read().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
        let schema = match cached {
            Some(s) => s,
            None => {
                let openapi = crd.schema();
                let s = Arc::new(super::crd::resource_schema(Some(&openapi), crd.group, crd.version, crd.kind));
                self.bundled.write().unwrap_or_else(PoisonError::into_inner).insert(key, Arc::clone(&s));
                s
            }
        };
        Some(ResolvedSchema {
            key: SchemaKey::Bundled { api_version: api_version.into(), kind: kind.into() },
            schema,
            provenance: Provenance::Bundled { project: crd.project.into(), file: crd.file.into() },
            label: format!("{api_version} {kind}"),
        })
    }

    /// Whether the file at `path` is the one that reports that `location` could not be
    /// loaded (on its first document using it); `Some` with the other files that use it. The
    /// first file to ask is the one, unless [`SchemaStore::prefetch`] chose it before; it stays
    /// the one however often it is validated again.
    pub fn claim_failure(&self, location: &str, path: Option<&Path>) -> Option<Vec<PathBuf>> {
        let key = Self::location_key(location, path);
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let me = path.map(Path::to_path_buf);
        let report = failures.entry(key).or_insert_with(|| FailureReport { owner: me.clone(), others: Vec::new() });
        if report.owner == me {
            return Some(report.others.clone());
        }
        if let Some(p) = path
            && !report.others.iter().any(|o| o == p)
        {
            report.others.push(p.to_path_buf());
        }
        None
    }

    /// Loads the schemas that modelines name, before validation: URLs concurrently (at most a
    /// few at a time per host, a dead host asked once), waiting for all of them; for each
    /// location that cannot be loaded, the first document (in the order given) reports it for
    /// all the others. `uses` are (location, file) in the order the files are reported.
    pub fn prefetch(&self, uses: &[(String, PathBuf)]) {
        let mut seen = std::collections::HashSet::new();
        for (location, path) in uses {
            if well_known(location).is_some() && self.well_known_location(location).is_some() {
                continue;
            }
            if !seen.insert(Self::location_key(location, Some(path))) {
                continue;
            }
            match resolve_location(location, Some(path)) {
                SchemaLocation::Url(url) => self.downloads.queue(&url),
                SchemaLocation::File(_) => {
                    let _ =
                        self.load_location(location, Some(path), Provenance::Modeline { location: location.clone() });
                }
            }
        }
        self.downloads.wait_idle();
        let failed: std::collections::HashSet<String> = uses
            .iter()
            .filter(|(location, path)| {
                let provenance = Provenance::Modeline { location: location.clone() };
                matches!(self.load_location(location, Some(path), provenance), Lookup::Failed(_))
            })
            .map(|(location, path)| Self::location_key(location, Some(path)))
            .collect();
        // The first document that uses a failed location reports it, listing the other files.
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        for (location, path) in uses {
            let key = Self::location_key(location, Some(path));
            if !failed.contains(&key) {
                continue;
            }
            let report =
                failures.entry(key).or_insert_with(|| FailureReport { owner: Some(path.clone()), others: Vec::new() });
            if report.owner.as_deref() != Some(path.as_path()) && !report.others.contains(path) {
                report.others.push(path.clone());
            }
        }
    }

    /// The authored kustomization.yaml schema.
    pub fn kustomization(&self) -> ResolvedSchema {
        static SCHEMA: std::sync::OnceLock<Arc<Value>> = std::sync::OnceLock::new();
        let schema = SCHEMA.get_or_init(|| {
            Arc::new(
                serde_json::from_str(include_str!("../../../schemas/kustomization.json")).unwrap_or(Value::Bool(true)),
            )
        });
        ResolvedSchema {
            key: SchemaKey::Kustomization,
            schema: Arc::clone(schema),
            provenance: Provenance::Authored { name: "kustomization.yaml".into() },
            label: "Kustomization".into(),
        }
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

    /// The custom kinds one source registered.
    pub fn custom_kinds_from(&self, source: &str) -> Vec<CustomKind> {
        self.custom.read().unwrap_or_else(PoisonError::into_inner).get(source).cloned().unwrap_or_default()
    }

    /// Every custom kind, for completion of `kind` and `apiVersion` values.
    pub fn custom_kinds(&self) -> Vec<CustomKind> {
        self.custom.read().unwrap_or_else(PoisonError::into_inner).values().flatten().cloned().collect()
    }

    /// The schema for a resource by `apiVersion` and `kind`, if one is available.
    pub fn resolve_kind(&self, api_version: &str, kind: &str) -> Option<ResolvedSchema> {
        match self.lookup_kind(api_version, kind) {
            Lookup::Found(r) => Some(r),
            _ => None,
        }
    }

    /// A workspace CRD's schema (so a repository can shadow a built-in).
    fn custom_kind(&self, api_version: &str, kind: &str) -> Option<ResolvedSchema> {
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
        None
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
    let (_, anchor) = reference_anchor(info.definition)?;
    Some(format!("https://kubernetes.io/docs/reference/generated/kubernetes-api/v{}/#{anchor}", builtin_version()))
}

/// `io.k8s.api.networking.v1.IngressSpec` → (`IngressSpec`, `ingressspec-v1-networking-k8s-io`):
/// the reference page's anchors are `<type>-<version>-<group>`, dots in the group as dashes,
/// `core` for the core group and `meta` for object metadata.
pub fn reference_anchor(definition: &str) -> Option<(&str, String)> {
    let (package, type_name) = definition.rsplit_once('.')?;
    let (package, version) = package.rsplit_once('.')?;
    let group = if package == "io.k8s.apimachinery.pkg.apis.meta" {
        "meta".to_string()
    } else {
        let pkg = package.strip_prefix("io.k8s.api.")?;
        if pkg == "core" {
            "core".to_string()
        } else {
            // The package names the group's first label only (`rbac`); the kinds know the group.
            let prefix = format!("{package}.{version}.");
            let kind = gitops_ls_schemas::kinds().find(|k| k.definition.starts_with(&prefix))?;
            kind.group.replace('.', "-")
        }
    };
    Some((type_name, format!("{}-{version}-{group}", type_name.to_lowercase())))
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
            Provenance::Bundled { .. } => None,
            Provenance::OnlineCatalog { url } => Some(url.clone()),
            Provenance::WellKnown { schema, .. } => {
                ResolvedSchema { provenance: (**schema).clone(), ..self.clone() }.source_uri()
            }
            Provenance::KubernetesVersion { location, .. } => Some(to_uri(location)),
            Provenance::Modeline { location } | Provenance::Setting { location, .. } => Some(to_uri(location)),
            Provenance::Authored { .. } => None,
        }
    }
}

fn normalize_version(v: &str) -> String {
    let v = v.trim_start_matches('v');
    let mut parts: Vec<&str> = v.split('.').collect();
    parts.truncate(2);
    parts.join(".")
}

/// Glob matching for associations: `*` within a path segment, `**` across segments, `?` one
/// character. A pattern without `/` matches the file name anywhere.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                let rest = p[2..].strip_prefix(b"/").unwrap_or(&p[2..]);
                if rest.is_empty() {
                    return true;
                }
                (0..=s.len()).any(|i| (i == 0 || s[i - 1] == b'/') && go(rest, &s[i..])) || go(rest, s)
            }
            Some(b'*') => (0..=s.len()).take_while(|&i| i == 0 || s[i - 1] != b'/').any(|i| go(&p[1..], &s[i..])),
            Some(b'?') => !s.is_empty() && s[0] != b'/' && go(&p[1..], &s[1..]),
            Some(c) => s.first() == Some(c) && go(&p[1..], &s[1..]),
        }
    }
    let path = path.trim_start_matches("./");
    if !pattern.contains('/') {
        let name = path.rsplit('/').next().unwrap_or(path);
        return go(pattern.as_bytes(), name.as_bytes());
    }
    let pattern = pattern.trim_start_matches("./");
    go(pattern.as_bytes(), path.as_bytes())
        || (!pattern.starts_with('/')
            && (0..path.len()).any(|i| path.as_bytes()[i] == b'/' && go(pattern.as_bytes(), &path.as_bytes()[i + 1..])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_reference_links_name_the_whole_group() {
        let url = |a, k| api_reference_url(a, k).unwrap();
        assert!(url("apps/v1", "Deployment").ends_with("/#deployment-v1-apps"));
        assert!(url("networking.k8s.io/v1", "Ingress").ends_with("/#ingress-v1-networking-k8s-io"));
        assert!(url("v1", "Pod").ends_with("/#pod-v1-core"));
    }

    #[test]
    fn globs() {
        assert!(glob_matches("*.yaml", "/r/apps/web.yaml"));
        assert!(glob_matches("apps/**/*.yaml", "/r/apps/a/b/web.yaml"));
        assert!(glob_matches("apps/*.yaml", "/r/apps/web.yaml"));
        assert!(!glob_matches("apps/*.yaml", "/r/apps/a/web.yaml"));
        assert!(glob_matches("**/values*.yaml", "/r/chart/values-prod.yaml"));
        assert!(!glob_matches("*.yml", "/r/a.yaml"));
        assert!(glob_matches("/r/**", "/r/x/y.yaml"));
    }

    #[test]
    fn another_kubernetes_version_never_falls_back_silently() {
        let dir = tempfile::tempdir().unwrap();
        let store = SchemaStore::new();
        store.configure(StoreSettings {
            kubernetes_version: Some("1.29".into()),
            schema_locations: vec![dir.path().display().to_string()],
            ..Default::default()
        });
        match store.lookup_kind("apps/v1", "Deployment") {
            Lookup::Failed(msg) => assert!(msg.contains("1.29"), "{msg}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        let vdir = dir.path().join("v1.29.0-standalone-strict");
        std::fs::create_dir_all(&vdir).unwrap();
        std::fs::write(
            vdir.join("deployment-apps-v1.json"),
            r#"{"type": "object", "properties": {"spec": {"type": "object"}}}"#,
        )
        .unwrap();
        store.configure(StoreSettings {
            kubernetes_version: Some("v1.29.0".into()),
            schema_locations: vec![dir.path().display().to_string()],
            ..Default::default()
        });
        match store.lookup_kind("apps/v1", "Deployment") {
            Lookup::Found(r) => {
                assert_eq!(r.provenance.describe(), format!("Kubernetes v1.29.0 from {}", dir.path().display()))
            }
            other => panic!("expected the 1.29 schema, got {other:?}"),
        }
        // CRD groups are not looked up there.
        assert!(matches!(store.lookup_kind("example.com/v1", "Widget"), Lookup::Missing));
    }
}
