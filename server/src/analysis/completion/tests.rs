//! Completion fixtures: `$0` is the cursor. `check_completion` lists the items offered (in sort
//! order), `check_edit` shows the text after accepting one (snippet syntax kept).
//! Update the expectations with `UPDATE_EXPECT=1 cargo test` and review the diff.

use expect_test::{Expect, expect};

use super::*;
use crate::analysis::fixtures::{cursor, store};

fn complete(fixture: &str) -> (String, Completion) {
    let (text, offset, file) = cursor(fixture);
    let completion = completion(&file, text.as_str(), offset, &store());
    (text, completion)
}

fn sorted(mut items: Vec<CompletionItem>) -> Vec<CompletionItem> {
    items.sort_by(|a, b| (&a.sort_text, &a.label).cmp(&(&b.sort_text, &b.label)));
    items
}

fn check_completion(fixture: &str, expect: Expect) {
    let (_, completion) = complete(fixture);
    let lines: Vec<String> = sorted(completion.items)
        .iter()
        .map(|i| match &i.detail {
            Some(d) => format!("{:?} {}: {d}", i.kind, i.label),
            None => format!("{:?} {}", i.kind, i.label),
        })
        .collect();
    expect.assert_eq(&lines.join("\n"));
}

/// Only the labels, for long lists.
fn labels(fixture: &str) -> Vec<String> {
    let (_, completion) = complete(fixture);
    sorted(completion.items).into_iter().map(|i| i.label).collect()
}

