use std::path::{Path, PathBuf};

use super::*;
use crate::yaml::YamlFile;

const CRD: &str = include_str!("../../../tests/fixtures/crds/stable.example.com_crontabs.yaml");

fn summary(path: &str, text: &str) -> FileSummary {
    summarize(Some(Path::new(path)), path, &YamlFile::parse(text), |_| 1)
}

#[test]
fn a_summary_lists_objects_list_items_crds_and_modelines() {
    let text = "\
# yaml-language-server: $schema=https://example.com/s.json
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: team}
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Secret, metadata: {name: s}}
---
{{ template }}
---
not: a resource
";
    let s = summary("/r/a.yaml", text);
    let ids: Vec<_> = s.objects.iter().map(|o| (o.kind.as_str(), o.name.as_deref(), o.namespace.as_deref())).collect();
    assert_eq!(ids, [("ConfigMap", Some("a"), Some("team")), ("List", None, None), ("Secret", Some("s"), None)]);
    assert_eq!(
        &text[s.objects[2].span.start..s.objects[2].span.end],
        "{apiVersion: v1, kind: Secret, metadata: {name: s}}"
    );
    assert_eq!(s.modelines, ["https://example.com/s.json"]);
    assert!(s.crds.is_empty() && s.kustomization.is_none());
    let crd = summary("/r/crd.yaml", CRD);
    assert_eq!(crd.crds.len(), 1);
    assert_eq!(crd.objects[0].kind, "CustomResourceDefinition");
}

#[test]
fn the_index_answers_from_kustomization_summaries() {
    let mut index = RepoIndex::default();
    let k = "resources: [app, ../shared/cm.yaml]\nnamespace: team\npatches:\n  - path: patch.yaml\n";
    let change = index.update("/r/overlay/kustomization.yaml".into(), summary("/r/overlay/kustomization.yaml", k));
    assert_eq!(change, Change { references: true, crds: false });
    assert!(index.is_patch(Path::new("/r/overlay/patch.yaml")));
    assert!(!index.is_patch(Path::new("/r/overlay/other.yaml")));
    assert!(index.in_namespace_scope(Path::new("/r/overlay/app/ns.yaml")));
    assert!(index.in_namespace_scope(Path::new("/r/shared/cm.yaml")));
    assert!(!index.in_namespace_scope(Path::new("/r/elsewhere/ns.yaml")));
    // Same references again: nothing to re-check.
    let again = index.update("/r/overlay/kustomization.yaml".into(), summary("/r/overlay/kustomization.yaml", k));
    assert_eq!(again, Change::default());
    let change = index.remove(Path::new("/r/overlay/kustomization.yaml"));
    assert!(change.references && !index.is_patch(Path::new("/r/overlay/patch.yaml")));
}

#[test]
fn crd_changes_are_reported_and_positions_alone_are_not_content() {
    let mut index = RepoIndex::default();
    assert!(index.update("/r/crd.yaml".into(), summary("/r/crd.yaml", CRD)).crds);
    assert_eq!(index.crds().count(), 1);
    let moved = format!("# a comment moves everything\n{CRD}");
    let before = index.get(Path::new("/r/crd.yaml")).unwrap().clone();
    let after = summary("/r/crd.yaml", &moved);
    assert!(before.same_content(&after));
    assert!(!index.update("/r/crd.yaml".into(), after).crds);
    let renamed = CRD.replace("CronTab", "CronTob").replace("crontabs", "crontobs");
    assert!(!before.same_content(&summary("/r/crd.yaml", &renamed)));
    assert!(index.update("/r/crd.yaml".into(), summary("/r/crd.yaml", &renamed)).crds);
    assert!(index.remove(Path::new("/r/crd.yaml")).crds);
    assert!(index.is_empty());
}

fn repo(files: &[(&str, &str)]) -> RepoIndex {
    let mut index = RepoIndex::default();
    index.set_roots(vec![PathBuf::from("/r")]);
    for (path, text) in files {
        index.update(PathBuf::from(path), summary(path, text));
    }
    index
}

