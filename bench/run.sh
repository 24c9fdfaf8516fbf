#!/usr/bin/env bash
# Leakwall throughput benchmark: leakwall vs the one-regex baseline, rg and the memchr ceiling on
# the same dense corpus, side by side. Run from the repository root:
#
#   bash bench/run.sh [SIZE_MIB]      (default 1024)
#
# Environment: REPEAT (runs per row, median reported; 3), SEED (42), RECALL=1 (recall on the
# planted secrets, from one extra JSON run), PATTERNS (builtin|local; builtin), CACHE_ROW=1 (add
# the baseline with a 64 MiB lazy-DFA cache), BASELINE_MIB (the baseline rows scan only the first
# N MiB of chat.log, 16 by default, 0 for all: the union of the built-in catalog runs at ~0.1
# MB/s on dense text, i.e. ~3 hours per GiB), LEAKWALL (a leakwall binary to use instead of
# building leakwall-cli), CARGO_TARGET_DIR (default ./target).
# See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${1:-1024}
SEED=${SEED:-42}
REPEAT=${REPEAT:-3}
RECALL=${RECALL:-0}
PATTERNS=${PATTERNS:-builtin}
CACHE_ROW=${CACHE_ROW:-0}
BASELINE_MIB=${BASELINE_MIB:-16}
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
REL=$TARGET/release
OUT=bench/out
CHAT=$OUT/text/chat.log
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
log() { echo "run.sh: $*" >&2; }

# --- tools -------------------------------------------------------------------------------------
if [[ ! -x /usr/bin/time ]]; then
  log "installing Debian's 'time' package (for peak RSS)"
  SUDO=$([[ $(id -u) == 0 ]] && echo "" || echo sudo)
  $SUDO apt-get install -y time >/dev/null 2>&1 ||
    { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y time >/dev/null; }
fi

# --- build (release only) ----------------------------------------------------------------------
HAVE_CLI=1
if [[ -n ${LEAKWALL:-} ]]; then
  cargo build --release -p leakwall-bench # a given leakwall binary (e.g. an older build)
elif ! cargo build --release -p leakwall-cli -p leakwall-bench; then
  log "WARNING: leakwall-cli does not build (or does not exist yet): its rows are skipped"
  HAVE_CLI=0
  cargo build --release -p leakwall-bench
fi
LEAKWALL=${LEAKWALL:-$REL/leakwall}
BASELINE=$REL/baseline
[[ -x $LEAKWALL ]] || HAVE_CLI=0

# --- corpus (regenerated only when seed, size or generator changed) ----------------------------
STAMP="seed=$SEED size=$SIZE gen=$(sha256sum "$REL/gen-corpus" | cut -c1-16)"
if [[ ! -f $OUT/.stamp || $(cat "$OUT/.stamp") != "$STAMP" || ! -f $CHAT ]]; then
  log "generating the corpus ($SIZE MiB, seed $SEED) into $OUT"
  rm -rf "$OUT/text" "$OUT/files"
  mkdir -p "$OUT"
  "$REL/gen-corpus" --out "$OUT" --size-mib "$SIZE" --seed "$SEED"
  echo "$STAMP" >"$OUT/.stamp"
else
  log "corpus up to date ($STAMP)"
fi
CHAT_BYTES=$(stat -c %s "$CHAT")
FILES_BYTES=$(find "$OUT/files" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
"$BASELINE" --patterns "$PATTERNS" --print-patterns >"$OUT/patterns.txt"
BASE_INPUT=$CHAT
if ((BASELINE_MIB > 0 && BASELINE_MIB < SIZE)); then
  BASE_INPUT=$OUT/text/head-$BASELINE_MIB.log # a prefix: the corpus is homogeneous
  [[ -f $BASE_INPUT ]] || head -c $((BASELINE_MIB << 20)) "$CHAT" >"$BASE_INPUT"
fi
BASE_BYTES=$(stat -c %s "$BASE_INPUT")
BASE_NOTE=$([[ $BASE_INPUT == "$CHAT" ]] && echo "" || echo ", first $BASELINE_MIB MiB")

# --- measuring ---------------------------------------------------------------------------------
median() { sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "nan")}'; }
ROWS=()
BASE_MBS=""

