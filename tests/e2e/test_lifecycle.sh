#!/usr/bin/env bash
# A sweep's life: a sweep whose every trial failed ends 'failed'; cancel,
# pause and resume say why they cannot (no such sweep, already over); status
# and watch say when a sweep is paused; extend adds trials (random goes on
# with its sequence, grid stops at its grid, coarse_to_fine opens a round);
# a resubmitted spec warns that it repeats; a wall-clock budget ends a sweep,
# also across a restart; rm, note (a sweep's and a trial's) and tag; a subscriber's first event is a
# snapshot of the running trials.
. "$(dirname "$0")/lib.sh"

# wait_for FILE PATTERN: up to 10 s for a line matching PATTERN in FILE.
wait_for() {
	for _ in $(seq 100); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

cat >"$TMP/bowl.json" <<'JSON'
{ "name": "bowl", "trials": 3, "seed": 11, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 2, "epoch_ms": 20},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.9, 0.999]} } }
JSON
sed -e 's/"epoch_ms": 20/"epoch_ms": 1500/' -e 's/"name": "bowl"/"name": "slow"/' \
	-e 's/"epochs": 2/"epochs": 4/' "$TMP/bowl.json" >"$TMP/slow.json"
cat >"$TMP/fail.json" <<'JSON'
{ "name": "fails", "trials": 2, "command": ["false"], "objective": {"metric": "val_loss", "mode": "min"},
  "params": {"lr": {"log": [1e-3, 1]}} }
JSON
start_daemon --slots 2

# 1. Every trial failed: the sweep failed.
fail=$("$CAVIAR" submit "$TMP/fail.json")
"$CAVIAR" wait "$fail" >/dev/null
check "wait exits 1 for a failed sweep" $? 1
check "a sweep whose every trial failed ends failed" "$(sql "SELECT status, ended_reason FROM sweeps WHERE id = $fail")" "failed|all 2 trials failed"

# 2. cancel, pause, resume of a sweep that does not exist or is over.
bowl=$("$CAVIAR" submit "$TMP/bowl.json")
"$CAVIAR" wait "$bowl" >/dev/null
for cmd in cancel pause resume; do
	expect 1 "^caviar: $cmd: no sweep 99$" "$CAVIAR" $cmd 99
	expect 1 "^caviar: $cmd: sweep $bowl is already done$" "$CAVIAR" $cmd "$bowl"
done
expect 1 "^caviar: cancel: sweep $fail is already failed$" "$CAVIAR" cancel "$fail"

# 4. extend: random goes on with its sequence; the budget grows; the sweep runs again.
out=$("$CAVIAR" extend "$bowl" 2)
check "extend says what it did" "$out" "sweep $bowl extended by 2 trials: 5 in all, running"
"$CAVIAR" wait "$bowl" >/dev/null
check "the extended sweep ends done again" "$(sql "SELECT status, budget FROM sweeps WHERE id = $bowl")" "done|5"
check "its trials are numbered on" "$(sql "SELECT group_concat(number) FROM (SELECT number FROM trials WHERE sweep_id = $bowl ORDER BY number)")" "0,1,2,3,4"
"$CAVIAR" sample "$TMP/bowl.json" -n 5 --json >"$TMP/sample.json"
sql "SELECT params FROM trials WHERE sweep_id = $bowl ORDER BY number" >"$TMP/recorded.txt"
check "trials 3 and 4 are the sequence's next (as caviar sample -n 5)" "$(python3 - "$TMP/sample.json" "$TMP/recorded.txt" <<'PY'
import json, sys
want = json.load(open(sys.argv[1]))
got = [json.loads(l) for l in open(sys.argv[2])]
print(all(abs(w[k] - g[k]) < 1e-15 for w, g in zip(want, got) for k in w), len(got))
PY
)" "True 5"
expect 1 "^caviar: extend: no sweep 99$" "$CAVIAR" extend 99 1
expect 2 "^caviar: extend: x: expected a positive number of trials" "$CAVIAR" extend "$bowl" x
out=$("$CAVIAR" submit "$TMP/bowl.json" 2>"$TMP/repeat.err")
check_true "resubmitting the same spec and seed warns" \
	grep -q "^caviar: warning: sweep $out has the same spec and seed as sweep $bowl: it repeats its trials" "$TMP/repeat.err"
"$CAVIAR" wait "$out" >/dev/null

# grid: at most its grid.
cat >"$TMP/grid.json" <<'JSON'
{ "name": "grid", "trials": 3, "seed": 1, "task": "bowl", "search": "grid", "points": 2,
  "objective": {"metric": "val_loss", "mode": "min"}, "train": {"epochs": 1},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.9, 0.999]} } }
