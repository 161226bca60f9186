//! Hover snapshots: `$0` is the cursor; the expectation shows the hovered text, then the
//! markdown. Update with `UPDATE_EXPECT=1 cargo test` and review the diff.

use expect_test::{Expect, expect};

use super::*;
use crate::analysis::fixtures::{cursor, store};

fn check_hover(fixture: &str, expect: Expect) {
    let (text, offset, file) = cursor(fixture);
    let actual = match hover(&file, text.as_str(), offset, &store()) {
        Some(h) => format!("[{}]\n{}", &text[h.span.start..h.span.end], h.markdown),
        None => "no hover".to_string(),
    };
    expect.assert_eq(&actual);
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  strategy:
    rollingUpdate:
      maxSurge: 25%
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: IfNotPresent
          resources:
            limits:
              cpu: 500m
";

fn at(needle: &str) -> String {
    let i = DEPLOYMENT.find(needle).unwrap_or_else(|| panic!("{needle} not in the fixture"));
    format!("{}$0{}", &DEPLOYMENT[..i + 1], &DEPLOYMENT[i + 1..])
}

#[test]
fn key_of_a_builtin_kind() {
    check_hover(
        &at("image:"),
        expect![[r#"
            [image]
            **image** `string`

            Container image name. More info: https://kubernetes.io/docs/concepts/containers/images This field is optional to allow higher level config management to default or override container images in workload controllers like Deployments and StatefulSets.

            `Deployment.spec.template.spec.containers[].image` · [Container in the Kubernetes 1.37 API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#container-v1-core)"#]],
    );
}

#[test]
fn required_field_with_its_own_description() {
    check_hover(
        &at("containers:"),
        expect![[r#"
            [containers]
            **containers** `[]Container` · required

            List of containers belonging to the pod. Containers cannot currently be added or removed. There must be at least one container in a Pod. Cannot be updated.

            `Deployment.spec.template.spec.containers` · [PodSpec in the Kubernetes 1.37 API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#podspec-v1-core)"#]],
    );
}

#[test]
fn kubernetes_types() {
    check_hover(
        &at("maxSurge"),
        expect![[r#"
            [maxSurge]
            **maxSurge** `int-or-string`

            The maximum number of pods that can be scheduled above the desired number of pods. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). This can not be 0 if MaxUnavailable is 0. Absolute number is calculated from percentage by rounding up. Defaults to 25%. Example: when this is set to 30%, the new ReplicaSet can be scaled up immediately when the rolling update starts, such that the total number of old and new pods do not exceed 130% of desired pods. Once old pods have been killed, new ReplicaSet can be scaled up further, ensuring that total number of pods running at any time during the update is at most 130% of desired pods.

            `Deployment.spec.strategy.rollingUpdate.maxSurge` · [RollingUpdateDeployment in the Kubernetes 1.37 API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#rollingupdatedeployment-v1-apps)"#]],
    );
    check_hover(
        &at("cpu"),
        expect![[r#"
            [cpu]
            **cpu** `quantity` · entry of `limits`

            Quantity is a fixed-point representation of a number.

            `Deployment.spec.template.spec.containers[].resources.limits.cpu` · [ResourceRequirements in the Kubernetes 1.37 API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#resourcerequirements-v1-core)"#]],
    );
    check_hover(
        &at("labels:"),
        expect![[r#"
            [labels]
            **labels** `map[string]string`

            Map of string keys and values that can be used to organize and categorize (scope and select) objects. May match selectors of replication controllers and services. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels

            `Deployment.metadata.labels` · [ObjectMeta in the Kubernetes 1.37 API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#objectmeta-v1-meta)"#]],
    );
}

#[test]
fn enum_values_are_listed() {
    check_hover(
        &at("imagePullPolicy"),
        expect![[r#"
            [imagePullPolicy]
            **imagePullPolicy** `string`

            Image pull policy. One of Always, Never, IfNotPresent. Defaults to Always if :latest tag is specified, or IfNotPresent otherwise. Cannot be updated. More info: https://kubernetes.io/docs/concepts/containers/images#updating-images

            Values: `Always`, `Never`, `IfNotPresent`

            `Deployment.spec.template.spec.containers[].imagePullPolicy` · [Container in the Kubernetes 1.37 API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#container-v1-core)"#]],
    );
}

#[test]
fn api_version_and_kind_describe_the_resource() {
    let expected = expect![[r#"
        [Deployment]
        **Deployment** `apps/v1`

        Deployment enables declarative updates for Pods and ReplicaSets.

        Schema: embedded Kubernetes 1.37

        [Deployment in the Kubernetes 1.37 API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#deployment-v1-apps)"#]];
    check_hover(&at("eployment\n"), expected);
    let (text, offset, file) = cursor(&at("piVersion"));
    let h = hover(&file, text.as_str(), offset, &store()).unwrap();
    assert!(h.markdown.starts_with("**Deployment** `apps/v1`"));
    assert_eq!(&text[h.span.start..h.span.end], "apiVersion");
}

#[test]
fn value_meaning_from_the_description() {
    check_hover(
        "apiVersion: v1\nkind: Service\nspec:\n  type: Node$0Port\n",
        expect![[r#"
            [NodePort]
            `NodePort`: "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP.

            ---

            **type** `string`

            type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types

            Values: `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`

            `Service.spec.type` · [ServiceSpec in the Kubernetes 1.37 API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#servicespec-v1-core)"#]],
    );
}

#[test]
fn plain_value_shows_its_field() {
    let (text, offset, file) = cursor(&at("ginx:1.27"));
    let h = hover(&file, text.as_str(), offset, &store()).unwrap();
    assert_eq!(&text[h.span.start..h.span.end], "nginx:1.27");
    assert!(h.markdown.starts_with("**image** `string`"));
}

#[test]
fn custom_resource_from_a_crd() {
    let app = "apiVersion: example.com/v1\nkind: App\nmetadata:\n  name: a\nspec:\n  interval: 1m\n  mode: DryRun\n";
    let at = |needle: &str| {
        let i = app.find(needle).unwrap();
        format!("{}$0{}", &app[..i + 1], &app[i + 1..])
    };
    check_hover(
        &at("interval"),
        expect![[r#"
            [interval]
            **interval** `string` · required

            How often to reconcile.

            Default: `5m`

            `App.spec.interval`"#]],
    );
    check_hover(
        &at("App"),
        expect![[r#"
            [App]
            **App** `example.com/v1`

            App deploys an application from a Git repository.

            Schema: CRD in file crds/app.yaml:1"#]],
    );
    check_hover(
        &at("ryRun"),
        expect![[r#"
            [DryRun]
            `DryRun`: only reports what would change.

            ---

            **mode** `string`

            How changes are made.

            Possible enum values:
             - `"Apply"` applies the changes to the cluster.
             - `"DryRun"` only reports what would change.

            Values: `Apply`, `DryRun`

            `App.spec.mode`"#]],
    );
}

#[test]
fn list_items_are_resources() {
    check_hover(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  immu$0table: true\n",
        expect![[r#"
            [immutable]
            **immutable** `boolean`

            Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated (only object metadata can be modified). If not set to true, the field can be modified at any time. Defaulted to nil.

            `ConfigMap.immutable` · [ConfigMap in the Kubernetes 1.37 API reference](https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.37/#configmap-v1-core)"#]],
    );
}

#[test]
fn no_hover_without_a_schema_or_off_the_tree() {
    check_hover("apiVersion: v9\nkind: Nope\nspec:\n  fo$0o: 1\n", expect!["no hover"]);
    check_hover("fo$0o: 1\n", expect!["no hover"]);
    check_hover("apiVersion: v1\nkind: ConfigMap\n# a comm$0ent\n", expect!["no hover"]);
    // A key the schema does not know.
    check_hover("apiVersion: v1\nkind: ConfigMap\nbog$0us: 1\n", expect!["no hover"]);
}

#[test]
fn hover_in_a_broken_document() {
    // Recovery keeps the lines after the error.
    let fixture =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name:web\n  namespace: a\nspec:\n  repli$0cas: 2\n";
    let (text, offset, file) = cursor(fixture);
    assert!(!file.documents()[0].doc.complete);
    let h = hover(&file, text.as_str(), offset, &store()).expect("hover from the recovered tree");
    assert!(h.markdown.starts_with("**replicas** `integer`"), "{}", h.markdown);

    // An unclosed flow swallows the rest of the document: the last good tree still knows it.
    let good = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  replicas: 2\n";
    let mut file = YamlFile::parse(good);
    let at = good.find("name: a").unwrap() + 6;
    let broken = format!("{}[{}", &good[..at], &good[at..]);
    file.edit(broken.as_str(), at, at, 1);
    assert!(!file.documents()[0].doc.complete);
    let offset = broken.find("replicas").unwrap() + 2;
    let h = hover(&file, broken.as_str(), offset, &store()).expect("hover from the last good tree");
    assert_eq!(&broken[h.span.start..h.span.end], "replicas");
}

#[test]
fn reference_anchors() {
    let anchor = |d: &str| reference_anchor(d).map(|(_, a)| a);
    assert_eq!(anchor("io.k8s.api.core.v1.Container").as_deref(), Some("container-v1-core"));
    assert_eq!(anchor("io.k8s.api.apps.v1.DeploymentSpec").as_deref(), Some("deploymentspec-v1-apps"));
    assert_eq!(anchor("io.k8s.api.networking.v1.Ingress").as_deref(), Some("ingress-v1-networking-k8s-io"));
    assert_eq!(anchor("io.k8s.api.rbac.v1.Role").as_deref(), Some("role-v1-rbac-authorization-k8s-io"));
    assert_eq!(anchor("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").as_deref(), Some("objectmeta-v1-meta"));
    assert_eq!(anchor("io.k8s.apimachinery.pkg.api.resource.Quantity"), None);
}

#[test]
fn enum_meanings() {
    let d = "Policy.\n\nPossible enum values:\n - `\"Always\"` means always.\n - `\"Never\"` means never.";
    assert_eq!(enum_value_meaning(d, "Never").as_deref(), Some("means never."));
    assert_eq!(enum_value_meaning(d, "Sometimes"), None);
    let d = "How. \"A\" does a thing. \"B\" does b. Other text.";
    assert_eq!(enum_value_meaning(d, "B").as_deref(), Some("\"B\" does b."));
}
