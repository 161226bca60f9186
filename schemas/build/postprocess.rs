//! Tightens k8s-openapi's definitions into schemas fit for strict validation. Only depends on
//! serde_json so that the crate's tests can include and exercise it directly.

use serde_json::{Map, Value, json};

/// One built-in kind as seen by the generator.
#[derive(Debug, Clone)]
pub struct Kind {
    pub rust_path: String,
    pub group: String,
    pub version: String,
    pub api_version: String,
    pub kind: String,
    pub namespaced: bool,
    pub definition: String,
}

pub const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
pub const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// The grammar in Quantity's description (`<signedNumber><suffix>`, suffix one of the binary
/// SI, decimal SI or exponent forms), as one anchored regex. The decimal SI set also has `n`
/// and `u`, which the parser accepts although the description omits them.
pub const QUANTITY_PATTERN: &str =
    r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)))?$";

/// Applies every fix, in place.
pub fn postprocess(definitions: &mut Map<String, Value>, kinds: &[Kind]) {
    for schema in definitions.values_mut() {
        tighten(schema);
    }
    if let Some(Value::Object(s)) = definitions.get_mut(INT_OR_STRING) {
        // k8s-openapi only carries the `x-kubernetes-int-or-string` marker, which a JSON
        // Schema validator ignores; spell out what it means.
        s.insert("oneOf".into(), json!([{ "type": "integer" }, { "type": "string" }]));
    }
    if let Some(Value::Object(s)) = definitions.get_mut(QUANTITY) {
        // Quantity is written as a string ("500m", "1Gi") or a plain YAML number (`cpu: 1`).
        s.remove("x-kubernetes-int-or-string");
        s.insert("oneOf".into(), json!([{ "type": "string", "pattern": QUANTITY_PATTERN }, { "type": "number" }]));
    }
    for kind in kinds {
        if let Some(Value::Object(s)) = definitions.get_mut(&kind.definition) {
            constrain_kind(s, kind);
        }
    }
    fix_required(definitions);
    apply_enums(definitions);
    nullable_times(definitions);
    any_json(definitions);
}

/// `apiextensions.v1.JSON` holds any JSON value (CRD `enum`, `default` and `example` entries
/// are strings, numbers, lists…), but the OpenAPI document types it as an object.
fn any_json(definitions: &mut Map<String, Value>) {
    for (name, schema) in definitions.iter_mut() {
        if (name.ends_with(".apiextensions.v1.JSON") || name.ends_with(".apiextensions.v1beta1.JSON"))
            && let Value::Object(s) = schema
        {
            s.remove("type");
            s.remove("additionalProperties");
        }
    }
}

/// Recursively: objects with known properties reject unknown ones, and "Possible enum values"
/// lists become `enum`s. Maps already carry `additionalProperties: <schema>` and are left open.
pub fn tighten(schema: &mut Value) {
    let Value::Object(s) = schema else { return };
    if s.contains_key("properties") && !s.contains_key("additionalProperties") {
        s.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(values) = s.get("description").and_then(Value::as_str).and_then(enum_values) {
        add_enum(s, values);
    }
    if let Some(Value::Object(props)) = s.get_mut("properties") {
        props.values_mut().for_each(tighten);
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = s.get_mut(key) {
            tighten(sub);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(subs)) = s.get_mut(key) {
            subs.iter_mut().for_each(tighten);
        }
    }
}

fn add_enum(s: &mut Map<String, Value>, values: Vec<String>) {
    let target = match s.get("type").and_then(Value::as_str) {
        Some("string") => s,
        // A list of enum values (e.g. `ipFamilies`) documents the values on the list.
        Some("array") => match s.get_mut("items") {
            Some(Value::Object(items)) if items.get("type").and_then(Value::as_str) == Some("string") => items,
            _ => return,
        },
        _ => return,
    };
    if !target.contains_key("enum") {
        target.insert("enum".into(), values.into_iter().map(Value::String).collect());
    }
}

/// Parses the list the Kubernetes OpenAPI generator appends to an enum field's description:
///
/// ```text
/// Possible enum values:
///  - `"Always"` means that kubelet always attempts to pull the latest image. ...
///  - `"Never"` ...
/// ```
pub fn enum_values(description: &str) -> Option<Vec<String>> {
    let (_, list) = description.split_once("Possible enum values:")?;
    let values: Vec<String> = list
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("- `\"")?;
            let end = rest.find("\"`")?;
            Some(rest[..end].to_owned())
        })
        .collect();
    (!values.is_empty()).then_some(values)
}

