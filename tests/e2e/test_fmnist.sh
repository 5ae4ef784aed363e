#!/usr/bin/env bash
# A small real sweep: the daemon trains MLPs on Fashion-MNIST with the real
# worker (a few thousand images, 2 epochs), and every curve lands in SQLite.
. "$(dirname "$0")/lib.sh"

FMNIST=/usr/share/datasets/fashion-mnist
if [ ! -e "$FMNIST/train-images-idx3-ubyte.gz" ]; then
	echo "SKIP: $FMNIST not installed (Debian package dataset-fashion-mnist)"
	exit 77
fi
cat >"$TMP/spec.json" <<'JSON'
{ "name": "fmnist-small", "trials": 3, "seed": 7,
  "objective": {"metric": "val_acc", "mode": "max"},
  "data": {"dataset": "fashion-mnist", "train_limit": 4000, "test_limit": 2000, "val_fraction": 0.25},
  "train": {"epochs": 2, "optimizer": "adam", "batch_norm": true, "layers": 2, "units": 64},
  "params": { "lr": {"log": [1e-3, 1e-2]}, "batch": {"choice": [32, 64]} } }
JSON
start_daemon --slots 2
id=$("$CAVIAR" submit "$TMP/spec.json")
"$CAVIAR" wait "$id"
check "wait exits 0" $? 0
check "every trial done" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status = 'done'")" 3
for m in train_loss val_loss val_acc lr elapsed; do
	check "one $m point per epoch per trial" \
		"$(sql "SELECT count(*) FROM (SELECT trial_id FROM points WHERE metric = '$m' GROUP BY trial_id HAVING count(*) = 2 AND count(DISTINCT epoch) = 2)")" 3
done
check "a test_acc per trial" "$(sql "SELECT count(DISTINCT trial_id) FROM points WHERE metric = 'test_acc'")" 3
check "accuracies lie in [0, 1]" \
	"$(sql "SELECT count(*) FROM points WHERE metric IN ('val_acc', 'test_acc') AND (value < 0 OR value > 1)")" 0
check "every trial is well above chance (0.1)" \
	"$(sql "SELECT count(*) FROM points WHERE metric = 'test_acc' AND value > 0.6")" 3
check "leaderboard has the 3 trials" "$(sql "SELECT count(*) FROM leaderboard WHERE sweep_id = $id")" 3
stop_daemon
finish
