#!/usr/bin/env bash
# The steerable PyTorch example (examples/pytorch/train_fmnist.py) with
# Debian's python3-torch on real Fashion-MNIST, small: a tpe sweep through a
# fork server, an adjust that reaches the optimizer (and the batch size) from
# the next steps, refusals of a negative lr and of a structural parameter, a
# fork whose new lr wins over the parent's restored optimizer state
# (caviar.load_optimizer), and a short pbt sweep whose every fork trains at the
# lr it was given. Outside caviar the SDK does not resume from a stale
# ./checkpoint.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
EX=$ROOT/examples/pytorch
PY=/usr/bin/python3
if ! "$PY" -c 'import torch' 2>/dev/null; then
	echo "FAIL: $PY cannot import torch (scripts/setup.sh installs python3-torch)"
	exit 1
fi

spec() { # spec NAME EXTRA PARAMS: the example's command, small data
	cat <<JSON
{"name": "$1", "command": ["$PY", "$EX/train_fmnist.py"], "fork_server": true, "seed": ${SEED:-3},
 "objective": {"metric": "val_acc", "mode": "max"}, $2
 "params": $3}
JSON
}
PARAMS='{"lr": {"log": [1e-4, 1e-2]}, "batch": {"choice": [64, 128]},
	"hidden": {"choice": [32, 64], "steer": false}}'
lr_at() { sql "SELECT value FROM points WHERE trial_id = $1 AND metric = 'lr' AND epoch = $2"; }
start_daemon --slots 2

# 1. tpe through a fork server: every trial trains, from one server.
spec tpe '"trials": 4, "search": "tpe", "train": {"epochs": 2, "train_limit": 1500},' \
	"$PARAMS" >"$TMP/tpe.json"
s=$("$CAVIAR" submit "$TMP/tpe.json")
"$CAVIAR" wait "$s" >/dev/null
check "tpe: every trial done" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")" 4
check "tpe: 2 epochs of val_acc each" \
	"$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $s AND metric = 'val_acc'")" 8
check "tpe: it learned (best val_acc over 0.5)" \
	"$(sql "SELECT max(value) > 0.5 FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $s AND metric = 'val_acc'")" 1
check "tpe: one fork server" "$(grep -c "sweep $s: started its fork server" "$TMP/daemon.log" | tr -d ' ')" 1

# 2. Adjust a running trial (it has far more epochs than the test takes; it is
# cancelled after): refused changes, then lr and batch from the next steps.
spec steer '"trials": 1, "keep_checkpoints": "all", "train": {"epochs": 1000, "train_limit": 600},' \
	"$PARAMS" >"$TMP/steer.json"
s2=$("$CAVIAR" submit "$TMP/steer.json")
t=$(sql "SELECT id FROM trials WHERE sweep_id = $s2")
for _ in $(seq 1200); do
	[ "$(sql "SELECT epochs >= 2 FROM trials WHERE id = $t")" = 1 ] && break
	sleep 0.05
done
expect 1 'lr: expected a number > 0' "$CAVIAR" adjust "$t" lr=-1
expect 1 'hidden: "steer": false in the spec \(structural\)' "$CAVIAR" adjust "$t" --force hidden=64
out=$("$CAVIAR" adjust "$t" lr=0.004 batch=64)
check "adjust answered by caviar.steer ($out)" $? 0
at=$(sql "SELECT max(epoch) FROM adjustments WHERE trial_id = $t")
for _ in $(seq 1200); do
	[ "$(sql "SELECT epochs >= $at + 2 FROM trials WHERE id = $t")" = 1 ] && break
	sleep 0.05
done
check "the optimizer trains at the new lr from the next epoch" "$(lr_at "$t" $((at + 2)))" 0.004
check "and the batch size is the new one" \
	"$(sql "SELECT value = 64 FROM points WHERE trial_id = $t AND metric = 'batch' AND epoch = $((at + 2))")" 1

