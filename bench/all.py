#!/usr/bin/env python3
"""Every row of the performance table of docs/performance.md (issue 17), in one run.

usage: bench/all.py [--netpc target/release/netpc] [--runs 3] [--timeout 300]
                    [--rows build,memory,check,folder,verify,scaling,big,analyze]
                    [--shared ../shared] [--work /tmp/netpc-bench] [--no-build]

Builds the floor (`CARGO_TARGET_DIR=/tmp/floor cargo build --release` of
shared/bench/peers/rust-floor) and netpc (`cargo build --release`) unless --no-build,
writes the workloads with shared/bench/gen_netp.py N DIR (N services in N/100
namespaces, three needs each) and bench/analyze/gen.py, then runs every command
`--runs` times under `/usr/bin/time -v` (wall: monotonic clock around the command; peak
memory: max RSS). Commands whose figures are compared run alternately in the same
round, so machine noise hits both alike. Medians throughout; a run that exceeds
--timeout seconds is killed and shown as `>T`. Prints each row as it completes, then
the whole table (Markdown) with the figures, the ratios and the goals.
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


class Timeout(Exception):
    pass


def run(cmd, stdout_path="/dev/null", timeout=None, ok=(0,)):
    """Run cmd under /usr/bin/time -v; return (wall s, max RSS MB)."""
    with open(stdout_path, "wb") as out:
        start = time.monotonic()
        # Its own process group, so that a timeout kills netpc too, not only `time`.
        proc = subprocess.Popen(["/usr/bin/time", "-v"] + cmd, stdout=out,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise Timeout()
        wall = time.monotonic() - start
    err = err.decode(errors="replace")
    if proc.returncode not in ok:
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    return wall, rss_kb / 1024


class Series:
    """Repeated runs of one command: medians of wall and RSS, or a timeout."""

    def __init__(self, name, cmd, stdout_path="/dev/null", ok=(0,), before=None):
        self.name, self.cmd, self.stdout_path, self.ok = name, cmd, stdout_path, ok
        self.before = before  # called before every run (e.g. to empty a folder)
        self.walls, self.rss, self.timed_out = [], [], None

    def once(self, timeout):
        if self.timed_out is not None:
            return
        if self.before:
            self.before()
        try:
            w, r = run(self.cmd, self.stdout_path, timeout, self.ok)
        except Timeout:
            self.timed_out = timeout
            return
        self.walls.append(w)
        self.rss.append(r)

    @property
    def wall(self):
        return None if self.timed_out is not None else statistics.median(self.walls)

    @property
    def mem(self):
        return None if self.timed_out is not None else statistics.median(self.rss)

    def wall_text(self):
        if self.timed_out is not None:
            return f">{self.timed_out:.0f} s (killed)"
        return f"{self.wall:.3f} s"

    def describe(self):
        walls = "killed" if self.timed_out is not None else ", ".join(f"{w:.2f}" for w in self.walls)
        rss = ", ".join(f"{r:.0f}" for r in self.rss)
        return f"`{' '.join(self.cmd)}`: wall {walls} s; max RSS {rss} MB"


def rounds(series, runs, timeout):
    for _ in range(runs):
        for s in series:
            s.once(timeout)


def ratio(a, b):
    if a.timed_out is not None and b.wall is not None:
        return f">{a.timed_out / b.wall:.1f}x"
    if a.wall is None or b.wall is None:
        return "n/a"
    return f"{a.wall / b.wall:.2f}x"


class Bench:
    def __init__(self, args):
        self.args = args
        self.netpc = os.path.abspath(args.netpc)
        self.shared = os.path.abspath(args.shared)
        self.work = args.work
        os.makedirs(self.work, exist_ok=True)
        self.table = []  # (what, figure, goal, commands)

    def program(self, n):
        path = os.path.join(self.work, f"g{n}")
        if not os.path.isdir(path):
            subprocess.run([sys.executable, os.path.join(self.shared, "bench/gen_netp.py"),
                            str(n), path], check=True)
        return path

    def cluster(self, pods, policies, label_sets):
        path = os.path.join(self.work, f"cluster-{pods}-{policies}")
        if not os.path.isdir(path):
            subprocess.run([sys.executable, os.path.join(HERE, "analyze/gen.py"), path,
                            "--pods", str(pods), "--policies", str(policies),
                            "--label-sets", str(label_sets),
                            "--namespaces", str(max(20, pods // 250))], check=True)
        return path

    def changed(self, n):
        """The n-service program with every tenth service's last need dropped: a diff
        that changes n / 10 connections (the identical diff of `insight` changes none).
        """
        src, path = self.program(n), os.path.join(self.work, f"c{n}")
        if os.path.isdir(path):
            return path
        os.makedirs(path)
        need = re.compile(r"^(svc-(\d+)) needs (.*);$")
        for name in sorted(os.listdir(src)):
            lines = []
            with open(os.path.join(src, name)) as f:
                for line in f:
                    m = need.match(line)
                    parts = m.group(3).split(", ") if m else []
                    if m and int(m.group(2)) % 10 == 0 and len(parts) > 1:
                        line = f"{m.group(1)} needs {', '.join(parts[:-1])};\n"
                    lines.append(line)
            with open(os.path.join(path, name), "w") as f:
                f.write("".join(lines))
        return path

    def compiled(self, n):
        """A compiled output folder of the n-service program (for diff, graph)."""
        path = os.path.join(self.work, f"out{n}")
        if not os.path.isdir(path):
            subprocess.run([self.netpc, "build", self.program(n), "-o", path, "-q"], check=True,
                           stderr=subprocess.DEVNULL)
        return path

    def stdout(self, n):
        return Series(f"build --stdout {n}", [self.netpc, "build", self.program(n), "--stdout", "-q"])

    def row(self, what, figure, goal, series):
        line = (what, figure, goal, [s.describe() for s in series])
        self.table.append(line)
        print(f"| {what} | {figure} | {goal} |", flush=True)
        for d in line[3]:
            print(f"    {d}", flush=True)

    # The rows, in the order of the table.

    def build(self):
        floor = Series("floor", ["/tmp/floor/release/peer-rust-floor", "50000", "/dev/null"])
        ours = self.stdout(50000)
        rounds([floor, ours], self.args.runs, self.args.timeout)
        self.row("`build --stdout`, 50k, against the floor",
                 f"{ratio(ours, floor)} ({ours.wall_text()} / {floor.wall_text()})",
                 "≤ 0.7x (stretch 0.5x)", [ours, floor])
        self.row("peak memory of `build --stdout`, 50k", f"{ours.mem:.0f} MB", "≤ 150 MB", [ours])

    def check(self):
        ours = Series("check 50k", [self.netpc, "check", self.program(50000), "-q"])
        rounds([ours], self.args.runs, self.args.timeout)
        self.row("`check`, memory per service (max RSS / 50,000)",
                 f"{ours.mem * 1024 * 1024 / 50000 / 1000:.2f} KB ({ours.mem:.0f} MB)", "≤ 1.5 KB",
                 [ours])

    def folder(self):
        out = os.path.join(self.work, "folder50k")
        prog = self.program(50000)
        empty = lambda: shutil.rmtree(out, ignore_errors=True)  # noqa: E731
        first = Series("first", [self.netpc, "build", prog, "-o", out, "-q"], before=empty)
        again = Series("rebuild", [self.netpc, "build", prog, "-o", out, "-q"])
        ours = self.stdout(50000)
        # first leaves the folder that the identical rebuild then rewrites.
        rounds([first, again, ours], self.args.runs, self.args.timeout)
        self.row("`build -o`, first write, 50k, against `--stdout`",
                 f"{ratio(first, ours)} ({first.wall_text()} / {ours.wall_text()}), "
                 f"{first.mem:.0f} MB", "≤ 3x, ≤ 200 MB", [first, ours])
        self.row("`build -o`, identical rebuild, 50k, against `--stdout`",
                 f"{ratio(again, ours)} ({again.wall_text()}), {again.mem:.0f} MB", "≤ 1.5x",
                 [again])
        empty()

    def insight(self, n):
        prog = self.program(n)
        out = self.compiled(n)
        return [
            Series(f"verify {n}", [self.netpc, "verify", prog, "-q"]),
            Series(f"diff {n}", [self.netpc, "diff", out, prog], ok=(0, 1)),
            Series(f"graph {n}", [self.netpc, "graph", out]),
            Series(f"explain {n}", [self.netpc, "explain", "ns-0/svc-0", "ns-0/svc-1", prog],
                   ok=(0, 1)),
        ]

    def verify(self):
        small = self.insight(5000)
        ours = self.stdout(5000)
        rounds([small[0], ours], self.args.runs, self.args.timeout)
        self.row("`verify`, 5,000 services, against `build --stdout` of the same",
                 f"{ratio(small[0], ours)} ({small[0].wall_text()} / {ours.wall_text()})",
                 "≤ 10x", [small[0], ours])

    def scaling(self):
        small, large = self.insight(5000), self.insight(50000)
        rounds(small + large, self.args.runs, self.args.timeout)
        for a, b in zip(small, large):
            name = a.name.split()[0]
            self.row(f"`{name}`: 5,000 → 50,000",
                     f"{ratio(b, a)} ({a.wall_text()} → {b.wall_text()})", "≤ 11x", [a, b])

    def diffchanged(self):
        small, large = (Series(f"diff changed {n}", [self.netpc, "diff", self.compiled(n),
                                                       self.changed(n)], ok=(0, 1))
                        for n in (5000, 50000))
        rounds([small, large], self.args.runs, self.args.timeout)
        self.row("`diff` with a tenth of the services changed: 5,000 → 50,000",
                 f"{ratio(large, small)} ({small.wall_text()} → {large.wall_text()})", "≤ 11x",
                 [small, large])

    def big(self):
        small, large = self.stdout(50000), self.stdout(500000)
        rounds([small, large], self.args.runs, self.args.timeout)
        self.row("`build --stdout`: 50,000 → 500,000",
                 f"{ratio(large, small)} ({small.wall_text()} → {large.wall_text()}), "
                 f"{(large.mem or 0) / 1024:.2f} GB", "≤ 11x, ≤ 1.5 GB", [small, large])

    def analyze(self):
        small = Series("analyze 5k", [self.netpc, "analyze", self.cluster(5000, 2000, 1000)])
        large = Series("analyze 50k", [self.netpc, "analyze", self.cluster(50000, 20000, 10000)])
        rounds([small, large], self.args.runs, self.args.timeout)
        self.row("`analyze`: 5,000 pods × 2,000 policies → 50,000 × 20,000",
                 f"{ratio(large, small)} ({small.wall_text()} → {large.wall_text()})", "≤ 11x",
                 [small, large])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--netpc", default=os.path.join(REPO, "target/release/netpc"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--rows", default="build,check,folder,verify,scaling,diffchanged,big,analyze")
    parser.add_argument("--shared", default=os.path.join(REPO, "..", "shared"))
    parser.add_argument("--work", default="/tmp/netpc-bench")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        floor_manifest = os.path.join(os.path.abspath(args.shared),
                                      "bench/peers/rust-floor/Cargo.toml")
        subprocess.run(["cargo", "build", "--release", "--manifest-path", floor_manifest],
                       check=True, env=dict(os.environ, CARGO_TARGET_DIR="/tmp/floor"))
        subprocess.run(["cargo", "build", "--release"], check=True, cwd=REPO)
    bench = Bench(args)
    load = os.getloadavg()
    print(f"netpc {args.netpc}, {args.runs} runs per command, medians; load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n",
          flush=True)
    print("| what | figure | goal |\n|---|---|---|", flush=True)
    for row in args.rows.split(","):
        getattr(bench, row)()
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print("| what | figure | goal |\n|---|---|---|")
    for what, figure, goal, _ in bench.table:
        print(f"| {what} | {figure} | {goal} |")
    print("\nCommands and single runs:\n")
    for what, _, _, commands in bench.table:
        for c in commands:
            print(f"- {what}: {c}")


if __name__ == "__main__":
    main()
