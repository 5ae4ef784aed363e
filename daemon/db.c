/* db: SQLite storage for the daemon: schema migrations, prepared statements,
 * batched writes (see db.h). */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "errbuf.h"
#include "log.h"
#include "pareto.h"
#include "schema.h"
#include "xalloc.h"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_INSERT_SWEEP] =
		"INSERT INTO sweeps (name, spec, search, seed, metric, mode, budget, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_INSERT_ROUND] =
		"INSERT OR REPLACE INTO rounds (sweep_id, round, ranges, created_at)"
		" VALUES (?1, ?2, ?3, ?4)",
	[ST_INSERT_TRIAL] =
		"INSERT INTO trials (sweep_id, number, round, params, seed) VALUES (?1, ?2, ?3, ?4, ?5)",
	/* A line seen again (a resumed worker replays its curve) keeps the
	 * original row; a different value for the same point replaces it. */
	[ST_INSERT_POINT] =
		"INSERT INTO points (trial_id, metric, epoch, step, value, wall_time)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (trial_id, metric, epoch, step)"
		" DO UPDATE SET value = excluded.value, wall_time = excluded.wall_time"
		" WHERE value IS NOT excluded.value",
	[ST_UPDATE_TRIAL] =
		"UPDATE trials SET status = ?2, attempts = ?3, pid = ?4, started_at = ?5,"
		" ended_at = ?6, exit_code = ?7, exit_signal = ?8, reason = ?9, stderr_tail = ?10,"
		" epochs = ?11, best_value = ?12, best_epoch = ?13 WHERE id = ?1",
	[ST_SWEEP_STATUS] =
		"UPDATE sweeps SET status = ?2, finished_at = coalesce(?3, finished_at) WHERE id = ?1",
	[ST_TRUNCATE] = "DELETE FROM points WHERE trial_id = ?1 AND epoch > ?2",
	[ST_INSERT_LOG] = "INSERT OR REPLACE INTO logs (trial_id, attempt, seq, wall_time, line)"
			  " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_CANCEL_QUEUED] =
		"UPDATE trials SET status = 'cancelled', reason = ?2,"
		" ended_at = (julianday('now') - 2440587.5) * 86400.0"
		" WHERE sweep_id = ?1 AND status = 'queued'",
	[ST_SWEEP_END] =
		"UPDATE sweeps SET status = ?2, finished_at = ?3, ended_reason = ?4 WHERE id = ?1",
	[ST_SWEEP_BUDGET] =
		"UPDATE sweeps SET budget = ?2, status = ?3, finished_at = NULL, ended_reason = NULL"
		" WHERE id = ?1",
	[ST_SWEEP_NOTE] = "UPDATE sweeps SET note = ?2 WHERE id = ?1",
	[ST_TRIAL_NOTE] = "UPDATE trials SET note = ?2 WHERE id = ?1",
	[ST_TAG] = "INSERT OR IGNORE INTO tags (sweep_id, tag) VALUES (?1, ?2)",
	[ST_UNTAG] = "DELETE FROM tags WHERE sweep_id = ?1 AND tag = ?2",
	/* A sweep's rows, children first (foreign keys are on). */
	[ST_RM_POINTS] = "DELETE FROM points WHERE trial_id IN (SELECT id FROM trials WHERE sweep_id = ?1)",
	[ST_RM_LOGS] = "DELETE FROM logs WHERE trial_id IN (SELECT id FROM trials WHERE sweep_id = ?1)",
	[ST_RM_ADJUSTMENTS] = "DELETE FROM adjustments WHERE trial_id IN"
			      " (SELECT id FROM trials WHERE sweep_id = ?1)",
	[ST_RM_TRIALS] = "DELETE FROM trials WHERE sweep_id = ?1 RETURNING id",
	[ST_RM_ROUNDS] = "DELETE FROM rounds WHERE sweep_id = ?1",
	[ST_RM_TAGS] = "DELETE FROM tags WHERE sweep_id = ?1",
	[ST_RM_GOALS] = "DELETE FROM goals WHERE sweep_id = ?1",
	[ST_RM_SWEEP] = "DELETE FROM sweeps WHERE id = ?1",
	[ST_SUGGESTION] = "UPDATE trials SET suggestion = ?2 WHERE id = ?1",
	[ST_INSERT_ADJUSTMENT] =
		"INSERT INTO adjustments (trial_id, epoch, step, name, old_value, new_value,"
		" source, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_SET_PARENT] = "UPDATE trials SET parent_trial_id = ?2, parent_epoch = ?3 WHERE id = ?1",
	[ST_SET_REPLACED] = "UPDATE trials SET status = 'pruned', reason = ?2 WHERE id = ?1",
	[ST_INSERT_GOAL] = "INSERT INTO goals (sweep_id, idx, kind, metric, mode, lo, hi)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_GOALS] = "SELECT kind, mode, lo, hi FROM goals WHERE sweep_id = ?1 ORDER BY idx",
	[ST_GOAL_VALUES] = "SELECT trial_id, idx, value FROM goal_values WHERE sweep_id = ?1"
			   " ORDER BY number, idx",
	[ST_SET_RANK] = "UPDATE trials SET pareto_rank = ?2, crowding = ?3, violation = ?4"
			" WHERE id = ?1",
	[ST_BEST] = "SELECT value, epoch FROM points WHERE trial_id = ?1 AND metric = ?2"
		    " ORDER BY CASE WHEN ?3 THEN -value ELSE value END, epoch LIMIT 1",
};