# 3. A fork of epoch 1 with a new lr: it restores the parent's optimizer and
# model, and trains at its own lr (opt.load_state_dict alone gave the parent's).
parent_lr=$(lr_at "$t" 1)
child=$("$CAVIAR" --json fork "$t" --epoch 1 lr=0.0002 | sed -n 's/^[[:space:]]*"trial":[[:space:]]*\([0-9]*\).*/\1/p')
for _ in $(seq 1200); do
	[ "$(sql "SELECT epochs >= 2 FROM trials WHERE id = ${child:-0}")" = 1 ] && break
	sleep 0.05
done
check "the fork starts after its parent's epoch 1" "$(sql "SELECT parent_epoch || ' ' || min(epoch) FROM trials t JOIN points p ON p.trial_id = t.id WHERE t.id = ${child:-0}")" "1 2"
check "and trains at its own lr, not its parent's ($parent_lr)" "$(lr_at "${child:-0}" 2)" 0.0002
"$CAVIAR" cancel "$s2" >/dev/null
"$CAVIAR" wait "$s2" >/dev/null
check "both stopped on cancel" "$(sql "SELECT group_concat(status) FROM trials WHERE sweep_id = $s2")" "cancelled,cancelled"

# 4. A short pbt sweep: forks made, each trained at the lr its params say.
# Which member is worse must not depend on when each reported (a member that
# leads compares with the other's latest epoch): the population's two members
# (seed 8) draw an lr that cannot learn and one that does, so the first is
# the worse at every epoch and is replaced at its first decision after the
# other has reported, one of five.
SEED=8 spec pbt '"search": "pbt", "pbt": {"population": 2, "interval": 1, "generations": 5},
	"keep_checkpoints": 2, "train": {"epochs": 6, "train_limit": 2000},' \
	'{"lr": {"choice": [1e-9, 0.005]}, "batch": {"choice": [64, 128]}}' >"$TMP/pbt.json"
s3=$("$CAVIAR" submit "$TMP/pbt.json")
"$CAVIAR" wait "$s3" >/dev/null
check "pbt: the sweep is done" "$(sql "SELECT status FROM sweeps WHERE id = $s3")" done
forks=$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s3 AND parent_trial_id IS NOT NULL")
check "pbt: its members drew an lr that cannot learn and one that does" \
	"$(sql "SELECT group_concat(json_extract(params, '\$.lr'), ' ') FROM (SELECT params FROM trials
		WHERE sweep_id = $s3 AND parent_trial_id IS NULL ORDER BY json_extract(params, '\$.lr'))")" "1.0e-09 0.005"
check_true "pbt: forks made ($forks)" test "${forks:-0}" -gt 0
check "pbt: none failed" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $s3 AND status = 'failed'")" 0
check "pbt: every fork's first epoch at its own lr" \
	"$(sql "SELECT count(*) FROM trials t JOIN points p ON p.trial_id = t.id AND p.metric = 'lr'
		AND p.epoch = t.parent_epoch + 1 WHERE t.sweep_id = $s3 AND t.parent_trial_id IS NOT NULL
		AND abs(p.value - json_extract(t.params, '\$.lr')) < 1e-12 * p.value")" "$forks"
stop_daemon

# 5. Outside caviar: a stale ./checkpoint is not resumed from (said), the run starts afresh.
mkdir -p "$TMP/alone" && cd "$TMP/alone" || exit 1
CAVIAR_PARAMS='{"epochs": 1, "train_limit": 300}' "$PY" "$EX/train_fmnist.py" >first.out 2>&1
check_true "alone: it saved ./checkpoint" test -f checkpoint/caviar.ckpt
CAVIAR_PARAMS='{"epochs": 1, "train_limit": 300}' "$PY" "$EX/train_fmnist.py" >second.out 2>&1
check "alone: trained epoch 1 again" "$(grep -c '"epoch": 1,' second.out)" 1
check "alone: and said why" "$(grep -c 'caviar: not resuming from .*checkpoint/caviar.ckpt (outside caviar' second.out)" 1
cd "$ROOT" || exit 1
finish
