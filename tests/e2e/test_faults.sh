#!/usr/bin/env bash
# Misbehaving workers (tests/e2e/fake_worker.c): each fault is recorded on its
# trial with a clear reason, and neither the sweep nor the daemon stops.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/faults.json" <<'JSON'
{ "name": "faults", "search": "grid", "trials": 8, "seed": 1,
  "objective": {"metric": "val_loss", "mode": "min"},
  "params": { "units": {"choice": [1, 2, 3, 4, 5, 6, 7, 8]} } }
JSON
export FAKE_STATE_DIR=$TMP # where the fake worker remembers attempts
start_daemon --slots 3 --worker "$FAKE_WORKER" --grace 0.3
id=$("$CAVIAR" submit "$TMP/faults.json")

reason() { sql "SELECT status || ': ' || reason FROM trials WHERE sweep_id = $id AND json_extract(params, '$.units') = $1"; }
# units=8 hangs and ignores SIGTERM: wait for it to run, then cancel it.
for _ in $(seq 100); do
	hung=$(sql "SELECT id FROM trials WHERE json_extract(params, '$.units') = 8 AND status = 'running'")
	[ -n "$hung" ] && break
	sleep 0.1
done
check_true "the hanging worker runs" test -n "$hung"
"$CAVIAR" cancel --trial "$hung" >/dev/null
"$CAVIAR" wait "$id" >/dev/null

check "normal trial" "$(reason 1)" "done: finished"
check "crash by signal" "$(reason 2)" "failed: killed by signal 11 (SIGSEGV)"
check "garbage lines are rejected, good ones kept" "$(reason 3)" "done: finished (15 lines rejected)"
check "garbage trial still has its 3 epochs" \
	"$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE json_extract(t.params, '$.units') = 3 AND metric = 'val_loss'")" 3
check "a flood is recorded in full" \
	"$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE json_extract(t.params, '$.units') = 4")" 20000
check "non-zero exit with its stderr" "$(reason 5)" \
	"failed: exit code 3 (bad input data): fake_worker: data.csv: line 3: label out of range"
check "divergence" "$(reason 6)" "failed: diverged at epoch 2 step 17 (train_loss = nan)"
check "no metric" "$(reason 7)" "failed: exited without reporting any metric"
check "SIGKILL after the grace period" "$(reason 8)" "cancelled: cancelled"
check "stderr tail is kept" "$(sql "SELECT stderr_tail FROM trials WHERE json_extract(params, '$.units') = 5")" \
	"fake_worker: data.csv: line 3: label out of range"
check "the sweep ended" "$(sql "SELECT status FROM sweeps WHERE id = $id")" done
rejected=$("$CAVIAR" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lines_rejected"])')
check "the daemon counts rejected lines (15 garbage, 1 from the no-metric worker)" "$rejected" 16
check_true "the daemon is alive" "$CAVIAR" status

# Limits and retries, one sweep each (they are per-sweep settings).
limits() { # NAME UNITS EXTRA-KEYS
	printf '{"name": "%s", "search": "grid", "objective": {"metric": "val_loss", "mode": "min"}, %s
	  "params": {"units": {"choice": [%s]}}}' "$1" "$3" "$2" >"$TMP/$1.json"
	"$CAVIAR" submit "$TMP/$1.json"
}
retry=$(limits retry "2, 10" '"retries": 1,')
stall=$(limits stall 8 '"stall_timeout": 1,')
slow=$(limits slow 11 '"timeout": 1,')
memory=$(limits memory 9 '"memory_mb": 64,')
for s in $retry $stall $slow $memory; do "$CAVIAR" wait "$s" >/dev/null; done
trial() { sql "SELECT status || ' ' || attempts || ': ' || reason FROM trials WHERE sweep_id = $1 AND json_extract(params, '$.units') = $2"; }
check "a crash is retried, then fails for good" "$(trial "$retry" 2)" "failed 2: killed by signal 11 (SIGSEGV)"
check "a crash that does not come back succeeds on retry" "$(trial "$retry" 10)" "done 2: finished"
check "a stalled worker is killed" "$(trial "$stall" 8)" "failed 1: stalled: no output for 1 s"
check "a trial over its timeout is stopped" "$(trial "$slow" 11)" "failed 1: timed out after 1 s"
oom=$(trial "$memory" 9)
check "a worker over its memory limit" "${oom% after *}" \
	"failed 1: exceeded its memory limit (64 MB): exit code 70 (internal error): fake_worker: out of memory"
stop_daemon
finish
