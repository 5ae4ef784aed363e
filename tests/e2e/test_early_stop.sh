#!/usr/bin/env bash
# Early stopping through the daemon: the same sweep (same seed, same trials)
# with ASHA, with the median rule and without; the rules prune trials (status
# 'pruned', with the epoch and why), train fewer epochs, and keep the best.
. "$(dirname "$0")/lib.sh"

spec() { # NAME EARLY-STOP-JSON
	printf '{"name": "%s", "trials": 12, "seed": 9, "task": "bowl",
	  "objective": {"metric": "val_loss", "mode": "min"}, %s
	  "train": {"epochs": 9, "epoch_ms": 20},
	  "params": {"lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.5, 0.999]}}}' "$1" "$2" \
		>"$TMP/$1.json"
	"$CAVIAR" submit "$TMP/$1.json"
}
start_daemon --slots 2
full=$(spec full "")
asha=$(spec asha '"early_stop": {"kind": "asha", "min_epochs": 1, "eta": 3},')
median=$(spec median '"early_stop": {"kind": "median", "warmup": 2, "min_trials": 2},')
for s in $full $asha $median; do "$CAVIAR" wait "$s" >/dev/null; done

epochs() { sql "SELECT sum(epochs) FROM trials WHERE sweep_id = $1"; }
best() { sql "SELECT printf('%.9f', min(best_value)) FROM trials WHERE sweep_id = $1"; }
check "without early stopping every trial runs 9 epochs" "$(epochs "$full")" 108
for s in $asha $median; do
	name=$(sql "SELECT name FROM sweeps WHERE id = $s")
	pruned=$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'pruned'")
	check_true "$name: some trials are pruned ($pruned)" test "$pruned" -gt 0
	check_true "$name: fewer epochs trained ($(epochs "$s") < 108)" test "$(epochs "$s")" -lt 108
	check "$name: the best result is kept" "$(best "$s")" "$(best "$full")"
	check "$name: the best trial was not pruned" \
		"$(sql "SELECT status FROM trials WHERE sweep_id = $s ORDER BY best_value LIMIT 1")" done
	check "$name: pruned trials say when and why" \
		"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'pruned' AND reason LIKE 'pruned at epoch %' AND epochs < 9")" "$pruned"
done
check "asha prunes only at its rungs (epochs 1 and 3)" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $asha AND status = 'pruned' AND epochs NOT IN (1, 3)")" 0
check "median prunes only after its warmup" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $median AND status = 'pruned' AND epochs <= 2")" 0
check "pruned trials are in the leaderboard" \
	"$(sql "SELECT count(*) > 0 FROM leaderboard WHERE sweep_id = $asha AND status = 'pruned'")" 1
stop_daemon
finish
