#!/usr/bin/env bash
# Nothing lost, nothing stuck, nobody in (issue 19): one daemon per database;
# a socket directory of another user refused; a million-trial submit does not
# stall the loop; a client that never reads its replies cannot grow the
# daemon; a checkpoint outlives its trial until the trial's end is committed;
# a shutdown waits for a locked database and says what it could not write; a
# retried trial keeps no stale points and its best counts every epoch.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# hold_lock: another program takes the database's write lock and holds it
# until release_lock (or until it is killed); returns once it has the lock,
# which under load can take it a while to start.
LOCK_PID=
hold_lock() {
	rm -f "$TMP/locked" "$TMP/unlock"
	"$PY" - "$DB" "$TMP/locked" "$TMP/unlock" <<'PY' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.02)
c.execute("ROLLBACK")
PY
	LOCK_PID=$!
	for _ in $(seq 1200); do [ -f "$TMP/locked" ] && return 0; sleep 0.05; done
	fail "the other program never got the write lock"
}
release_lock() {
	touch "$TMP/unlock"; wait "$LOCK_PID" 2>/dev/null; LOCK_PID=
}
cleanup_extra() { [ -z "$LOCK_PID" ] || kill "$LOCK_PID" 2>/dev/null; }

# epochs_of FILE: the epochs of a curve log's metrics lines, comma-separated.
epochs_of() {
	"$PY" -c 'import json, sys
print(",".join(str(j["epoch"]) for j in map(json.loads, open(sys.argv[1]))
               if "val_loss" in j))' "$1"
}
# recorded TRIAL: the epochs of the trial's val_loss points in the database.
recorded() {
	sql "SELECT group_concat(epoch) FROM (SELECT epoch FROM points WHERE trial_id = $1 AND metric = 'val_loss' ORDER BY epoch)"
}

# 1. Two daemons never share one database.
start_daemon --slots 1
expect 1 "caviar.db is in use by another caviard \(pid $DAEMON_PID\)" \
	"$CAVIARD" --db "$DB" --socket "$TMP/other.sock"
check_true "the first daemon still answers" "$CAVIAR" status

# 2. A socket directory owned by someone else is refused (root can make one).
if [ "$(id -u)" -eq 0 ]; then
	mkdir -m 0755 "$TMP/theirs" && chown nobody "$TMP/theirs"
	expect 1 "theirs, the socket's directory, belongs to uid $(id -u nobody), not to you" \
		"$CAVIARD" --db "$TMP/other.db" --socket "$TMP/theirs/caviard.sock"
else
	echo "skip the socket directory of another user: not root"
fi

# 3. A huge submit is recorded in slices: status answers while it is being
# recorded (a reply that comes back between two counts of the trials that
# are both short of 200,000, the first above 0), not once it is over. The
# slowest reply is printed, not judged: on a busy machine, and under ASan,
# starting the client alone takes a second.
cat >"$TMP/huge.json" <<'JSON'
{ "name": "huge", "trials": 200000, "seed": 1, "task": "bowl", "parallel": 1,
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 1, "epoch_ms": 0}, "params": {"lr": {"log": [1e-4, 1e-1]}} }
JSON
"$CAVIAR" submit "$TMP/huge.json" >"$TMP/huge.id" &
submitting=$!
huge=1
worst=0
during=
count() { sql "SELECT count(*) FROM trials WHERE sweep_id = $huge"; }
for _ in $(seq 400); do
	before=$(count)
	t0=$(date +%s%N); "$CAVIAR" status >/dev/null; t1=$(date +%s%N)
	after=$(count)
	ms=$(((t1 - t0) / 1000000)); [ "$ms" -gt "$worst" ] && worst=$ms
	if [ "$before" -gt 0 ] && [ "$after" -lt 200000 ]; then during="$before -> $after"; break; fi
	[ "$after" -eq 200000 ] && break
	sleep 0.05
done
echo "     slowest status reply while recording 200,000 trials: $worst ms"
check_true "status answered while the trials were being recorded ($during of 200000)" test -n "$during"
for _ in $(seq 300); do
	[ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $huge")" -eq 200000 ] && break
	sleep 0.1