static int sql_error(struct db *db, char *err, size_t errlen, const char *what)
{
	return err_set(err, errlen, "%s: %s", what, sqlite3_errmsg(db->h));
}

static int exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int user_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* After a migration that rebuilt a table (foreign keys are off while
 * migrating): every reference must still hold. */
static int foreign_keys_ok(struct db *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return sql_error(db, err, errlen, "checking foreign keys");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err_set(err, errlen, "a row of %s refers to a missing row of %s",
			(const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? -1 : sql_error(db, err, errlen, "checking foreign keys");
}

/* Applies the migrations the database lacks, each in its own transaction,
 * with foreign keys off (a migration may rebuild a table the documented way;
 * foreign_keys_ok checks the result before it commits). */
static int migrate(struct db *db, char *err, size_t errlen)
{
	int v = user_version(db);
	char pragma[64];

	if (v < 0)
		return sql_error(db, err, errlen, "reading user_version");
	if (v > schema_version)
		return err_set(err, errlen,
			       "database schema version %d is newer than this caviard's (%d)", v,
			       schema_version);
	for (; v < schema_version; v++) {
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d;", v + 1);
		if (exec(db, "BEGIN IMMEDIATE", err, errlen) < 0)
			return -1;
		if (exec(db, schema_migrations[v], err, errlen) < 0 ||
		    foreign_keys_ok(db, err, errlen) < 0 || exec(db, pragma, err, errlen) < 0) {
			err_prefix(err, errlen, "schema migration %d", v + 1);
			exec(db, "ROLLBACK", NULL, 0);
			return -1;
		}
		if (exec(db, "COMMIT", err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* A damaged file is refused before anything is written to it: what it still
 * holds is for the user to recover, not for a migration to build on. */
static int check_intact(struct db *db, const char *path, char *err, size_t errlen)
{
	static const char MAIN_HEADER[] = "*** in database main ***\n";
	sqlite3_stmt *st;
	char found[400] = "";
	size_t used = 0;

	if (sqlite3_prepare_v2(db->h, "PRAGMA quick_check(3)", -1, &st, NULL) != SQLITE_OK) {
		if (sqlite3_errcode(db->h) != SQLITE_CORRUPT)
			return sql_error(db, err, errlen, "reading the file");
		snprintf(found, sizeof found, "%s", sqlite3_errmsg(db->h)); /* its schema */
	} else {
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *what = (const char *)sqlite3_column_text(st, 0);
			if (!what || strcmp(what, "ok") == 0)
				continue;
			if (strncmp(what, MAIN_HEADER, strlen(MAIN_HEADER)) == 0)
				what += strlen(MAIN_HEADER);
			/* one line of the message: its problems joined by "; " */
			if (used && used + 3 < sizeof found)
				used += (size_t)snprintf(found + used, 3, "; ");
			for (; *what && used + 3 < sizeof found; what++)
				if (*what != '\n')
					found[used++] = *what;
				else if (what[1])
					used += (size_t)snprintf(found + used, 3, "; ");
			found[used] = '\0';
		}
		if (rc != SQLITE_DONE && !used)
			snprintf(found, sizeof found, "%s", sqlite3_errmsg(db->h));
		sqlite3_finalize(st);
	}
	if (!found[0])
		return 0;
	return err_set(err, errlen,
		       "the database file is damaged (%s); caviard wrote nothing to it: "
		       "recover what it holds with `sqlite3 %s .recover | sqlite3 NEW.db`, "
		       "or start from a backup",
		       found, path);
}

int db_lock(const char *path, char *err, size_t errlen)
{
	char lock[4200], pid[32] = "";
	int fd;
	ssize_t n;

	snprintf(lock, sizeof lock, "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) /* a read-only directory, or another user's */
		return err_set(err, errlen, "cannot open %s, the database's lock file: %s", lock,
			       strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(fd, pid, sizeof pid - 1, 0);
		close(fd);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return err_set(err, errlen,
			       "%s is in use by another caviard (pid %s); stop it first, or give "
			       "this one another --db",
			       path, pid[0] ? pid : "unknown");
	}
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
		log_msg("%s: %s", lock, strerror(errno)); /* the lock holds regardless */
	return fd;
}

int db_open(struct db *db, const char *path, char *err, size_t errlen)
{
	memset(db, 0, sizeof *db);
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		err_set(err, errlen, "%s: %s", path, db->h ? sqlite3_errmsg(db->h) : "cannot open");
		goto error;
	}
	/* A short busy timeout: the event loop must not stall behind a reader
	 * holding a lock; a busy flush is retried on the next one. */
	sqlite3_busy_timeout(db->h, 200);
	if (check_intact(db, path, err, errlen) < 0 ||
	    exec(db, "PRAGMA journal_mode = WAL", err, errlen) < 0 ||
	    exec(db, "PRAGMA synchronous = NORMAL", err, errlen) < 0 ||
	    migrate(db, err, errlen) < 0 || exec(db, "PRAGMA foreign_keys = ON", err, errlen) < 0) {
		err_prefix(err, errlen, "%s", path);
		goto error;
	}
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(db->h, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &db->st[i],
				       NULL) != SQLITE_OK) {
			sql_error(db, err, errlen, "preparing statements");
			goto error;
		}
	query_init(&db->query, db->h);
	return 0;
error:
	db_close(db);
	return -1;
}

void db_row_reason(struct trial_row *row, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	free(row->reason);
	row->reason = xstrdup(buf);
}

static void row_free(struct trial_row *r)
{
	free(r->reason);
	free(r->stderr_tail);
}

void db_close(struct db *db)
{
	if (!db->h)
		return;
	if (db_pending(db))
		db_flush(db, NULL, 0);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	query_finish(&db->query);
	sqlite3_close(db->h);
	for (size_t i = 0; i < db->n_rows; i++)
		row_free(&db->rows[i]);
	for (size_t i = 0; i < db->n_logs; i++)
		free(db->logs[i].line);
	strset_finish(&db->names);
	free(db->logs);
	free(db->rows);
	free(db->points);
	free(db->rank_sweeps);
	memset(db, 0, sizeof *db);
}

int db_begin(struct db *db, char *err, size_t errlen)
{
	return exec(db, "BEGIN IMMEDIATE", err, errlen);
}

int db_commit(struct db *db, char *err, size_t errlen)
{
	return exec(db, "COMMIT", err, errlen);
}

void db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		exec(db, "ROLLBACK", NULL, 0);
}

/* Steps a bound statement that returns no rows, then resets it. */
static int run(struct db *db, sqlite3_stmt *st, char *err, size_t errlen, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sql_error(db, err, errlen, what);
}

int db_insert_sweep(struct db *db, const char *name, const char *spec_json, const char *search,
		    uint64_t seed, const char *metric, int maximize, int budget, double now,
		    int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_INSERT_SWEEP];

	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, spec_json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, search, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)seed);
	sqlite3_bind_text(st, 5, metric, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, maximize ? "max" : "min", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, budget);
	sqlite3_bind_double(st, 8, now);
	if (run(db, st, err, errlen, "inserting sweep") < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int db_insert_round(struct db *db, int64_t sweep_id, int round, const char *ranges_json,
		    double now, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_INSERT_ROUND];

	sqlite3_bind_int64(st, 1, sweep_id);
	sqlite3_bind_int(st, 2, round);
	sqlite3_bind_text(st, 3, ranges_json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 4, now);
	return run(db, st, err, errlen, "inserting round");
}

int db_insert_trial(struct db *db, int64_t sweep_id, int number, int round,
		    const char *params_json, uint64_t seed, int64_t *id, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_INSERT_TRIAL];

	sqlite3_bind_int64(st, 1, sweep_id);
	sqlite3_bind_int(st, 2, number);
	sqlite3_bind_int(st, 3, round);
	sqlite3_bind_text(st, 4, params_json, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)seed);
	if (run(db, st, err, errlen, "inserting trial") < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int db_set_sweep_status(struct db *db, int64_t sweep_id, const char *status, double now,
			char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_SWEEP_STATUS];

	sqlite3_bind_int64(st, 1, sweep_id);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	if (now > 0)
		sqlite3_bind_double(st, 3, now);
	return run(db, st, err, errlen, "updating sweep");
}


