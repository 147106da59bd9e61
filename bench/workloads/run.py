#!/usr/bin/env python3
"""Bench of `netpc check --workloads`: W workloads (Deployments with a Service each)
against a program of S services, generated here. The program has 50 namespaces; every
service has one port and needs the next service of its namespace, so every workload
must carry one `needs-*` label; one workload in ten lacks it (E400, reported). The
manifests are one multi-document stream. Prints the wall and CPU time and the peak RSS of
`netpc check` with and without --workloads (the difference is the workloads check).

usage: python3 bench/workloads/run.py [--workloads 10000] [--services 5000] [--runs 3]
       [--netpc target/release/netpc] [--no-build]
"""
import argparse, os, resource, subprocess, sys, tempfile, time


def program(services, namespaces):
    per = services // namespaces
    out = []
    for n in range(namespaces):
        out.append(f"namespace ns{n} {{")
        for s in range(per):
            out.append(f"  service svc{s} {{ port {8000 + s % 1000}; }}")
        for s in range(per - 1):
            out.append(f"  svc{s} needs svc{s + 1}:{8000 + (s + 1) % 1000};")
        out.append("}")
    return "\n".join(out) + "\n"


def manifests(workloads, services, namespaces):
    per = services // namespaces
    docs = []
    for w in range(workloads):
        n, s = (w // per) % namespaces, w % per
        labels = f"        app: svc{s}\n"
        if s < per - 1 and w % 10 != 0:
            labels += f"        needs-svc{s + 1}: \"true\"\n"
        docs.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: w{w}
  namespace: ns{n}
spec:
  selector:
    matchLabels:
      app: svc{s}
  template:
    metadata:
      labels:
{labels}    spec:
      containers:
      - name: server
        image: example/server:1
        ports:
        - name: http
          containerPort: {8000 + s % 1000}
""")
        docs.append(f"""apiVersion: v1
kind: Service
metadata:
  name: w{w}
  namespace: ns{n}
spec:
  selector:
    app: svc{s}
  ports:
  - port: 80
    targetPort: {8000 + s % 1000}
""")
    return "---\n".join(docs)


def run(cmd):
    """Wall time, CPU time (user + system: steadier than wall on a shared machine),
    peak RSS of the children so far in MB, and the process."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024, proc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workloads", type=int, default=10000)
    ap.add_argument("--services", type=int, default=5000)
    ap.add_argument("--namespaces", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--netpc", default="target/release/netpc")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        prog = os.path.join(tmp, "program.netp")
        mani = os.path.join(tmp, "workloads.yaml")
        with open(prog, "w") as f:
            f.write(program(args.services, args.namespaces))
        with open(mani, "w") as f:
            f.write(manifests(args.workloads, args.services, args.namespaces))
        size = os.path.getsize(mani) / 1e6
        print(f"{args.workloads} workloads ({size:.1f} MB of YAML), {args.services} services")
        for label, extra in [("check", []), ("check --workloads", ["--workloads", mani])]:
            walls, cpus = [], []
            for _ in range(args.runs):
                wall, cpu, rss, proc = run([args.netpc, "check", prog, "--color", "never", *extra])
                if proc.returncode not in (0, 1):
                    sys.exit(f"netpc failed: {proc.stderr[-2000:]}")
                walls.append(wall)
                cpus.append(cpu)
            walls.sort()
            cpus.sort()
            last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
            print(f"{label}: wall median {walls[len(walls) // 2]:.3f} s "
                  f"(runs {', '.join(f'{w:.3f}' for w in walls)}), "
                  f"CPU median {cpus[len(cpus) // 2]:.3f} s, peak RSS {rss:.0f} MB; {last}")


if __name__ == "__main__":
    main()
