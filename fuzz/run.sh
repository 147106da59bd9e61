#!/usr/bin/env bash
# Build every fuzz target of netpc and run them one after another for SECONDS in total
# (split evenly), each on its corpus fuzz/corpus/<target>/ (seeded from the examples,
# the standard library, the UI fixtures and ../shared/conformance by seeds.py; new
# inputs libFuzzer finds are kept there between runs). Exits 1 if any target crashed
# (a panic, an input over its time or memory budget, a libFuzzer -timeout or
# -rss_limit_mb), with the crashing input saved under fuzz/artifacts/<target>/ and its
# path printed. Prints each target's executions, coverage and time. docs/testing.md.
#
# Usage: bash fuzz/run.sh SECONDS [TARGET...]
#   NETPC_FUZZ_JOBS=N  cargo build jobs (default: cargo's)
#   CARGO_TARGET_DIR   where the instrumented build goes (default fuzz/target)
#   NETPC_FUZZ_WORK    where corpus/, artifacts/ and logs/ go (default fuzz/)
#   NETPC_FUZZ_ARGS    more libFuzzer flags for every target (e.g. -dict=FILE)
#   NETPC_FUZZ_QUICK=1 the quick build .ci/run uses: only netpc and the targets are
#                      instrumented (through fuzz/sancov-rustc.sh as RUSTC_WRAPPER), in
#                      the dev profile and netpc's own target/, so the dependencies
#                      `cargo build` compiled can be reused (after `cargo test` alone
#                      most are still rebuilt: docs/testing.md). Coverage of the dependencies
#                      (pest, serde_yaml, ...) is then not seen: use it for a smoke, not
#                      for a long run. CARGO_TARGET_DIR defaults to ../target there.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:?usage: bash fuzz/run.sh SECONDS [TARGET...]}"
shift
all=(check_bytes check_structured build_emit analyze_yaml output_read git_side)
targets=("${@:-${all[@]}}")
# Inputs are capped per target (bytes): analyze's output is quadratic in the workloads.
declare -A max_len=(
  [check_bytes]=8192 [check_structured]=4096 [build_emit]=8192
  [analyze_yaml]=16384 [output_read]=65536 [git_side]=65536
)

# The flags cargo-fuzz passes (`cargo fuzz build --sanitizer none`), all stable: the
# SanitizerCoverage pass that libFuzzer needs, with comparison tracing and stack depth.
export NETPC_SANCOV_FLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing \
-Cllvm-args=-sanitizer-coverage-stack-depth"
# Corpora, crashing inputs and logs (default fuzz/): corpus/, artifacts/, logs/.
work="$(mkdir -p "${NETPC_FUZZ_WORK:-$PWD}" && cd "${NETPC_FUZZ_WORK:-$PWD}" && pwd)"
triple=x86_64-unknown-linux-gnu
bins=()
for t in "${targets[@]}"; do bins+=(--bin "$t"); done
start=$SECONDS
if [[ "${NETPC_FUZZ_QUICK:-}" == 1 ]]; then
  echo "== fuzz: quick build (netpc and the targets instrumented) of ${targets[*]}"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd .. && pwd)/target}"
  RUSTC_WRAPPER="$PWD/sancov-rustc.sh" cargo build --quiet --locked \
    ${NETPC_FUZZ_JOBS:+-j "$NETPC_FUZZ_JOBS"} "${bins[@]}"
  bindir="$CARGO_TARGET_DIR/debug"
else
  echo "== fuzz: building ${targets[*]}"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
  RUSTFLAGS="$NETPC_SANCOV_FLAGS -Cdebug-assertions" cargo build --quiet --release --locked \
    --target "$triple" ${NETPC_FUZZ_JOBS:+-j "$NETPC_FUZZ_JOBS"} "${bins[@]}"
  bindir="$CARGO_TARGET_DIR/$triple/release"
fi
(cd .. && env -u CARGO_TARGET_DIR cargo build --quiet --bin netpc)
echo "== fuzz: built in $((SECONDS - start)) s; seeding fuzz/corpus"
python3 seeds.py .. ../target/debug/netpc "$work/corpus"

per=$(( seconds / ${#targets[@]} ))
(( per >= 1 )) || per=1
failed=0
TIMEFORMAT="%R %U %S"
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t" "$work/logs"
  # After a crash the target starts again for the rest of its time (at most 5 times),
  # so one crash does not end a long run; the run still fails.
  left=$per execs=0 cpu=0 wall=0 runs=0 status=0
  while (( left > 0 && runs < 6 )); do
    runs=$((runs + 1))
    log="$work/logs/$t.$runs.log"
    set +e
    { time "$bindir/$t" -max_total_time="$left" -timeout=20 \
        -rss_limit_mb=2048 -max_len="${max_len[$t]}" -len_control=0 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$t/" ${NETPC_FUZZ_ARGS:-} "$work/corpus/$t" >"$log" 2>&1; } 2>"$log.time"
    run_status=$?
    set -e
    read -r w u s <"$log.time"
    wall=$(awk "BEGIN {print $wall + $w}")
    cpu=$(awk "BEGIN {print $cpu + $u + $s}")
    left=$(awk "BEGIN {x = $left - $w; print (x > 1 ? int(x) : 0)}")
    e=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    execs=$((execs + e))
    cov=$(grep -oE '(cov|ft|corp): [0-9/a-zA-Z]+' "$log" | tail -3 | tr '\n' ' ')
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    if (( run_status != 0 )); then
      status=$run_status
      failed=1
      crash=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')
      echo "CRASH in $t (exit $run_status): input saved at ${crash:-$work/artifacts/$t/ (see $log)}"
      grep -E "panicked at|over the budget|ERROR: libFuzzer" "$log" | head -5 || true
      echo "reproduce: $bindir/$t ${crash:-}"
    fi
  done
  echo "$t: $execs executions, ${cov}peak RSS ${rss} MB, wall $wall s, CPU $cpu s, runs $runs, exit $status"
done
exit "$failed"
