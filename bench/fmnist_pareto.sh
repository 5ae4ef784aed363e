#!/usr/bin/env bash
# fmnist_pareto.sh: accuracy against model size on Fashion-MNIST, with
# multi-objective ASHA and without early stopping, through a real caviard:
# for each seed, the same 60-trial tpe sweep over two objectives (val_acc max,
# params min; 5 parameters, 10,000 training images, at most 9 epochs a trial)
# with "early_stop": {"kind": "asha"} (rungs 1, 3, 9, promoted by
# non-dominated rank) and with none. Prints a Markdown table: each sweep's
# epochs trained, its front (rank 0 of the `pareto` view), the front's
# hypervolume, and the no-stopping sweep's hypervolume within as many epochs as
# the ASHA sweep trained.
#
# Hypervolume is measured on (1 - val_acc, log10(params) / 6) from the
# reference point (1, 1): an error of 1 and a million parameters.
#
#   bench/fmnist_pareto.sh [--build DIR] [--seeds "1 2"] [--slots N] [--trials N]
#                          [--asha-trials N] [--keep DB] [--json PATH]
#
# --asha-trials gives the MO-ASHA sweep another number of trials than the
# other (--trials): 3x as many spends about the epochs of the sweep without
# stopping, for the front each reaches at equal cost. --keep copies the
# sweeps' database to DB, for `caviar top --pareto` and sqlite3; --json
# writes each seed's numbers and their medians (for bench/run's row 12fm).
#
# About a minute a seed on 2 idle cores (a release build). Needs dataset-fashion-mnist
# (scripts/setup.sh installs it).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build SEEDS=1 SLOTS=$(nproc) TRIALS=60 ASHA_TRIALS= KEEP= JSON=
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift ;;
	--seeds) SEEDS=$2; shift ;;
	--slots) SLOTS=$2; shift ;;
	--trials) TRIALS=$2; shift ;;
	--asha-trials) ASHA_TRIALS=$2; shift ;;
	--keep) KEEP=$2; shift ;;
	--json) JSON=$2; shift ;;
	*) echo "usage: bench/fmnist_pareto.sh [--build DIR] [--seeds \"1 2 ...\"] [--slots N] [--trials N] [--asha-trials N] [--keep DB] [--json PATH]" >&2
	   exit 2 ;;
	esac
	shift
done
TMP=$(mktemp -d /tmp/caviar-fmnist-pareto.XXXXXX)
export CAVIAR_SOCKET=$TMP/sock
DAEMON=
trap '[ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT

spec() { # spec ARM SEED: ARM is asha or none
	local stop="" trials=$TRIALS
	if [ "$1" = asha ]; then
		stop='"early_stop": {"kind": "asha", "min_epochs": 1, "eta": 3},'
		trials=${ASHA_TRIALS:-$TRIALS}
	fi
	cat <<JSON
{ "name": "pareto-$1-$2", "trials": $trials, "seed": $2, "search": "tpe",
  "objectives": [{"metric": "val_acc", "mode": "max"}, {"metric": "params", "mode": "min"}],
  "data": {"dataset": "fashion-mnist", "train_limit": 10000, "val_fraction": 0.2},
  "train": {"epochs": 9, "optimizer": "adam", "batch_norm": true},
  $stop
  "params": {
    "lr":     {"log": [1e-4, 1e-1]},
    "units":  {"log_int": [8, 512]},
    "layers": {"int": [1, 4]},
    "batch":  {"choice": [32, 64, 128, 256]},
    "l2":     {"log": [1e-6, 1e-2]} } }
JSON
}

"$BUILD/daemon/caviard" --db "$TMP/fm.db" --socket "$CAVIAR_SOCKET" --slots "$SLOTS" \
	2>"$TMP/daemon.log" &
DAEMON=$!
for _ in $(seq 100); do "$BUILD/tools/caviar" status >/dev/null 2>&1 && break; sleep 0.1; done
for seed in $SEEDS; do
	for arm in asha none; do
		spec "$arm" "$seed" >"$TMP/$arm-$seed.json"
		"$BUILD/tools/caviar" validate "$TMP/$arm-$seed.json" >/dev/null
		id=$("$BUILD/tools/caviar" submit "$TMP/$arm-$seed.json")
		"$BUILD/tools/caviar" wait "$id" >/dev/null
		echo "fmnist_pareto: seed $seed, $arm: sweep $id done" >&2
	done
