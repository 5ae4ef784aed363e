#!/usr/bin/env bash
# How a sweep ends, and what each client says of it: fail_fast (trials that
# fail the same way end the sweep, quoting the failure), the reason printed
# by wait and watch, a fork that fails in its first epoch, one count of
# queued trials in ls, status and watch, and cancel's grace period. Command
# trials (shell scripts) make every failure deterministic.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PYTHONPATH=$ROOT/sdk

# spec NAME COMMAND-JSON EXTRA-KEYS: writes $TMP/NAME.json
spec() {
	printf '{"name": "%s", "command": %s, "seed": 3, %s
	  "objective": {"metric": "val_loss", "mode": "min"},
	  "params": {"lr": {"log": [0.01, 1]}}}' "$1" "$2" "$3" >"$TMP/$1.json"
}
start_daemon --slots 2 --grace 2

# 1. fail_fast: the first trial succeeds, every later one raises KeyError.
cat >"$TMP/keyerror.sh" <<SH2
#!/bin/sh
if mkdir "$TMP/first" 2>/dev/null; then echo '{"epoch": 1, "val_loss": 0.5}'; exit 0; fi
echo 'Traceback (most recent call last):' >&2
echo "KeyError: 'x'" >&2
exit 1
SH2
chmod +x "$TMP/keyerror.sh"
spec keyerror "[\"$TMP/keyerror.sh\"]" '"trials": 10, "parallel": 1,'
id=$("$CAVIAR" submit "$TMP/keyerror.json")
out=$("$CAVIAR" wait --progress "$id" 2>/dev/null)
check "fail_fast: the sweep fails" "$(sql "SELECT status FROM sweeps WHERE id = $id")" failed
check "fail_fast: its reason quotes the failure" "$(sql "SELECT ended_reason FROM sweeps WHERE id = $id")" \
	"3 trials failed the same way: exit code 1: KeyError: 'x'"
check "fail_fast: no queued trial started after the third" \
	"$(sql "SELECT group_concat(status || ':' || n) FROM (SELECT status, count(*) n FROM trials WHERE sweep_id = $id GROUP BY status ORDER BY status)")" \
	"cancelled:6,done:1,failed:3"
check "fail_fast: the trial that succeeded keeps its result" \
	"$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $id AND t.status = 'done'")" 1
# 2. wait and watch print the reason.
check "wait prints the reason" "$out" "sweep $id failed: 3 trials failed the same way: exit code 1: KeyError: 'x'"
out=$("$CAVIAR" watch "$id")
check_true "watch prints the reason ($out)" grep -qF "sweep $id \"keyerror\" failed (3 trials failed the same way: exit code 1: KeyError: 'x'): " <<<"$out"
# fail_fast 0: every trial runs.
spec never "[\"$TMP/keyerror.sh\"]" '"trials": 4, "fail_fast": 0,'
id=$("$CAVIAR" submit "$TMP/never.json")
check "fail_fast 0: every trial runs" "$("$CAVIAR" wait "$id")" "sweep $id failed: all 4 trials failed"
# Divergence is what the values did: it is not counted.
cat >"$TMP/nan.sh" <<'SH2'
#!/bin/sh
echo '{"event": "diverged", "epoch": 1, "metric": "val_loss", "value": "nan"}'
exit 4
SH2
chmod +x "$TMP/nan.sh"
spec nan "[\"$TMP/nan.sh\"]" '"trials": 4, "parallel": 1,'
id=$("$CAVIAR" submit "$TMP/nan.json")
"$CAVIAR" wait "$id" >/dev/null
check "divergences are not failures of the program" \
	"$(sql "SELECT count(*) || ' ' || s.ended_reason FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.id = $id AND t.status = 'failed'")" \
	"4 all 4 trials failed"

# 3. A fork that fails in its first epoch says so, in the trial and the sweep.
cat >"$TMP/fork.py" <<'PY'
import sys
import caviar

p = caviar.params(lr=0.1)
start, state = caviar.resume()
if caviar.fork_epoch():
    sys.exit("cannot restore the optimizer: broken")
for epoch in range(start + 1, 4):
    caviar.report(epoch, val_loss=1.0 / epoch)
    caviar.save_checkpoint(epoch, {"epoch": epoch})
PY
spec forks "[\"python3\", \"$TMP/fork.py\"]" '"trials": 1, "keep_checkpoints": "all",'
id=$("$CAVIAR" submit "$TMP/forks.json")
"$CAVIAR" wait "$id" >/dev/null
parent=$(sql "SELECT id FROM trials WHERE sweep_id = $id")
"$CAVIAR" fork "$parent" --epoch 2 lr=0.5 >/dev/null
child=$(sql "SELECT max(id) FROM trials WHERE sweep_id = $id")
out=$("$CAVIAR" wait "$id")
check "the fork's reason says it failed in its first epoch" "$(sql "SELECT reason FROM trials WHERE id = $child")" \
	"fork of trial $parent at epoch 2 failed in its first epoch: exit code 1: cannot restore the optimizer: broken"
check "and so does the sweep's" "$out" \
	"sweep $id done: 1 fork failed in its first epoch (trial $child: exit code 1: cannot restore the optimizer: broken)"

# 4. One count of queued trials: a tpe sweep proposes trials one at a time,
# so none is recorded queued while its one slot is busy.
cat >"$TMP/hang.sh" <<'SH2'
#!/bin/sh
trap '' TERM
echo '{"epoch": 1, "val_loss": 0.5}'
while :; do sleep 0.1; done
SH2
chmod +x "$TMP/hang.sh"
spec tpe "[\"$TMP/hang.sh\"]" '"trials": 5, "parallel": 1, "search": "tpe", "tpe": {"startup": 1},'
id=$("$CAVIAR" submit "$TMP/tpe.json")
one_running() { [ "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status = 'running'")" = 1 ]; }
until_true "its first trial runs" one_running
check "ls: 4 queued" "$("$CAVIAR" --json ls | python3 -c "import json,sys; print([r['queued'] for r in json.load(sys.stdin) if r['sweep_id'] == $id][0])")" 4
check "status: 4 queued" "$("$CAVIAR" --json status | python3 -c "import json,sys; r=json.load(sys.stdin); print(r['queued'], r['sweeps'][0]['queued'])")" "4 4"
"$CAVIAR" watch "$id" >"$TMP/watch.out" 2>&1 &
watcher=$!
until_true "watch prints its first line" grep -q queued "$TMP/watch.out"
check_true "watch: 4 queued ($(head -1 "$TMP/watch.out"))" grep -q "running 1  queued 4  " "$TMP/watch.out"

# 5. cancel during the grace period: "stopping", then what happened.
out=$("$CAVIAR" cancel "$id")
check "cancel says stopping, then how it ended" "$out" "sweep $id stopping (grace 2 s): 1 trial stopping, 0 dequeued
sweep $id cancelled: 1 trial stopped, 0 dequeued"
until_true "watch sees the end" grep -q "cancelled" "$TMP/watch.out"
wait "$watcher"
check "ls: nothing queued once cancelled" "$("$CAVIAR" --json ls | python3 -c "import json,sys; print([r['queued'] for r in json.load(sys.stdin) if r['sweep_id'] == $id][0])")" 0
check_true "watch said the sweep was stopping" grep -q "stopping" "$TMP/watch.out"
stop_daemon
finish