JSON
grid=$("$CAVIAR" submit "$TMP/grid.json")
"$CAVIAR" wait "$grid" >/dev/null
expect 1 "sweep $grid is a grid search of 4 points and has 3: at most 1 more trials" "$CAVIAR" extend "$grid" 2
"$CAVIAR" extend "$grid" 1 >/dev/null
"$CAVIAR" wait "$grid" >/dev/null
check "grid extended to its whole grid, every point once" \
	"$(sql "SELECT count(DISTINCT params), count(*) FROM trials WHERE sweep_id = $grid")" "4|4"

# coarse_to_fine: a new round around the best so far.
cat >"$TMP/c2f.json" <<'JSON'
{ "name": "c2f", "trials": 4, "seed": 5, "task": "bowl", "search": "coarse_to_fine", "rounds": 2,
  "objective": {"metric": "val_loss", "mode": "min"}, "train": {"epochs": 1},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.9, 0.999]} } }
JSON
c2f=$("$CAVIAR" submit "$TMP/c2f.json")
"$CAVIAR" wait "$c2f" >/dev/null
"$CAVIAR" extend "$c2f" 3 >/dev/null
"$CAVIAR" wait "$c2f" >/dev/null
check "coarse_to_fine extend: a third round of 3 trials" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $c2f AND round = 2")|$(sql "SELECT count(*) FROM rounds WHERE sweep_id = $c2f")" "3|3"
check_true "... narrower than the round before" python3 -c '
import json, sys
r1, r2 = (json.loads(x) for x in sys.argv[1:3])
w = lambda r: __import__("math").log10(r["lr"]["log"][1]) - __import__("math").log10(r["lr"]["log"][0])
sys.exit(0 if w(r2) < w(r1) else 1)' "$(sql "SELECT ranges FROM rounds WHERE sweep_id = $c2f AND round = 1")" \
	"$(sql "SELECT ranges FROM rounds WHERE sweep_id = $c2f AND round = 2")"

# 3. and 7. A paused sweep in status and watch; a subscriber's snapshot.
slow=$("$CAVIAR" submit "$TMP/slow.json")
for _ in $(seq 100); do [ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $slow AND status = 'running'")" = 2 ] && break; sleep 0.1; done
"$CAVIAR" watch "$slow" --json >"$TMP/watch.json" 2>&1 &
jwatcher=$!
"$CAVIAR" watch "$slow" >"$TMP/watch.txt" 2>&1 &
watcher=$!
wait_for "$TMP/watch.json" snapshot
check "watch --json starts with a snapshot of the running trials" "$(head -1 "$TMP/watch.json" | python3 -c '
import json, sys
e = json.load(sys.stdin)
print(e["event"], e["sweep"], len(e["running"]), sorted(e["running"][0]))')" \
	"snapshot $slow 2 ['epoch', 'epochs', 'number', 'params', 'pid', 'started_at', 'state', 'sweep', 'trial']"
sleep 0.3
"$CAVIAR" pause "$slow" >/dev/null
check_true "watch shows the sweep paused" wait_for "$TMP/watch.txt" "^sweep $slow \"slow\" paused$"
check_true "watch --json gets sweep_paused" wait_for "$TMP/watch.json" '"event":"sweep_paused"'
check_true "status says the sweep is paused" grep -q "^sweep $slow \"slow\": paused, 2 running, 1 queued$" <<<"$("$CAVIAR" status)"
"$CAVIAR" resume "$slow" >/dev/null
check_true "watch shows it running again" wait_for "$TMP/watch.txt" "^sweep $slow \"slow\" resumed$"
check_true "status says it runs" grep -q "^sweep $slow \"slow\": running" <<<"$("$CAVIAR" status)"

# 6. rm refuses a running sweep; --force cancels it first.
expect 1 "^caviar: rm: sweep $slow is running; cancel it first, or rm --force$" "$CAVIAR" rm "$slow"
check "rm --force" "$("$CAVIAR" rm "$slow" --force)" "sweep $slow removed"
wait "$watcher" "$jwatcher" 2>/dev/null
check "nothing of it is left" \
	"$(sql "SELECT (SELECT count(*) FROM sweeps WHERE id = $slow) + (SELECT count(*) FROM trials WHERE sweep_id = $slow) + (SELECT count(*) FROM rounds WHERE sweep_id = $slow)")" 0
points=$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $grid")
check_true "the grid sweep has points" test "$points" -gt 0
"$CAVIAR" tag "$grid" baseline v2 >/dev/null
"$CAVIAR" rm "$grid" >/dev/null
check "rm of an ended sweep: its rows, points and tags go" \
	"$(sql "SELECT (SELECT count(*) FROM sweeps WHERE id = $grid) + (SELECT count(*) FROM trials WHERE sweep_id = $grid) + (SELECT count(*) FROM points) * 0 + (SELECT count(*) FROM tags WHERE sweep_id = $grid)")" 0