void db_point_add(struct db *db, int64_t trial_id, const char *metric, int epoch, int64_t step,
		  double value, double wall_time)
{
	struct db_point *p;

	if (db->n_points == db->cap_points) {
		db->cap_points = db->cap_points ? 2 * db->cap_points : 1024;
		db->points = xrealloc(db->points, db->cap_points * sizeof *db->points);
	}
	p = &db->points[db->n_points++];
	p->trial_id = trial_id;
	p->metric = strset_add(&db->names, metric);
	p->epoch = epoch;
	p->step = step;
	p->value = value;
	p->wall_time = wall_time;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void db_trial_update(struct db *db, const struct trial_row *row)
{
	struct trial_row *r = NULL;

	for (size_t i = 0; i < db->n_rows; i++)
		if (db->rows[i].id == row->id) {
			r = &db->rows[i];
			row_free(r);
			break;
		}
	if (!r) {
		if (db->n_rows == db->cap_rows) {
			db->cap_rows = db->cap_rows ? 2 * db->cap_rows : 16;
			db->rows = xrealloc(db->rows, db->cap_rows * sizeof *db->rows);
		}
		r = &db->rows[db->n_rows++];
	}
	*r = *row;
	r->reason = dup_or_null(row->reason);
	r->stderr_tail = dup_or_null(row->stderr_tail);
}

void db_log_add(struct db *db, int64_t trial_id, int attempt, int seq, const char *line,
		size_t len, double wall_time)
{
	struct db_log *l;

	if (db->n_logs == db->cap_logs) {
		db->cap_logs = db->cap_logs ? 2 * db->cap_logs : 256;
		db->logs = xrealloc(db->logs, db->cap_logs * sizeof *db->logs);
	}
	l = &db->logs[db->n_logs++];
	l->trial_id = trial_id;
	l->attempt = attempt;
	l->seq = seq;
	l->wall_time = wall_time;
	l->line = xstrndup(line, len);
}

size_t db_pending(const struct db *db)
{
	return db->n_points + db->n_logs + db->n_rows + db->n_rank;
}

static int write_log(struct db *db, const struct db_log *l, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_INSERT_LOG];

	sqlite3_bind_int64(st, 1, l->trial_id);
	sqlite3_bind_int(st, 2, l->attempt);
	sqlite3_bind_int(st, 3, l->seq);
	sqlite3_bind_double(st, 4, l->wall_time);
	sqlite3_bind_text(st, 5, l->line, -1, SQLITE_STATIC);
	return run(db, st, err, errlen, "inserting a log line");
}

