#!/usr/bin/env bash
# A fork of a command trial's epoch against keep_checkpoints: an epoch
# pruned is refused with the epochs kept, even when the program left a
# subdirectory in its epoch-K copy (the prune takes it all, never leaving a
# half directory a fork would copy nothing from); a copy that fails midway
# (a file that cannot be read, as on a failing disk) refuses the fork and
# records nothing, leaves nothing; the epoch kept is then served whole.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PYTHONPATH=$ROOT/sdk

cat >"$TMP/trial.py" <<'PY'
import os
import caviar

p = caviar.params(lr=0.1, epochs=4)
start, state = caviar.resume()
for epoch in range(start + 1, int(p["epochs"]) + 1):
    caviar.adjustments()
    caviar.report(epoch, step=10 * epoch, val_loss=float(epoch))  # best: epoch 1
    caviar.save_checkpoint(epoch, {"epoch": epoch})
    extra = os.path.join(caviar.checkpoint_dir(), "epoch-%d" % epoch, "extra")
    os.makedirs(extra, exist_ok=True)  # the program's own, beside the helpers' copy
    open(os.path.join(extra, "notes"), "w").close()
PY
cat >"$TMP/sweep.json" <<JSON
{"name": "prune", "trials": 1, "command": ["python3", "$TMP/trial.py"], "keep_checkpoints": 1,
 "objective": {"metric": "val_loss", "mode": "min"}, "params": {"lr": {"log": [0.01, 1]}}}
JSON
start_daemon
s=$("$CAVIAR" submit "$TMP/sweep.json")
"$CAVIAR" wait "$s" >/dev/null
p=$(sql "SELECT id FROM trials WHERE sweep_id = $s")
ck=$DB.d/trials/$p/checkpoint
trials() { sql "SELECT count(*) FROM trials WHERE sweep_id = $s"; }

check "keep_checkpoints 1: the latest and the best are kept, whole" \
	"$(cd "$ck" && ls -d epoch-* | tr '\n' ' ')" "epoch-1 epoch-4 "
expect 1 "trial $p keeps no checkpoint of epoch 2 \(kept: 1, 4; " "$CAVIAR" fork "$p" --epoch 2
check "a pruned epoch's fork records nothing" "$(trials)" 1

ln -s /proc/self/mem "$ck/epoch-1/unreadable"
expect 1 "copying .*unreadable.*: " "$CAVIAR" fork "$p" --epoch 1
check "a copy that fails records no fork" "$(trials)" 1
check "and leaves nothing behind" "$(ls "$DB.d/trials" | tr '\n' ' ')" "$p "

rm "$ck/epoch-1/unreadable"
child=$("$CAVIAR" --json fork "$p" --epoch 1 | sed -n 's/^[[:space:]]*"trial":[[:space:]]*\([0-9]*\).*/\1/p')
"$CAVIAR" wait "$s" >/dev/null
check "the kept epoch is served: the fork ran from it" \
	"$(sql "SELECT status, parent_epoch, (SELECT min(epoch) FROM points WHERE trial_id = $child) FROM trials WHERE id = $child")" \
	"done|1|2"
stop_daemon
finish