done
"$BUILD/tools/caviar" shutdown >/dev/null
wait "$DAEMON"; DAEMON=
[ -n "$KEEP" ] && cp "$TMP/fm.db" "$KEEP"
/usr/bin/python3 - "$TMP/fm.db" "$SEEDS" "$JSON" <<'PY'
import json, math, sqlite3, statistics, sys
db = sqlite3.connect(sys.argv[1])
ids = {name: i for name, i in db.execute("SELECT name, id FROM sweeps")}

def point(acc, params):  # minimised, in the reference box
    return (1 - acc, min(math.log10(max(params, 1)) / 6, 1))

def hypervolume(points):  # two objectives, both minimised, reference (1, 1)
    front, best_y = [], 2
    for x, y in sorted(points):
        if y < best_y:
            front.append((x, y))
            best_y = y
    hv = 0
    for i, (x, y) in enumerate(front):
        nx = front[i + 1][0] if i + 1 < len(front) else 1
        hv += (nx - x) * (1 - y)
    return hv

def trials(sweep):  # (end order, epochs, val_acc, params) of each ranked trial
    return [(end, n, json.loads(o)) for end, n, o in db.execute(
        "SELECT t.ended_at, (SELECT count(*) FROM points p WHERE p.trial_id = t.id"
        "  AND p.metric = 'val_acc'), v.objectives FROM pareto v JOIN trials t"
        " ON t.id = v.trial_id WHERE v.sweep_id = ? ORDER BY t.ended_at, t.id", (sweep,))]

def front(sweep):
    return [json.loads(o) for (o,) in db.execute(
        "SELECT objectives FROM pareto WHERE sweep_id = ? AND rank = 0", (sweep,))]

print("| seed | sweep | trials | epochs | front size | hypervolume | best val_acc |"
      " smallest front model (params: val_acc) |")
print("|---|---|---|---|---|---|---|---|")
summary = []
for seed in sys.argv[2].split():
    row = {}
    for arm in ("asha", "none"):
        sid = ids["pareto-%s-%s" % (arm, seed)]
        ts = trials(sid)
        fr = front(sid)
        hv = hypervolume([point(o["val_acc"], o["params"]) for _, _, o in ts])
        small = min(fr, key=lambda o: o["params"])
        epochs = sum(n for _, n, _ in ts)
        row[arm] = (ts, epochs, hv)
        print("| %s | %s | %d | %d | %d | %.4f | %.4f | %d: %.4f |" % (
            seed, "MO-ASHA" if arm == "asha" else "no stopping", len(ts), epochs, len(fr), hv,
            max(o["val_acc"] for o in fr), small["params"], small["val_acc"]))
    # the no-stopping sweep cut at the ASHA sweep's epochs, trials in the order they ended
    budget, spent, seen = row["asha"][1], 0, []
    for _, n, o in row["none"][0]:
        if spent + n > budget:
            break
        spent += n
        seen.append(point(o["val_acc"], o["params"]))
    summary.append((seed, row["asha"][2], row["none"][2], hypervolume(seen), spent,
                    row["asha"][1], row["none"][1]))
print()
if sys.argv[3]:
    keys = ("seed", "hv_asha", "hv_none", "hv_none_equal", "epochs_none_equal",
            "epochs_asha", "epochs_none")
    seeds = [dict(zip(keys, row)) for row in summary]
    med = {k: statistics.median(r[k] for r in seeds) for k in keys[1:]}
    med["epochs_ratio"] = statistics.median(r["epochs_asha"] / r["epochs_none"] for r in seeds)
    med["hv_ratio_equal"] = statistics.median(r["hv_asha"] / r["hv_none_equal"]
                                              if r["hv_none_equal"] else 0 for r in seeds)
    med["hv_ratio_full"] = statistics.median(r["hv_asha"] / r["hv_none"] for r in seeds)
    med["asha_wins_equal"] = sum(r["hv_asha"] > r["hv_none_equal"] for r in seeds)
    with open(sys.argv[3], "w") as f:
        json.dump({"seeds": seeds, "median": med, "n": len(seeds)}, f)
for seed, hv_a, hv_n, hv_eq, spent, ep_a, ep_n in summary:
    print("seed %s: MO-ASHA reached hypervolume %.4f in %d epochs (%.2fx the epochs of no"
          " stopping, which reached %.4f in %d; %.4f within %d epochs)" % (
              seed, hv_a, ep_a, ep_a / ep_n, hv_n, ep_n, hv_eq, spent))
PY
