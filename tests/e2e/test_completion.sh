#!/usr/bin/env bash
# The bash completion: commands, options, sweep ids from the daemon. (Where it
# is installed, and the systemd unit: test_install.sh.)
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
# complete WORDS...: what completing the last word offers.
complete_words() {
	bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _caviar
		printf "%s\n" "${COMPREPLY[@]}"' _ "$SRC/packaging/caviar.bash-completion" "$@" | sort | paste -sd ' '
}
PATH=$(dirname "$CAVIAR"):$PATH

commands=$("$CAVIAR" --help | sed -n 's/^  \([a-z]\+\) .*/\1/p' | sort | paste -sd ' ')
check "completion: every command of --help" "$(complete_words caviar '' | tr ' ' '\n' | grep -v '^-' | sort | paste -sd ' ')" "$commands"
check "completion: a prefix" "$(complete_words caviar w)" "wait watch"
check "completion: plot's options" "$(complete_words caviar plot -)" "--db --help --importance --json --lineage --output --pair --parallel --socket -k -o"
check "completion: importance's options" "$(complete_words caviar importance --)" "--by-epoch --db --help --json --objective --seed --socket --trees"
check "completion: lineage's options" "$(complete_words caviar lineage -)" "--db --help --json --socket"
check "completion: fork's options, --force too" "$(complete_words caviar fork --)" "--epoch --force --help --json --socket"
check "completion: note's options (a trial's note)" "$(complete_words caviar note -)" "--help --json --socket --trial"
check "completion: export's options" "$(complete_words caviar export --)" "--csv --db --help --json --points --socket"
check "completion: no sweep ids without a daemon" "$(complete_words caviar watch '')" ""
printf '{"trials": 1, "task": "trivial", "params": {"lr": {"log": [1e-3, 1e-1]}}}' >"$TMP/t.json"
start_daemon --slots 1
"$CAVIAR" submit "$TMP/t.json" >/dev/null
"$CAVIAR" submit "$TMP/t.json" >/dev/null
check "completion: sweep ids from caviar ls --json" "$(complete_words caviar top '')" "1 2"
check "completion: sweep ids with --socket" "$(CAVIAR_SOCKET=/nonexistent complete_words caviar --socket "$SOCK" watch '')" "1 2"
check "completion: spec files for submit" "$(cd "$TMP" && complete_words caviar submit t)" "t.json"
stop_daemon
finish
