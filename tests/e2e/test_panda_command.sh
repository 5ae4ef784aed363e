#!/usr/bin/env bash
# Panda with a command trial (sdk/caviar.py) on a running daemon: adjust
# through caviar.adjustments(), a fork of an epoch started from a copy of the
# parent's epoch-K checkpoint files with CAVIAR_FORK_EPOCH (its epochs after
# K are its parent's), keep_checkpoints applied to the epoch-K directories,
# search pbt run with command trials, and rm taking a sweep's trial
# directories with it.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PYTHONPATH=$ROOT/sdk

cat >"$TMP/trial.py" <<'PY'
import time
import caviar

p = caviar.params(lr=0.1, epochs=6, sleep=0.0)
lr = p["lr"]
start, state = caviar.resume()
if state is not None and caviar.fork_epoch() != start:
    lr = state["lr"]  # a resumed run keeps its adjusted lr; a fork takes its own
progress = state["progress"] if state else 0.0
for epoch in range(start + 1, int(p["epochs"]) + 1):
    time.sleep(p["sleep"])
    lr = caviar.adjustments().get("lr", lr)
    progress += lr
    caviar.report(epoch, step=10 * epoch, val_loss=2.0 ** -progress, lr=lr)
    caviar.save_checkpoint(epoch, {"lr": lr, "progress": progress})
PY
spec() { # spec NAME EXTRA: a command sweep of trial.py
	cat <<JSON
{"name": "$1", "command": ["python3", "$TMP/trial.py"], "seed": 2,
 "objective": {"metric": "val_loss", "mode": "min"}, $2
 "params": {"lr": {"log": [0.01, 1]}, "width": {"choice": [64, 128], "steer": false}}}
JSON
}
start_daemon --slots 2
spec slow '"trials": 1, "train": {"epochs": 8, "sleep": 0.25},' >"$TMP/slow.json"
s1=$("$CAVIAR" submit "$TMP/slow.json")
for _ in $(seq 200); do
	[ "$(sql "SELECT epochs >= 1 FROM trials WHERE sweep_id = $s1")" = 1 ] && break
	sleep 0.05
done
t1=$(sql "SELECT id FROM trials WHERE sweep_id = $s1")
# A command trial's changes are checked in the daemon against the spec, as
# the built-in worker's are: its kind, its range (unless --force), "steer".
expect 1 'lr: expected a number > 0 \(a log parameter\), got -1' "$CAVIAR" adjust "$t1" lr=-1
expect 1 "lr: 5 is outside the spec's range" "$CAVIAR" adjust "$t1" lr=5
expect 1 'width: "steer": false in the spec \(structural\)' "$CAVIAR" adjust "$t1" --force width=128
check "a refused change is not recorded" "$(sql "SELECT count(*) FROM adjustments")" 0
out=$("$CAVIAR" adjust "$t1" lr=0.5)
check "a command trial answers adjust through caviar.adjustments()" $? 0
at=$(sql "SELECT epoch FROM adjustments WHERE trial_id = $t1")
check_true "and says where ($out)" grep -q "after epoch $at" <<<"$out"
"$CAVIAR" wait "$s1" >/dev/null
check "it trained on with the new lr" \
	"$(sql "SELECT count(*) FROM points WHERE trial_id = $t1 AND metric = 'lr' AND epoch > $at AND value != 0.5")" 0
check "default keep_checkpoints: the latest and the best epoch-K directories" \
	"$(ls "$DB.d/trials/$t1/checkpoint" | grep -c '^epoch-')" 1

spec fork '"trials": 1, "keep_checkpoints": "all", "train": {"epochs": 6},' >"$TMP/fork.json"
s2=$("$CAVIAR" submit "$TMP/fork.json")
"$CAVIAR" wait "$s2" >/dev/null
parent=$(sql "SELECT id FROM trials WHERE sweep_id = $s2")
check "every epoch kept" "$(ls "$DB.d/trials/$parent/checkpoint" | grep -c '^epoch-[0-9]*$')" 6
expect 1 'width: "steer": false' "$CAVIAR" fork "$parent" --epoch 2 width=128
child=$("$CAVIAR" --json fork "$parent" --epoch 2 | sed -n 's/^[[:space:]]*"trial":[[:space:]]*\([0-9]*\).*/\1/p')
"$CAVIAR" wait "$s2" >/dev/null
check "the fork ran" "$(sql "SELECT status, parent_epoch FROM trials WHERE id = $child")" "done|2"
check "from a copy of the parent's epoch-2 files: its epochs 3..6 are its parent's" \
	"$(sql "SELECT count(*) FROM points c JOIN points p ON p.trial_id = $parent AND
		p.metric = c.metric AND p.epoch = c.epoch AND p.value = c.value
		WHERE c.trial_id = $child AND c.metric = 'val_loss'")" 4
check "and only those" "$(sql "SELECT min(epoch) FROM points WHERE trial_id = $child")" 3

spec pbt '"trials": 8, "search": "pbt", "pbt": {"population": 4, "interval": 1},
	"train": {"epochs": 6, "sleep": 0.05},' >"$TMP/pbt.json"
s3=$("$CAVIAR" submit "$TMP/pbt.json")
"$CAVIAR" wait "$s3" >/dev/null
check "pbt with command trials: forks made" \
	"$(sql "SELECT count(*) > 0 FROM trials WHERE sweep_id = $s3 AND parent_trial_id IS NOT NULL")" 1
check "each started from its parent's copy (none failed)" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s3 AND status NOT IN ('done', 'pruned')")" 0
check "one member of each lineage finishes" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s3 AND status = 'done'")" 4

# caviar rm takes the sweep's files along: its trials' directories with their
# checkpoints and epoch-K copies; no other sweep's.
dirs() { for id in $(sql "SELECT id FROM trials WHERE sweep_id = $1"); do
	[ -d "$DB.d/trials/$id" ] && echo "$id"; done | wc -l; }
check "the fork sweep's two trials have directories" "$(dirs "$s2")" 2
gone=$(sql "SELECT group_concat(id, ' ') FROM trials WHERE sweep_id = $s2")
others=$(dirs "$s3")
"$CAVIAR" rm "$s2" >/dev/null
left=0; for id in $gone; do [ -e "$DB.d/trials/$id" ] && left=$((left + 1)); done
check "rm: none of its trials' directories is left" "$left" 0
check "the other sweeps' are kept" "$(dirs "$s3")" "$others"
check "rm says so in the log" "$(grep -c "sweep $s2 removed, with its 2 trials' files" "$TMP/daemon.log")" 1
stop_daemon
finish
