/* query: every read the daemon's replies, its bookkeeping and the client run
 * against caviard's schema: the SQL of each, prepared once per connection and
 * bound, and the one rule that turns a row into JSON. It never writes and never
 * opens a file: writes and migrations are the db module's (daemon), opening the
 * file read-only the store's (client). The worker does not link it (nor SQLite). */
#ifndef CAVIAR_QUERY_H
#define CAVIAR_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

/* The schema version these reads are written for: schema/'s newest (test_query
 * checks). A file of an older version is the daemon's to migrate first. */
#define QUERY_SCHEMA_VERSION 8

/* Each read, with its arguments (see query_run) and its columns. */
enum query_id {
	/* The daemon's own bookkeeping (resuming sweeps, starting trials). */
	QUERY_ACTIVE_SWEEPS,    /* (): id, spec, status, budget, created_at of running or
				   paused sweeps */
	QUERY_LAST_ROUND,       /* (sweep): round, ranges of its newest round */
	QUERY_QUEUED_TRIALS,    /* (sweep): id, number, attempts, seed and sampled (params as
				   the text recorded) of queued trials, by number */
	QUERY_TRIAL_COUNT,      /* (sweep): n, the trials sampled so far */
	QUERY_ROUND_RESULTS,    /* (sweep, round): params, best_value of its trials; best_value
				   is the objective of the objectives view: null for a trial
				   that does not count (failed, cancelled) */
	QUERY_SWEEP_RESULTS,    /* (sweep): params, best_value of all its trials */
	QUERY_SWEEP_OUTCOME,    /* (sweep): n trials, how many failed */
	QUERY_SAME_SPEC,        /* (spec text): id of the newest sweep with exactly that spec */
	QUERY_TPE_HISTORY,      /* (sweep): number, status, params, epochs, best_value and
				   last (the objective's value at its last epoch) of the
				   trials that ran: search tpe's history */
	QUERY_GOAL_POINTS,      /* (sweep): number, epoch, step, metric, value of every point
				   of its goals' metrics (its objective, and the goals
				   table's), by number, epoch, step: early stopping's replay */
	QUERY_GOAL_VALUES,      /* (sweep): trial_id, number, idx, kind, metric, value of the
				   goal_values view (schema 008: each goal's last value for
				   the trials done or pruned), by number, idx */
	QUERY_FORK_POINT,       /* (trial, epoch): sweep_id, its spec, status, params, seed,
				   epochs, step (its last step of that epoch; null: none):
				   what a fork of it needs */
	QUERY_PARENT,           /* (trial): parent_trial_id, parent_epoch */
	/* The daemon's replies (ls, top, wait). */
	QUERY_PROGRESS,         /* (): every sweep's sweep_progress row */
	QUERY_LABELS,           /* (): sweep_id, note, tags (a JSON array), ended_reason of
				   every sweep, by id */
	QUERY_SWEEP_BRIEF,      /* (sweep): id, name, status, metric, mode, budget, search,
				   seed, created_at, finished_at, ended_reason: the sweep
				   without its spec */
	QUERY_LEADERBOARD,      /* (sweep, limit; -1: all): rank, trial_id, number, status,
				   objective, best_epoch, epochs, params */
	/* The client's offline commands (show, export, curves, plot, watch). */
	QUERY_SWEEP,            /* (sweep): id, name, spec, status, metric, mode, budget,
				   search, created_at, finished_at, ended_reason, note */
	QUERY_SWEEPS,           /* (): the same for every sweep, by id */
	QUERY_TRIAL,            /* (trial): every column of trials, plus sweep, metric, mode,
				   objective */
	QUERY_TRIALS,           /* (sweep): id, number, round, status, params, epochs,
				   best_value, best_epoch, reason, started_at, ended_at,
				   objective, parent_trial_id (null but for a fork) */
	/* objective is the trial's value in the objectives view (schema/004-best.sql):
	   its best_value when it counts toward the sweep's best (done or pruned), else
	   null; best_value is what it reported, counted or not. */
	QUERY_TRIAL_POINTS,     /* (trial): metric, epoch, step, value, wall_time */
	QUERY_SWEEP_POINTS,     /* (sweep): trial_id, number, metric, epoch, step, value,
				   wall_time */
	QUERY_METRIC,           /* (sweep, metric): trial_id, number, epoch, value; the last
				   step of each epoch */
	QUERY_FINAL,            /* (sweep): trial_id, metric, value: each metric's last value */
	QUERY_LAST,             /* (trial): metric, epoch, value: each metric's last value */
	QUERY_TRIAL_METRIC,     /* (trial, metric): epoch, value; the last step of each epoch */
	QUERY_TRIAL_LOG,        /* (trial): attempt, seq, wall_time, line: its log, in order */
	QUERY_LINEAGE,          /* (trial): id, sweep_id, number, status, params, epochs,
				   parent_trial_id, parent_epoch of the trial and each
				   ancestor it was forked from, the first ancestor first
				   (a loop of parent links ends at the first trial seen again) */
	/* The dashboard (caviar serve). */
	QUERY_ROUNDS,           /* (sweep): round, ranges, created_at of each round */
	QUERY_SWEEP_METRICS,    /* (sweep): metric, the names reported by its 25 newest
				   trials, finished ones first, sorted */
	QUERY_METRIC_POINTS,    /* (sweep, metric): trial_id, epoch, value of every point of
				   that metric, by trial, epoch and step (read with
				   query_start: a sweep may hold millions) */
	QUERY_ADJUSTMENTS,      /* (trial): epoch, step, name, old_value, new_value, source,
				   created_at of its adjustments, in the order applied */
	QUERY_CHILDREN,         /* (trial): id, number, parent_epoch of the trials forked
				   from it */
	QUERY_GOALS,            /* (sweep): idx, kind, metric, mode, lo, hi of its goals
				   (schema 008: objectives, then constraints); none for a
				   sweep with one objective and no constraint */
	QUERY_PARETO,           /* (sweep, rank; -1: every rank): the pareto view's rows
				   (rank, trial_id, number, status, crowding, violation,
				   feasible, objectives, constraints, params), front first */
	QUERY_COUNT
};

