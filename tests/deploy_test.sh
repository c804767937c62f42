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
sbatch = open(os.path.join(root, "slurm/sweep.sbatch")).read()
arr = re.search(r"^#SBATCH --array=(\d+)-(\d+)$", sbatch, re.M)
assert arr, "sweep.sbatch has no --array=A-B line"
tasks = int(arr.group(2)) - int(arr.group(1)) + 1
cmd = re.search(r'^exec "\$SLOTSIM" (.*?)(?<!\\)$', sbatch.replace("\\\n", " "), re.M)
assert cmd, "sweep.sbatch has no exec line"
args = cmd.group(1).replace('"$SCENARIOS"', "scenarios").replace('"$SEEDS"', "200")
args = args.replace("${SLURM_ARRAY_TASK_ID}", "0").replace('"', "")
assert "--shard=%d" % tasks in args.split(), ("the shard count must match the array", args)
print("SLURM " + " ".join(args.split()))
PY
bash -n "$src/deploy/slurm/sweep.sbatch" || { echo "FAIL: sweep.sbatch syntax"; exit 1; }
failures=0
cd "$src"
while read -r origin cmd; do
  # shellcheck disable=SC2086
  if [ "$origin" = K8S ]; then
    cmd=${cmd//\/src\/scenarios/scenarios}
    JOB_COMPLETION_INDEX=3 "$bin" $cmd --list >"$work/out" 2>&1
  elif [ "$origin" = SLURM ]; then
    SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=0 "$bin" $cmd --list >"$work/out" 2>&1
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
