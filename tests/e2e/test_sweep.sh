#!/usr/bin/env bash
# A synthetic sweep through the real daemon, worker and client: trials run in
# parallel, curves are readable with sqlite3 while trials run, the budget is
# exact, the leaderboard is ordered, and cancel/pause/resume work.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/bowl.json" <<'JSON'
{ "name": "bowl", "trials": 6, "seed": 11, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 4, "epoch_ms": 150},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.9, 0.999]} } }
JSON
start_daemon --slots 2
# A subscriber counts the live events of the sweep until it ends.
python3 - "$SOCK" "$TMP/subscribed" >"$TMP/events.txt" <<'PY' &
import collections, json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"cmd": "subscribe", "sweep": 1}\n')
f = s.makefile(); counts = collections.Counter()
assert json.loads(f.readline())["ok"]
open(sys.argv[2], "w").close()  # subscribed: the test may submit now
for line in f:
    e = json.loads(line); counts[e["event"]] += 1
    if e["event"] == "sweep_ended":
        break
print(" ".join(f"{k}={counts[k]}" for k in sorted(counts)))
PY
subscriber=$!
for _ in $(seq 200); do [ -e "$TMP/subscribed" ] && break; sleep 0.05; done
id=$("$CAVIAR" submit "$TMP/bowl.json")
check "submit prints the sweep id" "$id" 1

sleep 0.5
check "two trials run at once" "$(sql "SELECT count(*) FROM trials WHERE status = 'running'")" 2
running_points=$(sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.status = 'running'")
check_true "points of running trials are visible to sqlite3 ($running_points)" test "$running_points" -gt 0
check "the database is in WAL mode" "$(sql 'PRAGMA journal_mode')" wal

"$CAVIAR" wait "$id"
check "wait exits 0 when the sweep finished" $? 0
check "sweep status" "$(sql "SELECT status FROM sweeps WHERE id = $id")" done
check "budget is exact" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id")" 6
check "every trial done" "$(sql "SELECT count(*) FROM trials WHERE status = 'done'")" 6
check "one val_loss point per epoch per trial" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id, count(*) AS n FROM points WHERE metric = 'val_loss' GROUP BY trial_id HAVING n = 4)")" 6
check "best_value is the minimum of the curve" \
	"$(sql "SELECT count(*) FROM trials t WHERE abs(best_value - (SELECT min(value) FROM points WHERE trial_id = t.id AND metric = 'val_loss')) > 1e-12")" 0
check "leaderboard is ordered best first" \
	"$(sql "SELECT group_concat(objective <= next, '') FROM (SELECT objective, lead(objective) OVER (ORDER BY rank) AS next FROM leaderboard WHERE sweep_id = $id) WHERE next IS NOT NULL")" 11111
wait "$subscriber"
check "a subscriber sees every event of the sweep" "$(cat "$TMP/events.txt")" \
	"progress=24 snapshot=1 sweep_ended=1 sweep_started=1 trial_ended=6 trial_started=6"
check "trial seeds are distinct" "$(sql "SELECT count(DISTINCT seed) FROM trials")" 6

top=$("$CAVIAR" top "$id" -n 2 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["trials"]), d["trials"][0]["rank"])')
check "top --json: 2 trials, best ranked 1" "$top" "2 1"
ls=$("$CAVIAR" ls --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["done"], d[0]["budget"])')
check "ls --json counts" "$ls" "6 6"

# Cancel: a slow sweep, cancelled while its first trials run.
sed -e 's/"epoch_ms": 150/"epoch_ms": 2000/' -e 's/"name": "bowl"/"name": "slow"/' "$TMP/bowl.json" >"$TMP/slow.json"
slow=$("$CAVIAR" submit "$TMP/slow.json")
"$CAVIAR" pause "$slow" >/dev/null
check "pause" "$(sql "SELECT status FROM sweeps WHERE id = $slow")" paused
"$CAVIAR" resume "$slow" >/dev/null
sleep 0.5
"$CAVIAR" cancel "$slow" >/dev/null
"$CAVIAR" wait "$slow"
check "wait exits 1 for a cancelled sweep" $? 1
check "cancelled sweep" "$(sql "SELECT status FROM sweeps WHERE id = $slow")" cancelled
check "all its trials cancelled" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $slow AND status = 'cancelled'")" 6

stop_daemon
finish
