#!/usr/bin/env bash
# docs/protocol.md against a real daemon: every example request is sent and its
# reply checked against the documented one, the event stream's examples
# against the events of a synthetic sweep, and the document against the
# commands and event kinds of daemon/ (tests/e2e/protocol_check.py).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
start_daemon --slots 2
if /usr/bin/python3 "$ROOT/tests/e2e/protocol_check.py" "$ROOT"; then
	echo "ok   docs/protocol.md matches the daemon"
else
	fail "docs/protocol.md does not match the daemon"
fi
# The checker's last request was shutdown.
wait "$DAEMON_PID"; rc=$?; DAEMON_PID=
check "caviard exits 0 after the documented shutdown" "$rc" 0
finish
