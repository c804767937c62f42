#!/usr/bin/env bash
# Sets up, builds and runs every test (ctest). Extra arguments go to ctest,
# e.g. `scripts/test-all.sh -L unit` or `-R Resp`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@"
