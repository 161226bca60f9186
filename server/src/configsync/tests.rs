use std::path::{Path, PathBuf};

use super::*;
use crate::yaml::YamlFile;

const REPO: (&str, &str) = (
    "system/repo.yaml",
    "apiVersion: configmanagement.gke.io/v1\nkind: Repo\nmetadata:\n  name: repo\nspec:\n  version: 1.0.0\n",
);
const NS_FOO: (&str, &str) = ("namespaces/foo/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n");

fn scope(group: &str, kind: &str) -> Option<bool> {
    match (group, kind) {
        ("", "ConfigMap" | "Service" | "ResourceQuota" | "Secret")
        | ("apps", "Deployment")
        | ("rbac.authorization.k8s.io", "Role" | "RoleBinding") => Some(true),
        ("rbac.authorization.k8s.io", "ClusterRole" | "ClusterRoleBinding") => Some(false),
        _ => None,
    }
}

/// A finding as (path, code, text under the span, message).
type Found = (String, &'static str, String, String);

/// The rules' findings; the selects-nothing warnings only where a test asks for them (most
/// rule tests declare selectors without the Namespaces they would select).
fn run_with(files: &[(&str, &str)], options: &Options) -> Vec<Found> {
    let mut found = run_all(files, options);
    found.retain(|f| f.1 != "selector-matches-nothing");
    found
}

fn run_all(files: &[(&str, &str)], options: &Options) -> Vec<Found> {
    let parsed: Vec<(PathBuf, YamlFile)> = files.iter().map(|(p, t)| (PathBuf::from(p), YamlFile::parse(*t))).collect();
    let sources: Vec<SourceFile> = parsed.iter().map(|(p, f)| SourceFile { path: p, file: f }).collect();
    vet_with(&sources, options, &scope)
        .into_iter()
        .map(|(i, d)| (files[i].0.to_string(), d.code, files[i].1[d.span.start..d.span.end].to_string(), d.message))
        .collect()
}

fn run(files: &[(&str, &str)], format: Format) -> Vec<Found> {
    run_with(files, &Options { format, synced_by: None })
}

fn hier(files: &[(&str, &str)]) -> Vec<Found> {
    let mut all = vec![REPO, NS_FOO];
    all.extend_from_slice(files);
    run(&all, Format::Hierarchy)
}

fn unstr(files: &[(&str, &str)]) -> Vec<Found> {
    run(files, Format::Unstructured)
}

/// Exactly one finding, with this code, span text and message start.
#[track_caller]
fn one(found: &[Found], code: &str, span: &str, message: &str) {
    assert_eq!(found.len(), 1, "{found:#?}");
    let (_, c, s, m) = &found[0];
    assert_eq!((*c, s.as_str()), (code, span), "{found:#?}");
    assert!(m.starts_with(message), "message {m:?} does not start with {message:?}");
}

#[track_caller]
fn clean(found: &[Found]) {
    assert!(found.is_empty(), "{found:#?}");
}

fn cm(name: &str, extra_meta: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{extra_meta}")
}

#[test]
fn format_detection() {
    let p = |s: &'static str| Path::new(s);
    assert_eq!(detect_format(&[p("system/repo.yaml"), p("namespaces/a/ns.yaml")]), Format::Hierarchy);
    assert_eq!(detect_format(&[p("cluster/crb.yaml")]), Format::Hierarchy);
    assert_eq!(detect_format(&[p("system/repo.yaml"), p("apps/a.yaml")]), Format::Unstructured);
    assert_eq!(detect_format(&[p("namespaces.yaml")]), Format::Unstructured);
}

#[test]
fn a_valid_hierarchy_has_no_findings() {
    clean(&hier(&[
        ("namespaces/foo/cm.yaml", &cm("a", "")),
        ("cluster/cr.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n"),
        ("README.md", "# not yaml\n"),
        ("docs/x.yaml", "kind: whatever\n"),
    ]));
}

#[test]
fn knv2001_undecodable_documents() {
    one(
        &unstr(&[("a.yaml", "metadata:\n  name: x\n")]),
        "KNV2001",
        "metadata:\n  name: x",
        "the document cannot be decoded",
    );
    clean(&unstr(&[("a.yaml", "# only a comment\n---\n")]));
}

#[test]
fn knv1003_namespace_dir_with_subdirectories() {
    let f = hier(&[("namespaces/foo/sub/cm.yaml", &cm("a", ""))]);
    let f: Vec<_> = f.into_iter().filter(|x| x.1 == "KNV1003").collect();
    one(
        &f,
        "KNV1003",
        "Namespace",
        "A Namespace directory must not have subdirectories. Restructure \"foo\" so that it has no subdirectory \"sub\"",
    );
    clean(&hier(&[("namespaces/foo/cm.yaml", &cm("a", ""))]));
}

#[test]
fn knv1004_selector_annotations_where_they_cannot_apply() {
    let sel = "apiVersion: configmanagement.gke.io/v1\nkind: ClusterSelector\nmetadata:\n  name: s\n  annotations:\n    configmanagement.gke.io/cluster-selector: s\nspec:\n  selector:\n    matchLabels:\n      env: prod\n";
    one(
        &unstr(&[("s.yaml", sel)]),
        "KNV1004",
        "configmanagement.gke.io/cluster-selector",
        "ClusterSelectors cannot be cluster-selected",
    );
    let cr = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  annotations:\n    configmanagement.gke.io/namespace-selector: s\n";
    one(
        &unstr(&[("cr.yaml", cr)]),
        "KNV1004",
        "configmanagement.gke.io/namespace-selector",
        "Cluster-scoped objects cannot be namespace-selected",
    );
    clean(&unstr(&[("s.yaml", &sel.replace("  annotations:\n    configmanagement.gke.io/cluster-selector: s\n", ""))]));
}

#[test]
fn knv1005_management_annotation() {
    let f = unstr(&[("a.yaml", &cm("a", "  annotations:\n    configmanagement.gke.io/managed: enabled\n"))]);
    one(&f, "KNV1005", "enabled", "The management annotation configmanagement.gke.io/managed=enabled is not valid");
    clean(&unstr(&[("a.yaml", &cm("a", "  annotations:\n    configmanagement.gke.io/managed: disabled\n"))]));
}

#[test]
fn knv1006_config_sync_kinds_with_wrong_field_types() {
    let sel = "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: s\nspec:\n  selector: [a]\n";
    let f = unstr(&[("s.yaml", sel)]);
    assert!(
        f.iter().any(|x| x.1 == "KNV1006" && x.2 == "[a]" && x.3.contains("spec.selector must be an object")),
        "{f:#?}"
    );
}

#[test]
fn knv1007_hierarchy_mode_none_kinds_in_abstract_namespaces() {
    let hc = "apiVersion: configmanagement.gke.io/v1\nkind: HierarchyConfig\nmetadata:\n  name: hc\nspec:\n  resources:\n  - group: \"\"\n    kinds: [ConfigMap]\n    hierarchyMode: none\n";
    let ns = ("namespaces/team/foo2/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo2\n");
    let f = hier(&[("system/hc.yaml", hc), ns, ("namespaces/team/cm.yaml", &cm("a", ""))]);
    one(&f, "KNV1007", "ConfigMap", "Object \"a\" is declared in an abstract namespace directory");
    clean(&hier(&[("system/hc.yaml", &hc.replace("none", "inherit")), ns, ("namespaces/team/cm.yaml", &cm("a", ""))]));
}

#[test]
fn knv1009_namespace_differs_from_directory() {
    one(
        &hier(&[("namespaces/foo/cm.yaml", &cm("a", "  namespace: bar\n"))]),
        "KNV1009",
        "bar",
        "An object must either leave `namespace` blank or set it to exactly the directory that contains it, \"foo\"",
    );
    clean(&hier(&[("namespaces/foo/cm.yaml", &cm("a", "  namespace: foo\n"))]));
}

#[test]
fn knv1010_unsupported_annotations() {
    let f = unstr(&[("a.yaml", &cm("a", "  annotations:\n    configsync.gke.io/declared-fields: x\n"))]);
    one(&f, "KNV1010", "configsync.gke.io/declared-fields", "Objects must not declare annotations starting with");
    clean(&unstr(&[("a.yaml", &cm("a", "  annotations:\n    configsync.gke.io/cluster-name-selector: a,b\n"))]));
}

#[test]
fn knv1011_config_sync_labels() {
    let f = unstr(&[("a.yaml", &cm("a", "  labels:\n    configmanagement.gke.io/x: z\n"))]);
    one(&f, "KNV1011", "configmanagement.gke.io/x", "Objects must not declare labels starting with");
    clean(&unstr(&[("a.yaml", &cm("a", "  labels:\n    app.kubernetes.io/name: z\n"))]));
}

#[test]
fn knv1013_unknown_selectors() {
    let f = unstr(&[("a.yaml", &cm("a", "  annotations:\n    configmanagement.gke.io/cluster-selector: prod\n"))]);
    one(
        &f,
        "KNV1013",
        "prod",
        "Object \"a\" must name an existing ClusterSelector, but its annotation \"configmanagement.gke.io/cluster-selector=prod\" names no declared ClusterSelector",
    );
    let f = unstr(&[("a.yaml", &cm("a", "  annotations:\n    configmanagement.gke.io/namespace-selector: sre\n"))]);
    one(&f, "KNV1013", "sre", "Object \"a\" must name an existing NamespaceSelector");
    let sel = "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: sre\nspec:\n  selector:\n    matchLabels:\n      team: sre\n";
    clean(&unstr(&[
        ("s.yaml", sel),
        ("a.yaml", &cm("a", "  annotations:\n    configmanagement.gke.io/namespace-selector: sre\n")),
    ]));
}

#[test]
fn knv1013_hierarchy_selector_outside_the_objects_ancestors() {
    let sel = "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: sre\nspec:\n  selector:\n    matchLabels:\n      team: sre\n";
    let ns = |n: &str| format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {n}\n");
    let (a, b) = (ns("a"), ns("b"));
    let obj = cm("x", "  annotations:\n    configmanagement.gke.io/namespace-selector: sre\n");
    let files = [
        ("namespaces/one/sel.yaml", sel),
        ("namespaces/one/a/ns.yaml", &a),
        ("namespaces/two/b/ns.yaml", &b),
        ("namespaces/two/cm.yaml", &obj),
    ];
    one(
        &hier(&files),
        "KNV1013",
        "sre",
        "Object \"x\" must name a NamespaceSelector of its own directory or a parent directory",
    );
    let files = [("namespaces/one/sel.yaml", sel), ("namespaces/one/a/ns.yaml", &a), ("namespaces/one/cm.yaml", &obj)];
    clean(&hier(&files));
}

#[test]
fn knv1014_invalid_selectors() {
    let base = "apiVersion: configmanagement.gke.io/v1\nkind: ClusterSelector\nmetadata:\n  name: s\nspec:\n";
    one(&unstr(&[("s.yaml", base)]), "KNV1014", "ClusterSelector", "ClusterSelectors must define `spec.selector`");
    let bad = format!(
        "{base}  selector:\n    matchExpressions:\n    - key: env\n      operator: Equals\n      values: [a]\n"
    );
    one(
        &unstr(&[("s.yaml", &bad)]),
        "KNV1014",
        "Equals",
        "ClusterSelector has validation errors that must be corrected: \"Equals\" is not a valid label selector operator",
    );
    let dynamic = "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: s\nspec:\n  mode: dynamic\n  selector:\n    matchLabels:\n      a: b\n";
    one(
        &hier(&[("namespaces/sel.yaml", dynamic)]),
        "KNV1014",
        "dynamic",
        "NamespaceSelectors cannot use the dynamic mode",
    );
    clean(&unstr(&[("s.yaml", dynamic)]));
}

#[test]
fn knv1017_missing_repo() {
    let f = run(&[NS_FOO, ("system/readme.yaml", "# nothing\n")], Format::Hierarchy);
    one(&f, "KNV1017", "", "The system/ directory must declare a Repo object.");
    assert_eq!(f[0].0, "system/readme.yaml");
}

#[test]
fn knv1019_namespace_directly_in_namespaces() {
    let ns = ("namespaces/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: namespaces\n");
    one(&hier(&[ns]), "KNV1019", "Namespace", "Namespaces must be declared in subdirectories of 'namespaces/'");
}

#[test]
fn knv1020_namespace_name_differs_from_directory() {
    let f = run(
        &[REPO, ("namespaces/foo/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bar\n")],
        Format::Hierarchy,
    );
    one(
        &f,
        "KNV1020",
        "bar",
        "A Namespace's `metadata.name` must match the name of its directory.\n\nexpected `metadata.name`: foo",
    );
}

#[test]
fn knv1027_unsupported_repo_version() {
    let f = run(&[("system/repo.yaml", &REPO.1.replace("1.0.0", "2.0.0")), NS_FOO], Format::Hierarchy);
    one(&f, "KNV1027", "2.0.0", "Unsupported Repo spec.version \"2.0.0\". Use version \"1.0.0\"");
    clean(&run(&[("system/repo.yaml", &REPO.1.replace("1.0.0", "0.1.0")), NS_FOO], Format::Hierarchy));
}

#[test]
fn knv1029_name_collisions() {
    let f = unstr(&[("a.yaml", &cm("a", "  namespace: x\n")), ("b.yaml", &cm("a", "  namespace: x\n"))]);
    assert_eq!(f.len(), 2, "{f:#?}");
    one(
        &f[..1],
        "KNV1029",
        "a",
        "Namespace-scoped objects of one Group and Kind need unique names within a Namespace. Found 2 objects of GroupKind \"ConfigMap\" in Namespace \"x\" named \"a\".",
    );
    // An unset namespace is `default` for a root repository.
    assert_eq!(unstr(&[("a.yaml", &cm("a", "")), ("b.yaml", &cm("a", "  namespace: default\n"))]).len(), 2);
    // Inherited copies collide with a namespace's own object.
    let f = hier(&[("namespaces/cm.yaml", &cm("a", "")), ("namespaces/foo/cm.yaml", &cm("a", ""))]);
    assert_eq!(f.iter().filter(|x| x.1 == "KNV1029").count(), 2, "{f:#?}");
    // Different cluster selection: they never meet.
    clean(&unstr(&[
        ("a.yaml", &cm("a", "  namespace: x\n  annotations:\n    configsync.gke.io/cluster-name-selector: c1\n")),
        ("b.yaml", &cm("a", "  namespace: x\n  annotations:\n    configsync.gke.io/cluster-name-selector: c2\n")),
    ]));
    clean(&unstr(&[("a.yaml", &cm("a", "  namespace: x\n")), ("b.yaml", &cm("a", "  namespace: y\n"))]));
}

#[test]
fn knv1031_missing_name() {
    one(
        &unstr(&[("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: x\n")]),
        "KNV1031",
        "metadata",
        "Objects must declare `metadata.name`:",
    );
}

#[test]
fn knv1032_hierarchy_kinds_in_unstructured() {
    one(
        &unstr(&[REPO]),
        "KNV1032",
        "Repo",
        "The type Repo.configmanagement.gke.io is not allowed when `sourceFormat` is `unstructured`.",
    );
}

#[test]
fn knv1034_config_management_system_namespace() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: config-management-system\n";
    one(
        &unstr(&[("ns.yaml", ns)]),
        "KNV1034",
        "config-management-system",
        "The \"config-management-system\" Namespace must not be declared",
    );
}

