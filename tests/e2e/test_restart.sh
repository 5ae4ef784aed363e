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
check "checkpoints of finished trials are removed (but the epochs kept for forks)" \
	"$(ls "$DB.d/checkpoints" | grep -vc "\.ckpt\.epoch-[0-9]*$")" 0

# A clean stop mid-sweep (SIGTERM) also resumes at the next start.
id2=$("$CAVIAR" submit "$TMP/spec.json")
sleep 1
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
check "SIGTERM: caviard exits 0" "$rc" 0
check "SIGTERM: no trial left running" "$(sql "SELECT count(*) FROM trials WHERE status = 'running'")" 0
start_daemon --slots 2
"$CAVIAR" wait "$id2" >/dev/null
check "SIGTERM: the sweep finishes after the restart" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id2 AND status = 'done'")" 6

# A command trial with the Python helper, killed with the daemon after it
# printed and checkpointed epoch 3 but before the daemon wrote that epoch
# (another process holds the database's write lock): on resume the helper
# prints its curve again up to the checkpoint, so no epoch is lost.
SDK=$(cd "$(dirname "$0")/../../sdk" && pwd)
cat >"$TMP/helper.py" <<PY
import os, sys, time
sys.path.insert(0, "$SDK")
import caviar
start, state = caviar.resume()
for epoch in range(start + 1, 6):
    if start == 0 and epoch == 3:  # the first run waits for the lock to be taken
        while not os.path.exists("$TMP/locked"):
            time.sleep(0.02)
    caviar.report(epoch, val_acc=0.1 * epoch, train_loss=1.0 / epoch)
    caviar.save_checkpoint(epoch, {"epoch": epoch})
    if start == 0 and epoch == 3:  # and then for the daemon's end
        open("$TMP/printed3", "w").close()
        while not caviar.should_stop():
            time.sleep(0.02)
        sys.exit(0)
PY
printf '{"name": "helper", "command": ["python3", "%s"], "trials": 1,
  "objective": {"metric": "val_acc", "mode": "max"}, "params": {}}' "$TMP/helper.py" >"$TMP/helper.json"
hid=$("$CAVIAR" submit "$TMP/helper.json")
for _ in $(seq 200); do
	[ "$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $hid AND metric = 'val_acc'")" -ge 2 ] && break
	sleep 0.05
done
python3 -c '
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE"); open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]): time.sleep(0.02)
c.execute("ROLLBACK")' "$DB" "$TMP/locked" "$TMP/unlock" &
locker=$!
for _ in $(seq 200); do [ -e "$TMP/printed3" ] && break; sleep 0.05; done
sleep 0.3 # the daemon has read epoch 3 and failed to write it
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
touch "$TMP/unlock"; wait "$locker"
curve() { sql "SELECT group_concat(epoch) FROM (SELECT p.epoch FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $hid AND metric = '$1' ORDER BY p.epoch)"; }
check "helper: epoch 3 was not written before the kill" "$(curve val_acc)" "1,2"
start_daemon --slots 2
"$CAVIAR" wait "$hid" >/dev/null
check "helper: the trial finishes" "$(sql "SELECT status FROM trials WHERE sweep_id = $hid")" done
check "helper: every epoch once, none lost" "$(curve val_acc)" "1,2,3,4,5"
check "helper: every metric's too" "$(curve train_loss)" "1,2,3,4,5"
check "helper: the curve log beside its checkpoint" \
	"$(python3 -c 'import json,sys; print(",".join(str(json.loads(l)["epoch"]) for l in open(sys.argv[1])))' \
		"$DB.d/trials/$(sql "SELECT id FROM trials WHERE sweep_id = $hid")/checkpoint/curve.jsonl")" "1,2,3,4,5"
stop_daemon
finish
