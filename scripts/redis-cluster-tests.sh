#!/usr/bin/env bash
# Runs Redis's own cluster test suite (tests/cluster/ of a Redis source
# tree, tag 7.0.15) against slotsim nodes and against Debian's
# redis-server, and prints one line per test file and server: pass, or the
# first failing test with its message.
#
#   scripts/redis-cluster-tests.sh REDIS_SOURCE_DIR [TEST ...]
#       TEST: a file name under tests/cluster/tests without .tcl
#       (default: all of them, in order)
#   TARGETS="slotsim redis" (default both), SLOTSIM=path/to/slotsim,
#   TIMEOUT=seconds per file (default 600), KEEP=1 keeps the work tree.
#
# Get the source with `git clone --branch 7.0.15 https://github.com/redis/redis`
# (not needed for CI: this script is not part of it). Needs tclsh (Debian
# tcl), redis-server and redis-cli (redis-server, redis-tools).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src=${1:?usage: scripts/redis-cluster-tests.sh REDIS_SOURCE_DIR [TEST ...]}
shift
[ -f "$src/runtest-cluster" ] && [ -d "$src/tests/cluster/tests" ] ||
  { echo "redis-cluster-tests: $src is not a Redis source tree (no runtest-cluster)" >&2; exit 2; }
for tool in tclsh redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "redis-cluster-tests: $tool missing (apt-get install tcl redis-server redis-tools)" >&2; exit 2; }
done
slotsim=${SLOTSIM:-$here/build/cli/slotsim}
targets=${TARGETS:-slotsim redis}
per_file=${TIMEOUT:-600}
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  for f in "$src"/tests/cluster/tests/*.tcl; do tests+=("$(basename "$f" .tcl)"); done
fi

work=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
status=0
for target in $targets; do
  tree="$work/$target"
  mkdir -p "$tree/src"
  cp -r "$src/tests" "$src/runtest-cluster" "$tree/"
  ln -s "$(command -v redis-cli)" "$tree/src/redis-cli"
  case "$target" in
    # The harness runs ../../../src/redis-server CONFIG and signals that
    # pid, so the stand-in must exec, not fork.
    slotsim) printf '#!/bin/sh\nexec "%s" node "$@"\n' "$slotsim" >"$tree/src/redis-server" ;;
    redis) printf '#!/bin/sh\nexec "%s" "$@"\n' "$(command -v redis-server)" >"$tree/src/redis-server" ;;
    *) echo "redis-cluster-tests: unknown target $target (slotsim or redis)" >&2; exit 2 ;;
  esac
  chmod +x "$tree/src/redis-server"
  for t in "${tests[@]}"; do
    log="$work/$target-$t.log"
    start=$(date +%s)
    if (cd "$tree" && timeout "$per_file" ./runtest-cluster --single "$t" >"$log" 2>&1) &&
       grep -q "GOOD! No errors" "$log"; then
      # A file Redis disabled (20, 21 at 7.0.15: `if {false}`) runs no test.
      if grep -q ": .*OK" "$log"; then result="pass"; else result="no test ran (disabled in this tag)"; fi
    else
      status=1
      # The first failed test and its message, without colour codes.
      result=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -m1 -E "FAILED|exception|Timed out|timeout" ||
               echo "failed (see the log; no FAILED line)")
      result="FAIL: ${result#*> }"
    fi
    printf '%-8s %-36s %4ss  %s\n' "$target" "$t" "$(( $(date +%s) - start ))" "${result:0:160}"
  done
done
exit $status
