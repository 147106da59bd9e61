#!/usr/bin/env python3
"""Write a synthetic cluster for benchmarking `netpc analyze` into a folder.

Usage: gen.py OUTDIR [--pods 5000] [--label-sets 1000] [--policies 2000] [--namespaces 20]
              [--no-owners]

Pods are owned by ReplicaSets (pods / label-sets replicas each, as a live cluster
dump looks), so there are `label-sets` workloads with distinct labels; with
--no-owners every pod is its own workload (5 workloads per label set). Policies mix
default-deny per namespace, pod and namespace selectors (AND and OR), matchExpressions,
named and numeric ports, endPort ranges and ipBlocks with except. Deterministic
(fixed seed), so every run measures the same input.
"""
import argparse, os, random

TIERS = ["web", "api", "db", "cache", "batch"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--pods", type=int, default=5000)
    ap.add_argument("--label-sets", type=int, default=1000)
    ap.add_argument("--policies", type=int, default=2000)
    ap.add_argument("--namespaces", type=int, default=20)
    ap.add_argument("--no-owners", action="store_true",
                    help="standalone pods: every pod is its own workload")
    a = ap.parse_args()
    rnd = random.Random(42)
    os.makedirs(a.outdir, exist_ok=True)
    namespaces = [f"ns-{i:02d}" for i in range(a.namespaces)]

    with open(os.path.join(a.outdir, "namespaces.yaml"), "w") as f:
        for i, ns in enumerate(namespaces):
            f.write(f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
                    f"  labels:\n    team: t{i % 5}\n    env: {'prod' if i % 2 else 'dev'}\n")

    apps = []  # (namespace, app, tier)
    for k in range(a.label_sets):
        apps.append((namespaces[k % len(namespaces)], f"app-{k:04d}", TIERS[k % len(TIERS)]))
    replicas = max(1, a.pods // a.label_sets)
    with open(os.path.join(a.outdir, "pods.yaml"), "w") as f:
        n = 0
        for k, (ns, app, tier) in enumerate(apps):
            for r in range(replicas):
                if n >= a.pods:
                    break
                n += 1
                owner = "" if a.no_owners else (
                    "  ownerReferences:\n"
                    f"  - {{apiVersion: apps/v1, kind: ReplicaSet, name: {app}-rs, controller: true, uid: u{k}}}\n")
                f.write(f"""---
apiVersion: v1
kind: Pod
metadata:
  name: {app}-rs-{r}
  namespace: {ns}
  labels: {{app: {app}, tier: {tier}, shard: s{k % 7}}}
{owner}spec:
  containers:
  - name: main
    image: example/{app}
    ports:
    - {{name: http, containerPort: {8000 + k % 50}, protocol: TCP}}
    - {{name: metrics, containerPort: 9090}}
    - {{name: dns, containerPort: 53, protocol: UDP}}
""")

    with open(os.path.join(a.outdir, "policies.yaml"), "w") as f:
        count = 0
        for ns in namespaces:
            if count >= a.policies:
                break
            count += 1
            f.write(f"""---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny, namespace: {ns}}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress, Egress]
""")
        i = 0
        while count < a.policies:
            ns, app, tier = apps[i % len(apps)]
            peer_ns, peer_app, _ = apps[rnd.randrange(len(apps))]
            kind = i % 4
            if kind == 0:  # ingress from a tier in this namespace, and an app in a team
                body = f"""  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {{matchLabels: {{tier: {TIERS[(i + 1) % 5]}}}}}
    - namespaceSelector: {{matchLabels: {{team: t{rnd.randrange(5)}}}}}
      podSelector: {{matchLabels: {{app: {peer_app}}}}}
    ports:
    - {{port: http}}
    - {{port: 9090}}
"""
            elif kind == 1:  # egress to a namespace set with expressions, plus DNS
                body = f"""  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchExpressions:
        - {{key: env, operator: In, values: [prod]}}
      podSelector:
        matchExpressions:
        - {{key: shard, operator: NotIn, values: [s{rnd.randrange(7)}]}}
    ports:
    - {{port: http}}
  - ports:
    - {{port: 53, protocol: UDP}}
    - {{port: 53, protocol: TCP}}
"""
            elif kind == 2:  # egress to external ranges
                o = rnd.randrange(1, 200)
                body = f"""  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: {o}.0.0.0/8
        except: [{o}.{rnd.randrange(256)}.0.0/16]
    ports:
    - {{port: 443}}
    - {{port: 30000, endPort: 32767}}
"""
            else:  # ingress from an app anywhere and from an external range
                body = f"""  ingress:
  - from:
    - namespaceSelector: {{}}
      podSelector: {{matchLabels: {{app: {peer_app}}}}}
    - ipBlock: {{cidr: 10.{rnd.randrange(256)}.0.0/16}}
    ports:
    - {{port: http}}
"""
            f.write(f"""---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {app}-p{i}, namespace: {ns}}}
spec:
  podSelector:
    matchLabels: {{app: {app}}}
{body}""")
            count += 1
            i += 1


if __name__ == "__main__":
    main()
