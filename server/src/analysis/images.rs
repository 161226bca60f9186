//! Container images in manifests: where they are, what is wrong with them, tag completion and
//! hover. Pure: registry knowledge comes in through [`ImageTags`], a snapshot of the tag cache.
//!
//! Images are found by shape, not by schema, so every pod template counts wherever it sits
//! (Deployments, CronJobs, `List`s, custom resources that embed a pod spec):
//! - `image:` of the items of `containers`, `initContainers` and `ephemeralContainers`;
//! - kustomize `images[]` (`name`, `newName`, `newTag`, `digest`), also Flux `Kustomization.spec.images`;
//! - Flux `ImageRepository.spec.image` (a repository, no tag);
//! - Helm values of the `image: {registry?, repository, tag}` shape;
//! - Flux `# {"$imagepolicy": "ns:name[:tag]"}` markers, which mark a line as automated.

use std::collections::HashSet;
use std::sync::Arc;

use super::best_tree;
use super::completion::{Completion, CompletionItem, ItemKind};
use super::context::{CursorPosition, completion_context};
use super::hover::Hover;
use crate::k8s::gitops::is_opaque;
use crate::k8s::image::{self, ImageRef, newer_release};
use crate::schema::navigate::Segment;
use crate::yaml::{Diagnostic, Fix, Node, NodeKind, ScalarStyle, Severity, Span, TextSource, YamlFile};

/// Most tags a completion list carries; beyond that the list is marked incomplete and the
/// client asks again as the prefix grows.
pub const MAX_TAG_ITEMS: usize = 500;

/// What the registry said about a repository, as far as the cache knows.
#[derive(Clone, Debug)]
pub enum TagState {
    /// Never asked.
    Unknown,
    /// A fetch is running.
    Pending,
    Ready(Arc<TagList>),
    /// The last fetch failed; the reason is safe to show (it never holds credentials).
    Failed(String),
    /// The registry could not be reached (offline, DNS): shown on hover, not as a diagnostic.
    Offline(String),
}

/// A repository's tags in completion order (versions newest first, then the rest).
#[derive(Debug, Default)]
pub struct TagList {
    pub tags: Vec<String>,
    set: HashSet<String>,
}

impl TagList {
    pub fn new(mut tags: Vec<String>) -> TagList {
        image::sort_tags(&mut tags);
        let set = tags.iter().cloned().collect();
        TagList { tags, set }
    }
    pub fn contains(&self, tag: &str) -> bool {
        self.set.contains(tag)
    }
}

/// What a manifest fetch found about one tag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageDetails {
    pub digest: String,
    pub media_type: String,
    /// `linux/amd64`, `linux/arm64/v8`; from the image index, or the config of a single image.
    pub platforms: Vec<String>,
    /// RFC 3339.
    pub created: Option<String>,
    /// Config plus layers, compressed, of one platform's image.
    pub size: Option<u64>,
}

/// A snapshot of the registry cache. Keys are `registry/repository` ([`ImageRef::name`]).
pub trait ImageTags {
    fn tags(&self, repo: &str) -> TagState;
    fn details(&self, repo: &str, tag: &str) -> Option<Arc<ImageDetails>>;
}

/// No registry knowledge (tests, `check` without `--check-images`).
pub struct NoTags;

