#!/usr/bin/env bash
# The simulator's cost against cluster size (issue 16's table): for each N,
# a cluster of N/2 primaries with one replica each, formed the redis-cli
# way (bootstrap CREATE), node_timeout 15 s, 4 clients at 200 op/s, 120
# simulated seconds, seed 1, --no-trace. Prints one row per N: wall s,
# simulated s per wall s, events, wall µs per event, peak RSS, and when
# the run converged.
#   bench/scale_bench.sh [SLOTSIM] [N ...]     (default: build/cli/slotsim 10 50 100 200)
# With BASELINE=path/to/older/slotsim, each N also runs the older binary
# and the row gains the ratio of the two wall times (old / new), measured
# back to back so that machine noise hits both alike.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cli/slotsim}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 50 100 200)
sim_s=${SIM_SECONDS:-120}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # run BINARY SCENARIO -> "wall events converged_ms outcome rss_kb"
  local out
  /usr/bin/time -f "%M" -o "$work/rss" "$1" run "$2" --seed 1 --no-trace --json >"$work/out" 2>/dev/null || true
  out=$(tail -n 1 "$work/out")
  printf '%s %s %s %s %s\n' "$(jq -r .wall_seconds <<<"$out")" "$(jq -r .events <<<"$out")" \
    "$(jq -r .converged_ms <<<"$out")" "$(jq -r .outcome <<<"$out")" "$(tail -n 1 "$work/rss")"
}

printf '| nodes | wall s | simulated s per wall s | events | wall µs per event | peak RSS MB | converged at s | outcome |%s\n' \
  "${BASELINE:+ baseline wall s | baseline / this |}"
printf '|---|---|---|---|---|---|---|---|%s\n' "${BASELINE:+---|---|}"
for n in "${sizes[@]}"; do
  p=$((n / 2))
  f="$work/scale-$n.textproto"
  cat >"$f" <<EOF
name: "scale-$n"
description: "$p primaries x 1 replica, node_timeout 15 s, 4 clients"
topology { primaries: $p replicas_per_primary: 1 bootstrap: CREATE }
engine { node_timeout_ms: 15000 }
workload { clients: 4 ops_per_sec: 200 keyspace: 5000 value_bytes: 32 mix { get: 50 set: 50 } }
duration_ms: $((sim_s * 1000))
convergence_bound_ms: $((sim_s * 750))
EOF
  read -r wall events conv outcome rss <<<"$(run "$bin" "$f")"
  row=$(awk -v n="$n" -v w="$wall" -v e="$events" -v c="$conv" -v o="$outcome" -v r="$rss" -v s="$sim_s" \
    'BEGIN { printf "| %d | %.2f | %.1f | %d | %.1f | %.0f | %s | %s |", n, w, s / w, e, w * 1e6 / e, r / 1024, (c < 0 ? "never" : sprintf("%.1f", c / 1000)), o }')
  if [ -n "${BASELINE:-}" ]; then
    read -r bwall _ _ _ _ <<<"$(run "$BASELINE" "$f")"
    row+=$(awk -v b="$bwall" -v w="$wall" 'BEGIN { printf " %.2f | %.2fx |", b, b / w }')
  fi
  echo "$row"
done
