#!/bin/sh
# Benchmark `netpc analyze` on generated clusters of 5,000 pods (1,000 distinct label
# sets) and 2,000 policies: pods owned by 1,000 ReplicaSets (1,000 workloads), then
# the same pods standalone (5,000 workloads).
# Usage (from the repository root, after `cargo build --release`):
#   bench/analyze/run.sh [netpc binary]
set -eu
NETPC=${1:-target/release/netpc}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
for variant in owned standalone; do
  flags=""
  [ "$variant" = standalone ] && flags="--no-owners"
  python3 "$(dirname "$0")/gen.py" "$DIR/$variant" --pods 5000 --label-sets 1000 --policies 2000 $flags
  for run in 1 2 3; do
    /usr/bin/time -f "$variant run $run: %e s wall, %M KB max RSS" \
      "$NETPC" analyze "$DIR/$variant" > "$DIR/out" 2>"$DIR/time" || { cat "$DIR/time"; exit 1; }
    cat "$DIR/time"
  done
  echo "$variant: $(wc -l < "$DIR/out") lines of output"
done