static void bind_opt_double(sqlite3_stmt *st, int i, double x, int present)
{
	if (present)
		sqlite3_bind_double(st, i, x);
	else
		sqlite3_bind_null(st, i);
}

static int write_row(struct db *db, const struct trial_row *r, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_UPDATE_TRIAL];

	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->attempts);
	bind_opt_double(st, 4, r->pid, r->pid > 0);
	bind_opt_double(st, 5, r->started_at, r->started_at > 0);
	bind_opt_double(st, 6, r->ended_at, r->ended_at > 0);
	bind_opt_double(st, 7, r->exit_code, r->exit_code >= 0);
	bind_opt_double(st, 8, r->exit_signal, r->exit_signal > 0);
	sqlite3_bind_text(st, 9, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->stderr_tail, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, r->epochs);
	bind_opt_double(st, 12, r->best_value, !isnan(r->best_value));
	bind_opt_double(st, 13, r->best_epoch, !isnan(r->best_value));
	return run(db, st, err, errlen, "updating trial");
}

static int write_point(struct db *db, const struct db_point *p, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_INSERT_POINT];

	sqlite3_bind_int64(st, 1, p->trial_id);
	sqlite3_bind_text(st, 2, p->metric, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, p->epoch);
	sqlite3_bind_int64(st, 4, p->step);
	sqlite3_bind_double(st, 5, p->value);
	sqlite3_bind_double(st, 6, p->wall_time);
	return run(db, st, err, errlen, "inserting point");
}

/* A flush's error names the database file, and a full disk says where to
 * make room: "DB: database or disk is full (no space left where DB is)". */
