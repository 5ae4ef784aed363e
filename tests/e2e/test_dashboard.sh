#!/usr/bin/env bash
# caviar serve in a real browser (headless Chromium, dashboard_browser.py)
# against a real daemon running a synthetic sweep: the sweeps page lists it,
# its curves grow live without a reload, the trial and comparison pages load,
# a running trial is adjusted from its page (and a refusal shown), a
# finished one forked; a pbt sweep's page draws its best trial's lineage and
# a fork's page its own; Cancel from the page stops the sweep; the console
# stays clean. A max sweep's leaderboard is best first and sorts by the column
# clicked; every label names trials by id; a trial held between epochs (a
# command that reports epoch E once the test made $TMP/step/go-E) has its
# leaderboard row and its page's header follow each epoch without a reload.
# The optimization history, slice and contour panels show what the database
# holds, each parameter on its own scale; notes typed on the sweep and trial
# pages are saved through the daemon (and read back by caviar ls and show).
# The Pareto panel of sweeps of two and three objectives draws the ranks the
# database holds, and follows trials' ends.
# Screenshots of each page go to build/screenshots/ (README's
# come from there). Skips only when Chromium, its driver or selenium is not
# installed (CI installs them).
. "$(dirname "$0")/lib.sh"

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] ||
	! /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
	echo "SKIP: chromium, chromium-driver or python3-selenium is not installed"
	exit 77
fi
SHOTS=${BUILD_ROOT:-$TMP}/screenshots
mkdir -p "$SHOTS"
SERVE_PID=
cleanup_extra() { [ -z "$SERVE_PID" ] || kill "$SERVE_PID" 2>/dev/null; }

cat >"$TMP/quick.json" <<'JSON'
{ "name": "dash-quick", "trials": 16, "seed": 5, "task": "bowl", "keep_checkpoints": "all",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 12, "epoch_ms": 10},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.5, 0.999]} } }
JSON
sed -e 's/"dash-quick"/"dash-live"/' -e 's/"trials": 16/"trials": 6/' \
	-e 's/"epochs": 12, "epoch_ms": 10/"epochs": 60, "epoch_ms": 400/' \
	"$TMP/quick.json" >"$TMP/live.json"

cat >"$TMP/pbt.json" <<'JSON'
{ "name": "dash-pbt", "seed": 4, "task": "drift", "search": "pbt",
  "pbt": {"population": 4, "interval": 2, "generations": 4, "quantile": 0.5,
          "perturb": [0.5, 2.0]},
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 10, "epoch_ms": 30},
  "params": { "lr": {"log": [1e-4, 1e-1]} } }
JSON

# dash-max: a command trial whose score rises to {x} by epoch 4 (x distinct:
# no ties), and whose losses fall.
cat >"$TMP/score.sh" <<'SH'
#!/bin/sh
for e in 1 2 3 4; do
	awk -v x="$1" -v e="$e" 'BEGIN { printf "{\"epoch\": %d, \"score\": %.6f, \"train_loss\": %.6f, \"val_loss\": %.6f}\n", e, x * e / 4, 2 / e, 2.5 / e + x / 10 }'
done
SH
# dash-step: reports epoch E only once $1/go-E exists (the browser test makes
# it), so the page is watched between two epochs it knows are coming.
cat >"$TMP/step.sh" <<'SH'
#!/bin/sh
e=0
for s in 0.2 0.5 0.4 0.7 0.6 0.65; do
	e=$((e + 1))
	while [ ! -e "$1/go-$e" ]; do sleep 0.05; done
	echo "{\"epoch\": $e, \"score\": $s, \"train_loss\": $((10 - e)), \"val_loss\": $((12 - e))}"
done
SH
chmod +x "$TMP/score.sh" "$TMP/step.sh"
mkdir "$TMP/step"
cat >"$TMP/max.json" <<JSON
{ "name": "dash-max", "trials": 8, "seed": 3, "command": ["$TMP/score.sh", "{x}"],
  "objective": {"metric": "score", "mode": "max"},
  "params": { "x": {"uniform": [0.1, 0.9]}, "k": {"choice": ["a", "b", "c"]},
              "n": {"int": [1, 5]} } }
