#!/usr/bin/env bash
# Sets up, builds and runs every test (ctest). Extra arguments go to ctest,
# e.g. `scripts/test-all.sh -L unit` or `-R Resp`. Without arguments the
# opt-in labels (`cluster`, `scale`: a real Slurm, thousand-node runs) are
# left out; name one to run it: `scripts/test-all.sh -L cluster`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
scripts/build.sh
cd build
[ $# -eq 0 ] && set -- -LE '^(cluster|scale)$'
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
