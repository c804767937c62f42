#!/usr/bin/env bash
# Opt-in (ctest label `cluster`): the Slurm sweep, on a real scheduler.
# Starts munge, slurmctld and slurmd on localhost with a private config,
# submits deploy/slurm/sweep.sbatch as an array of 4 over a small scenario
# directory (two passing scenarios and one that must fail), waits for it,
# and checks that:
#   - every planned (scenario, seed) run is in the merged database exactly
#     once, whichever task ran it;
#   - the task that ran the failing scenario exited 1, the others 0.
# Needs root and Debian's slurm-wlm and munge (scripts/setup.sh --cluster).
#   slurm_cluster_test.sh SLOTSIM_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1")
src=$(realpath "$2")
for tool in munged slurmctld slurmd sbatch scontrol; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (scripts/setup.sh --cluster)"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: slurmd must run as root here"; exit 1; }

work=$(mktemp -d /tmp/slotsim-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/log/*; do echo "--- $f"; tail -n 20 "$f"; done; exit 1; }

mkdir -p "$work"/{log,state,spool,munge,run,scenarios}
host=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
# Ports away from Slurm's defaults (6817/6818), so a real install is left alone.
ctld_port=$((17817 + RANDOM % 1000))
cat >"$work/slurm.conf" <<EOF
ClusterName=slotsimtest
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
export SLURM_CONF=$work/slurm.conf

munged --force --socket="$work/munge/munge.socket" --pid-file="$work/run/munged.pid" \
  --log-file="$work/log/munged.log" --seed-file="$work/munge/seed" || fail "munged did not start"
pids+=("$(cat "$work/run/munged.pid")")
slurmctld -D -i >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N "$host" >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
ready=0
for _ in $(seq 1 60); do
  if scontrol show node "$host" 2>/dev/null | grep -Eq "State=(IDLE|MIXED)"; then ready=1; break; fi
  sleep 1
done
[ "$ready" -eq 1 ] || fail "the Slurm node never became idle"

# Three scenarios x 3 seeds = 9 runs over 4 tasks. One scenario cannot
# converge in 1 ms, so the task that runs it finds a violation.
cp "$src/scenarios/single-primary.textproto" "$src/scenarios/bootstrap.textproto" "$work/scenarios/"
sed -e 's/^name: .*/name: "cannot-converge"/' -e 's/^convergence_bound_ms: .*/convergence_bound_ms: 1/' \
  "$src/scenarios/bootstrap.textproto" >"$work/scenarios/cannot-converge.textproto"
grep -q "convergence_bound_ms: 1$" "$work/scenarios/cannot-converge.textproto" ||
  fail "could not make the failing scenario"

cd "$work"
SLOTSIM=$bin SCENARIOS=$work/scenarios SEEDS=3 sbatch --parsable --wait \
  "$src/deploy/slurm/sweep.sbatch" >"$work/job" 2>"$work/log/sbatch.err"
sbatch_rc=$?
job=$(cut -d';' -f1 <"$work/job")
[ -n "$job" ] || fail "sbatch printed no job id"
# --wait exits with the highest exit code of the array's tasks.
[ "$sbatch_rc" -eq 1 ] || fail "sbatch --wait exit $sbatch_rc, wanted 1 (one task has a violation)"

# Which task should have failed: the shard that owns the failing runs.
"$bin" suite "$work/scenarios" --seeds 3 --list >"$work/plan"
[ "$(wc -l <"$work/plan")" -eq 9 ] || fail "the plan has $(wc -l <"$work/plan") runs, wanted 9"
declare -A want=()
for t in 0 1 2 3; do
  want[$t]=0
  grep -q cannot-converge < <("$bin" suite "$work/scenarios" --seeds 3 --shard "$t/4" --list) && want[$t]=1
done
for t in 0 1 2 3; do
  line=$(scontrol show job "${job}_$t" 2>/dev/null | grep -o "ExitCode=[0-9]*:[0-9]*" | head -n 1)
  got=${line#ExitCode=}
  got=${got%%:*}
  [ "$got" = "${want[$t]}" ] || fail "task $t exited '${got:-?}', wanted ${want[$t]}"
  [ -s "traces/shard-$t.db" ] || fail "task $t wrote no database"
done

"$bin" merge sweep.db traces/shard-*.db >"$work/log/merge.out" 2>&1 || fail "merge failed"
sqlite3 sweep.db "SELECT scenario || ' ' || seed FROM runs ORDER BY 1" >"$work/merged"
sed 's|^.*/||; s/\.textproto / /' "$work/plan" | sort >"$work/planned"
sed 's|^.*/||; s/\.textproto / /' "$work/merged" | sort >"$work/got"
if ! diff -u "$work/planned" "$work/got"; then
  fail "the merged database does not hold every planned run exactly once"
fi
failed=$(sqlite3 sweep.db "SELECT count(*) FROM runs WHERE outcome != 'pass'")
[ "$failed" -eq 3 ] || fail "$failed failing runs merged, wanted 3 (cannot-converge x 3 seeds)"
echo "ok: job $job, 4 tasks, 9 runs merged once each; failing task(s) exited 1"
