#!/usr/bin/env bash
# A database written by an earlier release (tests/e2e/fixtures/caviar-v1.sql:
# schema version 1, made by caviard at commit 8b59fc1 with
#   caviar submit SPEC (6 trials of the bowl task, median rule), caviar wait 1,
#   caviar submit SPEC2 (30 trials), caviar cancel 2, caviar shutdown
# then `sqlite3 DB .dump`) is migrated by today's caviard with every sweep,
# trial and point kept, reads through today's CLI and views, and takes new
# sweeps whose ids follow the old ones.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

sqlite3 "$DB" <"$ROOT/tests/e2e/fixtures/caviar-v1.sql"
check "the fixture is a version 1 database" "$(sql 'PRAGMA user_version')" 1
before=$(sql "SELECT count(*), sum(value), sum(epoch), sum(wall_time) FROM points")
trials=$(sql "SELECT group_concat(id || ':' || status || ':' || epochs || ':' || params, ' ')
	FROM (SELECT * FROM trials ORDER BY id)")

expect 1 "^caviar: show: $DB: a caviar database of schema version 1, older than this caviar's [0-9]+; start today's caviard on it once \\(caviard --db $DB\\) to migrate it$" \
	"$CAVIAR" show 1 --db "$DB"
check "reading it unmigrated changed nothing" "$(sql 'PRAGMA user_version')" 1

start_daemon --slots 2
check "migrated to today's schema" "$(sql 'PRAGMA user_version')" \
	"$(ls "$ROOT"/schema/[0-9]*.sql | wc -l)"
check "every point kept, to the bit" \
	"$(sql "SELECT count(*), sum(value), sum(epoch), sum(wall_time) FROM points")" "$before"
check "and 145 of them" "$(sql 'SELECT count(*) FROM points')" 145
check "every trial kept with its status, epochs and params" \
	"$(sql "SELECT group_concat(id || ':' || status || ':' || epochs || ':' || params, ' ')
		FROM (SELECT * FROM trials ORDER BY id)")" "$trials"
check "the file is sound" "$(sql 'PRAGMA integrity_check')" ok
check "no old trial is queued again" "$(sql "SELECT count(*) FROM trials WHERE status IN ('queued', 'running')")" 0

out=$("$CAVIAR" ls)
check "ls lists the old sweeps" "$(grep -cE '^(1 +bowl-v1 +done|2 +bowl-v1-cancelled +cancelled) ' <<<"$out")" 2
check "the documented views read them: the best of sweep 1" \
	"$(sql "SELECT best_trial_id FROM sweep_progress WHERE sweep_id = 1")" \
	"$(sql "SELECT id FROM trials WHERE sweep_id = 1 AND status IN ('done', 'pruned')
		ORDER BY best_value LIMIT 1")"
check "top ranks the old trials" "$("$CAVIAR" top 1 -n 3 --json | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["trials"]))')" 3
best=$(sql "SELECT id FROM trials WHERE sweep_id = 1 ORDER BY best_value LIMIT 1")
check "show prints an old trial's curve" "$("$CAVIAR" show "$best" --json | python3 -c '
import json, sys; print(len(json.load(sys.stdin)["curve"]))')" 4

sed 's/"name": "bowl-v1"/"name": "after-upgrade"/' >"$TMP/spec.json" <<'JSON'
{"name": "bowl-v1", "trials": 3, "seed": 9, "search": "random",
 "objective": {"metric": "val_loss", "mode": "min"},
 "train": {"task": "bowl", "epochs": 2},
 "params": {"lr": {"log": [1e-3, 1e-1]}, "batch": {"choice": [32, 64]}}}
JSON
s=$("$CAVIAR" submit "$TMP/spec.json")
"$CAVIAR" wait "$s" >/dev/null
check "a new sweep takes the next id" "$s" 3
check "and runs on the migrated file" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = 3 AND status = 'done'")" 3
stop_daemon
check "the old points are still all there" \
	"$(sql "SELECT count(*), sum(value), sum(epoch), sum(wall_time) FROM points WHERE trial_id IN
		(SELECT id FROM trials WHERE sweep_id < 3)")" "$before"
finish