#[test]
fn knv1036_invalid_name() {
    one(
        &unstr(&[("a.yaml", &cm("Bad_Name", ""))]),
        "KNV1036",
        "Bad_Name",
        "Objects need a `metadata.name` of at most 253 characters",
    );
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:reader\n";
    clean(&unstr(&[("r.yaml", role)]));
}

#[test]
fn knv1038_namespace_selector_in_namespace_directory() {
    let sel = "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: s\nspec:\n  selector:\n    matchLabels:\n      a: b\n";
    one(
        &hier(&[("namespaces/foo/sel.yaml", sel)]),
        "KNV1038",
        "NamespaceSelector",
        "Objects of this Kind must not be declared in a Namespace directory",
    );
    clean(&hier(&[("namespaces/sel.yaml", sel)]));
}

#[test]
fn knv1039_wrong_top_level_directory() {
    let cr = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n";
    one(
        &hier(&[("namespaces/foo/cr.yaml", cr)]),
        "KNV1039",
        "ClusterRole",
        "Cluster-scoped objects other than Namespaces must be declared in `cluster/`.",
    );
    one(
        &hier(&[("cluster/cm.yaml", &cm("a", ""))]),
        "KNV1039",
        "ConfigMap",
        "Namespace-scoped objects and Namespaces must be declared in `namespaces/`.",
    );
    let cluster = "apiVersion: clusterregistry.k8s.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: c\n";
    one(
        &hier(&[("cluster/c.yaml", cluster)]),
        "KNV1039",
        "Cluster",
        "Cluster and ClusterSelector objects must be declared in `clusterregistry/`.",
    );
    clean(&hier(&[("clusterregistry/c.yaml", cluster)]));
}