check "... and no point is orphaned" "$(sql "SELECT count(*) FROM points WHERE trial_id NOT IN (SELECT id FROM trials)")" 0
expect 1 "^caviar: rm: no sweep $grid$" "$CAVIAR" rm "$grid"

# note and tags, in ls.
"$CAVIAR" note "$bowl" "lr too high" >/dev/null
"$CAVIAR" tag "$bowl" baseline v2 >/dev/null
"$CAVIAR" untag "$bowl" v2 >/dev/null
check_true "ls shows tags and the note" grep -qE "^$bowl +bowl +done .*#baseline lr too high$" <<<"$("$CAVIAR" ls)"
check "ls --json has them" "$("$CAVIAR" ls --json | python3 -c '
import json, sys
r = [s for s in json.load(sys.stdin) if s["sweep_id"] == '"$bowl"'][0]
print(r["note"], r["tags"])')" "lr too high ['baseline']"
expect 1 "^caviar: note: no sweep 99$" "$CAVIAR" note 99 x
# A trial's note: in the trials table, printed by show (and in show --json).
trial=$(sql "SELECT min(id) FROM trials WHERE sweep_id = $bowl")
check "note --trial says so" "$("$CAVIAR" note --trial "$trial" "diverged at first, then fine")" \
	"trial $trial: note set"
check "the trial's note is in its row, not the sweep's" \
	"$(sql "SELECT t.note, s.note FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.id = $trial")" \
	"diverged at first, then fine|lr too high"
check_true "show prints it" grep -qx "note:     diverged at first, then fine" <<<"$("$CAVIAR" show "$trial")"
check "show --json has it" "$("$CAVIAR" show --json "$trial" | python3 -c 'import json, sys; print(json.load(sys.stdin)["note"])')" \
	"diverged at first, then fine"
"$CAVIAR" note --trial "$trial" "" >/dev/null
check "an empty note clears it" "$(sql "SELECT note IS NULL FROM trials WHERE id = $trial")" 1
check "show prints none then" "$("$CAVIAR" show "$trial" | grep -c '^note:')" 0
expect 1 "^caviar: note: no trial 99999$" "$CAVIAR" note --trial 99999 x
expect 2 "x: expected a trial id" "$CAVIAR" note --trial x y
expect 1 "tag is a word" "$CAVIAR" tag "$bowl" "a b"

# 5. A wall-clock budget: nothing starts after it; with stop, running trials stop.
sed -e 's/"trials": 3/"trials": 4, "budget": {"minutes": 0.02, "stop": true}/' "$TMP/slow.json" >"$TMP/stop.json"
stop=$("$CAVIAR" submit "$TMP/stop.json")
"$CAVIAR" wait "$stop" >/dev/null
check "wait exits 0: a spent budget ends the sweep done" $? 0
check "... with the reason recorded" "$(sql "SELECT status, ended_reason FROM sweeps WHERE id = $stop")" \
	"done|the sweep's budget of 0.02 min is spent"
check "its running trials were stopped, its queued ones cancelled" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $stop AND status = 'cancelled' AND reason = 'the sweep''s budget of 0.02 min is spent'")" 4
sed -e 's/"trials": 3/"trials": 4, "budget": {"minutes": 0.01}/' -e 's/"epoch_ms": 1500/"epoch_ms": 400/' "$TMP/slow.json" >"$TMP/nostop.json"
nostop=$("$CAVIAR" submit "$TMP/nostop.json")
"$CAVIAR" wait "$nostop" >/dev/null
check "without stop, the running trials finish and no other starts" \
	"$(sql "SELECT group_concat(status) FROM (SELECT status FROM trials WHERE sweep_id = $nostop ORDER BY number)")" "done,done,cancelled,cancelled"
# Across a restart, the budget counts from the sweep's creation.
sed -e 's/"trials": 3/"trials": 4, "budget": {"minutes": 0.05}/' "$TMP/slow.json" >"$TMP/restart.json"
again=$("$CAVIAR" submit "$TMP/restart.json")
stop_daemon
sleep 3.2
start_daemon --slots 2
"$CAVIAR" wait "$again" >/dev/null
check "after a restart, a budget spent meanwhile ends the sweep" \
	"$(sql "SELECT status, ended_reason FROM sweeps WHERE id = $again")" "done|the sweep's budget of 0.05 min is spent"
expect 4 "budget.minutes: expected a number in \(0, 525600\]" "$CAVIAR" validate <(echo '{"budget": {"minutes": 0}}')
stop_daemon
finish
