#!/usr/bin/env bash
# meson install: everything lands under the prefix (a DESTDIR install of the
# build directory the test runs in, without rebuilding), the systemd unit runs
# the installed caviard, the bash completion defines itself, and every man page
# renders without a warning. meson passes BUILD_ROOT, PREFIX and the install
# directories (BINDIR, DATADIR, MANDIR, INCLUDEDIR, UNITDIR, COMPLETIONDIR,
# EXAMPLEDIR, SDKDIR: absolute, under the prefix) and MAN_PAGES (1 when scdoc
# was found).
. "$(dirname "$0")/lib.sh"

DEST=$TMP/dest
if ! meson install -C "$BUILD_ROOT" --destdir "$DEST" --no-rebuild >"$TMP/install.log" 2>&1; then
	fail "meson install --destdir failed"; cat "$TMP/install.log"; finish
fi
echo "ok   meson install --destdir $DEST"

# installed FILE...: each FILE (an absolute path under the prefix) is in DEST.
installed() {
	for f in "$@"; do
		check_true "installed: $f" test -f "$DEST$f"
	done
}
installed "$BINDIR/caviard" "$BINDIR/caviar" "$BINDIR/caviar-worker" \
	"$UNITDIR/caviard.service" "$COMPLETIONDIR/caviar" \
	"$SDKDIR/caviar.py" "$SDKDIR/caviar_client.py" "$SDKDIR/caviar_report.h" "$INCLUDEDIR/caviar_report.h" \
	"$EXAMPLEDIR/fashion-mnist.json" "$EXAMPLEDIR/command/sweep.json" \
	"$EXAMPLEDIR/command/train.py" "$EXAMPLEDIR/pytorch/sweep.json" \
	"$EXAMPLEDIR/pytorch/train_fmnist.py" "$EXAMPLEDIR/python/follow.py"
check_true "installed: the example command is executable" test -x "$DEST$EXAMPLEDIR/command/train.py"
outside=$(cd "$DEST" && find . -type f ! -path ".$PREFIX/*")
check "nothing installed outside the prefix" "$outside" ""
# a checkpoint left by running the example alone is neither committed nor shipped
check "no example's checkpoint installed" \
	"$(find "$DEST$EXAMPLEDIR" -name checkpoint -o -name '*.ckpt' -o -name .gitignore)" ""

unit=$DEST$UNITDIR/caviard.service
check "unit: ExecStart runs the installed caviard" \
	"$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")" "$BINDIR/caviard"
check "unit: no @variable@ left" "$(grep -c '@[a-z_]*@' "$unit")" 0
check "unit: Restart=on-failure" "$(grep -c '^Restart=on-failure$' "$unit")" 1
check "unit: wanted by default.target" "$(grep -c '^WantedBy=default.target$' "$unit")" 1
# systemd gives trials a short PATH and no PYTHONPATH: the unit shows where to set them
check "unit: a commented Environment= line for PATH" \
	"$(grep -c '^#Environment=PATH=%h/.local/bin:.*/usr/bin' "$unit")" 1
check "unit: a commented Environment= line for PYTHONPATH, the SDK's place under --prefix ~/.local" \
	"$(grep -c "^#Environment=PYTHONPATH=%h/.local${SDKDIR#"$PREFIX"}\$" "$unit")" 1
for opt in $(sed -n 's/^ExecStart=[^ ]* //p' "$unit" | grep -o -- '--[a-z-]*'); do
	check_true "unit: caviard knows $opt" grep -q -- "$opt" <<<"$("$CAVIARD" --help)"
done

completion=$DEST$COMPLETIONDIR/caviar
check_true "completion: bash -n" bash -n "$completion"
check "completion: complete -p caviar after sourcing" \
	"$(bash -c '. "$1" && complete -p caviar' _ "$completion" 2>&1)" "complete -F _caviar caviar"

if [ "${MAN_PAGES:-0}" != 1 ]; then
	fail "man pages were not built: scdoc is missing (scripts/setup.sh installs it)"
	finish
fi
for page in man1/caviar.1 man8/caviard.8 man1/caviar-worker.1 man5/caviar-spec.5; do
	file=$DEST$MANDIR/$page
	installed "$MANDIR/$page"
	[ -f "$file" ] || continue
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$file" 2>&1 >"$TMP/page.txt")
	check "man -l $page: no warnings" "$warnings" ""
	check "groff -ww $page: no warnings" "$(groff -ww -z -t -man "$file" 2>&1)" ""
	name=${page#*/}
	check_true "man -l $page: NAME names ${name%.*}" grep -q "^ *${name%.*} - " "$TMP/page.txt"
done
# Every command of caviar --help and every option of caviard --help has its
# entry (a line starting with it in bold).
for cmd in $("$CAVIAR" --help | sed -n 's/^  \([a-z]\+\) .*/\1/p'); do
	check_true "caviar(1) documents $cmd" grep -q "^\\\\fB$cmd\\\\fR" "$DEST$MANDIR/man1/caviar.1"
done
for opt in $("$CAVIARD" --help | grep -o -- '^  --[a-z-]*'); do
	check_true "caviard(8) documents $opt" grep -q -- "^\\\\fB$opt\\\\fR" "$DEST$MANDIR/man8/caviard.8"
done
finish
