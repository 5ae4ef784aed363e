#!/usr/bin/env bash
# Fork servers ("fork_server": true, sdk/caviar.py's serve): the program is
# started once per sweep and every trial is a child forked from it, adopted
# by caviard; a trial's crash fails that trial alone; a server that dies is
# started again and its trials run anyway; after repeated crashes, or a
# server that cannot serve (a thread left by setup), the sweep falls back to
# a process per trial, said in the log (so does one whose setup outlasts its
# setup_timeout; a server that closes its socket but
# lives on is killed, and its end said as such); the server's spare trial
# processes; a forked trial keeps the memory it frees for its next
# allocation; adjust and cancel work on a forked trial; a forked trial leads
# its own process group, has the sweep's memory limit and is stopped past its
# timeout as a spawned one; a server killed while its trial runs leaves the
# trial running, and the next gets a new server; one that always crashes (in
# setup, or when handed a trial) falls back after three; a spec that puts a
# trial's value in a fork server's command is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/forkserver_lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PYTHONPATH=$ROOT/sdk

cat >"$TMP/trial.py" <<'PY'
import os, resource, sys, threading, time
import caviar

MODE = os.environ.get("MODE", "")


def setup():
    if MODE == "thread":  # a thread pool left running: the server must refuse
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    if MODE == "crashsetup" and os.environ.get("CAVIAR_FORK_SERVER") == "1":
        os._exit(4)  # every server dies in its setup; a trial's own run does not
    if MODE == "crashserve" and os.environ.get("CAVIAR_FORK_SERVER") == "1":
        # every server says it is ready, then dies when handed a trial
        caviar._Spares.start_trial = lambda self, req, fds: os._exit(5)
    if MODE == "crash" and not os.path.exists(os.environ["MARK"]):
        open(os.environ["MARK"], "w").close()
        os._exit(3)  # the first server dies in setup; the next one serves
    if MODE == "stuck" and os.environ.get("CAVIAR_FORK_SERVER") == "1":
        time.sleep(3600)  # a server never ends its setup; a trial's own run does
    if MODE == "hangup" and not os.path.exists(os.environ["MARK"]):
        open(os.environ["MARK"], "w").write(str(os.getpid()))
        os.closerange(3, 1024)  # the first server closes its socket and lives on
        time.sleep(3600)
    return {"server": os.getpid()}


