#!/usr/bin/env bash
# Sets up, builds and runs every test (ctest). Extra arguments go to ctest,
# e.g. `scripts/test-all.sh -L unit` or `-R Resp`. Without arguments the
# opt-in labels (`cluster`: a real Slurm; `sweep`: the CI workflow over
# 10 seeds per scenario; `scale`: big clusters; `sanitize`: the run
# below) are left out; name one to run it: `scripts/test-all.sh -L cluster`.
# Without arguments it then also runs the sanitizer subset (--sanitize-ci).
#
# `scripts/test-all.sh --sanitize [CTEST ARGS...]` builds into build-san/
# with ASan, UBSan and LSan (-DSLOTSIM_SANITIZE=address,undefined, and
# -DSLOTSIM_WERROR=ON), runs the unit, sim and property tests there (or
# what the ctest arguments select; explore.bug_budgets is left out: it
# measures how fast explore finds planted bugs, which the plain run
# checks, and takes over an hour instrumented), then explores 200 seeds
# (100 of the faults profile, 100 of migration) with the sanitized
# binary, printing each stage's duration. Any sanitizer report fails the
# run. About 50 minutes on the 2-core machine, build included (README).
#
# `scripts/test-all.sh --sanitize-ci` is the fixed subset the test command
# runs: the engine's unit tests, the simulator's, and node_commands_test
# (a node's commands end to end on the simulator) built with ASan and
# UBSan at -O1 without debug info into build-san-ci/, to keep it short.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
if [ "$mode" != --sanitize ] && [ "$mode" != --sanitize-ci ]; then
  scripts/setup.sh --tests
  scripts/build.sh
  if [ $# -gt 0 ]; then
    (cd build && ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@")
    exit
  fi
  (cd build && ctest --output-on-failure -j "$(nproc)" --timeout 600 -LE '^(cluster|scale|sweep|sanitize)$')
  exec "$0" --sanitize-ci
fi
shift

# A report stops the process (abort_on_error: SIGABRT, which slotsim's
# crash handler turns into exit 3, "crashed", and explore into a `crash`
# finding), so no test can mistake it for an expected exit 1. The LSan
# suppressions are the leaks made on purpose (the bug zoo's).
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}

stage_start=$SECONDS
stage() {
  local now=$SECONDS
  [ -n "${stage_name:-}" ] && echo "sanitize: stage '$stage_name' took $((now - stage_start)) s"
  stage_name=$1
  stage_start=$now
  [ -n "$stage_name" ] && echo "sanitize: stage '$stage_name'"
  return 0
}
all_start=$SECONDS

stage setup
scripts/setup.sh --tests

if [ "$mode" = --sanitize-ci ]; then
  stage build
  ci_targets=(engine_test sim_test node_commands_test)
  cmake -S . -B build-san-ci -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS=-O1 \
    -DSLOTSIM_SANITIZE=address,undefined >/dev/null
  cmake --build build-san-ci -j "${SLOTSIM_BUILD_JOBS:-$(nproc)}" --target "${ci_targets[@]}"
  stage tests
  status=0
  for t in engine/engine_test sim/sim_test tests/node_commands_test; do
    echo "sanitize: $t"
    "build-san-ci/$t" --gtest_brief=1 || status=1
  done
  stage ""
  [ $status -eq 0 ] || { echo "sanitize: subset FAILED after $((SECONDS - all_start)) s"; exit 1; }
  echo "sanitize: subset passed in $((SECONDS - all_start)) s"
  exit 0
fi

stage build
cmake -S . -B build-san -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSLOTSIM_SANITIZE=address,undefined -DSLOTSIM_WERROR=ON >/dev/null
cmake --build build-san -j "${SLOTSIM_BUILD_JOBS:-$(nproc)}"

# A failing stage does not stop the later ones (more findings per run);
# the script fails if any did.
failed=()
stage ctest
[ $# -eq 0 ] && set -- -L '^(unit|sim|property)$' -E '^explore\.bug_budgets$'
(cd build-san && ctest --output-on-failure -j "$(nproc)" --timeout 1800 "$@") || failed+=(ctest)

# tests/explore_budget_test.sh's clean-engine check, 200 seeds in all.
stage explore
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for profile in faults migration; do
  build-san/cli/slotsim explore --seeds 100 --profile "$profile" --jobs 2 --keep-going \
    --out "$work/$profile" || failed+=("explore --profile $profile")
done

stage ""
if [ ${#failed[@]} -gt 0 ]; then
  echo "sanitize: FAILED (${failed[*]}) after $((SECONDS - all_start)) s"
  exit 1
fi
echo "sanitize: all stages passed in $((SECONDS - all_start)) s"
