#!/usr/bin/env python3
"""Deterministic inputs for the side-by-side comparison.

gen.py manifest OUT.yaml LINES   a multi-document manifest of about LINES lines (Deployments,
                                 Services, ConfigMaps), plus OUT.yaml.json with the positions the
                                 client uses (probe line, hover and completion positions, the
                                 deliberate error in the last document)
gen.py repo DIR FILES            a GitOps repository of FILES files (one app = Deployment,
                                 Service, ConfigMap and a kustomization.yaml)

The same arguments always give the same bytes.
"""
import json
import os
import sys

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{ns}
  labels:
    app.kubernetes.io/name: app-{i}
    app.kubernetes.io/part-of: shop
  annotations:
    config.kubernetes.io/origin: "teams/team-{ns}/app-{i}"
spec:
  replicas: {r}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app: app-{i}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: app-{i}
    spec:
      serviceAccountName: app-{i}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      containers:
        - name: main
          image: registry.example.com/team/app-{i}:1.{m}.0
          imagePullPolicy: IfNotPresent
          args: ["--port=8080", "--log-level=info"]
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          env:
            - name: MODE
              value: production
            - name: CONFIG_PATH
              value: /etc/app/config.yaml
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
          livenessProbe:
            httpGet:
              path: /livez
              port: http
            initialDelaySeconds: 5
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits:
              memory: 256Mi
          volumeMounts:
            - name: config
              mountPath: /etc/app
              readOnly: true
      volumes:
        - name: config
          configMap:
            name: app-{i}-config
"""
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: team-{ns}
  labels:
    app.kubernetes.io/name: app-{i}
spec:
  type: ClusterIP
  selector:
    app: app-{i}
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
"""
CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-config
  namespace: team-{ns}
data:
  LOG_LEVEL: info
  config.yaml: |
    listen: :8080
    features: [a, b]
    upstream:
      url: http://backend.team-{ns}.svc:80
      timeout: 5s
"""
KUSTOMIZATION = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: team-{ns}
resources:
  - deployment.yaml
  - service.yaml
  - configmap.yaml
labels:
  - pairs:
      app.kubernetes.io/managed-by: kustomize
"""
KINDS = [DEPLOYMENT, SERVICE, CONFIGMAP]


def render(template, i):
    return template.format(i=i, ns=i % 20, r=i % 5 + 1, m=i % 30)


def manifest(out, lines):
    docs = []
    count = 0
    i = 0
    while count < lines or i % len(KINDS) != 2:  # end on a Service
        # Each ConfigMap is the one the Deployment two documents up mounts, so the file's only
        # mistakes are the deliberate ones (gitops-ls also checks references by name).
        kind = KINDS[i % len(KINDS)]
        doc = render(kind, i - 2 if kind is CONFIGMAP else i)
        docs.append(doc)
        count += doc.count("\n") + 1  # + the `---` line
        i += 1
    # The last document is a Service with one deliberate mistake, so an answer that covers the
    # whole file can be recognised (both servers report an unknown field on that line).
    assert docs[-1].startswith("apiVersion: v1\nkind: Service")
    docs[-1] = docs[-1].replace("  type: ClusterIP\n", "  type: ClusterIP\n  sessionAffinityy: None\n")
    # The last Deployment's ConfigMap would come after the Service: its volume is optional.
    last = len(docs) - 2
    ref = f"            name: app-{last}-config\n"
    assert ref in docs[last]
    docs[last] = docs[last].replace(ref, ref + "            optional: true\n")
    # The Deployment nearest the middle gets the probe: a key `zq` in the container that the
    # client types into, and a blank line where completion is asked.
    mid = len(docs) // 2
    while not docs[mid].startswith("apiVersion: apps/v1"):
        mid += 1
    docs[mid] = docs[mid].replace(
        "          imagePullPolicy: IfNotPresent\n",
        "          imagePullPolicy: IfNotPresent\n          zq: 1\n          \n",
    )
    text = "---\n".join(docs)
    with open(out, "w", newline="\n") as fh:
        fh.write(text)

    all_lines = text.split("\n")
    start = sum(d.count("\n") + 1 for d in docs[:mid])  # first line of the probe document
    probe = next(n for n in range(start, len(all_lines)) if all_lines[n] == "          zq: 1")
    port = next(n for n in range(start, len(all_lines)) if "containerPort:" in all_lines[n])
    error = next(n for n in range(len(all_lines) - 1, 0, -1) if "sessionAffinityy" in all_lines[n])
    pos = {
        "lines": text.count("\n"),
        "bytes": len(text.encode()),
        "documents": len(docs),
        # `zq` is at column 10; characters are typed at column 12.
        "probe": {"line": probe, "character": 12, "key": "zq"},
        "completion": {"line": probe + 1, "character": 10},
        "hover": {"line": port, "character": all_lines[port].index("containerPort") + 3},
        "error_line": error,
    }
    with open(out + ".json", "w") as fh:
        json.dump(pos, fh, indent=1)
    print(f"{out}: {pos['lines']} lines, {len(docs)} documents")


def repo(out, files):
    apps = files // 4
    for i in range(apps):
        d = os.path.join(out, "teams", f"team-{i % 20}", f"app-{i}")
        os.makedirs(d, exist_ok=True)
        for name, template in [
            ("deployment.yaml", DEPLOYMENT),
            ("service.yaml", SERVICE),
            ("configmap.yaml", CONFIGMAP),
            ("kustomization.yaml", KUSTOMIZATION),
        ]:
            with open(os.path.join(d, name), "w", newline="\n") as fh:
                fh.write(render(template, i))
    print(f"{out}: {apps * 4} files")


if __name__ == "__main__":
    what, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if what == "manifest":
        manifest(out, n)
    elif what == "repo":
        repo(out, n)
    else:
        sys.exit(f"unknown input kind {what!r}")
