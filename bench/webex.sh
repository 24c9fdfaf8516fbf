#!/usr/bin/env bash
# Leakwall's Webex path under load (issue 8): the real `leakwall serve` (embedded SQLite store
# and queue, in-process workers, one organization installed through the OAuth flow) against
# the fake Webex of leakwall-connectors, which posts files and delivers signed webhooks.
# Two phases on one server:
#   1. first touch: WEBEX_BENCH_RATE PNG files/s (50) for WEBEX_BENCH_SECONDS (10) while a
#      WEBEX_BENCH_LARGE_MB (10) MB DOCX arrives every second and is being scanned: p50/p99 of
#      the time from the post until the fake saw the `dlpUnchecked` HEAD (target p99 < 500 ms);
#   2. time to verdict: one WEBEX_BENCH_LARGE_MB MB DOCX at a time, WEBEX_BENCH_LARGE_COUNT
#      (20) of them: p50/p99 from the post until the fake saw the PUT (target p99 < 1 s).
# Figures, not assertions.
#
#   bash bench/webex.sh
#   WEBEX_BENCH_SECONDS=5 bash bench/webex.sh
#
# CARGO_TARGET_DIR is honoured. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --release -p leakwall-cli --test cli webex::webex_load_figures -- \
    --ignored --nocapture --test-threads 1
