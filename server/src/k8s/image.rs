//! Container image references, parsed and normalised as the distribution reference grammar
//! (github.com/distribution/reference) does it:
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [domain '/'] remote-name
//! domain           := host [':' port-number]
//! host             := domain-name | IPv4address | '[' IPv6address ']'
//! domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//! path-component   := alpha-numeric [separator alpha-numeric]*
//! alpha-numeric    := /[a-z0-9]+/
//! separator        := /[_.]|__|[-]+/
//! tag              := /[\w][\w.-]{0,127}/
//! digest           := algorithm ":" hex   (algorithm components /[A-Za-z][A-Za-z0-9]*/ joined by [+._-])
//! ```
//!
//! Normalisation (`ParseNormalizedNamed`): the first path component is a registry only when it
//! contains `.` or `:`, is `localhost`, or has an upper-case letter; otherwise the registry is
//! `docker.io`, and a single-component Docker Hub name gets `library/`. `index.docker.io` is
//! `docker.io`.

use std::fmt;
use std::ops::Range;

pub const DEFAULT_REGISTRY: &str = "docker.io";
/// The name total length limit of the grammar (registry and repository, with the `/`).
pub const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// A parsed, normalised reference. Ranges are byte ranges of the text it was parsed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// `library/nginx`, `team/app`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// Where the name (as written, before normalisation) is.
    pub name_range: Range<usize>,
    pub tag_range: Option<Range<usize>>,
    pub digest_range: Option<Range<usize>>,
}

/// Why a reference does not parse; the messages follow the distribution library's errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefError {
    Empty,
    /// The name (before any tag or digest) does not match the grammar; the text says where.
    InvalidFormat(String),
    UpperCase,
    NameTooLong(usize),
    InvalidTag(String),
    InvalidDigest(String),
    /// A 64-character hex string, which is an image ID, not a name.
    IdentifierAsName,
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefError::Empty => write!(f, "invalid reference format: repository name must have at least one component"),
            RefError::InvalidFormat(why) => write!(f, "invalid reference format: {why}"),
            RefError::UpperCase => write!(f, "invalid reference format: repository name must be lowercase"),
            RefError::NameTooLong(n) => {
                write!(f, "repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters (it has {n})")
            }
            RefError::InvalidTag(why) => write!(f, "invalid tag: {why}"),
            RefError::InvalidDigest(why) => write!(f, "invalid digest: {why}"),
            RefError::IdentifierAsName => {
                write!(f, "invalid repository name: a 64-character hexadecimal string is an image ID, not a name")
            }
        }
    }
}

impl std::error::Error for RefError {}

impl ImageRef {
    /// `registry/repository`, the key a registry cache uses.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The short form people write: `nginx` for `docker.io/library/nginx`.
    pub fn familiar_name(&self) -> String {
        if self.registry == DEFAULT_REGISTRY {
            self.repository.strip_prefix("library/").unwrap_or(&self.repository).to_string()
        } else {
            self.name()
        }
    }

    /// Neither a tag nor a digest: the runtime pulls `latest`.
    pub fn is_implicit_latest(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }
}

/// Parses `text` as written in a manifest.
pub fn parse(text: &str) -> Result<ImageRef, RefError> {
    if text.is_empty() {
        return Err(RefError::Empty);
    }
    let (rest, digest_range) = match text.find('@') {
        Some(at) => {
            check_digest(&text[at + 1..])?;
            (&text[..at], Some(at + 1..text.len()))
        }
        None => (text, None),
    };
    // A tag follows the last `:` that comes after the last `/` (a `:` before it is a port).
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag_range) = match rest[last_slash..].rfind(':') {
        Some(c) => {
            let colon = last_slash + c;
            check_tag(&rest[colon + 1..])?;
            (&rest[..colon], Some(colon + 1..rest.len()))
        }
        None => (rest, None),
    };
    if name.is_empty() {
        return Err(RefError::Empty);
    }
    if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
        return Err(RefError::IdentifierAsName);
    }
    let (domain, remote) = split_domain(name);
    if let Some(d) = domain {
        check_domain(d)?;
    }
    check_remote(remote)?;
    if name.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(RefError::NameTooLong(name.len()));
    }
    let registry = match domain {
        None | Some("index.docker.io") => DEFAULT_REGISTRY.to_string(),
        Some(d) => d.to_string(),
    };
    let repository = if registry == DEFAULT_REGISTRY && !remote.contains('/') {
        format!("library/{remote}")
    } else {
        remote.to_string()
    };
    Ok(ImageRef {
        registry,
        repository,
        tag: tag_range.clone().map(|r| text[r].to_string()),
        digest: digest_range.clone().map(|r| text[r].to_string()),
        name_range: 0..name.len(),
        tag_range,
        digest_range,
    })
}

