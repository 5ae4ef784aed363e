#!/usr/bin/env bash
# Ten kill -9s of caviard while a pbt sweep and a tpe sweep run side by side,
# each at a moment picked by an event (right after a submit, after the Nth
# point, the moment a pbt fork is recorded, after the Nth trial ended), a
# restart after each (issue 26). Once both sweeps are done: no trial number
# twice, none left running, every line a worker printed and saved beside its
# checkpoint recorded once with its value, no epoch twice or missing in a
# curve, every fork's parent an older trial, `caviar lineage` answering for
# every pbt trial, and PRAGMA integrity_check ok.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/pbt.json" <<'JSON'
{ "name": "pbt", "trials": 24, "seed": 3, "task": "drift", "search": "pbt",
  "pbt": {"population": 4, "interval": 2},
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 40, "epoch_ms": 100},
  "params": { "lr": {"log": [1e-4, 1e-1]} } }
JSON
cat >"$TMP/tpe.json" <<'JSON'
{ "name": "tpe", "trials": 30, "seed": 4, "task": "bowl", "search": "tpe",
  "tpe": {"startup": 4}, "parallel": 2,
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 6, "epoch_ms": 150},
  "params": { "lr": {"log": [1e-4, 1e-1]} } }
JSON
mkdir "$TMP/printed"
KILLS=0

# until WHAT SQL: waits (60 s at most) until the query's answer is 1.
until_sql() {
	for _ in $(seq 1200); do [ "$(sql "$2")" = 1 ] && return 0; sleep 0.05; done
	fail "never reached: $1"
}
# until_log PATTERN: waits until the daemon's log has a line matching it.
until_log() {
	for _ in $(seq 1200); do grep -qE "$1" "$TMP/daemon.log" && return 0; sleep 0.05; done
	fail "never logged: $1"
}
# crash WHY: kill -9, wait for the dead daemon's workers to stop (they save
# their checkpoints on the kernel's SIGTERM), keep every curve they saved
# beside a checkpoint (what they printed), and start caviard again.
crash() {
	local running
	running=$(sql "SELECT count(*) FROM sweeps WHERE status = 'running'")
	kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
	KILLS=$((KILLS + 1))
	echo "     kill $KILLS at $(date +%T): $1"
	check_true "kill $KILLS: a sweep was running" test "$running" -gt 0
	for _ in $(seq 600); do [ "$(workers)" -eq 0 ] && break; sleep 0.05; done
	check "kill $KILLS: the dead daemon's workers stopped" "$(workers)" 0
	for f in "$DB.d"/checkpoints/trial-*.ckpt.curve; do
		[ -e "$f" ] && cp "$f" "$TMP/printed/$KILLS-${f##*/}"
	done
	start_daemon --slots 6
}
points() { sql "SELECT count(*) FROM points"; }
forks() { sql "SELECT count(*) FROM trials WHERE parent_trial_id IS NOT NULL"; }

start_daemon --slots 6
pbt=$("$CAVIAR" submit "$TMP/pbt.json")
crash "right after the pbt submit"
tpe=$("$CAVIAR" submit "$TMP/tpe.json")
crash "right after the tpe submit"
until_sql "20 points" "SELECT count(*) >= 20 FROM points"
crash "after the 20th point ($(points))"
until_log "\(a fork of trial [0-9]+ at epoch [0-9]+\)"
crash "as the first fork is made ($(forks) forks recorded)"
until_sql "a fork more" "SELECT count(*) > $(forks) FROM trials WHERE parent_trial_id IS NOT NULL"
crash "right after a fork is recorded ($(forks) forks)"
at=$(($(points) + 150))
until_sql "$at points" "SELECT count(*) >= $at FROM points"
crash "after the ${at}th point"
until_sql "a fork more" "SELECT count(*) > $(forks) FROM trials WHERE parent_trial_id IS NOT NULL"
crash "right after another fork ($(forks) forks)"
until_sql "3 tpe trials ended" \
	"SELECT count(*) >= 3 FROM trials WHERE sweep_id = $tpe AND status NOT IN ('queued', 'running')"
crash "after the 3rd tpe trial ended"
until_sql "8 tpe trials ended" \
	"SELECT count(*) >= 8 FROM trials WHERE sweep_id = $tpe AND status NOT IN ('queued', 'running')"
crash "after the 8th tpe trial ended"
at=$(($(points) + 100))
until_sql "$at points" "SELECT count(*) >= $at FROM points"
crash "after the ${at}th point"
check "ten kills" "$KILLS" 10

