#!/usr/bin/env bash
# bench/own_program.sh: tuning your own PyTorch program, as a new user would.
#
#   start   the start of a PyTorch command trial to its first epoch line (its
#           first point's wall_time - the trial's started_at, median over
#           --start-trials trials), with a fork server ("fork_server": true)
#           against one process per trial, the same script. --slots 1 (the
#           default) leaves a core free for the start; with --slots 2 on 2
#           cores the other trial and the server's next spare compete.
#   task    examples/pytorch/sweep.json (24 trials, tpe + ASHA, a PyTorch MLP,
#           8k/2k images, 9 epochs) on 2 slots through caviard with its fork
#           server, against Optuna 3.1 in-process with n_jobs=2 on the same
#           code and space (bench/pytorch_optuna.py): wall time of each, the
#           two run alternately, --reps times each.
#   trivial 1,000 trivial Python trials through a fork server: caviard's CPU
#           time per trial, and the memory of the server and its children
#           (the sum of their PSS, so pages they share count once), sampled
#           every 0.1 s, at its peak.
#   steer   what caviar.steer(opt) costs a call with nothing pending (no
#           caviard: stdin an empty pipe, as a trial's), beside one training
#           step of the example's MLP (Adam, batch 128).
#
# Prints one line per measurement, "KEY VALUE ...", for bench/run (row 11) or
# a reader:
#   start FORK_SERVER_S SPAWN_S                                    (medians)
#   task CAVIAR_S OPTUNA_S CAVIAR_BEST OPTUNA_BEST CAVIAR_EPOCHS OPTUNA_EPOCHS   (medians)
#   trivial TRIALS WALL_S DAEMON_CPU_MS_PER_TRIAL PEAK_PSS_MB SERVER_RSS_MB CHILDREN_AT_PEAK
#   steer STEER_US_PER_CALL STEP_US
#   bench/own_program.sh [--build DIR] [--only "start task trivial steer"] [--start-trials N]
#                        [--slots N] [--trials N] [--reps N] [--trivial N]
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build ONLY="start task trivial steer" START_TRIALS=8 SLOTS=1 TRIALS='' REPS=1 TRIVIAL=1000
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$(cd "$2" && pwd); shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--start-trials) START_TRIALS=$2; shift 2 ;;
	--slots) SLOTS=$2; shift 2 ;;
	--trials) TRIALS=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--trivial) TRIVIAL=$2; shift 2 ;;
	*) echo "usage: bench/own_program.sh [--build DIR] [--only \"start task trivial steer\"] [--start-trials N] [--slots N] [--trials N] [--reps N] [--trivial N]" >&2; exit 2 ;;
	esac
done
PY=/usr/bin/python3
"$PY" -c 'import torch' 2>/dev/null || { echo "bench/own_program.sh: needs python3-torch (scripts/setup.sh)" >&2; exit 77; }
TMP=$(mktemp -d)
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
export CAVIAR_SOCKET=$TMP/s.sock
CAVIAR=$BUILD/tools/caviar

start() { # start SLOTS: a private caviard
	"$BUILD/daemon/caviard" --db "$TMP/db" --socket "$CAVIAR_SOCKET" --slots "$1" 2>>"$TMP/log" &
	DPID=$!
	for _ in $(seq 200); do "$CAVIAR" status >/dev/null 2>&1 && return 0; sleep 0.05; done
	echo "bench/own_program.sh: caviard did not start: $(tail -3 "$TMP/log")" >&2
	exit 1
}
stop() { "$CAVIAR" shutdown >/dev/null 2>&1; wait "$DPID" 2>/dev/null; DPID=; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

if [[ " $ONLY " == *" start "* ]]; then
	cat >"$TMP/start.py" <<'PY'
import gzip, os, struct, sys
import caviar

def setup():
    import torch
    torch.set_num_threads(1)
    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        f.read(16)
        x = torch.frombuffer(bytearray(f.read(784 * 8000)), dtype=torch.uint8).float().div(255).view(-1, 784)
    return torch, x

def train(state):
    torch, x = state
    p = caviar.params(lr=0.01)
    torch.manual_seed(int(p["seed"]))
    model = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=p["lr"])
    # Epoch 1 is one step: its line tells when the trial got going. Two more
    # epochs follow, as a real trial is longer than a spare takes to fork.
    for epoch, steps in ((1, 1), (2, 10), (3, 10)):
        for i in range(0, 128 * steps, 128):
            loss = model(x[i:i + 128]).logsumexp(1).mean()
            opt.zero_grad(); loss.backward(); opt.step()
        caviar.report(epoch, loss=loss.item())