#[test]
fn knv1041_knv1042_knv1046_hierarchy_configs() {
    let hc = |res: &str| {
        format!(
            "apiVersion: configmanagement.gke.io/v1\nkind: HierarchyConfig\nmetadata:\n  name: hc\nspec:\n  resources:\n{res}"
        )
    };
    one(
        &hier(&[("system/hc.yaml", &hc("  - group: \"\"\n    kinds: [Namespace]\n"))]),
        "KNV1041",
        "Namespace",
        "The \"Namespace\" APIResource must not be declared in a HierarchyConfig:",
    );
    one(
        &hier(&[("system/hc.yaml", &hc("  - group: apps\n    kinds: [Deployment]\n    hierarchyMode: all\n"))]),
        "KNV1042",
        "all",
        "HierarchyMode \"all\" is not valid for the APIResource \"Deployment.apps\". Allowed values are [none,inherit].",
    );
    let cr = ("cluster/cr.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n");
    let f = hier(&[("system/hc.yaml", &hc("  - group: rbac.authorization.k8s.io\n    kinds: [ClusterRole]\n")), cr]);
    one(
        &f,
        "KNV1046",
        "ClusterRole",
        "This HierarchyConfig names the APIResource \"ClusterRole.rbac.authorization.k8s.io\", which is cluster-scoped.",
    );
    clean(&hier(&[(
        "system/hc.yaml",
        &hc("  - group: rbac.authorization.k8s.io\n    kinds: [RoleBinding]\n    hierarchyMode: inherit\n"),
    )]));
}

