#!/usr/bin/env bash
# kill -9 of the daemon mid-sweep, then a restart on the same database: every
# committed point stays, the workers of the dead daemon stop, no trial is left
# running, interrupted trials resume from their checkpoints, the budget is
# exact, and no curve holds the same epoch twice.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/spec.json" <<'JSON'
{ "name": "restart", "trials": 6, "seed": 5, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 6, "epoch_ms": 120},
  "params": { "lr": {"log": [1e-4, 1e-1]} } }
JSON
# workers: the caviar-worker processes started by this test's daemons.
workers() {
	local n=0 p
	for p in /proc/[0-9]*; do
		grep -qa caviar-worker "$p/cmdline" 2>/dev/null &&
			grep -qa "CAVIAR_CACHE_DIR=$TMP/cache" "$p/environ" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}

start_daemon --slots 2
id=$("$CAVIAR" submit "$TMP/spec.json")
# Kill it once a running trial has checkpointed a couple of epochs.
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM trials WHERE status = 'running' AND epochs >= 2")" -gt 0 ] && break
	sleep 0.05
done
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
killed_at=$(date +%s.%N)
running=$(sql "SELECT count(*) FROM trials WHERE status = 'running'")
check_true "trials were running at the kill ($running)" test "$running" -gt 0
points_before=$(sql "SELECT count(*) FROM points")
for _ in $(seq 40); do [ "$(workers)" -eq 0 ] && break; sleep 0.05; done
check "the workers of the dead daemon stop" "$(workers)" 0

start_daemon --slots 2
check_true "the restart requeues exactly the interrupted trials" \
	grep -q "caviard: $running trials\? interrupted by the last stop queued again" "$TMP/daemon.log"
check "no trial left running after recovery" \
	"$(sql "SELECT count(*) FROM trials WHERE status = 'running' AND started_at < $killed_at")" 0
"$CAVIAR" wait "$id"
check "the sweep finishes after the restart" $? 0
check_true "interrupted trials resumed from their checkpoints" \
	grep -q "resumed from its checkpoint at epoch" "$TMP/daemon.log"
check "points of epochs done before the kill are kept, not redone" \
	"$(sql "SELECT count(*) >= $points_before FROM points WHERE wall_time < $killed_at")" 1
check "budget is exact" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id")" 6
check "every trial done" "$(sql "SELECT count(*) FROM trials WHERE status = 'done'")" 6
check "no epoch twice in a curve" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id, metric, epoch, count(*) AS n FROM points GROUP BY 1, 2, 3 HAVING n > 1)")" 0
check "every curve complete" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id FROM points WHERE metric = 'val_loss' GROUP BY trial_id HAVING count(*) = 6 AND max(epoch) = 6)")" 6
check "checkpoints of finished trials are removed" "$(ls "$DB.d/checkpoints" | wc -l)" 0

# A clean stop mid-sweep (SIGTERM) also resumes at the next start.
id2=$("$CAVIAR" submit "$TMP/spec.json")
sleep 1
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
check "SIGTERM: caviard exits 0" "$rc" 0
check "SIGTERM: no trial left running" "$(sql "SELECT count(*) FROM trials WHERE status = 'running'")" 0
start_daemon --slots 2
"$CAVIAR" wait "$id2" >/dev/null
check "SIGTERM: the sweep finishes after the restart" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id2 AND status = 'done'")" 6
stop_daemon
finish
