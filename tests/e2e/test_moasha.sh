#!/usr/bin/env bash
# Early stopping with several objectives, end to end, on command trials that
# print chosen values: acc (max) at each of 4 epochs, size (min) once, at
# epoch 1 (it carries forward to the later rungs). Each trial waits, after a
# line, until caviard has recorded that line's points: a trial it stops is
# signalled before that, so it never prints past the line it was stopped at,
# whatever the machine's speed. One slot: the trials reach the rungs in
# number order, so the decisions are known exactly.
# 1: MO-ASHA (eta 3, rungs at epochs 1 and 3) prunes exactly the trials a
#    reference written here prunes (rank, then crowding, of the trials at the
#    rung so far), each with its reason; a front trial is never stopped while
#    a dominated one goes on, and the front trial with the worst acc
#    (which ASHA on acc alone would stop) goes on. A restart mid-sweep
#    rebuilds the rungs from the database.
# 2: the median rule on "objective": "size" stops by size alone; an unknown
#    objective is refused, naming the field.
# 3: importance --objective: acc depends on x alone, size on y alone, so the
#    two objectives rank the parameters differently.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/mo.sh" <<SH
# mo.sh TRIAL_ID SIZE ACC1 ACC2 ...: a line per epoch, each once recorded
id=\$1 size=\$2 e=0; shift 2
for acc in "\$@"; do
	e=\$((e + 1))
	if [ \$e = 1 ]; then printf '{"epoch": 1, "acc": %s, "size": %s}\n' "\$acc" "\$size"
	else printf '{"epoch": %d, "acc": %s}\n' \$e "\$acc"; fi
	for _ in \$(seq 3000); do # (a trial left by a kill -9 gives up)
		[ "\$(sqlite3 -batch -noheader "$DB" "SELECT count(*) FROM points WHERE trial_id = \$id AND epoch = \$e AND metric = 'acc'" 2>/dev/null)" -ge 1 ] 2>/dev/null && break
		[ -e "$DB" ] || exit 1
		sleep 0.02
	done
done
SH
# "size acc1 acc2 acc3 acc4" per trial, in number order (grid over a choice)
POINTS='["1000 0.90 0.91 0.92 0.93", "100 0.80 0.81 0.82 0.83", "10 0.50 0.52 0.54 0.56",
	 "2000 0.85 0.86 0.87 0.88", "200 0.70 0.71 0.72 0.73", "150 0.60 0.61 0.62 0.63",
	 "3000 0.75 0.95 0.96 0.97", "400 0.55 0.56 0.57 0.58", "9000 0.50 0.51 0.52 0.53",
	 "20 0.65 0.66 0.40 0.41", "50 0.88 0.89 0.99 0.99", "15 0.95 0.95 0.30 0.30"]'
spec() { # NAME EARLY-STOP-JSON
	python3 - "$TMP/$1.json" "$1" "$2" "$POINTS" <<'PY'
import json, sys
out, name, es, points = sys.argv[1:]
json.dump({"name": name, "search": "grid", "command": ["sh", "-c", "sh {workdir}/mo.sh {trial_id} {p}"],
           "objectives": [{"metric": "acc", "mode": "max"}, {"metric": "size", "mode": "min"}],
           "early_stop": json.loads(es), "params": {"p": {"choice": json.loads(points)}}},
          open(out, "w"))
PY
}
spec asha '{"kind": "asha", "min_epochs": 1, "eta": 3}'
spec median '{"kind": "median", "objective": "size", "warmup": 0, "min_trials": 2}'
spec typo '{"kind": "median", "objective": "siz"}'

