#!/bin/sh
# Benchmark `netpc analyze` on the generated 5,000-pod / 2,000-policy cluster.
# Usage (from the repository root): bench/analyze/run.sh [netpc binary]
set -eu
NETPC=${1:-target/release/netpc}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
python3 "$(dirname "$0")/gen.py" "$DIR" --pods 5000 --label-sets 1000 --policies 2000
for run in 1 2 3; do
  /usr/bin/time -f "run $run: %e s wall, %M KB max RSS" "$NETPC" analyze "$DIR" > "$DIR.out"
done
echo "lines of output: $(wc -l < "$DIR.out")"
rm -f "$DIR.out"
