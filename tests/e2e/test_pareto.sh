#!/usr/bin/env bash
# Several objectives and a constraint, end to end. 1: command trials print
# chosen metrics, so the ranks are known exactly: the pareto view, `caviar top
# --pareto` (daemon, --db, --json), Client.pareto and the leaderboard are
# checked against a brute-force ranking written here (Deb's rule: feasible
# first, infeasible by violation; a trial that never reported the constrained
# metric is infeasible). 2: the built-in worker on a generated CSV, val_acc
# against its parameter count, its cost metrics recorded.
. "$(dirname "$0")/lib.sh"
SDK=$(cd "$(dirname "$0")/../../sdk" && pwd)

# acc size lat: lat absent on the last one
POINTS='["0.90 300 2", "0.85 100 3", "0.80 50 1", "0.95 800 9", "0.88 200 4",
	 "0.70 60 2", "0.92 500 6", "0.86 400 5", "0.99 10 7", "0.89 250 1", "0.97 20"]'
python3 - "$TMP/mo.json" "$POINTS" <<'PY'
import json, sys
cmd = ("set -- {p}; printf '{{\"epoch\": 1, \"acc\": %s, \"size\": %s' \"$1\" \"$2\"; "
       "[ -z \"$3\" ] || printf ', \"lat\": %s' \"$3\"; printf '}}\\n'")
json.dump({"name": "mo", "search": "grid", "command": ["sh", "-c", cmd],
           "objectives": [{"metric": "acc", "mode": "max"}, {"metric": "size", "mode": "min"}],
           "constraints": [{"metric": "lat", "max": 5}],
           "params": {"p": {"choice": json.loads(sys.argv[2])}}}, open(sys.argv[1], "w"))
PY
check "validate prints the goals" "$("$CAVIAR" validate "$TMP/mo.json" | tail -1)" \
	"  objectives: acc (max), size (min); constraints: lat <= 5"
start_daemon --slots 2
id=$("$CAVIAR" submit "$TMP/mo.json")
"$CAVIAR" wait "$id" >/dev/null
check "every trial done" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status = 'done'")" 11

# The expected ranks, by number, brute force: peel fronts of the feasible
# trials, then one rank per distinct violation.
expected=$(python3 - "$POINTS" <<'PY'
import json, sys
pts = [p.split() for p in json.loads(sys.argv[1])]
acc = [float(p[0]) for p in pts]; size = [float(p[1]) for p in pts]
viol = [max(0.0, float(p[2]) - 5) if len(p) > 2 else float("inf") for p in pts]
dom = lambda a, b: acc[a] >= acc[b] and size[a] <= size[b] and (acc[a] > acc[b] or size[a] < size[b])
rank, left, r = {}, [i for i in range(len(pts)) if viol[i] == 0], 0
while left:
    front = [i for i in left if not any(dom(k, i) for k in left if k != i)]
    for i in front: rank[i] = r
    left = [i for i in left if i not in front]; r += 1
levels = sorted(set(v for v in viol if v > 0))
for i in range(len(pts)):
    if viol[i] > 0: rank[i] = r + levels.index(viol[i])
print(" ".join("%d:%d:%s" % (i, rank[i], "inf" if viol[i] == float("inf") else "%g" % viol[i])
               for i in range(len(pts))))
PY
)
got=$(sql "SELECT group_concat(number || ':' || rank || ':' || CASE WHEN violation > 1e308 THEN 'inf' ELSE violation END, ' ') FROM (SELECT number, rank, violation FROM pareto WHERE sweep_id = $id ORDER BY number)" | sed 's/\.0\b//g')
check "the pareto view's ranks and violations are the brute force's" "$got" "$expected"
front=$(tr ' ' '\n' <<<"$expected" | awk -F: '$2 == 0 {print $1}' | sort -n | tr '\n' ' ')
check "top --pareto --json: the front" \
	"$("$CAVIAR" top --pareto --json "$id" | python3 -c 'import json, sys
print(" ".join(str(t["number"]) for t in sorted(json.load(sys.stdin)["trials"], key=lambda t: t["number"])) + " ")')" "$front"
check "top --pareto --db reads the same front" \
	"$("$CAVIAR" top --pareto --db "$DB" "$id" | awk 'NR > 2 {print $2}' | sort -n | tr '\n' ' ')" "$front"
out=$("$CAVIAR" top --pareto "$id")
check "top --pareto: the goals line" "$(head -1 <<<"$out")" \
	"sweep $id \"mo\" (done): the Pareto front of acc (max), size (min); constraints: lat <= 5"
check_true "top --pareto: a column per objective" \
	grep -qE '^TRIAL +NO\. +STATUS +acc +size +VIOLATION +CROWDING +PARAMS$' <<<"$out"
check_true "top --pareto: the front's row of no. 2 has its values" \
	grep -qE '^[0-9]+ +2 +done +0\.8 +50 +0 +inf +p=0\.80 50 1$' <<<"$out"
check "the pareto view's objectives as JSON" \
	"$(sql "SELECT objectives || constraints FROM pareto WHERE sweep_id = $id AND number = 3")" \
	'{"acc":0.95,"size":800.0}{"lat":9.0}'
