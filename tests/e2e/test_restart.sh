#!/usr/bin/env bash
# kill -9 of the daemon mid-sweep, then a restart on the same database: every
# committed point stays, no trial is left running, the budget is exact, and no
# curve holds the same epoch twice.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/spec.json" <<'JSON'
{ "name": "restart", "trials": 6, "seed": 5, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 5, "epoch_ms": 100},
  "params": { "lr": {"log": [1e-4, 1e-1]} } }
JSON
start_daemon --slots 2
id=$("$CAVIAR" submit "$TMP/spec.json")
sleep 1.2
done_before=$(sql "SELECT count(*) FROM trials WHERE status = 'done'")
points_done_before=$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.status = 'done'")
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
running=$(sql "SELECT count(*) FROM trials WHERE status = 'running'")
check_true "a trial was running at the kill ($running)" test "$running" -gt 0

start_daemon --slots 2
check_true "the restart requeues exactly the interrupted trials" \
	grep -q "caviard: $running trials\? interrupted by the last stop queued again" "$TMP/daemon.log"
check "no trial left running after recovery" \
	"$(sql "SELECT count(*) FROM trials WHERE status = 'running' AND started_at < (SELECT max(created_at) FROM sweeps)")" 0
"$CAVIAR" wait "$id"
check "the sweep finishes after the restart" $? 0
check "budget is exact" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id")" 6
check "every trial done" "$(sql "SELECT count(*) FROM trials WHERE status = 'done'")" 6
check "trials done before the kill kept their points" \
	"$(sql "SELECT count(*) >= $points_done_before FROM points")" 1
check_true "some trials were done before the kill ($done_before)" test "$done_before" -ge 1
check "no epoch twice in a curve" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id, metric, epoch, count(*) AS n FROM points GROUP BY 1, 2, 3 HAVING n > 1)")" 0
check "every curve complete" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id FROM points WHERE metric = 'val_loss' GROUP BY trial_id HAVING count(*) = 5)")" 6
stop_daemon
finish