#[test]
fn knv1043_config_sync_internal_kinds_and_crds() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: repos.configmanagement.gke.io\nspec:\n  group: configmanagement.gke.io\n  names:\n    plural: repos\n    kind: Repo\n  scope: Cluster\n";
    one(
        &unstr(&[("crd.yaml", crd)]),
        "KNV1043",
        "configmanagement.gke.io",
        "Config Sync does not allow declaring CRDs in the `configmanagement.gke.io` APIGroup.",
    );
    let sync = "apiVersion: configmanagement.gke.io/v1\nkind: Sync\nmetadata:\n  name: s\n";
    one(
        &unstr(&[("s.yaml", sync)]),
        "KNV1043",
        "Sync",
        "Config Sync does not allow declaring objects of its internal type Sync.",
    );
}

#[test]
fn knv1044_abstract_namespace_without_namespaces() {
    let f = hier(&[("namespaces/empty/cm.yaml", &cm("a", ""))]);
    one(&f, "KNV1044", "ConfigMap", "The directory \"empty\" has objects but no Namespace.");
    let f = hier(&[("namespaces/team/cm.yaml", &cm("a", "")), ("namespaces/team/sub/x.yaml", &cm("b", ""))]);
    assert!(
        f.iter().any(|x| x.1 == "KNV1044" && x.3.starts_with("The abstract namespace directory \"team\"")),
        "{f:#?}"
    );
}

#[test]
fn knv1045_server_populated_fields() {
    let f = unstr(&[("a.yaml", &format!("{}status:\n  phase: x\n", cm("a", "  uid: 1234\n")))]);
    assert_eq!(f.iter().map(|x| (x.1, x.2.as_str())).collect::<Vec<_>>(), [("KNV1045", "uid"), ("KNV1045", "status")]);
    assert!(f[0].3.starts_with("Objects that declare \"metadata.uid\" are not allowed."));
    clean(&unstr(&[("a.yaml", &format!("{}status: {{}}\n", cm("a", "  creationTimestamp: null\n")))]));
}

#[test]
fn knv1048_crd_name() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: foos.example.com\nspec:\n  group: example.org\n  names:\n    plural: foos\n    kind: Foo\n  scope: Namespaced\n";
    one(
        &unstr(&[("crd.yaml", crd)]),
        "KNV1048",
        "foos.example.com",
        "Invalid CustomResourceDefinition name `foos.example.com`",
    );
    clean(&unstr(&[("crd.yaml", &crd.replace("example.org", "example.com"))]));
}

#[test]
fn knv1050_deprecated_group_kind() {
    let d = "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: d\n";
    one(
        &unstr(&[("d.yaml", d)]),
        "KNV1050",
        "extensions/v1beta1",
        "The object uses a deprecated Group and Kind. Change the Group and Kind to \"Deployment.apps\"",
    );
    clean(&unstr(&[("d.yaml", &d.replace("extensions/v1beta1", "apps/v1"))]));
}

#[test]
fn knv1052_namespace_on_cluster_scoped_object() {
    let cr = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: x\n";
    one(&unstr(&[("cr.yaml", cr)]), "KNV1052", "x", "Cluster-scoped objects must not declare metadata.namespace");
}

#[test]
fn knv1053_namespace_and_namespace_selector() {
    let sel = "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: s\nspec:\n  selector:\n    matchLabels:\n      a: b\n";
    let obj = cm("a", "  namespace: x\n  annotations:\n    configmanagement.gke.io/namespace-selector: s\n");
    one(
        &unstr(&[("s.yaml", sel), ("a.yaml", &obj)]),
        "KNV1053",
        "configmanagement.gke.io/namespace-selector",
        "Namespace-scoped objects must not declare both metadata.namespace and",
    );
}

#[test]
fn knv1054_non_string_metadata_values() {
    let f = unstr(&[("a.yaml", &cm("a", "  annotations:\n    enabled: true\n"))]);
    one(&f, "KNV1054", "true", "Values in metadata.annotations need to be strings");
    clean(&unstr(&[("a.yaml", &cm("a", "  annotations:\n    enabled: \"true\"\n"))]));
}

#[test]
fn knv1055_invalid_namespace() {
    one(
        &unstr(&[("a.yaml", &cm("a", "  namespace: Bad.NS\n"))]),
        "KNV1055",
        "Bad.NS",
        "metadata.namespace needs to be a valid Kubernetes Namespace name. Rename \"Bad.NS\"",
    );
}