static int flush_error(struct db *db, char *err, size_t errlen)
{
	char why[ERRBUF_LEN];
	const char *path = sqlite3_db_filename(db->h, "main");
	int full = (sqlite3_extended_errcode(db->h) & 0xff) == SQLITE_FULL;

	snprintf(why, sizeof why, "%s", err);
	db_rollback(db);
	return err_set(err, errlen, "%s: %s%s", path && *path ? path : "the database", why,
		       full ? " (no space left where it is: free some and caviard writes "
			      "what it holds)" : "");
}

int db_insert_goals(struct db *db, int64_t sweep_id, const struct spec *s, char *err,
		    size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_INSERT_GOAL];

	if (!spec_has_goals(s))
		return 0;
	for (int i = 0; i < s->n_objectives + s->n_constraints; i++) {
		int obj = i < s->n_objectives;
		const struct spec_constraint *c = obj ? NULL : &s->constraints[i - s->n_objectives];
		sqlite3_bind_int64(st, 1, sweep_id);
		sqlite3_bind_int(st, 2, i);
		sqlite3_bind_text(st, 3, obj ? "objective" : "constraint", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, obj ? s->objectives[i].metric : c->metric, -1,
				  SQLITE_STATIC);
		if (obj)
			sqlite3_bind_text(st, 5, s->objectives[i].max ? "max" : "min", -1,
					  SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 5);
		bind_opt_double(st, 6, c ? c->lo : 0, c && !isnan(c->lo));
		bind_opt_double(st, 7, c ? c->hi : 0, c && !isnan(c->hi));
		if (run(db, st, err, errlen, "recording the sweep's goals") < 0)
			return -1;
	}
	return 0;
}

void db_rank_queue(struct db *db, int64_t sweep_id)
{
	for (size_t i = 0; i < db->n_rank; i++)
		if (db->rank_sweeps[i] == sweep_id)
			return;
	if (db->n_rank == db->cap_rank) {
		db->cap_rank = db->cap_rank ? 2 * db->cap_rank : 4;
		db->rank_sweeps = xrealloc(db->rank_sweeps, db->cap_rank * sizeof *db->rank_sweeps);
	}
	db->rank_sweeps[db->n_rank++] = sweep_id;
}

/* A sweep's goals, read from table goals: m objectives' senses, k
 * constraints' bounds (NaN where absent), and each goal's place. */
struct goals {
	enum pareto_sense sense[SPEC_MAX_OBJECTIVES];
	double lo[SPEC_MAX_CONSTRAINTS], hi[SPEC_MAX_CONSTRAINTS];
	int m, k;
	int is_obj[SPEC_MAX_OBJECTIVES + SPEC_MAX_CONSTRAINTS]; /* by idx */
};

