#!/usr/bin/env bash
# The client's error paths: each prints "caviar: CMD: ..." and exits with its
# documented code.
. "$(dirname "$0")/lib.sh"


printf '{"params": {"lr": {"log": [0.1]}}}' >"$TMP/bad.json"
printf '{"trials": 3,\n "params": {"lr": {"log": [1e-3, 1e-1]},}}' >"$TMP/syntax.json"
printf '{"trials": 2, "params": {"lrr": {"log": [1e-3, 1e-1]}}}' >"$TMP/typo.json"
printf '{"trials": 2, "train": {"epochs": 1}, "params": {"lr": {"log": [1e-3, 1e-1]}}}' >"$TMP/good.json"

expect 4 "^caviar: validate: $TMP/bad.json: params.lr.log: expected two numbers" "$CAVIAR" validate "$TMP/bad.json"
expect 4 "^caviar: validate: $TMP/syntax.json: .*line 2" "$CAVIAR" validate "$TMP/syntax.json"
expect 4 "^caviar: submit: $TMP/typo.json: params.lrr: unknown" "$CAVIAR" submit "$TMP/typo.json"
expect 4 "^caviar: validate: $TMP/missing.json: No such file" "$CAVIAR" validate "$TMP/missing.json"
expect 3 "no daemon is running at $SOCK; start one with 'caviard" "$CAVIAR" ls
expect 2 "^caviar: top: missing argument" "$CAVIAR" top
expect 2 "^caviar: top: x: expected a sweep id" "$CAVIAR" top x
expect 2 "^caviar: ls: unknown option --bogus" "$CAVIAR" ls --bogus
check "validate accepts a good spec" "$("$CAVIAR" validate "$TMP/good.json" >/dev/null; echo $?)" 0
check "sample needs no daemon" "$("$CAVIAR" sample "$TMP/good.json" --csv | head -1)" "number,lr"
check "sample: the trial's number labelled NO. (no trial has an id yet)" \
	"$("$CAVIAR" sample "$TMP/good.json" | head -1 | tr -s ' ')" "NO. lr"
# search "pbt": validate says what it is; sample prints the first population.
printf '{"search": "pbt", "task": "bowl", "train": {"epochs": 9}, "pbt": {"population": 3, "interval": 2},
  "params": {"lr": {"log": [1e-3, 1e-1]}, "layers": {"int": [1, 3]}}}' >"$TMP/pbt.json"
check "validate: a pbt spec" "$("$CAVIAR" validate "$TMP/pbt.json")" \
	"$TMP/pbt.json: ok: \"sweep\", pbt search over 2 parameters, population 3, a decision every 2 epochs, 20 trials, objective max val_acc
  explores lr; a fork keeps its parent's other values
  keeps at most 3 epoch checkpoints a trial while it runs, 2 once it ends (keep_checkpoints 1), besides its latest"
check "sample: a pbt spec's first population" "$("$CAVIAR" sample "$TMP/pbt.json" --csv | wc -l)" 4
sed 's/"search": "pbt"/"search": "random"/; s/, "pbt": {[^}]*}//' "$TMP/pbt.json" >"$TMP/random.json"
check "sample -n: the same draws as random search" "$("$CAVIAR" sample "$TMP/pbt.json" --csv -n 5 |
	tee "$TMP/pbt.csv")" "$("$CAVIAR" sample "$TMP/random.json" --csv -n 5)"
check "... five of them" "$(wc -l <"$TMP/pbt.csv")" 6
printf '{"search": "pbt", "task": "bowl", "pbt": {"population": 3, "interval": 2, "explore": ["layers"]},
  "params": {"lr": {"log": [1e-3, 1e-1]}, "layers": {"int": [1, 3]}}}' >"$TMP/pbt-bad.json"
expect 4 "^caviar: validate: $TMP/pbt-bad.json: pbt.explore\[0\]: layers: structural \(the model is built with it\)" "$CAVIAR" validate "$TMP/pbt-bad.json"
check "--help exits 0" "$("$CAVIAR" --help >/dev/null; echo $?)" 0
check "COMMAND --help exits 0" "$("$CAVIAR" top --help | head -1)" "usage: caviar top SWEEP [-n K] [--pareto] [--db FILE]"

