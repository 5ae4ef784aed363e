#!/usr/bin/env bash
# The SDK's panda side without a daemon (worker_proto.h, version 2): a Python
# program with sdk/caviar.py and c_trial (sdk/caviar_report.h) run the way
# caviard runs a command trial, control lines on stdin. Adjustments answered
# and applied from the next epoch, a refusal by the program's own check,
# every change refused (and said once) when the program never asks, adjusted
# values kept across a resume, per-epoch copies with CAVIAR_KEEP_EPOCHS=1, and
# a fork started from one of them with CAVIAR_FORK_EPOCH; steer() and
# load_optimizer() on an optimizer's param groups.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PYTHONPATH=$ROOT/sdk CAVIAR_TRIAL_ID=1

cat >"$TMP/panda.py" <<'PY'
import sys
import caviar

p = caviar.params(lr=0.1, epochs=4)
lr = p["lr"]
start, state = caviar.resume()
if state is not None and caviar.fork_epoch() != start:
    lr = state["lr"]  # a resumed run keeps its adjusted lr; a fork takes its own
progress = state["progress"] if state else 0.0


def check(changes):
    if "momentum" in changes:
        raise ValueError("momentum: this program has no momentum")


for epoch in range(start + 1, int(p["epochs"]) + 1):
    if sys.argv[1] == "reads":
        lr = caviar.adjustments(check).get("lr", lr)
    progress += lr
    caviar.report(epoch, step=10 * epoch, val_loss=2.0 ** -progress, lr=lr)
    caviar.save_checkpoint(epoch, {"lr": lr, "progress": progress})
PY
printf '%s\n' '{"adjust": {"lr": 0.5}, "id": 1}' \
	'{"adjust": {"lr": 0.7, "momentum": 0.9}, "id": 2}' 'not json' >"$TMP/lines"
line() { sed -n "$1p" "$2"; }

# 1. Python: the lines are answered at the first adjustments(), in order.
CAVIAR_PARAMS='{"lr": 0.25}' CAVIAR_CHECKPOINT_DIR=$TMP/py CAVIAR_KEEP_EPOCHS=1 \
	python3 "$TMP/panda.py" reads <"$TMP/lines" >"$TMP/py.out" 2>"$TMP/py.err"
check "python: runs" $? 0
check "python: adjusted, [old, new]" "$(line 1 "$TMP/py.out")" \
	'{"event": "adjusted", "id": 1, "epoch": 0, "step": 0, "changes": {"lr": [0.25, 0.5]}}'
check "python: the program's check refuses a whole line" "$(line 2 "$TMP/py.out")" \
	'{"event": "adjust_refused", "id": 2, "error": "momentum: this program has no momentum"}'
check "python: not a control line" "$(line 3 "$TMP/py.out")" \
	'{"event": "adjust_refused", "error": "control line: expected a JSON object"}'
check "python: every epoch at the new lr" "$(grep -c '"lr": 0.5}' "$TMP/py.out")" 4
for k in 1 2 3 4; do
	check_true "python: epoch-$k kept" test -f "$TMP/py/epoch-$k/caviar.ckpt"
done
check "python: epoch-2's curve ends at epoch 2, the adjustment applied kept in it" \
	"$(cut -c1-22 "$TMP/py/epoch-2/curve.jsonl" | tr '\n' ' ')" \
	'{"event": "adjusted",  {"epoch": 1, "step": 1 {"epoch": 2, "step": 2 '

# 2. Resumed for 2 more epochs: the adjusted lr survives.
CAVIAR_PARAMS='{"lr": 0.25, "epochs": 6}' CAVIAR_CHECKPOINT_DIR=$TMP/py \
	python3 "$TMP/panda.py" reads </dev/null >"$TMP/py2.out"
check "python resumed: resumed" "$(line 1 "$TMP/py2.out")" '{"event": "resumed", "epoch": 4}'
check "python resumed: epochs 5, 6 keep lr 0.5" \
	"$(grep -c '"epoch": [56],.*"lr": 0.5}' "$TMP/py2.out")" 2

