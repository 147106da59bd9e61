#!/usr/bin/env python3
"""Benchmark `netpc build --stdout` against the floor (a minimal k8s-openapi +
serde_yaml program that only builds and serializes the same objects), in the same run,
alternating the two so machine noise hits both alike.

usage: bench/build/run.py [--sizes 1000,10000,50000] [--runs 5] [--shared ../shared]

Builds the floor with `CARGO_TARGET_DIR=/tmp/floor cargo build --release` and netpc
with `cargo build --release`, writes the workload with `gen_netp.py N DIR`, then runs
each command under `/usr/bin/time -v` with its output going to a file in /tmp.
Reports, per N, the median wall time (monotonic clock around the command), the median
and maximum of max RSS, the document counts of both outputs, and the ratio of the
medians. Output is a Markdown table on stdout.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def run(cmd, out_path):
    """Run cmd under /usr/bin/time -v, stdout to out_path; return (wall s, max RSS MB)."""
    with open(out_path, "wb") as out:
        start = time.monotonic()
        proc = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=out, stderr=subprocess.PIPE)
        wall = time.monotonic() - start
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    return wall, rss_kb / 1024


def count_docs(path):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"kind: NetworkPolicy"):
                n += 1
    return n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shared", default=os.path.join(REPO, "..", "shared"))
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    shared = os.path.abspath(args.shared)
    floor_manifest = os.path.join(shared, "bench/peers/rust-floor/Cargo.toml")
    floor = "/tmp/floor/release/peer-rust-floor"
    netpc = os.path.join(REPO, "target/release/netpc")
    if not args.no_build:
        env = dict(os.environ, CARGO_TARGET_DIR="/tmp/floor")
        subprocess.run(["cargo", "build", "--release", "--manifest-path", floor_manifest],
                       check=True, env=env)
        subprocess.run(["cargo", "build", "--release"], check=True, cwd=REPO)

    print(f"runs per size: {args.runs}, alternating floor / netpc; wall = median, RSS = median (max)\n")
    print("| N | floor wall s | floor RSS MB | netpc wall s | netpc RSS MB | ratio | docs floor / netpc |")
    print("|---|---|---|---|---|---|---|")
    for n in [int(s) for s in args.sizes.split(",")]:
        work = f"/tmp/netpc-bench/{n}"
        if not os.path.isdir(work):
            subprocess.run([sys.executable, os.path.join(shared, "bench/gen_netp.py"), str(n), work],
                           check=True)
        floor_out, netpc_out = f"/tmp/netpc-bench/floor-{n}.yaml", f"/tmp/netpc-bench/netpc-{n}.yaml"
        fw, fr, nw, nr = [], [], [], []
        for _ in range(args.runs):
            w, r = run([floor, str(n), floor_out], "/dev/null")
            fw.append(w)
            fr.append(r)
            w, r = run([netpc, "build", work, "--stdout"], netpc_out)
            nw.append(w)
            nr.append(r)
        fmed, nmed = statistics.median(fw), statistics.median(nw)
        print(f"| {n:,} | {fmed:.3f} | {statistics.median(fr):.0f} ({max(fr):.0f}) "
              f"| {nmed:.3f} | {statistics.median(nr):.0f} ({max(nr):.0f}) | {nmed / fmed:.2f} "
              f"| {count_docs(floor_out):,} / {count_docs(netpc_out):,} |", flush=True)
        print(f"<!-- N={n} floor walls {[round(x, 3) for x in fw]} netpc walls {[round(x, 3) for x in nw]} -->",
              flush=True)


if __name__ == "__main__":
    main()
