use std::collections::HashMap;

use super::*;
use crate::analysis::fixtures::cursor;

/// A cache snapshot with fixed contents.
#[derive(Default)]
pub(crate) struct FakeTags {
    pub tags: HashMap<String, TagState>,
    pub details: HashMap<(String, String), Arc<ImageDetails>>,
}

impl ImageTags for FakeTags {
    fn tags(&self, repo: &str) -> TagState {
        self.tags.get(repo).cloned().unwrap_or(TagState::Unknown)
    }
    fn details(&self, repo: &str, tag: &str) -> Option<Arc<ImageDetails>> {
        self.details.get(&(repo.to_string(), tag.to_string())).cloned()
    }
}

const APP: &str = "127.0.0.1:5000/team/app";
const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn fake() -> FakeTags {
    let mut f = FakeTags::default();
    let list = TagList::new(["1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "latest"].map(String::from).to_vec());
    f.tags.insert(APP.into(), TagState::Ready(Arc::new(list)));
    f.tags.insert("docker.io/library/down".into(), TagState::Failed("HTTP 500 from the registry".into()));
    for tag in ["1.0.0", "latest"] {
        let details = ImageDetails {
            digest: DIGEST.into(),
            media_type: "application/vnd.oci.image.index.v1+json".into(),
            platforms: vec!["linux/amd64".into(), "linux/arm64".into()],
            created: Some("2024-05-01T10:00:00Z".into()),
            size: Some(12_345_678),
        };
        f.details.insert((APP.into(), tag.into()), Arc::new(details));
    }
    f
}

fn pod(image: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: {image}\n"
    )
}

fn diags(text: &str, check: bool) -> Vec<(String, &'static str, String, Vec<String>)> {
    let file = YamlFile::parse(text);
    image_diagnostics(&file, text, &fake(), check)
        .into_iter()
        .map(|d| {
            let fixes = d
                .fixes
                .iter()
                .map(|f| {
                    let mut t = text.to_string();
                    for e in f.edits.iter().rev() {
                        t.replace_range(e.span.start..e.span.end, &e.new_text);
                    }
                    let line = t.lines().find(|l| l.contains("image:") || l.contains("Tag:")).unwrap_or("");
                    format!("{} => {}", f.title, line.trim())
                })
                .collect();
            (text[d.span.start..d.span.end].to_string(), d.code, d.message, fixes)
        })
        .collect()
}

#[test]
fn finds_images_by_shape() {
    let text = "\
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
            - image: \"busybox:1.36\"
          containers:
            - image: ghcr.io/a/b:v1 # {\"$imagepolicy\": \"flux-system:b\"}
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
images:
  - name: nginx
    newName: registry.example.com/nginx
    newTag: \"1.27\"
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
spec:
  image: ghcr.io/stefanprodan/podinfo
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
spec:
  values:
    image:
      registry: quay.io
      repository: org/tool
      tag: 0.9.1
";
    let file = YamlFile::parse(text);
    let sites = image_sites(&file, text);
    let got: Vec<_> = sites
        .iter()
        .map(|s| {
            let r = s.parsed.as_ref().unwrap();
            let tag = s.tag_span.map(|t| &text[t.start..t.end]);
            (s.kind, r.name(), r.tag.clone(), tag, s.policy.clone())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (SiteKind::Container, "docker.io/library/busybox".into(), Some("1.36".into()), Some("1.36"), None),
            (SiteKind::Container, "ghcr.io/a/b".into(), Some("v1".into()), Some("v1"), Some("flux-system:b".into())),
            (SiteKind::Kustomize, "registry.example.com/nginx".into(), Some("1.27".into()), Some("1.27"), None),
            (SiteKind::FluxRepository, "ghcr.io/stefanprodan/podinfo".into(), None, None, None),
            (SiteKind::Helm, "quay.io/org/tool".into(), Some("0.9.1".into()), Some("0.9.1"), None),
        ]
    );
    assert_eq!(&text[sites[0].span.start..sites[0].span.end], "busybox:1.36", "inside the quotes");
}

#[test]
fn offline_diagnostics() {
    let got = diags(&pod("nginx"), false);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, "image-latest");
    assert!(got[0].2.contains("`nginx` has no tag"), "{got:?}");
    assert_eq!(diags(&pod("nginx:latest"), false)[0].1, "image-latest");
    assert!(diags(&pod(&format!("nginx:latest@{DIGEST}")), false).is_empty(), "a digest pins it");
    assert!(diags(&pod("nginx:1.27"), false).is_empty());
    let bad = diags(&pod("Team/App:1"), false);
    assert_eq!(bad[0].1, "image-reference");
    assert!(bad[0].2.contains("must be lowercase"), "{bad:?}");
    let marker = diags(&format!("{}      # {{\"$imagepolicy\": \"Flux:x:y\"}}\n", pod("a:1")), false);
    assert_eq!(marker[0].1, "image-policy-marker");
    // A kustomize entry without `newTag` keeps the original tag: no warning.
    let k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: nginx\n    newName: x/nginx\n";
    assert!(diags(k, false).is_empty());
    // Helm values without a tag take the chart's default tag (its appVersion): no warning;
    // an explicit `latest` still moves.
    let helm = |image: &str| {
        format!("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  values:\n    image:\n{image}")
    };
    assert!(diags(&helm("      repository: ghcr.io/org/app\n"), false).is_empty());
    assert!(diags(&helm("      repository: ghcr.io/org/app\n      tag: \"\"\n"), false).is_empty());
    let latest = diags(&helm("      repository: ghcr.io/org/app\n      tag: latest\n"), false);
    assert_eq!(latest.iter().map(|d| d.1).collect::<Vec<_>>(), ["image-latest"]);
    // Parts Flux substitutes later are not references yet.
    assert!(diags(&helm("      repository: ghcr.io/org/app\n      tag: ${APP_TAG}\n"), false).is_empty());
    assert!(
        diags(&helm("      registry: ${REGISTRY}\n      repository: org/app\n      tag: \"1.0\"\n"), false).is_empty()
    );
    assert!(diags(&pod("ghcr.io/org/app:${TAG}"), false).is_empty());
    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nspec:\n  images:\n    - name: app\n      newTag: ${TAG}\n";
    assert!(diags(flux, false).is_empty());
    // A container's image without a tag is still `latest`.
    assert_eq!(diags(&pod("ghcr.io/org/app"), false)[0].1, "image-latest");
}

