#!/usr/bin/env bash
# The scanner chain's throughput (issue 11): a seeded mixed corpus (chat-like text with planted
# keys, DOCX, ZIP, 512 KiB logs, small notes, EICAR in one file of 25) through the chain the
# connectors use (`antivirus::chain::scan_file`: the DLP engine and a real clamd on the same
# bytes at once), then through each scanner alone, for files/s, MB/s and clamd's share of the
# time. clamd is started by the test with signatures made at test time (Debian's
# clamav-daemon must be installed). Figures, not assertions. Release build.
#
#   bash bench/antivirus.sh
#   AV_BENCH_FILES=1000 AV_BENCH_PARALLEL=8 bash bench/antivirus.sh
#
# Variables: AV_BENCH_FILES (400), AV_BENCH_PARALLEL files at once = clamd pool size (4).
# CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --release -p leakwall-server --test server antivirus_bench::antivirus_chain_figures -- \
    --ignored --nocapture --test-threads 1
