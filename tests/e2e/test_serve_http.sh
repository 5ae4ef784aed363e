#!/usr/bin/env bash
# caviar serve over plain HTTP (serve_http_check.py): the token and its
# cookie, the same-origin check on actions, bad requests answered 4xx, slow
# clients (idle connections, a subscriber that reads nothing); the
# command's own errors (--port, --no-token on a non-loopback host, a port in
# use); and serve without a daemon (it reads --db, says live events are off,
# and subscribes once a daemon starts, and again after it restarted).
. "$(dirname "$0")/lib.sh"

SERVE_PID=
cleanup_extra() { [ -z "$SERVE_PID" ] || kill "$SERVE_PID" 2>/dev/null; }

# serve_start ARGS...: starts caviar serve, sets URL once it printed it (on
# a busy machine that takes seconds); a serve that exits instead fails.
serve_start() {
	# emptied here, not by the & job's redirection: that may come after the
	# loop below read the last serve's URL
	: >"$TMP/serve.out"; : >"$TMP/serve.err"
	"$CAVIAR" serve --port 0 "$@" >>"$TMP/serve.out" 2>>"$TMP/serve.err" &
	SERVE_PID=$!
	for _ in $(seq 1200); do
		grep -q 'dashboard is at' "$TMP/serve.out" && break
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	URL=$(grep -o 'http://[^ ]*' "$TMP/serve.out" | head -1)
	if [ -z "$URL" ]; then # how it ended, if it did, says why
		kill -0 "$SERVE_PID" 2>/dev/null || { wait "$SERVE_PID"; echo "caviar serve exited $?"; }
		fail "caviar serve $* printed no URL: $(cat "$TMP/serve.err")"; finish
	fi
}

serve_stop() {
	kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; local rc=$?
	SERVE_PID=
	check "serve exits 0 on SIGTERM" "$rc" 0
}