/// Parses a repository name alone (kustomize `name`, Flux `spec.image`, Helm `repository`).
pub fn parse_name(text: &str) -> Result<ImageRef, RefError> {
    let r = parse(text)?;
    if r.tag.is_some() || r.digest.is_some() {
        return Err(RefError::InvalidFormat("a repository name has no tag or digest".into()));
    }
    Ok(r)
}

/// The domain part, as `splitDockerDomain` decides it.
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':']) || first == "localhost" || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

fn check_domain(domain: &str) -> Result<(), RefError> {
    let bad = |why: &str| Err(RefError::InvalidFormat(format!("registry host `{domain}`: {why}")));
    let (host, port) = if let Some(v6) = domain.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else { return bad("unclosed `[`") };
        if addr.is_empty() || !addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return bad("not an IPv6 address");
        }
        match after {
            "" => (None, None),
            p => match p.strip_prefix(':') {
                Some(p) => (None, Some(p)),
                None => return bad("unexpected text after `]`"),
            },
        }
    } else {
        match domain.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(domain), None),
        }
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return bad("the port must be a number");
    }
    if let Some(h) = host {
        for component in h.split('.') {
            let b = component.as_bytes();
            let ok = !b.is_empty()
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-';
            if !ok {
                return bad("each dot-separated part must be letters, digits and inner dashes");
            }
        }
    }
    Ok(())
}

fn check_remote(remote: &str) -> Result<(), RefError> {
    if remote.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(RefError::UpperCase);
    }
    for component in remote.split('/') {
        check_path_component(component).map_err(|why| {
            RefError::InvalidFormat(if component.is_empty() {
                "empty path component (`//`, or a `/` at an end)".to_string()
            } else {
                format!("path component `{component}`: {why}")
            })
        })?;
    }
    Ok(())
}

/// `alpha-numeric [separator alpha-numeric]*` with separators `.`, `_`, `__` or dashes.
fn check_path_component(c: &str) -> Result<(), &'static str> {
    let b = c.as_bytes();
    if b.is_empty() {
        return Err("empty");
    }
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return Err("must start and end with a lower-case letter or digit");
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return Err(if sep.bytes().all(|x| matches!(x, b'.' | b'_' | b'-')) {
                "separators are one `.`, one or two `_`, or dashes"
            } else {
                "only lower-case letters, digits and `.`, `_`, `-` are allowed"
            });
        }
    }
    Ok(())
}

fn check_tag(tag: &str) -> Result<(), RefError> {
    let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    let b = tag.as_bytes();
    if b.is_empty() {
        return Err(RefError::InvalidTag("empty tag after `:`".into()));
    }
    if b.len() > 128 {
        return Err(RefError::InvalidTag(format!("{} characters, at most 128 are allowed", b.len())));
    }
    if !word(b[0]) {
        return Err(RefError::InvalidTag("must start with a letter, digit or `_`".into()));
    }
    if !b.iter().all(|&x| word(x) || x == b'.' || x == b'-') {
        return Err(RefError::InvalidTag("only letters, digits, `_`, `.` and `-` are allowed".into()));
    }
    Ok(())
}

fn check_digest(digest: &str) -> Result<(), RefError> {
    let bad = |why: String| Err(RefError::InvalidDigest(why));
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return bad("expected `algorithm:hex`, e.g. `sha256:…`".into());
    };
    let components_ok = !algorithm.is_empty()
        && algorithm.split(['+', '.', '_', '-']).all(|c| {
            let b = c.as_bytes();
            !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric)
        });
    if !components_ok {
        return bad(format!("`{algorithm}` is not a digest algorithm name"));
    }
    if hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return bad("the hex part must be at least 32 hexadecimal characters".into());
    }
    // The registered algorithms fix the length and case (opencontainers/go-digest).
    let expected = match algorithm {
        "sha256" => Some(64),
        "sha384" => Some(96),
        "sha512" => Some(128),
        _ => None,
    };
    if let Some(n) = expected {
        if hex.len() != n {
            return bad(format!("a {algorithm} digest has {n} hex characters, this one has {}", hex.len()));
        }
        if hex.bytes().any(|b| b.is_ascii_uppercase()) {
            return bad(format!("a {algorithm} digest is lower-case hex"));
        }
    }
    Ok(())
}