"$CAVIAR" wait "$pbt" >/dev/null
"$CAVIAR" wait "$tpe" >/dev/null
check "both sweeps done" "$(sql "SELECT group_concat(status) FROM sweeps ORDER BY id")" "done,done"
check_true "pbt made forks ($(forks))" test "$(forks)" -ge 3
check "no trial number twice" \
	"$(sql "SELECT count(*) FROM (SELECT sweep_id, number FROM trials GROUP BY 1, 2 HAVING count(*) > 1)")" 0
check "numbers 0..n-1 in each sweep" \
	"$(sql "SELECT count(*) FROM (SELECT sweep_id FROM trials GROUP BY 1 HAVING max(number) + 1 != count(*))")" 0
check "the tpe budget exact" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $tpe AND status = 'done'")" 30
check "no trial left running or queued" \
	"$(sql "SELECT count(*) FROM trials WHERE status IN ('running', 'queued')")" 0
check "every trial done or pruned" "$(sql "SELECT count(*) FROM trials WHERE status NOT IN ('done', 'pruned')")" 0
check "no epoch twice in a curve" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id, metric, epoch FROM points GROUP BY 1, 2, 3 HAVING count(*) > 1)")" 0
check "every curve whole: its own epochs, from its parent's epoch on, up to its last" \
	"$(sql "SELECT count(*) FROM trials t WHERE t.epochs - coalesce(t.parent_epoch, 0) !=
		(SELECT count(*) FROM points p WHERE p.trial_id = t.id AND p.metric = 'val_loss')
		OR t.epochs != (SELECT max(epoch) FROM points p WHERE p.trial_id = t.id AND p.metric = 'val_loss')")" 0
check "every done trial trained all its epochs" \
	"$(sql "SELECT count(*) FROM trials t WHERE status = 'done' AND epochs != CASE sweep_id WHEN $pbt THEN 40 ELSE 6 END")" 0
check "every parent exists, is older (a lower id), was started, and had the epoch forked" \
	"$(sql "SELECT group_concat(c.id || ' of ' || c.parent_trial_id || ' at ' || c.parent_epoch || ': ' ||
		coalesce(p.epochs || ' epochs, ' || p.attempts || ' attempts', 'none'), '; ')
		FROM trials c LEFT JOIN trials p ON p.id = c.parent_trial_id
		WHERE c.parent_trial_id IS NOT NULL AND (p.id IS NULL OR p.id >= c.id OR
		p.attempts < 1 OR p.epochs < c.parent_epoch OR p.sweep_id != c.sweep_id)")" ""
check "printed lines saved ($(ls "$TMP/printed" | wc -l) curves kept at the kills)" \
	"$(ls "$TMP/printed" | wc -l | awk '{print ($1 > 0)}')" 1
check "every line printed before a kill is recorded once, with its value" "$(python3 - "$DB" "$TMP/printed" <<'PY'
import json, os, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
bad = []
for name in sorted(os.listdir(sys.argv[2])):
    trial = int(re.match(r"\d+-trial-(\d+)\.ckpt\.curve$", name).group(1))
    for line in open(os.path.join(sys.argv[2], name)):
        j = json.loads(line)
        if "epoch" not in j or "event" in j:
            continue
        for metric, value in j.items():
            if metric in ("epoch", "step") or not isinstance(value, (int, float)):
                continue
            got = db.execute("SELECT value FROM points WHERE trial_id = ? AND metric = ? AND epoch = ?",
                             (trial, metric, j["epoch"])).fetchall()
            if got != [(float(value),)]:
                bad.append("%s: trial %d %s epoch %d: printed %r, recorded %r" %
                           (name, trial, metric, j["epoch"], value, got))
print("\n".join(bad[:5]) if bad else "all")
PY
)" all
for t in $(sql "SELECT id FROM trials WHERE sweep_id = $pbt"); do
	out=$("$CAVIAR" lineage "$t" 2>&1) || fail "caviar lineage $t: $out"
	grep -q "^trial $t (sweep $pbt): [0-9]* trials\? in its lineage" <<<"$out" ||
		fail "caviar lineage $t: $(head -1 <<<"$out")"
done
echo "ok   caviar lineage answers for each of the $(sql "SELECT count(*) FROM trials WHERE sweep_id = $pbt") pbt trials"
most=$(ls "$DB.d/checkpoints" | sed -n 's/^trial-\([0-9]*\)\.ckpt\.epoch-[0-9]*$/\1/p' | sort | uniq -c |
	sort -n | tail -1 | awk '{print $1}')
check_true "after the kills no trial keeps more than keep_checkpoints' 2 copies (${most:-0})" \
	test "${most:-0}" -le 2
check "integrity" "$(sql 'PRAGMA integrity_check')" ok
stop_daemon
finish