impl ImageTags for NoTags {
    fn tags(&self, _: &str) -> TagState {
        TagState::Unknown
    }
    fn details(&self, _: &str, _: &str) -> Option<Arc<ImageDetails>> {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteKind {
    Container,
    Kustomize,
    /// Flux `ImageRepository.spec.image`: a repository only.
    FluxRepository,
    Helm,
}

/// One image reference in a file. Spans are absolute.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageSite {
    pub kind: SiteKind,
    /// The whole value holding the reference (for kustomize and Helm: the name's value).
    pub span: Span,
    /// The reference, or why it does not parse.
    pub parsed: Result<ImageRef, String>,
    /// Where the tag text is (inside `span` for a container, the `newTag`/`tag` value otherwise).
    pub tag_span: Option<Span>,
    /// Where a new `:tag@digest` would be written for a one-string reference: the end of the name.
    pub name_end: Option<usize>,
    /// The `ns:name[:field]` of a Flux `$imagepolicy` marker on the reference's line.
    pub policy: Option<String>,
}

impl ImageSite {
    /// The repository key and the tag to look at (`latest` when none is written).
    pub fn repo_and_tag(&self) -> Option<(String, String)> {
        let r = self.parsed.as_ref().ok()?;
        if self.kind == SiteKind::FluxRepository {
            return None;
        }
        Some((r.name(), r.tag.clone().unwrap_or_else(|| "latest".into())))
    }
    fn spans(&self) -> impl Iterator<Item = Span> {
        std::iter::once(self.span).chain(self.tag_span)
    }
}

/// The exact text span of a scalar's content (inside quotes), when the source is the value
/// verbatim (no escapes, no folding); else the whole node span and `false`.
fn content(node: &Node, doc_text: &str) -> Option<(String, Span, bool)> {
    let s = node.as_scalar()?;
    let src = doc_text.get(node.span.start..node.span.end)?;
    let inner = match s.style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if src.len() >= 2 => {
            Span::new(node.span.start + 1, node.span.end - 1)
        }
        _ => node.span,
    };
    let exact = doc_text.get(inner.start..inner.end) == Some(&*s.value)
        && matches!(s.style, ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
    Some((s.value.to_string(), if exact { inner } else { node.span }, exact))
}

/// Every image reference of `file`.
pub fn image_sites(file: &YamlFile, text: &(impl TextSource + ?Sized)) -> Vec<ImageSite> {
    let mut out = Vec::new();
    for slot in file.documents() {
        document_sites(slot, text, &mut out);
    }
    out
}

/// The image references of one `---` document, in absolute offsets.
fn document_sites(slot: &crate::yaml::DocumentSlot, text: &(impl TextSource + ?Sized), out: &mut Vec<ImageSite>) {
    {
        let Some(root) = best_tree(slot) else { return };
        if slot.doc.is_template {
            return;
        }
        let doc_text = text.slice(Span::new(slot.start, (slot.start + slot.doc.len).min(text.len())));
        let mut sites = Vec::new();
        let api_version = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
        if api_version.starts_with("kustomize.config.k8s.io/") || (api_version.is_empty() && kind.is_empty()) {
            kustomize_images(root.get("images"), &doc_text, &mut sites);
        }
        if api_version.starts_with("kustomize.toolkit.fluxcd.io/") {
            kustomize_images(root.get("spec").and_then(|s| s.get("images")), &doc_text, &mut sites);
        }
        if api_version.starts_with("image.toolkit.fluxcd.io/") && kind == "ImageRepository" {
            let image = root.get("spec").and_then(|s| s.get("image"));
            if let Some((value, span, _)) = image.and_then(|n| content(n, &doc_text)) {
                let parsed = image::parse_name(&value).map_err(|e| e.to_string());
                sites.push(ImageSite {
                    kind: SiteKind::FluxRepository,
                    span,
                    parsed,
                    tag_span: None,
                    name_end: None,
                    policy: None,
                });
            }
        }
        walk(root, &doc_text, &mut sites);
        attach_policies(&slot.doc.comments, &doc_text, &mut sites);
        out.extend(sites.into_iter().map(|mut s| {
            s.span = s.span.shift(slot.start);
            s.tag_span = s.tag_span.map(|t| t.shift(slot.start));
            s.name_end = s.name_end.map(|e| e + slot.start);
            s
        }));
    }
}

/// Every image site under `root`, in document order, with an explicit stack (no recursion on
/// the depth of the input).
fn walk(root: &Node, doc_text: &str, out: &mut Vec<ImageSite>) {
    enum Frame<'a> {
        Map(std::slice::Iter<'a, crate::yaml::Entry>),
        Seq(std::slice::Iter<'a, Node>),
    }
    fn frame(n: &Node) -> Option<Frame<'_>> {
        match &n.kind {
            NodeKind::Mapping(entries) => Some(Frame::Map(entries.iter())),
            NodeKind::Sequence(items) => Some(Frame::Seq(items.iter())),
            _ => None,
        }
    }
    let mut stack: Vec<Frame<'_>> = frame(root).into_iter().collect();
    while let Some(top) = stack.last_mut() {
        let child = match top {
            Frame::Map(entries) => entries.next().map(|e| {
                let key = e.key.as_str().unwrap_or("");
                if matches!(key, "containers" | "initContainers" | "ephemeralContainers") {
                    for item in e.value.items() {
                        if let Some(site) = item.get("image").and_then(|n| container_site(n, doc_text)) {
                            out.push(site);
                        }
                    }
                }
                if key == "image"
                    && let Some(site) = helm_site(&e.value, doc_text)
                {
                    out.push(site);
                }
                &e.value
            }),
            Frame::Seq(items) => items.next(),
        };
        match child {
            Some(n) => stack.extend(frame(n)),
            None => {
                stack.pop();
            }
        }
    }
}

fn container_site(node: &Node, doc_text: &str) -> Option<ImageSite> {
    let (value, span, exact) = content(node, doc_text)?;
    if value.is_empty() || is_opaque(&value) {
        // Substituted later (Flux post-build, Helm, SOPS): not a reference yet.
        return None;
    }
    let parsed = image::parse(&value).map_err(|e| e.to_string());
    let (tag_span, name_end) = match (&parsed, exact) {
        (Ok(r), true) => (
            r.tag_range.clone().map(|t| Span::new(span.start + t.start, span.start + t.end)),
            Some(span.start + r.name_range.end),
        ),
        _ => (None, None),
    };
    Some(ImageSite { kind: SiteKind::Container, span, parsed, tag_span, name_end, policy: None })
}

/// `image: {registry?, repository, tag?}` (Helm chart values).
fn helm_site(node: &Node, doc_text: &str) -> Option<ImageSite> {
    let (repo, span, _) = content(node.get("repository")?, doc_text)?;
    let registry = node.get("registry").and_then(|n| n.as_str()).filter(|r| !r.is_empty());
    let tag = node.get("tag").and_then(|n| content(n, doc_text)).filter(|(t, _, _)| !t.is_empty());
    // A part filled in later (Flux substitution, a template, SOPS): not a reference yet.
    if repo.is_empty()
        || is_opaque(&repo)
        || registry.is_some_and(is_opaque)
        || tag.as_ref().is_some_and(|t| is_opaque(&t.0))
    {
        return None;
    }
    let full = match registry {
        Some(reg) => format!("{reg}/{repo}"),
        None => repo,
    };
    let with_tag = match &tag {
        Some((t, _, _)) => format!("{full}:{t}"),
        None => full,
    };
    let parsed = image::parse(&with_tag).map_err(|e| e.to_string());
    Some(ImageSite {
        kind: SiteKind::Helm,
        span,
        parsed,
        tag_span: tag.filter(|(_, _, exact)| *exact).map(|(_, s, _)| s),
        name_end: None,
        policy: None,
    })
}

fn kustomize_images(images: Option<&Node>, doc_text: &str, out: &mut Vec<ImageSite>) {
    for item in images.map(Node::items).unwrap_or_default() {
        let name = item.get("newName").or_else(|| item.get("name"));
        let Some((name, span, _)) = name.and_then(|n| content(n, doc_text)) else { continue };
        let tag = item.get("newTag").and_then(|n| content(n, doc_text));
        let digest = item.get("digest").and_then(|n| n.as_str());
        // Flux substitutes its Kustomization's `images`: not a reference until then.
        if is_opaque(&name) || tag.as_ref().is_some_and(|t| is_opaque(&t.0)) || digest.is_some_and(is_opaque) {
            continue;
        }
        let mut text = name.clone();
        if let Some((t, _, _)) = &tag {
            text = format!("{text}:{t}");
        }
        if let Some(d) = digest {
            text = format!("{text}@{d}");
        }
        let parsed = image::parse(&text).map_err(|e| e.to_string());
        // Without `newTag` the images keep the tags they have: nothing to say about `latest`.
        let parsed = parsed.map(|mut r| {
            if tag.is_none() && r.digest.is_none() {
                r.digest = Some(String::new());
            }
            r
        });
        out.push(ImageSite {
            kind: SiteKind::Kustomize,
            span,
            parsed,
            tag_span: tag.filter(|(_, _, exact)| *exact).map(|(_, s, _)| s),
            name_end: None,
            policy: None,
        });
    }
}

/// `# {"$imagepolicy": "ns:name[:tag]"}` after a reference marks it as set by Flux.
fn attach_policies(comments: &[crate::yaml::Comment], doc_text: &str, sites: &mut [ImageSite]) {
    for c in comments {
        let Some(policy) = policy_marker(&c.text) else { continue };
        let line_start = doc_text[..c.span.start].rfind('\n').map_or(0, |i| i + 1);
        for s in sites.iter_mut() {
            if s.spans().any(|sp| sp.start >= line_start && sp.end <= c.span.start) {
                s.policy = Some(policy.to_string());
            }
        }
    }
}

/// The policy of a marker comment (valid or not), `None` when the comment is not one.
fn policy_marker(comment: &str) -> Option<String> {
    let body = comment.trim_start_matches('#').trim();
    if !body.contains("$imagepolicy") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    Some(v.get("$imagepolicy")?.as_str()?.to_string())
}

/// Why a `$imagepolicy` value is malformed.
fn policy_problem(policy: &str) -> Option<String> {
    let parts: Vec<&str> = policy.split(':').collect();
    let dns = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    match parts.as_slice() {
        [ns, name] | [ns, name, _] if !dns(ns) || !dns(name) => {
            Some(format!("`{policy}`: namespace and name must be lower-case Kubernetes names"))
        }
        [_, _] | [_, _, "tag" | "name" | "digest"] => None,
        [_, _, field] => Some(format!("`{policy}`: `{field}` is not one of `tag`, `name`, `digest`")),
        _ => Some(format!("`{policy}`: expected `namespace:name` or `namespace:name:tag`")),
    }
}

/// Diagnostics about images. Without `check_tags` only what needs no registry.
pub fn image_diagnostics(
    file: &YamlFile,
    text: &(impl TextSource + ?Sized),
    tags: &dyn ImageTags,
    check_tags: bool,
) -> Vec<Diagnostic> {
    image_diagnostics_for(file, &image_sites(file, text), tags, check_tags)
}

/// [`image_diagnostics`] for sites already found (the server also prefetches them).
pub fn image_diagnostics_for(
    file: &YamlFile,
    sites: &[ImageSite],
    tags: &dyn ImageTags,
    check_tags: bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for slot in file.documents() {
        marker_diagnostics(slot, &mut out);
    }
    site_diagnostics(sites, tags, check_tags, &mut out);
    out.sort_by_key(|d| (d.span.start, d.span.end));
    out
}

/// The image diagnostics of one `---` document and its image sites, in absolute offsets.
pub fn document_image_diagnostics(
    slot: &crate::yaml::DocumentSlot,
    text: &(impl TextSource + ?Sized),
    tags: &dyn ImageTags,
    check_tags: bool,
) -> (Vec<Diagnostic>, Vec<ImageSite>) {
    let mut sites = Vec::new();
    document_sites(slot, text, &mut sites);
    let mut out = Vec::new();
    marker_diagnostics(slot, &mut out);
    site_diagnostics(&sites, tags, check_tags, &mut out);
    out.sort_by_key(|d| (d.span.start, d.span.end));
    (out, sites)
}

fn marker_diagnostics(slot: &crate::yaml::DocumentSlot, out: &mut Vec<Diagnostic>) {
    for c in &slot.doc.comments {
        if let Some(problem) = policy_marker(&c.text).as_deref().and_then(policy_problem) {
            let span = c.span.shift(slot.start);
            out.push(Diagnostic::new(span, Severity::Warning, "image-policy-marker", problem));
        }
    }
}

fn site_diagnostics(sites: &[ImageSite], tags: &dyn ImageTags, check_tags: bool, out: &mut Vec<Diagnostic>) {
    let mut reported_failures = HashSet::new();
    for site in sites {
        let r = match &site.parsed {
            Ok(r) => r,
            Err(why) => {
                out.push(Diagnostic::new(site.span, Severity::Error, "image-reference", why.clone()));
                continue;
            }
        };
        if site.kind == SiteKind::FluxRepository {
            continue;
        }
        let repo = r.name();
        let tag = r.tag.as_deref();
        let pinned = r.digest.is_some();
        let details = tags.details(&repo, tag.unwrap_or("latest"));
        // Helm values without a tag get the chart's default (usually its appVersion).
        let chart_default = site.kind == SiteKind::Helm && tag.is_none();
        if !pinned && !chart_default && matches!(tag, None | Some("latest")) {
            let message = match tag {
                None => format!("`{}` has no tag, so it pulls `latest`, which moves: pin a version", r.familiar_name()),
                Some(_) => format!("`{}:latest` moves under you: pin a version", r.familiar_name()),
            };
            let mut d = Diagnostic::new(site.span, Severity::Warning, "image-latest", message);
            if let Some(fix) = details.as_deref().and_then(|det| pin_fix(site, "latest", &det.digest)) {
                d = d.with_fix(fix);
            }
            out.push(d);
        }
        // Only a written tag can be missing or outdated.
        let Some(tag) = tag.filter(|_| check_tags) else { continue };
        let list = match tags.tags(&repo) {
            TagState::Ready(list) => list,
            TagState::Failed(why) => {
                if reported_failures.insert(repo.clone()) {
                    let msg = format!("cannot check the tags of `{}`: {why}", r.familiar_name());
                    out.push(Diagnostic::new(site.span, Severity::Information, "image-registry", msg));
                }
                continue;
            }
            TagState::Unknown | TagState::Pending | TagState::Offline(_) => continue,
        };
        let tag_span = site.tag_span.unwrap_or(site.span);
        if !list.contains(tag) {
            let newest: Vec<&str> = list.tags.iter().take(3).map(String::as_str).collect();
            let mut msg = format!("tag `{tag}` does not exist in {repo}");
            if !newest.is_empty() {
                msg.push_str(&format!(" (newest: {})", newest.join(", ")));
            }
            let mut d = Diagnostic::new(tag_span, Severity::Error, "image-tag-missing", msg);
            if let Some(best) = list
                .tags
                .iter()
                .find(|t| image::TagVersion::parse(t).is_some_and(|v| v.is_release()))
                .map(String::as_str)
                .or(newest.first().copied())
                && let Some(fix) = tag_fix(site, best)
            {
                d = d.with_fix(fix);
            }
            out.push(d);
            continue;
        }
        if site.policy.is_some() {
            // Flux updates this line itself.
            continue;
        }
        if let Some(newer) = newer_release(tag, list.tags.iter().map(String::as_str)) {
            let msg = format!("a newer release of `{}` exists: `{newer}`", r.familiar_name());
            let mut d = Diagnostic::new(tag_span, Severity::Hint, "image-newer", msg);
            if let Some(fix) = tag_fix(site, newer) {
                d = d.with_fix(fix);
            }
            if !pinned && let Some(fix) = details.as_deref().and_then(|det| pin_fix(site, tag, &det.digest)) {
                d = d.with_fix(fix);
            }
            out.push(d);
        }
    }
}

/// `name:tag@digest` in place of a one-string reference.
fn pin_fix(site: &ImageSite, tag: &str, digest: &str) -> Option<Fix> {
    let r = site.parsed.as_ref().ok()?;
    if site.kind != SiteKind::Container || digest.is_empty() || r.digest.is_some() {
        return None;
    }
    let name_end = site.name_end?;
    let short: String = digest.chars().take(19).collect();
    Some(Fix::replace(
        format!("Pin to digest {short}…"),
        Span::new(name_end, site.span.end),
        format!(":{tag}@{digest}"),
    ))
}

fn tag_fix(site: &ImageSite, tag: &str) -> Option<Fix> {
    let span = site.tag_span?;
    let text = if site.kind == SiteKind::Container { tag.to_string() } else { yaml_string(tag) };
    Some(Fix::replace(format!("Update to {tag}"), span, text))
}

/// A tag as a value of its own (`newTag: "1.10"` must stay a string).
fn yaml_string(tag: &str) -> String {
    if crate::yaml::resolve_plain(tag) == crate::yaml::ScalarValue::String {
        tag.to_string()
    } else {
        format!("\"{tag}\"")
    }
}

/// What the cursor completes: the tags of `repo`, or the digest of `repo:tag`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagTarget {
    pub repo: String,
    /// Set when completing a digest.
    pub digest_of: Option<String>,
    /// What was typed of the tag or digest.
    pub prefix: String,
    /// Absolute span the completion replaces.
    pub replace: Span,
    pub needs_space: bool,
}

