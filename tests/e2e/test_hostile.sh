#!/usr/bin/env bash
# Hostile command trials (issue 19, "nothing lost, nothing stuck, nobody in"):
#  1. an epoch of 1,000,000,000 under median early stopping is rejected with its
#     reason; the daemon stays up, small, and starts again on that database;
#  2. a program that leaves a child holding its output: (a) a script that starts
#     `sleep 40 &` and exits is done within the grace period; (b) a /bin/sh
#     wrapper without exec is cancelled as a whole; (c) SIGTERM to the daemon
#     with such a trial running exits within the grace period; no sleep stays;
# 12. a rejected line is logged as itself, not with the bytes after it in the
#     read buffer (another trial's output);
# 14. a trial's log is capped in bytes (16 MiB) as well as lines, with a note;
# 15. 100 MB on stderr: the daemon stays small, keeps the last 2 KB, the trial
#     is done;
# 16. a program that starts 1,000 children holding its output and exits: all
#     of them are stopped with it and reaped by caviard (its subreaper).
. "$(dirname "$0")/lib.sh"

GRACE=1
SLACK=4 # seconds a busy machine may add to the grace period
# Our programs' children are found by this variable in their environment.
export HOSTILE_TAG=$TMP
# The old code answered (1) by allocating gigabytes; keep a regression from
# eating the shared machine (not under ASan, which reserves terabytes).
grep -qa __asan_init "$CAVIARD" || ulimit -v 4194304

# tagged_sleeps [TRIAL]: our live `sleep` processes (of TRIAL when given).
tagged_sleeps() {
	local p n=0
	for p in $(pgrep -x sleep); do
		p=/proc/$p
		[ "$(awk '{print $3}' "$p/stat" 2>/dev/null)" = Z ] && continue
		tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qx "HOSTILE_TAG=$TMP" || continue
		[ -z "${1:-}" ] || tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qx "CAVIAR_TRIAL_ID=$1" || continue
		n=$((n + 1))
	done
	echo "$n"
}
no_sleeps_left() { # TRIAL: they may take a moment to die
	for _ in $(seq 30); do [ "$(tagged_sleeps "$1")" -eq 0 ] && return 0; sleep 0.1; done
	return 1
}
cleanup_extra() { # the old code left them behind
	local p
	for p in $(pgrep -x sleep); do
		tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "HOSTILE_TAG=$TMP" && kill -9 "$p" 2>/dev/null
	done
}

