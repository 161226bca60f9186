use std::path::Path;

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
