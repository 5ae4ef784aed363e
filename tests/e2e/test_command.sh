#!/usr/bin/env bash
# Command trials: a user's own program tuned over the same pipe protocol, in
# Python (examples/command/train.py with sdk/caviar.py) and in C
# (c_trial.c with sdk/caviar_report.h); log lines kept apart from
# metrics, the metrics prefix, checkpoint and resume, cancel, and every error a
# user meets at submit time or on the trial.
. "$(dirname "$0")/lib.sh"
EXAMPLE=$(cd "$(dirname "$0")/../../examples/command" && pwd)

# spec NAME COMMAND-JSON EXTRA-KEYS PARAMS-JSON: writes $TMP/NAME.json
spec() {
	printf '{"name": "%s", "command": %s, "workdir": "%s", "seed": 5, %s
	  "objective": {"metric": "val_acc", "mode": "max"}, "params": %s}' \
		"$1" "$2" "$EXAMPLE" "$3" "$4" >"$TMP/$1.json"
}
submit() { "$CAVIAR" submit "$TMP/$1.json"; }
start_daemon --slots 2

# 1. The example sweep: python3 train.py --lr {lr} --epochs {epochs}.
spec py '["python3", "train.py", "--lr", "{lr}", "--epochs", "{epochs}"]' \
	'"trials": 4, "train": {"epochs": 3, "examples": 120},' \
	'{"lr": {"log": [0.01, 1]}, "hidden": {"choice": [4, 8]}}'
py=$(submit py)
"$CAVIAR" wait "$py"
check "python: the sweep finishes" $? 0
check "python: every trial done" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $py AND status = 'done'")" 4
check "python: 3 epochs of val_acc per trial" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id FROM points WHERE metric = 'val_acc' GROUP BY trial_id HAVING count(*) = 3)")" 4
check "python: the placeholders reached the program" \
	"$(sql "SELECT count(*) FROM logs l JOIN trials t ON t.id = l.trial_id WHERE t.sweep_id = $py AND l.line LIKE 'spirals: 96 training and 24 validation points, hidden ' || json_extract(t.params, '\$.hidden') || ', lr %'")" 4
check "python: other output is kept as the trial's log, not as metrics" \
	"$(sql "SELECT count(*) FROM logs l JOIN trials t ON t.id = l.trial_id WHERE t.sweep_id = $py AND line = 'done'")" 4
first=$(sql "SELECT min(id) FROM trials WHERE sweep_id = $py")
check_true "python: each trial has its own directory and checkpoint" test -f "$DB.d/trials/$first/checkpoint/caviar.ckpt"

# 1b. The example as shipped: relative paths are relative to the spec file
# (caviar submit records its directory as workdir).
ex=$("$CAVIAR" submit "$EXAMPLE/sweep.json")
"$CAVIAR" wait "$ex" >/dev/null
check "the shipped example runs from any directory" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $ex AND status = 'done'")" 8
check "its workdir is recorded" "$(sql "SELECT json_extract(spec, '\$.workdir') FROM sweeps WHERE id = $ex")" "$EXAMPLE"

# 2. A metrics prefix: only prefixed lines are metrics, other JSON is a log line.
cat >"$TMP/prefixed.sh" <<'SH'
#!/bin/sh
echo '{"not": "a metric"}'
for e in 1 2; do echo "@@caviar {\"epoch\": $e, \"val_acc\": 0.$e}"; done
SH
chmod +x "$TMP/prefixed.sh"
spec prefixed "[\"$TMP/prefixed.sh\"]" '"trials": 1, "metrics_prefix": "@@caviar ",' '{}'
id=$(submit prefixed); "$CAVIAR" wait "$id" >/dev/null
check "prefix: prefixed lines are metrics" "$(sql "SELECT group_concat(value) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $id")" "0.1,0.2"
check "prefix: other JSON is kept as a log line" \
	"$(sql "SELECT line FROM logs l JOIN trials t ON t.id = l.trial_id WHERE t.sweep_id = $id")" '{"not": "a metric"}'

# 3. A C program with caviar_report.h; lr 1000 makes it report a NaN.
spec c "[\"$C_TRIAL\"]" '"trials": 2, "search": "grid", "train": {"epochs": 4},' '{"lr": {"choice": [0.5, 1000]}}'
id=$(submit c); "$CAVIAR" wait "$id" >/dev/null
check "C: a trial reports its curve" \
	"$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $id AND metric = 'val_loss' AND json_extract(t.params, '\$.lr') = 0.5")" 4
