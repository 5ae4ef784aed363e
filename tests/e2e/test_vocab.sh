#!/usr/bin/env bash
# The Python client against the C vocabulary: its requests, events, error
# codes and copied SQL (tests/e2e/vocab_check.py, on vocab_dump's JSON); the
# dashboard's KINDS against common/spec.c's kinds (tests/e2e/kinds_check.py).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if /usr/bin/python3 "$ROOT/tests/e2e/vocab_check.py" "$ROOT"; then
	echo "ok   sdk/caviar_client.py speaks common/proto.h and copies common/query.c"
else
	fail "sdk/caviar_client.py differs from the C vocabulary"
fi
if /usr/bin/python3 "$ROOT/tests/e2e/kinds_check.py" "$ROOT"; then
	echo "ok   tools/serve/web/app.js draws the kinds of common/spec.c"
else
	fail "tools/serve/web/app.js's KINDS differs from common/spec.c's kinds"
fi
finish
