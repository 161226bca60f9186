//! Schema loaders: the only part of `schema/` that reads files or fetches URLs.
//!
//! * A CRD catalog directory in the datreeio/CRDs-catalog layout,
//!   `{group}/{kind lowercased}_{version}.json`. Those files are the CRDs' `openAPIV3Schema`
//!   converted to JSON with `additionalProperties: false` on named objects but not on the root,
//!   and without `apiVersion`/`kind` enums; they go through the same conversion as workspace
//!   CRDs ([`crd::resource_schema`]) so both behave alike.
//! * Kubernetes schemas of another version in kubeconform's layout, from a directory or a URL
//!   template ([`KubeconformSource`]).
//! * A plain schema file or URL named by a modeline or a setting ([`load_schema`]).
//!
//! URLs go through [`Downloads`]: fetched in the background, once, and cached on disk; until a
//! fetch lands the answer is [`Poll::Pending`].

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::Poll;

use serde_json::Value;

use super::crd;
use super::downloads::{DownloadError, Downloads};
use super::modeline::{SchemaLocation, resolve_location};

/// Why a schema could not be loaded. Messages say what was looked for and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The location does not have this schema (missing file or directory, HTTP 404).
    NotFound(String),
    /// The file or URL could not be read (permissions, network, server error).
    Unreachable(String),
    /// The content is not a JSON schema, or the location template is malformed.
    Invalid(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotFound(m) | LoadError::Unreachable(m) | LoadError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for LoadError {}

/// The catalog file for a kind, if the catalog has one: `{dir}/{group}/{kind}_{version}.json`
/// with the kind lowercased.
pub fn catalog_lookup(dir: &Path, group: &str, version: &str, kind: &str) -> Option<PathBuf> {
    let path = dir.join(group).join(format!("{}_{version}.json", kind.to_lowercase()));
    path.is_file().then_some(path)
}

/// Loads a catalog file and makes it a strict, self-contained resource schema (root strict,
/// `apiVersion`/`kind` pinned, `metadata` checked against ObjectMeta).
pub fn load_catalog_schema(path: &Path, group: &str, version: &str, kind: &str) -> Result<Value, LoadError> {
    let openapi = read_json_file(path)?;
    Ok(crd::resource_schema(Some(&openapi), group, version, kind))
}

/// [`catalog_lookup`] then [`load_catalog_schema`]; `Ok(None)` when the catalog lacks the kind.
pub fn load_from_catalog(dir: &Path, group: &str, version: &str, kind: &str) -> Result<Option<Value>, LoadError> {
    catalog_lookup(dir, group, version, kind).map(|p| load_catalog_schema(&p, group, version, kind)).transpose()
}

/// A schema named by a modeline or a setting: a JSON file (relative to the document's
/// directory) or a URL. Used as is.
pub fn load_schema(
    location: &str,
    document_path: Option<&Path>,
    downloads: &Arc<Downloads>,
) -> Poll<Result<Arc<Value>, LoadError>> {
    match resolve_location(location, document_path) {
        SchemaLocation::File(path) => Poll::Ready(read_json_file(&path).map(Arc::new)),
        SchemaLocation::Url(url) => downloads.get(&url).map(|r| {
            r.map_err(|e| match e {
                DownloadError::NotFound(status) => {
                    LoadError::NotFound(format!("schema {url} not found (HTTP {status})"))
                }
                DownloadError::Failed(reason) => LoadError::Unreachable(format!("cannot fetch schema {url}: {reason}")),
                DownloadError::Invalid(m) => LoadError::Invalid(m),
            })
        }),
    }
}

/// Kubernetes JSON schemas of one version in kubeconform's layout (e.g. a checkout or mirror of
/// yannh/kubernetes-json-schema), from a directory or an `http(s)://` URL.
///
/// `location` is either a base (directory or URL) under which kubeconform's default layout
/// `{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`
/// is used, or a full template ending in `json` with kubeconform's variables:
/// * `NormalizedKubernetesVersion`: `v` + the version (`1.29` is taken as `v1.29.0`, the
///   directory names those repositories use), or `master`;
/// * `StrictSuffix`: `-strict` (the embedded schemas are strict, so these are too);
/// * `ResourceKind`: the kind, lowercased; `ResourceAPIVersion`: the version (`v1`);
/// * `Group`: the API group (empty for the core group);
/// * `KindSuffix`: `-{first label of the group}-{version}`, or `-{version}` for the core group
///   (`deployment-apps-v1.json`, `ingress-networking-v1.json`, `service-v1.json`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeconformSource {
    pub location: String,
    /// e.g. `1.29`, `1.29.3` or `master`.
    pub kubernetes_version: String,
}

const DEFAULT_LAYOUT: &str =
    "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json";

