#!/usr/bin/env bash
# The bug zoo's seed budgets: `slotsim explore` must find each switched-on
# bug within its budget, shrink it to at most 10 fault steps, and the
# written file must reproduce from the printed command; the clean engine
# must pass the largest budget (the same seeds).
#   explore_budget_test.sh SLOTSIM_BINARY BUDGETS_FILE
# The budgets live in tests/bug_budgets.txt and README.md ("Bug zoo");
# bench/explore_bench.sh measures the seeds actually needed.
set -uo pipefail
bin=$1
budgets_file=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

mapfile -t budgets < <(grep -v '^#' "$budgets_file" | grep -v '^$')
[ "${#budgets[@]}" -gt 0 ] || { echo "no budgets in $budgets_file"; exit 1; }

declare -A max_budget=()
for row in "${budgets[@]}"; do
  read -r bug budget profile violation <<<"$row"
  (( budget > ${max_budget[$profile]:-0} )) && max_budget[$profile]=$budget
  out=$("$bin" explore --seeds "$budget" --profile "$profile" --jobs 2 --inject-bug "$bug" --shrink-runs 100 \
        --out "$work/$bug" --json 2>"$work/$bug.err")
  code=$?
  [ "$code" -eq 1 ] || { fail "$bug: explore exit $code, wanted 1 (not found in $budget seeds)"; continue; }
  # With --json, stdout is the one JSON object (the progress goes to stderr).
  [ "$(wc -l <<<"$out")" -eq 1 ] && jq -e . <<<"$out" >/dev/null ||
    fail "$bug: --json stdout is not exactly one JSON line: $(head -c 200 <<<"$out")"
  json=$out
  seed=$(jq -r .finding.seed <<<"$json")
  got=$(jq -r .finding.violation <<<"$json")
  steps=$(jq -r .finding.fault_steps <<<"$json")
  file=$(jq -r .finding.file <<<"$json")
  repro=$(jq -r .finding.repro <<<"$json")
  [ "$got" = "$violation" ] || fail "$bug: found $got, wanted $violation"
  [ "$steps" -le 10 ] || fail "$bug: shrunk scenario has $steps fault steps (> 10)"
  [ "$(jq -r .finding.reproduced <<<"$json")" = true ] || fail "$bug: file did not reproduce"
  grep -q "^# Reproduce: $repro\$" "$file" || fail "$bug: file header lacks the repro command"
  # The printed command, run as printed (with our binary), reproduces.
  ${repro/#slotsim/$bin} --no-trace >"$work/repro.out" 2>&1
  rc=$?
  [ "$rc" -eq 1 ] || fail "$bug: repro exit $rc, wanted 1"
  grep -q "violation $violation" "$work/repro.out" || fail "$bug: repro did not show $violation"
  echo "ok: $bug found at seed $seed (budget $budget), $steps fault steps"
done

# The clean engine passes the same seeds, in each profile.
for profile in "${!max_budget[@]}"; do
  n=${max_budget[$profile]}
  if ! "$bin" explore --seeds "$n" --profile "$profile" --jobs 2 --out "$work/clean" \
       >"$work/clean.out" 2>&1; then
    fail "clean engine fails within $n seeds of profile $profile:"
    cat "$work/clean.out"
  fi
done

[ "$failures" -eq 0 ] && echo "explore budgets: all held" || exit 1