fn codes(index: &RepoIndex, path: &str) -> Vec<&'static str> {
    let own = index.get(Path::new(path)).unwrap().clone();
    let disk = |p: &Path| index.get(p).map(|_| cross::PathKind::File);
    cross::diagnostics(index, Path::new(path), &own, &disk, true).iter().map(|d| d.code).collect()
}

const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n";
const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: _}\n";

#[test]
fn overlays_render_their_own_identities_and_are_not_duplicates_of_each_other() {
    let index = repo(&[
        ("/r/base/kustomization.yaml", "resources: [svc.yaml, ns.yaml]\n"),
        ("/r/base/svc.yaml", SERVICE),
        ("/r/base/ns.yaml", NAMESPACE),
        ("/r/a/kustomization.yaml", "namespace: a\nnamePrefix: x-\nresources: [../base]\n"),
        ("/r/b/kustomization.yaml", "namespace: b\nresources: [../base]\n"),
    ]);
    assert_eq!(codes(&index, "/r/base/svc.yaml"), Vec::<&str>::new());
    let derived = index.derived();
    let mut ids: Vec<(String, Option<String>, Option<String>)> = derived
        .rendered(Path::new("/r/base/svc.yaml"), 0)
        .into_iter()
        .chain(derived.rendered(Path::new("/r/base/ns.yaml"), 0))
        .map(|(_, m)| (m.kind.clone(), m.namespace.clone(), m.name.clone()))
        .collect();
    ids.sort();
    let id = |k: &str, ns: Option<&str>, n: &str| (k.to_string(), ns.map(str::to_string), Some(n.to_string()));
    // The placeholder Namespace takes each overlay's name; prefixes do not touch it.
    assert_eq!(
        ids,
        [
            id("Namespace", None, "a"),
            id("Namespace", None, "b"),
            id("Service", Some("a"), "x-web"),
            id("Service", Some("b"), "web")
        ]
    );
}

#[test]
fn the_same_object_twice_in_one_build_is_a_duplicate_and_cycles_end() {
    let index = repo(&[
        ("/r/app/kustomization.yaml", "namespace: a\nresources: [svc.yaml, other.yaml, ../loop]\n"),
        ("/r/app/svc.yaml", SERVICE),
        ("/r/app/other.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: elsewhere}\n"),
        // A kustomization cycle: kustomize rejects it; here it must only end.
        ("/r/loop/kustomization.yaml", "resources: [../app]\n"),
    ]);
    // Both end up as Service a/web.
    assert_eq!(codes(&index, "/r/app/other.yaml"), ["duplicate-object"]);
    assert_eq!(codes(&index, "/r/app/svc.yaml"), ["duplicate-object"]);
}

#[test]
fn references_are_judged_only_for_kinds_the_repository_defines() {
    let deployment = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      serviceAccountName: default
      containers:
        - name: c
          image: nginx
          envFrom: [{configMapRef: {name: missing}}, {secretRef: {name: from-external-secret}}]
          env:
            - name: X
              valueFrom: {configMapKeyRef: {name: optional-one, key: k, optional: true}}
";
    let external = "\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: es}
spec: {target: {name: from-external-secret}}
";
    let index = repo(&[("/r/app/deploy.yaml", deployment), ("/r/app/es.yaml", external)]);
    // No ConfigMap anywhere: the kind may come from elsewhere, nothing is said.
    assert_eq!(codes(&index, "/r/app/deploy.yaml"), Vec::<&str>::new());
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: present}\n";
    let index = repo(&[("/r/app/deploy.yaml", deployment), ("/r/app/es.yaml", external), ("/r/app/cm.yaml", cm)]);
    let own = index.get(Path::new("/r/app/deploy.yaml")).unwrap().clone();
    let found = cross::diagnostics(&index, Path::new("/r/app/deploy.yaml"), &own, &|_: &Path| None, true);
    let texts: Vec<&str> = found.iter().map(|d| &deployment[d.span.start..d.span.end]).collect();
    // The ExternalSecret's target, the optional reference and the built-in ServiceAccount are fine.
    assert_eq!(texts, ["missing"]);
}