check "C: a NaN is a divergence" \
	"$(sql "SELECT reason FROM trials WHERE sweep_id = $id AND json_extract(params, '\$.lr') = 1000")" \
	"diverged at epoch 2 step 0 (val_loss = nan)"

# 4. Errors at submit time, with the path in the spec.
expect_submit() { # NAME PATTERN
	local out; out=$("$CAVIAR" submit "$TMP/$1.json" 2>&1 >/dev/null)
	if printf '%s' "$out" | grep -qE -- "$2"; then echo "ok   submit $1: $2"; else fail "submit $1: '$out' does not match '$2'"; fi
}
spec typo '["pyhton3", "train.py"]' '"trials": 1,' '{}'
expect_submit typo 'command\[0\]: "pyhton3": command not found in PATH'
# Found in the client's PATH, not in caviard's: the daemon says whose PATH it looked in.
mkdir -p "$TMP/bin" && printf '#!/bin/sh\n' >"$TMP/bin/mytrain" && chmod +x "$TMP/bin/mytrain"
spec mine '["mytrain"]' '"trials": 1,' '{}'
out=$(PATH="$TMP/bin:$PATH" "$CAVIAR" submit "$TMP/mine.json" 2>&1 >/dev/null)
check_true "not in caviard's PATH: said, with that PATH ($out)" \
	grep -qF "command[0]: \"mytrain\": command not found in PATH (caviard's PATH: $PATH;" <<<"$out"
printf '#!/bin/sh\n' >"$TMP/noexec.sh"
spec noexec "[\"$TMP/noexec.sh\"]" '"trials": 1,' '{}'
expect_submit noexec "command\\[0\\]: $TMP/noexec.sh: not an executable file"
spec placeholder '["python3", "train.py", "--lr", "{lrr}"]' '"trials": 1,' '{"lr": {"log": [0.01, 1]}}'
expect_submit placeholder '^caviar: submit: [^ ]*: command\[3\]: no parameter named "lrr" \(did you mean "lr"\?\)$'
spec brace '["python3", "train.py", "--lr", "{lr"]' '"trials": 1,' '{"lr": 0.1}'
expect_submit brace 'command\[3\]: "\{lr": an unclosed placeholder'
spec withdata '["python3", "train.py"]' '"trials": 1, "data": {"train_limit": 5},' '{}'
expect_submit withdata 'data: only for the built-in worker'

# 5. On the trial: no metric, a missing interpreter at run time, a conditional placeholder.
spec silent '["python3", "-c", "print(\"hello\")"]' '"trials": 1,' '{}'
id=$(submit silent); "$CAVIAR" wait "$id" >/dev/null
check "a program that reports nothing" "$(sql "SELECT reason FROM trials WHERE sweep_id = $id")" "exited without reporting any metric"
spec cond '["python3", "train.py", "--lr", "{beta}"]' '"trials": 1, "train": {"optimizer": "adam"},' \
	'{"beta": {"uniform": [0.1, 0.9], "when": {"optimizer": "momentum"}}}'
expect_submit cond 'never holds'

