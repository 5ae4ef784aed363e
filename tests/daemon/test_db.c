/* test_db: schema migration, batched writes that survive a failed flush,
 * crash recovery, cancelling queued trials, notes, the documented views,
 * damaged files refused untouched, and DB.lock held by one daemon at a time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "schema.h"
#include "test.h"

static char path[64];

static void open_fresh(struct db *db)
{
	char err[512];

	snprintf(path, sizeof path, "/tmp/caviar-test-db.XXXXXX");
	close(mkstemp(path));
	unlink(path);
	CHECK(db_open(db, path, err, sizeof err) == 0);
}

static void cleanup(struct db *db)
{
	char wal[80], shm[80];

	db_close(db);
	snprintf(wal, sizeof wal, "%s-wal", path);
	snprintf(shm, sizeof shm, "%s-shm", path);
	unlink(path);
	unlink(wal);
	unlink(shm);
}

static int64_t scalar(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A sweep with two trials; returns the trial ids. */
static void make_sweep(struct db *db, int64_t *t1, int64_t *t2)
{
	char err[512];
	int64_t sweep;

	CHECK(db_insert_sweep(db, "s", "{}", "random", 7, "val_acc", 1, 2, 1000.0, &sweep, err,
			      sizeof err) == 0);
	CHECK(db_insert_trial(db, sweep, 0, 0, "{\"lr\": 0.1}", 1, t1, err, sizeof err) == 0);
	CHECK(db_insert_trial(db, sweep, 1, 0, "{\"lr\": 0.01}", 2, t2, err, sizeof err) == 0);
}