#[test]
fn knv1056_managed_object_in_unmanaged_namespace() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  annotations:\n    configmanagement.gke.io/managed: disabled\n";
    let f = unstr(&[("ns.yaml", ns), ("a.yaml", &cm("a", "  namespace: x\n"))]);
    one(&f, "KNV1056", "x", "Managed objects must not be declared in unmanaged Namespaces. Namespace \"x\"");
    clean(&unstr(&[
        ("ns.yaml", ns),
        ("a.yaml", &cm("a", "  namespace: x\n  annotations:\n    configmanagement.gke.io/managed: disabled\n")),
    ]));
}

#[test]
fn knv1057_hnc_depth_labels() {
    let f = hier(&[("namespaces/foo/cm.yaml", &cm("a", "  labels:\n    foo.tree.hnc.x-k8s.io/depth: \"1\"\n"))]);
    one(&f, "KNV1057", "foo.tree.hnc.x-k8s.io/depth", "Objects must not declare labels ending with");
    clean(&unstr(&[("a.yaml", &cm("a", "  labels:\n    foo.tree.hnc.x-k8s.io/depth: \"1\"\n"))]));
}

#[test]
fn knv1058_cluster_scoped_objects_in_a_namespace_repo() {
    let sync = SyncObject {
        kind: "RepoSync".into(),
        name: "repo-sync".into(),
        namespace: "team".into(),
        source_type: "git".into(),
        format: Format::Unstructured,
        source: None,
        dir: None,
        revision: None,
        span: Default::default(),
    };
    let cr = ("cr.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n");
    let f = run_with(&[cr], &Options { format: Format::Unstructured, synced_by: Some(&sync) });
    one(&f, "KNV1058", "ClusterRole", "A namespace repository may only hold namespace-scoped objects");
    // Its own RepoSync in its repo (KNV1069).
    let me = (
        "rs.yaml",
        "apiVersion: configsync.gke.io/v1beta1\nkind: RepoSync\nmetadata:\n  name: repo-sync\n  namespace: team\n",
    );
    let f = run_with(&[me], &Options { format: Format::Unstructured, synced_by: Some(&sync) });
    one(&f, "KNV1069", "repo-sync", "RepoSync team/repo-sync must not be managed from the repository it syncs");
}

#[test]
fn knv1065_malformed_crd() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: foos.example.com\nspec:\n  group: example.com\n  names: [foos]\n";
    one(
        &unstr(&[("crd.yaml", crd)]),
        "KNV1065",
        "[foos]",
        "malformed CustomResourceDefinition: spec.names must be an object",
    );
}

#[test]
fn knv1066_both_cluster_selector_annotations() {
    let sel = "apiVersion: configmanagement.gke.io/v1\nkind: ClusterSelector\nmetadata:\n  name: s\nspec:\n  selector:\n    matchLabels:\n      a: b\n";
    let obj = cm(
        "a",
        "  annotations:\n    configmanagement.gke.io/cluster-selector: s\n    configsync.gke.io/cluster-name-selector: c\n",
    );
    one(
        &unstr(&[("s.yaml", sel), ("a.yaml", &obj)]),
        "KNV1066",
        "configsync.gke.io/cluster-name-selector",
        "Object \"a\" may declare only one cluster-selector annotation",
    );
}

#[test]
fn knv2012_several_repos_or_namespaces_per_directory() {
    let f =
        run(&[REPO, ("system/repo2.yaml", &REPO.1.replace("name: repo", "name: repo2")), NS_FOO], Format::Hierarchy);
    assert_eq!(f.iter().filter(|x| x.1 == "KNV2012").count(), 2, "{f:#?}");
    let f = hier(&[("namespaces/foo/ns2.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo2\n")]);
    assert!(
        f.iter().any(|x| x.1 == "KNV2012" && x.3.starts_with("A directory may declare only one Namespace")),
        "{f:#?}"
    );
}

#[test]
fn list_items_and_local_config_objects() {
    let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: Bad\n";
    one(&unstr(&[("l.yaml", list)]), "KNV1036", "Bad", "Objects need");
    let local = cm("Bad", "  annotations:\n    config.kubernetes.io/local-config: \"true\"\n");
    clean(&unstr(&[("a.yaml", &local)]));
    let not_local = cm("Bad", "  annotations:\n    config.kubernetes.io/local-config: \"false\"\n");
    one(&unstr(&[("a.yaml", &not_local)]), "KNV1036", "Bad", "Objects need");
}

#[test]
fn selectors_and_inheritance_for_callers() {
    let sel = "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: sre\nspec:\n  selector:\n    matchLabels:\n      team: sre\n";
    let files = [
        ("namespaces/team/sel.yaml", sel.to_string()),
        ("namespaces/team/a/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n".to_string()),
        ("namespaces/team/b/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n".to_string()),
        ("namespaces/team/cm.yaml", cm("x", "")),
    ];
    let parsed: Vec<(PathBuf, YamlFile)> =
        files.iter().map(|(p, t)| (PathBuf::from(p), YamlFile::parse(t.as_str()))).collect();
    let sources: Vec<SourceFile> = parsed.iter().map(|(p, f)| SourceFile { path: p, file: f }).collect();
    let decls = selectors(&sources);
    assert_eq!(decls.len(), 1);
    assert_eq!(
        (decls[0].kind, decls[0].name.as_str(), &files[0].1[decls[0].span.start..decls[0].span.end]),
        (SelectorKind::Namespace, "sre", "sre")
    );
    assert_eq!(inherited_by(&sources, Path::new("namespaces/team/cm.yaml")), ["a", "b"]);
    assert_eq!(inherited_by(&sources, Path::new("namespaces/team/a/cm.yaml")), ["a"]);
}

#[test]
fn label_selectors_match_like_kubernetes() {
    let parse = |t: &str| LabelSelector::parse(YamlFile::parse(t).documents()[0].good_tree().unwrap()).ok().unwrap();
    let s = parse("matchLabels:\n  env: prod\nmatchExpressions:\n- key: tier\n  operator: NotIn\n  values: [db]\n");
    assert!(s.matches(&[("env", "prod")]));
    assert!(s.matches(&[("env", "prod"), ("tier", "web")]));
    assert!(!s.matches(&[("env", "prod"), ("tier", "db")]));
    assert!(!s.matches(&[("env", "dev")]));
    assert!(parse("matchLabels: {}\n").is_empty());
}