sys.exit(caviar.serve(train, setup=setup))
PY
	start "$SLOTS"
	first_line() { # first_line FORK_SERVER: the median start to first line of a sweep of it
		printf '{"name": "fs-%s", "command": ["%s", "%s"], "fork_server": %s, "trials": %d,
		  "env": {"PYTHONPATH": "%s"}, "seed": 1, "objective": {"metric": "loss", "mode": "min"},
		  "params": {"lr": {"log": [0.001, 0.1]}}}' "$1" "$PY" "$TMP/start.py" "$1" "$START_TRIALS" \
			"$REPO/sdk" >"$TMP/start.json"
		local s
		s=$("$CAVIAR" submit "$TMP/start.json") && "$CAVIAR" wait "$s" >/dev/null || exit 1
		sqlite3 "$TMP/db" "SELECT min(p.wall_time) - t.started_at FROM trials t JOIN points p
			ON p.trial_id = t.id WHERE t.sweep_id = $s GROUP BY t.id" | median
	}
	spawned=$(first_line false) served=$(first_line true)
	stop
	echo "start $served $spawned"
fi

if [[ " $ONLY " == *" task "* ]]; then
	"$PY" -c 'import optuna' 2>/dev/null || { echo "bench/own_program.sh: task needs python3-optuna (scripts/setup.sh --bench)" >&2; exit 77; }
	spec=$REPO/examples/pytorch/sweep.json
	if [ -n "$TRIALS" ]; then
		"$PY" -c 'import json, sys; s = json.load(open(sys.argv[1])); s["trials"] = int(sys.argv[2]); s["workdir"] = sys.argv[3]; print(json.dumps(s))' \
			"$spec" "$TRIALS" "$REPO/examples/pytorch" >"$TMP/sweep.json" || exit 1
		spec=$TMP/sweep.json
	fi
	start 2
	: >"$TMP/c" ; : >"$TMP/o"
	for rep in $(seq "$REPS"); do
		t0=$EPOCHREALTIME
		s=$(cd "$REPO/examples/pytorch" && "$CAVIAR" submit "$spec") || exit 1
		"$CAVIAR" wait "$s" >/dev/null || { echo "bench/own_program.sh: sweep $s: $("$CAVIAR" ls 2>&1 | tail -1)" >&2; exit 1; }
		wall=$(awk "BEGIN {print $EPOCHREALTIME - $t0}")
		best=$(sqlite3 "$TMP/db" "SELECT max(value) FROM points p JOIN trials t ON t.id = p.trial_id
			WHERE t.sweep_id = $s AND metric = 'val_acc'")
		epochs=$(sqlite3 "$TMP/db" "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id
			WHERE t.sweep_id = $s AND metric = 'val_acc'")
		echo "$wall $best $epochs" >>"$TMP/c"
		"$PY" "$REPO/bench/pytorch_optuna.py" --spec "$spec" --jobs 2 >"$TMP/opt.json" || exit 1
		"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["wall_s"], r["best"], r["epochs"])' \
			"$TMP/opt.json" >>"$TMP/o"
	done
	stop
	col() { cut -d' ' -f"$1" "$2" | median; }
	echo "task $(col 1 "$TMP/c") $(col 1 "$TMP/o") $(col 2 "$TMP/c") $(col 2 "$TMP/o")" \
		"$(col 3 "$TMP/c") $(col 3 "$TMP/o")"
fi

if [[ " $ONLY " == *" trivial "* ]]; then
	cat >"$TMP/trivial.py" <<'PY'
import sys
import caviar

def train(state):
    p = caviar.params(lr=0.01)
    caviar.report(1, loss=1.0 / (1.0 + p["lr"]))

sys.exit(caviar.serve(train))
PY
	cat >"$TMP/trivial.json" <<EOF
{"name": "trivial", "command": ["$PY", "$TMP/trivial.py"], "fork_server": true,
 "env": {"PYTHONPATH": "$REPO/sdk"}, "trials": $TRIVIAL, "seed": 1,
 "objective": {"metric": "loss", "mode": "min"}, "params": {"lr": {"log": [0.001, 0.1]}}}
EOF
	start 2
	read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$DPID/stat")
	t0=$EPOCHREALTIME
	s=$("$CAVIAR" submit "$TMP/trivial.json") || exit 1
	peak=0 server_rss=0 kids=0
	while [ "$(sqlite3 "$TMP/db" "SELECT status IN ('done', 'failed', 'cancelled') FROM sweeps WHERE id = $s")" != 1 ]; do
		# the server and every trial or spare of it: caviard's children running trivial.py
		pss=0 n=0
		for p in $(pgrep -P "$DPID" -f "$TMP/trivial.py"); do
			k=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
			[ -n "$k" ] && pss=$((pss + k)) n=$((n + 1))
		done
		[ "$pss" -gt "$peak" ] && peak=$pss kids=$n
		server=$(sed -n 's/.*its fork server (pid \([0-9]*\)) is ready.*/\1/p' "$TMP/log" | tail -1)
		k=$( [ -n "$server" ] && awk '/^VmRSS:/ {print $2}' "/proc/$server/status" 2>/dev/null)
		[ "${k:-0}" -gt "$server_rss" ] && server_rss=$k
		sleep 0.1
	done
	wall=$(awk "BEGIN {print $EPOCHREALTIME - $t0}")
	read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$DPID/stat")
	done_n=$(sqlite3 "$TMP/db" "SELECT count(*) FROM trials WHERE sweep_id = $s AND status = 'done'")
	tick=$(getconf CLK_TCK)
	stop
	echo "trivial $done_n $wall $(awk "BEGIN {print ($u1 + $s1 - $u0 - $s0) * 1000 / $tick / $done_n}")" \
		"$(awk "BEGIN {print $peak / 1024}") $(awk "BEGIN {print ${server_rss:-0} / 1024}") $kids"
fi

if [[ " $ONLY " == *" steer "* ]]; then
	# caviar.steer(opt) as the example calls it every 20 steps, with nothing
	# pending (the common case): its stdin a pipe held open and empty, as
	# caviard's; timeit's best of 5 runs of 20,000 calls. Beside it, one step
	# of the example's own model and optimizer (batch 128), the median of 5
	# runs of 50 steps.
	"$PY" - "$REPO" <<'PY' || exit 1
import os, sys, timeit
sys.path[:0] = [os.path.join(sys.argv[1], "sdk"), os.path.join(sys.argv[1], "examples", "pytorch")]
import caviar
import torch
import train_fmnist as ex
torch.set_num_threads(1)
caviar._keep_freed_memory()  # as a forked trial has it (README, row 1: else faults dominate a step)
read_end, write_end = os.pipe()
os.dup2(read_end, 0)
torch.manual_seed(1)
model = ex.model_for(torch.nn, [256, 128])
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()
x, y = torch.rand(128, 784), torch.randint(0, 10, (128,))

def step():
    loss = loss_fn(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()

n = 20000
steer_us = min(timeit.repeat(lambda: caviar.steer(opt), number=n, repeat=5)) / n * 1e6
assert caviar.steer(opt) == {}
step()
runs = sorted(timeit.repeat(step, number=50, repeat=5))
print("steer %.3f %.1f" % (steer_us, runs[2] / 50 * 1e6))
PY
fi
