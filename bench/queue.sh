#!/usr/bin/env bash
# Leakwall task queue benchmark: end-to-end tasks/s (enqueue → no-op task → delete) with
# worker concurrency 1 and 8, and enqueue-to-start latency p50/p99 on an idle worker, for the
# in-memory, embedded (SQLite) and PostgreSQL backends side by side. Arguments go to
# `queue_bench`:
#
#   bash bench/queue.sh                                 # 20,000 tasks per run, all backends
#   bash bench/queue.sh --tasks 5000 --backend embedded
#
# Options: --tasks N (20000), --samples N (500), --backend memory|embedded|postgres|all (all),
# --postgres URL (postgres://postgres@127.0.0.1:5432/test; a schema `leakwall_queue_bench` is
# created and dropped). CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p leakwall-bench --bin queue_bench
exec "${CARGO_TARGET_DIR:-$PWD/target}/release/queue_bench" "$@"
