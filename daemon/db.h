/* db: the daemon's SQLite database, the only writer of it. Opens it in WAL mode,
 * applies the migrations in schema/ (PRAGMA user_version), prepares every
 * statement once and binds every value. Curve points and trial updates are
 * queued in memory and written in one transaction per flush, never one per
 * point; a failed flush (busy, disk full, read-only) keeps them queued for the
 * next one. Reads are the query module's (common/query.h): it runs them on
 * this connection through db->query. */
#ifndef CAVIAR_DB_H
#define CAVIAR_DB_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "strset.h"

#include "query.h"
#include "spec.h"

enum db_stmt {
	ST_INSERT_SWEEP,
	ST_INSERT_ROUND,
	ST_INSERT_TRIAL,
	ST_INSERT_POINT,
	ST_UPDATE_TRIAL,
	ST_SWEEP_STATUS,
	ST_TRUNCATE,
	ST_BEST,
	ST_INSERT_LOG,
	ST_CANCEL_QUEUED,
	ST_SWEEP_END,
	ST_SWEEP_BUDGET,
	ST_SWEEP_NOTE,
	ST_TRIAL_NOTE,
	ST_TAG,
	ST_UNTAG,
	ST_RM_POINTS,
	ST_RM_LOGS,
	ST_RM_ADJUSTMENTS,
	ST_RM_TRIALS,
	ST_RM_ROUNDS,
	ST_RM_TAGS,
	ST_RM_GOALS,
	ST_RM_SWEEP,
	ST_SUGGESTION,
	ST_INSERT_ADJUSTMENT,
	ST_SET_PARENT,
	ST_SET_REPLACED,
	ST_INSERT_GOAL,
	ST_GOALS,
	ST_GOAL_VALUES,
	ST_SET_RANK,
	ST_COUNT
};

/* The columns of a trial the daemon changes while it runs (see schema). */
struct trial_row {
	int64_t id;
	const char *status;   /* static string: "queued", "running", ... */
	int attempts;
	int pid;              /* 0: none */
	double started_at;    /* 0: none */
	double ended_at;      /* 0: none */
	int exit_code;        /* -1: none */
	int exit_signal;      /* 0: none */
	char *reason;         /* NULL: none; owned by whoever holds the row */
	char *stderr_tail;    /* NULL: none; owned likewise */
	int epochs;
	double best_value;    /* NAN: none */
	int best_epoch;
};

