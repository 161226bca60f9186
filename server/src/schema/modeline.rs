//! `# yaml-language-server: $schema=<path or URL>` modelines, the convention of
//! yaml-language-server: a comment in a document names the schema for that document, and
//! `$schema=none` turns schema validation off for it.

use std::path::{Component, Path, PathBuf};

use crate::yaml::{Comment, Span};

/// What a modeline asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelineSchema {
    /// `$schema=none`: no schema validation for this document.
    None,
    /// A path or URL, as written.
    Location(String),
}

/// Where a modeline's schema lives once resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaLocation {
    File(PathBuf),
    Url(String),
}

/// The first modeline among a document's comments, with the comment's span (relative to the
/// document, like the comments themselves).
pub fn find_modeline(comments: &[Comment]) -> Option<(ModelineSchema, Span)> {
    comments.iter().find_map(|c| parse_modeline(&c.text).map(|m| (m, c.span)))
}

/// The schema locations named by the modelines of a text, found line by line without parsing
/// (to load them before the files are checked; a `#` line inside a block scalar may be counted
/// too, which only loads a schema early).
pub fn modeline_locations(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim_start).filter(|l| l.starts_with('#') && l.contains("yaml-language-server")) {
        if let Some(ModelineSchema::Location(l)) = parse_modeline(line.trim_end())
            && !found.contains(&l)
        {
            found.push(l);
        }
    }
    found
}

/// `#  yaml-language-server :  $schema=value` with any spacing around the words; the value is
/// the first word after `=`. A modeline without a value is ignored.
fn parse_modeline(comment: &str) -> Option<ModelineSchema> {
    let rest = comment.strip_prefix('#')?.trim_start();
    let rest = rest.strip_prefix("yaml-language-server")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix("$schema")?.trim_start();
    let value = rest.strip_prefix('=')?.split_whitespace().next()?;
    if value.eq_ignore_ascii_case("none") {
        return Some(ModelineSchema::None);
    }
    Some(ModelineSchema::Location(value.to_string()))
}

/// Resolves a modeline location: `http(s)://…` (any `scheme://` but `file://`) stays a URL,
/// `file://` URLs become paths, and relative paths are taken from the document's directory.
pub fn resolve_location(location: &str, document_path: Option<&Path>) -> SchemaLocation {
    if let Some(rest) = strip_prefix_ignore_case(location, "file://") {
        // `file:///abs`, or `file://localhost/abs`.
        let path = rest.strip_prefix("localhost").unwrap_or(rest);
        return SchemaLocation::File(normalize(&PathBuf::from(percent_decode(path))));
    }
    if has_url_scheme(location) {
        return SchemaLocation::Url(location.to_string());
    }
    let path = Path::new(location);
    if path.is_absolute() {
        return SchemaLocation::File(normalize(path));
    }
    let base = document_path.and_then(Path::parent).unwrap_or(Path::new(""));
    SchemaLocation::File(normalize(&base.join(path)))
}

/// A schema URL whose content gitops-ls ships, so it is never downloaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WellKnown {
    /// SchemaStore's kustomization.json: the kustomization schema gitops-ls authors.
    Kustomization,
    /// The CRDs-catalog layout, `…/{group}/{kind}_{version}.json` (the kind lower-cased), used by
    /// datreeio/CRDs-catalog and its mirrors (kubernetes-schemas.pages.dev,
    /// k8s-schemas.home-operations.com, …).
    GroupKind { group: String, version: String, kind: String },
    /// kubeconform's layout, `…/{kind}-{first label of the group}-{version}.json` or
    /// `…/{kind}-{version}.json` for the core group, as in yannh/instrumenta
    /// kubernetes-json-schema and fluxcd-community/flux2-schemas.
    KindLabel { kind: String, label: Option<String>, version: String },
}

