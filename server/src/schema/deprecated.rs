//! apiVersions that Kubernetes deprecated or removed, with their replacements.

pub struct Removal {
    pub api_version: &'static str,
    pub kinds: &'static [&'static str],
    /// The apiVersion to use instead; `None` when the kind itself is gone.
    pub replacement: Option<&'static str>,
    /// The Kubernetes minor release that stopped serving it.
    pub removed_in: &'static str,
    pub note: &'static str,
}

const ALL: &[&str] = &[];

/// Removed API versions (none of these is served by a current cluster).
pub const REMOVED: &[Removal] = &[
    Removal {
        api_version: "extensions/v1beta1",
        kinds: &["Deployment", "DaemonSet", "ReplicaSet"],
        replacement: Some("apps/v1"),
        removed_in: "1.16",
        note: "",
    },
    Removal {
        api_version: "extensions/v1beta1",
        kinds: &["NetworkPolicy"],
        replacement: Some("networking.k8s.io/v1"),
        removed_in: "1.16",
        note: "",
    },
    Removal {
        api_version: "extensions/v1beta1",
        kinds: &["PodSecurityPolicy"],
        replacement: None,
        removed_in: "1.25",
        note: "PodSecurityPolicy was replaced by Pod Security Admission (namespace labels)",
    },
    Removal {
        api_version: "extensions/v1beta1",
        kinds: &["Ingress"],
        replacement: Some("networking.k8s.io/v1"),
        removed_in: "1.22",
        note: "v1 nests the backend as service.name/service.port",
    },
    Removal { api_version: "apps/v1beta1", kinds: ALL, replacement: Some("apps/v1"), removed_in: "1.16", note: "" },
    Removal { api_version: "apps/v1beta2", kinds: ALL, replacement: Some("apps/v1"), removed_in: "1.16", note: "" },
    Removal {
        api_version: "networking.k8s.io/v1beta1",
        kinds: &["Ingress", "IngressClass"],
        replacement: Some("networking.k8s.io/v1"),
        removed_in: "1.22",
        note: "",
    },
    Removal {
        api_version: "policy/v1beta1",
        kinds: &["PodDisruptionBudget"],
        replacement: Some("policy/v1"),
        removed_in: "1.25",
        note: "",
    },
    Removal {
        api_version: "policy/v1beta1",
        kinds: &["PodSecurityPolicy"],
        replacement: None,
        removed_in: "1.25",
        note: "PodSecurityPolicy was replaced by Pod Security Admission (namespace labels)",
    },
    Removal {
        api_version: "batch/v1beta1",
        kinds: &["CronJob"],
        replacement: Some("batch/v1"),
        removed_in: "1.25",
        note: "",
    },
    Removal {
        api_version: "batch/v2alpha1",
        kinds: &["CronJob"],
        replacement: Some("batch/v1"),
        removed_in: "1.21",
        note: "",
    },
    Removal {
        api_version: "autoscaling/v2beta1",
        kinds: &["HorizontalPodAutoscaler"],
        replacement: Some("autoscaling/v2"),
        removed_in: "1.25",
        note: "",
    },
    Removal {
        api_version: "autoscaling/v2beta2",
        kinds: &["HorizontalPodAutoscaler"],
        replacement: Some("autoscaling/v2"),
        removed_in: "1.26",
        note: "",
    },
    Removal {
        api_version: "rbac.authorization.k8s.io/v1beta1",
        kinds: ALL,
        replacement: Some("rbac.authorization.k8s.io/v1"),
        removed_in: "1.22",
        note: "",
    },
    Removal {
        api_version: "rbac.authorization.k8s.io/v1alpha1",
        kinds: ALL,
        replacement: Some("rbac.authorization.k8s.io/v1"),
        removed_in: "1.22",
        note: "",
    },
    Removal {
        api_version: "apiextensions.k8s.io/v1beta1",
        kinds: &["CustomResourceDefinition"],
        replacement: Some("apiextensions.k8s.io/v1"),
        removed_in: "1.22",
        note: "v1 requires a structural schema per version",
    },
    Removal {
        api_version: "apiregistration.k8s.io/v1beta1",
        kinds: &["APIService"],
        replacement: Some("apiregistration.k8s.io/v1"),
        removed_in: "1.22",
        note: "",
    },
    Removal {
        api_version: "admissionregistration.k8s.io/v1beta1",
        kinds: &["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"],
        replacement: Some("admissionregistration.k8s.io/v1"),
        removed_in: "1.22",
        note: "",
    },
    Removal {
        api_version: "scheduling.k8s.io/v1beta1",
        kinds: &["PriorityClass"],
        replacement: Some("scheduling.k8s.io/v1"),
        removed_in: "1.22",
        note: "",
    },
    Removal {
        api_version: "scheduling.k8s.io/v1alpha1",
        kinds: &["PriorityClass"],
        replacement: Some("scheduling.k8s.io/v1"),
        removed_in: "1.17",
        note: "",
    },
    Removal {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["StorageClass", "VolumeAttachment", "CSIDriver", "CSINode"],
        replacement: Some("storage.k8s.io/v1"),
        removed_in: "1.22",
        note: "",
    },
    Removal {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSIStorageCapacity"],
        replacement: Some("storage.k8s.io/v1"),
        removed_in: "1.27",
        note: "",
    },
    Removal {
        api_version: "coordination.k8s.io/v1beta1",
        kinds: &["Lease"],
        replacement: Some("coordination.k8s.io/v1"),
        removed_in: "1.22",
        note: "",
    },
    Removal {
        api_version: "certificates.k8s.io/v1beta1",
        kinds: &["CertificateSigningRequest"],
        replacement: Some("certificates.k8s.io/v1"),
        removed_in: "1.22",
        note: "",
    },
    Removal {
        api_version: "discovery.k8s.io/v1beta1",
        kinds: &["EndpointSlice"],
        replacement: Some("discovery.k8s.io/v1"),
        removed_in: "1.25",
        note: "",
    },
    Removal {
        api_version: "events.k8s.io/v1beta1",
        kinds: &["Event"],
        replacement: Some("events.k8s.io/v1"),
        removed_in: "1.25",
        note: "",
    },
    Removal {
        api_version: "node.k8s.io/v1beta1",
        kinds: &["RuntimeClass"],
        replacement: Some("node.k8s.io/v1"),
        removed_in: "1.25",
        note: "",
    },
    Removal {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta1",
        kinds: &["FlowSchema", "PriorityLevelConfiguration"],
        replacement: Some("flowcontrol.apiserver.k8s.io/v1"),
        removed_in: "1.26",
        note: "",
    },
    Removal {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta2",
        kinds: &["FlowSchema", "PriorityLevelConfiguration"],
        replacement: Some("flowcontrol.apiserver.k8s.io/v1"),
        removed_in: "1.29",
        note: "",
    },
    Removal {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta3",
        kinds: &["FlowSchema", "PriorityLevelConfiguration"],
        replacement: Some("flowcontrol.apiserver.k8s.io/v1"),
        removed_in: "1.32",
        note: "",
    },
];

pub fn removal(api_version: &str, kind: &str) -> Option<&'static Removal> {
    REMOVED.iter().find(|r| r.api_version == api_version && (r.kinds.is_empty() || r.kinds.contains(&kind)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_exist_in_the_embedded_schemas() {
        for r in REMOVED {
            let Some(rep) = r.replacement else { continue };
            let kinds: Vec<&str> = if r.kinds.is_empty() {
                gitops_ls_schemas::kinds().filter(|k| k.api_version == rep).map(|k| k.kind).collect()
            } else {
                r.kinds.to_vec()
            };
            assert!(!kinds.is_empty(), "{}", r.api_version);
            for k in kinds {
                assert!(gitops_ls_schemas::kind_info(rep, k).is_some(), "{rep} {k}");
                assert!(
                    gitops_ls_schemas::kind_info(r.api_version, k).is_none(),
                    "{} {k} still embedded",
                    r.api_version
                );
            }
        }
        assert_eq!(removal("extensions/v1beta1", "Deployment").unwrap().replacement, Some("apps/v1"));
        assert!(removal("apps/v1", "Deployment").is_none());
    }
}