check "the trial that never reported lat is infeasible and last" \
	"$(sql "SELECT feasible, rank = (SELECT max(rank) FROM pareto WHERE sweep_id = $id) FROM pareto WHERE sweep_id = $id AND number = 10")" "0|1"
check "leaderboard: every feasible trial ranks before every infeasible one" \
	"$(sql "SELECT max(rank) < (SELECT min(rank) FROM leaderboard WHERE sweep_id = $id AND NOT feasible) FROM leaderboard WHERE sweep_id = $id AND feasible")" 1
check "sweep_progress: the best is the best feasible trial" \
	"$(sql "SELECT t.number FROM sweep_progress p JOIN trials t ON t.id = p.best_trial_id WHERE p.sweep_id = $id")" 0
check "Client.pareto: the same front" "$(PYTHONPATH=$SDK python3 -c '
import sys
from caviar_client import Client
c = Client(db=sys.argv[1])
print(" ".join(str(r["number"]) for r in sorted(c.pareto(int(sys.argv[2])), key=lambda r: r["number"])) + " ")
print(len(c.pareto(int(sys.argv[2]), rank=None)))' "$DB" "$id" | tr '\n' '|')" "$front|11|"

# A sweep with one objective has no front, said plainly.
printf '{"name": "one", "trials": 1, "task": "bowl", "params": {"lr": {"log": [0.01, 0.1]}}}' >"$TMP/one.json"
one=$("$CAVIAR" submit "$TMP/one.json")
"$CAVIAR" wait "$one" >/dev/null
expect 1 "^caviar: top: sweep $one has one objective and no constraint: it has no Pareto front$" \
	"$CAVIAR" top --pareto "$one"

# 2. The built-in worker: val_acc against params, on three separable blobs.
python3 - "$TMP/blobs.csv" <<'PY'
import random, sys
r = random.Random(28)
with open(sys.argv[1], "w") as f:
    for i in range(600):
        c = i % 3
        f.write("%d,%.4f,%.4f\n" % (c, 3 * c + r.gauss(0, 1), -2 * c + r.gauss(0, 1)))
PY
cat >"$TMP/mlp.json" <<JSON
{"name": "size", "search": "grid", "seed": 3,
 "objectives": [{"metric": "val_acc", "mode": "max"}, {"metric": "params", "mode": "min"}],
 "constraints": [{"metric": "infer_us", "max": 1000000}],
 "data": {"dataset": "csv", "train_csv": "$TMP/blobs.csv", "val_fraction": 0.25},
 "train": {"epochs": 3, "layers": 1, "lr": 0.05},
 "params": {"units": {"choice": [2, 8, 32, 64]}}}
JSON
mlp=$("$CAVIAR" submit "$TMP/mlp.json")
"$CAVIAR" wait "$mlp" >/dev/null
check "mlp: every trial ranked" "$(sql "SELECT count(*) FROM pareto WHERE sweep_id = $mlp")" 4
check "mlp: params is the same at every epoch, and grows with units" \
	"$(sql "SELECT count(DISTINCT p.value) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $mlp AND p.metric = 'params' GROUP BY t.id" | sort -u) $(sql "SELECT group_concat(v, ' ') FROM (SELECT json_extract(objectives, '\$.params') AS v FROM pareto WHERE sweep_id = $mlp ORDER BY json_extract(params, '\$.units'))" | python3 -c 'import sys; v = [float(x) for x in sys.stdin.read().split()]; print(v == sorted(v) and len(set(v)) == 4)')" "1 True"
check "mlp: train_seconds grows with the epochs, infer_us is positive" \
	"$(sql "SELECT count(*) FROM points a JOIN points b ON b.trial_id = a.trial_id AND b.metric = a.metric AND b.epoch = a.epoch + 1 JOIN trials t ON t.id = a.trial_id WHERE t.sweep_id = $mlp AND a.metric = 'train_seconds' AND b.value > a.value")/$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $mlp AND p.metric = 'infer_us' AND p.value > 0")" "8/12"
# the front, brute force from the recorded last values
check "mlp: the front is the brute force's" "$(sql "SELECT number FROM pareto WHERE sweep_id = $mlp AND rank = 0 ORDER BY number" | tr '\n' ' ')" \
	"$(sql -separator ' ' "SELECT number, json_extract(objectives, '\$.val_acc'), json_extract(objectives, '\$.params') FROM pareto WHERE sweep_id = $mlp" | python3 -c '
import sys
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
dom = lambda a, b: a[1] >= b[1] and a[2] <= b[2] and (a[1] > b[1] or a[2] < b[2])
print(" ".join(str(int(r[0])) for r in sorted(rows) if not any(dom(o, r) for o in rows)) + " ")')"
# rm takes a sweep's goals with it.
check "rm a sweep with goals" "$("$CAVIAR" rm "$id")" "sweep $id removed"
check "rm: its goals and ranks are gone" \
	"$(sql "SELECT (SELECT count(*) FROM goals WHERE sweep_id = $id) + (SELECT count(*) FROM pareto WHERE sweep_id = $id)")" 0
stop_daemon
exit $((FAILS > 0))