/// Where a completion at `offset` is an image tag or digest, and of which repository.
pub fn tag_target(file: &YamlFile, text: &(impl TextSource + ?Sized), offset: usize) -> Option<TagTarget> {
    let ctx = completion_context(file, text, offset)?;
    let CursorPosition::Value { key } = &ctx.position else { return None };
    let typed = &ctx.prefix;
    let value_start = ctx.replace.start;
    match key.as_str() {
        "image" => {
            let value = text.slice(Span::new(value_start, ctx.replace.end.max(offset)));
            if let Some(at) = typed.find('@') {
                // `name[:tag]@dig|`: the digest of the typed tag.
                let r = image::parse(&typed[..at]).ok().filter(|r| r.digest.is_none())?;
                return Some(TagTarget {
                    repo: r.name(),
                    digest_of: Some(r.tag.unwrap_or_else(|| "latest".into())),
                    prefix: typed[at + 1..].to_string(),
                    replace: Span::new(value_start + at + 1, ctx.replace.end.max(offset)),
                    needs_space: false,
                });
            }
            let slash = typed.rfind('/').map_or(0, |i| i + 1);
            let colon = slash + typed[slash..].find(':')?;
            let r = image::parse_name(&typed[..colon]).ok()?;
            // The tag ends at a digest after the cursor, which stays.
            let tag_end = value[colon..].find('@').map_or(value.len(), |i| colon + i);
            Some(TagTarget {
                repo: r.name(),
                digest_of: None,
                prefix: typed[colon + 1..].to_string(),
                replace: Span::new(value_start + colon + 1, value_start + tag_end),
                needs_space: false,
            })
        }
        "newTag" | "tag" | "digest" => {
            let slot = &file.documents()[ctx.doc_index];
            let tree = best_tree(slot)?;
            let mapping = node_at(tree, &ctx.path)?;
            let repo_node = if key == "tag" {
                let repo = mapping.get("repository")?.as_str()?;
                let registry = mapping.get("registry").and_then(Node::as_str).filter(|r| !r.is_empty());
                registry.map_or(repo.to_string(), |reg| format!("{reg}/{repo}"))
            } else {
                mapping.get("newName").or_else(|| mapping.get("name"))?.as_str()?.to_string()
            };
            let r = image::parse_name(&repo_node).ok()?;
            let digest_of = (key == "digest")
                .then(|| mapping.get("newTag").and_then(Node::as_str).map_or("latest".to_string(), str::to_string));
            Some(TagTarget {
                repo: r.name(),
                digest_of,
                prefix: typed.clone(),
                replace: ctx.replace,
                needs_space: ctx.needs_space,
            })
        }
        _ => None,
    }
}