# script NAME BODY: an executable $TMP/NAME.sh
script() { printf '#!/bin/sh\n%s\n' "$2" >"$TMP/$1.sh"; chmod +x "$TMP/$1.sh"; }
# spec NAME EXTRA-KEYS: a one-trial sweep running $TMP/NAME.sh; prints its id
submit() {
	printf '{"name": "%s", "command": ["%s"], "trials": 1, %s
	  "objective": {"metric": "val_loss", "mode": "min"}, "params": {}}' \
		"$1" "$TMP/$1.sh" "${2:-}" >"$TMP/$1.json"
	"$CAVIAR" submit "$TMP/$1.json"
}
# wait_sql SECONDS QUERY: polls until QUERY returns 1; fails after SECONDS
wait_sql() {
	local end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -le "$end" ] && is_daemon "$DAEMON_PID"; do
		[ "$(sql "$2" 2>/dev/null)" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
trial_of() { # SWEEP: its one trial's id, once sampled
	[ -n "$1" ] && wait_sql 10 "SELECT count(*) = 1 FROM trials WHERE sweep_id = $1" && sql "SELECT id FROM trials WHERE sweep_id = $1"
}
since() { awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'; } # seconds since T0
vmrss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
METRIC='{"epoch": 1, "val_loss": 0.5}'

# The programs.
script huge_epoch "echo '$METRIC'
echo '{\"epoch\": 1000000000, \"val_loss\": 0.4}'
echo '{\"epoch\": 2, \"val_loss\": 0.3}'"
script background "echo '$METRIC'
sleep 40 &
exit 0"
script stubborn "echo '$METRIC'
trap '' TERM # and so does its sleep
sleep 40 &
exit 0"
script wrapper "echo '$METRIC'
sleep 40
echo '{\"epoch\": 2, \"val_loss\": 0.3}'"
script stubborn_wrapper "echo '$METRIC'
trap '' TERM
sleep 40"
script garbage "echo '$METRIC'
for i in 1 2 3 4 5; do sleep 0.3; echo '{bad'; done"
mark=$(printf 'NEIGHBOUR%.0s' $(seq 30)) # 270 distinctive bytes a line
script neighbour "echo '$METRIC'
i=0; while [ \$i -lt 400 ]; do echo \"$mark \$i\"; i=\$((i + 1)); [ \$((i % 20)) -eq 0 ] && sleep 0.1; done"
cat >"$TMP/flood.sh" <<'SH'
#!/usr/bin/env python3
import sys
for i in range(400): # 24 MB of log, 400 lines
    sys.stdout.write("line %03d " % i + "y" * 60000 + "\n")
print('{"epoch": 1, "val_loss": 0.5}')
SH
chmod +x "$TMP/flood.sh"

# Database one: (2b), (2a) and (2c), timed, while the machine is quiet.
start_daemon --slots 6 --grace "$GRACE"
wr=$(trial_of "$(submit wrapper)")
check_true "2b: the wrapper reports its epoch" wait_sql 10 "SELECT epochs >= 1 FROM trials WHERE id = $wr"
check "2b: ... and its sleep runs" "$(tagged_sleeps "$wr")" 1
t0=$(date +%s.%N)
"$CAVIAR" cancel --trial "$wr" >/dev/null
wait_sql $((GRACE + 10)) "SELECT status = 'cancelled' FROM trials WHERE id = $wr"
took=$(since "$t0")
check "2b: cancel stops a /bin/sh wrapper without exec" "$(sql "SELECT status FROM trials WHERE id = $wr")" cancelled
check_true "2b: ... within the grace period and ${SLACK} s (took $took s)" \
	awk "BEGIN { exit !($took <= $GRACE + $SLACK) }"
check_true "2b: the wrapper's sleep is gone" no_sleeps_left "$wr"

bg=$(trial_of "$(submit background)")
st=$(trial_of "$(submit stubborn)") # its sleep ignores SIGTERM: SIGKILL after the grace period
wait_sql $((GRACE + 10)) "SELECT count(*) = 2 FROM trials WHERE id IN ($bg, $st) AND status = 'done'"
check "2a: a program that exits leaving \`sleep 40 &\` on its output is done" \
	"$(sql "SELECT status || ': ' || reason FROM trials WHERE id = $bg")" "done: finished"
check_true "2a: ... within the grace period and ${SLACK} s" \
	test "$(sql "SELECT ended_at - started_at <= $GRACE + $SLACK FROM trials WHERE id = $bg")" = 1
check_true "2a: its sleep is gone" no_sleeps_left "$bg"
check "2a: ... and when that sleep ignores SIGTERM" "$(sql "SELECT status || ': ' || reason FROM trials WHERE id = $st")" "done: finished"
check_true "2a: ... after the grace period, within ${SLACK} s more" \
	test "$(sql "SELECT ended_at - started_at BETWEEN $GRACE - 0.2 AND $GRACE + $SLACK FROM trials WHERE id = $st")" = 1
check_true "2a: ... its sleep is gone" no_sleeps_left "$st"

wr2=$(trial_of "$(submit wrapper)")
sw=$(trial_of "$(submit stubborn_wrapper)")
wait_sql 10 "SELECT count(*) = 2 FROM trials WHERE id IN ($wr2, $sw) AND epochs >= 1"
t0=$(date +%s.%N)
kill -TERM "$DAEMON_PID"
for _ in $(seq $(((GRACE + SLACK + 4) * 10))); do is_daemon "$DAEMON_PID" || break; sleep 0.1; done
took=$(since "$t0")
if is_daemon "$DAEMON_PID"; then
	fail "2c: SIGTERM with wrappers running: caviard still runs after $took s"
	kill -9 "$DAEMON_PID"
fi
wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
check "2c: SIGTERM with two wrappers running (one ignores SIGTERM): caviard exits 0" "$rc" 0
check_true "2c: ... within the grace period and ${SLACK} s (took $took s)" \
	awk "BEGIN { exit !($took <= $GRACE + $SLACK) }"
check "2c: both trials are queued again" "$(sql "SELECT group_concat(status) FROM trials WHERE id IN ($wr2, $sw)")" queued,queued
check_true "2c: the wrappers' sleeps are gone" no_sleeps_left ""

# Database two: (12) and (14) together, their output meeting in the daemon's
# read buffer, then (1), which the old daemon did not survive.
DB=$TMP/second.db
start_daemon --slots 6 --grace "$GRACE"
neighbour=$(trial_of "$(submit neighbour)")
garbage=$(trial_of "$(submit garbage)")
flood=$(trial_of "$(submit flood)")
wait_sql 40 "SELECT count(*) = 3 FROM trials WHERE id IN ($neighbour, $garbage, $flood) AND status NOT IN ('queued', 'running')"

rejected=$(grep -c "trial $garbage: line rejected: " "$TMP/daemon.log")
check_true "12: the garbage lines are logged as rejected ($rejected)" test "$rejected" -ge 1
check "12: each shows exactly the garbage text" \
	"$(grep "trial $garbage: line rejected: " "$TMP/daemon.log" | grep -vc ': {bad$')" 0
check "12: ... and nothing of the other trial's output" "$(grep -c NEIGHBOUR "$TMP/daemon.log")" 0
check "12: the neighbour's lines are its log" \
	"$(sql "SELECT count(*) FROM logs WHERE trial_id = $neighbour AND line LIKE 'NEIGHBOUR%'")" 400

check "14: the flooding trial is done" "$(sql "SELECT status FROM trials WHERE id = $flood")" done
bytes=$(sql "SELECT coalesce(sum(length(line)), 0) FROM logs WHERE trial_id = $flood")
check_true "14: its log is at most 16 MiB and a line ($bytes bytes)" test "$bytes" -le $((16 * 1024 * 1024 + 60010))
check "14: the log says where it was cut" \
	"$(sql "SELECT substr(line, 1, 80) FROM logs WHERE trial_id = $flood ORDER BY attempt DESC, seq DESC LIMIT 1")" \
	"[caviard: output past 10000 lines or 16 MiB not kept]"

huge=$(trial_of "$(submit huge_epoch '"early_stop": {"kind": "median", "warmup": 1, "min_trials": 1},')")
wait_sql 10 "SELECT status NOT IN ('queued', 'running') FROM trials WHERE id = $huge"
check_true "1: the daemon is alive after an epoch of 1,000,000,000" is_daemon "$DAEMON_PID"
rss=$(vmrss_kb "$DAEMON_PID")
# AddressSanitizer's shadow memory and quarantine add a few hundred MB; arrays
# sized by that epoch would take gigabytes either way
cap_mb=100; grep -qa __asan_init "$CAVIARD" && cap_mb=600
check_true "1: ... and small (VmRSS $rss kB < $cap_mb MB)" test "${rss:-0}" -gt 0 -a "${rss:-0}" -lt $((cap_mb * 1024))
check_true "1: the line is rejected with its reason" \
	grep -q "trial $huge: line rejected: epoch 1000000000 is past the trial's 100000: " "$TMP/daemon.log"
check_true "1: the trial is done, its one line counted as rejected" \
	grep -qE "trial $huge \(sweep [0-9]+ no\. 0\): done: finished \(1 lines? rejected\)$" "$TMP/daemon.log"
check "1: the rest of the curve is kept" \
	"$(sql "SELECT group_concat(epoch) FROM (SELECT epoch FROM points WHERE trial_id = $huge AND metric = 'val_loss' ORDER BY epoch)")" 1,2
# The old daemon also aborted at every start on that database.
if is_daemon "$DAEMON_PID"; then stop_daemon; else wait "$DAEMON_PID"; DAEMON_PID=; fi
"$CAVIARD" --db "$DB" --socket "$SOCK" --grace "$GRACE" 2>>"$TMP/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 50); do "$CAVIAR" status >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1
check_true "1: the daemon starts again on that database and stays up" is_daemon "$DAEMON_PID"
check_true "1: ... and answers" eval '"$CAVIAR" status >/dev/null 2>&1'
if is_daemon "$DAEMON_PID"; then stop_daemon; else wait "$DAEMON_PID"; DAEMON_PID=; fi

# Database three: (15) and (16).
cat >"$TMP/stderr_flood.sh" <<'SH'
#!/usr/bin/env python3
import os
chunk = b"E" * 65535 + b"\n"
for _ in range(1600):  # 100 MiB
    os.write(2, chunk)
os.write(2, b"the last words\n")
print('{"epoch": 1, "val_loss": 0.5}')
SH
chmod +x "$TMP/stderr_flood.sh"
script children "i=0; while [ \$i -lt 1000 ]; do sleep 300 & i=\$((i + 1)); done
echo '$METRIC'
exit 0"
DB=$TMP/third.db
start_daemon --slots 2 --grace "$GRACE"
se=$(trial_of "$(submit stderr_flood)")
wait_sql 120 "SELECT status NOT IN ('queued', 'running') FROM trials WHERE id = $se"
check "15: a trial that wrote 100 MiB on stderr is done" \
	"$(sql "SELECT status || ': ' || reason FROM trials WHERE id = $se")" "done: finished"
check "15: its stderr tail is the last 2 KB, ending with its last line" \
	"$(sql "SELECT length(stderr_tail) <= 2048 AND stderr_tail LIKE '%the last words%' FROM trials WHERE id = $se")" 1
rss=$(vmrss_kb "$DAEMON_PID")
check_true "15: the daemon stayed small (VmRSS $rss kB < $cap_mb MB)" test "${rss:-0}" -gt 0 -a "${rss:-0}" -lt $((cap_mb * 1024))
ch=$(trial_of "$(submit children)")
wait_sql 120 "SELECT status NOT IN ('queued', 'running') FROM trials WHERE id = $ch"
check "16: a program that left 1,000 children on its output is done" \
	"$(sql "SELECT status || ': ' || reason FROM trials WHERE id = $ch")" "done: finished"
for _ in $(seq 300); do [ "$(tagged_sleeps "$ch")" -eq 0 ] && break; sleep 0.1; done
check "16: none of its children is left" "$(tagged_sleeps "$ch")" 0
zombies() { ps -o stat= --ppid "$DAEMON_PID" | grep -c '^Z'; }
for _ in $(seq 100); do [ "$(zombies)" -eq 0 ] && break; sleep 0.1; done
check "16: caviard reaped them all" "$(zombies)" 0
check_true "16: and answers" eval '"$CAVIAR" status >/dev/null 2>&1'
stop_daemon
finish