#[test]
fn registry_diagnostics_and_fixes() {
    let missing = diags(&pod(&format!("{APP}:1.3.0")), true);
    assert_eq!(missing.len(), 1, "{missing:?}");
    let (span_text, code, message, fixes) = &missing[0];
    assert_eq!((span_text.as_str(), *code), ("1.3.0", "image-tag-missing"));
    assert_eq!(message, &format!("tag `1.3.0` does not exist in {APP} (newest: 2.0.0-rc.1, 1.10.0, 1.2.0)"));
    assert_eq!(fixes, &[format!("Update to 1.10.0 => image: {APP}:1.10.0")]);

    let newer = diags(&pod(&format!("{APP}:1.0.0")), true);
    assert_eq!(newer[0].1, "image-newer");
    assert_eq!(
        newer[0].3,
        [
            format!("Update to 1.10.0 => image: {APP}:1.10.0"),
            format!("Pin to digest sha256:111111111111… => image: {APP}:1.0.0@{DIGEST}"),
        ]
    );
    let latest = diags(&pod(APP), true);
    assert_eq!(latest[0].1, "image-latest");
    assert_eq!(latest[0].3, [format!("Pin to digest sha256:111111111111… => image: {APP}:latest@{DIGEST}")]);
    // Flux updates marked lines: no hint.
    assert!(diags(&pod(&format!("{APP}:1.0.0 # {{\"$imagepolicy\": \"ns:app\"}}")), true).is_empty());
    let down = diags(&pod("down:1"), true);
    assert_eq!(down[0].1, "image-registry");
    assert!(down[0].2.contains("HTTP 500"));
    // Kustomize `newTag` gets the fix as a quoted YAML string when needed.
    let k = format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: app\n    newName: {APP}\n    newTag: 1.0.0\n"
    );
    assert_eq!(diags(&k, true)[0].3[0], "Update to 1.10.0 => newTag: 1.10.0");
}

fn complete(fixture: &str) -> Option<(Vec<String>, bool, String)> {
    let (text, offset, file) = cursor(fixture);
    let c = image_completion(&file, text.as_str(), offset, &fake())?;
    let replaced = c.items.first().map(|i| text[i.replace.start..i.replace.end].to_string()).unwrap_or_default();
    Some((c.items.into_iter().map(|i| i.insert_text).collect(), c.is_incomplete, replaced))
}