#[test]
fn sync_objects_and_their_roots() {
    let text = "apiVersion: configsync.gke.io/v1beta1\nkind: RootSync\nmetadata:\n  name: root-sync\n  namespace: config-management-system\nspec:\n  sourceFormat: unstructured\n  git:\n    repo: https://example.com/r.git\n    dir: clusters/prod\n    branch: main\n    auth: none\n---\napiVersion: configsync.gke.io/v1beta1\nkind: RepoSync\nmetadata:\n  name: repo-sync\n  namespace: team\nspec:\n  sourceType: oci\n  oci:\n    image: us-docker.pkg.dev/p/r/i\n    auth: none\n";
    let file = YamlFile::parse(text);
    let syncs = sync_objects(&file);
    assert_eq!(syncs.len(), 2);
    assert_eq!(
        (syncs[0].format, syncs[0].dir.as_deref(), syncs[0].revision.as_deref()),
        (Format::Unstructured, Some("clusters/prod"), Some("main"))
    );
    assert_eq!(&text[syncs[0].span.start..syncs[0].span.end], "root-sync");
    assert_eq!(
        (syncs[1].format, syncs[1].source_type.as_str(), syncs[1].dir.as_deref()),
        (Format::Unstructured, "oci", None)
    );
    assert!(sync_spec_diagnostics(&file).is_empty());
}

fn spec_findings(text: &str) -> Vec<(&'static str, String, String)> {
    sync_spec_diagnostics(&YamlFile::parse(text))
        .into_iter()
        .map(|d| (d.code, text[d.span.start..d.span.end].to_string(), d.message))
        .collect()
}

#[test]
fn knv1061_sync_spec_rules() {
    let root = |spec: &str| {
        format!(
            "apiVersion: configsync.gke.io/v1beta1\nkind: RootSync\nmetadata:\n  name: root-sync\n  namespace: config-management-system\nspec:\n{spec}"
        )
    };
    let cases = [
        (
            "  git:\n    repo: r\n    auth: ssh\n",
            "ssh",
            "RootSyncs that set spec.git.auth to \"ssh\", \"cookiefile\", \"githubapp\" or \"token\" need spec.git.secretRef too",
        ),
        (
            "  git:\n    repo: r\n    auth: none\n    secretRef:\n      name: s\n",
            "name: s",
            "RootSyncs that set spec.git.auth to \"none\"",
        ),
        (
            "  git:\n    repo: r\n    auth: gcpserviceaccount\n    gcpServiceAccountEmail: me@example.com\n",
            "me@example.com",
            "RootSyncs that set spec.git.auth to \"gcpserviceaccount\" need an email",
        ),
        (
            "  git:\n    repo: r\n    auth: ssh\n    proxy: http://p\n    secretRef:\n      name: s\n",
            "http://p",
            "RootSyncs that set spec.git.proxy need spec.git.auth",
        ),
        (
            "  sourceType: helm\n  helm:\n    repo: r\n    chart: a/b\n    auth: none\n",
            "a/b",
            "RootSync field spec.helm.chart must not contain a slash (/)",
        ),
        (
            "  sourceType: helm\n  helm:\n    repo: r\n    chart: c\n    auth: none\n    namespace: a\n    deployNamespace: b\n",
            "b",
            "RootSyncs may set only one of",
        ),
        ("  sourceType: oci\n", "sourceType: oci", "RootSyncs need spec.oci when spec.sourceType is \"oci\""),
        ("  sourceType: svn\n", "svn", "RootSyncs need spec.sourceType to be one of"),
        (
            "  git:\n    repo: r\n    auth: none\n  override:\n    roleRefs:\n    - kind: Role\n      name: x\n",
            "kind: Role\n      name: x",
            "RootSyncs need 'spec.override.roleRefs.namespace'",
        ),
    ];
    for (spec, span, message) in cases {
        let f = spec_findings(&root(spec));
        assert_eq!(f.len(), 1, "{spec}: {f:#?}");
        assert_eq!((f[0].0, f[0].1.as_str()), ("KNV1061", span), "{spec}: {f:#?}");
        assert!(f[0].2.starts_with(message), "{spec}: {:?}", f[0].2);
    }
    let wrong_ns = "apiVersion: configsync.gke.io/v1beta1\nkind: RootSync\nmetadata:\n  name: r\n  namespace: team\nspec:\n  git:\n    repo: r\n    auth: none\n";
    let f = spec_findings(wrong_ns);
    assert_eq!((f[0].1.as_str(), f.len()), ("team", 1));
    assert!(f[0].2.starts_with("RootSync objects may only live in the config-management-system namespace"));
    let repo_sync = "apiVersion: configsync.gke.io/v1beta1\nkind: RepoSync\nmetadata:\n  name: r\n  namespace: config-management-system\nspec:\n  git:\n    repo: r\n    auth: none\n";
    assert_eq!(
        spec_findings(repo_sync)[0].2,
        "RepoSync objects must not live in the config-management-system namespace"
    );
    assert!(spec_findings(&root("  git:\n    repo: r\n    auth: token\n    secretRef:\n      name: s\n")).is_empty());
}

#[test]
fn rendered_roots_are_left_to_their_output() {
    let p = |s: &'static str| Path::new(s);
    assert!(needs_rendering(&[p("kustomization.yaml"), p("base/a.yaml")]));
    assert!(!needs_rendering(&[p("base/kustomization.yaml")]));
    clean(&unstr(&[("kustomization.yaml", "resources: [a.yaml]\n"), ("a.yaml", &cm("Bad", ""))]));
    // A nested kustomization file is read like any other file, as nomos does.
    one(
        &unstr(&[("base/kustomization.yaml", "resources: [a.yaml]\n")]),
        "KNV2001",
        "resources: [a.yaml]",
        "the document cannot be decoded",
    );
}

