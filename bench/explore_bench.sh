#!/usr/bin/env bash
# Exploration figures for bench/README.md and README.md's bug-zoo table:
#  - per bug-zoo switch (tests/bug_budgets.txt): the seeds `slotsim explore`
#    needed, the wall time to find it and to shrink it, and the shrunk size;
#  - explore throughput (seeds/s) with --jobs 1 and --jobs 2, on the same
#    seeds in the same run, the ratio being the figure to compare.
#   bench/explore_bench.sh [SLOTSIM_BINARY] [SEEDS_FOR_THROUGHPUT]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cli/slotsim}
seeds=${2:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }

echo "| bug | profile | seeds needed | budget | find (s) | find + shrink (s) | fault steps: found -> shrunk | shrink runs |"
echo "|---|---|---|---|---|---|---|---|"
while read -r bug budget profile violation; do
  [[ -z "$bug" || "$bug" == \#* ]] && continue
  start=$(now)
  set +e
  out=$("$bin" explore --seeds 2000 --profile "$profile" --jobs 2 --inject-bug "$bug" \
        --shrink-runs 100 --out "$work" --json 2>/dev/null)
  set -e
  total=$(echo "$(now) - $start" | bc)
  json=$(tail -n 1 <<<"$out")
  if [ "$(jq -r '.finding.violation // empty' <<<"$json")" != "$violation" ]; then
    echo "| $bug | $profile | not found in 2000 | $budget | | | | |"
    continue
  fi
  printf '| %s | %s | %s | %s | %.1f | %.1f | %s -> %s | %s |\n' "$bug" "$profile" \
    "$(jq -r .finding.seed <<<"$json")" "$budget" "$(jq -r .wall_seconds <<<"$json")" "$total" \
    "$(jq -r .finding.original_fault_steps <<<"$json")" "$(jq -r .finding.fault_steps <<<"$json")" \
    "$(jq -r .finding.shrink_runs <<<"$json")"
done < tests/bug_budgets.txt

echo
echo "| explore throughput (clean, profile faults, $seeds seeds) | seeds/s | ratio |"
echo "|---|---|---|"
base=""
for jobs in 1 2; do
  json=$("$bin" explore --seeds "$seeds" --jobs "$jobs" --out "$work" --json 2>/dev/null | tail -n 1)
  rate=$(jq -r "$seeds / .wall_seconds" <<<"$json")
  [ -z "$base" ] && base=$rate
  printf '| --jobs %s | %.1f | %.2fx |\n' "$jobs" "$rate" "$(echo "$rate / $base" | bc -l)"
done
