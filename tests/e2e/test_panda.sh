#!/usr/bin/env bash
# Panda by hand on a running daemon and the synthetic task bowl: `caviar
# adjust` is applied from the trial's next step, recorded once and published;
# bad values and names the built-in worker would refuse (structural, epochs)
# are refused by caviard itself, with code "refused", never sent; the
# adjusted value survives a kill -9 of the daemon and the trial's resume, also
# when the checkpoint is older than the adjustment; `caviar fork` continues
# a trial's epoch K bit for bit, records its parent and changes, and refuses
# an epoch whose checkpoint is not kept, naming those that are.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/slow.json" <<'JSON'
{ "name": "panda", "trials": 1, "seed": 5, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 24, "epoch_ms": 250},
  "params": { "lr": {"log": [1e-4, 5e-2]} } }
JSON
# wait_epochs TRIAL N: until the trial has recorded N epochs.
wait_epochs() {
	for _ in $(seq 200); do
		[ "$(sql "SELECT epochs >= $2 FROM trials WHERE id = $1")" = 1 ] && return 0
		sleep 0.05
	done
	fail "trial $1 did not reach epoch $2"
}
lr_at() { sql "SELECT value FROM points WHERE trial_id = $1 AND metric = 'lr' AND epoch = $2"; }

start_daemon --slots 2 --answer-wait 2
sweep=$("$CAVIAR" submit "$TMP/slow.json")
"$CAVIAR" watch "$sweep" --json >"$TMP/events" 2>&1 &
WATCH=$!
wait_epochs 1 2
# The worker is held (SIGSTOP) while the test does what needs only caviard,
# and let go for what needs it, so the trial is still running at the second
# adjustment however slow the machine (under ASan and a busy machine it once
# ended first).
wpid=$(sql "SELECT pid FROM trials WHERE id = 1")
kill -STOP "$wpid"
expect 1 'lr: expected a number > 0, got -1' "$CAVIAR" adjust 1 lr=-1
expect 1 'lr: expected a number' "$CAVIAR" adjust 1 lr=fast
expect 1 'layers: structural \(the model is built with it\)' "$CAVIAR" adjust 1 layers=3
# The reply itself: caviard's own reason and code, not "trial 1 refused: ..."
# (the worker's answer, after a round trip).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
refusal() {
	PYTHONPATH=$ROOT/sdk /usr/bin/python3 -c '
import sys, caviar_client
try:
    caviar_client.Client(sys.argv[1]).call("adjust", trial=1, set={sys.argv[2]: 100})
    print("accepted")
except caviar_client.CaviarError as e:
    print("%s|%s" % (e.daemon_code, e))' "$SOCK" "$1"
}
check "units: refused by caviard, with its code and reason" "$(refusal units)" \
	"refused|adjust: units: structural (the model is built with it): a running trial or a fork keeps its value"
check "epochs: refused by caviard (a fork may set it)" "$(refusal epochs)" \
	"refused|adjust: epochs: a running trial trains as long as it started to (a fork may set its own)"
expect 1 "lr: 0.5 is outside the spec's range \\[0.0001, 0.05\\] \\(--force to set it anyway\\)" \
	"$CAVIAR" adjust 1 lr=0.5
expect 1 'trial 9 is not running' "$CAVIAR" adjust 9 lr=0.01
expect 2 'expected name=value' "$CAVIAR" adjust 1 lr
check "a refused change is not recorded" "$(sql "SELECT count(*) FROM adjustments")" 0
kill -CONT "$wpid"
out=$("$CAVIAR" adjust 1 lr=0.02)
check "adjust exits 0" $? 0
echo "$out"
at=$(sql "SELECT epoch FROM adjustments WHERE trial_id = 1")
check "recorded once, as the worker applied it" \
	"$(sql "SELECT count(*), name, new_value, source FROM adjustments")" "1|lr|0.02|user"
check_true "the reply says where it was applied" grep -q "after epoch $at" <<<"$out"
wait_epochs 1 $((at + 2))
kill -STOP "$wpid"
check "epochs up to $at kept the sampled lr" \
	"$(sql "SELECT count(*) FROM points WHERE trial_id = 1 AND metric = 'lr' AND epoch <= $at
		AND value = (SELECT old_value FROM adjustments)")" "$at"
check "the next epoch trains with the new lr" "$(lr_at 1 $((at + 1)))" 0.02
check_true "watch saw the adjusted event" grep -q '"event": *"adjusted"' "$TMP/events"