JSON
sed -e 's/"dash-max", "trials": 8/"dash-step", "trials": 1/' -e 's|score.sh", "{x}"|step.sh", "'"$TMP/step"'"|' \
	"$TMP/max.json" >"$TMP/step.json"

# dash-mo2: two objectives and a constraint (some trials break it), its
# trials held until $TMP/mo-go exists (the browser test makes it once the
# page is open: the panel then follows their ends); dash-mo3: three.
cat >"$TMP/mo.sh" <<'SH'
#!/bin/sh
while [ -n "$4" ] && [ ! -e "$4" ]; do sleep 0.05; done
awk -v x="$1" -v y="$2" -v z="$3" 'BEGIN { printf "{\"epoch\": 1, \"f1\": %.6f, \"f2\": %.6f, \"f3\": %.6f, \"c\": %.6f}\n", x, 1 - sqrt(x) + y, x + y - z, x + y }'
SH
chmod +x "$TMP/mo.sh"
cat >"$TMP/mo2.json" <<JSON
{ "name": "dash-mo2", "trials": 16, "seed": 11, "command": ["$TMP/mo.sh", "{x}", "{y}", "0", "$TMP/mo-go"],
  "objectives": [{"metric": "f1", "mode": "min"}, {"metric": "f2", "mode": "min"}],
  "constraints": [{"metric": "c", "max": 1.2}],
  "params": { "x": {"uniform": [0, 1]}, "y": {"uniform": [0, 1]} } }
JSON
cat >"$TMP/mo3.json" <<JSON
{ "name": "dash-mo3", "trials": 20, "seed": 12, "command": ["$TMP/mo.sh", "{x}", "{y}", "{z}"],
  "objectives": [{"metric": "f1", "mode": "min"}, {"metric": "f2", "mode": "min"},
                 {"metric": "f3", "mode": "max"}],
  "params": { "x": {"uniform": [0, 1]}, "y": {"uniform": [0, 1]}, "z": {"uniform": [0, 1]} } }
JSON

start_daemon --slots 5
quick=$("$CAVIAR" submit "$TMP/quick.json")
pbt=$("$CAVIAR" submit "$TMP/pbt.json")
max=$("$CAVIAR" submit "$TMP/max.json")
step=$("$CAVIAR" submit "$TMP/step.json")
"$CAVIAR" wait "$quick" >/dev/null
"$CAVIAR" wait "$pbt" >/dev/null
"$CAVIAR" wait "$max" >/dev/null
check "the max sweep's trials are done" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $max AND status = 'done'")" 8
check "a finished sweep to compare with" "$quick" 1
check_true "the pbt sweep forked members" \
	test "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $pbt AND parent_trial_id > 0")" -ge 1
# Its best trial, and its trial of the longest chain of forks: "id|trials in
# the chain" (itself and its ancestors) of each, and the epochs of the
# deepest one's curve along the chain.
chain_sql="WITH RECURSIVE c(id, top, n) AS (SELECT id, id, 1 FROM trials WHERE sweep_id = $pbt
	UNION ALL SELECT t.parent_trial_id, c.top, c.n + 1 FROM trials t JOIN c ON t.id = c.id
	WHERE t.parent_trial_id IS NOT NULL) SELECT top, max(n) FROM c"
best=$(sql "$chain_sql WHERE top = (SELECT trial_id FROM leaderboard WHERE sweep_id = $pbt
	ORDER BY rank LIMIT 1) GROUP BY top")
deep=$(sql "$chain_sql GROUP BY top ORDER BY max(n) DESC, top LIMIT 1")
deep="$deep|$(sql "SELECT count(DISTINCT epoch) FROM lineage_points
	WHERE trial_id = ${deep%|*} AND metric = 'val_loss'")"
