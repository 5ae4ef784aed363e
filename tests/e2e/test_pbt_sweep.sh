#!/usr/bin/env bash
# Search pbt run by the daemon on the synthetic task drift: members are
# replaced by forks of better ones every `interval` epochs, within the
# budget, each exploit recorded once (the fork with its parent and its 'pbt'
# changes, the member pruned "pbt: replaced by trial N"); a kill -9 of the
# daemon mid-way neither loses nor duplicates a member; every value stays in
# its spec range.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/pbt.json" <<'JSON'
{ "name": "pbt", "trials": 12, "seed": 3, "task": "drift", "search": "pbt",
  "pbt": {"population": 4, "interval": 2},
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 10, "epoch_ms": 100},
  "params": { "lr": {"log": [1e-4, 1e-1]} } }
JSON
start_daemon --slots 4
sweep=$("$CAVIAR" submit "$TMP/pbt.json")
check "the first population only is sampled" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $sweep")" 4
for _ in $(seq 200); do
	[ "$(sql "SELECT count(*) FROM trials WHERE parent_trial_id IS NOT NULL")" -ge 2 ] && break
	sleep 0.05
done
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
forks=$(sql "SELECT count(*) FROM trials WHERE parent_trial_id IS NOT NULL")
check_true "members were replaced before the kill ($forks)" test "$forks" -ge 2
start_daemon --slots 4
check_true "the restart requeued the members running at the kill" \
	grep -q "interrupted by the last stop queued again" "$TMP/daemon.log"
"$CAVIAR" wait "$sweep" >/dev/null
check_true "they resumed from their checkpoints" grep -q "resumed from its checkpoint" "$TMP/daemon.log"
check "the sweep ends done" "$(sql "SELECT status FROM sweeps WHERE id = $sweep")" done
check "within the budget, every member started counted once" \
	"$(sql "SELECT count(*) <= 12, count(*) = max(number) + 1, count(DISTINCT number) = count(*)
		FROM trials WHERE sweep_id = $sweep")" "1|1|1"
check "every trial done or pruned" \
	"$(sql "SELECT count(*) FROM trials WHERE status NOT IN ('done', 'pruned')")" 0
check "neither lost nor duplicated: one member of each lineage finishes" \
	"$(sql "SELECT count(*) FROM trials WHERE status = 'done'")" 4
check "each fork replaced exactly one member" \
	"$(sql "SELECT count(*) FROM trials c WHERE c.parent_trial_id IS NOT NULL AND
		(SELECT count(*) FROM trials m WHERE m.reason = 'pbt: replaced by trial ' || c.id) = 1")" \
	"$(sql "SELECT count(*) FROM trials WHERE parent_trial_id IS NOT NULL")"
check "every replaced member names an existing fork" \
	"$(sql "SELECT count(*) FROM trials m WHERE m.reason LIKE 'pbt: replaced by trial %' AND NOT
		EXISTS (SELECT 1 FROM trials c WHERE m.reason = 'pbt: replaced by trial ' || c.id
		AND c.parent_trial_id IS NOT NULL)")" 0
check "each fork's changes are 'pbt' adjustments at its parent epoch" \
	"$(sql "SELECT count(*) FROM adjustments a JOIN trials t ON t.id = a.trial_id
		WHERE a.source != 'pbt' OR a.epoch != t.parent_epoch")" 0
check "a fork copies its parent's params but for the changes" \
	"$(sql "SELECT count(*) FROM trials c JOIN adjustments a ON a.trial_id = c.id
		WHERE abs(json_extract(c.params, '$.lr') - a.new_value) > 1e-12 * a.new_value")" 0
check "every lr stays in its spec range" \
	"$(sql "SELECT count(*) FROM (SELECT json_extract(params, '$.lr') AS v FROM trials
		UNION ALL SELECT new_value FROM adjustments) WHERE v < 1e-4 OR v > 1e-1")" 0
check "no epoch twice in a curve" \
	"$(sql "SELECT count(*) FROM (SELECT trial_id, metric, epoch FROM points GROUP BY 1, 2, 3 HAVING count(*) > 1)")" 0
best=$(sql "SELECT trial_id FROM leaderboard WHERE sweep_id = $sweep AND rank = 1")
check_true "the best trial's lineage reads back" "$CAVIAR" lineage "$best"
stop_daemon
finish
