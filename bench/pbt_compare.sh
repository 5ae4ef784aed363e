#!/usr/bin/env bash
# bench/pbt_compare.sh: PBT against random search at equal total epochs, on a
# private caviard, over several seeds; prints one table.
#
#   drift   the synthetic task whose best lr falls by a decade during
#           training (worker/synth.c): PBT (population 8, interval 1,
#           perturb [0.5, 2]) against random search of fixed lrs; the best
#           val_loss at the last epoch (lower is better).
#   fmnist  small MLPs on a 10,000-image subset of Fashion-MNIST: PBT
#           (population 8) against random search with ASHA early stopping;
#           best val_acc (higher is better).
#
# Equal total epochs: PBT runs first and its epochs are counted (each
# trial's own points: a fork trains only after its parent's epoch); random
# search then gets enough trials for as many epochs, and for fmnist (where
# ASHA stops trials early) its trials are taken in the order they were
# sampled until they have trained as many epochs as PBT did.
#
#   bench/pbt_compare.sh [--build DIR] [--seeds "1 2 3"] [--tasks "drift fmnist"]
set -uo pipefail
export LC_ALL=C
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build SEEDS="1 2 3 4 5" TASKS="drift fmnist"
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift ;;
	--seeds) SEEDS=$2; shift ;;
	--tasks) TASKS=$2; shift ;;
	*) echo "bench/pbt_compare.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
TMP=$(mktemp -d /tmp/caviar-pbt.XXXXXX)
export CAVIAR_SOCKET=$TMP/s.sock CAVIAR_CACHE_DIR=$TMP/cache
DB=$TMP/db
# 8 slots: PBT's population trains at once (with fewer, a member would be
# ranked against the few running with it); random search is the same either way
"$BUILD/daemon/caviard" --db "$DB" --socket "$CAVIAR_SOCKET" --slots 8 \
	--worker "$BUILD/worker/caviar-worker" 2>"$TMP/daemon.log" &
DAEMON=$!
trap 'kill $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do "$BUILD/tools/caviar" status >/dev/null 2>&1 && break; sleep 0.1; done
sql() { sqlite3 -batch -noheader "$DB" "$@"; }
run() { # run SPEC_JSON: the sweep's id, once it has ended
	local id
	echo "$1" >"$TMP/spec.json"
	id=$("$BUILD/tools/caviar" submit "$TMP/spec.json") || exit 1
	"$BUILD/tools/caviar" wait "$id" >/dev/null
	echo "$id"
}
# own_epochs SWEEP METRIC: epochs its trials trained (their own points)
own_epochs() { sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id
	WHERE t.sweep_id = $1 AND p.metric = '$2'"; }

# final_loss SWEEP: the best val_loss at the last epoch (the trained model's;
# a fixed lr's curve may dip lower on the way, while it passes the optimum)
final_loss() { sql "SELECT printf('%.4f', min(value)) FROM points p JOIN trials t ON
	t.id = p.trial_id WHERE t.sweep_id = $1 AND p.metric = 'val_loss' AND p.epoch = 20"; }
drift_spec() { # drift_spec SEARCH SEED TRIALS (pbt: its generations are the budget)
	local pbt="\"trials\": $3,"
	[ "$1" = pbt ] && pbt='"pbt": {"population": 8, "interval": 1, "perturb": [0.5, 2.0], "generations": 19},'
	cat <<JSON
{"name": "drift-$1-$2", "search": "$1", "seed": $2, "task": "drift", $pbt
 "objective": {"metric": "val_loss", "mode": "min"}, "train": {"epochs": 20},
 "params": {"lr": {"log": [1e-4, 1e-1]}}}
JSON
}
fmnist_spec() { # fmnist_spec SEARCH SEED TRIALS
	local extra='"early_stop": {"kind": "asha", "min_epochs": 1, "eta": 3},'
	[ "$1" = pbt ] && extra='"pbt": {"population": 8, "interval": 2},'
	cat <<JSON
{"name": "fmnist-$1-$2", "search": "$1", "seed": $2, "trials": $3, $extra
 "objective": {"metric": "val_acc", "mode": "max"},
 "data": {"dataset": "fashion-mnist", "train_limit": 10000, "val_fraction": 0.2},
 "train": {"epochs": 8, "optimizer": "momentum", "units": 64, "layers": 2},
 "params": {"lr": {"log": [1e-4, 1]}, "beta": {"reverse_log": [0.5, 0.999]},
            "batch": {"choice": [32, 64, 128, 256]}}}
JSON
}

printf '%-7s %4s  %10s %9s  %10s %9s  %s\n' task seed pbt_epochs pbt_best rand_epochs rand_best winner
for task in $TASKS; do
	for seed in $SEEDS; do
		if [ "$task" = drift ]; then
			metric=val_loss mode=min epochs=20
			p=$(run "$(drift_spec pbt "$seed" 0)")
		else
			metric=val_acc mode=max epochs=8
			p=$(run "$(fmnist_spec pbt "$seed" 24)")
		fi
		pe=$(own_epochs "$p" "$metric")
		if [ "$task" = drift ]; then
			pb=$(final_loss "$p")
		else
			pb=$(sql "SELECT printf('%.4f', max(best_value)) FROM trials WHERE sweep_id = $p")
		fi
		n=$(( (pe + epochs - 1) / epochs ))
		if [ "$task" = drift ]; then
			r=$(run "$(drift_spec random "$seed" "$n")")
			re=$(own_epochs "$r" "$metric")
			rb=$(final_loss "$r")
		else
			r=$(run "$(fmnist_spec random "$seed" $((n * 3)))")
			# the trials in sampled order, while their epochs sum to at most PBT's
			read -r re rb < <(sql "SELECT max(cum), printf('%.4f', max(best_value)) FROM
				(SELECT best_value, sum(epochs) OVER (ORDER BY number) AS cum
				 FROM trials WHERE sweep_id = $r) WHERE cum <= $pe" | tr '|' ' ')
		fi
		if [ "$mode" = min ]; then
			w=$(awk -v a="$pb" -v b="$rb" 'BEGIN { print (a < b) ? "pbt" : (a > b ? "random" : "tie") }')
		else
			w=$(awk -v a="$pb" -v b="$rb" 'BEGIN { print (a > b) ? "pbt" : (a < b ? "random" : "tie") }')
		fi
		printf '%-7s %4s  %10s %9s  %10s %9s  %s\n' "$task" "$seed" "$pe" "$pb" "$re" "$rb" "$w"
	done
done
