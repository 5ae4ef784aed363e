#!/usr/bin/env bash
# demo.sh: the whole of caviar in one command. Installs what is missing, builds,
# starts caviard on a private socket and database in ./demo/, submits
# examples/fashion-mnist.json (a real sweep on Fashion-MNIST), starts the web
# dashboard (`caviar serve`, port $CAVIAR_DEMO_PORT or 8080) and prints its URL,
# follows the sweep until it ends, prints the leaderboard, and stops the daemon
# and the dashboard. The database stays:
#   sqlite3 demo/caviar.db 'SELECT * FROM leaderboard LIMIT 5'
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
spec=${1:-examples/fashion-mnist.json}

scripts/setup.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

dir=${CAVIAR_DEMO_DIR:-$root/demo}
mkdir -p "$dir"
shown=${dir#"$root"/} # as the user sees it from the clone
export CAVIAR_SOCKET=$dir/caviard.sock CAVIAR_CACHE_DIR=$dir/cache
caviar=build/tools/caviar
build/daemon/caviard --db "$dir/caviar.db" 2>"$dir/caviard.log" &
daemon=$!
serve=
trap '[ -z "$serve" ] || kill "$serve" 2>/dev/null
"$caviar" shutdown >/dev/null 2>&1 || kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null' EXIT
for _ in $(seq 100); do [ -S "$CAVIAR_SOCKET" ] && break; sleep 0.05; done

echo "caviard is running with $(nproc) slots (log: $shown/caviard.log); submitting $spec"

# The dashboard, while the sweep runs: its URL, with the token, to open.
port=${CAVIAR_DEMO_PORT:-8080}
"$caviar" serve --port "$port" >"$dir/serve.out" 2>"$dir/serve.log" &
serve=$!
for _ in $(seq 100); do grep -q 'dashboard is at' "$dir/serve.out" 2>/dev/null && break; sleep 0.05; done
if url=$(grep -o 'http://[^ ]*' "$dir/serve.out"); then
	port=${url#http://127.0.0.1:}; port=${port%%/*}
	echo "the dashboard is at $url"
	echo "  (from another machine: ssh -L $port:127.0.0.1:$port THIS-HOST, then open that URL)"
else
	echo "no dashboard: $(cat "$dir/serve.log") (set CAVIAR_DEMO_PORT to another port)"
	serve=
fi
"$caviar" submit --wait "$spec"
sweep=$(sqlite3 "$dir/caviar.db" 'SELECT max(id) FROM sweeps')
echo
echo "best test accuracy: $(sqlite3 "$dir/caviar.db" "SELECT printf('%.4f', max(value)) FROM curves WHERE sweep_id = $sweep AND metric = 'test_acc' AND trial_id = (SELECT trial_id FROM leaderboard WHERE sweep_id = $sweep AND rank = 1)")"
echo "the dashboard stopped with the demo; to browse the results again:"
echo "  build/tools/caviar serve --db $shown/caviar.db"
echo "every curve is in $shown/caviar.db, e.g.:"
echo "  sqlite3 $shown/caviar.db \"SELECT epoch, value FROM curves WHERE sweep_id = $sweep AND metric = 'val_acc' AND trial_id = (SELECT trial_id FROM leaderboard WHERE sweep_id = $sweep AND rank = 1)\""
