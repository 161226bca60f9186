#!/usr/bin/env python3
"""Writes a config tree with N resources for benchmarks:

    gen-tree.py OUT_DIR [RESOURCES] [PER_FILE] [--deployments]

By default a mix of Deployments, Services, ConfigMaps and Namespaces; with --deployments only
realistic Deployments (two containers with probes, resources, env and volume mounts, volumes,
security context), about 2 KB each. PER_FILE >= RESOURCES writes one single manifest."""
import os
import sys

flags = [a for a in sys.argv[1:] if a.startswith("--")]
args = [a for a in sys.argv[1:] if not a.startswith("--")]
if not args or any(f != "--deployments" for f in flags):
    sys.exit(__doc__)
out = args[0]
total = int(args[1]) if len(args) > 1 else 100_000
per_file = int(args[2]) if len(args) > 2 else 50

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
REALISTIC = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{ns}
  labels:
    app.kubernetes.io/name: app-{i}
    app.kubernetes.io/part-of: shop
  annotations:
    config.kubernetes.io/origin: team-{ns}/app-{i}
spec:
  replicas: {r}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}
  selector:
    matchLabels:
      app: app-{i}
  template:
    metadata:
      labels:
        app: app-{i}
    spec:
      serviceAccountName: app-{i}
      securityContext:
        runAsNonRoot: true
        fsGroup: 2000
      containers:
        - name: main
          image: registry.example.com/team/app-{i}:1.{m}.0
          args: ["--port=8080", "--log-level=info"]
          ports:
            - name: http
              containerPort: 8080
            - name: metrics
              containerPort: 9090
          env:
            - name: MODE
              value: production
            - name: POD_NAME
              valueFrom:
                fieldRef: {{fieldPath: metadata.name}}
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {{name: app-{i}-db, key: password}}
          envFrom:
            - configMapRef: {{name: app-{i}-config}}
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
          livenessProbe:
            httpGet: {{path: /livez, port: http}}
            initialDelaySeconds: 15
            failureThreshold: 3
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits:
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
          volumeMounts:
            - name: config
              mountPath: /etc/app
              readOnly: true
            - name: cache
              mountPath: /var/cache/app
        - name: proxy
          image: registry.example.com/infra/proxy:2.{m}.1
          ports:
            - containerPort: 15001
          resources:
            requests: {{cpu: 50m, memory: 64Mi}}
      volumes:
        - name: config
          configMap:
            name: app-{i}-config
        - name: cache
          emptyDir: {{sizeLimit: 1Gi}}
"""
KINDS = [REALISTIC] if "--deployments" in flags else [DEPLOYMENT, SERVICE, CONFIGMAP, SERVICE, CONFIGMAP, NAMESPACE]

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