#[test]
fn a_service_must_select_a_pod_template_of_its_build_with_the_labels_builds_add() {
    let deployment = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
";
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n";
    // The inner kustomization adds `team: a` to its Service's selector only: the outer build's
    // Deployment does not carry it.
    let index = repo(&[
        ("/r/svc/kustomization.yaml", "commonLabels: {team: a}\nresources: [svc.yaml]\n"),
        ("/r/svc/svc.yaml", service),
        ("/r/app/kustomization.yaml", "resources: [deploy.yaml, ../svc]\n"),
        ("/r/app/deploy.yaml", deployment),
    ]);
    assert_eq!(codes(&index, "/r/svc/svc.yaml"), ["selector-matches-nothing"]);
    // The same labels on both: selected.
    let index = repo(&[
        ("/r/app/kustomization.yaml", "commonLabels: {team: a}\nresources: [deploy.yaml, svc.yaml]\n"),
        ("/r/app/svc.yaml", service),
        ("/r/app/deploy.yaml", deployment),
    ]);
    assert_eq!(codes(&index, "/r/app/svc.yaml"), Vec::<&str>::new());
}

#[test]
fn image_setters_are_policy_references_with_the_marked_value() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: ghcr.io/org/app:1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}\n      - name: b\n        image: nginx:1.27 # {\"$imagepolicy\":\"apps:web:tag\"}\n";
    let s = summary("/r/deploy.yaml", text);
    type Marker<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);
    let markers: Vec<Marker> = s.objects[0]
        .markers
        .iter()
        .map(|m| {
            (
                m.namespace.as_str(),
                m.policy.as_str(),
                m.field.as_deref(),
                m.value.as_deref(),
                &text[m.span.start..m.span.end],
            )
        })
        .collect();
    assert_eq!(
        markers,
        [
            ("flux-system", "app", None, Some("ghcr.io/org/app:1.0.0"), "app"),
            ("apps", "web", Some("tag"), Some("nginx:1.27"), "web")
        ]
    );
    let policy_refs: Vec<(&str, Option<&str>)> = s.objects[0]
        .refs
        .iter()
        .filter(|r| r.kind == "ImagePolicy")
        .map(|r| (r.name.as_str(), r.namespace.as_deref()))
        .collect();
    assert_eq!(policy_refs, [("app", Some("flux-system")), ("web", Some("apps"))]);
    // A missing policy is judged like any reference: the repository defines ImagePolicies.
    let policy = "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\nmetadata: {name: app, namespace: flux-system}\nspec:\n  imageRepositoryRef: {name: app}\n";
    let index = repo(&[
        ("/r/kustomization.yaml", "resources: [deploy.yaml, policy.yaml]\n"),
        ("/r/deploy.yaml", text),
        ("/r/policy.yaml", policy),
    ]);
    assert_eq!(codes(&index, "/r/deploy.yaml"), ["reference-not-found"]);
}

#[test]
fn git_urls_compare_in_every_spelling() {
    let same = [
        "https://github.com/Example/Deploy.git",
        "git@github.com:example/deploy.git",
        "ssh://git@github.com:22/example/deploy",
        "https://user@GitHub.com/example/deploy/",
    ];
    for url in same {
        assert_eq!(refs::normalize_repo_url(url), "github.com/example/deploy", "{url}");
    }
    assert_ne!(refs::normalize_repo_url("https://github.com/example/other"), "github.com/example/deploy");
    let mut index = RepoIndex::default();
    index.set_remotes(&["git@gitlab.com:team/infra.git".to_string()]);
    assert!(index.is_this_repository("https://gitlab.com/team/infra"));
    assert!(!index.is_this_repository("https://gitlab.com/team/apps"));
}
