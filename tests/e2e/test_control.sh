#!/usr/bin/env bash
# The control channel attacked (worker_proto.h: control lines on a command
# trial's stdin), with control_trial.py: a program that never answers, one
# that answers with garbage, a 3 MB line, wrong ids, 5,000 unprompted
# "adjusted" lines and changes it was not asked for, one that closes its
# stdin, one that ends instead of answering. Each time the client is told
# why, naming the trial; nothing is recorded but what was applied; the
# daemon stays small and serves the others; a later adjust works.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

submit() { # submit MODE: a one-trial sweep of control_trial.py MODE; its id
	cat >"$TMP/$1.json" <<JSON
{"name": "$1", "trials": 1, "command": ["python3", "$ROOT/tests/e2e/control_trial.py", "$1", "$TMP"],
 "objective": {"metric": "val_loss", "mode": "min"},
 "params": {"lr": {"log": [0.01, 1]}, "width": {"choice": [64, 128], "steer": false}}}
JSON
	"$CAVIAR" submit "$TMP/$1.json"
}
running() { [ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $1 AND status = 'running' AND epochs >= 1")" = 1 ]; }
trial_of() { # SWEEP: its one trial's id, once it runs and has reported epoch 1
	until_true "sweep $1 runs" running "$1" && sql "SELECT id FROM trials WHERE sweep_id = $1"
}
adjustments() { sql "SELECT count(*) FROM adjustments WHERE trial_id = $1"; }
vmrss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
ended() { [ "$(sql "SELECT status FROM trials WHERE id = $1")" = done ]; }

start_daemon --slots 4 --answer-wait 3
silent=$(trial_of "$(submit silent)")
garbage=$(trial_of "$(submit garbage)")
closes=$(trial_of "$(submit closes)")
ends=$(trial_of "$(submit ends)")

# 1. Never answered: the client is told, naming the trial, when answer-wait
# passes; nothing recorded; the trial runs on and a later adjust works.
expect 1 "trial $silent did not answer within 3 s" "$CAVIAR" adjust "$silent" lr=0.2
until_true "the program got the line" test -s "$TMP/silent.got"
check "1: nothing recorded" "$(adjustments "$silent")" 0
check "1: the trial runs on" "$(sql "SELECT status FROM trials WHERE id = $silent")" running
touch "$TMP/silent.answer"
"$CAVIAR" adjust "$silent" lr=0.5 >"$TMP/silent.out"
check "1: a later adjust is answered" $? 0
check "1: and recorded, once" "$(sql "SELECT group_concat(new_value) FROM adjustments WHERE trial_id = $silent")" 0.5

# 2. Garbage, a 3 MB line, wrong ids and 5,000 unprompted answers, then the
# true one: only that one is recorded; every other line is rejected (a
# trial's first 5 rejects are logged: the garbage, the 3 MB line and 3 of
# the wrong ids; all counted); the daemon's memory stays bounded.
rss0=$(vmrss_kb "$DAEMON_PID")
"$CAVIAR" adjust "$garbage" lr=0.3 >"$TMP/garbage.out"
check "2: the true answer is found among the garbage" $? 0
check "2: it alone is recorded" "$(sql "SELECT group_concat(name || '=' || new_value) FROM adjustments WHERE trial_id = $garbage")" lr=0.3
rss=$(vmrss_kb "$DAEMON_PID")
check_true "2: the daemon stayed small (VmRSS $rss0 -> $rss kB)" test "$rss" -lt $((rss0 + 20 * 1024))
check_true "2: the daemon still answers others" "$CAVIAR" status >/dev/null
check "2: the unprompted answers are logged a few times, not 5,000" \
	"$(grep -c "trial $garbage: line rejected: \"adjusted\" answers no control line sent to it" "$TMP/daemon.log")" 3
expect 1 "not the names control line [0-9]+ asked for: nothing recorded" "$CAVIAR" adjust "$garbage" lr=0.4
check "2: an answer naming what was not asked records nothing" "$(adjustments "$garbage")" 1

# 3. A closed stdin: refused at once with the reason; the trial is not killed for it.
until_true "the program closed its stdin" test -e "$TMP/closes.closed"
expect 1 "trial $closes's program closed its stdin" "$CAVIAR" adjust "$closes" lr=0.2
check "3: the trial runs on" "$(sql "SELECT status FROM trials WHERE id = $closes")" running
check "3: nothing recorded" "$(adjustments "$closes")" 0

# 4. The trial ends instead of answering: the client is told it ended.
expect 1 "trial $ends ended \(done\) before its program answered" "$CAVIAR" adjust "$ends" lr=0.2
check "4: nothing recorded" "$(adjustments "$ends")" 0
expect 1 "trial $ends is not running" "$CAVIAR" adjust "$ends" lr=0.2