# The reference: trials in number order; at a rung each one is ranked among
# those there so far (Deb's non-dominated sorting, then crowding distance).
expected=$(python3 - "$POINTS" <<'PY'
import json, sys
pts = [p.split() for p in json.loads(sys.argv[1])]
size = [float(p[0]) for p in pts]; acc = [[float(a) for a in p[1:]] for p in pts]
def dom(a, b): return a[0] >= b[0] and a[1] <= b[1] and a != b
def ranks(v):
    r, left, k = {}, list(range(len(v))), 0
    while left:
        front = [i for i in left if not any(dom(v[j], v[i]) for j in left if j != i)]
        for i in front: r[i] = k
        left = [i for i in left if i not in front]; k += 1
    return r
def crowding(v, r):
    c = {i: 0.0 for i in r}
    for k in set(r.values()):
        idx = [i for i in r if r[i] == k]
        if len(idx) <= 2:
            for i in idx: c[i] = float("inf")
            continue
        for j in range(2):
            s = sorted(idx, key=lambda i: (v[i][j], i))
            c[s[0]] = c[s[-1]] = float("inf")
            spread = v[s[-1]][j] - v[s[0]][j]
            if spread > 0:
                for a in range(1, len(s) - 1): c[s[a]] += (v[s[a + 1]][j] - v[s[a - 1]][j]) / spread
    return c
rungs, out = {0: [], 2: []}, []
for t in range(len(pts)):
    for e in (0, 2):
        rungs[e].append(t)
        v = [(acc[i][e], size[i]) for i in rungs[e]]
        r, me = ranks(v), len(v) - 1
        c = crowding(v, r)
        place = sum(1 for i in range(len(v)) if i != me and (r[i] < r[me] or (r[i] == r[me] and c[i] > c[me])))
        if place >= max(1, len(v) // 3):
            out.append("%d:%d" % (t, e + 1)); break
print(" ".join(out))
PY
)
echo "expected pruned (trial:epoch): $expected"

start_daemon --slots 1
asha=$("$CAVIAR" submit "$TMP/asha.json")
# a restart once six trials have ended: the rungs come back from the database
six_ended() { test "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $asha AND status IN ('done', 'pruned')")" -ge 6; }
until_true "six trials ended" six_ended
check "the kill -9 came mid-sweep" "$(sql "SELECT count(*) < 12 FROM trials WHERE sweep_id = $asha AND status IN ('done', 'pruned')")" 1
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
start_daemon --slots 1
"$CAVIAR" wait "$asha" >/dev/null
got=$(sql "SELECT group_concat(number || ':' || epochs, ' ') FROM (SELECT number, epochs FROM trials WHERE sweep_id = $asha AND status = 'pruned' ORDER BY number)")
check "mo-asha: the pruned trials and their epochs are the reference's" "$got" "$expected"
check "mo-asha: every trial ended done or pruned" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $asha AND status IN ('done', 'pruned')")" 12
check "mo-asha: every pruned trial says at which rung and why" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $asha AND status = 'pruned'
	        AND reason LIKE 'pruned at epoch _: Pareto rank % places % at rung _, only the top % go on'")" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $asha AND status = 'pruned'")"
check "mo-asha: trial 2 (on the front, the worst acc of all) went on" \
	"$(sql "SELECT status || ' ' || epochs FROM trials WHERE sweep_id = $asha AND number = 2")" "done 4"
check "mo-asha: trial 8 (dominated by every earlier trial) was stopped at epoch 1" \
	"$(sql "SELECT status || ' ' || epochs FROM trials WHERE sweep_id = $asha AND number = 8")" "pruned 1"
# No trial on the front of those at its rung was stopped while a dominated
# one there went on: for each pruned trial, the trials it reached the rung
# after (slots 1: smaller numbers) that went on past it are not all dominated.
python3 - "$POINTS" "$got" >"$TMP/front.out" <<'PY'
import json, sys
pts = [p.split() for p in json.loads(sys.argv[1])]
pruned = dict(map(int, x.split(":")) for x in sys.argv[2].split())
v = lambda i, e: (float(pts[i][e]), -float(pts[i][0]))
dom = lambda a, b: a[0] >= b[0] and a[1] >= b[1] and a != b
bad = []
for p, e in pruned.items():
    there = [i for i in range(p) if i not in pruned or pruned[i] >= e]
    front = not any(dom(v(i, e), v(p, e)) for i in there)
    passed = [i for i in there if i not in pruned or pruned[i] > e]
    if front and any(any(dom(v(j, e), v(i, e)) for j in there + [p]) for i in passed):
        bad.append(p)
print(" ".join(map(str, bad)))
PY
check "mo-asha: no front trial was stopped while a dominated one went on" "$(cat "$TMP/front.out")" ""

median=$("$CAVIAR" submit "$TMP/median.json")
"$CAVIAR" wait "$median" >/dev/null
expected_median=$(python3 - "$POINTS" <<'PY'
import json, statistics, sys
size = [float(p.split()[0]) for p in json.loads(sys.argv[1])]
print(" ".join("%d:1" % t for t in range(len(size))
               if t >= 2 and size[t] > statistics.median(size[:t])))
PY
)
check "median on size: the trials whose size is worse than the others' median stop at epoch 1" \
	"$(sql "SELECT group_concat(number || ':' || epochs, ' ') FROM (SELECT number, epochs FROM trials WHERE sweep_id = $median AND status = 'pruned' ORDER BY number)")" \
	"$expected_median"
check "median on size: the reason names it" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $median AND status = 'pruned' AND reason LIKE '%running averages of size'")" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $median AND status = 'pruned'")"
expect 4 'early_stop.objective: "siz" is not one of the objectives \(acc, size\)' "$CAVIAR" submit "$TMP/typo.json"
expect 4 'early_stop.objective: "siz" is not one of the objectives \(acc, size\)' "$CAVIAR" validate "$TMP/typo.json"

# importance per objective: acc = x, size = 100 y (+ a little of the other)
cat >"$TMP/xy.sh" <<'SH'
awk -v x="$1" -v y="$2" 'BEGIN { printf "{\"epoch\": 1, \"acc\": %.9f, \"size\": %.9f}\n", x + 0.01 * y, 100 * y + x }'
SH
cat >"$TMP/xy.json" <<'JSON'
{"name": "xy", "trials": 40, "seed": 3, "command": ["sh", "xy.sh", "{x}", "{y}"],
 "objectives": [{"metric": "acc", "mode": "max"}, {"metric": "size", "mode": "min"}],
 "params": {"x": {"uniform": [0, 1]}, "y": {"uniform": [0, 1]}}}
JSON
xy=$("$CAVIAR" submit "$TMP/xy.json")
"$CAVIAR" wait "$xy" >/dev/null
first() { "$CAVIAR" importance "$xy" --trees 16 --json "$@" | python3 -c 'import json, sys
j = json.load(sys.stdin); print(j["metric"], j["mode"], j["params"][0]["name"])'; }
check "importance: by default the first objective, x first" "$(first)" "acc max x"
check "importance --objective acc: the same" "$(first --objective acc)" "acc max x"
check "importance --objective size: y first" "$(first --objective size)" "size min y"
check "importance --objective size --by-epoch 1: y first" "$(first --objective size --by-epoch 1)" "size min y"
check "importance --objective size: the text names it" \
	"$("$CAVIAR" importance "$xy" --trees 16 --objective size | head -1 | grep -o 'what mattered for size')" "what mattered for size"
expect 1 "^caviar: importance: sweep $xy has no objective \"loss\" \(its objectives: acc, size\)$" \
	"$CAVIAR" importance "$xy" --objective loss
stop_daemon
finish
