#!/usr/bin/env bash
# The Python client (sdk/caviar_client.py) against a real daemon running
# synthetic sweeps: submit, events, reads, steering, errors (a bad spec, a
# version mismatch, no daemon) and a daemon restarted while events() iterates.
# Run with Debian's /usr/bin/python3, with pandas when it is installed and
# again with it hidden, so both as_frame paths run.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT TMP DB CAVIARD CAVIAR
run() { # DESCRIPTION [PYTHON FLAGS...]
	local what=$1; shift
	rm -rf "$DB" "$DB"-* "$DB.d"; start_daemon --slots 2
	if PYTHONPATH=$ROOT/sdk${EXTRA_PATH:+:$EXTRA_PATH} /usr/bin/python3 "$@" "$ROOT/tests/e2e/pyclient_test.py"; then
		echo "ok   $what"
	else
		fail "$what"
	fi
	# the test shut its daemons down; one left by a failure is killed
	is_daemon "$DAEMON_PID" && kill -9 "$DAEMON_PID"
	pkill_left=$(pgrep -f -- "--socket $SOCK" || true)
	for p in $pkill_left; do is_daemon "$p" && kill -9 "$p"; done
	DAEMON_PID=
}
run "the Python client"
if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
	mkdir -p "$TMP/nopandas"
	echo 'raise ImportError("hidden by test_pyclient.sh")' >"$TMP/nopandas/pandas.py"
	EXTRA_PATH=$TMP/nopandas run "the Python client, pandas hidden"
fi
finish
