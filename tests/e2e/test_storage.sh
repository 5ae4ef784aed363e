#!/usr/bin/env bash
# Storage under pressure: a user's long read never disturbs the daemon; a
# locked database, or a full disk (a file-size limit on the daemon), makes it
# hold its writes, start no trial, say what is wrong, and recover without
# losing a point once the database works again; a long sweep never holds
# more per-epoch checkpoints than `caviar validate` says its keep_checkpoints
# keeps.
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

# Parts 2 and 3 gate their workers: they start once the test opens the gate,
# so they run while the database is locked or the disk full, however the
# machine's load spreads things out.
stop_daemon
cat >"$TMP/gated-worker" <<SH
#!/bin/sh
while [ ! -f "$TMP/gate" ]; do sleep 0.02; done
exec "$WORKER" "\$@"
SH
chmod +x "$TMP/gated-worker"
start_daemon --slots 2 --worker "$TMP/gated-worker"
# running SWEEP N: waits until N of the sweep's trials are running (recorded).
running() {
	for _ in $(seq 1200); do
		[ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $1 AND status = 'running'")" -eq "$2" ] && return
		sleep 0.05
	done
}
# db_error_is PATTERN: waits until status's db_error matches (the next flush).
db_error_is() {
	for _ in $(seq 1200); do grep -qE "$1" <<<"$(db_error)" && return 0; sleep 0.05; done
	return 1
}

# 2. Another process holds the write lock mid-sweep, until the daemon says so.
id=$(spec locked 4)
running "$id" 2
python3 -c '
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
c.execute("BEGIN EXCLUSIVE"); open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]): time.sleep(0.02)
c.execute("ROLLBACK")' "$DB" "$TMP/locked" "$TMP/unlock" &
locker=$!
for _ in $(seq 1200); do [ -e "$TMP/locked" ] && break; sleep 0.05; done
touch "$TMP/gate"
db_error_is 'database is locked'
check_true "locked: status says why ($(db_error))" grep -q 'database is locked' <<<"$(db_error)"
touch "$TMP/unlock"
wait "$locker"
"$CAVIAR" wait "$id" >/dev/null
check "locked: the sweep finishes" "$(sql "SELECT status FROM sweeps WHERE id = $id")" done
check "locked: no point lost" "$(points "$id")" 20
check_true "locked: the daemon said so, then recovered" grep -q "database writable again" "$TMP/daemon.log"

# 3. The disk is full: no write past 4 KiB succeeds until the limit is lifted.
rm "$TMP/gate"
id=$(spec full 6)
running "$id" 2
prlimit --pid "$DAEMON_PID" --fsize=4096:
touch "$TMP/gate"
db_error_is .
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

# 4. keep_checkpoints' bound, as validate states it, watched on disk for the
# whole of two long sweeps (the latest 2 and the best; the best alone). The
# bound is on the epochs caviard has read: a worker saves epoch K's copy
# after printing its line, so it may hold the copies of epochs caviard has
# not read yet. A watcher reads each trial's recorded epochs E (caviard has
# dropped what it drops for them before it records them), then lists the
# checkpoints directory, and keeps each trial's most copies of epochs <= E,
# over and over until told to stop; it prints the most copies seen in all.
keep() { # NAME POLICY
	printf '{"name": "%s", "trials": 3, "seed": 5, "task": "bowl", "keep_checkpoints": %s,
	  "objective": {"metric": "val_loss", "mode": "min"},
	  "train": {"epochs": 120, "epoch_ms": 10}, "params": {"lr": {"log": [1e-3, 1e-1]}}}' \
		"$1" "$2" >"$TMP/$1.json"
}
bound() { # SPEC WHEN: validate --json's checkpoints.WHEN
	"$CAVIAR" validate --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['checkpoints']['$2'])"
}
keep latest2 2; keep best '"best"'
check "validate states the bound: latest 2" "$("$CAVIAR" validate "$TMP/latest2.json" | sed -n 2p)" \
	"  keeps at most 4 epoch checkpoints a trial while it runs, 3 once it ends (keep_checkpoints 2), besides its latest"
check "validate states the bound: best" "$(bound "$TMP/best.json" running) $(bound "$TMP/best.json" ended)" "3 1"
rm -f "$TMP/gate"
start_daemon --slots 4
python3 - "$DB" "$DB.d/checkpoints" "$TMP/watched" "$TMP/stop-watching" <<'PY' &
import collections, os, re, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=60)
copy = re.compile(r"trial-(\d+)\.ckpt\.epoch-(\d+)$")
most, ahead = collections.Counter(), collections.Counter()
while not os.path.exists(sys.argv[4]):
    read = dict(db.execute("SELECT id, epochs FROM trials"))
    now, all_ = collections.Counter(), collections.Counter()
    for m in filter(None, map(copy.match, os.listdir(sys.argv[2]))):
        t, k = int(m.group(1)), int(m.group(2))
        all_[t] += 1
        if k <= read.get(t, 0):
            now[t] += 1
    for t in all_:
        most[t], ahead[t] = max(most[t], now[t]), max(ahead[t], all_[t])
    time.sleep(0.005)
open(sys.argv[3], "w").write("".join("%d %d %d\n" % (t, most[t], ahead[t]) for t in sorted(most)))
PY
watcher=$!
a=$("$CAVIAR" submit "$TMP/latest2.json"); b=$("$CAVIAR" submit "$TMP/best.json")
"$CAVIAR" wait "$a" >/dev/null; "$CAVIAR" wait "$b" >/dev/null
touch "$TMP/stop-watching"; wait "$watcher"
check "both long sweeps done" "$(sql "SELECT group_concat(status) FROM sweeps WHERE id IN ($a, $b)")" "done,done"
over() { # SWEEP BOUND: the sweep's trials seen holding more than BOUND copies
	local t n out=
	for t in $(sql "SELECT id FROM trials WHERE sweep_id = $1"); do
		n=$(awk -v t="$t" '$1 == t {print $2}' "$TMP/watched")
		[ "${n:-0}" -le "$2" ] || out="$out trial $t: $n"
	done
	echo "${out:-none}"
}
echo "     most epoch copies seen per trial (trial, of epochs read, in all): $(tr '\n' ',' <"$TMP/watched")"
check_true "the watcher saw copies" test -s "$TMP/watched"
check "latest 2: never more than the bound of the epochs read on disk" "$(over "$a" "$(bound "$TMP/latest2.json" running)")" none
check "best: never more than the bound of the epochs read on disk" "$(over "$b" "$(bound "$TMP/best.json" running)")" none
ended() { # SWEEP: each trial's copies left once it ended, the most of them
	for t in $(sql "SELECT id FROM trials WHERE sweep_id = $1"); do
		ls "$DB.d/checkpoints" | grep -c "^trial-$t\.ckpt\.epoch-"
	done | sort -n | tail -1
}
check_true "latest 2: at most the bound once ended" test "$(ended "$a")" -le "$(bound "$TMP/latest2.json" ended)"
check_true "best: at most the bound once ended" test "$(ended "$b")" -le "$(bound "$TMP/best.json" ended)"
stop_daemon
finish
