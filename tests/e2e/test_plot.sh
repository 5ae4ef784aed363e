#!/usr/bin/env bash
# caviar plot: real SVG and PNG files drawn with cairo, one curve per trial
# (the best K in colour, the rest grey), one panel per numeric parameter on
# its own scale; --json reports what was drawn; the error paths.
. "$(dirname "$0")/lib.sh"


cat >"$TMP/bowl.json" <<'JSON'
{ "name": "bowl", "trials": 7, "seed": 9, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 4, "epoch_ms": 10},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.9, 0.999]},
              "eps": {"log": [1e-9, 1e-6]}, "batch": {"choice": [32, 64, 128]},
              "optimizer": {"choice": ["adam", "momentum"]}, "l2": 0 } }
JSON
start_daemon --slots 4
id=$("$CAVIAR" submit "$TMP/bowl.json")
"$CAVIAR" wait "$id" >/dev/null
trials=$(sql "SELECT count(DISTINCT trial_id) FROM curves WHERE sweep_id = $id AND metric = 'val_loss'")
check "every trial has a curve" "$trials" 7

"$CAVIAR" plot "$id" -o "$TMP/sweep.svg" --json >"$TMP/svg.json"
check "plot --json: what was drawn" "$(python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["format"], d["metric"], d["curves"], d["highlighted"],
      [(p["param"], p["scale"], p["points"]) for p in d["panels"]])' <"$TMP/svg.json")" \
	"svg val_loss $trials 5 [('lr', 'log', 7), ('beta', 'reverse_log', 7), ('eps', 'log', 7), ('batch', 'choice', 7), ('optimizer', 'choice', 7)]"
check "the SVG is an SVG" "$(head -c 5 "$TMP/sweep.svg")" "<?xml"
check_true "file(1) agrees" grep -q "SVG" <<<"$(file "$TMP/sweep.svg")"
check_true "the SVG is not empty ($(stat -c %s "$TMP/sweep.svg") bytes)" test "$(stat -c %s "$TMP/sweep.svg")" -gt 20000
# Curves as drawn: the others faint grey, each of the best 5 in its colour (curve and legend).
check "grey curves in the SVG" "$(grep -c 'stroke:rgb(55%,55%,55%);stroke-opacity:0.35' "$TMP/sweep.svg")" 2
check "the best trial's colour: its curve and its legend" "$(grep -c 'stroke:rgb(12.2%,46.7%,70.6%)' "$TMP/sweep.svg")" 2
check "the 5th best's colour" "$(grep -c 'stroke:rgb(58%,40.4%,74.1%)' "$TMP/sweep.svg")" 2

out=$("$CAVIAR" plot "$id" -o "$TMP/sweep.png" -k 2)
check "plot: one line saying what it wrote" "$out" "wrote $TMP/sweep.png: $trials curves (best 2 in colour, 0 pruned), 5 parameter panels"
check "the PNG has the PNG magic" "$(head -c 8 "$TMP/sweep.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a"
check_true "file(1): a 1200x640 PNG" grep -q "PNG image data, 1200 x 640" <<<"$(file "$TMP/sweep.png")"
check_true "the PNG is not empty ($(stat -c %s "$TMP/sweep.png") bytes)" test "$(stat -c %s "$TMP/sweep.png")" -gt 20000
check "-k larger than the trials" "$("$CAVIAR" plot "$id" -o "$TMP/all.svg" -k 50 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["curves"], d["highlighted"])')" "7 7"
check "grey curves with every trial highlighted" "$(grep -c 'stroke-opacity:0.35' "$TMP/all.svg")" 0

# A sweep with pruned trials, an int and a choice parameter.
cat >"$TMP/pruned.json" <<'JSON'
{ "name": "pruned", "trials": 16, "seed": 4, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 9, "epoch_ms": 5},
  "early_stop": {"kind": "asha", "min_epochs": 1, "eta": 3},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "layers": {"int": [1, 4]},
              "batch": {"choice": [32, 64, 128, 256]} } }