# kill -9 of the daemon and of the worker just after a second adjustment,
# before the trial checkpoints another epoch: its checkpoint is older than
# the change, which the resumed trial must keep all the same (caviard sends
# it again, and does not record it twice).
kill -CONT "$wpid"
check "the second adjustment is accepted" "$("$CAVIAR" adjust 1 lr=0.03 >/dev/null; echo $?)" 0
at2=$(sql "SELECT max(epoch) FROM adjustments WHERE trial_id = 1")
kill -9 "$DAEMON_PID" "$wpid"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
kill "$WATCH" 2>/dev/null
start_daemon --slots 2
"$CAVIAR" wait "$sweep" >/dev/null
check "the trial finished after the restart" "$(sql "SELECT status FROM trials WHERE id = 1")" done
check_true "it resumed from its checkpoint" grep -q "trial 1: resumed from its checkpoint" "$TMP/daemon.log"
if grep -q "trial 1: resumed from its checkpoint at epoch $at2\$" "$TMP/daemon.log"; then
	check_true "the change newer than the checkpoint was sent again" \
		grep -q "trial 1: adjustments made after its checkpoint applied again" "$TMP/daemon.log"
fi
check "both adjustments recorded once each" "$(sql "SELECT count(*) FROM adjustments")" 2
check "after the resume it trains with the last adjusted lr" \
	"$(sql "SELECT count(*) FROM points WHERE trial_id = 1 AND metric = 'lr' AND epoch > $at2
		AND value != 0.03")" 0
check "no epoch twice in its curve" \
	"$(sql "SELECT count(*) FROM (SELECT epoch FROM points WHERE trial_id = 1 AND metric = 'lr' GROUP BY epoch HAVING count(*) > 1)")" 0

# The adjustments are shown: by `caviar show`, as marks on `caviar curves`
# and `caviar plot`.
show=$("$CAVIAR" show 1)
check_true "show lists the first adjustment" \
	grep -qE "^adjusted: after epoch $at, step [0-9]+: lr [0-9.e-]+ -> 0.02 \(user\)" <<<"$show"
check_true "and the second" grep -qE "^ +after epoch $at2, step [0-9]+: lr 0.02 -> 0.03 \(user\)" <<<"$show"
check "curves --json carries them" \
	"$("$CAVIAR" curves --trial 1 --json | grep -c '"source":')" 2
check_true "curves marks them under the axis" grep -q "▲ trial 1 after epoch $at: lr" \
	<<<"$("$CAVIAR" curves --trial 1)"
check "plot marks them on the best curve" \
	"$("$CAVIAR" plot "$sweep" -o "$TMP/p.png" --json | sed -n 's/.*"adjustments_marked":[[:space:]]*\([0-9]*\).*/\1/p')" 2

# Forks: every epoch's checkpoint kept; a fork of epoch 3 with no change
# reproduces its parent's epochs 4.. bit for bit.
cat >"$TMP/fork.json" <<'JSON'
{ "name": "fork", "trials": 1, "seed": 9, "task": "bowl", "keep_checkpoints": "all",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 6, "epoch_ms": 20},
  "params": { "lr": {"log": [1e-4, 1e-3]}, "beta": {"reverse_log": [0.9, 0.999]} } }
JSON
fs=$("$CAVIAR" submit "$TMP/fork.json")
"$CAVIAR" wait "$fs" >/dev/null
parent=$(sql "SELECT id FROM trials WHERE sweep_id = $fs")
check "keep_checkpoints all: every epoch kept" \
	"$(ls "$DB.d/checkpoints" | grep -c "^trial-$parent\.ckpt\.epoch-")" 6
out=$("$CAVIAR" fork "$parent" --epoch 3)
check "fork exits 0" $? 0
child=$(sed -n 's/^trial \([0-9]*\) .*/\1/p' <<<"$out")
check "the fork says what it did" "$out" "trial $child (sweep $fs) forked from trial $parent at epoch 3"
"$CAVIAR" wait "$fs" >/dev/null
check "the child ran" "$(sql "SELECT status, parent_trial_id, parent_epoch FROM trials WHERE id = $child")" \
	"done|$parent|3"
check "its sweep's budget grew by one" "$(sql "SELECT budget FROM sweeps WHERE id = $fs")" 2
check "it records epochs 4 to 6 only" \
	"$(sql "SELECT min(epoch), max(epoch) FROM points WHERE trial_id = $child")" "4|6"
check "bit for bit: its val_loss at 4..6 is its parent's" \
	"$(sql "SELECT count(*) FROM points c JOIN points p ON p.trial_id = $parent AND
		p.metric = c.metric AND p.epoch = c.epoch WHERE c.trial_id = $child AND
		c.metric IN ('val_loss', 'train_loss') AND c.value = p.value")" 6
check_true "show says where it comes from" grep -q "^forked:   from trial $parent at epoch 3" \
	<<<"$("$CAVIAR" show "$child")"