# Help: every command listed with its whole first sentence; text wrapped
# between words within 80 columns; `caviar help [CMD]`; the nearest command.
cmds="submit ls top status wait cancel pause resume slots shutdown validate sample watch show curves plot export lineage"
"$CAVIAR" --help >"$TMP/help.txt"
check "help: each command, one whole sentence" "$(python3 - "$TMP/help.txt" $cmds <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
bad = [l for l in lines if len(l) > 80]
for name in sys.argv[2:]:
    i = next((i for i, l in enumerate(lines) if re.match(r"  %s( |$)" % name, l)), None)
    if i is None:
        bad.append(name + ": not listed"); continue
    line = lines[i] if lines[i].endswith(".") else lines[i + 1]  # a long usage: the next line
    if (line is not lines[i] and line[:35].strip()) or not re.fullmatch(r"[A-Z][^.]*\.", line[35:]):
        bad.append(name + ": " + repr(line))
print(bad or "ok")
PY
)" ok
check "help: 'caviar help' is 'caviar --help'" "$("$CAVIAR" help | cmp - "$TMP/help.txt" && echo same)" same
check "help: 'caviar help CMD' is 'caviar CMD --help'" "$("$CAVIAR" help watch | cmp - <("$CAVIAR" watch --help) && echo same)" same
check "help: every command's help wrapped between words, within 80 columns" "$(for c in $cmds; do
	"$CAVIAR" "$c" --help | python3 -c '
import sys
text = sys.stdin.read().rstrip("\n").split("\n")
for a, b in zip(text, text[1:]):
    if len(a) > 80 or (a and b and not b.startswith(" ") and len(a) + 1 + len(b.split()[0]) <= 80):
        print(sys.argv[1] + ": " + repr(a))' "$c"
done)" ""
check_true "help: no usage line ends in a space" test -z "$("$CAVIAR" ls --help | grep -E ' $')"
# Every option is in its program's --help. A command's options are one table
# each, which getopt and --help both read (tests/tools/test_cli.c walks them);
# so getopt is called only where those tables are turned into its own, and no
# getopt table is written by hand anywhere else.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
check "options: getopt is called only by cli.c and caviard's main.c" \
	"$(cd "$SRC" && grep -lE '\bgetopt(_long)?\(' tools/*/*.c daemon/*.c | paste -sd ' ')" \
	"tools/cli/cli.c daemon/main.c"
check "options: no getopt table written by hand" \
	"$(cd "$SRC" && grep -nE '\{ *"[a-z-]+", *(no|required|optional)_argument' tools/*/*.c daemon/*.c)" ""
# caviard's options and caviar's own (before the command): each one getopt or
# the hand parser takes is in the help, and each the help names is taken.
# `PROG OPT --help --help` says "unknown"/"unrecognized"/"invalid option" only
# for one it does not take (one with a value takes the first --help as it,
# the second ends the parse: nothing runs). The candidates: what the help
# names, and every option-like string of their sources.
named() { # PROG...: the options its usage lines and its option lists name, a line each
	"$@" --help | awk '/^usage:/ {u = 1} /^$/ {u = 0} u || /^  -/ {
		s = " " $0
		while (match(s, /[][ |,]--?[a-z][a-z-]*/)) {
			print substr(s, RSTART + 1, RLENGTH - 1); s = substr(s, RSTART + RLENGTH)
		} }' | sort -u
}
accepts() {
	local err
	err=$("$@" --help --help 2>&1 >/dev/null)
	! [[ $err =~ (unknown|unrecognized|invalid)\ option ]]
}
for prog in caviard:daemon/main.c caviar:tools/cli/caviar.c; do
	bin=$CAVIARD; [ "${prog%%:*}" = caviar ] && bin=$CAVIAR
	shown=$'\n'$(named "$bin")$'\n'
	bad=
	for o in $( { echo "$shown" --no-such-option -z
		grep -ohE '"--?[a-z][a-z-]*"' "$SRC/${prog#*:}" | tr -d '"'; } | sort -u); do
		if accepts "$bin" "$o"; then
			[[ $shown == *$'\n'"$o"$'\n'* ]] || bad+=" $o accepted, not in --help;"
		elif [[ $shown == *$'\n'"$o"$'\n'* ]]; then
			bad+=" $o in --help, refused;"
		fi
	done
	check "options: ${prog%%:*} --help lists exactly what it takes" "$bad" ""
