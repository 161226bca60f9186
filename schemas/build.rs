//! Generates the embedded Kubernetes schemas.
//!
//! k8s-openapi carries the upstream OpenAPI definitions (with their descriptions) as
//! `schemars::JsonSchema` impls. This script collects the definition of every built-in kind,
//! tightens it for strict validation (see `postprocess`) and writes two files to `OUT_DIR`:
//! `definitions.json` (one draft-07 document with a shared `definitions` table) and
//! `kinds.rs` (the kind table and the Kubernetes version). It also packs the vendored CRD
//! schemas of `crds/` (see `build/crds.rs`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemas_postprocess as post;
use serde_json::{Value, json};

#[path = "build/postprocess.rs"]
mod schemas_postprocess;

#[path = "build/crds.rs"]
mod crds;

/// Only cluster- and namespace-scoped resources are kinds one writes in a manifest;
/// subresources (`Scale`, `Eviction`, `TokenRequest`) have no scope of their own.
trait Scope {
    const NAMESPACED: bool;
}
impl Scope for ClusterResourceScope {
    const NAMESPACED: bool = false;
}
impl Scope for NamespaceResourceScope {
    const NAMESPACED: bool = true;
}

fn collect<T>(generator: &mut SchemaGenerator, rust_path: &str) -> post::Kind
where
    T: Resource + JsonSchema,
    T::Scope: Scope,
{
    generator.subschema_for::<T>();
    post::Kind {
        rust_path: rust_path.replace(' ', ""),
        group: T::GROUP.to_owned(),
        version: T::VERSION.to_owned(),
        api_version: T::API_VERSION.to_owned(),
        kind: T::KIND.to_owned(),
        namespaced: <T::Scope as Scope>::NAMESPACED,
        definition: T::schema_name().into_owned(),
    }
}

macro_rules! kinds {
    ($generator:expr, [$($path:path),* $(,)?]) => {{
        use k8s_openapi::*;
        vec![$(collect::<$path>($generator, stringify!($path))),*]
    }};
}