JSON
pr=$("$CAVIAR" submit "$TMP/pruned.json")
"$CAVIAR" wait "$pr" >/dev/null
pruned=$(sql "SELECT count(*) FROM trials WHERE sweep_id = $pr AND status = 'pruned'")
check_true "the sweep has pruned trials ($pruned)" test "$pruned" -gt 0
"$CAVIAR" plot "$pr" -o "$TMP/pruned.svg" --json >"$TMP/pruned.json.out"
check "plot: every trial's curve drawn, the pruned ones too" "$(python3 -c '
import json, sys; d = json.load(sys.stdin); print(d["curves"], d["pruned"])' <"$TMP/pruned.json.out")" "16 $pruned"
# Dashed: each pruned trial's curve (a one-epoch curve is a dot) and its
# legend sample, so the legend reads as the curves do.
pruned_lines=$(sql "SELECT count(*) FROM trials WHERE sweep_id = $pr AND status = 'pruned' AND epochs > 1")
pruned_in_legend() { python3 -c '
import json, sys
print(sum(", pruned" in e["text"] for e in json.load(sys.stdin)["legend"]["entries"]))' <"$1"; }
check "plot: the pruned trials' curves are dashed, and their legend samples" \
	"$(grep -c 'stroke-dasharray' "$TMP/pruned.svg")" \
	"$((pruned_lines + $(pruned_in_legend "$TMP/pruned.json.out")))"

check "plot: the title names the sweep" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["title"])' <"$TMP/pruned.json.out")" \
	"sweep $pr \"pruned\": val_loss (lower is better), 16 trials"
check "plot: the legend's ranks are caviar top's" "$(python3 -c '
import json, sys
print(" ".join("%d:%d" % (e["rank"], e["trial_id"]) for e in json.load(sys.stdin)["legend"]["entries"]))' <"$TMP/pruned.json.out")" \
	"$("$CAVIAR" top "$pr" -n 5 | awk 'NR > 2 {printf "%s%s:%s", (NR > 3 ? " " : ""), $1, $2}')"
check "plot: the legend covers none of the curves" "$(python3 -c '
import json, sys; print(json.load(sys.stdin)["legend"]["covers"])' <"$TMP/pruned.json.out")" 0
check "plot: integer ticks for epochs and an int parameter, a slot per choice" "$(python3 -c '
import json, sys
d = json.load(sys.stdin)
p = {x["param"]: x for x in d["panels"]}
print(all(t.isdigit() for t in d["epoch_ticks"]), p["layers"]["scale"], p["layers"]["ticks"],
      p["batch"]["scale"], p["batch"]["ticks"])' <"$TMP/pruned.json.out")" \
	"True int ['1', '2', '3', '4'] choice ['32', '64', '128', '256']"

# Errors.
expect 2 "^caviar: plot: missing -o FILE.svg or -o FILE.png" "$CAVIAR" plot "$id"
expect 2 "^caviar: plot: -o $TMP/x.pdf: the file name must end in .svg or .png" "$CAVIAR" plot "$id" -o "$TMP/x.pdf"
expect 2 "^caviar: plot: -k: expected a positive number" "$CAVIAR" plot "$id" -o "$TMP/x.svg" -k 0
expect 2 "^caviar: plot: missing argument" "$CAVIAR" plot -o "$TMP/x.svg"
expect 2 "^caviar: plot: x: expected a sweep id" "$CAVIAR" plot x -o "$TMP/x.svg"
expect 1 "^caviar: plot: no sweep 42$" "$CAVIAR" plot 42 -o "$TMP/x.svg"
check_true "... and writes no file" test ! -e "$TMP/x.svg"
expect 1 "^caviar: plot: $TMP/no/such/dir.svg: No such file or directory" "$CAVIAR" plot "$id" -o "$TMP/no/such/dir.svg"
mkdir "$TMP/dir.png"
expect 1 "^caviar: plot: $TMP/dir.png: Is a directory" "$CAVIAR" plot "$id" -o "$TMP/dir.png"
ln -s /dev/full "$TMP/full.png"
expect 1 "^caviar: plot: $TMP/full.png: .*(space|error)" "$CAVIAR" plot "$id" -o "$TMP/full.png"
stop_daemon
# The best trial recorded pruned (as ASHA leaves a trial it stopped late): its
# legend entry says so and its sample is dashed, as its curve is.
best=$(sql "SELECT trial_id FROM leaderboard WHERE sweep_id = $id AND rank = 1")
sql "UPDATE trials SET status = 'pruned' WHERE id = $best"
"$CAVIAR" plot "$id" --db "$DB" -k 3 -o "$TMP/best-pruned.svg" --json >"$TMP/best-pruned.json"
check "plot: a pruned best trial's legend entry" "$(python3 -c '
import json, sys; print(json.load(sys.stdin)["legend"]["entries"][0]["text"].endswith(", pruned"))' \
	<"$TMP/best-pruned.json")" True
check "plot: its curve and its legend sample dashed, nothing else" \
	"$(grep -c 'stroke-dasharray' "$TMP/best-pruned.svg")" 2
check "plot --db without a daemon" "$("$CAVIAR" plot "$id" --db "$DB" -o "$TMP/db.svg" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["curves"])')" 7
finish
