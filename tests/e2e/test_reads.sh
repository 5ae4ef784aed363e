#!/usr/bin/env bash
# show, export and curves: read the database directly (read-only, through the
# daemon's path or --db without a daemon); --json outputs parse; colours only
# on a terminal and never with NO_COLOR; every error path.
. "$(dirname "$0")/lib.sh"


cat >"$TMP/bowl.json" <<'JSON'
{ "name": "bowl", "trials": 4, "seed": 5, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 5, "epoch_ms": 20},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.9, 0.999]},
              "batch": {"choice": [32, 64]} } }
JSON

for cmd in "show 1" "export 1" "curves 1" "plot 1 -o $TMP/x.svg"; do
	expect 3 "^caviar: ${cmd%% *}: no daemon is running at $SOCK.*; or read a database with --db FILE" "$CAVIAR" $cmd
done

start_daemon --slots 2
id=$("$CAVIAR" submit "$TMP/bowl.json")
"$CAVIAR" wait "$id" >/dev/null

# show
out=$("$CAVIAR" show 1)
check "show: first line" "$(head -1 <<<"$out")" "trial 1: sweep 1 \"bowl\", no. 0, round 0"
check_true "show: status and reason" grep -q "^status:   done, finished$" <<<"$out"
check_true "show: params" grep -qE "^params:   lr=[0-9.e-]+ beta=[0-9.e-]+ batch=(32|64)$" <<<"$out"
check_true "show: best" grep -qE "^best:     val_loss [0-9.]+ at epoch 5 of 5$" <<<"$out"
check_true "show: timings and exit code" grep -qE "^ended:    .*, after [0-9.]+ s, exit code 0$" <<<"$out"
check_true "show: the curve's header" grep -qE "^EPOCH +STEP +elapsed +lr +train_loss +val_acc +val_loss$" <<<"$out"
check "show: one curve row per epoch" "$(grep -cE '^[1-5] +[0-9]+ +[0-9.]+' <<<"$out")" 5
check "show --json" "$("$CAVIAR" show 2 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["id"], d["status"], len(d["curve"]), "val_loss" in d["metrics"], sorted(d["params"]),
      d["curve"][-1]["val_loss"] == d["best_value"])')" "2 done 5 True ['batch', 'beta', 'lr'] True"

# top: the best epoch and the epochs run are two columns, not "5/5" (read as "ran 5 of 5")
out=$("$CAVIAR" top "$id")
check "top: the header" "$(sed -n 2p <<<"$out" | tr -s ' ')" "RANK TRIAL NO. STATUS OBJECTIVE BEST@ EPOCHS PARAMS"
check "top: rank 1's best epoch and epochs run" "$(sed -n 3p <<<"$out" | awk '{print $1, $2, $6, $7}')" \
	"$(sql "SELECT rank || ' ' || trial_id || ' ' || best_epoch || ' ' || epochs FROM leaderboard WHERE sweep_id = $id ORDER BY rank, number LIMIT 1")"

# export
"$CAVIAR" export "$id" >"$TMP/trials.csv"
check "export: CSV by default, one row per trial" "$(python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(len(rows), list(rows[0])[:10], sorted(k for k in rows[0] if k.startswith("final_")))' "$TMP/trials.csv")" \
	"4 ['trial_id', 'number', 'round', 'status', 'objective', 'best_epoch', 'epochs', 'lr', 'beta', 'batch'] ['final_elapsed', 'final_lr', 'final_train_loss', 'final_val_acc', 'final_val_loss']"
check "export: final values are the last points, exactly" "$(python3 -c '
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
bad = 0
for r in csv.DictReader(open(sys.argv[1])):
    v = db.execute("SELECT value FROM points WHERE trial_id = ? AND metric = ? ORDER BY epoch DESC, step DESC LIMIT 1", (int(r["trial_id"]), "val_acc")).fetchone()[0]
    bad += float(r["final_val_acc"]) != v
print(bad)' "$TMP/trials.csv" "$DB")" 0
check "export --csv equals the default" "$("$CAVIAR" export "$id" --csv | cmp - "$TMP/trials.csv" && echo same)" same
check "export --json" "$("$CAVIAR" export "$id" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(len(d), sorted(d[0]["params"]), d[0]["final"]["val_loss"] == d[0]["objective"], d[0]["status"])')" \
	"4 ['batch', 'beta', 'lr'] True done"
n=$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $id")
check "export --points: every point (CSV)" "$("$CAVIAR" export "$id" --points | tail -n +2 | wc -l)" "$n"
check "export --points: header" "$("$CAVIAR" export "$id" --points | head -1)" "trial_id,number,metric,epoch,step,value,wall_time"
check "export --points --json" "$("$CAVIAR" export "$id" --points --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$n"

# curves
out=$("$CAVIAR" curves "$id")
check "curves: title" "$(head -1 <<<"$out")" "val_loss by epoch: 4 curves of sweep $id"
check "curves: braille dots" "$(python3 -c 'import sys; print(any(0x2801 <= ord(c) <= 0x28ff for c in sys.stdin.read()))' <<<"$out")" True
check "curves: the best 3 listed by rank" "$(grep -cE '^- rank [1-3]: trial [0-9]+ \(no\. [0-9]\), last ' <<<"$out")" 3
check_true "curves: no colour on a pipe" test -z "$(grep -l $'\033' <<<"$out")"
check "curves --json" "$("$CAVIAR" curves "$id" -k 2 --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["metric"], len(d["curves"]), sum(c["highlighted"] for c in d["curves"]), {len(c["points"]) for c in d["curves"]})')" \
	"val_loss 4 2 {5}"