mo3=$("$CAVIAR" submit "$TMP/mo3.json")
"$CAVIAR" wait "$mo3" >/dev/null
mo2=$("$CAVIAR" submit "$TMP/mo2.json")
live=$("$CAVIAR" submit "$TMP/live.json")

"$CAVIAR" serve --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
for _ in $(seq 1200); do # seconds on a busy machine; a serve that exits fails below
	grep -qs token= "$TMP/serve.out" && break
	kill -0 "$SERVE_PID" 2>/dev/null || break
	sleep 0.05
done
url=$(grep -o 'http://[^ ]*token=[0-9a-f]*' "$TMP/serve.out")
port=${url#http://127.0.0.1:}; port=${port%%/*}
check "serve prints the URL to open, with its token" "$(grep -c '^caviar: serve: the dashboard is at http://127.0.0.1:[0-9]*/?token=[0-9a-f]\{32\}$' "$TMP/serve.out")" 1
token_file=$(dirname "$SOCK")/serve-$port.token
check "the token is kept beside the socket, mode 600" "$(stat -c %a "$token_file")" 600
check "the file holds the URL's token" "$(cat "$token_file")" "${url##*token=}"

start=$(date +%s)
/usr/bin/python3 "$(dirname "$0")/dashboard_browser.py" live "$url" "$SHOTS" "$live" "$quick" \
	"$pbt" "$best" "$deep" "$max" "$step" "$TMP/step" "$DB" "$mo2,$mo3,$TMP/mo-go" ||
	fail "the browser test"
echo "browser test: $(($(date +%s) - start)) s"

noted=$(sql "SELECT id FROM trials WHERE note IS NOT NULL")
check "the trial note typed on the page is caviar show's" \
	"$("$CAVIAR" show "$noted" | grep -A1 '^note:')" "note:     the best one
          keep its lr"
check_true "and the sweep's is caviar ls's" grep -q "lr above 0.01 diverges$" <<<"$("$CAVIAR" ls | grep "^$quick ")"
"$CAVIAR" wait "$live" >/dev/null
check "the adjustment made from the page is recorded, once, as the user's" \
	"$(sql "SELECT count(*), min(t.sweep_id) FROM adjustments a JOIN trials t ON t.id = a.trial_id
		WHERE a.name = 'lr' AND a.new_value = 0.0123 AND a.source = 'user'")" "1|$live"
check "the refused one is not" "$(sql "SELECT count(*) FROM adjustments WHERE name = 'beta'")" 0
"$CAVIAR" wait "$quick" >/dev/null
check "the fork made from the page is recorded: the best trial's, from epoch 6" \
	"$(sql "SELECT count(*), min(parent_trial_id = (SELECT trial_id FROM leaderboard
		WHERE sweep_id = $quick ORDER BY rank LIMIT 1)), min(parent_epoch)
		FROM trials WHERE sweep_id = $quick AND parent_trial_id IS NOT NULL")" "1|1|6"
for e in 1 2 3 4 5 6; do touch "$TMP/step/go-$e"; done # if the browser test stopped early
touch "$TMP/mo-go"
"$CAVIAR" wait "$step" >/dev/null
check "the held trial ran all 6 epochs" "$(sql "SELECT epochs, best_epoch FROM trials WHERE sweep_id = $step")" "6|4"
check "the sweep cancelled from the page is cancelled in the database" \
	"$(sql "SELECT status FROM sweeps WHERE id = $live")" cancelled
check "no trial of it still runs" "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $live AND status IN ('running', 'queued')")" 0

kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?
SERVE_PID=
check "serve exits 0 on SIGTERM" "$rc" 0
check "and removes its token file" "$([ -e "$token_file" ] && echo kept || echo removed)" removed
check "serve said nothing on stderr" "$(cat "$TMP/serve.err")" ""
stop_daemon
[ "$FAILS" -eq 0 ] || exit 1
