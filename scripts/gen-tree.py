#!/usr/bin/env python3
"""Writes a config tree with N resources (Deployments, Services, ConfigMaps, Namespaces) for
benchmarks: gen-tree.py OUT_DIR [RESOURCES] [PER_FILE]."""
import os
import sys

out = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
per_file = int(sys.argv[3]) if len(sys.argv) > 3 else 50

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{ns}
  labels:
    app.kubernetes.io/name: app-{i}
    app.kubernetes.io/part-of: shop
spec:
  replicas: {r}
  selector:
    matchLabels:
      app: app-{i}
  template:
    metadata:
      labels:
        app: app-{i}
    spec:
      containers:
        - name: main
          image: registry.example.com/team/app-{i}:1.{m}.0
          args: ["--port=8080", "--log-level=info"]
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: MODE
              value: production
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits:
              memory: 256Mi
"""
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: team-{ns}
spec:
  selector:
    app: app-{i}
  ports:
    - port: 80
      targetPort: http
"""
CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: app-{i}-config
  namespace: team-{ns}
data:
  config.yaml: |
    listen: :8080
    features: [a, b]
"""
NAMESPACE = """apiVersion: v1
kind: Namespace
metadata:
  name: team-{ns}
"""
KINDS = [DEPLOYMENT, SERVICE, CONFIGMAP, SERVICE, CONFIGMAP, NAMESPACE]

n = 0
f = 0
while n < total:
    d = os.path.join(out, f"team-{f % 20}", f"app-{f}")
    os.makedirs(d, exist_ok=True)
    docs = []
    for _ in range(min(per_file, total - n)):
        docs.append(KINDS[n % len(KINDS)].format(i=n, ns=n % 20, r=n % 5 + 1, m=n % 30))
        n += 1
    with open(os.path.join(d, "manifests.yaml"), "w") as fh:
        fh.write("---\n".join(docs))
    f += 1
print(f"{n} resources in {f} files under {out}")