fn check_edit(fixture: &str, label: &str, expect: Expect) {
    let (mut text, completion) = complete(fixture);
    let item = completion.items.iter().find(|i| i.label == label).unwrap_or_else(|| {
        panic!("no item {label}; got {:?}", completion.items.iter().map(|i| &i.label).collect::<Vec<_>>())
    });
    text.replace_range(item.replace.start..item.replace.end, &item.insert_text);
    expect.assert_eq(&text);
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";

fn deployment(rest: &str) -> String {
    format!("{DEPLOYMENT}{rest}")
}

#[test]
fn half_typed_key() {
    let fixture = deployment("spec:\n  repl$0");
    let l = labels(&fixture);
    // Required keys first.
    assert_eq!(&l[..2], ["selector", "template"]);
    assert!(l.contains(&"replicas".to_string()));
    check_edit(
        &fixture,
        "replicas",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: $0"#]],
    );
}

#[test]
fn object_and_array_keys_insert_nested_lines() {
    let fixture = deployment("spec:\n  $0\n");
    check_edit(
        &fixture,
        "strategy",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              strategy:
                $0
        "#]],
    );
    let fixture = deployment("spec:\n  template:\n    spec:\n      $0\n");
    check_edit(
        &fixture,
        "containers",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              template:
                spec:
                  containers:
                    - $0
        "#]],
    );
}

#[test]
fn existing_keys_are_not_offered() {
    let l = labels(&deployment("spec:\n  replicas: 2\n  $0\n  selector: {}\n"));
    assert!(!l.contains(&"replicas".into()) && !l.contains(&"selector".into()));
    assert_eq!(l[0], "template");
    let l = labels(&deployment("$0"));
    assert!(!l.iter().any(|l| l == "apiVersion" || l == "kind" || l == "metadata"));
    assert_eq!(l[0], "spec");
}

#[test]
fn root_keys_in_a_resource() {
    check_completion(
        "apiVersion: v1\nkind: ConfigMap\n$0",
        expect![[r#"
            Property metadata: object
            Property binaryData: map[string]string
            Property data: map[string]string
            Property immutable: boolean"#]],
    );
}

#[test]
fn value_of_an_enum() {
    check_completion(
        &deployment(
            "spec:\n  template:\n    spec:\n      containers:\n        - name: a\n          imagePullPolicy: $0\n",
        ),
        expect![[r#"
            EnumMember Always: string
            EnumMember Never: string
            EnumMember IfNotPresent: string"#]],
    );
}

#[test]
fn half_typed_value_is_replaced_whole() {
    check_edit(
        &deployment("spec:\n  strategy:\n    type: Rec$0reat # how\n"),
        "Recreate",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              strategy:
                type: Recreate # how
        "#]],
    );
}

#[test]
fn value_right_after_the_colon_gets_a_space() {
    check_edit(
        &deployment("spec:\n  strategy:\n    type:$0\n"),
        "RollingUpdate",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              strategy:
                type: RollingUpdate
        "#]],
    );
}

#[test]
fn booleans() {
    check_completion(
        &deployment("spec:\n  paused: $0"),
        expect![[r#"
            Value true
            Value false"#]],
    );
    check_edit(
        &deployment("spec:\n  paus$0"),
        "paused",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              paused: ${1|true,false|}"#]],
    );
}

#[test]
fn no_values_for_free_text() {
    check_completion(&deployment("spec:\n  replicas: $0"), expect![""]);
    check_completion(&deployment("metadata:\n  labels:\n    app: $0"), expect![""]);
}

#[test]
fn enum_values_with_meanings() {
    let (_, c) = complete("apiVersion: v1\nkind: Service\nspec:\n  type: $0\n");
    let cluster_ip = c.items.iter().find(|i| i.label == "ClusterIP").unwrap();
    expect![[r#"
        "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints."#]]
    .assert_eq(cluster_ip.documentation.as_deref().unwrap());
}

#[test]
fn empty_line_in_a_sequence_item() {
    let fixture = deployment("spec:\n  template:\n    spec:\n      containers:\n        - name: a\n          $0\n");
    let l = labels(&fixture);
    assert!(!l.contains(&"name".into()) && l.contains(&"image".into()));
    check_edit(
        &fixture,
        "ports",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              template:
                spec:
                  containers:
                    - name: a
                      ports:
                        - $0
        "#]],
    );
}

#[test]
fn right_after_a_dash() {
    let fixture = deployment("spec:\n  template:\n    spec:\n      containers:\n        - name: a\n        - $0");
    let l = labels(&fixture);
    assert_eq!(l[0], "name", "required first, and not taken by the previous item");
    check_edit(
        &fixture,
        "resources",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              template:
                spec:
                  containers:
                    - name: a
                    - resources:
                        $0"#]],
    );
}

#[test]
fn scalar_items_after_a_dash() {
    check_completion(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nspec:\n  accessModes:\n    - $0",
        expect![[r#"
            EnumMember ReadWriteOnce: string
            EnumMember ReadOnlyMany: string
            EnumMember ReadWriteMany: string
            EnumMember ReadWriteOncePod: string"#]],
    );
}

#[test]
fn under_an_array_key_before_any_dash() {
    check_edit(
        &deployment("spec:\n  template:\n    spec:\n      containers:\n        $0"),
        "image",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              template:
                spec:
                  containers:
                    - image: $0"#]],
    );
}

#[test]
fn syntax_error_elsewhere() {
    // An unclosed flow sequence above the cursor breaks the document.
    let fixture = deployment("  labels: [a,\nspec:\n  template:\n    spec:\n      contai$0\n");
    let (_, offset, file) = cursor(&fixture);
    assert!(!file.documents()[0].doc.complete);
    let _ = offset;
    assert!(labels(&fixture).contains(&"containers".into()));
    // A broken line below the cursor.
    let fixture = deployment("spec:\n  repl$0\n  selector: : :\n    - ]\n");
    let (_, _, file) = cursor(&fixture);
    assert!(!file.documents()[0].doc.complete);
    assert!(labels(&fixture).contains(&"replicas".into()));
}

#[test]
fn kind_values_for_an_api_version() {
    check_completion(
        "apiVersion: networking.k8s.io/v1\nkind: $0\n",
        expect![[r#"
            Class IPAddress: networking.k8s.io/v1
            Class Ingress: networking.k8s.io/v1
            Class IngressClass: networking.k8s.io/v1
            Class NetworkPolicy: networking.k8s.io/v1
            Class ServiceCIDR: networking.k8s.io/v1"#]],
    );
}

#[test]
fn api_versions_for_a_kind() {
    check_completion(
        "apiVersion: $0\nkind: HorizontalPodAutoscaler\n",
        expect![[r#"
            Module autoscaling/v1: HorizontalPodAutoscaler
            Module autoscaling/v2: HorizontalPodAutoscaler"#]],
    );
    check_completion(
        "kind: App\napiVersion: ex$0\n",
        expect![[r#"
            Module example.com/v1: App"#]],
    );
}

#[test]
fn kind_values_include_custom_kinds_first() {
    let l = labels("kind: $0\n");
    assert_eq!(l[0], "App");
    assert!(l.contains(&"Deployment".into()) && l.contains(&"ConfigMap".into()));
    // A half-typed apiVersion filters nothing away.
    assert!(labels("apiVersion: app\nkind: $0\n").len() > 50);
}

#[test]
fn skeletons_in_an_empty_file() {
    let l = labels("$0");
    for kind in ["Deployment", "Service", "ConfigMap", "Secret", "Ingress", "Namespace", "ServiceAccount", "Role"] {
        assert!(l.contains(&kind.to_string()), "{kind} in {l:?}");
    }
    assert!(l.contains(&"App".into()), "CRD skeleton");
    check_edit(
        "$0",
        "Deployment",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: ${1:name}
            spec:
              replicas: ${2:1}
              selector:
                matchLabels:
                  app: $1
              template:
                metadata:
                  labels:
                    app: $1
                spec:
                  containers:
                    - name: ${3:main}
                      image: ${4:image}
                      ports:
                        - containerPort: ${5:8080}"#]],
    );
}

#[test]
fn skeletons_after_a_separator_and_a_prefix() {
    check_edit(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\nConf$0",
        "ConfigMap",
        expect![[r#"
            apiVersion: v1
            kind: Namespace
            metadata:
              name: a
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: ${1:name}
            data:
              ${2:key}: ${3:value}"#]],
    );
    // Not once the document has keys.
    assert!(!labels("kind: Foo\n$0").contains(&"Deployment".into()));
}

#[test]
fn skeleton_generated_for_a_crd() {
    check_edit(
        "$0",
        "App",
        expect![[r#"
            apiVersion: example.com/v1
            kind: App
            metadata:
              name: ${1:name}
            spec:
              source:
                url: ${2:url}
              interval: ${3:5m}"#]],
    );
}

#[test]
fn skeletons_follow_the_file_style() {
    // Four spaces, sequences not indented under their key.
    let other = "apiVersion: v1\nkind: Pod\nmetadata:\n    name: a\nspec:\n    containers:\n    - name: a\n";
    check_edit(
        &format!("{other}---\nNetworkP$0"),
        "NetworkPolicy",
        expect![[r#"
            apiVersion: v1
            kind: Pod
            metadata:
                name: a
            spec:
                containers:
                - name: a
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
                name: ${1:name}
            spec:
                podSelector:
                    matchLabels:
                        app: ${2:$1}
                policyTypes:
                - Ingress
                ingress:
                - from:
                  - podSelector: {}"#]],
    );
}

#[test]
fn key_inserts_follow_the_file_style() {
    let fixture = "apiVersion: v1\nkind: Pod\nmetadata:\n    name: a\nspec:\n    volumes:\n    - name: a\n    $0\n";
    check_edit(
        fixture,
        "containers",
        expect![[r#"
            apiVersion: v1
            kind: Pod
            metadata:
                name: a
            spec:
                volumes:
                - name: a
                containers:
                - $0
        "#]],
    );
    check_edit(
        fixture,
        "securityContext",
        expect![[r#"
            apiVersion: v1
            kind: Pod
            metadata:
                name: a
            spec:
                volumes:
                - name: a
                securityContext:
                    $0
        "#]],
    );
}

#[test]
fn colon_already_there() {
    check_edit(
        &deployment("spec:\n  rep$0: 3\n"),
        "replicas",
        expect![[r#"
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: 3
        "#]],
    );
}

#[test]
fn list_items_are_resources() {
    let fixture = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  $0\n";
    assert_eq!(labels(fixture), ["metadata", "binaryData", "data", "immutable"]);
    check_completion(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: $0\n",
        expect![[r#"
            Class ControllerRevision: apps/v1
            Class DaemonSet: apps/v1
            Class Deployment: apps/v1
            Class ReplicaSet: apps/v1
            Class StatefulSet: apps/v1"#]],
    );
}

#[test]
fn custom_resource_keys_and_values() {
    let app = "apiVersion: example.com/v1\nkind: App\nmetadata:\n  name: a\n";
    check_completion(
        &format!("{app}spec:\n  $0\n"),
        expect![[r#"
            Property interval: string (required)
            Property source: object (required)
            Property mode: string
            Property prune: boolean
            Property targets: []object"#]],
    );
    let (_, c) = complete(&format!("{app}spec:\n  mode: $0\n"));
    let docs: Vec<_> = c.items.iter().map(|i| (i.label.as_str(), i.documentation.as_deref())).collect();
    assert_eq!(
        docs,
        [("Apply", Some("applies the changes to the cluster.")), ("DryRun", Some("only reports what would change."))]
    );
    check_edit(
        &format!("{app}spec:\n  targets:\n  - namespace: a\n    $0\n"),
        "replicas",
        expect![[r#"
            apiVersion: example.com/v1
            kind: App
            metadata:
              name: a
            spec:
              targets:
              - namespace: a
                replicas: $0
        "#]],
    );
}

#[test]
fn documentation_and_detail_of_keys() {
    let (_, c) = complete(&deployment("spec:\n  $0"));
    let selector = c.items.iter().find(|i| i.label == "selector").unwrap();
    assert_eq!(selector.detail.as_deref(), Some("object (required)"));
    assert!(selector.documentation.as_deref().unwrap().starts_with("Label selector for pods."));
    assert_eq!(selector.filter_text.as_deref(), Some("selector"));
    let (_, c) = complete(&deployment("spec:\n  template:\n    spec:\n      containers:\n      - imagePullPolicy: $0"));
    assert!(c.items.iter().all(|i| !i.is_snippet));
}

#[test]
fn metadata_keys() {
    let l = labels(&deployment("  $0\n"));
    assert!(l.contains(&"labels".into()) && l.contains(&"namespace".into()) && !l.contains(&"name".into()));
}

#[test]
fn documents_without_a_schema() {
    check_completion(
        "kind: Unknown\n$0",
        expect![[r#"
            Property apiVersion
            Property metadata"#]],
    );
    check_completion("kind: Unknown\nspec:\n  $0", expect![""]);
    check_completion("foo: bar\nbaz:\n  $0", expect![""]);
}

#[test]
fn nothing_in_comments_block_scalars_and_templates() {
    check_completion(&deployment("# spec$0\n"), expect![""]);
    check_completion("apiVersion: v1\nkind: ConfigMap\ndata:\n  run.sh: |\n    echo\n    $0\n", expect![""]);
    check_completion("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n$0", expect![""]);
}

#[test]
fn keys_of_a_mapping_after_deeper_lines() {
    // Back at `spec` level after the template's lines.
    let l = labels(&deployment("spec:\n  template:\n    spec:\n      containers: []\n  $0\n"));
    assert_eq!(&l[..1], ["selector"]);
    assert!(!l.contains(&"template".into()));
}

#[test]
fn map_values_of_objects() {
    // `resources.limits` is a map of quantities: no keys to offer.
    check_completion(
        &deployment(
            "spec:\n  template:\n    spec:\n      containers:\n      - resources:\n          limits:\n            $0",
        ),
        expect![""],
    );
}

#[test]
fn quoted_values_when_yaml_would_read_them_otherwise() {
    // An enum of strings that look like booleans or numbers must be quoted.
    let store = store();
    let mut kind = crate::analysis::fixtures::app_kind();
    kind.api_version = "example.com/v2".into();
    let mut schema = (*kind.schema).clone();
    schema["properties"]["spec"]["properties"]["mode"]["enum"] = serde_json::json!(["on", "1.0", "x"]);
    kind.schema = std::sync::Arc::new(schema);
    store.set_custom_kinds("v2", vec![kind]);
    let (text, offset, file) = cursor("apiVersion: example.com/v2\nkind: App\nspec:\n  mode: $0");
    let inserts: Vec<String> =
        completion(&file, text.as_str(), offset, &store).items.into_iter().map(|i| i.insert_text).collect();
    assert_eq!(inserts, ["\"on\"", "\"1.0\"", "x"]);
}

#[test]
fn every_skeleton_is_a_valid_resource() {
    let store = store();
    for item in skeletons::items(&store, Style::default(), Span::default()) {
        let text = skeletons::expand_placeholders(&item.insert_text);
        let file = YamlFile::parse(text.as_str());
        let root = file.documents()[0].doc.root.as_ref().unwrap_or_else(|| panic!("{} parses", item.label));
        let json = crate::yaml::to_json(root).unwrap();
        let resolved = store.resolve_kind(item.detail.as_deref().unwrap(), &item.label).unwrap();
        let validator = store.validator(&resolved).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&json).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{}:\n{text}\n{errors:#?}", item.label);
    }
}

#[test]
fn snippets_as_plain_text() {
    assert_eq!(snippet_to_plain("a: ${1:x}\nb: $1\nc: ${2|P,Q|}\n$0"), "a: x\nb: x\nc: P\n");
    assert_eq!(snippet_to_plain("app: ${2:$1}"), "app: ");
    assert_eq!(snippet_to_plain("k\\$y: ${1:a\\}b}"), "k$y: a}b");
    assert_eq!(snippet_to_plain("verbs: [${4:\"get\", \"list\"}] é"), "verbs: [\"get\", \"list\"] é");
}

mod robustness {
    use super::*;
    use crate::analysis::hover;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        /// Any text and any cursor: no panic, and every edit range is inside the text, on char
        /// boundaries, on the cursor's line and around the cursor.
        #[test]
        fn any_input_and_cursor(pieces in prop::collection::vec(prop::sample::select(vec![
            "apiVersion: apps/v1\n", "kind: Deployment\n", "kind: List\n", "items:\n", "spec:\n", "  ", "    ", "- ", "a",
            "replicas", ": ", ":", "\n", "\r\n", "---\n", "#", "\"", "'", "[", "{", "|\n", "é", "😀", "containers:\n",
            "template:\n", "imagePullPolicy: ", "{{ x }}",
        ]), 0..40), at in 0.0f64..=1.0) {
            let text = pieces.concat();
            let mut offset = (text.len() as f64 * at) as usize;
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            let file = YamlFile::parse(text.as_str());
            let store = store();
            let c = completion(&file, text.as_str(), offset, &store);
            for item in &c.items {
                let r = item.replace;
                assert!(r.start <= offset && offset <= r.end && r.end <= text.len(), "{r:?} around {offset}");
                assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                assert!(!text[r.start..r.end].contains('\n'), "one line: {:?}", &text[r.start..r.end]);
            }
            if let Some(h) = hover(&file, text.as_str(), offset, &store) {
                assert!(h.span.start <= h.span.end && h.span.end <= text.len());
            }
        }
    }
}