/// Recognises a schema URL by its layout. The caller still checks that the kind is one it
/// ships, and downloads the URL otherwise.
pub fn well_known(location: &str) -> Option<WellKnown> {
    let SchemaLocation::Url(url) = resolve_location(location, None) else { return None };
    let rest = strip_prefix_ignore_case(&url, "https://").or_else(|| strip_prefix_ignore_case(&url, "http://"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if host == "json.schemastore.org" && matches!(segments[..], ["kustomization" | "kustomization.json"]) {
        return Some(WellKnown::Kustomization);
    }
    let file = segments.last()?.strip_suffix(".json")?;
    if let [.., group, _] = segments[..]
        && let Some((kind, version)) = file.rsplit_once('_')
    {
        let group_ok = group.contains('.')
            && group.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if group_ok && is_word(kind) && is_api_version(version) {
            return Some(WellKnown::GroupKind {
                group: group.to_string(),
                version: version.to_string(),
                kind: kind.to_ascii_lowercase(),
            });
        }
    }
    let lower = url.to_ascii_lowercase();
    let kubeconform_layout = ["kubernetes-json-schema", "kubernetesjsonschema", "flux2-schemas"];
    if kubeconform_layout.iter().any(|k| lower.contains(k)) {
        let parts: Vec<&str> = file.split('-').collect();
        let (kind, label, version) = match parts[..] {
            [kind, version] => (kind, None, version),
            [kind, label, version] => (kind, Some(label), version),
            _ => return None,
        };
        if is_word(kind) && label.is_none_or(is_word) && is_api_version(version) {
            return Some(WellKnown::KindLabel {
                kind: kind.to_ascii_lowercase(),
                label: label.map(str::to_ascii_lowercase),
                version: version.to_string(),
            });
        }
    }
    None
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `v1`, `v2beta3`, `v1alpha1`.
fn is_api_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else { return false };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let rest = &rest[digits..];
    rest.is_empty()
        || ["alpha", "beta"]
            .iter()
            .any(|p| rest.strip_prefix(p).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// `scheme://` where the scheme is letters, digits, `+`, `-`, `.` starting with a letter.
fn has_url_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once("://") else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `%20` and friends in `file://` URLs; invalid escapes are kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes `.` and resolves `..` lexically, so `apps/../schemas/x.json` reads well in messages.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::YamlFile;

    fn comments(text: &str) -> Vec<Comment> {
        YamlFile::parse(text).documents()[0].doc.comments.clone()
    }

    #[test]
    fn finds_the_modeline_and_its_span() {
        let text = "# a plain comment\n# yaml-language-server: $schema=https://json.schemastore.org/kustomization.json\nresources: []\n";
        let (schema, span) = find_modeline(&comments(text)).unwrap();
        assert_eq!(schema, ModelineSchema::Location("https://json.schemastore.org/kustomization.json".into()));
        assert_eq!(&text[span.start..span.end], text.lines().nth(1).unwrap());
    }

    #[test]
    fn spacing_none_and_non_modelines() {
        assert_eq!(
            parse_modeline("#yaml-language-server:$schema=./s.json"),
            Some(ModelineSchema::Location("./s.json".into()))
        );
        assert_eq!(
            parse_modeline("#   yaml-language-server :  $schema= ../s.json  trailing words"),
            Some(ModelineSchema::Location("../s.json".into()))
        );
        assert_eq!(parse_modeline("# yaml-language-server: $schema=none"), Some(ModelineSchema::None));
        assert_eq!(parse_modeline("# yaml-language-server: $schema=NONE"), Some(ModelineSchema::None));
        assert_eq!(parse_modeline("# yaml-language-server: $schema="), None);
        assert_eq!(parse_modeline("# yaml-language-server: $format.date=true"), None);
        assert_eq!(parse_modeline("# see yaml-language-server: $schema=x.json"), None);
        assert_eq!(parse_modeline("# $schema=x.json"), None);
    }

    #[test]
    fn modeline_inside_a_block_scalar_is_not_a_comment() {
        let text = "data:\n  script: |\n    # yaml-language-server: $schema=none\n";
        assert_eq!(find_modeline(&comments(text)), None);
    }

    #[test]
    fn first_modeline_wins_and_trailing_comments_count() {
        let text = "kind: X # yaml-language-server: $schema=a.json\n# yaml-language-server: $schema=b.json\n";
        let (schema, span) = find_modeline(&comments(text)).unwrap();
        assert_eq!(schema, ModelineSchema::Location("a.json".into()));
        assert_eq!(span.start, text.find('#').unwrap());
    }

    #[test]
    fn recognises_well_known_schema_urls() {
        let gk = |g: &str, v: &str, k: &str| {
            Some(WellKnown::GroupKind { group: g.into(), version: v.into(), kind: k.into() })
        };
        assert_eq!(well_known("https://json.schemastore.org/kustomization"), Some(WellKnown::Kustomization));
        assert_eq!(well_known("https://json.schemastore.org/kustomization.json"), Some(WellKnown::Kustomization));
        assert_eq!(well_known("https://json.schemastore.org/helmfile"), None);
        assert_eq!(
            well_known(
                "https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/helm.toolkit.fluxcd.io/helmrelease_v2.json"
            ),
            gk("helm.toolkit.fluxcd.io", "v2", "helmrelease")
        );
        assert_eq!(
            well_known("https://k8s-schemas.home-operations.com/source.toolkit.fluxcd.io/ocirepository_v1.json"),
            gk("source.toolkit.fluxcd.io", "v1", "ocirepository")
        );
        assert_eq!(
            well_known("https://kubernetes-schemas.pages.dev/cilium.io/ciliumnetworkpolicy_v2.json?x=1"),
            gk("cilium.io", "v2", "ciliumnetworkpolicy")
        );
        assert_eq!(
            well_known("https://datreeio.github.io/CRDs-catalog/gateway.envoyproxy.io/backend_v1alpha1.json"),
            gk("gateway.envoyproxy.io", "v1alpha1", "backend")
        );
        assert_eq!(
            well_known(
                "https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/v1.29.0-standalone-strict/deployment-apps-v1.json"
            ),
            Some(WellKnown::KindLabel { kind: "deployment".into(), label: Some("apps".into()), version: "v1".into() })
        );
        assert_eq!(
            well_known("https://kubernetesjsonschema.dev/v1.18.0-standalone/service-v1.json"),
            Some(WellKnown::KindLabel { kind: "service".into(), label: None, version: "v1".into() })
        );
        assert_eq!(
            well_known(
                "https://raw.githubusercontent.com/fluxcd-community/flux2-schemas/main/receiver-notification-v1.json"
            ),
            Some(WellKnown::KindLabel {
                kind: "receiver".into(),
                label: Some("notification".into()),
                version: "v1".into()
            })
        );
        // A chart's own HelmRelease schema (values included) is not the CRD's.
        assert_eq!(
            well_known(
                "https://raw.githubusercontent.com/bjw-s-labs/helm-charts/main/charts/other/app-template/schemas/helmrelease-helm-v2.schema.json"
            ),
            None
        );
        assert_eq!(well_known("./schemas/cert-manager.io/certificate_v1.json"), None);
        assert_eq!(well_known("https://example.com/schemas/app_v1.json"), None);
        assert_eq!(well_known("https://example.com/a.b/app_version1.json"), None);
    }

    #[test]
    fn resolves_locations() {
        let doc = Path::new("/repo/clusters/prod/apps.yaml");
        assert_eq!(
            resolve_location("https://example.com/s.json", Some(doc)),
            SchemaLocation::Url("https://example.com/s.json".into())
        );
        assert_eq!(
            resolve_location("../../schemas/kustomization.json", Some(doc)),
            SchemaLocation::File("/repo/schemas/kustomization.json".into())
        );
        assert_eq!(resolve_location("./s.json", Some(doc)), SchemaLocation::File("/repo/clusters/prod/s.json".into()));
        assert_eq!(resolve_location("/abs/s.json", Some(doc)), SchemaLocation::File("/abs/s.json".into()));
        assert_eq!(resolve_location("s.json", None), SchemaLocation::File("s.json".into()));
        assert_eq!(resolve_location("../s.json", None), SchemaLocation::File("../s.json".into()));
        assert_eq!(
            resolve_location("file:///home/me/My%20Schemas/s.json", Some(doc)),
            SchemaLocation::File("/home/me/My Schemas/s.json".into())
        );
        assert_eq!(resolve_location("FILE://localhost/tmp/s.json", None), SchemaLocation::File("/tmp/s.json".into()));
        assert_eq!(resolve_location("file:///tmp/100%", None), SchemaLocation::File("/tmp/100%".into()));
    }
}
