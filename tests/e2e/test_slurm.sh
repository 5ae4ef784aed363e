#!/usr/bin/env bash
# Trials as Slurm job steps, on a real single-node cluster that
# scripts/slurm-cluster.sh brings up here (Debian's slurm-wlm and munge): the same
# assertions as the local tests. Curves stream while trials run, cancel reaches
# the worker's handler (SIGUSR1 through srun), a crash is reported with its
# signal, early stopping works, and the daemon survives a restart mid-sweep.
# If Slurm cannot start on this machine, the test says so loudly and skips.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLUSTER=$TMP/slurm

cleanup_extra() { "$ROOT/scripts/slurm-cluster.sh" down "$CLUSTER" >/dev/null 2>&1; }
if ! up=$("$ROOT/scripts/slurm-cluster.sh" up "$CLUSTER" 2>"$TMP/slurm-up.log"); then
	echo "SKIP: SLURM CANNOT START ON THIS MACHINE: $(tail -1 "$TMP/slurm-up.log")"
	exit 77
fi
eval "$up"
export SLURM_CONF

spec() { # NAME EPOCHS EPOCH_MS EXTRA
	printf '{"name": "%s", "trials": 4, "seed": 8, "task": "bowl",
	  "objective": {"metric": "val_loss", "mode": "min"}, %s
	  "train": {"epochs": %d, "epoch_ms": %d}, "params": {"lr": {"log": [1e-4, 1e-1]}}}' \
		"$1" "$4" "$2" "$3" >"$TMP/$1.json"
}
running_points() { sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $1 AND t.status = 'running'"; }
start_daemon --slots 2 --launcher slurm --grace 3

# 1. Curves stream back while the steps run.
spec stream 6 250 ""
id=$("$CAVIAR" submit "$TMP/stream.json")
check "the submit passed the shared-filesystem probe" "$id" 1
check "status says slurm" "$("$CAVIAR" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["launcher"])')" slurm
seen=0
for _ in $(seq 100); do
	[ "$(running_points "$id")" -gt 0 ] && seen=1 && break
	sleep 0.1
done
check "points of running steps are in the database" "$seen" 1
check_true "the trials run as job steps" sh -c "squeue -h -o %j | grep -q caviar-trial-"
"$CAVIAR" wait "$id"
check "the sweep finishes" $? 0
check "every curve complete" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id FROM points WHERE metric = 'val_loss' GROUP BY trial_id HAVING count(*) = 6)")" 4

# 2. Cancel reaches the worker's handler: it says "stopped" before exiting.
spec slow 40 300 ""
id=$("$CAVIAR" submit "$TMP/slow.json")
for _ in $(seq 100); do
	trial=$(sql "SELECT id FROM trials WHERE sweep_id = $id AND status = 'running' AND epochs >= 1 LIMIT 1")
	[ -n "$trial" ] && break
	sleep 0.1
done
"$CAVIAR" cancel "$id" >/dev/null
"$CAVIAR" wait "$id" >/dev/null
check "cancel: every trial cancelled" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status = 'cancelled'")" 4
check_true "cancel: the worker stopped gracefully (SIGUSR1 through srun)" \
	grep -q "trial $trial: stopped at epoch" "$TMP/daemon.log"

# 3. A crash is reported with its signal (srun exits 128 + 11).
printf '{"name": "crash", "trials": 1, "command": ["sh", "-c", "echo {{\\"epoch\\": 1, \\"val_acc\\": 0.5}}; kill -SEGV $$"],
  "objective": {"metric": "val_acc", "mode": "max"}}' >"$TMP/crash.json"
id=$("$CAVIAR" submit "$TMP/crash.json")
"$CAVIAR" wait "$id" >/dev/null
check "a crash: its signal" "$(sql "SELECT reason FROM trials WHERE sweep_id = $id")" "killed by signal 11 (SIGSEGV)"

# 4. Early stopping.
spec asha 9 40 '"early_stop": {"kind": "asha", "min_epochs": 1, "eta": 3},'
id=$("$CAVIAR" submit "$TMP/asha.json")
"$CAVIAR" wait "$id" >/dev/null
check_true "early stopping prunes trials" \
	test "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status = 'pruned'")" -gt 0

# 5. A fork server is a local thing: under slurm each trial is its own step,
# its program started afresh, and the log says so.
printf '#!/bin/sh\necho "{\\"epoch\\": 1, \\"val_loss\\": 0.5}"\n' >"$TMP/fs.sh"
chmod +x "$TMP/fs.sh"
cat >"$TMP/fs.json" <<JSON
{"name": "fs", "trials": 2, "seed": 3, "fork_server": true, "command": ["$TMP/fs.sh"],
 "objective": {"metric": "val_loss", "mode": "min"}, "params": {"x": {"uniform": [0, 1]}}}
JSON
id=$("$CAVIAR" submit "$TMP/fs.json")
"$CAVIAR" wait "$id" >/dev/null
check "fork_server under slurm: the trials ran as steps" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status = 'done'")" 2
check_true "fork_server under slurm: the log says it is not used" \
	grep -q "sweep $id: fork_server is not used with --launcher slurm" "$TMP/daemon.log"

# 6. The daemon is killed mid-sweep: its steps end with it, the restart resumes.
spec restart 8 250 ""
id=$("$CAVIAR" submit "$TMP/restart.json")
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status = 'running' AND epochs >= 2")" -gt 0 ] && break
	sleep 0.1
done
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
for _ in $(seq 50); do [ -z "$(squeue -h -o %j | grep caviar-trial-)" ] && break; sleep 0.1; done
check "the steps of the dead daemon end" "$(squeue -h -o %j | grep -c caviar-trial-)" 0
start_daemon --slots 2 --launcher slurm --grace 3
"$CAVIAR" wait "$id"
check "restart: the sweep finishes" $? 0
check_true "restart: trials resumed from their checkpoints" grep -q "resumed from its checkpoint" "$TMP/daemon.log"
check "restart: no epoch twice" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id, metric, epoch, count(*) AS n FROM points GROUP BY 1, 2, 3 HAVING n > 1)")" 0
check "restart: every curve complete" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $id AND metric = 'val_loss' GROUP BY trial_id HAVING count(*) = 8)")" 4
stop_daemon
check "no step left behind" "$(squeue -h | wc -l)" 0
finish