done
wait "$submitting"
check "the huge sweep is accepted" "$(cat "$TMP/huge.id")" "$huge"
check "every trial is recorded in the end" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $huge")" 200000
"$CAVIAR" cancel "$huge" >/dev/null
check "the huge sweep cancels" "$("$CAVIAR" wait "$huge" >/dev/null; sql "SELECT status FROM sweeps WHERE id = $huge")" cancelled

# 4. A client that sends requests and never reads: the daemon stops reading it.
before=$(rss_kb "$DAEMON_PID")
"$PY" - "$SOCK" "$TMP/replies" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.setblocking(False)
line = b'{"cmd": "status"}\n' * 2000
sent = 0
deadline = time.time() + 4
while sent < 300 and time.time() < deadline: # up to 600,000 requests, unread
    try:
        s.send(line); sent += 1
    except BlockingIOError:
        time.sleep(0.05)
time.sleep(1)
open(sys.argv[2], "w").write(str(sent * 2000))
time.sleep(30) # holds the connection, reading nothing, until killed
PY
flood=$!
for _ in $(seq 120); do [ -s "$TMP/replies" ] && break; sleep 0.1; done
after=$(rss_kb "$DAEMON_PID")
echo "     daemon RSS $before kB -> $after kB while a client sent $(cat "$TMP/replies") requests it never read"
check_true "the daemon grew by less than 32 MB" test $((after - before)) -lt 32768
check_true "the daemon answers others meanwhile" "$CAVIAR" status
kill "$flood" 2>/dev/null; wait "$flood" 2>/dev/null
stop_daemon

# 5. A trial that ends while the database is locked keeps its checkpoint
# until its end is committed; killed then, it resumes from the checkpoint.
# Its worker starts once the lock is held (a gate), so it ends under the
# lock however slowly the lock's holder starts on a busy machine.
cat >"$TMP/gated-worker" <<SH
#!/bin/sh
while [ ! -f "$TMP/locked" ]; do sleep 0.02; done
exec "$WORKER" "\$@"
SH
chmod +x "$TMP/gated-worker"
cat >"$TMP/one.json" <<'JSON'
{ "name": "one", "trials": 1, "seed": 2, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 3, "epoch_ms": 300}, "params": {"lr": {"log": [1e-3, 1e-2]}} }
JSON
start_daemon --slots 1 --worker "$TMP/gated-worker"
one=$("$CAVIAR" submit "$TMP/one.json")
for _ in $(seq 200); do tid=$(sql "SELECT id FROM trials WHERE sweep_id = $one"); [ -n "$tid" ] && break; sleep 0.05; done
hold_lock
for _ in $(seq 600); do grep -q "trial $tid (sweep $one no. 0): done" "$TMP/daemon.log" && break; sleep 0.05; done
check_true "the trial ended while the database was locked" grep -q "trial $tid (sweep $one no. 0): done" "$TMP/daemon.log"
check_true "its checkpoint is still there" test -f "$DB.d/checkpoints/trial-$tid.ckpt"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
release_lock
start_daemon --slots 1
"$CAVIAR" wait "$one" >/dev/null
check_true "restarted, it resumed from its checkpoint" \
	grep -q "trial $tid: resumed from its checkpoint at epoch 3" "$TMP/daemon.log"
check "its curve is whole" "$(sql "SELECT group_concat(epoch) FROM (SELECT DISTINCT epoch FROM points WHERE trial_id = $tid AND metric = 'val_loss' ORDER BY epoch)")" "1,2,3"
for _ in $(seq 40); do [ -f "$DB.d/checkpoints/trial-$tid.ckpt" ] || break; sleep 0.05; done
check_true "once committed, the checkpoint is removed" test ! -f "$DB.d/checkpoints/trial-$tid.ckpt"

