#!/usr/bin/env bash
# Searches nsga2 and tpe through the daemon on command trials over two
# objectives: f1 = x and f2 = 1 - x + 2y (the front is y = 0 across x). Every
# trial is recorded, and the later trials sit near the front across x, which
# nsga2 over f1 alone (x to 0, y left anywhere) does not reach: a check that
# fails if the daemon fed the search only the first objective. One slot, so
# each trial is proposed after the previous one ended: deterministic.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/bi.sh" <<'SH'
awk -v x="$1" -v y="$2" 'BEGIN { printf "{\"epoch\": 1, \"f1\": %.9f, \"f2\": %.9f}\n", x, 1 - x + 2 * y }'
SH
spec() { # name, search and its options, objectives
	printf '{"name": "%s", "trials": 60, "seed": 7, "search": %s,
	  "command": ["sh", "bi.sh", "{x}", "{y}"], %s,
	  "params": {"x": {"uniform": [0, 1]}, "y": {"uniform": [0, 1]}}}\n' "$1" "$2" "$3" >"$TMP/$1.json"
}
both='"objectives": [{"metric": "f1", "mode": "min"}, {"metric": "f2", "mode": "min"}]'
nsga2='"nsga2", "nsga2": {"population": 10}'
spec both "$nsga2" "$both"
spec one "$nsga2" '"objective": {"metric": "f1", "mode": "min"}'
spec tpe '"tpe"' "$both"

start_daemon --slots 1
both=$("$CAVIAR" submit "$TMP/both.json")
one=$("$CAVIAR" submit "$TMP/one.json")
tpe=$("$CAVIAR" submit "$TMP/tpe.json")
"$CAVIAR" wait "$both" >/dev/null && "$CAVIAR" wait "$one" >/dev/null && "$CAVIAR" wait "$tpe" >/dev/null
check "the three sweeps finished" "$(sql "SELECT group_concat(status) FROM sweeps")" "done,done,done"
check "every trial recorded done" \
	"$(sql "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM trials WHERE status = 'done' GROUP BY sweep_id ORDER BY sweep_id)")" "60,60,60"
check "bred trials say why" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $both AND number >= 10 AND json_extract(suggestion, '\$.generation') >= 1")" 50
# Trials of the last three generations near the front (y < 0.1) with x past 0.4.
near() { sql "SELECT count(*) FROM trials WHERE sweep_id = $1 AND number >= 30
	      AND json_extract(params, '\$.y') < 0.1 AND json_extract(params, '\$.x') > 0.4"; }
spread() { sql "SELECT printf('%.2f', max(json_extract(params, '\$.x')) - min(json_extract(params, '\$.x')))
	        FROM trials WHERE sweep_id = $1 AND number >= 30 AND json_extract(params, '\$.y') < 0.1"; }
echo "near the front past x 0.4: nsga2 $(near "$both"), nsga2 on f1 $(near "$one"), tpe $(near "$tpe");" \
	"x spread there: $(spread "$both"), $(spread "$one"), $(spread "$tpe")"
check_true "nsga2, two objectives: the front reached across x" test "$(near "$both")" -ge 8
check_true "nsga2, one objective: not there" test "$(near "$one")" -le 2
check_true "tpe, two objectives: the front reached across x" test "$(near "$tpe")" -ge 8

# tpe over two objectives and a constraint, kill -9'd mid-sweep and restarted:
# the history is rebuilt with every goal of every ended trial (goal_values),
# so the trials proposed after the restart are exactly those of the same
# sweep run without a restart (one slot: each proposed once the one before
# ended, from the same history). The 16th trial to start holds until the
# daemon is gone, so the kill always comes mid-sweep.
cat >"$TMP/tri.sh" <<'SH'
awk -v x="$1" -v y="$2" 'BEGIN { printf "{\"epoch\": 1, \"f1\": %.9f, \"f2\": %.9f, \"c\": %.9f}\n", x, 1 - x + 2 * y, x + y }'
SH
cat >"$TMP/held.sh" <<SH
n=\$(cat "$TMP/starts" 2>/dev/null || echo 0); echo \$((n + 1)) >"$TMP/starts"
if [ "\$n" = 15 ]; then
	touch "$TMP/held"
	while [ ! -e "$TMP/release" ] && [ -e "$TMP/starts" ]; do sleep 0.05; done
fi
exec sh "$TMP/tri.sh" "\$@"
SH
mo3() { # name, script
	printf '{"name": "%s", "trials": 24, "seed": 5, "search": "tpe",
	  "command": ["sh", "%s", "{x}", "{y}"], %s, "constraints": [{"metric": "c", "max": 1.2}],
	  "params": {"x": {"uniform": [0, 1]}, "y": {"uniform": [0, 1]}}}\n' "$1" "$2" "$both" >"$TMP/$1.json"
}
both='"objectives": [{"metric": "f1", "mode": "min"}, {"metric": "f2", "mode": "min"}]'
mo3 restarted held.sh
mo3 straight tri.sh
rs=$("$CAVIAR" submit "$TMP/restarted.json")
held() { test -e "$TMP/held" && test "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $rs AND status = 'done'")" = 15; }
until_true "the 16th trial holds, the 15 before it recorded done" held
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
touch "$TMP/release"
ended=$(sql "SELECT count(*) FROM trials WHERE sweep_id = $rs AND status = 'done'")
last_id=$(sql "SELECT max(id) FROM trials WHERE sweep_id = $rs")
check "tpe restart: the kill came with 15 trials done" "$ended" 15
start_daemon --slots 1
"$CAVIAR" wait "$rs" >/dev/null
st=$("$CAVIAR" submit "$TMP/straight.json")
"$CAVIAR" wait "$st" >/dev/null
check_tpe_restart "$rs" 24 "$ended" "$last_id"
params() { sql "SELECT group_concat(params, ' ') FROM (SELECT params FROM trials WHERE sweep_id = $1 ORDER BY number)"; }
check "tpe restart: every trial's params are those of the sweep run without a restart" \
	"$(params "$rs")" "$(params "$st")"
stop_daemon
finish