check "its whole curve through lineage_points" \
	"$(sql "SELECT count(*) FROM lineage_points WHERE trial_id = $child AND metric = 'val_loss'")" 6

# A fork with a change: recorded as the child's adjustment at the fork's epoch.
child2=$("$CAVIAR" --json fork "$parent" --epoch 2 lr=0.0005 | sed -n 's/^[[:space:]]*"trial":[[:space:]]*\([0-9]*\).*/\1/p')
"$CAVIAR" wait "$fs" >/dev/null
check "the change is the child's adjustment at epoch 2" \
	"$(sql "SELECT epoch, name, old_value = (SELECT json_extract(params, '$.lr') FROM trials
		WHERE id = $parent), new_value, source FROM adjustments WHERE trial_id = $child2")" \
	"2|lr|1|0.0005|user"
check "the child trained with it" "$(lr_at "$child2" 3)" 0.0005
check "its params hold it" "$(sql "SELECT json_extract(params, '$.lr') FROM trials WHERE id = $child2")" 0.0005

# The default policy keeps the latest and the best epoch only.
sed 's/ "keep_checkpoints": "all",//; s/"fork"/"fork2"/' "$TMP/fork.json" >"$TMP/fork2.json"
ds=$("$CAVIAR" submit "$TMP/fork2.json")
"$CAVIAR" wait "$ds" >/dev/null
dp=$(sql "SELECT id FROM trials WHERE sweep_id = $ds")
kept=$(ls "$DB.d/checkpoints" | sed -n "s/^trial-$dp\.ckpt\.epoch-//p" | sort -n | paste -sd, -)
best=$(sql "SELECT best_epoch FROM trials WHERE id = $dp")
check "the default keeps the latest and the best" "$kept" "$(printf '%s\n' "$best" 6 | sort -nu | paste -sd, -)"
expect 1 "trial $dp keeps no checkpoint of epoch 1 \\(kept: ${kept//,/, }" "$CAVIAR" fork "$dp" --epoch 1
expect 1 'no epoch left to train' "$CAVIAR" fork "$dp"
expect 1 'no trial 99' "$CAVIAR" fork 99
# A fork's changes are checked as an adjustment's: the range, unless --force.
expect 1 "lr: 0.5 is outside the spec's range" "$CAVIAR" fork "$parent" --epoch 2 lr=0.5
forced=$("$CAVIAR" --json fork "$parent" --epoch 2 --force lr=0.5 | sed -n 's/^[[:space:]]*"trial":[[:space:]]*\([0-9]*\).*/\1/p')
check "fork --force sets a value outside the range" \
	"$(sql "SELECT json_extract(params, '$.lr') FROM trials WHERE id = ${forced:-0}")" 0.5
# submit --panda: a sweep of one trial (whatever the spec's "trials"),
# watched, each line typed adjusting it; here typed through a pipe.
sed 's/"trials": 1/"trials": 3/; s/"panda"/"panda-prompt"/; s/"epochs": 12/"epochs": 6/' \
	"$TMP/slow.json" >"$TMP/prompt.json"
typed() {
	for _ in $(seq 200); do
		[ "$(sql "SELECT count(*) FROM trials t JOIN sweeps s ON s.id = t.sweep_id
			WHERE s.name = 'panda-prompt' AND t.epochs >= 1")" = 1 ] && break
		sleep 0.05
	done
	echo "layers=3"
	echo "lr=0.004"
}
typed | "$CAVIAR" submit "$TMP/prompt.json" --panda >"$TMP/prompt.out" 2>"$TMP/prompt.err"
check "submit --panda exits 0 when its sweep is done" $? 0
ps=$(sql "SELECT id FROM sweeps WHERE name = 'panda-prompt'")
pt=$(sql "SELECT id FROM trials WHERE sweep_id = $ps")
check "a sweep of one trial" "$(sql "SELECT count(*), budget FROM trials JOIN sweeps s ON s.id = sweep_id WHERE sweep_id = $ps")" "1|1"
check_true "the prompt says how to use it" grep -q "^panda: type name=value" "$TMP/prompt.out"
check_true "a typed refusal is said" grep -q "adjust: layers: structural" "$TMP/prompt.err"
check_true "a typed change is applied" grep -qE "^trial $pt: lr [0-9.e-]+ -> 0.004 \(after epoch" "$TMP/prompt.out"
check_true "and seen as an event" grep -q "adjusted after epoch [0-9]* by user: lr .* -> 0.004" "$TMP/prompt.out"
check "and recorded" "$(sql "SELECT count(*) FROM adjustments WHERE trial_id = $pt AND new_value = 0.004")" 1
stop_daemon
finish
