#!/usr/bin/env bash
# caviar watch: the live view drawn in a real terminal (tmux), redrawn while a
# sweep runs and gone when it ends; Ctrl-C leaves the sweep running; without a
# terminal, one line per event (the same events a raw subscriber sees), or the
# events themselves with --json; submit --watch; the error paths.
. "$(dirname "$0")/lib.sh"

TMUX_NAME=caviar-e2e-$$-1
tmux_() { tmux -L "$TMUX_NAME" -f /dev/null "$@"; }
trap 'for n in 1 2; do tmux -L "caviar-e2e-$$-$n" kill-server 2>/dev/null; done; cleanup' EXIT

# wait_for FILE PATTERN: up to 10 s for a line matching PATTERN in FILE.
wait_for() {
	for _ in $(seq 100); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# pane_until PATTERN: captures the tmux pane into $TMP/pane.txt until it matches.
pane_until() {
	for _ in $(seq 100); do
		tmux_ capture-pane -p >"$TMP/pane.txt" 2>/dev/null
		grep -qE -- "$1" "$TMP/pane.txt" && return 0
		sleep 0.1
	done
	return 1
}

cat >"$TMP/bowl.json" <<'JSON'
{ "name": "bowl", "trials": 4, "seed": 3, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 5, "epoch_ms": 300},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.9, 0.999]} } }
JSON
sed -e 's/"epoch_ms": 300/"epoch_ms": 3000/' -e 's/"name": "bowl"/"name": "slow"/' "$TMP/bowl.json" >"$TMP/slow.json"
sed -e 's/"epoch_ms": 300/"epoch_ms": 50/' -e 's/"trials": 4/"trials": 2/' "$TMP/bowl.json" >"$TMP/quick.json"

start_daemon --slots 2
# Watchers of every sweep, started before the sweep: plain lines, and a raw subscriber.
"$CAVIAR" watch >"$TMP/all.txt" 2>"$TMP/all.err" &
watcher=$!
python3 - "$SOCK" "$TMP/subscribed" >"$TMP/events.txt" <<'PY' &
import collections, json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"cmd": "subscribe"}\n')
f = s.makefile(); counts = collections.Counter()
assert json.loads(f.readline())["ok"]
open(sys.argv[2], "w").close()
for line in f:
    e = json.loads(line); counts[e["event"]] += 1
    if e["event"] == "sweep_ended":
        break
print(" ".join(f"{k}={counts[k]}" for k in sorted(counts)))
PY
subscriber=$!
# Both subscribed before the sweep starts (a busy machine starts programs late):
# the raw subscriber says so; watch, started first, has had the same time and more.
for _ in $(seq 200); do [ -e "$TMP/subscribed" ] && break; sleep 0.05; done
sleep 0.5
id=$("$CAVIAR" submit "$TMP/bowl.json")

# The terminal view, in a 160x40 tmux pane.
tmux_ new-session -d -x 160 -y 40 \
	"env TERM=xterm-256color CAVIAR_SOCKET='$SOCK' '$CAVIAR' watch $id; echo EXIT=\$? >'$TMP/tty.rc'; sleep 30"
check_true "watch draws a progress bar per running trial" pane_until '█.* [1-5]/5 '
check_true "the pane shows the sweep and its objective" grep -q "sweep $id \"bowl\"  running  objective val_loss (min)" "$TMP/pane.txt"
check_true "the pane shows the counts" grep -qE "done [0-9]  running 2  queued [0-9]  pruned 0  failed 0  of 4" "$TMP/pane.txt"
check "two trial lines" "$(grep -cE '^ +[0-9]+  [0-9]+ +[█·]' "$TMP/pane.txt")" 2
check_true "the table labels the trial's id TRIAL, its number NO." \
	grep -qE '^ +TRIAL  NO\. +PROGRESS +EPOCH' "$TMP/pane.txt"
check_true "the pane shows a best trial" pane_until '^best: trial [0-9]+ \(no\. [0-9]'
check_true "the pane shows sparklines" grep -qE '[▁▂▃▄▅▆▇█]{2}' "$TMP/pane.txt"
check_true "the counts move as trials end" pane_until "done [2-4]  running"
check_true "watch exits by itself when the sweep ends" wait_for "$TMP/tty.rc" 'EXIT='
check "... with exit 0 (finished)" "$(cat "$TMP/tty.rc")" "EXIT=0"
tmux_ capture-pane -p >"$TMP/pane.txt"
check_true "the terminal is restored, with the summary left on it" \
	grep -qE "^sweep $id \"bowl\" done: done 4  running 0  queued 0  pruned 0  failed 0  of 4; best: trial" "$TMP/pane.txt"