cat >"$TMP/bowl.json" <<'JSON'
{ "name": "http", "trials": 2, "seed": 1, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"}, "train": {"epochs": 3},
  "params": { "lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.5, 0.999]} } }
JSON

expect 2 "option --port: expected 0 to 65535, got 'http'" "$CAVIAR" serve --port http
expect 2 "--host 0.0.0.0 is reachable from other machines: it needs the token" \
	"$CAVIAR" serve --host 0.0.0.0 --no-token
expect 3 "no daemon is running" "$CAVIAR" serve --port 0

start_daemon --slots 2
sweep=$("$CAVIAR" submit "$TMP/bowl.json")
"$CAVIAR" wait "$sweep" >/dev/null
serve_start
# its memory may grow more under AddressSanitizer (quarantine), not its fds
rss_slack_kb=4096; grep -qa __asan_init "$CAVIAR" && rss_slack_kb=65536
/usr/bin/python3 "$(dirname "$0")/serve_http_check.py" "$URL" "$SERVE_PID" "$rss_slack_kb" ||
	fail "the HTTP checks"
check "serve said nothing on stderr" "$(cat "$TMP/serve.err")" ""
port=${URL#http://127.0.0.1:}; port=${port%%/*}
expect 1 "cannot listen on 127.0.0.1 port $port" "$CAVIAR" serve --port "$port"
serve_stop
stop_daemon

# An adjust waits for the trial's answer (up to caviard's --answer-wait), and
# the dashboard goes on meanwhile: a trial that never reads its stdin holds
# its adjust for the whole wait while another page's request is answered at once.
cat >"$TMP/silent.py" <<'PY'
import json, time
print(json.dumps({"epoch": 1, "val_loss": 1.0}), flush=True)
time.sleep(30)
PY
cat >"$TMP/silent.json" <<JSON
{"name": "silent", "trials": 1, "command": ["python3", "$TMP/silent.py"],
 "objective": {"metric": "val_loss", "mode": "min"}, "params": {"lr": {"log": [0.01, 1]}}}
JSON
start_daemon --slots 1 --answer-wait 4
silent=$("$CAVIAR" submit "$TMP/silent.json")
for _ in $(seq 200); do
	[ "$(sql "SELECT epochs FROM trials WHERE sweep_id = $silent")" = 1 ] && break
	sleep 0.05
done
trial=$(sql "SELECT id FROM trials WHERE sweep_id = $silent")
serve_start
/usr/bin/python3 - "$URL" "$trial" >"$TMP/wait.out" <<'PY'
import json, sys, threading, time, urllib.error, urllib.parse, urllib.request
url, trial = sys.argv[1], sys.argv[2]
base = url.split("?")[0]
token = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["token"][0]
host = urllib.parse.urlparse(url).netloc
headers = {"Cookie": "caviar_token_%s=%s" % (host.rsplit(":", 1)[1], token),
           "Origin": "http://" + host, "Content-Type": "application/json"}
got = {}
def adjust():
    t0 = time.monotonic()
    rq = urllib.request.Request(base + "api/trial/%s/adjust" % trial, method="POST",
                                headers=headers, data=b'{"set": {"lr": 0.5}}')
    try:
        urllib.request.urlopen(rq, timeout=20)
        got["adjust"] = 200
    except urllib.error.HTTPError as e:
        got["adjust"] = e.code
        got["error"] = json.loads(e.read())["error"]
    got["adjust_s"] = time.monotonic() - t0
th = threading.Thread(target=adjust)
th.start()
time.sleep(1)
t0 = time.monotonic()
urllib.request.urlopen(urllib.request.Request(base + "api/sweeps", headers=headers), timeout=20).read()
sweeps_s = time.monotonic() - t0
th.join()
print("adjust", got["adjust"], "after %.1f s;" % got["adjust_s"], got.get("error"))
print("sweeps answered in %.2f s while the adjust waited" % sweeps_s)
print("ok" if got["adjust"] == 409 and got["adjust_s"] >= 3 and sweeps_s < 1.5 else "FAIL")
PY
cat "$TMP/wait.out"
check "while an adjust waits for a silent trial, another request is answered at once" \
	"$(tail -1 "$TMP/wait.out")" ok
"$CAVIAR" cancel "$silent" >/dev/null
serve_stop
stop_daemon

# Without a daemon: the database still reads, the event stream says so.
serve_start --db "$DB" --no-token
check "--no-token prints the URL without one" "$(grep -c '/?token=' "$TMP/serve.out")" 0
py() { /usr/bin/python3 -c "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read(int(sys.argv[2])).decode())" "$@"; }
check "--db without a daemon reads the sweeps" "$(py "${URL}api/sweeps" 100000 | grep -c '"name":"http"')" 1
port=${URL##*:}; port=${port%/}
host_status() { /usr/bin/python3 -c "import sys, http.client as h; c = h.HTTPConnection('127.0.0.1', int(sys.argv[1])); c.request('GET', '/api/sweeps', headers={'Host': sys.argv[2]}); print(c.getresponse().status)" "$port" "$1"; }
check "without a token, a Host that is not loopback is refused (DNS rebinding)" \
	"$(host_status "evil.example:$port")" 403
check "without a token, Host localhost is served" "$(host_status "localhost:$port")" 200
events() { /usr/bin/python3 -c "import sys, urllib.request; r = urllib.request.urlopen(sys.argv[1], timeout=5); print(next(l for l in iter(r.readline, b'') if l.startswith(b'data:')).decode())" "$1"; }
check "the event stream says no daemon is live" \
	"$(events "${URL}api/events")" 'data: {"event": "daemon", "connected": false}'

# A daemon that starts later is found (serve tries every 2 s), and its events
# reach an open stream: the start of a sweep submitted then.
live_reader() { # OUT: reads the event stream, prints "live", then "sweep_started"
	/usr/bin/python3 -c "
import sys, urllib.request
r = urllib.request.urlopen(sys.argv[1], timeout=20)
for line in iter(r.readline, b''):
    if b'\"event\": \"daemon\", \"connected\": true' in line:
        print('live', flush=True)
    if b'sweep_started' in line:
        print('sweep_started', flush=True)
        break
" "${URL}api/events" >"$1" 2>&1 &
	reader=$!
}
wait_live() { # OUT
	for _ in $(seq 600); do # serve tries every 2 s, slower on a busy machine
		grep -q live "$1" && break
		kill -0 "$reader" 2>/dev/null || break
		sleep 0.1
	done
}
live_reader "$TMP/live.out"
start_daemon --slots 1
wait_live "$TMP/live.out"
check "once a daemon starts, the stream says events are live" "$(cat "$TMP/live.out")" live
"$CAVIAR" submit "$TMP/bowl.json" >/dev/null
wait "$reader"
check "and relays its events" "$(tail -1 "$TMP/live.out")" sweep_started
stop_daemon
check "the daemon gone, serve still reads the database" \
	"$(py "${URL}api/sweeps" 100000 | grep -c '"sweep_id":2')" 1
# caviard restarting under a running serve: found again, its events relayed.
start_daemon --slots 1
live_reader "$TMP/again.out"
wait_live "$TMP/again.out"
check "caviard started again: the stream says events are live" "$(cat "$TMP/again.out")" live
"$CAVIAR" submit "$TMP/bowl.json" >/dev/null
wait "$reader"
check "and relays the new daemon's events" "$(tail -1 "$TMP/again.out")" sweep_started
stop_daemon
serve_stop
check "serve said nothing on stderr, through the daemon's coming and going" \
	"$(cat "$TMP/serve.err")" ""
[ "$FAILS" -eq 0 ] || exit 1
