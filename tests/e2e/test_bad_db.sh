#!/usr/bin/env bash
# caviard given a database it cannot use refuses at start, exit 1, with one
# line naming the file, and never crashes (issue 26): a database in a
# read-only directory (a read-only tmpfs, as root: chmod does not stop root;
# a directory of another user's, run as nobody), and a file that is not
# SQLite at all, left as it was. The mounts need root: without them the test
# checks the file that is not SQLite and exits 77, meson's skip.
. "$(dirname "$0")/lib.sh"

MOUNTS=
cleanup_extra() { for m in $MOUNTS; do umount -l "$m" 2>/dev/null; done; }

# refused WHAT MESSAGE CAVIARD-ARGS...: caviard exits 1 (not by a signal)
# saying exactly MESSAGE on stderr, and leaves no socket behind.
refused() {
	local what=$1 want=$2 rc; shift 2
	timeout 60 "$@" --socket "$SOCK" 2>"$TMP/refused.err" >/dev/null; rc=$?
	check "$what: exit 1" "$rc" 1
	check "$what: says why, naming the file" "$(cat "$TMP/refused.err")" "$want"
	check "$what: no socket left" "$([ -e "$SOCK" ] && echo there)" ""
}

# A file that is not SQLite: refused, and not written to.
printf 'not a database, but a line of text long enough to fill an SQLite header: %0100d\n' 0 >"$TMP/junk.db"
cp "$TMP/junk.db" "$TMP/junk.orig"
refused "a file that is not SQLite" \
	"caviard: $TMP/junk.db: reading the file: file is not a database" \
	"$CAVIARD" --db "$TMP/junk.db"
check "... and it is left as it was" "$(cmp "$TMP/junk.db" "$TMP/junk.orig" && echo same)" same
check "... with no journal beside it" "$(ls "$TMP" | grep -c 'junk.db-')" 0
printf 'short' >"$TMP/short.db"
refused "a file too short to be SQLite" \
	"caviard: $TMP/short.db: reading the file: file is not a database" \
	"$CAVIARD" --db "$TMP/short.db"

if [ "$(id -u)" -ne 0 ]; then # what ran must have passed; the rest is skipped
	[ "$FAILS" -eq 0 ] || finish
	echo "skip: not root, cannot mount a read-only filesystem"; exit 77
fi
# mount_tmpfs DIR [OPTIONS]: a small tmpfs at DIR; skips the test when refused.
mount_tmpfs() {
	mkdir -p "$1"
	if ! mount -t tmpfs -o "size=4m${2:+,$2}" caviar-e2e "$1" 2>"$TMP/mount.err"; then
		echo "skip: mount -t tmpfs refused: $(cat "$TMP/mount.err")"; exit 77
	fi
	MOUNTS="$1 $MOUNTS"
}

# A directory read-only from the start: the state directory cannot be made.
mount_tmpfs "$TMP/empty" ro
refused "a new database in a read-only directory" \
	"caviard: cannot make $TMP/empty/caviar.db.d: Read-only file system" \
	"$CAVIARD" --db "$TMP/empty/caviar.db"
check "... and nothing is made there" "$(ls -A "$TMP/empty")" ""

# A database caviard wrote, on a filesystem remounted read-only since.
mount_tmpfs "$TMP/ro"
DB=$TMP/ro/caviar.db
cat >"$TMP/spec.json" <<'JSON'
{ "name": "ro", "trials": 1, "seed": 1, "task": "bowl",
  "objective": {"metric": "val_loss", "mode": "min"}, "train": {"epochs": 2},
  "params": { "lr": {"log": [1e-4, 1e-1]} } }
JSON
start_daemon --slots 1
id=$("$CAVIAR" submit "$TMP/spec.json")
"$CAVIAR" wait "$id" >/dev/null
stop_daemon
sum=$(sha256sum "$DB" | cut -d' ' -f1)
if ! mount -o remount,ro "$TMP/ro" 2>"$TMP/mount.err"; then
	echo "skip: mount -o remount,ro refused: $(cat "$TMP/mount.err")"; exit 77
fi
refused "a database on a read-only filesystem" \
	"caviard: cannot open $DB.lock, the database's lock file: Read-only file system" \
	"$CAVIARD" --db "$DB"
check "... and is unchanged" "$(sha256sum "$DB" | cut -d' ' -f1)" "$sum"

# Not root: a directory of root's, which nobody may write.
run_as=
if command -v setpriv >/dev/null; then
	run_as="setpriv --reuid=nobody --regid=nogroup --clear-groups"
elif command -v runuser >/dev/null; then
	run_as="runuser -u nobody --"
fi
if [ -n "$run_as" ] && $run_as test -x "$CAVIARD" 2>/dev/null; then
	chmod 755 "$TMP"
	mkdir -m 755 "$TMP/roots"
	refused "as nobody, a new database in a directory of root's" \
		"caviard: cannot make $TMP/roots/caviar.db.d: Permission denied" \
		$run_as "$CAVIARD" --db "$TMP/roots/caviar.db"
	mount -o remount,rw "$TMP/ro"
	chmod 755 "$TMP/ro"
	refused "as nobody, root's database in root's directory" \
		"caviard: cannot make $DB.d/checkpoints: Permission denied" \
		$run_as "$CAVIARD" --db "$DB"
	check "... unchanged" "$(sha256sum "$DB" | cut -d' ' -f1)" "$sum"
else
	echo "skip: cannot run caviard as nobody (no setpriv or runuser, or the build is not readable)"
fi
finish