# 3. A fork of epoch 2 with its own lr: "forked", epochs 3 and 4, progress
# continued from the parent's (1.0 + 0.125).
mkdir "$TMP/fork" && cp "$TMP/py/epoch-2/"* "$TMP/fork/"
CAVIAR_PARAMS='{"lr": 0.125}' CAVIAR_CHECKPOINT_DIR=$TMP/fork CAVIAR_FORK_EPOCH=2 \
	python3 "$TMP/panda.py" reads </dev/null >"$TMP/fork.out"
check "python fork: forked" "$(line 1 "$TMP/fork.out")" '{"event": "forked", "epoch": 2}'
check "python fork: continues the parent" "$(line 2 "$TMP/fork.out")" \
	"{\"epoch\": 3, \"step\": 30, \"val_loss\": $(python3 -c 'print(2.0 ** -1.125)'),\
 \"lr\": 0.125}"
check "python fork: its curve starts after epoch 2" \
	"$(cut -c1-11 "$TMP/fork/curve.jsonl" | tr '\n' ' ')" \
	'{"epoch": 3 {"epoch": 4 '

# 4. A program that never asks: refused at its second report, said once.
CAVIAR_PARAMS='{}' CAVIAR_CHECKPOINT_DIR=$TMP/deaf python3 "$TMP/panda.py" deaf \
	<"$TMP/lines" >"$TMP/deaf.out" 2>"$TMP/deaf.err"
check "python deaf: runs" $? 0
NOT_READ='"error": "the program does not read adjustments"'
check "python deaf: refused" "$(grep -c "$NOT_READ" "$TMP/deaf.out")" 2
check "python deaf: after its second report" \
	"$(grep -n adjust_refused "$TMP/deaf.out" | head -1 | cut -d: -f1)" 3
check "python deaf: said once" "$(grep -c 'does not call caviar.adjustments' "$TMP/deaf.err")" 1

# 5. C: the same with c_trial (caviard makes the checkpoint directory).
mkdir "$TMP/c"
CAVIAR_PARAMS='{"lr": 0.25, "epochs": 4}' CAVIAR_CHECKPOINT_DIR=$TMP/c CAVIAR_KEEP_EPOCHS=1 \
	"$C_TRIAL" <"$TMP/lines" >"$TMP/c.out"
check "C: adjusted, [old, new]" "$(line 2 "$TMP/c.out")" \
	'{"event": "adjusted", "id": 1, "epoch": 0, "step": 0, "changes": {"lr": [0.25, 0.5]}}'
check "C: the second line is applied too" "$(line 3 "$TMP/c.out")" \
	'{"event": "adjusted", "id": 2, "epoch": 0, "step": 0,'\
' "changes": {"lr": [0.5, 0.7], "momentum": [null, 0.9]}}'
check "C: not a control line" "$(line 4 "$TMP/c.out")" \
	'{"event": "adjust_refused", "error": "control line: expected a JSON object"}'
check "C: every epoch at the new lr" "$(grep -c '"lr": 0.69999999999999996}' "$TMP/c.out")" 4
check_true "C: epoch-2 kept" test -f "$TMP/c/epoch-2/c_trial.ckpt"
check "C: the changes applied kept in the curve log, the refusal not" \
	"$(grep -c '"event": "adjust' "$TMP/c/curve.jsonl")" 2
mkdir "$TMP/cfork" && cp "$TMP/c/epoch-2/"* "$TMP/cfork/"
CAVIAR_PARAMS='{"lr": 0.125, "epochs": 4}' CAVIAR_CHECKPOINT_DIR=$TMP/cfork CAVIAR_FORK_EPOCH=2 \
	"$C_TRIAL" </dev/null >"$TMP/cfork.out"
check "C fork: forked" "$(line 2 "$TMP/cfork.out")" '{"event": "forked", "epoch": 2}'
check "C fork: epochs 3 and 4 at its own lr" \
	"$(grep -c '"epoch": [34],.*"lr": 0.125}' "$TMP/cfork.out")" 2
CAVIAR_PARAMS='{"lr": 0.125, "epochs": 5}' CAVIAR_CHECKPOINT_DIR=$TMP/cfork CAVIAR_FORK_EPOCH=2 \
	"$C_TRIAL" </dev/null >"$TMP/cfork2.out"
