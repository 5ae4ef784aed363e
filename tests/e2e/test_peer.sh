#!/usr/bin/env bash
# The client checks who serves the socket before it sends anything: a socket
# served by another user (a stale path, a shared /tmp, someone else's
# listener) is refused with the "no daemon" exit code, and that listener
# receives nothing. Needs root to run a listener as another user (CI runs as
# root); skipped otherwise.
. "$(dirname "$0")/lib.sh"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "not root: cannot start a listener as another user"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
command -v setpriv >/dev/null || skip "no setpriv"
PY=
for p in /usr/bin/python3 "$(command -v python3)"; do
	if [ -x "$p" ] && as_nobody "$p" -c '' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || skip "no python3 that the user nobody can run"

# nobody's directory inside our temporary one
chmod 0711 "$TMP"
mkdir "$TMP/other" && chown nobody:nogroup "$TMP/other"
OTHER=$TMP/other/caviard.sock
as_nobody "$PY" - "$OTHER" "$TMP/other/received" <<'PY' &
import socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(4)
s.settimeout(20)
n = 0
try:
    c, _ = s.accept()
    c.settimeout(2)
    while True:
        b = c.recv(4096)
        if not b:
            break
        n += len(b)
except socket.timeout:
    pass
with open(out, "w") as f:
    f.write(str(n))
PY
LISTENER=$!
for _ in $(seq 100); do [ -S "$OTHER" ] && break; sleep 0.05; done
check_true "a listener runs as nobody" test -S "$OTHER"

expect 3 "^caviar: status: $OTHER is served by uid 65534, not you \\(uid 0\\); refusing to send$" \
	"$CAVIAR" status --socket "$OTHER"
wait "$LISTENER"
check "the listener received nothing" "$(cat "$TMP/other/received" 2>/dev/null)" 0

# Our own daemon is still served.
chmod 0700 "$TMP"
start_daemon
check "a socket served by us is used" "$("$CAVIAR" status --socket "$SOCK" >/dev/null; echo $?)" 0
stop_daemon
finish