/// Pins `apiVersion` and `kind` to the kind's own values and records the group/version/kind
/// like upstream's `x-kubernetes-group-version-kind`; relaxes `required` (see `kind_required`).
fn constrain_kind(s: &mut Map<String, Value>, kind: &Kind) {
    if let Some(Value::Object(props)) = s.get_mut("properties") {
        for (field, value) in [("apiVersion", &kind.api_version), ("kind", &kind.kind)] {
            if let Some(Value::Object(p)) = props.get_mut(field) {
                p.insert("enum".into(), json!([value]));
            }
        }
    }
    s.insert(
        "x-kubernetes-group-version-kind".into(),
        json!([{ "group": kind.group, "version": kind.version, "kind": kind.kind }]),
    );
    let required: Vec<String> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let fixed = kind_required(&kind.definition, &required);
    if fixed.is_empty() {
        s.remove("required");
    } else {
        s.insert("required".into(), json!(fixed));
    }
}

/// k8s-openapi lists `metadata` as required on every kind (its Rust field is not optional);
/// upstream 1.37 requires it only on the kinds in `METADATA_REQUIRED`. Everything else in
/// k8s-openapi's lists for kinds matches upstream 1.37 (which does require `spec` on e.g.
/// Deployment, unlike 1.32).
pub fn kind_required(definition: &str, required: &[String]) -> Vec<String> {
    required.iter().filter(|r| *r != "metadata" || METADATA_REQUIRED.contains(&definition)).cloned().collect()
}

pub const METADATA_REQUIRED: &[&str] = &[
    "io.k8s.api.core.v1.Event",
    "io.k8s.api.apiserverinternal.v1alpha1.StorageVersion",
    "io.k8s.api.resource.v1alpha3.ResourcePoolStatusRequest",
];

/// Required lists of nested definitions where k8s-openapi and upstream 1.37 disagree,
/// as (definition, remove, add). Found with scripts/crosscheck.py against kubernetes-validate.
/// - Object references: k8s-openapi makes `name` a non-optional Rust field; upstream defaults
///   it to "" and does not require it.
/// - events/v1 Event: upstream requires `eventTime`; k8s-openapi dropped it.
pub const REQUIRED_FIXES: &[(&str, &[&str], &[&str])] = &[
    ("io.k8s.api.core.v1.ConfigMapEnvSource", &["name"], &[]),
    ("io.k8s.api.core.v1.ConfigMapKeySelector", &["name"], &[]),
    ("io.k8s.api.core.v1.ConfigMapProjection", &["name"], &[]),
    ("io.k8s.api.core.v1.ConfigMapVolumeSource", &["name"], &[]),
    ("io.k8s.api.core.v1.LocalObjectReference", &["name"], &[]),
    ("io.k8s.api.core.v1.SecretEnvSource", &["name"], &[]),
    ("io.k8s.api.core.v1.SecretKeySelector", &["name"], &[]),
    ("io.k8s.api.core.v1.SecretProjection", &["name"], &[]),
    ("io.k8s.api.events.v1.Event", &[], &["eventTime"]),
];

fn fix_required(definitions: &mut Map<String, Value>) {
    for (name, remove, add) in REQUIRED_FIXES {
        let Some(Value::Object(s)) = definitions.get_mut(*name) else {
            panic!("REQUIRED_FIXES names {name}, which k8s-openapi no longer has");
        };
        let mut required: Vec<String> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        for r in *remove {
            assert!(required.iter().any(|x| x == r), "{name}: `{r}` is no longer required; update REQUIRED_FIXES");
            required.retain(|x| x != r);
        }
        required.extend(add.iter().map(|a| (*a).to_owned()));
        if required.is_empty() {
            s.remove("required");
        } else {
            s.insert("required".into(), json!(required));
        }
    }
}

