#!/usr/bin/env bash
# Sets up, builds and runs every test (ctest). Extra arguments go to ctest,
# e.g. `scripts/test-all.sh -L unit` or `-R Resp`. Without arguments the
# opt-in labels (`cluster`: a real Slurm; `sweep`: the CI workflow over
# 10 seeds per scenario; `scale`: big clusters) are left out; name one to
# run it: `scripts/test-all.sh -L cluster`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
scripts/build.sh
cd build
[ $# -eq 0 ] && set -- -LE '^(cluster|scale|sweep)$'
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