def refaults():
    """Page faults of a second 64 MB block after the first is freed: ~16,000
    where glibc gave the first back to the kernel."""
    block = b"x" * (64 << 20)
    del block
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    block = b"x" * (64 << 20)
    del block
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def group():
    """The process group this process is in, as /proc says."""
    with open("/proc/self/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[2])


def address_limit_mb():
    """Its address-space limit (the soft one) in MB, 0 for none."""
    with open("/proc/self/limits") as f:
        for line in f:
            if line.startswith("Max address space"):
                soft = line.split()[3]
                return 0 if soft == "unlimited" else int(soft) >> 20
    return -1


def train(state):
    p = caviar.params(lr=0.1, epochs=3, crash=0, wait="", hold="")
    faults = refaults()
    if p["crash"]:
        os._exit(9)
    lr = p["lr"]
    for epoch in range(1, int(p["epochs"]) + 1):
        while p["wait"] and not os.path.exists(p["wait"]):
            lr = caviar.adjustments().get("lr", lr)  # held here until the test says go
            if caviar.should_stop():
                return 0
            time.sleep(0.01)
        lr = caviar.adjustments().get("lr", lr)
        caviar.report(epoch, val_loss=1.0 / (epoch * lr), lr=lr,
                      server=state["server"] if state else 0, pid=os.getpid(),
                      parent=os.getppid(), refaults=faults, group=group(),
                      limit_mb=address_limit_mb())
        said = False
        while p["hold"] and not os.path.exists(p["hold"]):  # held, deaf to SIGTERM
            if caviar.should_stop() and not said:
                print("asked to stop; staying", flush=True)
                said = True
            time.sleep(0.01)


sys.exit(caviar.serve(train, setup=setup))
PY
spec() { # spec NAME TRIALS EXTRA
	cat <<JSON
{"name": "$1", "command": ["python3", "$TMP/trial.py"], "fork_server": true,
 "trials": $2, "seed": 3, "objective": {"metric": "val_loss", "mode": "min"}, $3
 "params": {"lr": {"log": [0.1, 1]}}}
JSON
}
held_running() { # held_running SWEEP: its first trial runs (held), caviard knows its pid
	for _ in $(seq 600); do
		[ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $1 AND status = 'running' AND pid > 0")" = 1 ] && return
		sleep 0.05
	done
}

start_daemon --slots 2
spec basic 6 '' >"$TMP/basic.json"
s=$("$CAVIAR" submit "$TMP/basic.json")
"$CAVIAR" wait "$s" >/dev/null
check "every trial of a fork server sweep finished" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 6
check "all forked from one server" "$(distinct "$s" server)" 1
check "each its own process" "$(distinct "$s" pid)" 6
check "adopted by caviard" \
	"$(sql "SELECT DISTINCT value FROM points p JOIN trials t ON t.id = p.trial_id
		WHERE t.sweep_id = $s AND metric = 'parent'")" "$DAEMON_PID.0"
check "the server's start is logged" "$(grep -c "sweep $s: started its fork server" "$TMP/daemon.log")" 1
check "and its readiness" "$(grep -c "sweep $s: its fork server (pid [0-9]*) is ready" "$TMP/daemon.log")" 1
check "a forked trial reuses the memory it frees (glibc's thresholds, set by the server)" \
	"$(sql "SELECT max(value) < 2000 FROM points p JOIN trials t ON t.id = p.trial_id
		WHERE t.sweep_id = $s AND metric = 'refaults'")" 1
check "the server's own output has a file" "$(test -f "$DB.d/forkservers/sweep-$s.log" && echo yes)" yes

spec crash1 3 '"train": {"crash": 1},' >"$TMP/c.json"
s=$("$CAVIAR" submit "$TMP/c.json")
"$CAVIAR" wait "$s" >/dev/null
check "a crashing child fails its trial alone, with its own exit" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'failed' AND reason LIKE '%signal 9%' OR sweep_id = $s AND reason LIKE '%code 9%'")" 3
check "its server stayed up" "$(grep -c "sweep $s: its fork server (pid [0-9]*) \(exited\|was\)" "$TMP/daemon.log" | tr -d ' ')" 0

spec wait 1 "\"train\": {\"epochs\": 2, \"wait\": \"$TMP/go\"}," >"$TMP/w.json"
s=$("$CAVIAR" submit "$TMP/w.json")
t=$(sql "SELECT id FROM trials WHERE sweep_id = $s")
for _ in $(seq 400); do
	[ "$(sql "SELECT pid > 0 FROM trials WHERE id = $t")" = 1 ] && break
	sleep 0.05
done
out=$("$CAVIAR" adjust "$t" lr=0.5 2>&1)
check "adjust reaches a forked trial ($out)" $? 0
touch "$TMP/go"
"$CAVIAR" wait "$s" >/dev/null
check "and it trained with the new lr" "$(sql "SELECT value FROM points WHERE trial_id = $t AND metric = 'lr' AND epoch = 2")" 0.5

rm -f "$TMP/go2"
spec cancel 1 "\"train\": {\"wait\": \"$TMP/go2\"}," >"$TMP/k.json"
s=$("$CAVIAR" submit "$TMP/k.json")
t=$(sql "SELECT id FROM trials WHERE sweep_id = $s")
for _ in $(seq 400); do
	[ "$(sql "SELECT pid > 0 FROM trials WHERE id = $t")" = 1 ] && break
	sleep 0.05
done
pid=$(sql "SELECT pid FROM trials WHERE id = $t")
"$CAVIAR" cancel "$s" >/dev/null
"$CAVIAR" wait "$s" >/dev/null
check "cancel stops a forked trial" "$(sql "SELECT status FROM trials WHERE id = $t")" cancelled
check "its process is gone (and reaped)" "$(test -e "/proc/$pid" && echo alive || echo gone)" gone
stop_daemon

# Spares: the server forks trials' processes ahead (sdk/caviar.py _Spares),
# each caviard's child before its trial comes; one that dies first is passed
# over, and none outlives its server.
start_daemon --slots 1
rm -f "$TMP/go3"
spec spare 3 "\"train\": {\"epochs\": 1, \"wait\": \"$TMP/go3\"}," >"$TMP/sp.json"
s=$("$CAVIAR" submit "$TMP/sp.json")
held_running "$s"
server=
for _ in $(seq 600); do
	server=$(sed -n "s/.*sweep $s: its fork server (pid \([0-9]*\)) is ready.*/\1/p" "$TMP/daemon.log")
	[ -n "$server" ] && break
	sleep 0.05
done
spares() { # the processes of trial.py that caviard adopted and that are neither trials nor the server
	for p in $(pgrep -P "$DAEMON_PID" -f "$TMP/trial.py"); do
		[ "$p" = "$server" ] || [ -n "$(sql "SELECT id FROM trials WHERE pid = $p AND status = 'running'")" ] ||
			echo "$p"
	done
}
n=0
for _ in $(seq 600); do
	n=$(spares | wc -l)
	[ "$n" -ge 2 ] && break
	sleep 0.05
done
check "the server keeps two spares, adopted by caviard" "$n" 2
check "each holds its own socket only, none of the other's" \
	"$(for p in $(spares); do find "/proc/$p/fd" -lname 'socket:*' | wc -l; done | paste -sd ' ')" "1 1"
kill -9 $(spares) 2>/dev/null
touch "$TMP/go3"
"$CAVIAR" wait "$s" >/dev/null
check "spares that died before their trial are passed over: every trial ran" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 3
check "each in its own process, adopted by caviard" \
	"$(sql "SELECT count(DISTINCT p.value) || ' ' || min(q.value) || ' ' || max(q.value) FROM points p
		JOIN points q ON q.trial_id = p.trial_id AND q.epoch = p.epoch AND q.metric = 'parent'
		JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $s AND p.metric = 'pid'")" \
	"3 $DAEMON_PID.0 $DAEMON_PID.0"
for _ in $(seq 600); do
	[ -z "$(pgrep -P "$DAEMON_PID" -f "$TMP/trial.py")" ] && break
	sleep 0.05
done
check "no spare outlives its server" "$(pgrep -P "$DAEMON_PID" -f "$TMP/trial.py" | wc -l)" 0
stop_daemon

# A forked trial is stopped and limited as a spawned one: it leads its own
# process group (caviard signals the group), has the sweep's memory_mb as its
# address-space limit, and past its timeout gets SIGTERM, then SIGKILL after
# the grace period when it stays.
start_daemon --slots 2 --grace 1
spec limits 1 '"memory_mb": 1500, "train": {"epochs": 1},' >"$TMP/li.json"
s=$("$CAVIAR" submit "$TMP/li.json")
"$CAVIAR" wait "$s" >/dev/null
t=$(sql "SELECT id FROM trials WHERE sweep_id = $s")
at1() { sql "SELECT value FROM points WHERE trial_id = $1 AND epoch = 1 AND metric = '$2'"; }
check "a forked trial (not its server's process) is done" \
	"$(sql "SELECT status FROM trials WHERE id = $t") $(test "$(at1 "$t" server)" != "$(at1 "$t" pid)" && echo forked)" "done forked"
check "it leads its own process group" "$(at1 "$t" group)" "$(at1 "$t" pid)"
check "its address space is limited to the sweep's memory_mb" "$(at1 "$t" limit_mb)" 1500.0
rm -f "$TMP/never"
spec late 1 "\"timeout\": 3, \"train\": {\"epochs\": 1, \"hold\": \"$TMP/never\"}," >"$TMP/la.json"
s=$("$CAVIAR" submit "$TMP/la.json")
"$CAVIAR" wait "$s" >/dev/null
t=$(sql "SELECT id FROM trials WHERE sweep_id = $s")
check "a forked trial past its timeout is stopped, failed" \
	"$(sql "SELECT status || ': ' || reason FROM trials WHERE id = $t")" "failed: timed out after 3 s"
check "it was forked" "$(test "$(at1 "$t" server)" != "$(at1 "$t" pid)" && echo forked)" forked
check "SIGTERM reached it first (it stayed)" \
	"$(sql "SELECT count(*) FROM logs WHERE trial_id = $t AND line = 'asked to stop; staying'")" 1
check "then SIGKILL after the grace period, said in the log" \
	"$(grep -c "trial $t: no exit 1 s after its stop signal, sending SIGKILL" "$TMP/daemon.log" | tr -d ' ')" 1
check "and recorded" "$(sql "SELECT exit_signal FROM trials WHERE id = $t")" 9
check "its process is gone" "$(p=$(at1 "$t" pid); test -e "/proc/${p%.0}" && echo alive || echo gone)" gone
stop_daemon

# kill -9 of a server while one of its trials runs: that trial, caviard's
# child, finishes and is recorded; the next trial gets a new server.
start_daemon --slots 1
rm -f "$TMP/go4"
spec killed 2 "\"train\": {\"epochs\": 1, \"wait\": \"$TMP/go4\"}," >"$TMP/ki.json"
s=$("$CAVIAR" submit "$TMP/ki.json")
held_running "$s"
t=$(sql "SELECT id FROM trials WHERE sweep_id = $s AND status = 'running' AND pid > 0")
server=$(sed -n "s/.*sweep $s: its fork server (pid \([0-9]*\)) is ready.*/\1/p" "$TMP/daemon.log")
check_true "the server of a running trial is known (${server:-none}, trial ${t:-none})" test -n "$server" -a -n "$t"
kill -9 "$server"
said=0
for _ in $(seq 600); do
	said=$(grep "sweep $s: its fork server (pid $server) " "$TMP/daemon.log" | grep -vc ") is ready after")
	[ "$said" -ge 1 ] && break
	sleep 0.05
done
check "its end is said as what it was" \
	"$(grep "sweep $s: its fork server (pid $server) " "$TMP/daemon.log" | grep -v ") is ready after" |
		sed 's/.*(pid [0-9]*) //; s/ (its output.*//')" \
	"was killed by signal 9 (SIGKILL)"