static double column_or_nan(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int read_goals(struct db *db, int64_t sweep_id, struct goals *g, char *err,
		      size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_GOALS];
	int rc;

	memset(g, 0, sizeof *g);
	sqlite3_bind_int64(st, 1, sweep_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		int obj = kind && strcmp(kind, "objective") == 0;
		const char *mode = (const char *)sqlite3_column_text(st, 1);
		if (g->m + g->k == SPEC_MAX_OBJECTIVES + SPEC_MAX_CONSTRAINTS ||
		    (obj ? g->m == SPEC_MAX_OBJECTIVES : g->k == SPEC_MAX_CONSTRAINTS))
			break; /* more than a spec may give: keep what fits */
		g->is_obj[g->m + g->k] = obj;
		if (obj) {
			g->sense[g->m++] = mode && strcmp(mode, "max") == 0 ? PARETO_MAX : PARETO_MIN;
		} else {
			g->lo[g->k] = column_or_nan(st, 2);
			g->hi[g->k++] = column_or_nan(st, 3);
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_error(db, err, errlen, "reading the sweep's goals");
	return 0;
}

/* The trials that count, with their goals' values: ids (n), objective values
 * (n x m) and constraint values (n x k), malloc'd; the caller frees them. */
struct goal_rows {
	int64_t *id;
	double *obj, *con;
	size_t n, cap;
};

static int read_goal_values(struct db *db, int64_t sweep_id, const struct goals *g,
			    struct goal_rows *r, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_GOAL_VALUES];
	size_t mk = (size_t)(g->m + g->k);
	int rc;

	sqlite3_bind_int64(st, 1, sweep_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int idx = sqlite3_column_int(st, 1), o = 0, c = 0;
		if (idx < 0 || (size_t)idx >= mk)
			continue;
		if (r->n == 0 || r->id[r->n - 1] != id) {
			if (r->n == r->cap) {
				r->cap = r->cap ? 2 * r->cap : 64;
				r->id = xrealloc(r->id, r->cap * sizeof *r->id);
				r->obj = xrealloc(r->obj, r->cap * (size_t)g->m * sizeof *r->obj);
				r->con = xrealloc(r->con, r->cap * (size_t)g->k * sizeof *r->con);
			}
			r->id[r->n] = id;
			for (int j = 0; j < g->m; j++)
				r->obj[r->n * (size_t)g->m + (size_t)j] = NAN;
			for (int j = 0; j < g->k; j++)
				r->con[r->n * (size_t)g->k + (size_t)j] = NAN;
			r->n++;
		}
		for (int j = 0; j < idx; j++) /* the goal's place among its kind */
			*(g->is_obj[j] ? &o : &c) += 1;
		if (g->is_obj[idx])
			r->obj[(r->n - 1) * (size_t)g->m + (size_t)o] = column_or_nan(st, 2);
		else
			r->con[(r->n - 1) * (size_t)g->k + (size_t)c] = column_or_nan(st, 2);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sql_error(db, err, errlen, "reading the goals' values");
	return 0;
}

/* Rewrites the Pareto rank, crowding and violation of sweep_id's trials. */
static int rank_sweep(struct db *db, int64_t sweep_id, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_SET_RANK];
	struct goals g;
	struct goal_rows r = {0};
	double *viol = NULL, *crowd = NULL;
	int *rank = NULL, rc = -1;

	if (read_goals(db, sweep_id, &g, err, errlen) < 0 ||
	    read_goal_values(db, sweep_id, &g, &r, err, errlen) < 0)
		goto out;
	viol = xmalloc(r.n * sizeof *viol);
	crowd = xmalloc(r.n * sizeof *crowd);
	rank = xmalloc(r.n * sizeof *rank);
	for (size_t i = 0; i < r.n; i++)
		viol[i] = pareto_violation(r.con + i * (size_t)g.k, g.lo, g.hi, (size_t)g.k);
	pareto_rank(r.obj, viol, r.n, (size_t)g.m, g.sense, rank);
	pareto_crowding(r.obj, rank, r.n, (size_t)g.m, crowd);
	for (size_t i = 0; i < r.n; i++) {
		sqlite3_bind_int64(st, 1, r.id[i]);
		sqlite3_bind_int(st, 2, rank[i]);
		sqlite3_bind_double(st, 3, crowd[i]);
		sqlite3_bind_double(st, 4, viol[i]);
		if (run(db, st, err, errlen, "writing the Pareto ranks") < 0)
			goto out;
	}
	rc = 0;
out:
	free(r.id);
	free(r.obj);
	free(r.con);
	free(viol);
	free(crowd);
	free(rank);
	return rc;
}

int db_flush(struct db *db, char *err, size_t errlen)
{
	if (!db_pending(db))
		return 0;
	if (db_begin(db, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < db->n_points; i++)
		if (write_point(db, &db->points[i], err, errlen) < 0)
			goto error;
	for (size_t i = 0; i < db->n_logs; i++)
		if (write_log(db, &db->logs[i], err, errlen) < 0)
			goto error;
	for (size_t i = 0; i < db->n_rows; i++)
		if (write_row(db, &db->rows[i], err, errlen) < 0)
			goto error;
	for (size_t i = 0; i < db->n_rank; i++)
		if (rank_sweep(db, db->rank_sweeps[i], err, errlen) < 0)
			goto error;
	if (db_commit(db, err, errlen) < 0)
		goto error;
	db->points_written += (int64_t)db->n_points;
	db->n_points = 0;
	strset_finish(&db->names); /* no queued point names one any more */
	for (size_t i = 0; i < db->n_logs; i++)
		free(db->logs[i].line);
	db->n_logs = 0;
	for (size_t i = 0; i < db->n_rows; i++)
		row_free(&db->rows[i]);
	db->n_rows = 0;
	db->n_rank = 0;
	return 0;
error:
	return flush_error(db, err, errlen);
}

int db_unfinished(struct db *db,
		  void (*each)(int64_t id, int64_t sweep_id, int epochs, int best_epoch, void *ctx),
		  void *ctx, char *err, size_t errlen)
{
	static const char *const where = "pid IS NOT NULL AND status NOT IN ('running', 'queued')";
	char sql[256];
	sqlite3_stmt *st;
	int rc, n = 0;

	snprintf(sql, sizeof sql, "SELECT id, sweep_id, epochs, best_epoch FROM trials WHERE %s",
		 where);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_error(db, err, errlen, "finding trials that ended unseen");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		each(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		     sqlite3_column_int(st, 2), sqlite3_column_int(st, 3), ctx);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_error(db, err, errlen, "finding trials that ended unseen");
	snprintf(sql, sizeof sql, "UPDATE trials SET pid = NULL WHERE %s", where);
	return n && exec(db, sql, err, errlen) < 0 ? -1 : n;
}

int db_recover(struct db *db, char *err, size_t errlen)
{
	if (exec(db, "UPDATE trials SET status = 'queued', pid = NULL WHERE status = 'running'", err,
		 errlen) < 0)
		return -1;
	return sqlite3_changes(db->h);
}

/* Drops the queued points of trial_id past epoch `from`, and takes the queued
 * ones of metric up to it into *best (they are not in the table yet). */
static void truncate_queued(struct db *db, int64_t trial_id, int from, const char *metric,
			    int maximize, double *best, int *best_epoch)
{
	size_t k = 0;

	for (size_t i = 0; i < db->n_points; i++) {
		const struct db_point *p = &db->points[i];

		if (p->trial_id == trial_id && p->epoch > from)
			continue;
		if (p->trial_id == trial_id && strcmp(p->metric, metric) == 0 &&
		    (isnan(*best) || (maximize ? p->value > *best : p->value < *best) ||
		     (p->value == *best && p->epoch < *best_epoch))) {
			*best = p->value;
			*best_epoch = p->epoch;
		}
		db->points[k++] = *p;
	}
	db->n_points = k;
}

int db_trial_truncate(struct db *db, int64_t trial_id, int from, const char *metric,
		      int maximize, double *best, int *best_epoch, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_TRUNCATE];
	int rc;

	*best = NAN;
	*best_epoch = 0;
	sqlite3_bind_int64(st, 1, trial_id);
	sqlite3_bind_int(st, 2, from);
	if (run(db, st, err, errlen, "truncating a curve") < 0) {
		truncate_queued(db, trial_id, from, metric, maximize, best, best_epoch);
		return -1;
	}
	st = db->st[ST_BEST];
	sqlite3_bind_int64(st, 1, trial_id);
	sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, maximize);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*best = sqlite3_column_double(st, 0);
		*best_epoch = sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	truncate_queued(db, trial_id, from, metric, maximize, best, best_epoch);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_error(db, err, errlen, "best value");
}