/// Runs a fixture root from tests/fixtures/configsync as `path:line:col: CODE` lines.
fn fixture_findings(name: &str) -> (String, String) {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut dirs = vec![dir.to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() { dirs.push(p) } else { out.push(p) }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/configsync").join(name);
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    let rels: Vec<PathBuf> = paths.iter().map(|p| p.strip_prefix(&root).unwrap().to_path_buf()).collect();
    let texts: Vec<String> = paths.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let files: Vec<YamlFile> = texts.iter().map(|t| YamlFile::parse(t.as_str())).collect();
    let sources: Vec<SourceFile> = rels.iter().zip(&files).map(|(p, f)| SourceFile { path: p, file: f }).collect();
    let format = if name.starts_with("hierarchy") { Format::Hierarchy } else { Format::Unstructured };
    let mut out = String::new();
    for (i, d) in vet(&sources, format, &scope) {
        let before = &texts[i][..d.span.start];
        let line = before.matches('\n').count() + 1;
        let col = d.span.start - before.rfind('\n').map_or(0, |n| n + 1) + 1;
        out.push_str(&format!("{}:{line}:{col}: {}\n", rels[i].display(), d.code));
    }
    let expected = std::fs::read_to_string(root.join("expected.txt")).unwrap_or_default();
    (out, expected)
}

#[test]
fn fixture_roots_on_disk() {
    for name in ["hierarchy-valid", "hierarchy-invalid", "unstructured-valid", "unstructured-invalid"] {
        let (actual, expected) = fixture_findings(name);
        assert_eq!(actual, expected, "{name}: actual findings:\n{actual}");
    }
}

#[test]
fn codes_lists_every_code_the_rules_report() {
    let sources: String = ["rules.rs", "sync.rs", "objects.rs"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("server/src/configsync").join(f))
                .unwrap()
        })
        .collect();
    let mut found: Vec<&str> = sources.match_indices("\"KNV").map(|(i, _)| &sources[i + 1..i + 8]).collect();
    found.sort_unstable();
    found.dedup();
    assert_eq!(found, CODES);
}

/// The files of a hierarchical root with an abstract namespace `eng` holding a selected and an
/// unselected object, two namespaces below it, and a ClusterSelector with one matching Cluster.
fn placed() -> Vec<(PathBuf, String)> {
    let files: [(&str, String); 9] = [
        (REPO.0, REPO.1.to_string()),
        ("namespaces/eng/sel.yaml", "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: sre\nspec:\n  selector:\n    matchLabels:\n      sre: \"true\"\n".into()),
        ("namespaces/eng/rb.yaml", cm("picked", "  annotations:\n    configmanagement.gke.io/namespace-selector: sre\n    configmanagement.gke.io/cluster-selector: prod\n")),
        ("namespaces/eng/all.yaml", cm("everywhere", "")),
        ("namespaces/eng/backend/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: backend\n  labels:\n    sre: \"true\"\n".into()),
        ("namespaces/eng/web/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n".into()),
        ("clusterregistry/sel.yaml", "apiVersion: configmanagement.gke.io/v1\nkind: ClusterSelector\nmetadata:\n  name: prod\nspec:\n  selector:\n    matchLabels:\n      env: prod\n".into()),
        ("clusterregistry/a.yaml", "apiVersion: clusterregistry.k8s.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod-a\n  labels:\n    env: prod\n".into()),
        ("clusterregistry/b.yaml", "apiVersion: clusterregistry.k8s.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: dev-b\n  labels:\n    env: dev\n".into()),
    ];
    files.into_iter().map(|(p, t)| (PathBuf::from(p), t)).collect()
}

fn parse_all(texts: &[(PathBuf, String)]) -> Vec<(PathBuf, YamlFile)> {
    texts.iter().map(|(p, t)| (p.clone(), YamlFile::parse(t.as_str()))).collect()
}

fn at(texts: &[(PathBuf, String)], path: &str, needle: &str) -> (usize, usize) {
    let file = texts.iter().position(|(p, _)| p == Path::new(path)).unwrap();
    (file, texts[file].1.find(needle).unwrap() + 1)
}

#[test]
fn selector_annotations_resolve_to_their_declarations_and_back() {
    let texts = placed();
    let parsed = parse_all(&texts);
    let sources: Vec<SourceFile> = parsed.iter().map(|(p, f)| SourceFile { path: p, file: f }).collect();
    let text = |file: usize, span: crate::yaml::Span| texts[file].1[span.start..span.end].to_string();
    let (file, offset) = at(&texts, "namespaces/eng/rb.yaml", "selector: sre");
    let (used, decl) = selector_at(&sources, Format::Hierarchy, file, offset + "selector: ".len()).unwrap();
    assert_eq!((text(file, used), parsed[decl.file].0.as_path()), ("sre".into(), Path::new("namespaces/eng/sel.yaml")));
    assert_eq!(text(decl.file, decl.span), "sre");
    let (cfile, coffset) = at(&texts, "namespaces/eng/rb.yaml", "prod");
    let (_, cdecl) = selector_at(&sources, Format::Hierarchy, cfile, coffset).unwrap();
    assert_eq!(parsed[cdecl.file].0, Path::new("clusterregistry/sel.yaml"));
    // From the declaration's name: the one annotation naming it.
    let (dfile, doffset) = at(&texts, "namespaces/eng/sel.yaml", "name: sre");
    let (found, uses) = selector_uses(&sources, Format::Hierarchy, dfile, doffset + "name: ".len()).unwrap();
    assert_eq!(found, decl);
    assert_eq!(uses.iter().map(|u| (u.file, text(u.file, u.span))).collect::<Vec<_>>(), [(file, "sre".to_string())]);
    // Elsewhere in the object: nothing.
    let (mfile, moffset) = at(&texts, "namespaces/eng/rb.yaml", "ConfigMap");
    assert!(selector_at(&sources, Format::Hierarchy, mfile, moffset).is_none());
}

