#!/usr/bin/env bash
# Leakwall admin API latency benchmark: `GET /api/incidents` with filters over N incidents on
# SQLite and PostgreSQL, p50/p90/p99/max per query from a closed-loop load generator, side by
# side. Run from anywhere; arguments go to `api_latency`:
#
#   bash bench/api.sh                                  # 1,000,000 rows, both backends, 10 s/query
#   bash bench/api.sh --rows 100000 --seconds 3        # a quick run
#   bash bench/api.sh --backend sqlite --reuse         # keep and reuse the filled database
#
# Options: --backend sqlite|postgres|both (both), --rows N (1000000), --seconds S (10),
# --concurrency C (8), --reuse, --postgres URL (postgres://postgres@127.0.0.1:5432/test),
# --seed N (42), --out DIR (bench/out). CARGO_TARGET_DIR is honoured. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p leakwall-bench --bin api_latency
exec "${CARGO_TARGET_DIR:-$PWD/target}/release/api_latency" "$@"