static void test_migrate(void)
{
	struct db db;
	char err[512];

	sqlite3 *h;

	/* A version 1 database (before the logs table) is migrated on open. */
	open_fresh(&db);
	db_close(&db);
	unlink(path);
	CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, schema_migrations[0], NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "PRAGMA user_version = 1", NULL, NULL, NULL) == SQLITE_OK);
	/* a failed trial that reported a better value than the done one */
	CHECK(sqlite3_exec(h,
			   "INSERT INTO sweeps (id, name, spec, search, seed, metric, mode, budget,"
			   " created_at) VALUES (1, 's', '{}', 'random', 1, 'val_loss', 'min', 3, 0);"
			   "INSERT INTO trials (sweep_id, number, params, seed, status, best_value)"
			   " VALUES (1, 0, '{}', 1, 'failed', 0.001), (1, 1, '{}', 1, 'done', 0.5),"
			   " (1, 2, '{}', 1, 'cancelled', 0.0001)",
			   NULL, NULL, NULL) == SQLITE_OK);
	/* rows the rebuild of sweeps (version 3) must keep, with their ids */
	CHECK(sqlite3_exec(h, "INSERT INTO sweeps (id, name, spec, search, seed, metric, mode, budget,"
			      " status, created_at) VALUES (7, 's', '{}', 'random', 1, 'val_acc', 'max', 2,"
			      " 'done', 1000); INSERT INTO trials (sweep_id, number, params, seed)"
			      " VALUES (7, 0, '{}', 1)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	CHECK(db_open(&db, path, err, sizeof err) == 0);
	CHECK(scalar(&db, "PRAGMA user_version") == schema_version);
	CHECK(schema_version >= 3);
	CHECK(scalar(&db, "SELECT count(*) FROM logs") == 0);
	/* 008-pareto.sql adds goal_values and pareto */
	CHECK(scalar(&db, "SELECT count(*) FROM sqlite_master WHERE type = 'view'") == 8);
	/* 004-best.sql: only done and pruned trials count toward the best */
	CHECK(scalar(&db, "SELECT best_trial_id FROM sweep_progress WHERE sweep_id = 1") == 2);
	CHECK(scalar(&db, "SELECT best * 10 FROM sweep_progress WHERE sweep_id = 1") == 5);
	CHECK(scalar(&db, "SELECT ended FROM sweep_progress WHERE sweep_id = 1") == 3);
	CHECK(scalar(&db, "SELECT count(*) FROM leaderboard") == 1);
	CHECK(scalar(&db, "SELECT count(*) FROM sweeps WHERE id = 7 AND status = 'done'") == 1);
	CHECK(scalar(&db, "SELECT count(*) FROM sweep_progress WHERE sweep_id = 7 AND queued = 1") == 1);
	CHECK(db_end_sweep(&db, 7, "failed", "all 1 trials failed", 2000, err, sizeof err) == 0);
	CHECK(scalar(&db, "SELECT count(*) FROM sweeps WHERE status = 'failed' AND note IS NULL"
			  " AND ended_reason IS NOT NULL") == 1);
	CHECK(scalar(&db, "PRAGMA foreign_keys") == 1);
	/* 006-panda.sql: trial 15 forked from 14 after epoch 2, 16 from 15 after epoch 3 */
	CHECK(sqlite3_exec(db.h,
			   "INSERT INTO trials (id, sweep_id, number, params, seed) VALUES (14, 7, 1, '{}', 1);"
			   "INSERT INTO trials (id, sweep_id, number, params, seed, parent_trial_id,"
			   " parent_epoch) VALUES (15, 7, 2, '{}', 1, 14, 2), (16, 7, 3, '{}', 1, 15, 3);"
			   "INSERT INTO points (trial_id, metric, epoch, step, value, wall_time)"
			   " VALUES (14, 'm', 1, 0, 1, 0), (14, 'm', 2, 0, 2, 0), (14, 'm', 3, 0, 3, 0),"
			   " (15, 'm', 3, 0, 30, 0), (15, 'm', 4, 0, 40, 0), (16, 'm', 4, 0, 400, 0);"
			   "INSERT INTO adjustments (trial_id, epoch, step, name, old_value, new_value,"
			   " source, created_at) VALUES (15, 2, 0, 'lr', 0.1, 0.08, 'pbt', 0)",
			   NULL, NULL, NULL) == SQLITE_OK);
	CHECK(scalar(&db, "SELECT count(*) FROM lineage_points WHERE trial_id = 14") == 3);
	CHECK(scalar(&db, "SELECT sum(value) FROM lineage_points WHERE trial_id = 15") == 73);
	/* 16 sees 14's epochs 1-2 (not 3: its parent forked after 2), 15's epoch 3, its own 4 */
	CHECK(scalar(&db, "SELECT sum(value) FROM lineage_points WHERE trial_id = 16") == 433);
	/* a loop of parent links (a damaged file; caviard never makes one) still ends */
	CHECK(sqlite3_exec(db.h, "UPDATE trials SET parent_trial_id = 16, parent_epoch = 1 WHERE id = 14",
			   NULL, NULL, NULL) == SQLITE_OK);
	CHECK(scalar(&db, "SELECT count(*) FROM lineage_points WHERE trial_id = 16") == 4);
	CHECK(db_tag(&db, 7, "a", 1, err, sizeof err) == 0);
	int64_t *gone;
	size_t n_gone;
	CHECK(db_delete_sweep(&db, 7, &gone, &n_gone, err, sizeof err) == 0);
	CHECK(n_gone == 4); /* trial 7's first and 14, 15, 16 */
	free(gone);
	CHECK(scalar(&db, "SELECT count(*) FROM trials WHERE sweep_id = 7") +
	      scalar(&db, "SELECT count(*) FROM tags") +
	      scalar(&db, "SELECT count(*) FROM adjustments") == 0);
	db_close(&db);
	CHECK(db_open(&db, path, err, sizeof err) == 0); /* reopening migrates nothing */
	CHECK(scalar(&db, "PRAGMA user_version") == schema_version);
	sqlite3_exec(db.h, "PRAGMA user_version = 99", NULL, NULL, NULL);
	db_close(&db);
	CHECK(db_open(&db, path, err, sizeof err) < 0);
	CHECK_CONTAINS(err, "newer than this caviard");
	cleanup(&db);
}

static void test_batched_points(void)
{
	struct db db;
	char err[512];
	int64_t t1, t2;
	struct trial_row row = {.status = "done", .exit_code = 0, .epochs = 2, .best_value = 0.9,
				.best_epoch = 2, .reason = "finished"};

	open_fresh(&db);
	make_sweep(&db, &t1, &t2);
	for (int e = 1; e <= 2; e++) {
		db_point_add(&db, t1, "val_acc", e, e * 10, 0.8 + e * 0.05, 1000.0 + e);
		db_point_add(&db, t1, "val_loss", e, e * 10, 1.0 / e, 1000.0 + e);
	}
	db_point_add(&db, t1, "val_acc", 2, 20, 0.9, 1003); /* same key again: replaces */
	row.id = t1;
	db_trial_update(&db, &row);
	CHECK(db_pending(&db) == 6);
	CHECK(scalar(&db, "SELECT count(*) FROM points") == 0); /* nothing until the flush */
	CHECK(db_flush(&db, err, sizeof err) == 0);
	CHECK(db_pending(&db) == 0);
	CHECK(scalar(&db, "SELECT count(*) FROM points") == 4);
	CHECK(scalar(&db, "SELECT count(*) FROM leaderboard") == 1);
	CHECK(scalar(&db, "SELECT done FROM sweep_progress") == 1);
	CHECK(scalar(&db, "SELECT queued FROM sweep_progress") == 1);
	CHECK(scalar(&db, "SELECT count(*) FROM curves WHERE number = 0") == 4);
	cleanup(&db);
}

static void test_failed_flush_keeps_points(void)
{
	struct db db, reader;
	char err[512];
	int64_t t1, t2;

	open_fresh(&db);
	make_sweep(&db, &t1, &t2);
	db_point_add(&db, t1, "val_acc", 1, 1, 0.5, 1);
	/* Another connection holds the write lock: the flush fails, points stay queued. */
	CHECK(sqlite3_open(path, &reader.h) == SQLITE_OK);
	CHECK(sqlite3_exec(reader.h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(db_flush(&db, err, sizeof err) < 0);
	CHECK_CONTAINS(err, "locked");
	CHECK(db_pending(&db) == 1);
	sqlite3_exec(reader.h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(reader.h);
	CHECK(db_flush(&db, err, sizeof err) == 0);
	CHECK(scalar(&db, "SELECT count(*) FROM points") == 1);
	cleanup(&db);
}

static void test_recover(void)
{
	struct db db;
	char err[512];
	int64_t t1, t2;
	struct trial_row row = {.status = "running", .exit_code = -1, .attempts = 1, .pid = 4242,
				.started_at = 5, .best_value = NAN};

	open_fresh(&db);
	make_sweep(&db, &t1, &t2);
	row.id = t1;
	db_trial_update(&db, &row);
	db_point_add(&db, t1, "val_acc", 1, 1, 0.5, 1);
	CHECK(db_flush(&db, err, sizeof err) == 0);
	CHECK(db_recover(&db, err, sizeof err) == 1);
	CHECK(scalar(&db, "SELECT count(*) FROM trials WHERE status = 'queued'") == 2);
	CHECK(scalar(&db, "SELECT count(*) FROM points") == 1); /* kept until it runs again */
	CHECK(scalar(&db, "SELECT attempts FROM trials WHERE pid IS NULL AND number = 0") == 1);
	CHECK(db_recover(&db, err, sizeof err) == 0);
	cleanup(&db);
}

static void test_truncate(void)
{
	struct db db;
	char err[512];
	int64_t t1, t2;
	double best;
	int best_epoch;
	const double acc[] = {0.5, 0.9, 0.7, 0.95};

	open_fresh(&db);
	make_sweep(&db, &t1, &t2);
	for (int e = 1; e <= 4; e++) {
		db_point_add(&db, t1, "val_acc", e, e, acc[e - 1], e);
		db_point_add(&db, t2, "val_acc", e, e, 0.1, e);
	}
	CHECK(db_flush(&db, err, sizeof err) == 0);
	/* Resumed from a checkpoint at epoch 3: epoch 4 goes, the best is recomputed. */
	CHECK(db_trial_truncate(&db, t1, 3, "val_acc", 1, &best, &best_epoch, err, sizeof err) == 0);
	CHECK(scalar(&db, "SELECT count(*) FROM points WHERE trial_id = 1") == 3);
	CHECK_NEAR(best, 0.9, 0);
	CHECK(best_epoch == 2);
	CHECK(db_trial_truncate(&db, t1, 3, "val_acc", 0, &best, &best_epoch, err, sizeof err) == 0);
	CHECK_NEAR(best, 0.5, 0); /* minimizing */
	/* Started over from nothing: the whole curve goes, the other trial's stays. */
	CHECK(db_trial_truncate(&db, t1, 0, "val_acc", 1, &best, &best_epoch, err, sizeof err) == 0);
	CHECK(isnan(best));
	CHECK(scalar(&db, "SELECT count(*) FROM points") == 4);
	cleanup(&db);
}

/* Cancelling a sweep's queued trials is a write; the daemon's reads run on
 * its own connection through db.query (the reads are tested in test_query). */
static void test_cancel_queued(void)
{
	struct db db;
	char err[512];
	int64_t t1, t2;
	struct trial_row row = {.status = "running", .exit_code = -1, .attempts = 1, .pid = 4242,
				.started_at = 5, .best_value = NAN};
	cJSON *rows;

	open_fresh(&db);
	make_sweep(&db, &t1, &t2);
	row.id = t1;
	db_trial_update(&db, &row);
	CHECK(db_flush(&db, err, sizeof err) == 0);
	rows = query_run(&db.query, err, sizeof err, QUERY_QUEUED_TRIALS, "i", 1LL);
	CHECK(cJSON_GetArraySize(rows) == 1);
	cJSON_Delete(rows);
	CHECK(db_cancel_queued(&db, 1, "cancelled", err, sizeof err) == 0);
	CHECK(scalar(&db, "SELECT count(*) FROM trials WHERE status = 'cancelled'"
			  " AND reason = 'cancelled' AND ended_at > 0") == 1);
	CHECK(scalar(&db, "SELECT count(*) FROM trials WHERE status = 'running'") == 1);
	rows = query_run(&db.query, err, sizeof err, QUERY_QUEUED_TRIALS, "i", 1LL);
	CHECK(rows && cJSON_GetArraySize(rows) == 0);
	cJSON_Delete(rows);
	cleanup(&db);
}

/* A trial's note and its sweep's are their own columns: the batched update
 * of a running trial's row keeps the note written at once before it, and
 * NULL clears one without touching the other. */
static void test_notes(void)
{
	struct db db;
	char err[512];
	int64_t t1, t2;
	struct trial_row row = {.status = "running", .exit_code = -1, .attempts = 1, .pid = 4242,
				.started_at = 5, .best_value = NAN};

	open_fresh(&db);
	make_sweep(&db, &t1, &t2);
	CHECK(db_set_note(&db, 1, t1, "lr too high", err, sizeof err) == 0);
	CHECK(db_set_note(&db, 0, 1, "first try", err, sizeof err) == 0);
	row.id = t1;
	db_trial_update(&db, &row);
	CHECK(db_flush(&db, err, sizeof err) == 0);
	CHECK(scalar(&db, "SELECT count(*) FROM trials WHERE note = 'lr too high' AND status = "
			  "'running'") == 1);
	CHECK(scalar(&db, "SELECT count(*) FROM trials WHERE note IS NULL") == 1);
	CHECK(db_set_note(&db, 1, t1, NULL, err, sizeof err) == 0);
	CHECK(scalar(&db, "SELECT count(*) FROM trials WHERE note IS NULL") == 2);
	CHECK(scalar(&db, "SELECT count(*) FROM sweeps WHERE note = 'first try'") == 1);
	cleanup(&db);
}

static long file_bytes(const char *name, unsigned char *buf, size_t n)
{
	FILE *f = fopen(name, "rb");
	long got = f ? (long)fread(buf, 1, n, f) : -1;

	if (f)
		fclose(f);
	return got;
}

/* A damaged or truncated file is refused with what is wrong and how to
 * recover, and nothing is written to it. */
static void test_damaged(void)
{
	static unsigned char before[1 << 20], after[1 << 20];
	struct db db;
	char err[512];
	int64_t t1, t2;
	long n;

	open_fresh(&db);
	make_sweep(&db, &t1, &t2);
	CHECK(sqlite3_exec(db.h,
			   "WITH RECURSIVE e(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM e WHERE i < 4000)"
			   " INSERT INTO points (trial_id, metric, epoch, step, value, wall_time)"
			   " SELECT 1, 'val_loss', i, 0, 1.0 / i, i FROM e",
			   NULL, NULL, NULL) == SQLITE_OK);
	db_close(&db);
	n = file_bytes(path, before, sizeof before);
	CHECK(n > 4 * 4096 && n < (long)sizeof before);
	for (long i = 2 * 4096; i < n - 4096; i++)
		before[i] = (unsigned char)(i * 131 % 251); /* every page but the first two and the last */
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(before, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	CHECK(db_open(&db, path, err, sizeof err) < 0);
	CHECK_CONTAINS(err, path);
	CHECK_CONTAINS(err, "damaged");
	CHECK_CONTAINS(err, ".recover");
	CHECK(file_bytes(path, after, sizeof after) == n && memcmp(before, after, (size_t)n) == 0);
	CHECK(truncate(path, 3 * 4096) == 0); /* cut short, as by a full disk's copy */
	CHECK(db_open(&db, path, err, sizeof err) < 0);
	CHECK_CONTAINS(err, path);
	cleanup(&db);
}

/* A second holder is refused, naming the first's pid (flock locks each
 * open file, so one process can play both); once closed, it is free. */
static void test_lock(void)
{
	char err[512], lock[80], pid[64];
	int fd, fd2;

	snprintf(path, sizeof path, "/tmp/caviar-test-db.XXXXXX");
	close(mkstemp(path));
	fd = db_lock(path, err, sizeof err);
	CHECK(fd >= 0);
	CHECK(db_lock(path, err, sizeof err) < 0);
	snprintf(pid, sizeof pid, "in use by another caviard (pid %ld)", (long)getpid());
	CHECK_CONTAINS(err, pid);
	close(fd);
	fd2 = db_lock(path, err, sizeof err);
	CHECK(fd2 >= 0);
	close(fd2);
	snprintf(lock, sizeof lock, "%s.lock", path);
	unlink(lock);
	unlink(path);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"migrate", test_migrate},
		{"batched_points", test_batched_points},
		{"failed_flush_keeps_points", test_failed_flush_keeps_points},
		{"recover", test_recover},
		{"truncate", test_truncate},
		{"cancel_queued", test_cancel_queued},
		{"notes", test_notes},
		{"damaged", test_damaged},
		{"lock", test_lock},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
