#!/usr/bin/env bash
# caviar show on command trials, as a person reads it: metrics that first
# appear late (test_acc after the last epoch) get their column and their value
# in the last epoch's row, in the text and in --json, and in export's
# final_<metric> columns; the trial's log is shown beside its stderr; a
# reason that only repeats the status is not printed twice; an exit code the
# daemon cannot explain is printed bare.
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
spec hang 3 '["hang", "ok", "fail"]'

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

# 2. The log, the reason, the exit code.
check_true "show: the trial's log" grep -qx "log:" <<<"$out"
check "show: every log line" "$(grep -cE '^  \| (loading data|epoch [1-3] took 0.1 s)$' <<<"$out")" 4
out=$("$CAVIAR" show "$bad")
check "show: a failed command's status" "$(grep '^status:' <<<"$out")" \
	"status:   failed, exit code 1: train.sh: something broke"
check_true "show: its exit code, bare" grep -qE '^ended:    .*, exit code 1$' <<<"$out"
check_true "show: its stderr" grep -qx "  | train.sh: something broke" <<<"$out"
check "show: its log, then its stderr" "$(sed -n '/^log:$/,/^$/p' <<<"$out")" "log:
  | loading data
  | epoch 1 took 0.1 s
  | epoch 2 took 0.1 s
  | epoch 3 took 0.1 s
stderr:
  | train.sh: something broke"
check "show --json: the log's lines" "$("$CAVIAR" show "$bad" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(len(d["log"]), d["log"][0]["line"], d["log"][0]["attempt"], d["log"][0]["seq"])')" "4 loading data 1 1"

hang=$("$CAVIAR" submit "$TMP/hang.json")
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $hang AND status = 'running'")" = 1 ] && break
	sleep 0.05
done
"$CAVIAR" cancel "$hang" >/dev/null
"$CAVIAR" wait "$hang" >/dev/null
queued=$(sql "SELECT id FROM trials WHERE sweep_id = $hang AND started_at IS NULL LIMIT 1")
check "a cancelled trial's reason in the database" "$(sql "SELECT status || ' ' || reason FROM trials WHERE id = $queued")" \
	"cancelled cancelled"
check "show: a reason that repeats the status is said once" "$("$CAVIAR" show "$queued" | grep '^status:')" \
	"status:   cancelled"
check "show: a trial that never ran" "$("$CAVIAR" show "$queued" | tail -1)" "no points"
stop_daemon
finish
