#!/usr/bin/env bash
# The deploy/ examples stay in step with the CLI: both YAML files parse,
# and every slotsim command line in them is accepted (run with --list, so
# nothing is simulated), with placeholders filled in.
#   deploy_test.sh SLOTSIM_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$src/deploy" >"$work/commands" <<'PY' || { echo "FAIL: deploy YAML"; exit 1; }
import sys, yaml, re, os
root = sys.argv[1]
job = yaml.safe_load(open(os.path.join(root, "k8s/sweep-job.yaml")))
assert job["kind"] == "Job" and job["spec"]["completionMode"] == "Indexed"
n = job["spec"]["completions"]
args = job["spec"]["template"]["spec"]["containers"][0]["args"]
assert "--shard=%d" % n in args, ("the shard count must match completions", args)
print("K8S " + " ".join(a.replace("$(JOB_COMPLETION_INDEX)", "0") for a in args))
wf = yaml.safe_load(open(os.path.join(root, "ci/github-actions-sweep.yml")))
shards = wf["jobs"]["shard"]["strategy"]["matrix"]["shard"]
found = 0
for step in wf["jobs"]["shard"]["steps"]:
    run = step.get("run", "")
    if "slotsim suite" in run:
        cmd = run.replace("${{ matrix.shard }}", str(shards[-1])).replace("build/cli/slotsim ", "")
        assert "/%d" % len(shards) in cmd, ("shard count must match the matrix", cmd)
        print("CI " + " ".join(cmd.split()))
        found += 1
assert found == 1
PY
failures=0
cd "$src"
while read -r origin cmd; do
  # shellcheck disable=SC2086
  if [ "$origin" = K8S ]; then
    cmd=${cmd//\/src\/scenarios/scenarios}
    JOB_COMPLETION_INDEX=3 "$bin" $cmd --list >"$work/out" 2>&1
  else
    "$bin" $cmd --list >"$work/out" 2>&1
  fi
  rc=$?
  if [ "$rc" -ne 0 ] || [ ! -s "$work/out" ]; then
    echo "FAIL: $origin command '$cmd' exit $rc"; cat "$work/out"; failures=$((failures + 1))
  else
    echo "ok: $origin command plans $(wc -l <"$work/out") runs"
  fi
done <"$work/commands"
[ "$failures" -eq 0 ]