# 5b. Limits and retries work for commands as for the built-in worker.
cat >"$TMP/stall.sh" <<'SH'
#!/bin/sh
echo '{"epoch": 1, "val_acc": 0.5}'
exec sleep 30
SH
cat >"$TMP/slow.sh" <<'SH'
#!/bin/sh
for e in 1 2 3 4 5 6 7 8 9; do echo "{\"epoch\": $e, \"val_acc\": 0.5}"; sleep 0.3; done
SH
cat >"$TMP/flaky.sh" <<SH
#!/bin/sh
if [ -e "$TMP/flaky-\$CAVIAR_TRIAL_ID" ]; then echo '{"epoch": 1, "val_acc": 0.9}'; exit 0; fi
touch "$TMP/flaky-\$CAVIAR_TRIAL_ID"
kill -SEGV \$\$
SH
cat >"$TMP/exit2.sh" <<'SH'
#!/bin/sh
echo "usage: exit2.sh --lr LR" >&2
exit 2
SH
chmod +x "$TMP/stall.sh" "$TMP/slow.sh" "$TMP/flaky.sh" "$TMP/exit2.sh"
spec exit2 "[\"$TMP/exit2.sh\"]" '"trials": 1,' '{}'
spec stall "[\"$TMP/stall.sh\"]" '"trials": 1, "stall_timeout": 1,' '{}'
spec slowcmd "[\"$TMP/slow.sh\"]" '"trials": 1, "timeout": 1,' '{}'
spec flaky "[\"$TMP/flaky.sh\"]" '"trials": 1, "retries": 1,' '{}'
for n in stall slowcmd flaky exit2; do eval "$n=\$(submit $n)"; done
for s in $stall $slowcmd $flaky $exit2; do "$CAVIAR" wait "$s" >/dev/null; done
reason() { sql "SELECT status || ' ' || attempts || ': ' || reason FROM trials WHERE sweep_id = $1"; }
check "a command that stalls" "$(reason "$stall")" "failed 1: stalled: no output for 1 s"
check "a command over its timeout" "$(reason "$slowcmd")" "failed 1: timed out after 1 s"
check "a command that crashes once is retried" "$(reason "$flaky")" "done 2: finished"
# A spec on stdin has no file: its relative paths are caviar's directory's.
cp "$TMP/slow.sh" "$TMP/relative.sh"
s_in=$(cd "$TMP" && printf '{"name": "stdin", "trials": 1, "command": ["sh", "relative.sh"],
	"objective": {"metric": "val_acc", "mode": "max"}, "params": {}}' | "$CAVIAR" submit -)
"$CAVIAR" wait "$s_in" >/dev/null
check "a spec on stdin: workdir is caviar's directory, and the trial ran there" \
	"$(sql "SELECT json_extract(spec, '$.workdir') || ' ' || t.status FROM sweeps s JOIN trials t
		ON t.sweep_id = s.id WHERE s.id = ${s_in:-0}")" "$TMP done"
# A spec's env: set for its trials over caviard's own; its PATH finds the program.
mkdir -p "$TMP/bin"
cat >"$TMP/bin/envtool" <<'SH'
#!/bin/sh
echo "greeting=$GREETING home=$HOME"
echo '{"epoch": 1, "val_acc": 0.5}'
SH
chmod +x "$TMP/bin/envtool"
spec envnone '["envtool"]' '"trials": 1,' '{}'
check "a program only in the spec's PATH is not found without env" \
	"$("$CAVIAR" submit "$TMP/envnone.json" 2>&1 | grep -c 'command not found in PATH')" 1
spec envspec '["envtool"]' "\"trials\": 1, \"env\": {\"PATH\": \"$TMP/bin:/usr/bin:/bin\", \"GREETING\": \"hello world\", \"HOME\": \"/nowhere\"}," '{}'
env_id=$(submit envspec); "$CAVIAR" wait "$env_id" >/dev/null
check "env: the trial ran with the spec's variables, over caviard's HOME" \
	"$(sql "SELECT t.status || ' ' || l.line FROM trials t JOIN logs l ON l.trial_id = t.id WHERE t.sweep_id = ${env_id:-0}")" \
	"done greeting=hello world home=/nowhere"
spec envbad '["envtool"]' "\"trials\": 1, \"env\": {\"PATH\": \"/usr/bin\"}," '{}'
check "env: a program not in the spec's PATH says which PATH" \
	"$("$CAVIAR" submit "$TMP/envbad.json" 2>&1)" "caviar: submit: $TMP/envbad.json: command[0]: \"envtool\": command not found in env.PATH"
# A program's exit codes are its own: not the built-in worker's meanings.
check "a command's exit code, with its last stderr line" "$(reason "$exit2")" \
	"failed 1: exit code 2: usage: exit2.sh --lr LR"

# 6. Cancel reaches the program's handler; a daemon restart resumes from its checkpoint.
spec slow '["python3", "train.py", "--lr", "{lr}", "--epochs", "{epochs}"]' \
	'"trials": 2, "train": {"epochs": 6, "examples": 60, "epoch_seconds": 0.25},' '{"lr": {"log": [0.01, 1]}}'
slow=$(submit slow)
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $slow AND status = 'running' AND epochs >= 2")" -gt 0 ] && break
	sleep 0.05
done
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
start_daemon --slots 2
"$CAVIAR" wait "$slow" >/dev/null
check_true "a command trial resumes from its checkpoint after a restart" \
	grep -q "resumed from its checkpoint at epoch" "$TMP/daemon.log"
