#!/usr/bin/env bash
# Every query of README.md's SQL cookbook runs against a fresh trace
# database of a failover scenario and returns rows where it should.
#   sql_cookbook_test.sh SLOTSIM_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" suite "$src/scenarios/partition-minority-primary.textproto" --seeds 1 \
  --db "$work/t.db" >/dev/null 2>&1 || { echo "FAIL: suite"; exit 1; }
awk '/^### SQL cookbook/ {on=1} on && /^```sql/ {inside=1; next} inside && /^```/ {exit} inside' \
  "$src/README.md" >"$work/cookbook.sql"
[ "$(grep -c '^SELECT' "$work/cookbook.sql")" -ge 8 ] || { echo "FAIL: cookbook not found"; exit 1; }
sqlite3 -bail "$work/t.db" <"$work/cookbook.sql" >"$work/out" 2>&1 || { echo "FAIL:"; cat "$work/out"; exit 1; }
# Spot checks: the run had a failover, lost writes and client errors.
grep -q '^1|partition-minority-primary|1|1$' "$work/out" || { echo "FAIL: failovers per run"; cat "$work/out"; exit 1; }
grep -q '^failover (asynchronous replication)|' "$work/out" || { echo "FAIL: lost writes by cause"; exit 1; }
grep -q '^CLUSTERDOWN|' "$work/out" || { echo "FAIL: client errors by kind"; exit 1; }
echo "cookbook: $(grep -c '^SELECT' "$work/cookbook.sql") queries ran"