int db_cancel_queued(struct db *db, int64_t sweep_id, const char *reason, char *err,
		     size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_CANCEL_QUEUED];

	sqlite3_bind_int64(st, 1, sweep_id);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
	return run(db, st, err, errlen, "cancelling queued trials");
}

int db_end_sweep(struct db *db, int64_t sweep_id, const char *status, const char *reason,
		 double now, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_SWEEP_END];

	sqlite3_bind_int64(st, 1, sweep_id);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, now);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_TRANSIENT);
	return run(db, st, err, errlen, "ending sweep");
}

int db_set_sweep_budget(struct db *db, int64_t sweep_id, int budget, const char *status,
			char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_SWEEP_BUDGET];

	sqlite3_bind_int64(st, 1, sweep_id);
	sqlite3_bind_int(st, 2, budget);
	sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
	return run(db, st, err, errlen, "extending sweep");
}

int db_set_note(struct db *db, int trial, int64_t id, const char *note, char *err,
		size_t errlen)
{
	sqlite3_stmt *st = db->st[trial ? ST_TRIAL_NOTE : ST_SWEEP_NOTE];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, note, -1, SQLITE_TRANSIENT);
	return run(db, st, err, errlen, "setting the note");
}

int db_tag(struct db *db, int64_t sweep_id, const char *tag, int add, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[add ? ST_TAG : ST_UNTAG];

	sqlite3_bind_int64(st, 1, sweep_id);
	sqlite3_bind_text(st, 2, tag, -1, SQLITE_TRANSIENT);
	return run(db, st, err, errlen, add ? "tagging" : "untagging");
}

/* ST_RM_TRIALS: each id it deleted appended to *ids (*n of them). */
static int delete_trials(struct db *db, int64_t **ids, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_RM_TRIALS];
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap)
			*ids = xrealloc(*ids, (cap = cap ? 2 * cap : 64) * sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sql_error(db, err, errlen, "removing sweep");
}