# 6. Shutdown while another program holds the write lock: the daemon waits
# for it and writes everything; past --flush-wait it says what it could not
# write and exits 1. The stream trial runs until it is stopped (10,000
# epochs), so every shutdown finds it running. Its worker keeps a log of
# every line it printed beside its checkpoint (the curve it prints again on
# resume). Its "stopped" line comes after its last epoch's, so a daemon that
# read "stopped" read every epoch before it: an epoch missing from the
# database then was read and not recorded, not printed after the daemon
# stopped reading (which only a SIGKILL or a closed output could make
# happen, and the log would say so).
stop_daemon
cat >"$TMP/stream.json" <<'JSON'
{ "name": "stream", "trials": 1, "seed": 3, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 10000, "epoch_ms": 30}, "params": {"lr": {"log": [1e-3, 1e-2]}} }
JSON
start_daemon --slots 1 --flush-wait 120
st=$("$CAVIAR" submit "$TMP/stream.json")
for _ in $(seq 200); do [ "$(sql "SELECT epochs FROM trials WHERE sweep_id = $st")" -ge 3 ] && break; sleep 0.05; done
stid=$(sql "SELECT id FROM trials WHERE sweep_id = $st")
hold_lock
kill -TERM "$DAEMON_PID"
# once its trial has ended the daemon is in its last flush: the lock goes then
for _ in $(seq 1200); do grep -q "trial $stid (sweep $st no. 0): queued: interrupted by daemon shutdown" "$TMP/daemon.log" && break; sleep 0.05; done
release_lock
wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
check "a shutdown that waited for the lock exits 0" "$rc" 0
stopped=$(sed -n "s/.*trial $stid: stopped at epoch \([0-9]*\)$/\1/p" "$TMP/daemon.log")
printed=$(epochs_of "$DB.d/checkpoints/trial-$stid.ckpt.curve")
check_true "the daemon read the worker's 'stopped' line (epoch $stopped)" test -n "$stopped"
check_true "the worker printed a few epochs (${printed##*,})" test "${stopped:-0}" -ge 3
check "its log of printed lines ends at the epoch it saved" "${printed##*,}" "$stopped"
check_true "nothing was printed after the daemon stopped reading (no SIGKILL, no output closed)" \
	test -z "$(grep -E "trial $stid: (no exit|its program exited but)" "$TMP/daemon.log")"
check "every epoch the worker printed (and the daemon read) is recorded" "$(recorded "$stid")" "$printed"
check "the trial's row counts them" "$(sql "SELECT status || ' ' || epochs FROM trials WHERE id = $stid")" "queued $stopped"

# Restarted, it resumes from its checkpoint and its curve has no hole.
start_daemon --slots 2 --flush-wait 1
for _ in $(seq 1200); do [ "$(sql "SELECT epochs FROM trials WHERE id = $stid")" -ge $((stopped + 2)) ] && break; sleep 0.05; done
check_true "restarted, the trial resumed from its checkpoint at epoch $stopped" \
	grep -q "trial $stid: resumed from its checkpoint at epoch $stopped\$" "$TMP/daemon.log"
