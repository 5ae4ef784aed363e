/* test_writer: the database writes' back-pressure on a real database whose
 * write lock another connection holds: reads held past hold_max queued
 * writes while flushes fail and resumed once one works; a failed flush
 * retried by the timer after WRITER_RETRY_MS with nothing lost; checkpoints
 * removed only once a flush works; the last flush given up. The loop's clock
 * is read, not waited on: the retry's due time is checked, then the loop
 * runs until nothing is left armed. */
#include <sys/stat.h>
#include <unistd.h>

#include "statedir.h"
#include "test.h"
#include "tmpdir.h"
#include "writer.h"

static char dir[PATH_MAX], path[PATH_MAX];
static uv_loop_t loop;
static struct db db;
static sqlite3 *other; /* the connection that holds the write lock */

/* What the fake host was told. */
static struct {
	int held, n_hold, n_recovered;
} h;

static void fake_hold(void *data, int hold)
{
	(void)data;
	h.held = hold;
	h.n_hold++;
}

static void fake_recovered(void *data)
{
	(void)data;
	h.n_recovered++;
}

/* A fresh database with one trial (its id in *trial) and a writer on it. */
static void start(struct writer *w, int64_t *trial)
{
	char err[512];
	int64_t sweep;

	memset(&h, 0, sizeof h);
	tmp_path(path, dir, "db");
	unlink(path);
	CHECK(db_open(&db, path, err, sizeof err) == 0);
	CHECK(db_insert_sweep(&db, "s", "{}", "random", 7, "val_acc", 1, 1, 1000.0, &sweep, err,
			      sizeof err) == 0);
	CHECK(db_insert_trial(&db, sweep, 0, 0, "{}", 1, trial, err, sizeof err) == 0);
	uv_loop_init(&loop);
	*w = (struct writer){.host = {.hold = fake_hold, .recovered = fake_recovered}, .db = &db,
			     .interval = 0};
	writer_init(w, &loop);
}

static void stop(struct writer *w)
{
	char wal[PATH_MAX + 8];

	writer_close(w);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK(uv_loop_close(&loop) == 0);
	writer_finish(w);
	db_close(&db);
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", path);
	unlink(wal);
	unlink(path);
}

static void lock_db(void)
{
	CHECK(sqlite3_open(path, &other) == SQLITE_OK);
	CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
}

static void unlock_db(void)
{
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
}

static int64_t points_written(void)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db.h, "SELECT count(*) FROM points", -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void add_points(int64_t trial, int from, int n)
{
	for (int i = from; i < from + n; i++)
		db_point_add(&db, trial, "val_acc", i, i, 0.5, 1);
}

static void test_hold_and_resume(void)
{
	struct writer w;
	int64_t trial;

	start(&w, &trial);
	w.hold_max = 3;
	w.retry_ms = 1;
	lock_db();
	add_points(trial, 1, 1);
	CHECK(writer_flush(&w) < 0);
	CHECK(w.failing);
	add_points(trial, 2, 1);
	writer_dirty(&w); /* 2 queued: below hold_max */
	CHECK(h.n_hold == 0);
	add_points(trial, 3, 1);
	writer_dirty(&w); /* 3: the workers' pipes are no longer read */
	CHECK(h.n_hold == 1 && h.held == 1);
	add_points(trial, 4, 1);
	writer_dirty(&w); /* told once */
	CHECK(h.n_hold == 1);
	CHECK(h.n_recovered == 0);
	unlock_db();
	uv_run(&loop, UV_RUN_DEFAULT); /* the retry works, then what waited resumes */
	CHECK(!w.failing && !w.held);
	CHECK(h.n_hold == 2 && h.held == 0);
	CHECK(h.n_recovered == 1);
	CHECK(db_pending(&db) == 0);
	CHECK(points_written() == 4);
	stop(&w);
}

static void test_retry(void)
{
	struct writer w;
	int64_t trial;

	start(&w, &trial);
	w.flush_now = 2;
	lock_db();
	add_points(trial, 1, 1);
	writer_dirty(&w); /* below flush_now: the interval's timer */
	CHECK(!w.failing && uv_is_active((uv_handle_t *)&w.timer));
	add_points(trial, 2, 1);
	writer_dirty(&w); /* at flush_now: flushed at once, which fails */
	CHECK(w.failing);
	CHECK_CONTAINS(w.error, "locked");
	CHECK(db_pending(&db) == 2);
	CHECK(uv_timer_get_due_in(&w.timer) == WRITER_RETRY_MS);
	add_points(trial, 3, 1);
	writer_dirty(&w); /* failing: no flush until the retry */
	CHECK(db_pending(&db) == 3);
	CHECK(uv_timer_get_due_in(&w.timer) == WRITER_RETRY_MS);
	CHECK(h.n_hold == 0); /* far below hold_max */
	unlock_db();
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK(!w.failing && w.error[0] == '\0');
	CHECK(db_pending(&db) == 0);
	CHECK(points_written() == 3); /* nothing lost */
	CHECK(h.n_recovered == 1 && h.n_hold == 0);
	stop(&w);
}

static void test_discard(void)
{
	struct writer w;
	char ckpt[4200], err[512];
	struct stat st;
	int64_t trial;
	FILE *f;

	start(&w, &trial);
	statedir_checkpoint(dir, trial, 0, ckpt, sizeof ckpt);
	CHECK(statedir_make(dir, err, sizeof err) == 0);
	f = fopen(ckpt, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	writer_discard(&w, ckpt);
	add_points(trial, 1, 1);
	writer_stop(&w); /* as at shutdown: a failed flush arms no retry */
	lock_db();
	CHECK(writer_flush(&w) < 0);
	CHECK(stat(ckpt, &st) == 0); /* the trial's end is not committed: kept */
	CHECK(writer_final(&w, 0) < 0); /* given up */
	CHECK(!uv_is_active((uv_handle_t *)&w.timer));
	CHECK(stat(ckpt, &st) == 0);
	unlock_db();
	CHECK(writer_flush(&w) == 0);
	CHECK(stat(ckpt, &st) < 0); /* committed: removed */
	CHECK(points_written() == 1);
	stop(&w);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"hold_and_resume", test_hold_and_resume},
		{"retry", test_retry},
		{"discard", test_discard},
		{0}};
	int rc;

	tmp_make(dir, sizeof dir, "caviar-test-writer");
	rc = test_main(argc, argv, cases);
	tmp_remove(dir);
	return rc;
}
