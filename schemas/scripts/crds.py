#!/usr/bin/env python3
"""Vendors and cross-checks the bundled CRD schemas in schemas/crds/.

  crds.py vendor  --catalog DIR --config-sync REPO --prometheus-operator REPO   # refresh schemas/crds/
  crds.py compare --catalog DIR                      # vendored copy vs a CRDs-catalog checkout

`--catalog` is a checkout of datreeio/CRDs-catalog (or a copy in its layout,
`{group}/{kind}_{version}.json`); `--config-sync` a checkout of
GoogleContainerTools/kpt-config-sync, whose CRD manifests are converted here (the catalog has no
Config Sync kinds). The index (`index.tsv`: group, version, kind, project, file) is written
from the same run. Needs PyYAML.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "crds"))

# Which project ships each group (shown as the schema's provenance).
PROJECTS = {
    "acme.cert-manager.io": "cert-manager",
    "cert-manager.io": "cert-manager",
    "trust.cert-manager.io": "cert-manager trust-manager",
    "apiextensions.crossplane.io": "Crossplane",
    "pkg.crossplane.io": "Crossplane",
    "argoproj.io": "Argo",
    "barmancloud.cnpg.io": "CloudNativePG Barman Cloud plugin",
    "postgresql.cnpg.io": "CloudNativePG",
    "bitnami.com": "Sealed Secrets",
    "ceph.rook.io": "Rook",
    "objectbucket.io": "Rook (lib-bucket-provisioner)",
    "cilium.io": "Cilium",
    "cluster.x-k8s.io": "Cluster API",
    "external-secrets.io": "External Secrets",
    "generators.external-secrets.io": "External Secrets",
    "externaldns.k8s.io": "ExternalDNS",
    "gateway.envoyproxy.io": "Envoy Gateway",
    "gateway.networking.k8s.io": "Gateway API",
    "grafana.integreatly.org": "Grafana operator",
    "monitoring.grafana.com": "Grafana Agent operator",
    "helm.toolkit.fluxcd.io": "Flux",
    "image.toolkit.fluxcd.io": "Flux",
    "kustomize.toolkit.fluxcd.io": "Flux",
    "notification.toolkit.fluxcd.io": "Flux",
    "source.toolkit.fluxcd.io": "Flux",
    "source.extensions.fluxcd.io": "Flux",
    "k8s.cni.cncf.io": "Multus",
    "keda.sh": "KEDA",
    "kueue.x-k8s.io": "Kueue",
    "kyverno.io": "Kyverno",
    "longhorn.io": "Longhorn",
    "metallb.io": "MetalLB",
    "monitoring.coreos.com": "prometheus-operator",
    "networking.istio.io": "Istio",
    "security.istio.io": "Istio",
    "telemetry.istio.io": "Istio",
    "operator.victoriametrics.com": "VictoriaMetrics operator",
    "policy.linkerd.io": "Linkerd",
    "secrets-store.csi.x-k8s.io": "Secrets Store CSI driver",
    "serving.knative.dev": "Knative",
    "snapshot.storage.k8s.io": "Kubernetes CSI external-snapshotter",
    "tailscale.com": "Tailscale operator",
    "templates.gatekeeper.sh": "Gatekeeper",
    "traefik.io": "Traefik",
    "upgrade.cattle.io": "Rancher system-upgrade-controller",
    "velero.io": "Velero",
    "volsync.backube": "VolSync",
    "configsync.gke.io": "Config Sync",
    "configmanagement.gke.io": "Config Sync",
    "clusterregistry.k8s.io": "Config Sync",
}

# Kinds whose catalog file has no description naming them (the file name is lower case).
KINDS = {
    "argoproj.io": "AnalysisRun AnalysisTemplate ApplicationSet ClusterAnalysisTemplate ClusterWorkflowTemplate "
    "CronWorkflow EventBus EventSource Experiment Rollout Sensor WorkflowArtifactGCTask WorkflowEventBinding "
    "WorkflowTaskResult WorkflowTaskSet WorkflowTemplate",
    "cilium.io": "CiliumBGPPeerConfig CiliumClusterwideEnvoyConfig CiliumEgressGatewayPolicy CiliumEnvoyConfig",
    "cluster.x-k8s.io": "Cluster Machine MachineClass MachineDeployment MachineSet",
    "externaldns.k8s.io": "DNSEndpoint",
    "grafana.integreatly.org": "Grafana",
    "networking.istio.io": "DestinationRule EnvoyFilter Gateway ProxyConfig ServiceEntry Sidecar VirtualService "
    "WorkloadEntry WorkloadGroup",
    "objectbucket.io": "ObjectBucket ObjectBucketClaim",
    "operator.victoriametrics.com": "VLCluster VLogs VLSingle VMAgent VMAlertmanager VMAuth VMCluster VMPodScrape "
    "VMRule VMServiceScrape VMStaticScrape VMUser VTSingle",
    "policy.linkerd.io": "AuthorizationPolicy HTTPLocalRateLimitPolicy MeshTLSAuthentication NetworkAuthentication "
    "Server ServerAuthorization",
    "postgresql.cnpg.io": "Cluster",
    "security.istio.io": "AuthorizationPolicy PeerAuthentication RequestAuthentication",
    "tailscale.com": "PeerRelay ProxyGroupPolicy Tailnet",
    "telemetry.istio.io": "Telemetry",
    "trust.cert-manager.io": "Bundle",
    "upgrade.cattle.io": "Plan",
    "velero.io": "BackupRepository PodVolumeBackup PodVolumeRestore",
}

# Config Sync's CRD manifests (kpt-config-sync repository) and what they define.
CONFIG_SYNC_MANIFESTS = [
    "manifests/rootsync-crd.yaml",
    "manifests/reposync-crd.yaml",
    "manifests/cluster-registry-crd.yaml",
    "manifests/cluster-selector-crd.yaml",
    "manifests/namespace-selector-crd.yaml",
    "manifests/hierarchyconfig-crd.yaml",
    # The ConfigManagement operator's CRD, as the repository's e2e tests install it.
    "e2e/testdata/configmanagement/1.18.0/config-management-operator.yaml",
]


# Repo (configmanagement.gke.io/v1) has no CRD manifest: the `nomos` tool reads it from the
# repository. Written from its Go type (pkg/api/configmanagement/v1/types.go in kpt-config-sync).
REPO_SCHEMA = {
    "description": "Repo holds configuration and status about the Nomos source of truth (the "
    "hierarchical repository format's system/repo.yaml).",
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "description": "RepoSpec contains spec fields for Repo.",
            "type": "object",
            "properties": {
                "version": {
                    "description": "Repo version string, corresponds to how the config importer should handle "
                    "the directory structure (implicit assumptions).",
                    "type": "string",
                }
            },
            "required": ["version"],
        },
        "status": {
            "description": "RepoStatus contains status fields for Repo.",
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
        },
    },
}


def catalog_files(catalog):
    for group in sorted(os.listdir(catalog)):
        d = os.path.join(catalog, group)
        if not os.path.isdir(d) or group.startswith("."):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith(".json"):
                yield group, name, os.path.join(d, name)


def split_name(name):
    base = name[: -len(".json")]
    kind, version = base.rsplit("_", 1)
    return kind, version


def kind_name(group, lower, schemas):
    manual = {k.lower(): k for k in KINDS.get(group, "").split()}
    if lower in manual:
        return manual[lower]
    for schema in schemas:
        for word in re.findall(r"[A-Za-z0-9]+", schema.get("description", "")):
            if word.lower() == lower and word[0].isupper():
                return word
    raise SystemExit(f"no kind name for {group}/{lower}: add it to KINDS")


def vendor(args):
    if os.path.isdir(OUT):
        for entry in os.listdir(OUT):
            p = os.path.join(OUT, entry)
            if os.path.isdir(p):
                shutil.rmtree(p)
    os.makedirs(OUT, exist_ok=True)
    rows = []
    by_kind = {}
    for group, name, path in catalog_files(args.catalog):
        if group not in PROJECTS:
            print(f"skipping {group}: no project named in PROJECTS", file=sys.stderr)
            continue
        os.makedirs(os.path.join(OUT, group), exist_ok=True)
        shutil.copyfile(path, os.path.join(OUT, group, name))
        kind, version = split_name(name)
        with open(path) as f:
            by_kind.setdefault((group, kind), []).append((version, name, json.load(f)))
    for (group, lower), versions in sorted(by_kind.items()):
        kind = kind_name(group, lower, [s for _, _, s in versions])
        for version, name, _ in versions:
            rows.append((group, version, kind, PROJECTS[group], f"{group}/{name}"))
    if args.config_sync or args.prometheus_operator:
        import yaml

        # PyYAML reads a plain `=` as YAML 1.1's "value" tag; it is just the string here.
        yaml.SafeLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))

    if args.config_sync:
        rows.extend(vendor_config_sync(args.config_sync, yaml))
    if args.prometheus_operator:
        upstream = vendor_manifests(args.prometheus_operator, PROMETHEUS_OPERATOR_MANIFESTS, yaml)
        replaced = {r[4] for r in upstream}
        rows = [r for r in rows if r[4] not in replaced] + upstream
    rows.sort()
    with open(os.path.join(OUT, "index.tsv"), "w") as f:
        f.write("# group\tversion\tkind\tproject\tfile\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(f"{len(rows)} schemas in {len({r[0] for r in rows})} groups")


# prometheus-operator's own CRDs, newer than the catalog's (the catalog lacks fields that
# current releases have, e.g. pushover `monospace`); they replace the catalog's files.
PROMETHEUS_OPERATOR_MANIFESTS = [
    f"example/prometheus-operator-crd-full/monitoring.coreos.com_{n}.yaml"
    for n in "alertmanagerconfigs alertmanagers podmonitors probes prometheusagents prometheuses prometheusrules "
    "scrapeconfigs servicemonitors thanosrulers".split()
]


def vendor_config_sync(repo, yaml):
    rows = vendor_manifests(repo, CONFIG_SYNC_MANIFESTS, yaml)
    with open(os.path.join(OUT, "configmanagement.gke.io", "repo_v1.json"), "w") as f:
        json.dump(REPO_SCHEMA, f, indent=2, sort_keys=True)
        f.write("\n")
    rows.append(("configmanagement.gke.io", "v1", "Repo", "Config Sync", "configmanagement.gke.io/repo_v1.json"))
    return rows


def vendor_manifests(repo, manifests, yaml):
    """Each served version's openAPIV3Schema of the CRDs in `manifests`, as JSON files."""
    rows = []
    rev = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    for manifest in manifests:
        text = subprocess.run(
            ["git", "-C", repo, "show", f"HEAD:{manifest}"], capture_output=True, text=True, check=True
        ).stdout
        for doc in yaml.safe_load_all(text):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc["spec"]
            group, kind = spec["group"], spec["names"]["kind"]
            if group not in PROJECTS:
                continue
            for v in spec.get("versions", []):
                if not v.get("served", True):
                    continue
                schema = v.get("schema", {}).get("openAPIV3Schema")
                if schema is None:
                    continue
                name = f"{kind.lower()}_{v['name']}.json"
                os.makedirs(os.path.join(OUT, group), exist_ok=True)
                with open(os.path.join(OUT, group, name), "w") as f:
                    json.dump(schema, f, indent=2, sort_keys=True)
                    f.write("\n")
                rows.append((group, v["name"], kind, PROJECTS[group], f"{group}/{name}"))
    print(f"{len(rows)} schemas from {repo} @ {rev}", file=sys.stderr)
    return rows