check "C fork restarted: resumed from its own checkpoint" "$(line 2 "$TMP/cfork2.out")" \
	'{"event": "resumed", "epoch": 4}'
C_TRIAL_DEAF=1 CAVIAR_PARAMS='{"epochs": 3}' "$C_TRIAL" <"$TMP/lines" >"$TMP/cdeaf.out" \
	2>"$TMP/cdeaf.err"
check "C deaf: refused" "$(grep -c "$NOT_READ" "$TMP/cdeaf.out")" 2
check "C deaf: said once" "$(grep -c 'does not call caviar_adjustments' "$TMP/cdeaf.err")" 1
# 6. An optimizer (anything with param_groups, as PyTorch's): steer() sets the
# changes in every group (beta1 into Adam's betas); load_optimizer() restores
# the saved state, then the trial's values that differ from those saved with
# it (a fork's new lr), keeping the state's own otherwise (a schedule's lr).
cat >"$TMP/opt.py" <<'PY'
import copy, json, sys
import caviar

class Opt:
    def __init__(self, lr):
        self.param_groups = [{"lr": lr, "betas": (0.9, 0.999)}, {"lr": lr, "betas": (0.9, 0.999)}]
    def state_dict(self):
        return {"param_groups": copy.deepcopy(self.param_groups)}
    def load_state_dict(self, sd):
        self.param_groups = copy.deepcopy(sd["param_groups"])

p = caviar.params(lr=0.1)
opt = Opt(p["lr"])
start, state = caviar.resume()
if state:
    caviar.load_optimizer(opt, state["opt"])
if sys.argv[1] == "save":
    changes = caviar.steer(opt)
    opt.param_groups[1]["lr"] *= 0.5  # a schedule's doing, in group 1 only
    caviar.report(1, val_loss=1.0)
    caviar.save_checkpoint(1, {"opt": opt.state_dict()})
    print("changes", json.dumps(changes, sort_keys=True))
print("groups", json.dumps([[g["lr"], list(g["betas"])] for g in opt.param_groups]))
PY
printf '%s\n' '{"adjust": {"lr": 0.5, "beta1": 0.8, "batch": 64}, "id": 1}' >"$TMP/opt.lines"
CAVIAR_PARAMS='{"lr": 0.25}' CAVIAR_CHECKPOINT_DIR=$TMP/opt CAVIAR_KEEP_EPOCHS=1 \
	python3 "$TMP/opt.py" save <"$TMP/opt.lines" >"$TMP/opt.out"
check "steer: every change returned" "$(grep '^changes' "$TMP/opt.out")" \
	'changes {"batch": 64, "beta1": 0.8, "lr": 0.5}'
check "steer: lr and beta1 set in every group" "$(grep '^groups' "$TMP/opt.out")" \
	'groups [[0.5, [0.8, 0.999]], [0.25, [0.8, 0.999]]]'
# Resumed (its params now hold the adjusted lr, as caviard gives them): the state's lrs stay.
CAVIAR_PARAMS='{"lr": 0.5, "beta1": 0.8, "batch": 64}' CAVIAR_CHECKPOINT_DIR=$TMP/opt \
	python3 "$TMP/opt.py" resume </dev/null >"$TMP/opt2.out"
check "load_optimizer: a resume keeps the saved state's values" "$(grep '^groups' "$TMP/opt2.out")" \
	'groups [[0.5, [0.8, 0.999]], [0.25, [0.8, 0.999]]]'
mkdir "$TMP/optfork" && cp "$TMP/opt/epoch-1/"* "$TMP/optfork/"
CAVIAR_PARAMS='{"lr": 0.03, "beta1": 0.8, "batch": 64}' CAVIAR_CHECKPOINT_DIR=$TMP/optfork \
	CAVIAR_FORK_EPOCH=1 python3 "$TMP/opt.py" fork </dev/null >"$TMP/opt3.out"
check "load_optimizer: a fork's new lr wins over its parent's state" "$(grep '^groups' "$TMP/opt3.out")" \
	'groups [[0.03, [0.8, 0.999]], [0.03, [0.8, 0.999]]]'
finish
