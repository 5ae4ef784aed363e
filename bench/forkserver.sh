#!/usr/bin/env bash
# bench/forkserver.sh: the start of a PyTorch command trial to its first
# epoch line (first point's wall_time - the trial's started_at, medians over
# the trials), with a fork server ("fork_server": true) against one process
# per trial, the same script in one run. Needs Debian's python3-torch.
# --slots 1 (the default) measures the start with a core free for it; with
# --slots 2 on 2 cores the other trial and the server's next spare compete.
# --raw prints "FORK_SERVER_S SPAWN_S" only (for bench/run).
#   bench/forkserver.sh [--build DIR] [--trials N] [--slots N] [--raw]
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build TRIALS=8 SLOTS=1 RAW=0
while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$(cd "$2" && pwd); shift 2 ;;
	--trials) TRIALS=$2; shift 2 ;;
	--slots) SLOTS=$2; shift 2 ;;
	--raw) RAW=1; shift ;;
	*) echo "usage: bench/forkserver.sh [--build DIR] [--trials N] [--slots N] [--raw]" >&2; exit 2 ;;
	esac
done
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "bench/forkserver.sh: needs python3-torch (scripts/setup.sh --bench)" >&2; exit 77; }
TMP=$(mktemp -d)
trap 'kill $(cat "$TMP/pid" 2>/dev/null) 2>/dev/null; rm -rf "$TMP"' EXIT
export CAVIAR_SOCKET=$TMP/s.sock PYTHONPATH=$REPO/sdk
cat >"$TMP/train.py" <<'PY'
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
"$BUILD/daemon/caviard" --db "$TMP/db" --socket "$TMP/s.sock" --slots "$SLOTS" 2>"$TMP/log" &
echo $! >"$TMP/pid"
for _ in $(seq 100); do "$BUILD/tools/caviar" status >/dev/null 2>&1 && break; sleep 0.1; done
median() { # median SWEEP: seconds from start to first line, median over its trials
	sqlite3 "$TMP/db" "SELECT t.id, min(p.wall_time) - t.started_at FROM trials t JOIN points p
		ON p.trial_id = t.id WHERE t.sweep_id = $1 GROUP BY t.id" |
		cut -d'|' -f2 | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
run() { # run FORK_SERVER: a sweep's id
	printf '{"name": "fs-%s", "command": ["/usr/bin/python3", "%s"], "fork_server": %s, "trials": %d,
	  "seed": 1, "objective": {"metric": "loss", "mode": "min"},
	  "params": {"lr": {"log": [0.001, 0.1]}}}' "$1" "$TMP/train.py" "$1" "$TRIALS" >"$TMP/spec.json"
	local s; s=$("$BUILD/tools/caviar" submit "$TMP/spec.json") && "$BUILD/tools/caviar" wait "$s" >/dev/null
	echo "$s"
}
spawned=$(run false); served=$(run true)
a=$(median "$spawned"); b=$(median "$served")
[ "$RAW" = 1 ] && { echo "$b $a"; exit 0; }
printf '%-58s %10s %10s %8s %s\n' "row" "ours" "baseline" "ratio" "target"
printf '%-58s %9.3fs %9.3fs %7.1fx %s\n' "23a PyTorch trial start to first epoch: fork server vs spawn" \
	"$b" "$a" "$(echo "$a / $b" | bc -l)" "< 0.1 s, >= 20x ($SLOTS slots, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