fn node_at<'a>(root: &'a Node, path: &[Segment]) -> Option<&'a Node> {
    path.iter().try_fold(root, |n, seg| match seg {
        Segment::Key(k) => n.get(k),
        Segment::Index(i) => n.items().get(*i),
    })
}

/// Completion of image tags (or a digest) at `offset`; `None` when the cursor is not there.
pub fn image_completion(
    file: &YamlFile,
    text: &(impl TextSource + ?Sized),
    offset: usize,
    tags: &dyn ImageTags,
) -> Option<Completion> {
    let target = tag_target(file, text, offset)?;
    Some(complete_target(&target, tags))
}

/// The completion list for a target found by [`tag_target`].
pub fn complete_target(target: &TagTarget, tags: &dyn ImageTags) -> Completion {
    let space = if target.needs_space { " " } else { "" };
    let item = |label: String, detail: Option<String>, rank: usize| CompletionItem {
        insert_text: format!("{space}{label}"),
        filter_text: Some(label.clone()),
        label,
        kind: ItemKind::Value,
        detail,
        documentation: None,
        is_snippet: false,
        replace: target.replace,
        sort_text: Some(format!("{rank:06}")),
    };
    if let Some(tag) = &target.digest_of {
        return match tags.details(&target.repo, tag) {
            Some(d) if d.digest.starts_with(target.prefix.as_str()) => Completion {
                items: vec![item(d.digest.clone(), Some(format!("digest of {tag}")), 0)],
                ..Default::default()
            },
            Some(_) => Completion::default(),
            None => Completion { items: Vec::new(), is_incomplete: true },
        };
    }
    match tags.tags(&target.repo) {
        TagState::Ready(list) => {
            let mut matching = list.tags.iter().filter(|t| t.starts_with(target.prefix.as_str()));
            let items: Vec<_> =
                matching.by_ref().take(MAX_TAG_ITEMS).enumerate().map(|(i, t)| item(t.clone(), None, i)).collect();
            Completion { items, is_incomplete: matching.next().is_some() }
        }
        TagState::Failed(_) | TagState::Offline(_) => Completion::default(),
        TagState::Unknown | TagState::Pending => Completion { items: Vec::new(), is_incomplete: true },
    }
}