check "after the restart both trials complete their 6 epochs" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $slow AND metric = 'val_acc' GROUP BY trial_id HAVING count(*) = 6)")" 2
slow=$(submit slow)
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $slow AND status = 'running' AND epochs >= 1")" -gt 0 ] && break
	sleep 0.05
done
"$CAVIAR" cancel "$slow" >/dev/null
"$CAVIAR" wait "$slow" >/dev/null
# (every trial that had reported an epoch had its handler installed; one
# cancelled at epoch 0 may say so too, or die before Python set the handler)
check "cancel: the program stops on SIGTERM, at an epoch boundary" \
	"$(sql "SELECT count(*) FROM trials t WHERE t.sweep_id = $slow AND t.status = 'cancelled' AND t.epochs >= 1 AND NOT EXISTS (SELECT 1 FROM logs l WHERE l.trial_id = t.id AND l.line = 'stopping after epoch ' || t.epochs)")" 0
check_true "cancel: at least one running trial was stopped so" \
	test "$(sql "SELECT count(*) FROM logs l JOIN trials t ON t.id = l.trial_id WHERE t.sweep_id = $slow AND line LIKE 'stopping after epoch %'")" -ge 1

# 7. Non-finite values, printed as programs print them. The objective's NaN
# (json.dumps writes NaN) or an overflowing number (1e999) is a divergence:
# failed, not ranked, the program stopped; another metric's is rejected and
# the rest of its line kept.
cat >"$TMP/nonfinite.py" <<'PY'
import json, sys, time
mode = sys.argv[1]
for e in range(1, 9):
    if mode == "nan":
        line = json.dumps({"epoch": e, "val_acc": float("nan") if e == 2 else 0.1 * e, "train_loss": 1.0 / e})
    elif mode == "overflow":
        line = '{"epoch": %d, "val_acc": %s}' % (e, "1e999" if e == 2 else str(0.1 * e))
    else:
        line = '{"epoch": %d, "val_acc": 0.0%d, "train_loss": %s}' % (e, e, ["NaN", "-Infinity", '"inf"', "0.5"][e % 4])
    print(line, flush=True)
    time.sleep(0.25 if mode != "other" else 0)
PY
spec nonfinite "[\"python3\", \"$TMP/nonfinite.py\", \"{mode}\"]" '"trials": 3, "search": "grid",' \
	'{"mode": {"choice": ["nan", "overflow", "other"]}}'
nf=$(submit nonfinite); "$CAVIAR" wait "$nf" >/dev/null
nf_trial() { # MODE COLUMNS
	sql "SELECT $2 FROM trials WHERE sweep_id = $nf AND json_extract(params, '\$.mode') = '$1'"
}
check "NaN objective: failed, diverged" "$(nf_trial nan "status || ': ' || reason")" \
	"failed: diverged at epoch 2 step 0 (val_acc = nan)"
check "NaN objective: best is that of the finite values" "$(nf_trial nan "best_value || ' ' || best_epoch")" "0.1 1"
check "NaN objective: the program that went on was stopped" "$(nf_trial nan exit_signal)" 15
check "NaN objective: no val_acc point past epoch 1" \
	"$(sql "SELECT max(epoch) FROM points WHERE metric = 'val_acc' AND trial_id = $(nf_trial nan id)")" 1
check "1e999 objective: failed, diverged" "$(nf_trial overflow "status || ': ' || reason")" \
	"failed: diverged at epoch 2 step 0 (val_acc = inf)"
check "another metric's NaN: the trial finishes, its lines counted as rejected" \
	"$(nf_trial other "status || ': ' || reason")" "done: finished (6 lines rejected)"
check "another metric's NaN: its finite values are kept, the rest of each line too" \
	"$(sql "SELECT metric || ' ' || count(*) FROM points WHERE trial_id = $(nf_trial other id) GROUP BY metric ORDER BY metric" | tr '\n' ,)" \
	"train_loss 2,val_acc 8,"
check "the leaderboard ranks only the trial that finished" \
	"$(sql "SELECT group_concat(trial_id) FROM leaderboard WHERE sweep_id = $nf")" "$(nf_trial other id)"
check_true "the rejected line's reason names the metric" \
	grep -q "line rejected: train_loss = nan is not a number" "$TMP/daemon.log"
stop_daemon
finish