/// Enumerated string fields. k8s-openapi builds on the OpenAPI v2 document, whose descriptions
/// have no "Possible enum values" lists and no `enum`s, so the values are written down here,
/// from the Go API's enum constants and the values the API server's validation accepts (the
/// description usually lists them too). Only fields the API server rejects unknown values for.
/// (definition, property, values); a property of array type gets the enum on its items.
pub const ENUMS: &[(&str, &str, &[&str])] = &[
    ("io.k8s.api.core.v1.Container", "imagePullPolicy", PULL_POLICY),
    ("io.k8s.api.core.v1.Container", "terminationMessagePolicy", TERMINATION_MESSAGE_POLICY),
    ("io.k8s.api.core.v1.Container", "restartPolicy", &["Always", "OnFailure", "Never"]),
    ("io.k8s.api.core.v1.EphemeralContainer", "imagePullPolicy", PULL_POLICY),
    ("io.k8s.api.core.v1.EphemeralContainer", "terminationMessagePolicy", TERMINATION_MESSAGE_POLICY),
    ("io.k8s.api.core.v1.ImageVolumeSource", "pullPolicy", PULL_POLICY),
    ("io.k8s.api.core.v1.ContainerPort", "protocol", PROTOCOL),
    ("io.k8s.api.core.v1.ServicePort", "protocol", PROTOCOL),
    ("io.k8s.api.core.v1.EndpointPort", "protocol", PROTOCOL),
    ("io.k8s.api.discovery.v1.EndpointPort", "protocol", PROTOCOL),
    ("io.k8s.api.networking.v1.NetworkPolicyPort", "protocol", PROTOCOL),
    ("io.k8s.api.core.v1.PodSpec", "restartPolicy", &["Always", "OnFailure", "Never"]),
    ("io.k8s.api.core.v1.PodSpec", "dnsPolicy", &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]),
    ("io.k8s.api.core.v1.PodSpec", "preemptionPolicy", PREEMPTION_POLICY),
    ("io.k8s.api.scheduling.v1.PriorityClass", "preemptionPolicy", PREEMPTION_POLICY),
    ("io.k8s.api.core.v1.PodOS", "name", &["linux", "windows"]),
    ("io.k8s.api.core.v1.PodSecurityContext", "fsGroupChangePolicy", &["OnRootMismatch", "Always"]),
    ("io.k8s.api.core.v1.PodSecurityContext", "seLinuxChangePolicy", &["MountOption", "Recursive"]),
    ("io.k8s.api.core.v1.PodSecurityContext", "supplementalGroupsPolicy", &["Merge", "Strict"]),
    ("io.k8s.api.core.v1.SeccompProfile", "type", PROFILE_TYPE),
    ("io.k8s.api.core.v1.AppArmorProfile", "type", PROFILE_TYPE),
    ("io.k8s.api.core.v1.SecurityContext", "procMount", &["Default", "Unmasked"]),
    ("io.k8s.api.core.v1.HTTPGetAction", "scheme", &["HTTP", "HTTPS"]),
    ("io.k8s.api.core.v1.VolumeMount", "mountPropagation", &["None", "HostToContainer", "Bidirectional"]),
    ("io.k8s.api.core.v1.VolumeMount", "recursiveReadOnly", &["Disabled", "IfPossible", "Enabled"]),
    ("io.k8s.api.core.v1.ContainerResizePolicy", "restartPolicy", &["NotRequired", "RestartContainer"]),
    ("io.k8s.api.core.v1.ContainerRestartRule", "action", &["Restart"]),
    ("io.k8s.api.core.v1.ContainerRestartRuleOnExitCodes", "operator", IN_NOT_IN),
    (
        "io.k8s.api.core.v1.HostPathVolumeSource",
        "type",
        &["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"],
    ),
    ("io.k8s.api.core.v1.ServiceSpec", "type", &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]),
    ("io.k8s.api.core.v1.ServiceSpec", "externalTrafficPolicy", TRAFFIC_POLICY),
    ("io.k8s.api.core.v1.ServiceSpec", "internalTrafficPolicy", TRAFFIC_POLICY),
    ("io.k8s.api.core.v1.ServiceSpec", "sessionAffinity", &["ClientIP", "None"]),
    ("io.k8s.api.core.v1.ServiceSpec", "ipFamilyPolicy", &["SingleStack", "PreferDualStack", "RequireDualStack"]),
    ("io.k8s.api.core.v1.ServiceSpec", "ipFamilies", &["IPv4", "IPv6"]),
    ("io.k8s.api.core.v1.Toleration", "operator", &["Exists", "Equal", "Lt", "Gt"]),
    ("io.k8s.api.core.v1.Toleration", "effect", TAINT_EFFECT),
    ("io.k8s.api.core.v1.Taint", "effect", TAINT_EFFECT),
    ("io.k8s.api.core.v1.NodeSelectorRequirement", "operator", &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]),
    (
        "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
        "operator",
        &["In", "NotIn", "Exists", "DoesNotExist"],
    ),
    ("io.k8s.api.core.v1.TopologySpreadConstraint", "whenUnsatisfiable", &["DoNotSchedule", "ScheduleAnyway"]),
    ("io.k8s.api.core.v1.TopologySpreadConstraint", "nodeAffinityPolicy", HONOR_IGNORE),
    ("io.k8s.api.core.v1.TopologySpreadConstraint", "nodeTaintsPolicy", HONOR_IGNORE),
    ("io.k8s.api.core.v1.PersistentVolumeClaimSpec", "volumeMode", VOLUME_MODE),
    ("io.k8s.api.core.v1.PersistentVolumeClaimSpec", "accessModes", ACCESS_MODES),
    ("io.k8s.api.core.v1.PersistentVolumeSpec", "volumeMode", VOLUME_MODE),
    ("io.k8s.api.core.v1.PersistentVolumeSpec", "accessModes", ACCESS_MODES),
    ("io.k8s.api.core.v1.PersistentVolumeSpec", "persistentVolumeReclaimPolicy", RECLAIM_POLICY),
    ("io.k8s.api.storage.v1.StorageClass", "reclaimPolicy", RECLAIM_POLICY),
    ("io.k8s.api.storage.v1.StorageClass", "volumeBindingMode", &["Immediate", "WaitForFirstConsumer"]),
    ("io.k8s.api.apps.v1.DeploymentStrategy", "type", &["Recreate", "RollingUpdate"]),
    ("io.k8s.api.apps.v1.DaemonSetUpdateStrategy", "type", &["RollingUpdate", "OnDelete"]),
    ("io.k8s.api.apps.v1.StatefulSetUpdateStrategy", "type", &["RollingUpdate", "OnDelete"]),
    ("io.k8s.api.apps.v1.StatefulSetSpec", "podManagementPolicy", &["OrderedReady", "Parallel"]),
    ("io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy", "whenDeleted", RETAIN_DELETE),
    ("io.k8s.api.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicy", "whenScaled", RETAIN_DELETE),
    ("io.k8s.api.batch.v1.CronJobSpec", "concurrencyPolicy", &["Allow", "Forbid", "Replace"]),
    ("io.k8s.api.batch.v1.JobSpec", "completionMode", &["NonIndexed", "Indexed"]),
    ("io.k8s.api.batch.v1.JobSpec", "podReplacementPolicy", &["TerminatingOrFailed", "Failed"]),
    ("io.k8s.api.batch.v1.PodFailurePolicyRule", "action", &["FailJob", "FailIndex", "Ignore", "Count"]),
    ("io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement", "operator", IN_NOT_IN),
    ("io.k8s.api.networking.v1.NetworkPolicySpec", "policyTypes", &["Ingress", "Egress"]),
    ("io.k8s.api.networking.v1.HTTPIngressPath", "pathType", &["Exact", "Prefix", "ImplementationSpecific"]),
    ("io.k8s.api.autoscaling.v2.MetricSpec", "type", &["ContainerResource", "External", "Object", "Pods", "Resource"]),
    ("io.k8s.api.autoscaling.v2.MetricTarget", "type", &["Utilization", "Value", "AverageValue"]),
    ("io.k8s.api.autoscaling.v2.HPAScalingRules", "selectPolicy", &["Max", "Min", "Disabled"]),
    ("io.k8s.api.autoscaling.v2.HPAScalingPolicy", "type", &["Pods", "Percent"]),
    ("io.k8s.api.policy.v1.PodDisruptionBudgetSpec", "unhealthyPodEvictionPolicy", &["IfHealthyBudget", "AlwaysAllow"]),
    ("io.k8s.api.admissionregistration.v1.ValidatingWebhook", "failurePolicy", FAILURE_POLICY),
    ("io.k8s.api.admissionregistration.v1.ValidatingWebhook", "sideEffects", SIDE_EFFECTS),
    ("io.k8s.api.admissionregistration.v1.ValidatingWebhook", "matchPolicy", MATCH_POLICY),
    ("io.k8s.api.admissionregistration.v1.MutatingWebhook", "failurePolicy", FAILURE_POLICY),
    ("io.k8s.api.admissionregistration.v1.MutatingWebhook", "sideEffects", SIDE_EFFECTS),
    ("io.k8s.api.admissionregistration.v1.MutatingWebhook", "matchPolicy", MATCH_POLICY),
    ("io.k8s.api.admissionregistration.v1.MutatingWebhook", "reinvocationPolicy", &["Never", "IfNeeded"]),
    ("io.k8s.api.admissionregistration.v1.RuleWithOperations", "scope", &["Cluster", "Namespaced", "*"]),
    (
        "io.k8s.api.admissionregistration.v1.RuleWithOperations",
        "operations",
        &["*", "CREATE", "UPDATE", "DELETE", "CONNECT"],
    ),
    ("io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec", "failurePolicy", FAILURE_POLICY),
    (
        "io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec",
        "validationActions",
        &["Deny", "Warn", "Audit"],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec",
        "scope",
        &["Cluster", "Namespaced"],
    ),
    (
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceConversion",
        "strategy",
        &["None", "Webhook"],
    ),
];

