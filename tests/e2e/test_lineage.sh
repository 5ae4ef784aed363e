#!/usr/bin/env bash
# caviar lineage and caviar plot --lineage on a database built by hand with
# sqlite3, as the daemon records forks and adjustments (schema/006-panda.sql):
# trial 4 forked from 3 after epoch 8, itself forked from 1 after epoch 4,
# with pbt's changes at each fork and a user's adjustment mid-training; trial
# 5 adjusts lr, which its params do not hold. Checks the chain, the
# schedule, the JSON, the figure, offline (--db) and through the daemon.
. "$(dirname "$0")/lib.sh"

start_daemon # creates the schema
stop_daemon
sql <<'SQL'
INSERT INTO sweeps (id, name, spec, search, seed, metric, mode, budget, status, created_at)
VALUES (1, 'pbt-demo', '{"name": "pbt-demo", "search": "pbt", "task": "bowl", "trials": 6,
  "train": {"epochs": 12}, "pbt": {"population": 2, "interval": 4},
  "params": {"lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.9, 0.999]},
             "optimizer": {"choice": ["adam", "momentum"]}}}',
  'pbt', 1, 'val_acc', 'max', 6, 'done', 1000);
INSERT INTO trials (id, sweep_id, number, params, seed, status, epochs, best_value, best_epoch,
                    parent_trial_id, parent_epoch)
VALUES (1, 1, 0, '{"lr": 0.01, "beta": 0.9, "optimizer": "adam"}', 11, 'done', 8, 0.8, 8,
        NULL, NULL),
       (2, 1, 1, '{"lr": 0.001, "beta": 0.99, "optimizer": "adam"}', 12, 'pruned', 4, 0.2, 4,
        NULL, NULL),
       (3, 1, 2, '{"lr": 0.012, "beta": 0.9, "optimizer": "adam"}', 13, 'done', 8, 0.82, 8,
        1, 4),
       (4, 1, 3, '{"lr": 0.012, "beta": 0.95, "optimizer": "adam"}', 14, 'done', 12, 0.95, 12,
        3, 8),
       (5, 1, 4, '{"beta": 0.99, "optimizer": "momentum"}', 15, 'done', 3, 0.3, 3, NULL, NULL);
INSERT INTO adjustments (trial_id, epoch, step, name, old_value, new_value, source, created_at)
VALUES (3, 4, 400, 'lr', 0.01, 0.012, 'pbt', 1001),
       (4, 8, 800, 'beta', 0.9, 0.95, 'pbt', 1002),
       (4, 10, 1000, 'lr', 0.012, 0.006, 'user', 1003),
       (5, 2, 0, 'lr', 0.001, 0.002, 'user', 1004);
WITH RECURSIVE e(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM e WHERE n < 12)
INSERT INTO points (trial_id, metric, epoch, step, value, wall_time)
SELECT 1, 'val_acc', n, n * 100, 0.05 * n, 1000 + n FROM e WHERE n <= 8
UNION ALL SELECT 2, 'val_acc', n, n * 100, 0.05 * n, 1000 + n FROM e WHERE n <= 4
UNION ALL SELECT 3, 'val_acc', n, n * 100, 0.06 * n, 1010 + n FROM e WHERE n BETWEEN 5 AND 8
UNION ALL SELECT 4, 'val_acc', n, n * 100, 0.07 * n, 1020 + n FROM e WHERE n > 8;
SQL

expected="trial 4 (sweep 1): 3 trials in its lineage
TRIAL  NO.  STATUS  EPOCHS  FORKED FROM
1      0    done    1-4     -
3      2    done    5-8     trial 1 after epoch 4
4      3    done    9-12    trial 3 after epoch 8

hyperparameters by epoch (* where a value changed)
EPOCHS  TRIAL  CHANGE                            lr      beta   optimizer
1-4     1      start                             0.01    0.9    adam
5-8     3      fork (pbt)                        0.012*  0.9    adam
9-10    4      fork (pbt)                        0.012   0.95*  adam
11-12   4      after epoch 10, step 1000 (user)  0.006*  0.95   adam"
check "lineage: the chain and the schedule" "$("$CAVIAR" lineage 4 --db "$DB")" "$expected"

check "lineage --json: each parameter's segments, the curve along the chain" "$(
	"$CAVIAR" lineage 4 --db "$DB" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print([(m["trial_id"], m["from_epoch"], m["to_epoch"], m["parent_trial_id"]) for m in d["chain"]])
for p in d["params"]:
    print(p["name"], p["scale"], [(s["trial_id"], s["from_epoch"], s["to_epoch"], s["step"],
                                   s["value"], s["source"]) for s in p["segments"]])
