#!/usr/bin/env python3
"""Writes one big manifest for memory measurements.

gen-big-manifest.py OUT MEGABYTES   Deployments (probes, resources, env), one per `---` document
gen-big-manifest.py OUT --docs N    N small documents (`---` + a one-line ConfigMap each)
"""
import sys

DEPLOYMENT = """---
# deployment {i}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{ns}
  labels:
    app.kubernetes.io/name: app-{i}
    app.kubernetes.io/part-of: shop
  annotations:
    description: "Serves the {i}th shop front; owned by team {ns}"
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
            - name: CACHE_SIZE
              value: "512"
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits:
              memory: 256Mi
"""

out = sys.argv[1]
with open(out, "w") as f:
    if sys.argv[2] == "--docs":
        for i in range(int(sys.argv[3])):
            f.write(f"---\nkind: ConfigMap\n")
    else:
        limit = float(sys.argv[2]) * 1_000_000
        size = 0
        i = 0
        while size < limit:
            doc = DEPLOYMENT.format(i=i, ns=i % 7, r=i % 5 + 1, m=i % 30)
            f.write(doc)
            size += len(doc)
            i += 1
