#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that reads peer or user input
# (RESP requests and replies, bus frames, scenario files) and of the
# loaders of a node's own files (nodes.conf, the AOF) with libFuzzer and
# ASan. Opt-in: not part of the test command. Builds into build-fuzz/.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# Crashes are written to build-fuzz/crashes/<target>/. Seeds in
# tests/fuzz/corpus/<target>/ and a dictionary tests/fuzz/<target>.dict
# are used when present (the corpus that grows is build-fuzz/corpus/).
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (e.g. "-fork=2
# -ignore_crashes=1" to keep going past a crash).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(resp_request_fuzzer resp_reply_fuzzer bus_frame_fuzzer scenario_fuzzer dump_payload_fuzzer
  nodes_conf_fuzzer aof_loader_fuzzer)
scripts/setup.sh
if ! command -v clang++ >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'ok installed'; then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLOTSIM_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"
status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  extra=()
  [ -f "tests/fuzz/$t.dict" ] && extra+=(-dict="tests/fuzz/$t.dict")
  seeds=()
  [ -d "tests/fuzz/corpus/$t" ] && seeds+=("tests/fuzz/corpus/$t")
  echo "== $t for ${seconds}s"
  # shellcheck disable=SC2086  # FUZZ_FLAGS is split on purpose
  if ! "build-fuzz/tests/fuzz/$t" -max_total_time="$seconds" -max_len=4096 "${extra[@]}" ${FUZZ_FLAGS:-} \
      -artifact_prefix="build-fuzz/crashes/$t/" "build-fuzz/corpus/$t" "${seeds[@]}" 2>"build-fuzz/$t.log"; then
    echo "$t FOUND A CRASH: see build-fuzz/$t.log and build-fuzz/crashes/$t/"
    status=1
  fi
  tail -1 "build-fuzz/$t.log"
done
exit $status
