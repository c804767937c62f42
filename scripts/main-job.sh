#!/usr/bin/env bash
# Sets up, builds and runs the main job: the default scenario suite into a
# SQLite trace (slotsim.db unless SLOTSIM_DB says otherwise), then prints
# the suite summary (and JUnit XML, slotsim-junit.xml unless SLOTSIM_JUNIT
# says otherwise). Exit code is slotsim's (0 pass, 1 violation, 2 input
# error, 3 crash).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
db=${SLOTSIM_DB:-slotsim.db}
rc=0
build/cli/slotsim suite scenarios/ --seeds "${SLOTSIM_SEEDS:-5}" --jobs "$(nproc)" \
  --db "$db" --junit "${SLOTSIM_JUNIT:-slotsim-junit.xml}" || rc=$?
echo "browse the runs: build/cli/slotsim view $db   (then open http://127.0.0.1:8080/)"
exit "$rc"
