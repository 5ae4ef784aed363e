#!/usr/bin/env bash
# Search strategies through the daemon into the database: coarse_to_fine opens
# each round after the previous one ends, narrows the ranges (recorded in
# `rounds`) and samples inside them; grid and sobol sweeps run their points.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/zoom.json" <<'JSON'
{ "name": "zoom", "trials": 24, "seed": 4, "task": "narrow", "search": "coarse_to_fine",
  "rounds": 3, "keep": 0.25, "shrink": 0.5,
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 2},
  "params": { "lr": {"log": [1e-5, 1]}, "beta": {"reverse_log": [0.5, 0.999]} } }
JSON
cat >"$TMP/grid.json" <<'JSON'
{ "name": "grid", "search": "grid", "points": 5, "seed": 1, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"}, "train": {"epochs": 1},
  "params": { "lr": {"log": [1e-4, 1]}, "eps": {"log": [1e-10, 1e-6]} } }
JSON
sed -e 's/"name": "grid", "search": "grid", "points": 5,/"name": "sobol", "search": "sobol", "trials": 16,/' "$TMP/grid.json" >"$TMP/sobol.json"

start_daemon --slots 2
zoom=$("$CAVIAR" submit "$TMP/zoom.json")
grid=$("$CAVIAR" submit "$TMP/grid.json")
sobol=$("$CAVIAR" submit "$TMP/sobol.json")
"$CAVIAR" wait "$zoom" >/dev/null && "$CAVIAR" wait "$grid" >/dev/null && "$CAVIAR" wait "$sobol" >/dev/null
check "all three sweeps finished" "$(sql "SELECT group_concat(status) FROM sweeps")" "done,done,done"

check "coarse_to_fine: three rounds recorded" "$(sql "SELECT count(*) FROM rounds WHERE sweep_id = $zoom")" 3
check "coarse_to_fine: 8 trials per round" \
	"$(sql "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM trials WHERE sweep_id = $zoom GROUP BY round ORDER BY round)")" "8,8,8"
width="log10(json_extract(ranges, '\$.lr.log[1]')) - log10(json_extract(ranges, '\$.lr.log[0]'))"
check "coarse_to_fine: the lr range halves each round (in decades)" \
	"$(sql "SELECT group_concat(printf('%.2f', $width)) FROM rounds WHERE sweep_id = $zoom ORDER BY round")" "5.00,2.50,1.25"
check "coarse_to_fine: every trial inside its round's range" \
	"$(sql "SELECT count(*) FROM trials t JOIN rounds r ON r.sweep_id = t.sweep_id AND r.round = t.round
	        WHERE t.sweep_id = $zoom AND (json_extract(t.params, '\$.lr') < json_extract(r.ranges, '\$.lr.log[0]')
	                                    OR json_extract(t.params, '\$.lr') > json_extract(r.ranges, '\$.lr.log[1]'))")" 0
check_true "coarse_to_fine: the last round is better on average than the first" \
	test "$(sql "SELECT (SELECT avg(best_value) FROM trials WHERE sweep_id = $zoom AND round = 2) < (SELECT avg(best_value) FROM trials WHERE sweep_id = $zoom AND round = 0)")" = 1

check "grid: 25 trials" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $grid")" 25
check "grid: 5 distinct learning rates" "$(sql "SELECT count(DISTINCT json_extract(params, '\$.lr')) FROM trials WHERE sweep_id = $grid")" 5
check "sobol: 16 distinct learning rates" "$(sql "SELECT count(DISTINCT json_extract(params, '\$.lr')) FROM trials WHERE sweep_id = $sobol")" 16
stop_daemon
finish
