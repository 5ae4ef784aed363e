#!/usr/bin/env bash
# The numbers the reading commands show: one definition of a sweep's best
# trial (done or pruned, never failed) shared by the views, ls, top,
# wait --progress, show and export; counts that add up in ls.
. "$(dirname "$0")/lib.sh"

# An objective no trial reports is refused before anything runs, naming the
# metrics there are.
printf '{"objective": {"metric": "val_accuracy"}, "params": {"lr": {"log": [1e-4, 1e-1]}}}' \
	>"$TMP/metric.json"
printf '{"task": "bowl", "objective": {"metric": "test_acc"}}' >"$TMP/metric-bowl.json"
built_in='\(it reports train_loss, train_acc, val_loss, val_acc, lr, elapsed, test_loss, test_acc, params, train_seconds, infer_us\)'
for cmd in validate submit; do
	expect 4 "^caviar: $cmd: $TMP/metric.json: objective.metric: \"val_accuracy\" is not reported by the built-in worker $built_in$" \
		"$CAVIAR" $cmd "$TMP/metric.json"
	expect 4 "objective.metric: \"test_acc\" is not reported by the synthetic task \"bowl\" \(it reports train_loss, val_loss, val_acc, lr, elapsed\)$" \
		"$CAVIAR" $cmd "$TMP/metric-bowl.json"
done

# validate and submit share the program check (common/program.c) with the
# daemon: a program not in PATH or not executable is an invalid spec (exit 4),
# before any daemon is asked; a path is relative to the spec's directory.
mkdir -p "$TMP/proj"
printf '#!/bin/sh\n' >"$TMP/proj/noexec.sh"
printf '#!/bin/sh\n' >"$TMP/proj/run.sh"; chmod +x "$TMP/proj/run.sh"
printf '{"command": ["pyhton3", "train.py"], "trials": 1}' >"$TMP/proj/typo.json"
printf '{"command": ["./noexec.sh"], "trials": 1}' >"$TMP/proj/noexec.json"
printf '{"command": ["./missing.sh"], "trials": 1}' >"$TMP/proj/missing.json"
printf '{"command": ["./run.sh", "{lr}"], "trials": 1, "params": {"lr": {"log": [0.01, 1]}}}' >"$TMP/proj/ok.json"
for cmd in validate submit; do
	expect 4 "^caviar: $cmd: $TMP/proj/typo.json: command\[0\]: \"pyhton3\": command not found in PATH$" \
		"$CAVIAR" $cmd "$TMP/proj/typo.json"
	expect 4 "^caviar: $cmd: $TMP/proj/noexec.json: command\[0\]: $TMP/proj/\\./noexec.sh: not an executable file \(chmod \+x\?\)$" \
		"$CAVIAR" $cmd "$TMP/proj/noexec.json"
	expect 4 "command\[0\]: ./missing.sh: No such file or directory$" "$CAVIAR" $cmd "$TMP/proj/missing.json"
done
check_true "validate: a program relative to the spec's directory" \
	sh -c "cd / && '$CAVIAR' validate '$TMP/proj/ok.json' >/dev/null"

# A trial that reports a great value at epoch 1 and then fails (units 12), a
# normal one (units 1, best val_loss 1/3.1) and one that hangs until cancelled
# (units 8).
cat >"$TMP/best.json" <<'JSON'
{ "name": "best", "search": "grid", "trials": 3, "seed": 1,
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"lr": 0.1},
  "params": { "units": {"choice": [12, 1, 8]} } }
JSON
start_daemon --slots 3 --worker "$FAKE_WORKER" --grace 0.3
id=$("$CAVIAR" submit "$TMP/best.json")
trial() { sql "SELECT id FROM trials WHERE sweep_id = $id AND json_extract(params, '$.units') = $1"; }
"$CAVIAR" wait "$id" --progress 2>"$TMP/progress" &
waiter=$!
for _ in $(seq 200); do
	[ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status IN ('done', 'failed')")" = 2 ] &&
		[ "$(sql "SELECT epochs FROM trials WHERE sweep_id = $id AND status = 'running'")" = 1 ] && break
	sleep 0.05
done
sleep 2.5 # one progress line after both ended
"$CAVIAR" cancel "$id" >/dev/null
wait "$waiter"
failed=$(trial 12) normal=$(trial 1)
check "the early failure is failed" "$(sql "SELECT status, best_value FROM trials WHERE id = $failed")" "failed|0.001"
best=$(sql "SELECT best_value FROM trials WHERE id = $normal")
check "sweep_progress: best is the normal trial's" \
	"$(sql "SELECT best, best_trial_id FROM sweep_progress WHERE sweep_id = $id")" "$best|$normal"
check "leaderboard: the failed trial is not ranked" \
	"$(sql "SELECT group_concat(trial_id) FROM leaderboard WHERE sweep_id = $id")" "$normal"
check "objectives: one row, the normal trial" \
	"$(sql "SELECT trial_id, objective FROM objectives WHERE sweep_id = $id")" "$normal|$best"
