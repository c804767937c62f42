#!/usr/bin/env bash
# Viewer figures for bench/README.md: time to first render and time to
# interactive of the run page, for a run of about 1,000,000 trace records
# (bench/viewer/million-events.textproto) against a baseline run of about
# 50,000 (tests/viewer/failover-during-migration.textproto) measured in the
# same session, in Debian's Chromium. Needs `scripts/setup.sh --tests`.
#   bench/viewer_bench.sh [SLOTSIM_BINARY] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/cli/slotsim}
repeats=${2:-3}
mkdir -p bench/out
db=bench/out/viewer-bench.db
if [ ! -f "$db" ] || [ "$(sqlite3 "$db" "SELECT count(*) FROM runs" 2>/dev/null)" != 2 ]; then
  rm -f "$db" "$db"-wal "$db"-shm
  echo "recording the baseline and the 1M-record run into $db ..." >&2
  "$bin" run tests/viewer/failover-during-migration.textproto --seed 1 --db "$db" >/dev/null 2>&1
  "$bin" run bench/viewer/million-events.textproto --seed 1 --db "$db" >/dev/null 2>&1
fi
NODE_PATH=tests/viewer/node_modules node bench/viewer_bench.mjs "$bin" "$db" "$repeats"
