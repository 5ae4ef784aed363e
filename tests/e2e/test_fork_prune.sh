#!/usr/bin/env bash
# A fork of a command trial's epoch against keep_checkpoints: an epoch
# pruned is refused with the epochs kept, even when the program left a
# subdirectory in its epoch-K copy (the prune takes it all, never leaving a
# half directory a fork would copy nothing from); a copy that fails midway
# (a file that cannot be read, as on a failing disk) refuses the fork and
# records nothing, leaves nothing; the epoch kept is then served whole.
# And a trial resumed after a kill -9 of caviard that came before it read a
# line (the copy that line would have pruned is never judged at a line)
# ends holding only what keep_checkpoints keeps; so does one the database
# already called ended (a pbt member replaced) when caviard was killed.
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

# Its first run saves epoch 5 without a line, as when caviard dies before
# reading it, and waits for caviard to be gone; resumed from 5, it ends at 8.
# With keep_checkpoints 2, epoch 2's copy is judged at line 5 only.
cat >"$TMP/held.py" <<'PY'
import os
import sys
import time
import caviar

start, state = caviar.resume()
for epoch in range(start + 1, 9):
    if start == 0 and epoch == 5:
        caviar.save_checkpoint(5, {"epoch": 5})
        parent = os.getppid()
        open(sys.argv[1], "w").close()
        while os.getppid() == parent:
            time.sleep(0.05)
        raise SystemExit(1)
    caviar.report(epoch, val_loss=1.0 / epoch)  # the best: the latest
    caviar.save_checkpoint(epoch, {"epoch": epoch})
PY
cat >"$TMP/resumed.json" <<JSON
{"name": "resumed", "trials": 1, "command": ["python3", "$TMP/held.py", "$TMP/held"], "keep_checkpoints": 2,
 "objective": {"metric": "val_loss", "mode": "min"}, "params": {"lr": {"log": [0.01, 1]}}}
JSON
r=$("$CAVIAR" submit "$TMP/resumed.json")
rt=$(sql "SELECT id FROM trials WHERE sweep_id = $r")
held() { test -e "$TMP/held" && test "$(sql "SELECT max(epoch) FROM points WHERE trial_id = $rt")" = 4; }
until_true "the trial holds at epoch 5 with 4 lines recorded" held
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
start_daemon
"$CAVIAR" wait "$r" >/dev/null
check "resumed after a kill -9: done on its second run, from epoch 5" \
	"$(sql "SELECT status, attempts, (SELECT max(epoch) FROM points WHERE trial_id = $rt) FROM trials WHERE id = $rt")" \
	"done|2|8"
check "resumed after a kill -9: keep_checkpoints 2 leaves the latest 2, epoch 2's copy gone too" \
	"$(cd "$DB.d/trials/$rt/checkpoint" && ls -d epoch-* | sort -V | tr '\n' ' ')" "epoch-7 epoch-8 "

# The same program held at epoch 5 (4 lines read; copies of 3, 4 and 5), then
# kill -9 and the row made 'pruned' as a pbt fork's transaction makes its
# member's before the member stops: no caviard sees it end. The next one,
# at start-up, judges its copies by its recorded epochs (4, the best too)
# and keep_checkpoints 1: epoch 3's goes, 4 and the unread 5 stay.
sed "s/\"resumed\"/\"unseen\"/; s/\"keep_checkpoints\": 2/\"keep_checkpoints\": 1/; s|$TMP/held\"|$TMP/held2\"|" \
	"$TMP/resumed.json" >"$TMP/unseen.json"
u=$("$CAVIAR" submit "$TMP/unseen.json")
ut=$(sql "SELECT id FROM trials WHERE sweep_id = $u")
held2() { test -e "$TMP/held2" && test "$(sql "SELECT max(epoch) FROM points WHERE trial_id = $ut")" = 4 &&
	test -d "$DB.d/trials/$ut/checkpoint/epoch-5"; }
until_true "the second trial holds at epoch 5 with 4 lines recorded" held2
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
sqlite3 "$DB" "UPDATE trials SET status = 'pruned', reason = 'pbt: replaced by trial 0' WHERE id = $ut"
check "before the restart: copies of 3, 4 and 5, a pid" \
	"$(cd "$DB.d/trials/$ut/checkpoint" && ls -d epoch-* | sort -V | tr '\n' ' ')|$(sql "SELECT pid IS NOT NULL FROM trials WHERE id = $ut")" \
	"epoch-3 epoch-4 epoch-5 |1"
start_daemon
check "ended unseen: at start-up keep_checkpoints 1 leaves epoch 4 (latest and best) and 5" \
	"$(cd "$DB.d/trials/$ut/checkpoint" && ls -d epoch-* | sort -V | tr '\n' ' ')" "epoch-4 epoch-5 "
check "ended unseen: its pid is cleared, its status kept" \
	"$(sql "SELECT pid IS NULL, status FROM trials WHERE id = $ut")" "1|pruned"
stop_daemon
finish