best4=$(printf '%.4f' "$best")
check "ls: the header" "$("$CAVIAR" ls | head -1 | tr -s ' ')" \
	"ID NAME STATUS ENDED DONE PRUNED FAILED CANCELLED RUNNING QUEUED BEST NOTE"
check "ls: counts that add up, the status and the best trial" "$("$CAVIAR" ls | awk -v id="$id" '$1 == id' | tr -s ' ')" \
	"$id best cancelled 3/3 1 0 1 1 0 0 val_loss $best4 (trial $normal) -"
check "sweep_progress: ended and mode" "$(sql "SELECT ended, mode FROM sweep_progress WHERE sweep_id = $id")" "3|min"
check "ls --json and top --json agree" "$("$CAVIAR" ls --json | python3 -c '
import json, sys; r = json.load(sys.stdin)[0]; print(r["best"], r["best_trial_id"])')" \
	"$("$CAVIAR" top "$id" --json | python3 -c '
import json, sys; r = json.load(sys.stdin)["trials"][0]; print(r["objective"], r["trial_id"])')"
check_true "wait --progress: best is the normal trial's" \
	grep -q "^sweep $id: 2/3 finished, 1 running, 1 failed; best val_loss $best4$" "$TMP/progress"
check "wait --progress: never the failed value" "$(grep -c "0\.0010" "$TMP/progress")" 0
check_true "show: the failed trial is not ranked" grep -q \
	"^best:     val_loss 0.001 at epoch 1 of 1 (not ranked: only done and pruned trials count)$" \
	<<<"$("$CAVIAR" show "$failed")"
check "export: the failed trial has no objective" "$("$CAVIAR" export "$id" | python3 -c '
import csv, sys
print(" ".join(r["status"] + "=" + r["objective"] for r in csv.DictReader(sys.stdin)))')" \
	"failed= done=$best cancelled="

# A command trial that never reports the objective fails its sweep at once,
# naming what it did report; the other trials do not run.
cat >"$TMP/misspelt.sh" <<'SH'
#!/bin/sh
for e in 1 2; do echo "{\"epoch\": $e, \"val_acc\": 0.$e, \"val_loss\": 1.$e}"; done
SH
chmod +x "$TMP/misspelt.sh"
printf '{"name": "misspelt", "trials": 4, "command": ["%s"], "objective": {"metric": "val_accuracy", "mode": "max"}, "params": {}}' \
	"$TMP/misspelt.sh" >"$TMP/misspelt.json"
ms=$("$CAVIAR" submit "$TMP/misspelt.json")
"$CAVIAR" wait "$ms" >/dev/null
check "a sweep whose objective no trial reports fails" "$?" 1
check "it fails loudly, naming what was reported" "$(sql "SELECT status || ': ' || ended_reason FROM sweeps WHERE id = $ms")" \
	"failed: trial $(sql "SELECT id FROM trials WHERE sweep_id = $ms AND status = 'failed'") finished without ever reporting the objective \"val_accuracy\"; it reported val_acc, val_loss"
check "the first trial to finish failed, the others were stopped or never ran" \
	"$(sql "SELECT group_concat(n) FROM (SELECT status || ' ' || count(*) AS n FROM trials WHERE sweep_id = $ms GROUP BY status ORDER BY status)")" \
	"cancelled 3,failed 1"
"$CAVIAR" note "$id" "failed one not ranked" >/dev/null && "$CAVIAR" tag "$id" views >/dev/null
ls_daemon=$("$CAVIAR" ls) top_daemon=$("$CAVIAR" top "$id")
check_true "ls: the note and tags are in the daemon's listing" grep -q "#views failed one not ranked" <<<"$ls_daemon"
stop_daemon

# ls and top without a daemon: --db FILE, else the default database, said so.
check "ls --db: as from the daemon" "$("$CAVIAR" ls --db "$DB")" "$ls_daemon"
check "top --db: as from the daemon" "$("$CAVIAR" top "$id" --db "$DB")" "$top_daemon"
check "top --db -n 1 --json" "$("$CAVIAR" top "$id" --db "$DB" -n 1 --json | python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["sweep"]["id"], [t["trial_id"] for t in d["trials"]])')" "$id [$normal]"
expect 1 "^caviar: top: no sweep 42$" "$CAVIAR" top 42 --db "$DB"
expect 3 "^caviar: ls: no daemon is running at $SOCK.*; or read a database with --db FILE$" "$CAVIAR" ls
mkdir -p "$TMP/data/caviar" && cp "$DB" "$TMP/data/caviar/caviar.db"
expect 0 "^caviar: ls: no daemon is running; reading $TMP/data/caviar/caviar.db$" "$CAVIAR" ls
check "ls: the default database without a daemon" "$("$CAVIAR" ls 2>/dev/null)" "$ls_daemon"
check "top: the default database without a daemon" "$("$CAVIAR" top "$id" 2>/dev/null)" "$top_daemon"
finish
