#!/usr/bin/env bash
# Sharing-rule decision benchmark: POST /v1/sharing/evaluate on the real server (in-process,
# SQLite, rules enabled) for a folder with 1,000 entries in its access list; an allowed
# read-only share (nothing recorded) and a rejected WRITE (one incident written per call).
# Figures, not assertions. Run from anywhere:
#
#   bash bench/sharing.sh                      # 5 s per row, 8 calls in flight
#   SECONDS_PER_ROW=2 ENTRIES=100 bash bench/sharing.sh
#
# Variables: SECONDS_PER_ROW (5), CONCURRENCY (8), ENTRIES (1000), CARGO_TARGET_DIR
# (honoured). Release build only. Prints `RESULT label decisions/s p50_µs p99_µs max_µs`.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_ROW=${SECONDS_PER_ROW:-5}
CONCURRENCY=${CONCURRENCY:-8}
ENTRIES=${ENTRIES:-1000}
cargo build --release -p leakwall-bench --bin sharing_bench
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/sharing_bench"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for decision in allow reject; do
  "$BIN" --decision "$decision" --entries "$ENTRIES" --concurrency "$CONCURRENCY" \
    --seconds "$SECONDS_PER_ROW"
done
