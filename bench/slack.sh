#!/usr/bin/env bash
# Leakwall's Slack path under load (issue 5): the real `leakwall serve` (embedded SQLite store
# and queue, in-process workers unless said otherwise, one workspace configured by hand) against the fake Slack of
# leakwall-connectors, fed signed Events API deliveries of a card number at a fixed rate (open
# loop). Three phases, each on a fresh server:
#   1. webhook: SLACK_BENCH_WEBHOOK_RATE events/s (1000): p50/p99 of the webhook's 200, with the
#      in-process workers scanning and acting on the same 2 cores;
#   2. the same with `serve --no-workers` (the webhook alone; workers would run elsewhere);
#   3. action:  SLACK_BENCH_ACTION_RATE events/s (200): the webhook again, and the time from
#      sending an event until the fake Slack sees its chat.delete (event-to-action p50/p99).
# Targets on a 2-core machine: webhook p99 < 10 ms at 1,000 events/s; event-to-action p99 <
# 250 ms at 200 events/s. Figures, not assertions.
#
#   bash bench/slack.sh
#   SLACK_BENCH_SECONDS=10 bash bench/slack.sh
#
# Variables: SLACK_BENCH_SECONDS per phase (5), SLACK_BENCH_WEBHOOK_RATE (1000),
# SLACK_BENCH_ACTION_RATE (200). CARGO_TARGET_DIR is honoured. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --release -p leakwall-cli --test cli slack::slack_load_figures -- \
    --ignored --nocapture --test-threads 1