print(d["metric"], [(c["from_trial_id"], c["epoch"]) for c in d["curve"]][3:6], len(d["curve"]))')" \
"[(1, 0, 4, None), (3, 4, 8, 1), (4, 8, 12, 3)]
lr log [(1, 0, 4, 0, 0.01, 'start'), (3, 4, 8, 0, 0.012, 'pbt'), (4, 8, 10, 0, 0.012, 'fork'), (4, 10, 12, 1000, 0.006, 'user')]
beta reverse_log [(1, 0, 4, 0, 0.9, 'start'), (3, 4, 8, 0, 0.9, 'fork'), (4, 8, 12, 0, 0.95, 'pbt')]
optimizer choice [(1, 0, 4, 0, 'adam', 'start'), (3, 4, 8, 0, 'adam', 'fork'), (4, 8, 12, 0, 'adam', 'fork')]
val_acc [(1, 4), (3, 5), (3, 6)] 12"

check "lineage of a first ancestor: itself, all its epochs" "$("$CAVIAR" lineage 1 --db "$DB" | sed -n 3p)" \
	"1      0    done    1-8     -"
check "lineage: a value its params lack starts at the adjustment's old value" \
	"$("$CAVIAR" lineage 5 --db "$DB" | tail -3)" \
"EPOCHS  TRIAL  CHANGE                beta  optimizer  lr
1-2     5      start                 0.99  momentum   0.001
3       5      after epoch 2 (user)  0.99  momentum   0.002*"
expect 1 "^caviar: lineage: no trial 99$" "$CAVIAR" lineage 99 --db "$DB"
expect 2 "^caviar: lineage: x: expected a trial id" "$CAVIAR" lineage x --db "$DB"
expect 2 "^caviar: lineage: missing argument" "$CAVIAR" lineage --db "$DB"

# The figure: the objective along the chain, a panel per parameter on its scale.
"$CAVIAR" plot --lineage 4 --db "$DB" -o "$TMP/lineage.svg" --json >"$TMP/svg.json"
check "plot --lineage --json: what was drawn" "$(python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["kind"], d["curve_points"], [(p["param"], p["scale"], p["segments"]) for p in d["panels"]])
print(d["summary"])' <"$TMP/svg.json")" \
"lineage 12 [('lr', 'log', 4), ('beta', 'reverse_log', 3), ('optimizer', 'choice', 3)]
trial 4: 3 trials in its lineage, 3 parameter panels"
check "the SVG is an SVG" "$(head -c 5 "$TMP/lineage.svg")" "<?xml"
check "a colour per trial of the chain (tab10's first three)" "$(
	for c in '12.2%,46.7%,70.6%' '100%,49.8%,5.5%' '17.3%,62.7%,17.3%'; do
		grep -q "stroke:rgb($c)" "$TMP/lineage.svg" && echo y; done | paste -sd ' ')" "y y y"
out=$("$CAVIAR" plot --lineage 4 --db "$DB" -o "$TMP/lineage.png")
check "plot --lineage: one line saying what it wrote" "$out" \
	"wrote $TMP/lineage.png: trial 4: 3 trials in its lineage, 3 parameter panels"
check_true "file(1): a 1200x640 PNG" grep -q "PNG image data, 1200 x 640" <<<"$(file "$TMP/lineage.png")"
expect 1 "^caviar: plot: no trial 99$" "$CAVIAR" plot --lineage 99 --db "$DB" -o "$TMP/x.svg"
check_true "... and writes no file" test ! -e "$TMP/x.svg"
expect 2 "^caviar: plot: x: expected a trial id" "$CAVIAR" plot --lineage x -o "$TMP/x.svg"
expect 2 "^caviar: plot: --importance, --parallel, --pair and --lineage exclude each other" "$CAVIAR" plot --lineage --pair 4 -o "$TMP/x.svg"

# A loop of parent links (a damaged file) ends the chain where it closes.
cp "$DB" "$TMP/loop.db"
sqlite3 "$TMP/loop.db" "UPDATE trials SET parent_trial_id = 4, parent_epoch = 2 WHERE id = 1"
check "lineage: a loop of parent links ends" "$(timeout 10 "$CAVIAR" lineage 4 --db "$TMP/loop.db" |
	sed -n 3p)" "1      0    done    3-4     trial 4 after epoch 2"

# Through the daemon: the database it reports.
start_daemon
check "lineage reads the daemon's database" "$("$CAVIAR" lineage 4)" "$expected"
stop_daemon
finish
