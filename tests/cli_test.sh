#!/usr/bin/env bash
# End-to-end checks of the slotsim command: exit codes, the summary line,
# JSON output, determinism checking, trace database rows, crash handling
# and a suite with a deliberately failing scenario.
#   cli_test.sh SLOTSIM_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
pass=0

check() {  # check NAME CONDITION-COMMAND...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); fi
}

run() {  # run EXPECTED_CODE ARGS... ; leaves stdout in $out, stderr in $err
  "$bin" "${@:2}" >"$work/out" 2>"$work/err"
  code=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
  [ "$code" -eq "$1" ] || { echo "exit $code, wanted $1: slotsim ${*:2}"; echo "$err" | head -5; return 1; }
}

scen=$src/scenarios/bootstrap.textproto

# A passing run: exit 0, one key=value line with every required key.
check "run passes" run 0 run "$scen" --seed 3 --db "$work/t.db"
for key in outcome=pass scenario=bootstrap seed=3 sim_seconds=60.000 events= trace_hash= wall_seconds=; do
  check "summary has $key" grep -q -- "$key" <<<"$out"
done
hash1=$(grep -o 'trace_hash=[0-9a-f]*' <<<"$out")
check "run recorded in db" test "$(sqlite3 "$work/t.db" "select outcome from runs where seed=3")" = pass
check "events recorded" test "$(sqlite3 "$work/t.db" "select count(*) > 10000 from events")" = 1

# Same seed, same hash; --json carries the same hash.
check "json run" run 0 run "$scen" --seed 3 --no-trace --json
check "json has hash" grep -q "\"trace_hash\":\"${hash1#trace_hash=}\"" <<<"$out"
check "json is one object" grep -q '^{.*}$' <<<"$out"
check "determinism check" run 0 run "$scen" --seed 4 --no-trace --check-determinism
check "determinism=same" grep -q 'determinism=same' <<<"$out"

# Usage and input errors: exit 2 with a clear message.
check "no subcommand" run 2
check "unknown subcommand" run 2 frobnicate
check "missing file" run 2 run "$work/none.textproto"
check "missing file message" grep -q "none.textproto:1:1: cannot read file" <<<"$err"
printf 'name: "x"\ntopology {\n  primaries: 0\n}\nduration_ms: 5\n' >"$work/bad.textproto"
check "bad scenario" run 2 run "$work/bad.textproto"
check "bad scenario message" grep -q "bad.textproto:3:3: primaries must be in" <<<"$err"
printf 'name: "x"\ntopology { primaries: 3 \n' >"$work/syntax.textproto"
check "syntax error" run 2 run "$work/syntax.textproto"
check "syntax error location" grep -qE "syntax.textproto:[0-9]+:[0-9]+: " <<<"$err"
check "bad seed" run 2 run "$scen" --seed banana
check "unwritable db" run 2 run "$scen" --db /nonexistent/dir/t.db

# A crash: exit 3 with the seed and a repro command.
check "crash exit code" run 3 run "$scen" --seed 11 --no-trace --debug-crash-at-ms 100
check "crash names seed" grep -q "seed=11" <<<"$err"
check "crash repro" grep -q "repro: slotsim run .*bootstrap.textproto --seed 11" <<<"$err"

# A suite with one scenario that cannot converge: exit 1, repro printed.
mkdir -p "$work/suite"
cp "$scen" "$work/suite/a_bootstrap.textproto"
sed -e 's/bootstrap: CREATE/bootstrap: NONE/' -e 's/name: "bootstrap"/name: "never-forms"/' \
    -e 's/duration_ms: 60000/duration_ms: 12000/' -e '/^steps/d' -e 's/convergence_bound_ms: 20000/convergence_bound_ms: 10000/' "$scen" >"$work/suite/b_never.textproto"
check "suite fails" run 1 suite "$work/suite" --seeds 2 --db "$work/s.db"
check "suite summary" grep -q "suite: 2 passed, 2 failed" <<<"$out"
check "suite repro" grep -q "repro: slotsim run .*b_never.textproto --seed 1" <<<"$out"
check "suite db rows" test "$(sqlite3 "$work/s.db" "select count(*) from runs")" = 4
check "suite violation named" grep -q "violation converged-in-time" <<<"$out"

echo "$pass passed, $failures failed"
[ $failures -eq 0 ]