done
check_true "options: caviard --help lists --launcher, --state-dir and --exec-limits" \
	test "$(named "$CAVIARD" | grep -cxE -- '--(launcher|state-dir|exec-limits)')" -eq 3
check "export --help: --csv and --json are optional alternatives" \
	"$("$CAVIAR" export --help | head -1)" "usage: caviar export SWEEP [--csv|--json] [--points] [--db FILE]"
# caviar(1) documents each command's options in that command's entry
# (caviard(8) has each of caviard's: test_install.sh).
all_cmds=$("$CAVIAR" --help | sed -n 's/^  \([a-z]\+\) .*/\1/p')
bad=
man1=$(<"$SRC/man/caviar.1.scd")
for c in $all_cmds; do
	entry=${man1#*$'\n'"*$c*"} # the command's entry: from its heading to the next one
	entry=${entry%%$'\n'\**}
	for o in $(named "$CAVIAR" "$c"); do
		case $o in --json | --socket | --help) continue ;; esac # the common options, documented once
		[[ $entry == *"*$o*"* ]] || bad+=" caviar(1) $c: $o;"
	done
done
check "options: caviar(1) documents each command's" "$bad" ""
expect 2 "^caviar: unknown command 'stauts'; did you mean 'status'\?$" "$CAVIAR" stauts
expect 2 "^caviar: unknown command 'sumbit'; did you mean 'submit'\?$" "$CAVIAR" sumbit
expect 2 "^caviar: unknown command 'frobnicate'$" "$CAVIAR" frobnicate
expect 2 "^caviar: unknown command 'shwo'; did you mean 'show'\?$" "$CAVIAR" help shwo

start_daemon --slots 1
check "slots: changed while running" "$("$CAVIAR" slots 3 >/dev/null; "$CAVIAR" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["slots"])')" 3
expect 2 "^caviar: slots: 0: expected a positive number of slots" "$CAVIAR" slots 0
expect 1 "^caviar: top: no sweep 42" "$CAVIAR" top 42
expect 1 "^caviar: wait: no sweep 42" "$CAVIAR" wait 42
expect 1 "^caviar: cancel: no sweep 42$" "$CAVIAR" cancel 42
# A client that sends garbage, or a huge request, or hangs up mid-request: the daemon carries on.
reply=$(printf 'not json\n' | python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"not json\n")
print(s.makefile().readline().strip())' "$SOCK")
check "garbage request gets an error reply" "$reply" '{"ok":false,"error":"request is not valid JSON","code":"bad_request"}'
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"{\"cmd\": \"submit\", \"spec\": {\"na"); s.close()' "$SOCK"
reply=$(python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"x" * (2 << 20) + b"\n{\"cmd\":\"status\"}\n")
f = s.makefile(); print(f.readline().strip()[:39]); print(f.readline().strip()[:10])' "$SOCK")
check "an over-long request is refused, the next one served" "$reply" $'{"ok":false,"error":"request of 2097152\n{"ok":true'
check_true "the daemon is alive after bad clients" "$CAVIAR" status
# status says where the results are and what environment trials inherit
st=$("$CAVIAR" status)
check_true "status shows the database path" grep -qxF "database: $(realpath "$DB")" <<<"$st"
check_true "status shows the PATH trials get" grep -qxF "trials' PATH: $PATH" <<<"$st"
if [ -n "${PYTHONPATH:-}" ]; then want="trials' PYTHONPATH: $PYTHONPATH"
else want="trials' PYTHONPATH: (unset: caviard's environment has none)"; fi
check_true "status shows the PYTHONPATH trials get" grep -qxF "$want" <<<"$st"
stop_daemon
finish
