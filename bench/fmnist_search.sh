#!/usr/bin/env bash
# fmnist_search.sh: tpe against random search on Fashion-MNIST, both with ASHA,
# through a real caviard: for each seed, the same 60-trial sweep (6 parameters,
# 20,000 training images, at most 9 epochs a trial, ASHA rungs 1, 3, 9) with
# "search": "tpe" and with "search": "random". Prints a Markdown table: each
# sweep's best val_acc and epochs trained, and tpe's best within the first as
# many epochs as random trained (equal epochs: under ASHA, a search that finds
# good trials earns more promotions and so trains more epochs).
#
#   bench/fmnist_search.sh [--build DIR] [--seeds "1 2 3 4 5"] [--slots N]
#
# About 5 minutes a seed on 2 cores. Needs dataset-fashion-mnist
# (scripts/setup.sh installs it).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build SEEDS="1 2 3 4 5" SLOTS=$(nproc)
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift ;;
	--seeds) SEEDS=$2; shift ;;
	--slots) SLOTS=$2; shift ;;
	*) echo "usage: bench/fmnist_search.sh [--build DIR] [--seeds \"1 2 ...\"] [--slots N]" >&2; exit 2 ;;
	esac
	shift
done
TMP=$(mktemp -d /tmp/caviar-fmnist-search.XXXXXX)
export CAVIAR_SOCKET=$TMP/sock
DAEMON=
trap '[ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT

spec() { # spec SEARCH SEED
	cat <<JSON
{ "name": "fmnist-$1-$2", "trials": 60, "seed": $2, "search": "$1",
  "objective": {"metric": "val_acc", "mode": "max"},
  "data": {"dataset": "fashion-mnist", "train_limit": 20000, "val_fraction": 0.2},
  "train": {"epochs": 9, "optimizer": "momentum", "batch_norm": true},
  "early_stop": {"kind": "asha", "min_epochs": 1, "eta": 3},
  "params": {
    "lr":       {"log": [1e-4, 1]},
    "beta":     {"reverse_log": [0.5, 0.999]},
    "units":    {"log_int": [16, 256]},
    "batch":    {"choice": [16, 32, 64, 128, 256]},
    "layers":   {"int": [1, 4]},
    "lr_decay": {"log": [1e-3, 1]} } }
JSON
}

"$BUILD/daemon/caviard" --db "$TMP/fm.db" --socket "$CAVIAR_SOCKET" --slots "$SLOTS" \
	2>"$TMP/daemon.log" &
DAEMON=$!
for _ in $(seq 100); do "$BUILD/tools/caviar" status >/dev/null 2>&1 && break; sleep 0.1; done
for seed in $SEEDS; do
	for search in tpe random; do
		spec "$search" "$seed" >"$TMP/$search-$seed.json"
		id=$("$BUILD/tools/caviar" submit "$TMP/$search-$seed.json")
		"$BUILD/tools/caviar" wait "$id" >/dev/null
		echo "fmnist_search: seed $seed, $search: sweep $id done" >&2
	done
done
"$BUILD/tools/caviar" shutdown >/dev/null
wait "$DAEMON"; DAEMON=
/usr/bin/python3 - "$TMP/fm.db" "$SEEDS" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = {name: i for name, i in db.execute("SELECT name, id FROM sweeps")}

def curve(name):  # every val_acc point of the sweep, in the order they arrived
    return [v for (v,) in db.execute(
        "SELECT p.value FROM points p JOIN trials t ON t.id = p.trial_id"
        " WHERE t.sweep_id = ? AND p.metric = 'val_acc' ORDER BY p.wall_time", (ids[name],))]

print("| seed | random: best val_acc | epochs | tpe: best val_acc | epochs"
      " | tpe within random's epochs |")
print("|---|---|---|---|---|---|")
wins = [0, 0]
for seed in sys.argv[2].split():
    r, t = curve("fmnist-random-" + seed), curve("fmnist-tpe-" + seed)
    eq = max(t[:len(r)])
    wins[0] += max(t) > max(r)
    wins[1] += eq > max(r)
    print("| %s | %.4f | %d | %.4f | %d | %.4f |" % (seed, max(r), len(r), max(t), len(t), eq))
n = len(sys.argv[2].split())
print("\ntpe's best above random's: %d of %d seeds; at equal epochs: %d of %d" %
      (wins[0], n, wins[1], n))
PY