/// Every cluster- or namespace-scoped `k8s_openapi::Resource` of the enabled Kubernetes
/// version, except the discovery types of `apimachinery` (APIGroup, APIVersions, ...),
/// which are responses and never manifests. `check_exhaustive` keeps this list honest.
fn all_kinds(generator: &mut SchemaGenerator) -> Vec<post::Kind> {
    kinds!(
        generator,
        [
            api::admissionregistration::v1::MutatingAdmissionPolicy,
            api::admissionregistration::v1::MutatingAdmissionPolicyBinding,
            api::admissionregistration::v1::MutatingWebhookConfiguration,
            api::admissionregistration::v1::ValidatingAdmissionPolicy,
            api::admissionregistration::v1::ValidatingAdmissionPolicyBinding,
            api::admissionregistration::v1::ValidatingWebhookConfiguration,
            api::admissionregistration::v1alpha1::MutatingAdmissionPolicy,
            api::admissionregistration::v1alpha1::MutatingAdmissionPolicyBinding,
            api::admissionregistration::v1beta1::MutatingAdmissionPolicy,
            api::admissionregistration::v1beta1::MutatingAdmissionPolicyBinding,
            api::apiserverinternal::v1alpha1::StorageVersion,
            api::apps::v1::ControllerRevision,
            api::apps::v1::DaemonSet,
            api::apps::v1::Deployment,
            api::apps::v1::ReplicaSet,
            api::apps::v1::StatefulSet,
            api::authentication::v1::SelfSubjectReview,
            api::authentication::v1::TokenReview,
            api::authorization::v1::LocalSubjectAccessReview,
            api::authorization::v1::SelfSubjectAccessReview,
            api::authorization::v1::SelfSubjectRulesReview,
            api::authorization::v1::SubjectAccessReview,
            api::autoscaling::v1::HorizontalPodAutoscaler,
            api::autoscaling::v2::HorizontalPodAutoscaler,
            api::batch::v1::CronJob,
            api::batch::v1::Job,
            api::certificates::v1::CertificateSigningRequest,
            api::certificates::v1::ClusterTrustBundle,
            api::certificates::v1::PodCertificateRequest,
            api::certificates::v1beta1::ClusterTrustBundle,
            api::certificates::v1beta1::PodCertificateRequest,
            api::coordination::v1::Lease,
            api::coordination::v1alpha2::LeaseCandidate,
            api::coordination::v1beta1::LeaseCandidate,
            api::core::v1::Binding,
            api::core::v1::ComponentStatus,
            api::core::v1::ConfigMap,
            api::core::v1::Endpoints,
            api::core::v1::Event,
            api::core::v1::LimitRange,
            api::core::v1::Namespace,
            api::core::v1::Node,
            api::core::v1::PersistentVolume,
            api::core::v1::PersistentVolumeClaim,
            api::core::v1::Pod,
            api::core::v1::PodTemplate,
            api::core::v1::ReplicationController,
            api::core::v1::ResourceQuota,
            api::core::v1::Secret,
            api::core::v1::Service,
            api::core::v1::ServiceAccount,
            api::discovery::v1::EndpointSlice,
            api::events::v1::Event,
            api::flowcontrol::v1::FlowSchema,
            api::flowcontrol::v1::PriorityLevelConfiguration,
            api::lifecycle::v1alpha1::Eviction,
            api::lifecycle::v1alpha1::EvictionRequest,
            api::networking::v1::Ingress,
            api::networking::v1::IngressClass,
            api::networking::v1::IPAddress,
            api::networking::v1::NetworkPolicy,
            api::networking::v1::ServiceCIDR,
            api::node::v1::RuntimeClass,
            api::policy::v1::PodDisruptionBudget,
            api::rbac::v1::ClusterRole,
            api::rbac::v1::ClusterRoleBinding,
            api::rbac::v1::Role,
            api::rbac::v1::RoleBinding,
            api::resource::v1::DeviceClass,
            api::resource::v1::DeviceTaintRule,
            api::resource::v1::ResourceClaim,
            api::resource::v1::ResourceClaimTemplate,
            api::resource::v1::ResourceSlice,
            api::resource::v1alpha3::DeviceTaintRule,
            api::resource::v1alpha3::ResourcePoolStatusRequest,
            api::resource::v1beta1::DeviceClass,
            api::resource::v1beta1::ResourceClaim,
            api::resource::v1beta1::ResourceClaimTemplate,
            api::resource::v1beta1::ResourceSlice,
            api::resource::v1beta2::DeviceClass,
            api::resource::v1beta2::DeviceTaintRule,
            api::resource::v1beta2::ResourceClaim,
            api::resource::v1beta2::ResourceClaimTemplate,
            api::resource::v1beta2::ResourceSlice,
            api::scheduling::v1::PriorityClass,
            api::scheduling::v1alpha3::CompositePodGroup,
            api::scheduling::v1alpha3::PodGroup,
            api::scheduling::v1alpha3::Workload,
            api::scheduling::v1beta1::PodGroup,
            api::scheduling::v1beta1::Workload,
            api::storage::v1::CSIDriver,
            api::storage::v1::CSINode,
            api::storage::v1::CSIStorageCapacity,
            api::storage::v1::StorageClass,
            api::storage::v1::VolumeAttachment,
            api::storage::v1::VolumeAttributesClass,
            api::storagemigration::v1::StorageVersionMigration,
            api::storagemigration::v1beta1::StorageVersionMigration,
            apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
            kube_aggregator::pkg::apis::apiregistration::v1::APIService,
        ]
    )
}

