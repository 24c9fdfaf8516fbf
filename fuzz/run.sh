#!/usr/bin/env bash
# Builds every fuzz target on the stable toolchain and runs each for SECONDS (default 20),
# seeded from testdata/extract. Exits non-zero if a target finds a crash, timeout or OOM
# (the reproducer is left in fuzz/artifacts/TARGET/).
# Usage: bash fuzz/run.sh [SECONDS]   (needs `cargo install cargo-fuzz`)
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"
# cargo-fuzz passes unstable rustc flags; RUSTC_BOOTSTRAP=1 lets the stable compiler accept
# them. `-s none`: no AddressSanitizer (it needs a nightly std); `-O`: optimized build.
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O -s none
data=../testdata/extract
seed() { # seed TARGET FILE...
    local target="$1"
    shift
    mkdir -p "corpus/$target"
    for f in "$@"; do
        if [ -f "$data/$f" ]; then cp "$data/$f" "corpus/$target/"; fi
    done
}
seed sniff letter.docx report.pdf page.html note.rtf message.eml utf16.txt latin1.txt png-named.pdf
seed zip archive.zip zipslip.zip encrypted.zip letter.docx sheet.xlsx slides.pptx report.odt sheet.ods
seed pdf report.pdf truncated.pdf
seed rtf note.rtf
seed html page.html
seed email message.eml
seed ooxml
seed odf
seed tar_gzip
seed detect latin1.txt utf16.txt
seed slack_events
seed webex_events
failed=0
for target in $(cargo fuzz list); do
    log="$(mktemp)"
    if cargo fuzz run -O -s none "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
        >"$log" 2>&1; then
        echo "ok   $target: $(grep -Eo 'stat::number_of_executed_units: [0-9]+|Done [0-9]+ runs' "$log" | tail -n 1)"
    else
        echo "FAIL $target"
        tail -n 60 "$log"
        failed=1
    fi
    rm -f "$log"
done
exit "$failed"