def walk(schema):
    stack = [schema]
    while stack:
        s = stack.pop()
        if isinstance(s, dict):
            yield s
            stack.extend(s.values())
        elif isinstance(s, list):
            stack.extend(s)


def compare(args):
    vendored = {}
    with open(os.path.join(OUT, "index.tsv")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            group, version, kind, project, path = line.rstrip("\n").split("\t")
            vendored[path] = (group, version, kind)
    catalog = {f"{g}/{n}": p for g, n, p in catalog_files(args.catalog)}
    same = differ = 0
    for path in sorted(vendored):
        if path not in catalog:
            print(f"only vendored: {path}")
            continue
        with open(os.path.join(OUT, path)) as a, open(catalog[path]) as b:
            ours, theirs = json.load(a), json.load(b)
        if ours == theirs:
            same += 1
        else:
            differ += 1
            print(f"differs: {path}")
    missing = sorted(set(catalog) - set(vendored))
    for path in missing:
        print(f"only in the catalog: {path}")
    # Strictness: objects naming their properties are closed unless they keep unknown fields.
    open_objects = closed = 0
    for path in vendored:
        with open(os.path.join(OUT, path)) as f:
            schema = json.load(f)
        for s in walk(schema):
            if isinstance(s.get("properties"), dict) and s is not schema:
                if s.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in s:
                    closed += "additionalProperties" in s
                    continue
                open_objects += 1
    print(
        f"{len(vendored)} vendored, {len(catalog)} in the catalog: {same} identical, {differ} different, "
        f"{len(missing)} not vendored"
    )
    print(f"nested objects with properties: {closed} closed by the catalog's conversion, {open_objects} left open "
          "(closed at load time unless they preserve unknown fields)")
    return 1 if differ else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("vendor")
    v.add_argument("--catalog", required=True)
    v.add_argument("--config-sync")
    v.add_argument("--prometheus-operator")
    c = sub.add_parser("compare")
    c.add_argument("--catalog", required=True)
    args = p.parse_args()
    sys.exit(vendor(args) if args.cmd == "vendor" else compare(args))


if __name__ == "__main__":
    main()
