#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that reads peer or user input
# (RESP requests and replies, bus frames, scenario files) with libFuzzer
# and ASan. Opt-in: not part of the test command. Builds into build-fuzz/.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# Crashes are written to build-fuzz/crashes/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(resp_request_fuzzer resp_reply_fuzzer bus_frame_fuzzer scenario_fuzzer dump_payload_fuzzer)
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
  echo "== $t for ${seconds}s"
  if ! "build-fuzz/tests/fuzz/$t" -max_total_time="$seconds" -max_len=4096 \
      -artifact_prefix="build-fuzz/crashes/$t/" "build-fuzz/corpus/$t" 2>"build-fuzz/$t.log"; then
    echo "$t FOUND A CRASH: see build-fuzz/$t.log and build-fuzz/crashes/$t/"
    status=1
  fi
  tail -1 "build-fuzz/$t.log"
done
exit $status
