# lib.sh: what every end-to-end test shares. Sourced by the test scripts, which
# meson runs with CAVIARD, CAVIAR, WORKER and FAKE_WORKER set to the built
# binaries. Each test gets its own temporary socket, database and cache, a
# daemon it starts with start_daemon, and a trap that stops it.
set -u

TMP=$(mktemp -d /tmp/caviar-e2e.XXXXXX)
SOCK=$TMP/caviard.sock
DB=$TMP/caviar.db
export CAVIAR_SOCKET=$SOCK CAVIAR_CACHE_DIR=$TMP/cache
export XDG_DATA_HOME=$TMP/data # the default database (never the user's own)
DAEMON_PID=
FAILS=0

# is_daemon PID: PID is still our caviard (PIDs are reused fast on a busy machine).
is_daemon() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = caviard ]; }

cleanup() {
	if [ -n "$DAEMON_PID" ] && is_daemon "$DAEMON_PID"; then
		kill -9 "$DAEMON_PID" 2>/dev/null
	fi
	if declare -F cleanup_extra >/dev/null; then
		cleanup_extra # a test's own (tearing down a Slurm cluster, say)
	fi
	if [ "$FAILS" -ne 0 ] && [ -f "$TMP/daemon.log" ]; then
		echo "--- daemon log ---"; tail -60 "$TMP/daemon.log"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# start_daemon [caviard options...]: starts caviard and waits until it answers
# (a stale socket file left by a killed daemon does not count).
start_daemon() {
	"$CAVIARD" --db "$DB" --socket "$SOCK" "$@" 2>>"$TMP/daemon.log" &
	DAEMON_PID=$!
	for _ in $(seq 200); do
		"$CAVIAR" status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "caviard did not start"; cat "$TMP/daemon.log"; exit 1
}

# stop_daemon: caviar shutdown, then wait for the process to exit 0.
stop_daemon() {
	if ! "$CAVIAR" shutdown >/dev/null; then
		fail "caviar shutdown failed"
		is_daemon "$DAEMON_PID" && kill -9 "$DAEMON_PID"
	fi
	wait "$DAEMON_PID"; local rc=$?
	DAEMON_PID=
	[ "$rc" -eq 0 ] || fail "caviard exited with $rc"
}

# workers: how many caviar-worker processes this test's daemons started are alive.
workers() {
	local n=0 p
	for p in /proc/[0-9]*; do
		grep -qa caviar-worker "$p/cmdline" 2>/dev/null &&
			grep -qa "CAVIAR_CACHE_DIR=$TMP/cache" "$p/environ" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}

sql() { sqlite3 -batch -noheader "$DB" "$@"; }

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# check DESCRIPTION ACTUAL EXPECTED
check() {
	if [ "$2" = "$3" ]; then echo "ok   $1"; else fail "$1: got '$2', expected '$3'"; fi
}

# check_true DESCRIPTION COMMAND...: the command must succeed.
check_true() {
	local what=$1; shift
	if "$@"; then echo "ok   $what"; else fail "$what"; fi
}

# expect CODE PATTERN COMMAND...: the command exits with CODE and says
# something matching PATTERN (an extended regex) on stderr.
expect() {
	local code=$1 pattern=$2; shift 2
	local err rc
	err=$("$@" 2>&1 >/dev/null); rc=$?
	check "$* -> exit $code" "$rc" "$code"
	if grep -qE -- "$pattern" <<<"$err"; then echo "ok   message: $pattern"
	else fail "message '$err' does not match '$pattern'"; fi
}

# until_true WHAT COMMAND...: waits (60 s at most: a busy machine is slow, never that slow) for the command to succeed.
until_true() {
	local what=$1; shift
	for _ in $(seq 1200); do "$@" && return 0; sleep 0.05; done
	fail "waited in vain for: $what"; return 1
}

# check_tpe_restart SWEEP TRIALS ENDED LAST_ID: a tpe sweep kill -9'd and
# restarted has its TRIALS trials, numbers 0 to TRIALS-1 once each, all done,
# and the first trial proposed after the restart (an id past LAST_ID) saw the
# ENDED trials that had ended before the kill.
check_tpe_restart() {
	check "after the restart: $2 trials, numbers 0-$(($2 - 1)) once each, all done" \
		"$(sql "SELECT count(*), count(DISTINCT number), min(number), max(number), sum(status = 'done')
		        FROM trials WHERE sweep_id = $1")" "$2|$2|0|$(($2 - 1))|$2"
	check_true "the first trial proposed after the restart saw the $3 that had ended" \
		test "$(sql "SELECT json_extract(suggestion, '\$.finished') FROM trials
		             WHERE sweep_id = $1 AND id > $4 ORDER BY id LIMIT 1")" -ge "$3"
}

finish() {
	[ "$FAILS" -eq 0 ] || { echo "$FAILS check(s) failed"; exit 1; }
	exit 0
}