/* The statements of one connection. */
struct query {
	sqlite3 *h;                      /* not owned */
	sqlite3_stmt *st[QUERY_COUNT];   /* prepared on first use */
};

/* The SQL of query id (static text), for a reader that cannot link this
 * module and copies it (sdk/caviar_client.py; a test compares the copies). */
const char *query_text(enum query_id id);

/* Memory the caller provides: query_init binds it to an open connection h,
 * which must outlive it; query_finish finalizes the statements (before h is
 * closed) and accepts a zeroed or finished query. */
void query_init(struct query *q, sqlite3 *h);
void query_finish(struct query *q);

/* Runs query id with the arguments described by types, one character each:
 * 'i' a long long, 's' a string (copied). Returns a JSON array of one object
 * per row, keyed by column name (see query_row), which the caller deletes;
 * or NULL with SQLite's message in err (also when types does not match the
 * query's parameters). */
cJSON *query_run(struct query *q, char *err, size_t errlen, enum query_id id,
		 const char *types, ...);

/* For reads too large for one JSON array: binds query id as query_run does and
 * returns its statement, positioned before the first row, for the caller to
 * sqlite3_step and read by column; query_end resets it. NULL with err. */
sqlite3_stmt *query_start(struct query *q, char *err, size_t errlen, enum query_id id,
			  const char *types, ...);
void query_end(struct query *q, enum query_id id);

/* The one row-to-JSON rule, for the row st is on. Each column becomes:
 *   NULL -> null;
 *   an integer -> a number; one beyond +-2^53, which a double would round, is
 *     a cJSON_Raw holding its decimal digits (printed as the same JSON number;
 *     read it with query_int);
 *   a real -> a number;
 *   text -> a string, except the schema's JSON columns, named exactly params,
 *     ranges, spec, tags, suggestion, objectives or constraints, whose text is parsed into its value (kept a string if
 *     it does not parse).
 * Returns a new object the caller deletes. */
cJSON *query_row(sqlite3_stmt *st);

/* Reads an integer column of a row exactly (either form of query_row);
 * returns fallback when v is missing or not a number. */
int64_t query_int(const cJSON *v, int64_t fallback);

/* A reply's or row's field: o[key], or NULL; and its number, or dflt when it
 * is missing or not a number. The accessors the readers of query's rows use. */
const cJSON *query_get(const cJSON *o, const char *key);
double query_num(const cJSON *o, const char *key, double dflt);

/* A sweep's queued trials: the one definition `ls`, `status`, `watch` and the
 * dashboard show. They are the trials it will still start, sampled or not
 * (a large budget is sampled in slices; search tpe proposes each trial when a
 * slot frees): its budget less its trials running and ended (done, failed,
 * pruned, cancelled), while its status is running or paused; 0 once it is
 * anything else (ended, or "stopping": cancelled, failing or out of time
 * while its last trials stop, when nothing more will start). */
long long query_queued(const char *status, long long budget, long long running,
		       long long ended);

/* The replies of `ls` and `top`, built the same way by the daemon and by the
 * client reading a database without one. query_ls: every sweep's
 * sweep_progress row with its note, tags and ended_reason, its queued
 * by query_queued (a new array, or NULL with err). query_top: adds "sweep" (its brief row) and "trials" (its
 * first `limit` leaderboard rows; -1: all) to reply; -1 with err ("no sweep
 * 42") when there is none. */
cJSON *query_ls(struct query *q, char *err, size_t errlen);
int query_top(struct query *q, long long sweep, long long limit, cJSON *reply, char *err,
	      size_t errlen);

/* `top --pareto`'s reply: "sweep" (its brief row), "goals" (QUERY_GOALS) and
 * "trials", its Pareto front (the pareto view's rank 0, lonelier first; a
 * crowding of null is infinite: an objective's extreme). -1 with err ("no
 * sweep 42", or "sweep 3 has one objective and no constraint: it has no
 * Pareto front"). */
int query_pareto(struct query *q, long long sweep, cJSON *reply, char *err, size_t errlen);
/* The same with the trials of one rank (-1: every ranked trial, the front
 * first): the dashboard's Pareto panel draws them all. */
int query_pareto_ranks(struct query *q, long long sweep, long long rank, cJSON *reply, char *err,
		       size_t errlen);

#endif
