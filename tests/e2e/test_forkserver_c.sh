#!/usr/bin/env bash
# Fork servers in C ("fork_server": true, sdk/caviar_report.h's caviar_serve,
# tests/e2e/c_serve.c): setup runs once per sweep and every trial is a child
# forked from it, adopted by caviard, in its own process group, directory,
# environment and memory limit; each trial's points are recorded; a crashing
# child fails its trial alone; adjust and cancel reach a forked trial; a setup that
# leaves a thread, or fails, is refused and the sweep runs a process per
# trial (each running setup itself); spares are forked ahead, adopted, and passed over
# when dead; nothing outlives caviard; and README.md's C example compiles
# and serves.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forkserver_lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

spec() { # spec NAME TRIALS EXTRA [COMMAND]
	cat <<JSON
{"name": "$1", "command": ["${4:-$C_SERVE}"], "fork_server": true, "retries": 0,
 "trials": $2, "seed": 3, "objective": {"metric": "val_loss", "mode": "min"}, $3
 "params": {"lr": {"log": [0.1, 1]}}}
JSON
}
values() { sql "SELECT group_concat(DISTINCT value) FROM points p JOIN trials t ON t.id = p.trial_id
	WHERE t.sweep_id = $1 AND metric = '$2'"; }
running() { [ "$(sql "SELECT pid > 0 FROM trials WHERE id = $1")" = 1 ]; } # with a pid caviard knows

C_SERVE_MARK=$TMP/setups start_daemon --slots 2
spec basic 6 "\"memory_mb\": 3000, \"env\": {\"C_SERVE_CRASH\": \"$TMP/crashed\"}," >"$TMP/basic.json"
s=$("$CAVIAR" submit "$TMP/basic.json")
"$CAVIAR" wait "$s" >/dev/null
check "every trial but the crashing one finished" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 5
check "setup ran once: one server for the sweep" "$(wc -l <"$TMP/setups" | tr -d ' ')" 1
check "every trial forked from it" "$(values "$s" server)" "$(cat "$TMP/setups").0"
check "the server's start is logged once" "$(grep -c "sweep $s: started its fork server" "$TMP/daemon.log")" 1
check "and its readiness" "$(grep -c "sweep $s: its fork server (pid $(cat "$TMP/setups")) is ready" "$TMP/daemon.log")" 1
check "each trial its own process" "$(distinct "$s" pid)" 6
check "adopted by caviard" "$(values "$s" parent)" "$DAEMON_PID.0"
check "leading its own process group" "$(values "$s" leader)" 1.0
check "in its own directory" "$(values "$s" in_dir)" 1.0
check "under the sweep's memory limit" "$(values "$s" memory)" 3000.0
check "with its own environment (CAVIAR_TRIAL_ID; CAVIAR_FORK_SERVER unset)" \
	"$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $s
		AND p.metric = 'trial' AND p.value = t.id AND p.epoch = 1")|$(values "$s" served)" "6|0.0"
check "reading setup's data" "$(values "$s" table)" 1.0
check "each trial's points recorded: 3 epochs of the done ones, 1 of the crashed" \
	"$(sql "SELECT group_concat(n, ' ') FROM (SELECT count(DISTINCT p.epoch) n FROM trials t
		JOIN points p ON p.trial_id = t.id AND p.metric = 'val_loss' WHERE t.sweep_id = $s
		GROUP BY t.id ORDER BY n)")" "1 3 3 3 3 3"
check "with its own lr" "$(sql "SELECT count(*) FROM trials t JOIN points p ON p.trial_id = t.id
	AND p.metric = 'lr' AND p.epoch = 1 WHERE t.sweep_id = $s
	AND abs(p.value - json_extract(t.params, '\$.lr')) < 1e-9")" 6
check "a crashing child fails its trial alone, with its own signal" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'failed' AND reason LIKE 'killed by signal 9%'")" 1
check "its server stayed up" "$(grep -c "sweep $s: its fork server (pid [0-9]*) \(exited\|was\|closed\)" "$TMP/daemon.log")" 0

spec wait 1 "\"train\": {\"epochs\": 2}, \"env\": {\"C_SERVE_WAIT\": \"$TMP/go\"}," >"$TMP/w.json"
s=$("$CAVIAR" submit "$TMP/w.json")
t=$(sql "SELECT id FROM trials WHERE sweep_id = $s")
until_true "trial $t running" running "$t"
out=$("$CAVIAR" adjust "$t" lr=0.5 2>&1)
check "adjust reaches a forked trial ($out)" $? 0
touch "$TMP/go"
"$CAVIAR" wait "$s" >/dev/null
check "and it trained with the new lr" \
	"$(sql "SELECT value FROM points WHERE trial_id = $t AND metric = 'lr' AND epoch = 2")" 0.5
check "it was a forked trial" \
	"$(sql "SELECT value FROM points WHERE trial_id = $t AND metric = 'parent' AND epoch = 2")" "$DAEMON_PID.0"
check "that sweep had its own server: two setups in all" "$(wc -l <"$TMP/setups" | tr -d ' ')" 2

spec cancel 1 "\"env\": {\"C_SERVE_WAIT\": \"$TMP/go2\"}," >"$TMP/k.json"
s=$("$CAVIAR" submit "$TMP/k.json")
t=$(sql "SELECT id FROM trials WHERE sweep_id = $s")
until_true "trial $t running" running "$t"
pid=$(sql "SELECT pid FROM trials WHERE id = $t")
"$CAVIAR" cancel "$s" >/dev/null
"$CAVIAR" wait "$s" >/dev/null
check "cancel stops a forked trial" "$(sql "SELECT status FROM trials WHERE id = $t")" cancelled
check "its process is gone (and reaped)" "$(test -e "/proc/$pid" && echo alive || echo gone)" gone
stop_daemon

# A setup that leaves a thread: the server refuses, every trial runs setup itself.
rm -f "$TMP/setups"
C_SERVE_MARK=$TMP/setups C_SERVE_MODE=thread start_daemon --slots 2
spec thread 3 '' >"$TMP/th.json"
s=$("$CAVIAR" submit "$TMP/th.json")
"$CAVIAR" wait "$s" >/dev/null
check "a server whose setup left a thread refuses; the trials run one process each" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 3
check "the refusal says why" \
	"$(grep -c "sweep $s: its fork server .*setup left 2 threads running; a fork server must fork with one" "$TMP/daemon.log")" 1
check "and the fallback is said" \
	"$(fell_back "$s")" 1
check "each trial its own program, which ran setup itself" \
	"$(own_setups "$s")" 3
check "setups: the refused server's and each trial's" "$(wc -l <"$TMP/setups" | tr -d ' ')" 4
stop_daemon

# A setup that fails (a nonzero status) refuses too.
C_SERVE_MODE=fail start_daemon --slots 2
spec fail 2 '' >"$TMP/f.json"
s=$("$CAVIAR" submit "$TMP/f.json")
"$CAVIAR" wait "$s" >/dev/null
check "a server whose setup failed refuses; the trials run one process each" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")|$(distinct "$s" server)" 2\|2
check "the refusal says why" \
	"$(grep -c "sweep $s: its fork server (pid [0-9]*) exited with status 3: setup failed: it returned 3" "$TMP/daemon.log")" 1
check "and the fallback is said" \
	"$(fell_back "$s")" 1
stop_daemon

# Spares (as sdk/caviar.py's): trial processes forked ahead, each caviard's
# child before its trial comes; one that dies first is passed over.
rm -f "$TMP/setups"
C_SERVE_MARK=$TMP/setups start_daemon --slots 1
spec spare 3 "\"train\": {\"epochs\": 1}, \"env\": {\"C_SERVE_WAIT\": \"$TMP/go3\"}," >"$TMP/sp.json"
s=$("$CAVIAR" submit "$TMP/sp.json")
one_running() { [ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'running' AND pid > 0")" = 1 ]; }
until_true "the first trial running (held)" one_running
server_pid() { sed -n "s/.*sweep $s: its fork server (pid \([0-9]*\)) is ready.*/\1/p" "$TMP/daemon.log"; }
until_true "its server ready" test -n "$(server_pid)"
server=$(server_pid)
spares() { # caviard's c_serve children that are neither a trial nor the server
	for p in $(pgrep -P "$DAEMON_PID" -x c_serve); do
		[ "$p" = "$server" ] || [ -n "$(sql "SELECT id FROM trials WHERE pid = $p AND status = 'running'")" ] ||
			echo "$p"
	done
}
two_spares() { [ "$(spares | wc -l)" -ge 2 ]; }
until_true "two spares" two_spares
check "the server keeps two spares, adopted by caviard" "$(spares | wc -l)" 2
sockets() { for p in $(spares); do find "/proc/$p/fd" -lname 'socket:*' | wc -l; done | paste -sd ' '; }
one_each() { [ "$(sockets)" = "1 1" ]; } # a spare just adopted may not have closed the rest yet
until_true "each spare with one socket" one_each
check "each holds its own socket only, none of the other's" "$(sockets)" "1 1"
kill -9 $(spares) 2>/dev/null
touch "$TMP/go3"
"$CAVIAR" wait "$s" >/dev/null
check "spares that died before their trial are passed over: every trial ran" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 3
check "each forked, in its own process adopted by caviard" \
	"$(distinct "$s" pid) $(values "$s" parent) $(values "$s" server)" "3 $DAEMON_PID.0 $server.0"
check "by one server" "$(wc -l <"$TMP/setups" | tr -d ' ')" 1
stop_daemon

# README.md's C example, compiled as it says (plain C11 with POSIX), serves.
awk '/^### A fork server/ {on = 1} on && /^```c$/ {code = 1; next} code && /^```$/ {exit}
	code' "$ROOT/README.md" >"$TMP/train.c"
check_true "README.md's C example compiles" \
	$TEST_CC -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror -O2 \
	-I"$ROOT/sdk" "$TMP/train.c" -o "$TMP/train" -lm
start_daemon --slots 2
spec readme 4 '' "$TMP/train" >"$TMP/r.json"
s=$("$CAVIAR" submit "$TMP/r.json")
"$CAVIAR" wait "$s" >/dev/null
check "its trials finished, 5 epochs each" \
	"$(sql "SELECT count(*) FROM trials t WHERE sweep_id = $s AND status = 'done' AND
		(SELECT count(*) FROM points p WHERE p.trial_id = t.id AND p.metric = 'val_loss') = 5")" 4
check "its setup ran once, in its server (its log)" \
	"$(grep -c '^setup: 1000000 samples$' "$DB.d/forkservers/sweep-$s.log")" 1
check "and its trials were forked" \
	"$(grep -c "sweep $s: its fork server (pid [0-9]*) is ready" "$TMP/daemon.log")|$(grep -c "sweep $s: one process per trial" "$TMP/daemon.log")" "1|0"
stop_daemon

# Nothing of a sweep outlives caviard: its trials (asked to die with it, and
# c_serve stops on SIGTERM), its server and its spares.
start_daemon --slots 2
spec orphans 2 "\"env\": {\"C_SERVE_WAIT\": \"$TMP/never\"}," >"$TMP/o.json"
s=$("$CAVIAR" submit "$TMP/o.json")
two_running() { [ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'running' AND pid > 0")" = 2 ]; }
until_true "both trials running" two_running
check "both forked" "$(grep -c "sweep $s: its fork server (pid [0-9]*) is ready" "$TMP/daemon.log")" 1
our_pids() { # live processes of c_serve under this test's daemons
	local p
	for p in $(pgrep -f "^$C_SERVE"); do
		grep -qa "CAVIAR_CACHE_DIR=$TMP/cache" "/proc/$p/environ" 2>/dev/null &&
			[ "$(cut -d ' ' -f 3 "/proc/$p/stat" 2>/dev/null)" != Z ] && echo "$p"
	done
}
ours() { our_pids | wc -l | tr -d ' '; }
cleanup_extra() { for p in $(our_pids); do kill -9 "$p"; done; } # left when the check fails
five() { [ "$(ours)" = 5 ]; }
until_true "the trials, the server and its two spares" five
check "the trials, the server and its spares run" "$(ours)" 5
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
none_left() { [ "$(ours)" = 0 ]; }
until_true "no process of the sweep left" none_left
check "caviard killed: none of them outlives it" "$(ours)" 0
finish
