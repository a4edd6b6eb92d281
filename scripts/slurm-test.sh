#!/usr/bin/env bash
# End-to-end test of `deni slurm` on a one-node Slurm cluster started here.
#
#   scripts/slurm-test.sh            full test (needs root, apt for the first install)
#   scripts/slurm-test.sh --smoke    only start Slurm and run an array of `hostname` tasks
#
# It installs Debian's slurm-wlm and munge when they are missing, starts
# munged, slurmctld and slurmd by hand on localhost (no systemd needed),
# builds bin/deni, runs scripts/slurm/tiny.yaml once locally (`deni run --out
# A`) and once through Slurm (`deni slurm --tasks 2 --submit --out B`), waits
# for the jobs and compares the two results folders bit for bit, except the
# columns that measure the execution (times, CPU, memory). The daemons it
# started are stopped by PID on exit.
#
# Environment:
#   SLURM_TEST_TIMEOUT=900       seconds to wait for the jobs
#   SLURM_TEST_ALLOW_FAILED=1    accept runs that failed (same status and error
#                                on both sides): tests the plumbing before the
#                                trainer works
#   SLURM_TEST_KEEP=1            keep the scratch folder (it is kept on failure)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
smoke_only=0
case "${1:-}" in
  --smoke) smoke_only=1 ;;
  "") ;;
  *) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
esac
timeout=${SLURM_TEST_TIMEOUT:-900}
allow_failed=${SLURM_TEST_ALLOW_FAILED:-0}
# One OpenBLAS thread, as `make` and the generated job scripts set it: a
# multi-threaded OpenBLAS sums in a different order and changes the last bits.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
spec=scripts/slurm/tiny.yaml
experiment=$(sed -n 's/^name: *//p' "$spec")

