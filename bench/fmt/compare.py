#!/usr/bin/env python3
"""Wall-clock medians of `check` and `build --stdout` for two netpc binaries, run
alternately in one loop so both see the same machine load (docs/performance.md, "The
formatter's cost to check and build").

usage: compare.py BEFORE_BIN AFTER_BIN PROGRAM_DIR [RUNS]
"""
import statistics
import subprocess
import sys
import time


def main():
    before, after, program = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    bins = {"before": before, "after": after}
    cmds = {"check": ["check", program], "build --stdout": ["build", "--stdout", program]}
    res = {(b, c): [] for b in bins for c in cmds}
    for _ in range(runs):
        for c, args in cmds.items():
            for b, path in bins.items():
                t = time.perf_counter()
                p = subprocess.run([path] + args, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                res[(b, c)].append(time.perf_counter() - t)
                if p.returncode != 0:
                    sys.exit(f"{path} {' '.join(args)}: exit {p.returncode}")
    for c in cmds:
        for b in bins:
            xs = res[(b, c)]
            runs_text = " ".join(f"{x:.2f}" for x in xs)
            print(f"{c:15} {b:6} median {statistics.median(xs):.3f} s  runs {runs_text}")


if __name__ == "__main__":
    main()