# measure LABEL BYTES OK_CODES STDOUT_FILE COUNT_KIND CMD...
#   COUNT_KIND: json:KEY (take KEY from the JSON line on stdout), sum (sum of rg -c), none.
measure() {
  local label=$1 bytes=$2 ok=$3 out=$4 kind=$5
  shift 5
  local i rc t0 t1 walls="" rss="" count="-"
  for ((i = 1; i <= REPEAT; i++)); do
    log "$label (run $i/$REPEAT)"
    rc=0
    t0=$(date +%s%N)
    /usr/bin/time -f '%e %M' -o "$TMP/time" "$@" >"$out" 2>"$TMP/stderr" || rc=$?
    t1=$(date +%s%N)
    if [[ " $ok " != *" $rc "* ]]; then
      log "$label failed (exit $rc): $(tail -3 "$TMP/stderr")"
      ROWS+=("| $label | error (exit $rc) | | | |")
      return 0
    fi
    walls+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", (b - a) / 1e9}')"$'\n'
    rss+="$(tail -1 "$TMP/time" | awk '{print $2}')"$'\n'
  done
  case $kind in
    json:*) count=$(grep -o "\"${kind#json:}\":[0-9]*" "$out" | cut -d: -f2 || true) ;;
    sum) count=$(awk -F: '{s+=$NF} END {print s+0}' "$out") ;;
  esac
  local wall mbs rmib ratio
  wall=$(printf '%s' "$walls" | median)
  rmib=$(printf '%s' "$rss" | median | awk '{printf "%.0f", $1 / 1024}')
  mbs=$(awk -v b="$bytes" -v s="$wall" 'BEGIN {printf "%.6g", b / s / 1e6}')
  if [[ $label == baseline* && -z $BASE_MBS ]]; then BASE_MBS=$mbs; fi
  if [[ $label == *files/* || -z $BASE_MBS ]]; then
    ratio="n/a"
  else
    ratio=$(awk -v a="$mbs" -v b="$BASE_MBS" 'BEGIN {r = a / b; printf (r < 10 ? "%.2f×" : "%.0f×"), r}')
  fi
  mbs=$(awk -v m="$mbs" 'BEGIN {printf (m < 10 ? "%.2f" : "%.1f"), m}')
  ROWS+=("| $label | $mbs | $ratio | $rmib | ${FINDINGS[$label]:-$count} |")
}

declare -A FINDINGS=()
NPROC=$(nproc)
# The baseline goes first: the ratio column is relative to it.
measure "baseline: one meta::Regex, 1 thread$BASE_NOTE" "$BASE_BYTES" "0" "$TMP/out.json" \
  json:matches "$BASELINE" --threads 1 --patterns "$PATTERNS" "$BASE_INPUT"
if [[ $CACHE_ROW == 1 ]]; then
  measure "baseline, 64 MiB lazy-DFA cache$BASE_NOTE" "$BASE_BYTES" "0" "$TMP/out.json" \
    json:matches "$BASELINE" --threads 1 --patterns "$PATTERNS" --cache-mib 64 "$BASE_INPUT"
fi
if [[ $HAVE_CLI == 1 ]]; then
  if [[ $RECALL == 1 ]]; then
    log "recall: one JSON run of leakwall on chat.log and on files/"
    "$LEAKWALL" scan --threads "$NPROC" --format json "$CHAT" >"$OUT/findings-text.json" || true
    "$LEAKWALL" scan --threads "$NPROC" --format json "$OUT/files" >"$OUT/findings-files.json" || true
    nf_text=$({ grep -o '"detector"' "$OUT/findings-text.json" || true; } | wc -l)
    nf_files=$({ grep -o '"detector"' "$OUT/findings-files.json" || true; } | wc -l)
    FINDINGS["leakwall, 1 thread"]=$nf_text
    FINDINGS["leakwall, $NPROC threads"]=$nf_text
    FINDINGS["leakwall, $NPROC threads, files/"]=$nf_files
  fi
  measure "leakwall, 1 thread" "$CHAT_BYTES" "0 1" /dev/null none \
    "$LEAKWALL" scan --threads 1 --format json "$CHAT"
  measure "leakwall, $NPROC threads" "$CHAT_BYTES" "0 1" /dev/null none \
    "$LEAKWALL" scan --threads "$NPROC" --format json "$CHAT"
  measure "leakwall, $NPROC threads, files/" "$FILES_BYTES" "0 1" /dev/null none \
    "$LEAKWALL" scan --threads "$NPROC" --format json "$OUT/files"
fi
if command -v rg >/dev/null; then
  measure "rg -c -f patterns.txt (matching lines)" "$CHAT_BYTES" "0 1" "$TMP/rg.out" sum \
    rg -c -f "$OUT/patterns.txt" "$CHAT"
else
  log "rg not installed: its row is skipped"
fi
measure "memchr newline count (ceiling)" "$CHAT_BYTES" "0" "$TMP/out.json" json:lines \
  "$BASELINE" --count-lines "$CHAT"

# --- report ------------------------------------------------------------------------------------
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
echo
echo "Corpus: $OUT (chat.log $((CHAT_BYTES / 1048576)) MiB, files/ $((FILES_BYTES / 1024)) KiB, seed $SEED);" \
  "patterns: $PATTERNS ($(wc -l <"$OUT/patterns.txt")); median of $REPEAT runs."
echo "Machine: ${cpu:-unknown CPU}, $NPROC cores, $mem; $(rustc --version 2>/dev/null || echo rustc ?)."
echo
echo "| engine | MB/s | vs baseline | peak RSS MiB | findings / matches |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"

if [[ $RECALL == 1 && $HAVE_CLI == 1 ]]; then
  echo
  # A planted secret counts as found when a finding of a detector of its kind (by id keyword)
  # is on its (1-based) line: dense lines all have findings of *some* detector.
  { grep -oE '"(detector|line)": *("[^"]*"|[0-9]+)' "$OUT/findings-text.json" || true; } |
    tr -d '" ' | awk -F: '{v[$1] = $2} $1 == "line" || $1 == "detector" {n++}
      n == 2 {print v["line"] "\t" v["detector"]; n = 0}' >"$TMP/hits"
  echo "Recall on planted secrets in chat.log (a finding of the kind's detector on the planted line):"
  echo
  echo "| kind | planted | found | recall |"
  echo "|---|---:|---:|---:|"
  awk -F'\t' 'BEGIN {
      kw["credit_card"] = "card"; kw["us_ssn"] = "ssn"; kw["iban"] = "iban"; kw["jwt"] = "jwt"
      kw["aws_access_key"] = "aws_access"; kw["github_token"] = "github"; kw["slack_token"] = "slack"
      kw["stripe_key"] = "stripe"; kw["private_key"] = "private_key"; kw["password"] = "password|secret"
      kw["database_url"] = "database" }
    NR == FNR {hits[$1] = hits[$1] " " $2; next}
    FNR > 1 {n[$2]++; t++; if (hits[$1] ~ (kw[$2] == "" ? $2 : kw[$2])) {f[$2]++; ft++}}
    END {for (k in n) printf "| %s | %d | %d | %.1f%% |\n", k, n[k], f[k], 100 * f[k] / n[k];
      printf "|~**all** | %d | %d | %.1f%% |\n", t, ft, t ? 100 * ft / t : 0}' \
    "$TMP/hits" "$OUT/text/planted.tsv" | sort | sed 's/^|~/| /'
  files_hit=$({ echo x; grep -oE '(memo|export|logs|report)-[0-9]{3}\.(docx|xlsx|zip|pdf)' \
    "$OUT/findings-files.json" || true; } | sort -u |
    awk -F'\t' 'NR == FNR {hit[$1] = 1; next} FNR > 1 && !($1 in seen) {seen[$1] = 1; t++; if ($1 in hit) f++}
      END {printf "%d of %d", f, t}' - "$OUT/files-planted.tsv")
  echo
  echo "files/: $files_hit files holding planted secrets have at least one finding."
fi