#[test]
fn completes_tags_newest_first() {
    let (items, incomplete, replaced) = complete(&pod(&format!("{APP}:$0"))).unwrap();
    assert_eq!(items, ["2.0.0-rc.1", "1.10.0", "1.2.0", "1.0.0", "latest"]);
    assert!(!incomplete);
    assert_eq!(replaced, "");
    let (items, _, replaced) = complete(&pod(&format!("{APP}:1.$01.0"))).unwrap();
    assert_eq!(items, ["1.10.0", "1.2.0", "1.0.0"]);
    assert_eq!(replaced, "1.1.0");
    let (items, _, _) = complete(&pod(&format!("\"{APP}:1.1$0\""))).unwrap();
    assert_eq!(items, ["1.10.0"]);
    // After `@`: the digest of the typed tag.
    let (items, _, _) = complete(&pod(&format!("{APP}:1.0.0@$0"))).unwrap();
    assert_eq!(items, [DIGEST]);
    // Not fetched yet: nothing, but incomplete so the client asks again.
    let (items, incomplete, _) = complete(&pod("ghcr.io/x/y:$0")).unwrap();
    assert!(items.is_empty() && incomplete);
    // No `:` typed yet: not a tag.
    assert!(complete(&pod("ghcr.io/x/y$0")).is_none());
    // Kustomize `newTag` and Helm `tag`.
    let k = format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: app\n    newName: {APP}\n    newTag:$0\n"
    );
    let (items, _, _) = complete(&k).unwrap();
    assert_eq!(items[1], " 1.10.0");
    let h = format!("values:\n  image:\n    repository: {APP}\n    tag: 1.2$0\n");
    assert_eq!(complete(&h).unwrap().0, ["1.2.0"]);
}

#[test]
fn large_tag_lists_are_cut_and_marked_incomplete() {
    let mut f = fake();
    let many: Vec<String> = (0..100_000).map(|i| format!("0.0.{i}")).collect();
    f.tags.insert(APP.into(), TagState::Ready(Arc::new(TagList::new(many))));
    let (text, offset, file) = cursor(&pod(&format!("{APP}:$0")));
    let c = image_completion(&file, text.as_str(), offset, &f).unwrap();
    assert_eq!(c.items.len(), MAX_TAG_ITEMS);
    assert!(c.is_incomplete);
    assert_eq!(c.items[0].label, "0.0.99999");
}

#[test]
fn hover_shows_registry_details() {
    let (text, offset, file) = cursor(&pod(&format!("{APP}:1.0$0.0")));
    let h = image_hover(&file, text.as_str(), offset, &fake()).unwrap();
    expect_test::expect![[r#"
        **127.0.0.1:5000/team/app**

        - Registry: `127.0.0.1:5000`
        - Repository: `team/app`
        - Tag: `1.0.0`
        - Digest: `sha256:1111111111111111111111111111111111111111111111111111111111111111`
        - Platforms: linux/amd64, linux/arm64
        - Created: 2024-05-01T10:00:00Z
        - Size: 12.3 MB"#]]
    .assert_eq(&h.markdown);
    let (text, offset, file) = cursor(&pod("nginx$0"));
    let h = image_hover(&file, text.as_str(), offset, &fake()).unwrap();
    assert!(h.markdown.contains("- Repository: `library/nginx`\n- Tag: `latest` (implicit)"), "{}", h.markdown);
}

#[test]
fn site_at_looks_only_near_the_cursor_and_finds_what_a_full_scan_finds() {
    let mut text = String::new();
    for i in 0..6 {
        if i > 0 {
            text.push_str("---\n");
        }
        text.push_str(&pod(&format!("{APP}:1.{i}.0")));
    }
    // An image at the very start and the very end of a document, next to a boundary.
    text.push_str("---\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, image: nginx}");
    let file = YamlFile::parse(text.as_str());
    let all = image_sites(&file, text.as_str());
    assert_eq!(all.len(), 7);
    for offset in 0..=text.len() {
        let full = all.iter().find(|s| s.spans().any(|sp| sp.touches(offset))).map(|s| s.span);
        assert_eq!(site_at(&file, text.as_str(), offset).map(|s| s.span), full, "offset {offset}");
    }
}