impl KubeconformSource {
    /// The file path or URL of one kind's schema.
    pub fn schema_location(&self, group: &str, version: &str, kind: &str) -> Result<String, LoadError> {
        let template = if self.location.ends_with("json") {
            self.location.clone()
        } else {
            format!("{}/{DEFAULT_LAYOUT}", self.location.trim_end_matches('/'))
        };
        render(&template, |name| {
            Some(match name {
                "NormalizedKubernetesVersion" => normalized_version(&self.kubernetes_version),
                "StrictSuffix" => "-strict".into(),
                "ResourceKind" => kind.to_lowercase(),
                "ResourceAPIVersion" => version.into(),
                "Group" => group.to_lowercase(),
                "KindSuffix" => match group.split('.').next().filter(|g| !g.is_empty()) {
                    Some(first) => format!("-{}-{version}", first.to_lowercase()),
                    None => format!("-{version}"),
                },
                _ => return None,
            })
        })
        .map_err(|e| LoadError::Invalid(format!("schema location {:?}: {e}", self.location)))
    }

    /// The schema of one kind. `Ok(None)` when a directory has this Kubernetes version but not
    /// the kind (so a custom resource can be looked up elsewhere); an error when the version
    /// itself is missing, the server answers 404, or the file is not a schema. Never falls back
    /// silently to another version.
    pub fn load(
        &self,
        group: &str,
        version: &str,
        kind: &str,
        downloads: &Arc<Downloads>,
    ) -> Poll<Result<Option<Arc<Value>>, LoadError>> {
        let location = match self.schema_location(group, version, kind) {
            Ok(l) => l,
            Err(e) => return Poll::Ready(Err(e)),
        };
        let not_found = |reason: String| {
            LoadError::NotFound(format!(
                "Kubernetes {} schemas not found at {}: {reason}",
                self.kubernetes_version, self.location
            ))
        };
        if location.starts_with("http://") || location.starts_with("https://") {
            return downloads.get(&location).map(|r| match r {
                Ok(v) => Ok(Some(v)),
                Err(DownloadError::NotFound(status)) => Err(not_found(format!("{location} returned HTTP {status}"))),
                Err(DownloadError::Failed(reason)) => Err(LoadError::Unreachable(format!(
                    "cannot fetch Kubernetes {} schemas from {}: {reason}",
                    self.kubernetes_version, self.location
                ))),
                Err(DownloadError::Invalid(m)) => Err(LoadError::Invalid(m)),
            });
        }
        let path = match resolve_location(&location, None) {
            SchemaLocation::File(p) => p,
            SchemaLocation::Url(u) => {
                return Poll::Ready(Err(LoadError::Invalid(format!(
                    "unsupported schema location {u}: use a directory or http(s)"
                ))));
            }
        };
        Poll::Ready(if path.is_file() {
            read_json_file(&path).map(|v| Some(Arc::new(v)))
        } else {
            match path.parent() {
                Some(dir) if dir.is_dir() => Ok(None),
                Some(dir) => Err(not_found(format!("no directory {}", dir.display()))),
                None => Err(not_found(format!("no file {}", path.display()))),
            }
        })
    }
}

fn normalized_version(v: &str) -> String {
    if v == "master" {
        return v.into();
    }
    let v = v.strip_prefix('v').unwrap_or(v);
    if v.split('.').count() == 2 { format!("v{v}.0") } else { format!("v{v}") }
}

/// Go-template style `{{ .Name }}` substitution, the subset kubeconform locations use.
fn render(template: &str, value: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("unclosed {{")?;
        let name = after[..end].trim();
        let var = name.strip_prefix('.').ok_or_else(|| format!("unsupported template action {{{{ {name} }}}}"))?;
        out.push_str(&value(var).ok_or_else(|| format!("unknown template variable .{var}"))?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn read_json_file(path: &Path) -> Result<Value, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => LoadError::NotFound(format!("schema file {} not found", path.display())),
        _ => LoadError::Unreachable(format!("cannot read schema file {}: {e}", path.display())),
    })?;
    parse_json(&text, &path.display().to_string())
}

pub(super) fn parse_json(text: &str, origin: &str) -> Result<Value, LoadError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| LoadError::Invalid(format!("{origin} is not valid JSON: {e}")))?;
    if value.is_object() || value.is_boolean() {
        Ok(value)
    } else {
        Err(LoadError::Invalid(format!("{origin} is not a JSON schema (expected an object)")))
    }
}

/// A CRD schema from an online catalog in the CRDs-catalog layout
/// (`{base}/{group}/{kind lowercased}_{version}.json`), downloaded like any schema URL.
/// `Ok(None)` when the catalog does not have the kind (HTTP 404) or cannot be reached: the
/// kind is then simply unknown, as without the catalog.
pub fn load_from_online_catalog(
    base: &str,
    group: &str,
    version: &str,
    kind: &str,
    downloads: &Arc<Downloads>,
) -> Poll<Result<Option<Value>, LoadError>> {
    let url = online_catalog_url(base, group, version, kind);
    downloads.get(&url).map(|r| match r {
        Ok(openapi) => Ok(Some(crd::resource_schema(Some(&openapi), group, version, kind))),
        Err(_) => Ok(None),
    })
}

/// Where an online catalog keeps a kind's schema.
pub fn online_catalog_url(base: &str, group: &str, version: &str, kind: &str) -> String {
    format!("{}/{group}/{}_{version}.json", base.trim_end_matches('/'), kind.to_lowercase())
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "kustomization_tests.rs"]
mod kustomization_tests;