int db_delete_sweep(struct db *db, int64_t sweep_id, int64_t **trials, size_t *n_trials,
		    char *err, size_t errlen)
{
	static const enum db_stmt order[] = {ST_RM_POINTS, ST_RM_LOGS, ST_RM_ADJUSTMENTS,
					     ST_RM_TRIALS, ST_RM_ROUNDS, ST_RM_TAGS, ST_RM_GOALS,
					     ST_RM_SWEEP};

	*trials = NULL;
	*n_trials = 0;
	if (db_begin(db, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		sqlite3_bind_int64(db->st[order[i]], 1, sweep_id);
		if ((order[i] == ST_RM_TRIALS ? delete_trials(db, trials, n_trials, err, errlen)
					      : run(db, db->st[order[i]], err, errlen,
						    "removing sweep")) < 0) {
			db_rollback(db);
			free(*trials);
			*trials = NULL;
			*n_trials = 0;
			return -1;
		}
	}
	if (db_commit(db, err, errlen) == 0)
		return 0;
	free(*trials);
	*trials = NULL;
	*n_trials = 0;
	return -1;
}

int db_set_suggestion(struct db *db, int64_t trial_id, const char *json, char *err,
		      size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_SUGGESTION];

	sqlite3_bind_int64(st, 1, trial_id);
	sqlite3_bind_text(st, 2, json, -1, SQLITE_TRANSIENT);
	return run(db, st, err, errlen, "recording a suggestion");
}

/* A JSON value as the column keeps it: a number as a number (an integer as
 * one), a string as text, a boolean as 0 or 1, anything else as NULL. */
static void bind_json(sqlite3_stmt *st, int i, const cJSON *v)
{
	if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
	    fabs(v->valuedouble) < 9e15)
		sqlite3_bind_int64(st, i, (sqlite3_int64)v->valuedouble);
	else if (cJSON_IsNumber(v))
		sqlite3_bind_double(st, i, v->valuedouble);
	else if (cJSON_IsString(v))
		sqlite3_bind_text(st, i, v->valuestring, -1, SQLITE_TRANSIENT);
	else if (cJSON_IsBool(v))
		sqlite3_bind_int(st, i, cJSON_IsTrue(v));
	else
		sqlite3_bind_null(st, i);
}

static int insert_adjustments(struct db *db, int64_t trial_id, int epoch, int64_t step,
			      const cJSON *changes, const char *source, double now, char *err,
			      size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_INSERT_ADJUSTMENT];
	const cJSON *c;

	cJSON_ArrayForEach(c, changes) {
		sqlite3_bind_int64(st, 1, trial_id);
		sqlite3_bind_int(st, 2, epoch);
		sqlite3_bind_int64(st, 3, step);
		sqlite3_bind_text(st, 4, c->string, -1, SQLITE_TRANSIENT);
		bind_json(st, 5, cJSON_GetArrayItem(c, 0));
		bind_json(st, 6, cJSON_GetArrayItem(c, 1));
		sqlite3_bind_text(st, 7, source, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 8, now);
		if (run(db, st, err, errlen, "recording an adjustment") < 0)
			return -1;
	}
	return 0;
}

int db_insert_adjustments(struct db *db, int64_t trial_id, int epoch, int64_t step,
			  const cJSON *changes, const char *source, double now, char *err,
			  size_t errlen)
{
	int own = sqlite3_get_autocommit(db->h);

	if (own && db_begin(db, err, errlen) < 0)
		return -1;
	if (insert_adjustments(db, trial_id, epoch, step, changes, source, now, err, errlen) < 0 ||
	    (own && db_commit(db, err, errlen) < 0)) {
		if (own)
			db_rollback(db);
		return -1;
	}
	return 0;
}

int db_set_parent(struct db *db, int64_t trial_id, int64_t parent, int epoch, char *err,
		  size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_SET_PARENT];

	sqlite3_bind_int64(st, 1, trial_id);
	sqlite3_bind_int64(st, 2, parent);
	sqlite3_bind_int(st, 3, epoch);
	return run(db, st, err, errlen, "recording a fork's parent");
}

int db_set_replaced(struct db *db, int64_t trial_id, const char *reason, char *err,
		    size_t errlen)
{
	sqlite3_stmt *st = db->st[ST_SET_REPLACED];

	sqlite3_bind_int64(st, 1, trial_id);
	sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
	return run(db, st, err, errlen, "recording a replaced member");
}
