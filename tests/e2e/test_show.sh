#!/usr/bin/env bash
# caviar show on command trials, as a person reads it: metrics that first
# appear late (test_acc after the last epoch) get their column and their value
# in the last epoch's row, in the text and in --json, and in export's
# final_<metric> columns.
. "$(dirname "$0")/lib.sh"

# MODE ok: 3 epochs, then test metrics; fail: stderr and exit 1; hang: waits.
cat >"$TMP/trial.sh" <<'SH'
#!/bin/sh
echo "loading data"
for e in 1 2 3; do
	echo "{\"epoch\": $e, \"step\": ${e}00, \"val_loss\": 0.$((9 - e)), \"val_acc\": 0.$((5 + e))}"
	echo "epoch $e took 0.1 s"
done
case "$1" in
ok) echo '{"epoch": 3, "test_loss": 0.41, "test_acc": 0.87}' ;;
fail) echo "train.sh: something broke" >&2; exit 1 ;;
hang) exec sleep 30 ;;
esac
SH
chmod +x "$TMP/trial.sh"
# spec NAME TRIALS MODES-JSON
spec() {
	printf '{"name": "%s", "trials": %s, "search": "grid", "command": ["%s", "{mode}"],
	  "objective": {"metric": "val_acc", "mode": "max"}, "params": {"mode": {"choice": %s}}}' \
		"$1" "$2" "$TMP/trial.sh" "$3" >"$TMP/$1.json"
}
spec cmd 2 '["fail", "ok"]'  # the trial without test metrics first: export meets them late

start_daemon --slots 1
id=$("$CAVIAR" submit "$TMP/cmd.json")
"$CAVIAR" wait "$id" >/dev/null
ok=$(sql "SELECT id FROM trials WHERE sweep_id = $id AND json_extract(params, '\$.mode') = 'ok'")
bad=$(sql "SELECT id FROM trials WHERE sweep_id = $id AND json_extract(params, '\$.mode') = 'fail'")

# 1. Late metrics.
out=$("$CAVIAR" show "$ok")
check "show: a column for every metric, late ones included" \
	"$(grep -E '^EPOCH' <<<"$out" | tr -s ' ')" "EPOCH STEP test_acc test_loss val_acc val_loss"
check "show: the late metrics in the last epoch's row" "$(grep -E '^3 ' <<<"$out" | tr -s ' ')" \
	"3 300 0.87 0.41 0.8 0.6"
check "show: one row per epoch, no empty row" "$(grep -cE '^[0-9]+ +[0-9]+ ' <<<"$out")" 3
check_true "show: no row of dashes" test -z "$(grep -E '^[0-9]+ +[0-9]+( +-)+$' <<<"$out")"
check "show --json: every metric, the late ones in the last row" "$("$CAVIAR" show "$ok" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["metrics"], len(d["curve"]), d["curve"][-1].get("test_acc"), d["curve"][-1].get("val_acc"))')" \
	"['test_acc', 'test_loss', 'val_acc', 'val_loss'] 3 0.87 0.8"
check "export: a final_ column for the late metrics too" "$("$CAVIAR" export "$id" | head -1)" \
	"trial_id,number,round,status,objective,best_epoch,epochs,mode,final_test_acc,final_test_loss,final_val_acc,final_val_loss"

stop_daemon
finish