check "curves --trial --metric --json" "$("$CAVIAR" curves --trial 3 --metric val_acc --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["sweep"], d["metric"], [c["trial_id"] for c in d["curves"]])')" "1 val_acc [3]"
# Colour on a terminal, and never with NO_COLOR.
trap 'for n in c nc w; do tmux -L "caviar-e2e-$$-$n" kill-server 2>/dev/null; done; cleanup' EXIT
for nc in "" 1; do
	TMUX_NAME=caviar-e2e-$$-${nc:+n}c
	tmux -L "$TMUX_NAME" -f /dev/null new-session -d -x 100 -y 40 \
		"env TERM=xterm-256color NO_COLOR=$nc CAVIAR_SOCKET='$SOCK' '$CAVIAR' curves $id; echo EXIT=\$?; sleep 30"
	for _ in $(seq 300); do
		tmux -L "$TMUX_NAME" capture-pane -e -p >"$TMP/pane$nc.txt"
		grep -q EXIT= "$TMP/pane$nc.txt" && break
		sleep 0.1
	done
	tmux -L "$TMUX_NAME" kill-server
done
# The x axis and its label fit the terminal's width: nothing wraps.
for cols in 80 100 160; do
	TMUX_NAME=caviar-e2e-$$-w
	tmux -L "$TMUX_NAME" -f /dev/null new-session -d -x "$cols" -y 40 \
		"env TERM=xterm-256color CAVIAR_SOCKET='$SOCK' '$CAVIAR' curves $id; echo EXIT=\$?; sleep 30"
	for _ in $(seq 300); do
		tmux -L "$TMUX_NAME" capture-pane -p >"$TMP/wide.txt"
		grep -q EXIT= "$TMP/wide.txt" && break
		sleep 0.1
	done
	tmux -L "$TMUX_NAME" kill-server
	check "curves at $cols columns: the x axis labelled on one line" \
		"$(grep -cE '^ +1 +5  epoch$' "$TMP/wide.txt") $(grep -cE '^(e|poch|och|h)$' "$TMP/wide.txt")" "1 0"
done
check_true "curves on a terminal: colour" grep -q $'\033\\[32m' "$TMP/pane.txt"
check_true "curves on a terminal with NO_COLOR: none" test -z "$(grep -l $'\033\\[3[0-9]m' "$TMP/pane1.txt")"

# Errors, with a daemon.
expect 1 "^caviar: show: no trial 42$" "$CAVIAR" show 42
expect 1 "^caviar: export: no sweep 42$" "$CAVIAR" export 42
expect 1 "^caviar: curves: no sweep 42$" "$CAVIAR" curves 42
expect 1 "^caviar: curves: no trial 42$" "$CAVIAR" curves --trial 42
expect 1 "^caviar: curves: no nope points in sweep 1$" "$CAVIAR" curves 1 --metric nope
expect 2 "^caviar: show: x: expected a trial id" "$CAVIAR" show x
expect 2 "^caviar: show: missing argument" "$CAVIAR" show
expect 2 "^caviar: show: unknown option --bogus" "$CAVIAR" show 1 --bogus
expect 2 "^caviar: export: --csv and --json exclude each other" "$CAVIAR" export 1 --csv --json
expect 2 "^caviar: export: too many arguments" "$CAVIAR" export 1 2
expect 2 "^caviar: curves: -k: expected a positive number" "$CAVIAR" curves 1 -k 0
expect 2 "^caviar: curves: too many arguments" "$CAVIAR" curves 1 --trial 2
expect 2 "^caviar: export: option --db needs a value" "$CAVIAR" export 1 --db
stop_daemon

# --db: no daemon needed; read-only.
before=$(md5sum <"$DB")
check "show --db without a daemon" "$("$CAVIAR" show 1 --db "$DB" | head -1)" "trial 1: sweep 1 \"bowl\", no. 0, round 0"
check "export --db without a daemon" "$("$CAVIAR" export 1 --db "$DB" | wc -l)" 5
check "curves --db without a daemon" "$("$CAVIAR" curves 1 --db "$DB" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["curves"]))')" 4
check "the database is not written" "$(md5sum <"$DB")" "$before"
expect 1 "^caviar: show: $TMP/none.db: unable to open database file" "$CAVIAR" show 1 --db "$TMP/none.db"
check_true "... and creates no file" test ! -e "$TMP/none.db"
echo "not a database" >"$TMP/junk.db"
expect 1 "^caviar: export: $TMP/junk.db: not a caviar database" "$CAVIAR" export 1 --db "$TMP/junk.db"
sqlite3 "$TMP/other.db" 'CREATE TABLE t (x)'
expect 1 "^caviar: show: $TMP/other.db: not a caviar database: no such table: sweeps" "$CAVIAR" show 1 --db "$TMP/other.db"
finish
