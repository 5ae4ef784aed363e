#!/usr/bin/env bash
# A sweep whose database and state directory are on a small filesystem that
# fills up (issue 26): the daemon says what is wrong and where (its log and
# `caviar status`), stays up, loses no point recorded before, and once space
# returns the sweep goes on and a new one runs. Needs root (a tmpfs mount);
# exits 77, meson's skip, when it cannot mount one.
. "$(dirname "$0")/lib.sh"

DISK=$TMP/disk
mkdir "$DISK"
if [ "$(id -u)" -ne 0 ]; then echo "skip: not root, cannot mount a small tmpfs"; exit 77; fi
if ! mount -t tmpfs -o size=8m caviar-e2e "$DISK" 2>"$TMP/mount.err"; then
	echo "skip: mount -t tmpfs refused: $(cat "$TMP/mount.err")"; exit 77
fi
cleanup_extra() { umount -l "$DISK" 2>/dev/null; }
DB=$DISK/caviar.db

spec() { # NAME TRIALS EPOCHS
	printf '{"name": "%s", "trials": %d, "seed": 3, "task": "bowl", "parallel": 2, "retries": 1,
	  "objective": {"metric": "val_loss", "mode": "min"},
	  "train": {"epochs": %d, "epoch_ms": 50}, "params": {"lr": {"log": [1e-4, 1e-1]}}}' \
		"$1" "$2" "$3" >"$TMP/$1.json"
	"$CAVIAR" submit "$TMP/$1.json"
}
status_json() { "$CAVIAR" status --json | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))"; }
points() { sql "SELECT count(*) FROM points p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $1 AND metric = 'val_loss'"; }

start_daemon --slots 2
id=$(spec full 6 40)
for _ in $(seq 1200); do [ "$(points "$id")" -ge 30 ] && break; sleep 0.05; done
recorded="SELECT trial_id || ' ' || metric || ' ' || epoch || ' ' || value FROM points ORDER BY 1"
sql "$recorded" >"$TMP/before"
dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null # until the disk is full
for _ in $(seq 1200); do [ -n "$(status_json db_error)" ] && break; sleep 0.05; done
err=$(status_json db_error)
echo "     status says: $err"
check_true "status says the disk is full, naming the database" grep -q "^$DB: database or disk is full (no space left" <<<"$err"
check_true "so does the log" grep -q "cannot write the database .*: $DB: database or disk is full" "$TMP/daemon.log"
check_true "caviar status prints it" grep -q "database error: $DB: database or disk is full" <<<"$("$CAVIAR" status)"
# A worker whose checkpoint finds no room fails naming it (exit 5); retried.
for _ in $(seq 1200); do grep -q "No space left on device" "$TMP/daemon.log" && break; sleep 0.05; done
check_true "a worker's checkpoint that found no room names its path" \
	grep -q "caviar-worker: checkpoint $DB.d/checkpoints/trial-[0-9]*.ckpt[^:]*: No space left on device" "$TMP/daemon.log"
"$CAVIAR" status >/dev/null; check "the daemon stays up and answers" "$?" 0
rm "$DISK/filler"
"$CAVIAR" wait "$id" >/dev/null
check "space back: the database is written again" "$(status_json db_error)" ""
check_true "the log says so" grep -q "database writable again" "$TMP/daemon.log"
check "space back: the sweep finishes" "$(sql "SELECT status FROM sweeps WHERE id = $id")" done
# A worker that found no room is retried from its checkpoint; whether its
# retry also comes before the space returns depends on the machine, so a
# trial may end failed, but then only naming the full disk.
check "every trial done, or failed naming the full disk (a retry resumes a worker that failed)" \
	"$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND (status = 'done' OR
		(status = 'failed' AND reason LIKE '%No space left on device%'))")" 6
check_true "and most of them done" \
	test "$(sql "SELECT count(*) FROM trials WHERE sweep_id = $id AND status = 'done'")" -ge 4
check "every point recorded before the disk filled is still there" \
	"$(sql "$recorded" | comm -23 "$TMP/before" - | wc -l)" 0
check "no done trial's curve has a hole or an epoch twice" \
	"$(sql "SELECT count(*) FROM trials t WHERE sweep_id = $id AND status = 'done' AND (SELECT count(DISTINCT epoch) || ' ' || count(*)
		FROM points p WHERE p.trial_id = t.id AND metric = 'val_loss') != '40 40'")" 0
check "no half-written checkpoint left" "$(ls "$DB.d/checkpoints" | grep -c tmp)" 0
next=$(spec after 2 3)
"$CAVIAR" wait "$next" >/dev/null
check "a new sweep runs" "$(sql "SELECT status FROM sweeps WHERE id = $next")" done
check "integrity" "$(sql 'PRAGMA integrity_check')" ok
stop_daemon
finish
