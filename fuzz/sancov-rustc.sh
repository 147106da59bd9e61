#!/usr/bin/env bash
# RUSTC_WRAPPER for the quick fuzz build (`NETPC_FUZZ_QUICK=1 bash fuzz/run.sh`): adds
# the SanitizerCoverage flags of $NETPC_SANCOV_FLAGS (set by run.sh) to netpc's library
# and the fuzz targets only, so every dependency is compiled without them, as netpc's
# own build compiles it, and can be reused from target/ (docs/testing.md). Cargo runs it
# as `sancov-rustc.sh RUSTC ARGS...`.
set -euo pipefail
rustc="$1"
shift
crate=""
previous=""
for arg in "$@"; do
  if [[ "$previous" == --crate-name ]]; then crate="$arg"; fi
  previous="$arg"
done
case "$crate" in
  netpc | netpc_fuzz | check_bytes | check_structured | build_emit | analyze_yaml | output_read | git_side)
    # shellcheck disable=SC2086 # the flags are words on purpose
    exec "$rustc" "$@" ${NETPC_SANCOV_FLAGS:?run through fuzz/run.sh}
    ;;
esac
exec "$rustc" "$@"