say() { printf '[slurm-test] %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: it installs packages and starts munged, slurmctld and slurmd"
for d in slurmctld slurmd; do
  if pgrep -x "$d" >/dev/null; then die "$d is already running (pid $(pgrep -x "$d" | tr '\n' ' ')): stop it first"; fi
done

# --- install -----------------------------------------------------------------
need=()
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- scratch folder, cleanup ---------------------------------------------------
scratch=$(mktemp -d "${TMPDIR:-/tmp}/deni-slurm-test.XXXXXX")
conf=$scratch/slurm
mkdir -p "$conf"/{state,spool,log}
export SLURM_CONF=$conf/slurm.conf
pids=()      # daemons this script started, stopped in reverse order
jobs_ids=()  # jobs to cancel if we stop early
ok=0

cleanup() {
  local rc=$?
  set +e
  if [ ${#jobs_ids[@]} -gt 0 ] && [ -n "$(squeue -h -j "$(IFS=,; echo "${jobs_ids[*]}")" 2>/dev/null)" ]; then
    say "cancelling jobs ${jobs_ids[*]}"
    scancel "${jobs_ids[@]}" 2>/dev/null
    sleep 1
  fi
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null
  done
  for i in $(seq 50); do
    local alive=0 p
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && { say "pid $p did not stop; killing it"; kill -9 "$p"; }; done
  if [ $ok = 1 ] && [ "${SLURM_TEST_KEEP:-0}" != 1 ]; then
    rm -rf "$scratch"
  else
    say "logs and results kept in $scratch"
    [ $ok = 1 ] || for f in "$conf"/log/*.log; do say "--- tail $f"; tail -n 20 "$f" >&2; done
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- configure and start -----------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
cat >"$SLURM_CONF" <<EOF
ClusterName=denitest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$conf/state
SlurmdSpoolDir=$conf/spool
SlurmctldPidFile=$conf/slurmctld.pid
SlurmdPidFile=$conf/slurmd.pid
SlurmctldLogFile=$conf/log/slurmctld.log
SlurmdLogFile=$conf/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=3600
MpiDefault=none
SwitchType=switch/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

if pgrep -x munged >/dev/null; then
  say "using the running munged"
else
  if [ ! -s /etc/munge/munge.key ]; then
    say "creating /etc/munge/munge.key"
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  [ -s /run/munge/munged.pid ] || die "munged did not start"
  pids+=("$(cat /run/munge/munged.pid)")
fi
munge -n | unmunge >/dev/null || die "munge does not work"

start_daemon() { # name pidfile
  "/usr/sbin/$1" -f "$SLURM_CONF"
  for _ in $(seq 100); do [ -s "$2" ] && break; sleep 0.1; done
  [ -s "$2" ] || die "$1 did not start"
  pids+=("$(cat "$2")")
}
start_daemon slurmctld "$conf/slurmctld.pid"
start_daemon slurmd "$conf/slurmd.pid"
for _ in $(seq 150); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || die "the node is not idle: '$state'"
say "Slurm is up: $(sinfo -h -o '%P %a %D %T %N')"

# wait_jobs ID...: wait until the jobs have left the queue.
wait_jobs() {
  local ids deadline
  ids=$(IFS=,; echo "$*")
  deadline=$((SECONDS + timeout))
  while [ -n "$(squeue -h -j "$ids" 2>/dev/null)" ]; do
    [ $SECONDS -lt $deadline ] || die "jobs $ids still queued after ${timeout}s: $(squeue -h -j "$ids")"
    sleep 1
  done
}
# job_states ID: "JobState ExitCode" of the job (one line per array task).
job_states() {
  scontrol -o show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).* ExitCode=\([0-9:]*\).*/\1 \2/p'
}
all_completed() { # ID
  local s
  s=$(job_states "$1")
  [ -n "$s" ] && ! grep -qv '^COMPLETED 0:0$' <<<"$s"
}

# --- smoke: an array of hostname tasks -----------------------------------------
cat >"$scratch/smoke.sh" <<'EOF'
#!/bin/bash
echo "task $SLURM_ARRAY_TASK_ID of $SLURM_ARRAY_TASK_COUNT on $(hostname)"
EOF
jid=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --mem=64M --output="$scratch/smoke-%a.out" "$scratch/smoke.sh")
jobs_ids+=("$jid")
wait_jobs "$jid"
all_completed "$jid" || die "smoke array job $jid: $(job_states "$jid" | tr '\n' ' ')"
for i in 0 1 2 3; do grep -q "^task $i of 4 on " "$scratch/smoke-$i.out" || die "smoke task $i output: $(cat "$scratch/smoke-$i.out")"; done
say "smoke array job $jid: 4 tasks COMPLETED"
if [ $smoke_only = 1 ]; then ok=1; exit 0; fi

# --- build, run locally ---------------------------------------------------------
say "building bin/deni"
make -s build
deni=$repo/bin/deni

# --- the generated scripts with a stub binary: arguments and the dependency ---
stub=$scratch/stub/deni
mkdir -p "$scratch/stub"
cat >"$stub" <<'EOF'
#!/bin/bash
echo "${SLURM_ARRAY_TASK_ID:-none} $*" >>"$(dirname "$0")/calls.log"
EOF
chmod +x "$stub"
out=$("$deni" slurm -c "$spec" --tasks 2 --mem 64M --submit --out "$scratch/S" --bin "$stub")
read -r work_id agg_id < <(sed -n 's/^submitted array job \([0-9]*\) and aggregation job \([0-9]*\).*/\1 \2/p' <<<"$out") || true
[ -n "${work_id:-}" ] && [ -n "${agg_id:-}" ] || die "no job IDs in: $out"
jobs_ids+=("$work_id" "$agg_id")
wait_jobs "$work_id" "$agg_id"
all_completed "$work_id" || die "stub array job $work_id: $(job_states "$work_id" | tr '\n' ' ')"
all_completed "$agg_id" || die "stub aggregation job $agg_id: $(job_states "$agg_id" | tr '\n' ' ')"
calls=$scratch/stub/calls.log
for i in 0 1; do
  grep -qxF "$i work -c $repo/$spec --shard auto --shards 2 --out $scratch/S --workers 1" "$calls" ||
    die "stub task $i was not called as expected: $(cat "$calls")"
done
[ "$(tail -n 1 "$calls")" = "none aggregate --results $scratch/S/$experiment" ] ||
  die "the aggregation did not run last: $(cat "$calls")"
say "generated scripts: array tasks 0 and 1 ran deni work, then the aggregation job (afterok)"

say "local run: deni run --out $scratch/A"
set +e
"$deni" run -c "$spec" --out "$scratch/A" --workers 2 2>"$scratch/local.log"
rc=$?
set -e
if [ $rc != 0 ]; then
  if [ $rc = 2 ] && [ "$allow_failed" = 1 ]; then
    say "local run: some runs failed (accepted: SLURM_TEST_ALLOW_FAILED=1)"
  else
    cat "$scratch/local.log" >&2
    die "local run exited with $rc"
  fi
fi

# --- run through Slurm ----------------------------------------------------------
say "Slurm run: deni slurm --tasks 2 --submit --out $scratch/B"
out=$("$deni" slurm -c "$spec" --tasks 2 --cpus-per-task 1 --mem 1G --time 30:00 --submit --out "$scratch/B")
echo "$out" >&2
read -r work_id agg_id < <(sed -n 's/^submitted array job \([0-9]*\) and aggregation job \([0-9]*\).*/\1 \2/p' <<<"$out") || true
[ -n "${work_id:-}" ] && [ -n "${agg_id:-}" ] || die "no job IDs in the output of deni slurm"
jobs_ids+=("$work_id" "$agg_id")
grep -q "^#SBATCH --array=0-1$" "$scratch/B/$experiment/slurm/work.sbatch" || die "work.sbatch has no --array=0-1"
wait_jobs "$work_id" "$agg_id"
say "array job $work_id: $(job_states "$work_id" | sort | uniq -c | tr '\n' ' ')"
say "aggregation job $agg_id: $(job_states "$agg_id" | tr '\n' ' ')"
for f in "$scratch/B/$experiment/slurm/logs/"*; do say "--- $f"; tail -n 5 "$f" >&2; done
if ! all_completed "$work_id"; then
  if [ "$allow_failed" = 1 ]; then
    say "array tasks did not all complete (accepted: SLURM_TEST_ALLOW_FAILED=1)"
  else
    die "array job $work_id did not complete"
  fi
fi
if "$deni" aggregate --help >/dev/null 2>&1; then
  if all_completed "$work_id"; then
    all_completed "$agg_id" || die "aggregation job $agg_id did not complete"
  fi
else
  say "deni has no aggregate command yet: the aggregation job's outcome is not checked"
fi

# --- compare --------------------------------------------------------------------
flags=()
[ "$allow_failed" = 1 ] && flags+=(-allow-failed)
go run ./scripts/slurm/compare "${flags[@]}" "$scratch/A/$experiment" "$scratch/B/$experiment" ||
  die "the local and the Slurm results differ"
ok=1
say "PASS"