/// The image site a cursor at `offset` is on.
pub fn site_at(file: &YamlFile, text: &(impl TextSource + ?Sized), offset: usize) -> Option<ImageSite> {
    // Only the document under the cursor (and the one ending there) can hold the site: a hover
    // must not walk a whole 50,000-line file.
    let docs = file.documents();
    let i = docs.partition_point(|s| s.start <= offset);
    let mut sites = Vec::new();
    for slot in &docs[i.saturating_sub(2)..i] {
        document_sites(slot, text, &mut sites);
    }
    sites.into_iter().find(|s| s.spans().any(|sp| sp.touches(offset)))
}

/// Hover on an image: where it comes from and what the registry says about it.
pub fn image_hover(
    file: &YamlFile,
    text: &(impl TextSource + ?Sized),
    offset: usize,
    tags: &dyn ImageTags,
) -> Option<Hover> {
    let site = site_at(file, text, offset)?;
    let span = site.spans().find(|sp| sp.touches(offset)).unwrap_or(site.span);
    let r = match &site.parsed {
        Ok(r) => r,
        Err(why) => return Some(Hover { markdown: format!("**Invalid image reference**\n\n{why}"), span }),
    };
    let mut md = format!("**{}**\n\n", r.familiar_name());
    md.push_str(&format!("- Registry: `{}`\n- Repository: `{}`\n", r.registry, r.repository));
    if let Some((repo, tag)) = site.repo_and_tag() {
        md.push_str(&format!("- Tag: `{tag}`{}\n", if r.tag.is_none() { " (implicit)" } else { "" }));
        if let Some(d) = r.digest.as_deref().filter(|d| !d.is_empty()) {
            md.push_str(&format!("- Pinned digest: `{d}`\n"));
        }
        match tags.details(&repo, &tag) {
            Some(d) => {
                md.push_str(&format!("- Digest: `{}`\n", d.digest));
                if !d.platforms.is_empty() {
                    md.push_str(&format!("- Platforms: {}\n", d.platforms.join(", ")));
                }
                if let Some(c) = &d.created {
                    md.push_str(&format!("- Created: {c}\n"));
                }
                if let Some(size) = d.size {
                    md.push_str(&format!("- Size: {}\n", human_size(size)));
                }
            }
            None => match tags.tags(&repo) {
                TagState::Failed(why) | TagState::Offline(why) => md.push_str(&format!("\nRegistry: {why}\n")),
                TagState::Ready(_) | TagState::Unknown | TagState::Pending => {
                    md.push_str("\n*Registry details are being fetched.*\n")
                }
            },
        }
    }
    if let Some(p) = &site.policy {
        md.push_str(&format!("\nUpdated by Flux image automation (policy `{p}`).\n"));
    }
    Some(Hover { markdown: md.trim_end().to_string(), span })
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{v:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests;