tmux_ kill-server

wait "$subscriber"
kill -INT "$watcher"; wait "$watcher"; rc=$?
check "watch of all sweeps: Ctrl-C exits 0" "$rc" 0
ev=$(cat "$TMP/events.txt")
count() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$ev"; }
check "one line per progress event" "$(grep -cE "^sweep $id trial [0-9]+ \(no\. [0-9]\) epoch [1-5]/5: " "$TMP/all.txt")" "$(count progress)"
check "one line per trial_started" "$(grep -cE "^sweep $id trial [0-9]+ \(no\. [0-9]\) started: lr=" "$TMP/all.txt")" "$(count trial_started)"
check "one line per trial_ended" "$(grep -cE "^sweep $id trial [0-9]+ \(no\. [0-9]\) done: finished; best val_loss" "$TMP/all.txt")" "$(count trial_ended)"
check "sweep_started, sweep_ended lines (and the summary at Ctrl-C)" \
	"$(grep -cE "^sweep $id \"bowl\" (started|done: )" "$TMP/all.txt")" 3
check "nothing else (but the summary at Ctrl-C)" "$(wc -l <"$TMP/all.txt")" \
	$(($(count progress) + $(count trial_started) + $(count trial_ended) + 3))

# Ctrl-C in the terminal: the view ends, the sweep goes on.
slow=$("$CAVIAR" submit "$TMP/slow.json")
TMUX_NAME=caviar-e2e-$$-2
tmux_ new-session -d -x 120 -y 30 \
	"env TERM=xterm-256color CAVIAR_SOCKET='$SOCK' '$CAVIAR' watch $slow; echo EXIT=\$? >'$TMP/int.rc'; sleep 30"
check_true "watch of the slow sweep is drawn" pane_until "sweep $slow \"slow\""
tmux_ send-keys C-c
check_true "Ctrl-C ends watch" wait_for "$TMP/int.rc" 'EXIT='
check "... with exit 0" "$(cat "$TMP/int.rc")" "EXIT=0"
tmux_ capture-pane -p >"$TMP/pane.txt"
check_true "... saying the sweep goes on" grep -q "caviar: watch: stopped watching; sweep $slow goes on" "$TMP/pane.txt"
check "the sweep is still running" "$(sql "SELECT status FROM sweeps WHERE id = $slow")" running
for _ in $(seq 200); do st=$("$CAVIAR" status); grep -q '^TRIAL ' <<<"$st" && break; sleep 0.05; done
check_true "status: the running trials' table labels the trial's number NO." \
	grep -qE '^TRIAL +SWEEP +NO\. +PID +EPOCH +RUNNING FOR$' <<<"$st"
tmux_ kill-server
"$CAVIAR" cancel "$slow" >/dev/null
"$CAVIAR" wait "$slow" >/dev/null
out=$("$CAVIAR" watch "$slow" 2>&1); rc=$?
check "watch of a cancelled sweep: exit 1" "$rc" 1
check_true "... after its summary" grep -q "^sweep $slow \"slow\" cancelled: " <<<"$out"

# --json: the events themselves, one JSON object a line; submit --watch.
quick=$("$CAVIAR" submit "$TMP/quick.json")
"$CAVIAR" watch "$quick" --json >"$TMP/events.json"
check "watch --json exits 0 at the end" $? 0
check "watch --json lines are events" "$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print(all("event" in e for e in ev), ev[-1]["event"], ev[-1]["status"])' "$TMP/events.json")" "True sweep_ended done"
out=$("$CAVIAR" submit --watch "$TMP/quick.json" 2>"$TMP/submit.err"); rc=$?
check "submit --watch exits 0" "$rc" 0
check_true "submit --watch says it submitted" grep -q "caviar: sweep [0-9]* submitted: 2 trials" "$TMP/submit.err"
check_true "submit --watch ends with the summary" grep -qE '^sweep [0-9]+ "bowl" done: done 2 ' <<<"$(tail -1 <<<"$out")"

# Errors.
expect 1 "^caviar: watch: no sweep 42$" "$CAVIAR" watch 42
expect 2 "^caviar: watch: x: expected a sweep id" "$CAVIAR" watch x
expect 2 "^caviar: watch: too many arguments" "$CAVIAR" watch 1 2
expect 2 "^caviar: submit: --wait and --watch exclude each other" "$CAVIAR" submit --wait --watch "$TMP/quick.json"
stop_daemon
expect 3 "^caviar: watch: no daemon is running at $SOCK" "$CAVIAR" watch 1
finish