for m in silent garbage closes; do touch "$TMP/$m.stop"; done
for t in "$silent" "$garbage" "$closes"; do until_true "trial $t ends" ended "$t"; done
check "2: every bad line counted in the trial's record" \
	"$(sql "SELECT reason FROM trials WHERE id = $garbage")" "finished (5007 lines rejected)"
check "1, 3: the others' records are clean" \
	"$(sql "SELECT group_concat(reason, '|') FROM trials WHERE id IN ($silent, $closes)")" \
	"finished|finished"
stop_daemon

# 5. kill -9 of caviard while an adjust waits for its answer, then a
# restart. held.py (the sdk) holds a control line unread at epoch 1 until
# told: in A it applies it while caviard is stopped (SIGSTOP), saves epoch 2
# with it and caviard is killed before reading the answer; in B caviard is
# killed before the program read the line. A: applied, recorded once (from
# the curve log the resumed program prints again); B: applied nowhere,
# recorded nowhere. Either way every epoch's lr is the one recorded.
export PYTHONPATH=$ROOT/sdk
cat >"$TMP/held.py" <<'PY'
import os, select, sys, time
import caviar

mark = os.path.join(sys.argv[1], os.environ["CAVIAR_TRIAL_ID"] + ".")
p = caviar.params(lr=0.1)
start, state = caviar.resume()
lr = state["lr"] if state else p["lr"]
for epoch in range(start + 1, 5):
    if epoch == 2 and start == 0:  # the first run: hold the control line unread
        while not select.select([0], [], [], 0.05)[0] and not caviar.should_stop():
            pass
        open(mark + "arrived", "w").close()
        while not os.path.exists(mark + "go") and not caviar.should_stop():
            time.sleep(0.02)
        if caviar.should_stop():
            sys.exit(0)
    lr = caviar.adjustments().get("lr", lr)
    caviar.report(epoch, step=10 * epoch, val_loss=1.0 / epoch, lr=lr)
    caviar.save_checkpoint(epoch, {"lr": lr})
    if epoch == 2 and start == 0:
        open(mark + "saved", "w").close()
        while not caviar.should_stop():
            time.sleep(0.02)
        sys.exit(0)
PY
held() { # held NAME: a one-trial sweep of held.py, started; its trial's id
	cat >"$TMP/$1.json" <<JSON
{"name": "$1", "trials": 1, "command": ["python3", "$TMP/held.py", "$TMP"], "seed": 1,
 "objective": {"metric": "val_loss", "mode": "min"}, "params": {"lr": {"log": [0.01, 0.1]}}}
JSON
	trial_of "$("$CAVIAR" submit "$TMP/$1.json")"
}
kill9() { kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=; }
lrs() { sql "SELECT group_concat(epoch || ':' || value, ' ') FROM (SELECT epoch, value FROM points WHERE trial_id = $1 AND metric = 'lr' ORDER BY epoch)"; }
pending_adjust() { # pending_adjust TRIAL: caviar adjust in the background, held by the program
	("$CAVIAR" adjust "$1" lr=0.05 >/dev/null 2>&1 &)
	until_true "trial $1's program has the control line waiting" test -e "$TMP/$1.arrived"
}

start_daemon --answer-wait 60
a=$(held applied)
pending_adjust "$a"
kill -STOP "$DAEMON_PID"
touch "$TMP/$a.go"
until_true "A: the program applied it and saved epoch 2" test -e "$TMP/$a.saved"
kill9
start_daemon --answer-wait 60
until_true "A: the resumed trial ends" ended "$a"
check "A: applied once, recorded once, where it was applied" \
	"$(sql "SELECT group_concat(epoch || ':' || name || '=' || new_value) FROM adjustments WHERE trial_id = $a")" \
	"1:lr=0.05"
check "A: every epoch after it ran with it" "$(lrs "$a")" \
	"1:$(sql "SELECT json_extract(params, '$.lr') FROM trials WHERE id = $a") 2:0.05 3:0.05 4:0.05"
check_true "A: said in the log" grep -q "trial $a: its curve log holds an adjustment made before caviard stopped and never recorded: recorded now" "$TMP/daemon.log"

b=$(held refused)
pending_adjust "$b"
kill9
start_daemon --answer-wait 60
until_true "B: the resumed trial ends" ended "$b"
check "B: never applied, recorded nowhere" "$(adjustments "$b")" 0
lr_b=$(sql "SELECT json_extract(params, '$.lr') FROM trials WHERE id = $b")
check "B: every epoch at its own lr" "$(lrs "$b")" "1:$lr_b 2:$lr_b 3:$lr_b 4:$lr_b"
stop_daemon
finish