const PULL_POLICY: &[&str] = &["Always", "Never", "IfNotPresent"];
const TERMINATION_MESSAGE_POLICY: &[&str] = &["File", "FallbackToLogsOnError"];
const PROTOCOL: &[&str] = &["TCP", "UDP", "SCTP"];
const PREEMPTION_POLICY: &[&str] = &["PreemptLowerPriority", "Never"];
const PROFILE_TYPE: &[&str] = &["Localhost", "RuntimeDefault", "Unconfined"];
const IN_NOT_IN: &[&str] = &["In", "NotIn"];
const TRAFFIC_POLICY: &[&str] = &["Cluster", "Local"];
const TAINT_EFFECT: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
const HONOR_IGNORE: &[&str] = &["Honor", "Ignore"];
const VOLUME_MODE: &[&str] = &["Block", "Filesystem"];
const ACCESS_MODES: &[&str] = &["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"];
const RECLAIM_POLICY: &[&str] = &["Retain", "Delete", "Recycle"];
const RETAIN_DELETE: &[&str] = &["Retain", "Delete"];
const FAILURE_POLICY: &[&str] = &["Ignore", "Fail"];
const SIDE_EFFECTS: &[&str] = &["None", "NoneOnDryRun"];
const MATCH_POLICY: &[&str] = &["Exact", "Equivalent"];

fn apply_enums(definitions: &mut Map<String, Value>) {
    for (name, property, values) in ENUMS {
        let field = definitions
            .get_mut(*name)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(*property))
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("ENUMS names {name}.{property}, which k8s-openapi no longer has"));
        let values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        let before = field.get("enum").cloned();
        add_enum(field, values);
        assert!(
            before.is_none() && field.contains_key("enum")
                || field.get("items").is_some_and(|i| i.get("enum").is_some()),
            "ENUMS: {name}.{property} is not a string or a list of strings, or has an enum already"
        );
    }
}

/// `metav1.Time` and `MicroTime` accept `null`: `creationTimestamp: null` is in the output of
/// `kubectl create --dry-run -o yaml` and many generators, and the API server takes it as unset.
fn nullable_times(definitions: &mut Map<String, Value>) {
    for name in ["io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"] {
        if let Some(Value::Object(s)) = definitions.get_mut(name) {
            s.insert("type".into(), json!(["string", "null"]));
        }
    }
}