check "its running trial runs on" "$(sql "SELECT status FROM trials WHERE id = ${t:-0}")" running
touch "$TMP/go4"
"$CAVIAR" wait "$s" >/dev/null
check "that trial finished and is recorded" \
	"$(sql "SELECT status || ' ' || epochs FROM trials WHERE id = ${t:-0}") $(at1 "${t:-0}" server)" "done 1 $server.0"
check "so did the next" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 2
check "a new server was started for it" \
	"$(grep -c "sweep $s: started its fork server" "$TMP/daemon.log" | tr -d ' ') $(distinct "$s" server)" "2 2"
stop_daemon

# A server that always crashes, in its setup or once it serves: after three
# the sweep runs a process per trial, said so, and every trial is done.
for how in crashsetup:4 crashserve:5; do
	MODE=${how%:*} start_daemon --slots 2
	spec "${how%:*}" 4 '' >"$TMP/${how%:*}.json"
	s=$("$CAVIAR" submit "$TMP/${how%:*}.json")
	"$CAVIAR" wait "$s" >/dev/null
	check "${how%:*}: each server's end is said" \
		"$(grep -c "sweep $s: its fork server (pid [0-9]*) exited with status ${how#*:}" "$TMP/daemon.log" | tr -d ' ')" 3
	check "${how%:*}: then the fallback" \
		"$(grep -c "sweep $s: one process per trial from now on: its fork server crashed 3 times" "$TMP/daemon.log" | tr -d ' ')" 1
	check "${how%:*}: no fourth server" "$(grep -c "sweep $s: started its fork server" "$TMP/daemon.log" | tr -d ' ')" 3
	check "${how%:*}: every trial is done, each its own program" \
		"$(sql "SELECT count(*) FROM trials t JOIN points s ON s.trial_id = t.id AND s.epoch = 1 AND
			s.metric = 'server' JOIN points p ON p.trial_id = t.id AND p.epoch = 1 AND p.metric = 'pid'
			WHERE t.sweep_id = $s AND t.status = 'done' AND s.value = p.value")" 4
	stop_daemon
done

MODE=crash MARK=$TMP/crashed start_daemon --slots 2
spec crash 4 '' >"$TMP/cr.json"
s=$("$CAVIAR" submit "$TMP/cr.json")
"$CAVIAR" wait "$s" >/dev/null
check "a server that died is started again, and its trials run" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 4
check "its end is logged with its exit status" \
	"$(grep -c "sweep $s: its fork server (pid [0-9]*) exited with status 3" "$TMP/daemon.log" | tr -d ' ')" 1
check "and none of its trials failed for it" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND attempts > 1 AND status != 'done'")" 0
stop_daemon

MODE=hangup MARK=$TMP/hungup start_daemon --slots 2
spec hangup 2 '' >"$TMP/hu.json"
s=$("$CAVIAR" submit "$TMP/hu.json")
"$CAVIAR" wait "$s" >/dev/null
check "a server that closed its socket but lived on: another runs the trials" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 2
check "it is said so" \
	"$(grep -c "sweep $s: its fork server (pid $(cat "$TMP/hungup")) closed its socket but lived on (caviard killed it)" "$TMP/daemon.log" | tr -d ' ')" 1
check "and it is gone" "$(test -e "/proc/$(cat "$TMP/hungup")" && echo alive || echo gone)" gone
stop_daemon

MODE=stuck start_daemon --slots 2
spec stuck 2 '' | sed 's/"fork_server": true/"fork_server": {"setup_timeout": 1}/' >"$TMP/st.json"
s=$("$CAVIAR" submit "$TMP/st.json")
"$CAVIAR" wait "$s" >/dev/null
stuck=$(sed -n "s/.*sweep $s: started its fork server .* (pid \([0-9]*\);.*/\1/p" "$TMP/daemon.log")
check "a server stuck in its setup past setup_timeout: the trials run one process each" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 2
check "it is said so" \
	"$(grep -c "sweep $s: its fork server (pid $stuck) was not ready after its setup_timeout of 1 s (caviard killed it)" "$TMP/daemon.log" | tr -d ' ')" 1
check "with the fallback" \
	"$(fell_back "$s")" 1
check "and it is gone" "$(test -n "$stuck" && test ! -e "/proc/$stuck" && echo gone)" gone
expect 4 'fork_server: expected true, false or \{"setup_timeout": seconds\}' \
	"$CAVIAR" validate <(spec bad 1 '' | sed 's/"fork_server": true/"fork_server": 1/')
expect 4 'fork_server.setup_timeout: expected seconds in \(0, 2592000\], got -1' \
	"$CAVIAR" validate <(spec bad 1 '' | sed 's/"fork_server": true/"fork_server": {"setup_timeout": -1}/')
expect 4 'fork_server.setup: unknown key \(expected setup_timeout\)' \
	"$CAVIAR" validate <(spec bad 1 '' | sed 's/"fork_server": true/"fork_server": {"setup": 5}/')
stop_daemon

MODE=thread start_daemon --slots 2
spec thread 3 '' >"$TMP/th.json"
s=$("$CAVIAR" submit "$TMP/th.json")
"$CAVIAR" wait "$s" >/dev/null
check "a server whose setup left a thread refuses; the trials run one process each" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 3
check "the refusal says why" \
	"$(grep -c "sweep $s: its fork server .*setup left 2 threads running.*set_num_threads(1)" "$TMP/daemon.log" | tr -d ' ')" 1
check "and how it ended: it exited (it closed its socket first, not to live on)" \
	"$(grep -c "sweep $s: its fork server (pid [0-9]*) exited with status 1: setup left 2 threads" "$TMP/daemon.log" | tr -d ' ')" 1
check "and the fallback is said" \
	"$(fell_back "$s")" 1
check "each trial its own program, which ran setup itself" \
	"$(own_setups "$s")" 3
cat >"$TMP/bad.json" <<JSON
{"command": ["python3", "$TMP/trial.py", "--lr", "{lr}"], "fork_server": true, "trials": 1,
 "objective": {"metric": "val_loss", "mode": "min"}, "params": {"lr": {"log": [0.1, 1]}}}
JSON
expect 4 'command\[3\]: \{lr\}: a fork server.s command is started once' "$CAVIAR" submit "$TMP/bad.json"
stop_daemon
finish