/// A tag read as a version: `1.2.3`, `v1.2`, `1.2.3-rc.1`. Tags with anything else after the
/// numbers (`1.2-alpine`) are kept apart by `suffix`, so `1.3-alpine` is never the newer
/// release of `1.2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagVersion {
    pub v_prefix: bool,
    /// 1 to 3 numbers.
    pub numbers: Vec<u64>,
    /// Semantic-version pre-release (`rc.1`), present only for three-number tags.
    pub pre: Option<String>,
    /// Anything else after the numbers (`-alpine`).
    pub suffix: Option<String>,
}

impl TagVersion {
    pub fn parse(tag: &str) -> Option<TagVersion> {
        let (v_prefix, rest) = match tag.strip_prefix('v') {
            Some(r) => (true, r),
            None => (false, tag),
        };
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (nums, tail) = rest.split_at(num_end);
        let numbers: Vec<u64> = nums.split('.').map(|n| n.parse().ok()).collect::<Option<_>>()?;
        if numbers.is_empty() || numbers.len() > 3 || nums.split('.').any(|n| n.len() > 1 && n.starts_with('0')) {
            return None;
        }
        let (pre, suffix) = match tail {
            "" => (None, None),
            t if numbers.len() == 3 && t.starts_with('-') && is_semver_pre(&t[1..]) => (Some(t[1..].to_string()), None),
            t => (None, Some(t.to_string())),
        };
        Some(TagVersion { v_prefix, numbers, pre, suffix })
    }

    /// A plain release: numbers only.
    pub fn is_release(&self) -> bool {
        self.pre.is_none() && self.suffix.is_none()
    }

    /// Same way of writing (prefix, number count, suffix), so one can replace the other.
    pub fn same_shape(&self, other: &TagVersion) -> bool {
        self.v_prefix == other.v_prefix && self.numbers.len() == other.numbers.len() && self.suffix == other.suffix
    }

    /// Semantic-version precedence (a pre-release sorts before its release).
    pub fn cmp_precedence(&self, other: &TagVersion) -> std::cmp::Ordering {
        let pad = |v: &TagVersion| [0, 1, 2].map(|i| v.numbers.get(i).copied().unwrap_or(0));
        pad(self).cmp(&pad(other)).then_with(|| match (&self.pre, &other.pre) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => cmp_pre(a, b),
        })
    }
}

fn is_semver_pre(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

fn cmp_pre(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(p), Ok(q)) => p.cmp(&q),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Tags in completion order: versions newest first, then the others by name.
pub fn sort_tags(tags: &mut [String]) {
    let mut keyed: Vec<(Option<TagVersion>, String)> =
        tags.iter_mut().map(|t| (TagVersion::parse(t), std::mem::take(t))).collect();
    keyed.sort_by(|(va, a), (vb, b)| match (va, vb) {
        (Some(x), Some(y)) => y.cmp_precedence(x).then_with(|| a.cmp(b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    });
    for (slot, (_, t)) in tags.iter_mut().zip(keyed) {
        *slot = t;
    }
}

/// The newest release of the same major version and shape that is newer than `current`.
pub fn newer_release<'a>(current: &str, tags: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let cur = TagVersion::parse(current).filter(TagVersion::is_release)?;
    let mut best: Option<(TagVersion, &str)> = None;
    for t in tags {
        let Some(v) = TagVersion::parse(t) else { continue };
        if !v.is_release() || !v.same_shape(&cur) || v.numbers[0] != cur.numbers[0] {
            continue;
        }
        if v.cmp_precedence(&cur).is_gt() && best.as_ref().is_none_or(|(b, _)| v.cmp_precedence(b).is_gt()) {
            best = Some((v, t));
        }
    }
    best.map(|(_, t)| t)
}

#[cfg(test)]
mod tests;
