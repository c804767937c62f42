#!/usr/bin/env bash
# Times one failover two ways in the same run and reports the ratio:
#  - real: Debian's redis-server 7.0, 3 primaries + 3 replicas on
#    127.0.0.1:30001-30006 made by `redis-cli --cluster create`, kill -9
#    of the primary owning slot 0, until every surviving node names its
#    replica as slot 0's owner (wall clock);
#  - simulated: the same topology and node timeout in slotsim
#    (slotsim_bench --failover), crash to takeover in simulated time, and
#    the wall time of the whole simulated run (forming the cluster
#    included).
#
#   bench/failover_vs_redis.sh [NODE_TIMEOUT_MS=3000] [REPEATS=3]
# Needs redis-server and redis-cli (apt-get install redis-server redis-tools).
set -uo pipefail
cd "$(dirname "$0")/.."
nt=${1:-3000}
repeats=${2:-3}
bench=build/bench/slotsim_bench
for tool in redis-server redis-cli; do
  command -v $tool >/dev/null || { echo "needs $tool: apt-get install redis-server redis-tools" >&2; exit 2; }
done
[ -x $bench ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
ports=(30001 30002 30003 30004 30005 30006)
work=$(mktemp -d)
cleanup() {
  for p in "${ports[@]}"; do
    [ -f "$work/$p.pid" ] && kill -9 "$(cat "$work/$p.pid")" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
[ "${KEEP:-}" = 1 ] && trap - EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

real_failover_ms() {
  rm -f "$work"/*
  for p in "${ports[@]}"; do
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
      --cluster-config-file "nodes-$p.conf" --cluster-node-timeout "$nt" \
      --appendonly no --save '' --dir "$work" --daemonize yes \
      --pidfile "$work/$p.pid" --logfile "$work/$p.log" >/dev/null
  done
  for p in "${ports[@]}"; do
    for _ in $(seq 1 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
  done
  redis-cli --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") \
    --cluster-replicas 1 --cluster-yes >"$work/create.log" 2>&1 || { cat "$work/create.log" >&2; return 1; }
  # Converged: every node says ok.
  for _ in $(seq 1 600); do
    ok=0
    for p in "${ports[@]}"; do
      redis-cli -p "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && ok=$((ok + 1))
    done
    [ $ok -eq 6 ] && break
    sleep 0.1
  done
  # Every replica in sync (a replica that never synced cannot fail over),
  # then a moment for roles to spread: the simulated run waits for both.
  for _ in $(seq 1 600); do
    up=0
    for p in "${ports[@]}"; do
      redis-cli -p "$p" info replication 2>/dev/null | grep -q 'master_link_status:up' && up=$((up + 1))
    done
    [ $up -eq 3 ] && break
    sleep 0.1
  done
  sleep 2
  # The owner of slot 0 and its replica.
  local nodes owner_line owner_id owner_port replica_id
  nodes=$(redis-cli -p 30001 cluster nodes)
  owner_line=$(grep -E 'master.* 0-[0-9]+' <<<"$nodes" | head -1)
  owner_id=$(cut -d' ' -f1 <<<"$owner_line")
  owner_port=$(cut -d' ' -f2 <<<"$owner_line" | sed 's/.*:\([0-9]*\)@.*/\1/')
  replica_id=$(awk -v m="$owner_id" '$4 == m {print $1}' <<<"$nodes" | head -1)
  [ -n "$replica_id" ] || { echo "no replica found for $owner_id" >&2; return 1; }
  local t0 t1
  t0=$(now_ms)
  kill -9 "$(cat "$work/$owner_port.pid")"
  local deadline=$(( $(now_ms) + 60000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    agree=0
    for p in "${ports[@]}"; do
      [ "$p" = "$owner_port" ] && continue
      redis-cli -p "$p" cluster nodes 2>/dev/null | grep "^$replica_id" | grep -qE 'master.* 0-' && agree=$((agree + 1))
    done
    [ $agree -eq 5 ] && break
    sleep 0.02
  done
  t1=$(now_ms)
  if [ $agree -ne 5 ]; then
    echo "real failover did not complete: waiting for $replica_id to own slot 0 (killed $owner_port)" >&2
    redis-cli -p 30002 cluster nodes >&2
    local rport
    rport=$(redis-cli -p 30002 cluster nodes | grep "^$replica_id" | cut -d' ' -f2 | sed 's/.*:\([0-9]*\)@.*/\1/')
    tail -15 "$work/$rport.log" >&2
    return 1
  fi
  for p in "${ports[@]}"; do
    [ -f "$work/$p.pid" ] && kill -9 "$(cat "$work/$p.pid")" 2>/dev/null
  done
  sleep 0.2
  echo $((t1 - t0))
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

real=()
for r in $(seq 1 "$repeats"); do
  ms=$(real_failover_ms) || exit 1
  real+=("$ms")
  echo "real redis-server failover $r: ${ms} ms" >&2
done
sim_lines=$($bench --failover "$nt" --repeats "$repeats")
echo "$sim_lines" >&2
real_med=$(printf '%s\n' "${real[@]}" | median)
sim_takeover_med=$(grep -o 'sim_takeover_ms=[0-9.]*' <<<"$sim_lines" | cut -d= -f2 | median)
sim_wall_med=$(grep -o 'wall_seconds=[0-9.]*' <<<"$sim_lines" | cut -d= -f2 | median)
sim_per_wall_med=$(grep -o 'sim_per_wall=[0-9.]*' <<<"$sim_lines" | cut -d= -f2 | median)
redis_version=$(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2)
echo "| figure (node_timeout ${nt} ms, median of ${repeats}) | value |"
echo "|---|---|"
echo "| real redis-server ${redis_version}: kill -9 of a primary to every node agreeing on its replica (wall) | ${real_med} ms |"
echo "| slotsim: the same failover, crash to takeover (simulated) | ${sim_takeover_med} ms |"
echo "| slotsim: whole run (form the cluster, fail over), wall | $(awk -v s="$sim_wall_med" 'BEGIN{printf "%.0f", s*1000}') ms |"
echo "| slotsim: simulated seconds per wall second in that run | ${sim_per_wall_med} |"
awk -v r="$real_med" -v s="$sim_wall_med" \
  'BEGIN{printf "| ratio: real failover wall time / simulated run wall time | %.0fx |\n", r/(s*1000)}'