// Exactly one of these macros expands (k8s-openapi enables one version), so `version` is
// assigned once; the late initialisation is what makes that checked by the compiler.
#[allow(clippy::needless_late_init)]
fn kubernetes_version() -> &'static str {
    let version: &'static str;
    k8s_openapi::k8s_if_1_33! { version = "1.33"; }
    k8s_openapi::k8s_if_1_34! { version = "1.34"; }
    k8s_openapi::k8s_if_1_35! { version = "1.35"; }
    k8s_openapi::k8s_if_1_36! { version = "1.36"; }
    k8s_openapi::k8s_if_1_37! { version = "1.37"; }
    version
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=build/postprocess.rs");

    let version = kubernetes_version();
    let mut generator = SchemaSettings::draft07().into_generator();
    let kinds = all_kinds(&mut generator);
    check_exhaustive(version, &kinds);

    // Transforms stay off: draft-07's `RemoveRefSiblings` would wrap every `$ref` that carries
    // a description into an `allOf`, which hides the description from hover and changes
    // nothing for validation (draft-07 ignores `$ref` siblings).
    let mut definitions = generator.take_definitions(false);
    post::postprocess(&mut definitions, &kinds);

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let document = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "x-kubernetes-version": version,
        "definitions": Value::Object(definitions),
    });
    let text = serde_json::to_string(&document).expect("serialize");
    std::fs::write(out.join("definitions.json"), text).expect("write definitions.json");
    std::fs::write(out.join("kinds.rs"), kinds_rs(version, &kinds)).expect("write kinds.rs");
    println!("cargo::rerun-if-changed=build/crds.rs");
    crds::pack(&Path::new(env!("CARGO_MANIFEST_DIR")).join("crds"), &out);
}

fn kinds_rs(version: &str, kinds: &[post::Kind]) -> String {
    let mut sorted: Vec<&post::Kind> = kinds.iter().collect();
    sorted.sort_by(|a, b| (&a.group, &a.version, &a.kind).cmp(&(&b.group, &b.version, &b.kind)));
    let mut s = String::new();
    writeln!(s, "/// The Kubernetes minor version the embedded schemas describe.").unwrap();
    writeln!(s, "pub const KUBERNETES_VERSION: &str = {version:?};").unwrap();
    writeln!(s, "static KINDS: &[KindInfo] = &[").unwrap();
    for k in sorted {
        writeln!(
            s,
            "    KindInfo {{ group: {:?}, version: {:?}, api_version: {:?}, kind: {:?}, namespaced: {}, definition: {:?} }},",
            k.group, k.version, k.api_version, k.kind, k.namespaced, k.definition
        )
        .unwrap();
    }
    writeln!(s, "];").unwrap();
    s
}

/// Compares the list in `all_kinds` with the `impl Resource` blocks in k8s-openapi's source,
/// so that a k8s-openapi upgrade that adds a kind fails the build instead of silently
/// leaving the kind unvalidated. Skipped with a warning when the source is not where cargo
/// unpacks registry crates (e.g. vendored builds).
fn check_exhaustive(version: &str, kinds: &[post::Kind]) {
    let Some(src) = k8s_openapi_source(version) else {
        println!("cargo::warning=k8s-openapi source not found; kind list not checked for completeness");
        return;
    };
    let mut expected = BTreeSet::new();
    scan_resources(&src, &src, &mut expected);
    let listed: BTreeSet<String> = kinds.iter().map(|k| k.rust_path.clone()).collect();
    let missing: Vec<_> = expected.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the kind list in schemas/build.rs is out of date with k8s-openapi ({}):\n missing: {missing:?}\n not in k8s-openapi: {extra:?}",
        src.display()
    );
}

fn k8s_openapi_source(version: &str) -> Option<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let module = format!("v{}", version.replace('.', "_"));
    std::fs::read_dir(cargo_home.join("registry/src"))
        .ok()?
        .flatten()
        .map(|index| index.path().join("k8s-openapi-0.29.0/src").join(&module))
        .find(|p| p.is_dir())
}

fn scan_resources(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            scan_resources(root, &path, out);
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (at, _) in text.match_indices("impl crate::Resource for ") {
            let rest = &text[at + "impl crate::Resource for ".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
            let block = &rest[..rest.find('}').unwrap_or(rest.len())];
            let scoped =
                block.contains("crate::ClusterResourceScope") || block.contains("crate::NamespaceResourceScope");
            let module = path.parent().unwrap().strip_prefix(root).unwrap();
            let module: Vec<_> = module.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if scoped && module.first().map(String::as_str) != Some("apimachinery") {
                out.insert(format!("{}::{name}", module.join("::")));
            }
        }
    }
}
