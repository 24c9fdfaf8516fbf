#!/usr/bin/env bash
# Leakwall proxy guard overhead: a tiny upstream (`proxy_load upstream`), two `leakwall serve`
# with the guard in front of it (one forwarding without a query; one evaluating
# policies/proxy.rego + utils.rego with PROXY_POLICIES_QUERY=data.proxy.granted), and a
# closed-loop load generator (`proxy_load run`) against the upstream directly and through each
# guard in turn: req/s and p50/p99 with the overhead over the direct calls.
#
#   bash bench/proxy.sh                          # 16 connections, 10 s per phase
#   CONNECTIONS=4 DURATION=5 bash bench/proxy.sh  # a quick run
#
# Variables: CONNECTIONS (16), DURATION seconds per phase (10), WARMUP (2), BODY bytes of the PUT (1024),
# DECISION_LOG (true: every decision recorded, as by default; false: off), LEAKWALL (a binary
# to use instead of building leakwall-cli). CARGO_TARGET_DIR is honoured. Release builds only;
# figures, not assertions. Exits 1 when a phase had errors.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target="${CARGO_TARGET_DIR:-$root/target}/release"
cargo build --release -p leakwall-bench --bin proxy_load
if [[ -z "${LEAKWALL:-}" ]]; then
    cargo build --release -p leakwall-cli
    LEAKWALL="$target/leakwall"
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# Waits for a line matching $2 in file $1 and prints its last word (an address).
address() {
    for _ in $(seq 1 300); do
        if line=$(grep -m1 -E "$2" "$1" 2>/dev/null); then
            echo "$line" | grep -oE '[0-9.]+:[0-9]+' | head -1
            return 0
        fi
        sleep 0.1
    done
    echo "timed out waiting for '$2' in $1:" >&2
    cat "$1" >&2
    return 1
}

"$target/proxy_load" upstream --listen 127.0.0.1:0 >"$tmp/upstream.out" 2>&1 &
pids+=($!)
upstream=$(address "$tmp/upstream.out" 'listening on')

# Starts `leakwall serve` with the guard in front of the upstream; $1 names it, $2 is the
# proxy query (empty: the guard forwards without evaluating). Not in a subshell, so that
# cleanup knows the process; `address "$tmp/$1.out" 'proxy guard'` then gives the guard.
serve() {
    cat >"$tmp/$1.yaml" <<EOF
server: {listen: "127.0.0.1:0"}
database: {url: "sqlite://$tmp/$1.db"}
policies:
  engine: {policies: ["$root/policies/proxy.rego", "$root/policies/utils.rego"]}
  decision_log: {enabled: ${DECISION_LOG:-true}}
proxy: {listen: "127.0.0.1:0", upstream: "http://$upstream"}
EOF
    PROXY_POLICIES_QUERY="$2" LEAKWALL_LOG=warn POLICIES_GRPC_ADDR= \
        "$LEAKWALL" serve --no-workers --config "$tmp/$1.yaml" >"$tmp/$1.out" 2>&1 &
    pids+=($!)
}
serve forward ""
serve guard data.proxy.granted
forward=$(address "$tmp/forward.out" 'proxy guard')
guard=$(address "$tmp/guard.out" 'proxy guard')

echo "upstream http://$upstream; guard forwarding only http://$forward; guard with the policy http://$guard"
echo "($(nproc) CPUs shared by the upstream, leakwall and the load generator)"
"$target/proxy_load" run --target "direct=http://$upstream" \
    --target "guard, no query=http://$forward" --target "guard, proxy.rego=http://$guard" \
    --connections "${CONNECTIONS:-16}" --seconds "${DURATION:-10}" \
    --warmup "${WARMUP:-2}" --body "${BODY:-1024}"