#[test]
fn objects_land_in_the_namespaces_and_clusters_their_selectors_pick() {
    let texts = placed();
    let parsed = parse_all(&texts);
    let sources: Vec<SourceFile> = parsed.iter().map(|(p, f)| SourceFile { path: p, file: f }).collect();
    let options = Options { format: Format::Hierarchy, synced_by: None };
    let land = |path: &str, needle: &str| {
        let (file, offset) = at(&texts, path, needle);
        landing_at(&sources, &options, &scope, file, offset).map(|(_, l)| (l.namespaces, l.clusters))
    };
    assert_eq!(
        land("namespaces/eng/rb.yaml", "picked"),
        Some((
            Namespaces::Selected { selector: "sre".into(), names: vec!["backend".into()], dynamic: false },
            Clusters::Selected { selector: "prod".into(), names: vec!["prod-a".into()], declared: 2 }
        ))
    );
    assert_eq!(
        land("namespaces/eng/all.yaml", "everywhere"),
        Some((Namespaces::Listed(vec!["backend".into(), "web".into()]), Clusters::All))
    );
    assert_eq!(land("namespaces/eng/web/ns.yaml", "web"), Some((Namespaces::None, Clusters::All)));
    // Only on the kind, the name and the selector annotations.
    assert_eq!(land("namespaces/eng/all.yaml", "apiVersion"), None);
    // A Namespace lists what it inherits from the abstract namespace above it.
    let inherited = |path: &str| {
        let (file, offset) = at(&texts, path, "Namespace");
        let (_, objs) = inherited_at(&sources, &scope, file, offset).unwrap();
        objs.into_iter().map(|i| format!("{} {}", i.kind, i.name)).collect::<Vec<_>>()
    };
    assert_eq!(inherited("namespaces/eng/backend/ns.yaml"), ["ConfigMap picked", "ConfigMap everywhere"]);
    assert_eq!(inherited("namespaces/eng/web/ns.yaml"), ["ConfigMap everywhere"]);
}

#[test]
fn unstructured_objects_land_by_namespace_selector_or_default() {
    let sel = |mode: &str| {
        format!(
            "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: sre\nspec:\n  mode: {mode}\n  selector:\n    matchLabels:\n      sre: \"true\"\n"
        )
    };
    for (mode, dynamic) in [("static", false), ("dynamic", true)] {
        let files = [
            ("sel.yaml", sel(mode)),
            ("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    sre: \"true\"\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n".to_string()),
            ("cm.yaml", cm("picked", "  annotations:\n    configmanagement.gke.io/namespace-selector: sre\n")),
            ("plain.yaml", cm("plain", "")),
        ];
        let texts: Vec<(PathBuf, String)> = files.iter().map(|(p, t)| (PathBuf::from(p), t.clone())).collect();
        let parsed = parse_all(&texts);
        let sources: Vec<SourceFile> = parsed.iter().map(|(p, f)| SourceFile { path: p, file: f }).collect();
        let options = Options { format: Format::Unstructured, synced_by: None };
        let (file, offset) = at(&texts, "cm.yaml", "picked");
        let (_, l) = landing_at(&sources, &options, &scope, file, offset).unwrap();
        assert_eq!(l.namespaces, Namespaces::Selected { selector: "sre".into(), names: vec!["a".into()], dynamic });
        let (file, offset) = at(&texts, "plain.yaml", "plain");
        let (_, l) = landing_at(&sources, &options, &scope, file, offset).unwrap();
        assert_eq!(l.namespaces, Namespaces::Default("default".into()));
    }
}

#[test]
fn selectors_that_select_nothing_are_warned_about() {
    let ns_sel = "apiVersion: configmanagement.gke.io/v1\nkind: NamespaceSelector\nmetadata:\n  name: gone\nspec:\n  selector:\n    matchLabels:\n      missing: \"yes\"\n";
    let hier = |files: &[(&str, &str)]| {
        let mut all = vec![REPO, NS_FOO];
        all.extend_from_slice(files);
        run_all(&all, &Options { format: Format::Hierarchy, synced_by: None })
    };
    let unstr = |files: &[(&str, &str)]| run_all(files, &Options { format: Format::Unstructured, synced_by: None });
    let found = hier(&[("namespaces/sel.yaml", ns_sel)]);
    one(
        &found,
        "selector-matches-nothing",
        "selector",
        "NamespaceSelector \"gone\" selects nothing: no namespace directory below namespaces/",
    );
    let found = unstr(&[("sel.yaml", ns_sel), ("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")]);
    one(
        &found,
        "selector-matches-nothing",
        "selector",
        "NamespaceSelector \"gone\" selects nothing: no Namespace the repository declares",
    );
    // Dynamic mode also selects namespaces on the cluster: not judged.
    let dynamic = ns_sel.replace("spec:\n", "spec:\n  mode: dynamic\n");
    clean(&unstr(&[("sel.yaml", &dynamic)]));
    // A ClusterSelector is judged only against declared Clusters.
    let cl_sel = "apiVersion: configmanagement.gke.io/v1\nkind: ClusterSelector\nmetadata:\n  name: prod\nspec:\n  selector:\n    matchLabels:\n      env: prod\n";
    clean(&unstr(&[("sel.yaml", cl_sel)]));
    let dev =
        "apiVersion: clusterregistry.k8s.io/v1alpha1\nkind: Cluster\nmetadata:\n  name: dev\n  labels:\n    env: dev\n";
    one(
        &unstr(&[("sel.yaml", cl_sel), ("c.yaml", dev)]),
        "selector-matches-nothing",
        "selector",
        "ClusterSelector \"prod\" selects none of the 1 Clusters",
    );
    clean(&unstr(&[("sel.yaml", cl_sel), ("c.yaml", &dev.replace("dev\n", "prod\n"))]));
}
