#!/usr/bin/env bash
# caviar importance: a synthetic sweep through the daemon whose objective
# depends on lr far more than on beta and not at all on eps (the "bowl" task:
# q = (L+2.5)^2 + (B+1.5)^2 + 0.001 (E+8)^2 with L, B, E the parameters in
# their own scales), an unranked choice that does nothing; --json ranks lr
# first and eps below both; the same seed gives the same output; --by-epoch;
# the figures; a pbt sweep's forks left out; the error paths.
. "$(dirname "$0")/lib.sh"

cat >"$TMP/bowl.json" <<'JSON'
{ "name": "bowl-importance", "trials": 60, "seed": 5, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 3},
  "params": { "lr": {"log": [1e-6, 1e-1]}, "beta": {"reverse_log": [0.5, 0.999]},
              "eps": {"log": [1e-9, 1e-7]}, "activation": {"choice": ["relu", "tanh"]} } }
JSON
start_daemon --slots 2
id=$("$CAVIAR" submit "$TMP/bowl.json")
"$CAVIAR" wait "$id" >/dev/null
"$CAVIAR" importance "$id" --json >"$TMP/imp.json"
check "importance --json: lr ranks first, eps below lr and beta" "$(python3 -c '
import json, sys
d = json.load(sys.stdin)
names = [p["name"] for p in d["params"]]
print(names[0], names.index("eps") > names.index("beta"), d["trials"], d["trees"],
      round(sum(p["share"] for p in d["params"]), 6), d["params"][0]["scale"], d["params"][0]["course_rank"])' <"$TMP/imp.json")" \
	"lr True 60 64 1.0 log 1"
check "importance: lr has most of the variance" "$(python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["params"][0]["share"] > 0.6)' <"$TMP/imp.json")" True
check "importance: at most 5 interactions, each a pair" "$(python3 -c '
import json, sys; d = json.load(sys.stdin); print(len(d["interactions"]), all(len(p["params"]) == 2 for p in d["interactions"]))' <"$TMP/imp.json")" "5 True"
check "importance: the same seed gives the same output" "$("$CAVIAR" importance "$id" --json | md5sum)" "$(md5sum <"$TMP/imp.json")"
out=$("$CAVIAR" importance "$id")
check "importance: a table, lr first" "$(sed -n 3p <<<"$out" | awk '{print $1, $2, $5, $6}')" "lr log 1 1"
check_true "importance: the header names the sweep" grep -q "^sweep $id \"bowl-importance\": what mattered for val_loss (60 trials; fANOVA, 64 trees, seed 0)" <<<"$out"
check "importance --by-epoch 1: every trial reached it" "$("$CAVIAR" importance "$id" --by-epoch 1 --trees 16 --json | python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["by_epoch"], d["trials"], d["trees"], d["params"][0]["name"])')" "1 60 16 lr"

# The figures.
for kind in importance parallel pair; do
	"$CAVIAR" plot "$id" -o "$TMP/$kind.png" --$kind --json >"$TMP/$kind.out"
	check_true "plot --$kind: a 1200x640 PNG" grep -q "PNG image data, 1200 x 640" <<<"$(file "$TMP/$kind.png")"
done
check "plot --importance: bars, largest first" "$(python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["kind"], len(d["params"]), d["params"][0]["param"])' <"$TMP/importance.out")" "importance 4 lr"
check "plot --parallel: a line per trial, an axis per parameter and the objective" "$(python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["lines"], [(a["param"], a["scale"]) for a in d["axes"]])' <"$TMP/parallel.out")" \
	"60 [('lr (log)', 'log'), ('1 - beta (log)', 'reverse_log'), ('eps (log)', 'log'), ('activation', 'choice'), ('val_loss', 'objective')]"
check "plot --pair: two parameters, every trial" "$(python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["kind"], len(d["params"]), d["points"])' <"$TMP/pair.out")" "pair 2 60"

# A pbt sweep: a fork inherits its parent's values (and weights), so only the
# first population's trials are independent draws; the forks are left out,
# and the output says so.
cat >"$TMP/pbt.json" <<'JSON'
{ "name": "bowl-pbt", "trials": 10, "seed": 3, "task": "bowl", "search": "pbt",
  "pbt": {"population": 4, "interval": 1},
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 4, "epoch_ms": 50},
  "params": { "lr": {"log": [1e-6, 1e-1]}, "beta": {"reverse_log": [0.5, 0.999]} } }
JSON
pbt=$("$CAVIAR" submit "$TMP/pbt.json")
"$CAVIAR" wait "$pbt" >/dev/null
forks=$(sql "SELECT count(*) FROM trials WHERE sweep_id = $pbt AND parent_trial_id IS NOT NULL")
check_true "the pbt sweep forked ($forks forks)" test "$forks" -gt 0
check "importance --json of a pbt sweep: the first population only, the forks counted" \
	"$("$CAVIAR" importance "$pbt" --json | python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["trials"], d["forks_left_out"])')" "4 $forks"
check "importance --json of a sweep without forks: none left out" \
	"$(python3 -c 'import json, sys; print(json.load(sys.stdin)["forks_left_out"])' <"$TMP/imp.json")" 0
check "importance of a pbt sweep says what it was computed over" \
	"$("$CAVIAR" importance "$pbt" | sed -n 2p)" \
	"computed over 4 independent trials; $forks fork$([ "$forks" = 1 ] || echo s) left out (a fork inherits its parent's values)"
check "plot --importance of a pbt sweep: the forks left out" "$("$CAVIAR" plot "$pbt" -o "$TMP/pbt.png" \
	--importance --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["forks_left_out"])')" "$forks"

# Errors.
expect 2 "^caviar: importance: missing argument" "$CAVIAR" importance
expect 2 "^caviar: importance: --trees: expected a positive number" "$CAVIAR" importance "$id" --trees 0
expect 2 "^caviar: importance: --by-epoch: expected a positive number" "$CAVIAR" importance "$id" --by-epoch x
expect 1 "^caviar: importance: no sweep 42$" "$CAVIAR" importance 42
expect 1 "^caviar: importance: sweep $id has 0 finished trials that reached that epoch: importance needs at least 2" \
	"$CAVIAR" importance "$id" --by-epoch 99
expect 2 "^caviar: plot: --importance, --parallel, --pair and --lineage exclude each other" "$CAVIAR" plot "$id" -o "$TMP/x.png" --pair --parallel
stop_daemon
check "importance --db without a daemon" "$("$CAVIAR" importance "$id" --db "$DB" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["params"][0]["name"])')" lr
finish
