#!/usr/bin/env bash
# Storage under pressure: a user's long read never disturbs the daemon; a
# locked database, or a full disk (a file-size limit on the daemon), makes it
# hold its writes, start no trial, say what is wrong, and recover without
# losing a point once the database works again.
. "$(dirname "$0")/lib.sh"

spec() { # NAME TRIALS
	printf '{"name": "%s", "trials": %d, "seed": 3, "task": "bowl",
	  "objective": {"metric": "val_loss", "mode": "min"},
	  "train": {"epochs": 5, "epoch_ms": 100}, "params": {"lr": {"log": [1e-4, 1e-1]}}}' "$1" "$2" \
		>"$TMP/$1.json"
	"$CAVIAR" submit "$TMP/$1.json"
}
db_error() { "$CAVIAR" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin).get("db_error", ""))'; }
points() { sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $1 AND metric = 'val_loss'"; }
start_daemon --slots 2

# 1. A reader holding a read transaction for the whole sweep.
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN"); c.execute("SELECT count(*) FROM points").fetchall()
time.sleep(3); c.execute("COMMIT")' "$DB" &
reader=$!
id=$(spec read 4)
"$CAVIAR" wait "$id" >/dev/null
check "a long read: the sweep finishes" "$(sql "SELECT status FROM sweeps WHERE id = $id")" done
check "a long read: every point recorded" "$(points "$id")" 20
check "a long read: no write ever failed" "$(grep -c 'cannot write the database' "$TMP/daemon.log")" 0
wait "$reader"

# 2. Another process holds the write lock for 2 s mid-sweep.
id=$(spec locked 4)
sleep 0.4
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE"); open(sys.argv[2], "w").close(); time.sleep(2); c.execute("ROLLBACK")' \
	"$DB" "$TMP/locked" &
locker=$!
for _ in $(seq 100); do [ -e "$TMP/locked" ] && break; sleep 0.05; done
sleep 1.2
check_true "locked: status says why ($(db_error))" sh -c "\"$CAVIAR\" status --json | grep -q 'database is locked'"
wait "$locker"
"$CAVIAR" wait "$id" >/dev/null
check "locked: the sweep finishes" "$(sql "SELECT status FROM sweeps WHERE id = $id")" done
check "locked: no point lost" "$(points "$id")" 20
check_true "locked: the daemon said so, then recovered" grep -q "database writable again" "$TMP/daemon.log"

# 3. The disk is full: no write past 4 KiB succeeds until the limit is lifted.
id=$(spec full 6)
sleep 0.4
prlimit --pid "$DAEMON_PID" --fsize=4096:
sleep 1.5
check_true "disk full: status says why ($(db_error))" test -n "$(db_error)"
started=$("$CAVIAR" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["trials_started"])')
sleep 1
check "disk full: no new trial starts" \
	"$("$CAVIAR" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["trials_started"])')" "$started"
prlimit --pid "$DAEMON_PID" --fsize=unlimited:
"$CAVIAR" wait "$id" >/dev/null
check "disk full: the sweep finishes once space returns" "$(sql "SELECT status FROM sweeps WHERE id = $id")" done
check "disk full: no point lost" "$(points "$id")" 30
check "disk full: every trial done" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status = 'done'")" 6
check "integrity" "$(sql 'PRAGMA integrity_check')" ok
stop_daemon
finish
