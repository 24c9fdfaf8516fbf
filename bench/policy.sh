#!/usr/bin/env bash
# Leakwall policy decision benchmark: the example proxy policy (policies/utils.rego +
# policies/proxy.rego, query data.proxy.granted) in-process, over gRPC (policiesProvider.Evaluate)
# and over its HTTP mapping (POST /api/v0/policies/evaluate), with the server pinned to 1 core
# (`taskset -c 0`, load generator on core 1) and to 2 cores (`taskset -c 0,1`, load generator
# sharing them); then gRPC open-loop at a fixed rate. Figures, not assertions. Run from anywhere:
#
#   bash bench/policy.sh                        # 5 s per row, 8 calls in flight, 10,000/s open loop
#   SECONDS_PER_ROW=2 bash bench/policy.sh      # a quick run
#
# Variables: SECONDS_PER_ROW (5), CONCURRENCY (8, closed-loop calls in flight), RATE (10000,
# open-loop decisions/s), DECISION_LOG (on; off = the server does not record decisions), INPUTS
# (new: a file name of its own per call, so the decision cache never answers; repeated: two
# inputs again and again),
# CARGO_TARGET_DIR (honoured). Release build only. The server is the
# real one (router, gRPC service, policies with the decision log on, SQLite store) in the
# `policy_bench serve` process; see bench/src/bin/policy_bench.rs for each mode.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_ROW=${SECONDS_PER_ROW:-5}
CONCURRENCY=${CONCURRENCY:-8}
RATE=${RATE:-10000}
DECISION_LOG=${DECISION_LOG:-on}
INPUTS=${INPUTS:-new}
cargo build --release -p leakwall-bench --bin policy_bench
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/policy_bench"
command -v taskset > /dev/null || { echo "taskset (util-linux) is needed" >&2; exit 2; }
if [ "$(nproc)" -lt 2 ]; then
  echo "needs 2 cores (found $(nproc))" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'exec 3>&- 2> /dev/null || true; rm -rf "$work"' EXIT
results="$work/results"
touch "$results"

measure() { # measure CPUS ARGS...: one client run, its RESULT line kept
  local cpus=$1
  shift
  taskset -c "$cpus" "$BIN" "$@" --seconds "$SECONDS_PER_ROW" --inputs "$INPUTS" | tee -a "$results"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== in-process (policy set, no server)"
measure 0 inproc --threads 1 --label inproc-1
measure 0,1 inproc --threads 2 --label inproc-2

for cores in 1 2; do
  if [ "$cores" = 1 ]; then server_cpus=0 client_cpus=1; else server_cpus=0,1 client_cpus=0,1; fi
  echo "== server on $cores core(s) (taskset -c $server_cpus), load generator on $client_cpus"
  mkfifo "$work/stdin-$cores"
  taskset -c "$server_cpus" "$BIN" serve --decision-log "$DECISION_LOG" < "$work/stdin-$cores" > "$work/serve-$cores" &
  server=$!
  exec 3> "$work/stdin-$cores" # the server runs until this closes
  for _ in $(seq 600); do
    grep -q '^READY ' "$work/serve-$cores" && break
    kill -0 "$server" 2> /dev/null || { echo "server exited" >&2; exit 1; }
    sleep 0.1
  done
  read -r _ grpc url key < <(grep '^READY ' "$work/serve-$cores")
  measure "$client_cpus" grpc --addr "$grpc" --concurrency "$CONCURRENCY" --label "grpc-$cores"
  measure "$client_cpus" http --url "$url" --key "$key" --concurrency "$CONCURRENCY" \
    --label "http-$cores"
  measure "$client_cpus" grpc-rate --addr "$grpc" --rate "$RATE" --label "rate-$cores"
  exec 3>&-
  wait "$server"
done

echo
echo "Example proxy policy, $INPUTS inputs, $SECONDS_PER_ROW s per row, decision log $DECISION_LOG;" \
  "latencies in µs;" \
  "load average before: $load; $(nproc) cores," \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo
awk -v c="$CONCURRENCY" -v rate="$RATE" '
  $1 == "RESULT" {
    split($2, l, "-"); k = l[1] SUBSEP l[2]; dps[k] = $3; p50[k] = $4; p99[k] = $5; err[k] = 0
    for (f = 7; f <= NF; f++) if ($f ~ /^errors=/) err[k] = substr($f, 8)
  }
  END {
    name["inproc"] = "in-process (1 or 2 threads)"
    name["grpc"] = "gRPC Evaluate, closed loop, " c " in flight"
    name["http"] = "HTTP /api/v0/policies/evaluate, closed loop, " c " in flight"
    name["rate"] = "gRPC Evaluate, open loop at " rate "/s"
    print "| path | 1 core: decisions/s | p50 | p99 | 2 cores: decisions/s | p50 | p99 |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    n = split("inproc grpc http rate", order, " ")
    for (i = 1; i <= n; i++) {
      m = order[i]; a = m SUBSEP 1; b = m SUBSEP 2
      printf "| %s | %s | %s | %s | %s | %s | %s |\n", name[m], dps[a], p50[a], p99[a], dps[b], p50[b], p99[b]
    }
    print ""
    printf "targets: in-process p50 < 20 µs (1 core: %s µs); gRPC p99 < 1000 µs at %s/s (1 core: %s µs, 2 cores: %s µs)\n", \
      p50["inproc" SUBSEP 1], rate, p99["rate" SUBSEP 1], p99["rate" SUBSEP 2]
    printf "open loop: failed calls %s (1 core), %s (2 cores); decisions/s is the rate achieved\n", \
      err["rate" SUBSEP 1], err["rate" SUBSEP 2]
  }' "$results"