curve=$(recorded "$stid") # one read: the trial goes on writing
check "the resumed trial's curve has no hole (1..${curve##*,})" "$curve" "$(seq -s, "${curve##*,}")"

# A program that finishes its epoch when told to stop (and saves it): the
# line it prints after the shutdown's SIGTERM is recorded, and the run that
# resumes after it continues the curve.
cat >"$TMP/last.sh" <<SH
#!/bin/sh
if [ -f "$TMP/last.stopped" ]; then
	echo '{"event": "resumed", "epoch": 3}'
	echo '{"epoch": 4, "val_loss": 0.2}'
	exit 0
fi
trap 'touch "$TMP/last.stopped"; echo "{\\"epoch\\": 3, \\"val_loss\\": 0.3}"; exit 0' TERM
echo '{"epoch": 1, "val_loss": 0.5}'
echo '{"epoch": 2, "val_loss": 0.4}'
sleep 600 & wait \$!
SH
chmod +x "$TMP/last.sh"
cat >"$TMP/last.json" <<JSON
{ "name": "last", "trials": 1, "command": ["$TMP/last.sh"],
  "objective": {"metric": "val_loss", "mode": "min"}, "params": {} }
JSON
ls=$("$CAVIAR" submit "$TMP/last.json")
for _ in $(seq 200); do lsid=$(sql "SELECT id FROM trials WHERE sweep_id = $ls"); [ -n "$lsid" ] && break; sleep 0.05; done
for _ in $(seq 1200); do [ "$(sql "SELECT epochs FROM trials WHERE id = $lsid")" = 2 ] && break; sleep 0.05; done
stop_daemon
check "the epoch it printed on the shutdown's SIGTERM is recorded" "$(recorded "$lsid")" "1,2,3"
check "and counted" "$(sql "SELECT status || ' ' || epochs || ' ' || best_value FROM trials WHERE id = $lsid")" "queued 3 0.3"
start_daemon --slots 2 --flush-wait 1
"$CAVIAR" wait "$ls" >/dev/null
check "its resumed run continues the curve" "$(recorded "$lsid")" "1,2,3,4"

# A shutdown under a lock held past --flush-wait: the stream trial's end
# cannot be written.
for _ in $(seq 1200); do [ "$(sql "SELECT status FROM trials WHERE id = $stid")" = running ] && break; sleep 0.05; done
hold_lock
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
release_lock
check "a shutdown that gave up on the lock exits 1" "$rc" 1
check_true "and says what it did not write" \
	grep -qE "giving up after 1 s: [0-9]+ points, [0-9]+ trial updates and [0-9]+ log lines not written" "$TMP/daemon.log"

# 7. A retry: attempt 1 reports epochs 1-10 and crashes; attempt 2 resumes at
# epoch 2 and ends at 4. Epochs 5-10 of attempt 1 are gone and the best value
# is attempt 1's epoch 1.
cat >"$TMP/retry.sh" <<SH
#!/bin/sh
if [ ! -f "$TMP/attempted" ]; then
	touch "$TMP/attempted"
	echo '{"epoch": 1, "val_loss": 0.1}'
	for e in 2 3 4 5 6 7 8 9 10; do echo "{\"epoch\": \$e, \"val_loss\": 0.\$e}"; done
	exit 1
fi
echo '{"event": "resumed", "epoch": 2}'
echo '{"epoch": 3, "val_loss": 0.5}'
echo '{"epoch": 4, "val_loss": 0.4}'
SH
chmod +x "$TMP/retry.sh"
cat >"$TMP/retry.json" <<JSON
{ "name": "retry", "trials": 1, "retries": 1, "command": ["$TMP/retry.sh"],
  "objective": {"metric": "val_loss", "mode": "min"}, "params": {} }
JSON
start_daemon --slots 1
"$CAVIAR" cancel "$st" >/dev/null; "$CAVIAR" wait "$st" >/dev/null # it would run for minutes
rt=$("$CAVIAR" submit "$TMP/retry.json"); "$CAVIAR" wait "$rt" >/dev/null
rtid=$(sql "SELECT id FROM trials WHERE sweep_id = $rt")
check "the retry finished" "$(sql "SELECT status || ' ' || attempts FROM trials WHERE id = $rtid")" "done 2"
check "no stale epochs of attempt 1" "$(sql "SELECT group_concat(epoch) FROM (SELECT epoch FROM points WHERE trial_id = $rtid ORDER BY epoch)")" "1,2,3,4"
check "the best value counts epoch 1" "$(sql "SELECT best_value || ' @' || best_epoch FROM trials WHERE id = $rtid")" "0.1 @1"

# 8. A program that invents a metric name on every line: the first 1,000
# distinct names are kept, the rest rejected, and the daemon stays quick.
cat >"$TMP/names.py" <<'PY'
import json
for i in range(2000):
    print(json.dumps(dict([("epoch", 1), ("val_loss", 0.5)] +
                          [("m%d_%d" % (i, j), j) for j in range(10)])), flush=True)
PY
cat >"$TMP/names.json" <<JSON
{ "name": "names", "trials": 1, "command": ["$PY", "$TMP/names.py"],
  "objective": {"metric": "val_loss", "mode": "min"}, "params": {} }
JSON
nm=$("$CAVIAR" submit "$TMP/names.json"); "$CAVIAR" wait "$nm" >/dev/null
nmid=$(sql "SELECT id FROM trials WHERE sweep_id = $nm")
check "1,000 distinct metric names are kept" "$(sql "SELECT count(DISTINCT metric) FROM points WHERE trial_id = $nmid")" 1000
check_true "the others are rejected, and the log says why" \
	grep -q "trial $nmid: line rejected: 10 new metric names past the trial's 1000 distinct ones" "$TMP/daemon.log"
check "the trial still finishes" "$(sql "SELECT status FROM trials WHERE id = $nmid")" done
stop_daemon
finish
