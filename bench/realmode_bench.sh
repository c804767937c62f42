#!/usr/bin/env bash
# `slotsim node` against Debian's redis-server 7.0, in one run on this
# machine: redis-benchmark SET and GET, without and with pipelining (-P 16),
# each server a one-node cluster owning every slot, persistence off on both
# (the engine's default: no data log). Prints a table of throughput and p99
# latency, and the throughput ratio slotsim/redis per line; the target is
# at least 0.8. Needs `scripts/setup.sh --tests` (redis-server, redis-tools).
#   bench/realmode_bench.sh [SLOTSIM_BINARY] [REQUESTS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cli/slotsim}
requests=${2:-200000}
rounds=${3:-3}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() {
  python3 -c 'import socket
for p in range(24000, 25000, 7):
    ok = True
    for q in (p, p + 10000):
        s = socket.socket()
        try: s.bind(("127.0.0.1", q))
        except OSError: ok = False
        finally: s.close()
    if ok: print(p); break'
}

sport=$(free_port)
"$bin" node --port "$sport" --dir "$work/slotsim" >"$work/slotsim.log" 2>&1 &
pids+=($!)
sleep 0.3
rport=$(free_port)
(cd "$work" && exec redis-server --port "$rport" --cluster-enabled yes --cluster-config-file redis-nodes.conf \
   --save '' --appendonly no --bind 127.0.0.1 >"$work/redis.log" 2>&1) &
pids+=($!)
for p in "$sport" "$rport"; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$p" cluster addslotsrange 0 16383 >/dev/null
done
for p in "$sport" "$rport"; do
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$p" cluster info | tr -d '\r' | head -1)" = "cluster_state:ok" ] && break
    sleep 0.1
  done
done

# One redis-benchmark line: "rps p99_ms" for test $3 on port $1 with -P $2.
bench() {
  redis-benchmark -p "$1" -t "$3" -n "$requests" -c 50 -P "$2" -r 100000 --csv 2>/dev/null |
    awk -F'"' -v t="$(echo "$3" | tr a-z A-Z)" '$2 == t { print $4, $14 }'
}

echo "| test | pipeline | slotsim rps | redis rps | ratio | slotsim p99 (ms) | redis p99 (ms) |"
echo "|---|---|---|---|---|---|---|"
for P in 1 16; do
  for t in set get; do
    best_s=0; best_r=0; p99_s=; p99_r=
    # Alternate the servers within each round; keep each one's best round.
    for _ in $(seq "$rounds"); do
      read -r rs ps <<<"$(bench "$sport" "$P" "$t")"
      read -r rr pr <<<"$(bench "$rport" "$P" "$t")"
      if awk -v a="$rs" -v b="$best_s" 'BEGIN { exit !(a > b) }'; then best_s=$rs; p99_s=$ps; fi
      if awk -v a="$rr" -v b="$best_r" 'BEGIN { exit !(a > b) }'; then best_r=$rr; p99_r=$pr; fi
    done
    ratio=$(awk -v a="$best_s" -v b="$best_r" 'BEGIN { printf "%.2f", a / b }')
    echo "| $(echo $t | tr a-z A-Z) | $P | $best_s | $best_r | ${ratio}x | $p99_s | $p99_r |"
  done
done
echo
echo "redis-benchmark -n $requests -c 50 -r 100000, best of $rounds rounds per line, servers alternated"
