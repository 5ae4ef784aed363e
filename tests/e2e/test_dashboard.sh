#!/usr/bin/env bash
# caviar serve in a real browser (headless Chromium, dashboard_browser.py)
# against a real daemon running a synthetic sweep: the sweeps page lists it,
# its curves grow live without a reload, the trial and comparison pages load,
# Cancel from the page stops the sweep, the console stays clean. Screenshots
# of each page go to build/screenshots/ (README's come from there). Skips only
# when Chromium, its driver or selenium is not installed (CI installs them).
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
{ "name": "dash-quick", "trials": 16, "seed": 5, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"},
  "train": {"epochs": 12, "epoch_ms": 10},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.5, 0.999]} } }
JSON
sed -e 's/"dash-quick"/"dash-live"/' -e 's/"trials": 16/"trials": 6/' \
	-e 's/"epochs": 12, "epoch_ms": 10/"epochs": 30, "epoch_ms": 400/' "$TMP/quick.json" >"$TMP/live.json"

start_daemon --slots 2
quick=$("$CAVIAR" submit "$TMP/quick.json")
"$CAVIAR" wait "$quick" >/dev/null
check "a finished sweep to compare with" "$quick" 1
live=$("$CAVIAR" submit "$TMP/live.json")

"$CAVIAR" serve --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
for _ in $(seq 100); do grep -qs token= "$TMP/serve.out" && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*token=[0-9a-f]*' "$TMP/serve.out")
port=${url#http://127.0.0.1:}; port=${port%%/*}
check "serve prints the URL to open, with its token" "$(grep -c '^caviar: serve: the dashboard is at http://127.0.0.1:[0-9]*/?token=[0-9a-f]\{32\}$' "$TMP/serve.out")" 1
token_file=$(dirname "$SOCK")/serve-$port.token
check "the token is kept beside the socket, mode 600" "$(stat -c %a "$token_file")" 600
check "the file holds the URL's token" "$(cat "$token_file")" "${url##*token=}"

start=$(date +%s)
/usr/bin/python3 "$(dirname "$0")/dashboard_browser.py" live "$url" "$SHOTS" "$live" "$quick" ||
	fail "the browser test"
echo "browser test: $(($(date +%s) - start)) s"

"$CAVIAR" wait "$live" >/dev/null
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