/* Replaces row->reason with a formatted message. */
void db_row_reason(struct trial_row *row, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct db_point {
	int64_t trial_id;
	const char *metric; /* interned by db_point_add: lives while the point is queued */
	int epoch;
	int64_t step;
	double value;
	double wall_time;
};

struct db_log {
	int64_t trial_id;
	int attempt, seq;
	double wall_time;
	char *line; /* owned */
};

struct db {
	sqlite3 *h;
	sqlite3_stmt *st[ST_COUNT];
	struct db_point *points; /* queued points */
	size_t n_points, cap_points;
	struct db_log *logs;     /* queued log lines of command trials */
	size_t n_logs, cap_logs;
	struct trial_row *rows;  /* queued trial updates, one per trial (latest wins) */
	size_t n_rows, cap_rows;
	struct strset names;     /* metric names of the queued points, interned; emptied
	                          * by each flush that writes them all */
	int64_t *rank_sweeps;    /* sweeps whose Pareto ranks to rewrite at the flush */
	size_t n_rank, cap_rank;
	int64_t points_written;  /* since open */
	struct query query;      /* the reads on this connection (query_run) */
};

/* Holds path.lock (flock), so that two daemons never share one database
 * (both would run its trials on the same checkpoints); the file names the
 * holder's pid. Returns the descriptor, which holds the lock until it is
 * closed, or -1 with err (naming the holder when another has it). */
int db_lock(const char *path, char *err, size_t errlen);
/* Opens (creating) path, migrates it, prepares statements. Returns 0 or -1. */
int db_open(struct db *db, const char *path, char *err, size_t errlen);
/* Flushes what it can, finalizes, closes. Accepts a zeroed db. */
void db_close(struct db *db);

/* Explicit transactions for multi-row writes done at once (a submit). */
int db_begin(struct db *db, char *err, size_t errlen);
int db_commit(struct db *db, char *err, size_t errlen);
void db_rollback(struct db *db);

int db_insert_sweep(struct db *db, const char *name, const char *spec_json, const char *search,
		    uint64_t seed, const char *metric, int maximize, int budget, double now,
		    int64_t *id, char *err, size_t errlen);
int db_insert_round(struct db *db, int64_t sweep_id, int round, const char *ranges_json,
		    double now, char *err, size_t errlen);
int db_insert_trial(struct db *db, int64_t sweep_id, int number, int round,
		    const char *params_json, uint64_t seed, int64_t *id, char *err, size_t errlen);
/* Sets a sweep's status (and finished_at when now > 0) at once. */
int db_set_sweep_status(struct db *db, int64_t sweep_id, const char *status, double now,
			char *err, size_t errlen);

/* Queues a point (metric is copied/interned) or a trial update (the row's
 * strings are copied). Nothing is written until db_flush. */
void db_point_add(struct db *db, int64_t trial_id, const char *metric, int epoch, int64_t step,
		  double value, double wall_time);
void db_trial_update(struct db *db, const struct trial_row *row);
/* Queues one output line of a command trial (copied). */
void db_log_add(struct db *db, int64_t trial_id, int attempt, int seq, const char *line,
		size_t len, double wall_time);
size_t db_pending(const struct db *db); /* points + logs + rows + rankings queued */

/* Records a sweep's goals (its objectives, then its constraints) in table
 * goals, when it has any (spec_has_goals). Part of the submit's transaction. */
int db_insert_goals(struct db *db, int64_t sweep_id, const struct spec *s, char *err,
		    size_t errlen);
/* Queues a rewrite of the Pareto ranks of sweep_id's trials (trials.pareto_rank,
 * crowding, violation, from the goal_values view through common/pareto.h),
 * done by the next db_flush after the queued points and trial updates, in the
 * same transaction, so a trial's end and its rank are written together. */
void db_rank_queue(struct db *db, int64_t sweep_id);

/* Writes everything queued in one transaction. On failure nothing queued is
 * lost; returns -1 with the file's path and the SQLite message ("DB:
 * database or disk is full (no space left where it is: ...)"). */
int db_flush(struct db *db, char *err, size_t errlen);

/* Crash recovery at start: trials left 'running' by a dead daemon go back to
 * 'queued'. Their curves stay until they run again (see db_trial_truncate).
 * Returns the number of trials requeued, or -1. */
int db_recover(struct db *db, char *err, size_t errlen);
/* Also at start: trials a dead daemon started that the database already
 * calls ended, though no caviard saw them end (a pbt member is 'pruned' in
 * the fork's transaction, before it stops): each(id, sweep, epochs, best
 * epoch, ctx) for each, then their pid is cleared. Returns how many, or -1. */
int db_unfinished(struct db *db,
		  void (*each)(int64_t id, int64_t sweep_id, int epochs, int best_epoch, void *ctx),
		  void *ctx, char *err, size_t errlen);

/* A trial starting over from epoch `from` (0: from nothing; else from its
 * checkpoint): deletes its points after that epoch, at once, and drops those
 * still queued, and returns its best `metric` value up to there, recorded or
 * queued (NAN when none), and that value's epoch. */
int db_trial_truncate(struct db *db, int64_t trial_id, int from, const char *metric,
		      int maximize, double *best, int *best_epoch, char *err, size_t errlen);

/* Cancels a sweep's queued trials at once (status 'cancelled', with reason).
 * Returns 0 or -1. */
int db_cancel_queued(struct db *db, int64_t sweep_id, const char *reason, char *err,
		     size_t errlen);

/* Ends a sweep at once: its status, finished_at = now and ended_reason
 * (NULL: none). Returns 0 or -1. */
int db_end_sweep(struct db *db, int64_t sweep_id, const char *status, const char *reason,
		 double now, char *err, size_t errlen);

/* A sweep's budget grows (`caviar extend`): status is "running" or "paused";
 * an ended sweep's finished_at and ended_reason are cleared. At once. */
int db_set_sweep_budget(struct db *db, int64_t sweep_id, int budget, const char *status,
			char *err, size_t errlen);

/* The note (NULL clears it) of a trial (trial = 1: id is a trial's) or of a
 * sweep; adds (add = 1) or removes a sweep's tag. At once. */
int db_set_note(struct db *db, int trial, int64_t id, const char *note, char *err,
		size_t errlen);
int db_tag(struct db *db, int64_t sweep_id, const char *tag, int add, char *err, size_t errlen);

/* Deletes a sweep and every row of it (points, logs, trials, rounds, tags) in
 * one transaction. The caller has flushed and runs none of its trials. Once
 * committed, *trials holds the ids of the trials deleted (*n_trials; the
 * caller frees it), for their files. */
int db_delete_sweep(struct db *db, int64_t sweep_id, int64_t **trials, size_t *n_trials,
		    char *err, size_t errlen);

/* Records why search tpe proposed a trial (JSON text; trials.suggestion), at
 * once (inside the caller's transaction, if any). Returns 0 or -1. */
int db_set_suggestion(struct db *db, int64_t trial_id, const char *json, char *err,
		      size_t errlen);

/* Records changes of trial_id's hyperparameters ({"lr": [old, new], ...};
 * old may be null) applied after epoch `epoch` and `step` optimizer steps,
 * by source "user" or "pbt" (schema/006-panda.sql), at once (inside the
 * caller's transaction, if any; else one of its own). Returns 0 or -1. */
int db_insert_adjustments(struct db *db, int64_t trial_id, int epoch, int64_t step,
			  const cJSON *changes, const char *source, double now, char *err,
			  size_t errlen);
/* Records that trial_id was forked from parent's checkpoint of epoch `epoch`,
 * at once (inside the caller's transaction). Returns 0 or -1. */
int db_set_parent(struct db *db, int64_t trial_id, int64_t parent, int epoch, char *err,
		  size_t errlen);

/* Records at once (inside the caller's transaction) that running trial
 * trial_id is pruned, with reason: PBT replaced it by a fork. Returns 0 or -1. */
int db_set_replaced(struct db *db, int64_t trial_id, const char *reason, char *err,
		    size_t errlen);

#endif
