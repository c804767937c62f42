#!/usr/bin/env bash
# The CI workflow end to end (the traces issue's "done when"):
#  1. every library scenario x SEEDS seeds (ctest: 10), --jobs 2, with JUnit, plus one
#     scenario made to fail on purpose: exit code, JUnit file and printed
#     repro command must be right;
#  2. replay reproduces the hash of every run of that suite;
#  3. diff pinpoints an injected nondeterminism at the right event;
#  4. kill -9 during a run leaves a readable database with the run crashed;
#  5. shards cover the seed space exactly once; merge keeps every run;
#     an old (schema 1) database is migrated with its typed rows;
#  6. bad databases, run ids and --shard values get exit 2.
#   traces_workflow_test.sh SLOTSIM_BINARY SOURCE_DIR [SEEDS]
set -uo pipefail
bin=$1
src=$2
seeds=${3:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_rc() {  # expect_rc WANT DESCRIPTION CMD...
  local want=$1 what=$2
  shift 2
  "$@" >"$work/out" 2>&1
  local rc=$?
  [ "$rc" -eq "$want" ] || { fail "$what: exit $rc, wanted $want"; sed 's/^/    /' "$work/out" | tail -5; }
}

# --- 1. The suite, with one scenario failing on purpose. -----------------
mkdir -p "$work/scenarios"
cp "$src"/scenarios/*.textproto "$work/scenarios/"
# bootstrap converges fine, so expecting converged-in-time makes it fail.
sed 's/^name: "bootstrap"/name: "bootstrap-expected-to-fail"/' "$src/scenarios/bootstrap.textproto" \
  >"$work/scenarios/zz-bootstrap-expected-to-fail.textproto"
echo 'expect { outcome: VIOLATION violation: "converged-in-time" }' \
  >>"$work/scenarios/zz-bootstrap-expected-to-fail.textproto"
start=$(date +%s)
"$bin" suite "$work/scenarios" --seeds "$seeds" --jobs 2 --db "$work/suite.db" \
  --junit "$work/junit.xml" >"$work/suite.out" 2>&1
rc=$?
echo "suite: exit $rc in $(( $(date +%s) - start )) s"
[ "$rc" -eq 1 ] || { fail "suite exit $rc, wanted 1"; tail -20 "$work/suite.out"; }
files=$(ls "$work"/scenarios/*.textproto | wc -l)
pinned=$(grep -l '^pinned_seeds' "$work"/scenarios/*.textproto | wc -l)
pinned_runs=0
for f in $(grep -l '^pinned_seeds' "$work"/scenarios/*.textproto); do
  n=$(grep '^pinned_seeds' "$f" | tr -cd ',' | wc -c)
  pinned_runs=$((pinned_runs + n + 1))
done
want_runs=$(( (files - pinned) * seeds + pinned_runs ))
runs=$(sqlite3 "$work/suite.db" "SELECT count(*) FROM runs")
[ "$runs" -eq "$want_runs" ] || fail "suite db has $runs runs, wanted $want_runs"
unexpected=$(sqlite3 "$work/suite.db" "SELECT count(*) FROM runs WHERE outcome NOT IN ('pass', 'expected')")
[ "$unexpected" -eq "$seeds" ] || fail "$unexpected runs not passing, wanted $seeds (the planted failure)"
bad=$(sqlite3 "$work/suite.db" "SELECT count(*) FROM runs WHERE outcome NOT IN ('pass', 'expected') AND scenario != 'bootstrap-expected-to-fail'")
[ "$bad" -eq 0 ] || fail "$bad library runs failed: $(sqlite3 "$work/suite.db" "SELECT scenario||' seed '||seed FROM runs WHERE outcome NOT IN ('pass', 'expected') AND scenario != 'bootstrap-expected-to-fail'" | head -5 | tr '\n' ';')"
# JUnit: well-formed, the right totals, a failure per planted seed with its repro.
python3 - "$work/junit.xml" "$want_runs" "$seeds" <<'PY' || fail "JUnit file is wrong"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
want_tests, want_failures = int(sys.argv[2]), int(sys.argv[3])
assert root.tag == "testsuites", root.tag
assert int(root.get("tests")) == want_tests, (root.get("tests"), want_tests)
assert int(root.get("failures")) == want_failures, root.get("failures")
assert int(root.get("errors")) == 0, root.get("errors")
cases = root.findall("./testsuite/testcase")
assert len(cases) == want_tests, len(cases)
failed = [c for c in cases if c.find("failure") is not None]
assert len(failed) == want_failures
for c in failed:
    assert c.get("classname") == "slotsim.bootstrap-expected-to-fail", c.get("classname")
    f = c.find("failure")
    seed = c.get("name").split()[1]
    assert "repro: slotsim run " in f.text and ("--seed " + seed) in f.text, f.text
    assert "converged-in-time" in f.get("message"), f.get("message")
PY
grep -q "^suite: $((want_runs - seeds)) passed, $seeds failed (0 crashed)" "$work/suite.out" ||
  fail "suite summary line wrong: $(grep '^suite:' "$work/suite.out")"
repro=$(grep -m1 '^repro: ' "$work/suite.out" | sed 's/^repro: //')
[[ "$repro" == "slotsim run $work/scenarios/zz-bootstrap-expected-to-fail.textproto --seed 1" ]] ||
  fail "first repro line is '$repro'"
expect_rc 1 "the printed repro command" ${repro/#slotsim/$bin} --no-trace
grep -q "outcome=violation" "$work/out" || fail "repro did not report the violation"

# --- 2. Replay every run of that suite. ----------------------------------
"$bin" replay "$work/suite.db" --all --jobs 2 >"$work/replay.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { fail "replay exit $rc"; grep -v ' same$' "$work/replay.out" | head; }
grep -q "^replay: $want_runs same, 0 differ, 0 crashed, 0 without a recorded hash" "$work/replay.out" ||
  fail "replay summary: $(tail -1 "$work/replay.out")"

# --- 3. diff finds an injected nondeterminism. ----------------------------
sc="$src/scenarios/primary-crash-failover.textproto"
"$bin" run "$sc" --seed 3 --db "$work/a.db" >/dev/null 2>&1
"$bin" run "$sc" --seed 3 --db "$work/b.db" --debug-perturb-at-ms 16000 >/dev/null 2>&1
expect_rc 1 "diff of a perturbed run" "$bin" diff "$work/a.db:1" "$work/b.db:1"
reported=$(sed -n 's/^first difference after [0-9]* equal records, at seq \([0-9]*\):$/\1/p' "$work/out")
# The oracle: SQLite itself, comparing the two event tables row by row.
truth=$(sqlite3 "$work/a.db" "ATTACH '$work/b.db' AS b;
  SELECT min(x.seq) FROM events x JOIN b.events y ON y.run_id = 1 AND y.seq = x.seq
  WHERE x.run_id = 1 AND (x.time_us != y.time_us OR x.node != y.node OR x.kind != y.kind OR x.peer != y.peer
     OR x.msg_type != y.msg_type OR x.details != y.details)")
at=$(sqlite3 "$work/a.db" "SELECT time_us FROM events WHERE run_id = 1 AND seq = $truth")
[ -n "$reported" ] && [ "$reported" = "$truth" ] || fail "diff reported seq '$reported', the first difference is $truth"
[ "$at" -ge 16000000 ] || fail "the first difference is at $at us, before the perturbation at 16 s"
expect_rc 0 "diff of a run with itself" "$bin" diff "$work/a.db:1" "$work/a.db:1"

# --- 4. kill -9 mid-run. --------------------------------------------------
"$bin" run "$src/scenarios/scale-in.textproto" --db "$work/killed.db" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do  # until the first batch is committed (10 s at most)
  n=$(sqlite3 "$work/killed.db" "SELECT count(*) FROM events" 2>/dev/null || echo 0)
  [ "${n:-0}" -gt 0 ] && break
  sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
expect_rc 0 "runs on the killed database" "$bin" runs "$work/killed.db"
grep -Eq '^ +1 +scale-in +1 +crashed ' "$work/out" || { fail "killed run not shown as crashed"; cat "$work/out"; }
events=$(sqlite3 "$work/killed.db" "SELECT count(*) FROM events WHERE run_id = 1")
[ "$events" -gt 0 ] || fail "no events readable after kill -9"

# --- 5. Shards, merge, migration. -----------------------------------------
lib="$src/scenarios"
"$bin" suite "$lib" --seeds 7 --list | sort >"$work/all.list"
: >"$work/shards.list"
for i in 0 1 2; do "$bin" suite "$lib" --seeds 7 --shard "$i/3" --list >>"$work/shards.list"; done
JOB_COMPLETION_INDEX=1 "$bin" suite "$lib" --seeds 7 --shard 3 --list >"$work/env.list"
"$bin" suite "$lib" --seeds 7 --shard 1/3 --list >"$work/one.list"
cmp -s "$work/env.list" "$work/one.list" || fail "--shard 3 with JOB_COMPLETION_INDEX=1 differs from --shard 1/3"
[ -z "$(sort "$work/shards.list" | uniq -d)" ] || fail "a run is in two shards"
sort "$work/shards.list" | cmp -s - "$work/all.list" || fail "the shards do not cover every run"
[ "$(wc -l <"$work/all.list")" -gt 100 ] || fail "the shard test planned too few runs"
small="$src/scenarios/single-primary.textproto"
"$bin" suite "$small" --seeds 4 --shard 0/2 --db "$work/s0.db" >/dev/null 2>&1
"$bin" suite "$small" --seeds 4 --shard 1/2 --db "$work/s1.db" >/dev/null 2>&1
expect_rc 0 "merge" "$bin" merge "$work/merged.db" "$work/s0.db" "$work/s1.db"
q() { sqlite3 "$1" "SELECT seed||' '||trace_hash||' '||events||' '||(SELECT count(*) FROM events e WHERE e.run_id=r.id)||' '||(SELECT count(*) FROM client_ops c WHERE c.run_id=r.id) FROM runs r ORDER BY seed"; }
{ q "$work/s0.db"; q "$work/s1.db"; } | sort >"$work/parts.rows"
q "$work/merged.db" | sort >"$work/merged.rows"
cmp -s "$work/parts.rows" "$work/merged.rows" || { fail "merge lost or changed runs"; diff "$work/parts.rows" "$work/merged.rows" | head; }
[ "$(wc -l <"$work/merged.rows")" -eq 4 ] || fail "merged db has $(wc -l <"$work/merged.rows") runs, wanted 4"
expect_rc 0 "replay of merged runs" "$bin" replay "$work/merged.db" --all
# Schema 1 -> 2: a schema-1 file with one run, made by hand.
sqlite3 "$work/v1.db" "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs(id INTEGER PRIMARY KEY, seed INTEGER NOT NULL, scenario TEXT NOT NULL,
  scenario_path TEXT, build TEXT, settings TEXT, started_at TEXT, outcome TEXT NOT NULL,
  violations TEXT, sim_seconds REAL, events INTEGER, trace_hash TEXT, wall_seconds REAL,
  converged_ms INTEGER, ops INTEGER, ops_ok INTEGER);
CREATE TABLE events(run_id INTEGER NOT NULL, seq INTEGER NOT NULL, time_us INTEGER NOT NULL,
  node INTEGER NOT NULL, kind TEXT NOT NULL, peer INTEGER NOT NULL, msg_type TEXT NOT NULL,
  details TEXT NOT NULL, PRIMARY KEY(run_id, seq)) WITHOUT ROWID;
INSERT INTO meta VALUES('schema_version', '1');
ATTACH '$work/s0.db' AS s;
INSERT INTO runs SELECT id, seed, scenario, scenario_path, build, settings, started_at, outcome,
  violations, sim_seconds, events, trace_hash, wall_seconds, converged_ms, ops, ops_ok FROM s.runs WHERE id = 1;
INSERT INTO events SELECT * FROM s.events WHERE run_id = 1;"
expect_rc 0 "merge of a schema-1 database" "$bin" merge "$work/from-v1.db" "$work/v1.db"
for t in nodes messages client_ops node_states; do
  a=$(sqlite3 "$work/s0.db" "SELECT count(*) FROM $t WHERE run_id = 1")
  b=$(sqlite3 "$work/from-v1.db" "SELECT count(*) FROM $t WHERE run_id = 1")
  [ "$a" -eq "$b" ] && [ "$a" -gt 0 ] || fail "$t rows derived from schema 1: $b, written directly: $a"
done
expect_rc 0 "runs on a schema-1 database (migrates it)" "$bin" runs "$work/v1.db"
[ "$(sqlite3 "$work/v1.db" "SELECT value FROM meta WHERE key = 'schema_version'")" = 3 ] ||
  fail "schema-1 database not migrated"

# Schema 2 -> 3: a copy of a partition run's database taken back to version 2 (no error-kind
# columns, no type index) gets its columns refilled from the records.
"$bin" run "$src/scenarios/partition-minority-primary.textproto" --seed 1 --db "$work/v3.db" >/dev/null 2>&1
cp "$work/v3.db" "$work/v2.db"
sqlite3 "$work/v2.db" "DROP INDEX messages_by_type; ALTER TABLE client_ops DROP COLUMN asks;
  ALTER TABLE client_ops DROP COLUMN tryagain; ALTER TABLE client_ops DROP COLUMN clusterdown;
  UPDATE meta SET value = '2' WHERE key = 'schema_version'" || fail "cannot make a schema-2 copy"
expect_rc 0 "runs on a schema-2 database (migrates it)" "$bin" runs "$work/v2.db"
q="SELECT sum(asks), sum(tryagain), sum(clusterdown) FROM client_ops"
[ "$(sqlite3 "$work/v2.db" "$q")" = "$(sqlite3 "$work/v3.db" "$q")" ] ||
  fail "schema-2 migration: error kinds $(sqlite3 "$work/v2.db" "$q"), written directly: $(sqlite3 "$work/v3.db" "$q")"
[ "$(sqlite3 "$work/v3.db" "SELECT sum(clusterdown) FROM client_ops")" -gt 0 ] ||
  fail "the schema-2 migration check needs a run with CLUSTERDOWN replies"
[ "$(sqlite3 "$work/v1.db" "SELECT count(*) FROM node_states")" -gt 0 ] || fail "migration left node_states empty"
expect_rc 2 "replay of a schema-1 run (no stored scenario)" "$bin" replay "$work/v1.db" --run 1

# --- 6. Bad input. --------------------------------------------------------
head -c 4096 /dev/urandom >"$work/corrupt.db"
sqlite3 "$work/foreign.db" "CREATE TABLE t(x); INSERT INTO t VALUES(1)"
sqlite3 "$work/future.db" "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES('schema_version', '99')"
for db in corrupt foreign future missing; do
  expect_rc 2 "runs on a $db database" "$bin" runs "$work/$db.db"
  expect_rc 2 "replay on a $db database" "$bin" replay "$work/$db.db" --all
  expect_rc 2 "diff on a $db database" "$bin" diff "$work/$db.db:1" "$work/a.db:1"
  expect_rc 2 "merge from a $db database" "$bin" merge "$work/m-$db.db" "$work/$db.db"
done
expect_rc 2 "suite into a corrupt database" "$bin" suite "$small" --seeds 1 --db "$work/corrupt.db"
cmp -s <(sqlite3 "$work/foreign.db" "SELECT * FROM t") <(echo 1) || fail "a foreign database was changed"
expect_rc 2 "replay of an unknown run" "$bin" replay "$work/a.db" --run 42
expect_rc 2 "diff of an unknown run" "$bin" diff "$work/a.db:42" "$work/a.db:1"
expect_rc 2 "diff without a run id" "$bin" diff "$work/a.db" "$work/a.db:1"
for bad in 3/3 -1/3 x/3 1/0 1/x 1/2/3 3 ""; do
  expect_rc 2 "--shard '$bad'" env -u JOB_COMPLETION_INDEX "$bin" suite "$small" --shard "$bad" --list
done

[ "$failures" -eq 0 ] && echo "traces workflow: all held" || exit 1
