/* query: the SQL of every read on caviard's schema, and the one row-to-JSON
 * rule (see query.h). */
#include "query.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

#define EXACT_DOUBLE_MAX ((int64_t)1 << 53) /* integers up to this are exact doubles */

static const char *const query_sql[QUERY_COUNT] = {
	[QUERY_ACTIVE_SWEEPS] =
		"SELECT id, spec, status, budget, created_at FROM sweeps"
		" WHERE status IN ('running', 'paused') ORDER BY id",
	[QUERY_LAST_ROUND] =
		"SELECT round, ranges FROM rounds WHERE sweep_id = ?1 ORDER BY round DESC LIMIT 1",
	[QUERY_QUEUED_TRIALS] =
		"SELECT id, number, attempts, seed, params AS sampled FROM trials"
		" WHERE sweep_id = ?1 AND status = 'queued' ORDER BY number",
	[QUERY_TRIAL_COUNT] = "SELECT count(*) AS n FROM trials WHERE sweep_id = ?1",
	[QUERY_ROUND_RESULTS] =
		"SELECT t.params, o.objective AS best_value FROM trials t"
		" LEFT JOIN objectives o ON o.trial_id = t.id"
		" WHERE t.sweep_id = ?1 AND t.round = ?2 ORDER BY t.number",
	[QUERY_SWEEP_RESULTS] =
		"SELECT params, best_value FROM trials WHERE sweep_id = ?1 ORDER BY number",
	[QUERY_SWEEP_OUTCOME] = "SELECT count(*) AS n, coalesce(sum(status = 'failed'), 0) AS failed"
				" FROM trials WHERE sweep_id = ?1",
	[QUERY_SAME_SPEC] = "SELECT id FROM sweeps WHERE spec = ?1 ORDER BY id DESC LIMIT 1",
	[QUERY_TPE_HISTORY] =
		"SELECT t.number, t.status, t.params, t.epochs, t.best_value,"
		" (SELECT p.value FROM points p WHERE p.trial_id = t.id"
		"   AND p.metric = (SELECT metric FROM sweeps WHERE id = ?1)"
		"  ORDER BY p.epoch DESC, p.step DESC LIMIT 1) AS last"
		" FROM trials t WHERE t.sweep_id = ?1 AND t.status IN ('done', 'pruned')"
		" ORDER BY t.number",
	[QUERY_GOAL_POINTS] =
		"SELECT t.number, p.epoch, p.step, p.metric, p.value FROM trials t"
		" JOIN points p ON p.trial_id = t.id AND p.metric IN"
		"  (SELECT metric FROM sweeps WHERE id = ?1"
		"   UNION SELECT metric FROM goals WHERE sweep_id = ?1)"
		" WHERE t.sweep_id = ?1 ORDER BY t.number, p.epoch, p.step, p.metric",
	[QUERY_GOAL_VALUES] = "SELECT trial_id, number, idx, kind, metric, value FROM goal_values"
			      " WHERE sweep_id = ?1 ORDER BY number, idx",
	[QUERY_FORK_POINT] =
		"SELECT sweep_id, (SELECT spec FROM sweeps s WHERE s.id = sweep_id) AS spec,"
		" status, params, seed, epochs,"
		" (SELECT max(step) FROM points WHERE trial_id = ?1 AND epoch = ?2) AS step"
		" FROM trials WHERE id = ?1",
	[QUERY_PARENT] = "SELECT parent_trial_id, parent_epoch FROM trials WHERE id = ?1",
	[QUERY_PROGRESS] = "SELECT * FROM sweep_progress ORDER BY sweep_id",
	[QUERY_LABELS] = "SELECT s.id AS sweep_id, s.note, (SELECT json_group_array(tag) FROM"
			 " (SELECT tag FROM tags WHERE sweep_id = s.id ORDER BY tag)) AS tags,"
			 " s.ended_reason FROM sweeps s ORDER BY s.id",
	[QUERY_SWEEP_BRIEF] =
		"SELECT id, name, status, metric, mode, budget, search, seed, created_at,"
		" finished_at, ended_reason FROM sweeps WHERE id = ?1",
	[QUERY_GOALS] = "SELECT idx, kind, metric, mode, lo, hi FROM goals WHERE sweep_id = ?1"
			" ORDER BY idx",
	[QUERY_PARETO] = "SELECT rank, trial_id, number, status, crowding, violation, feasible,"
			 " objectives, constraints, params FROM pareto"
			 " WHERE sweep_id = ?1 AND (?2 < 0 OR rank = ?2)"
			 " ORDER BY rank, crowding DESC, number",
	[QUERY_LEADERBOARD] =
		"SELECT rank, trial_id, number, status, objective, best_epoch, epochs, params"
		" FROM leaderboard WHERE sweep_id = ?1 ORDER BY rank, number LIMIT ?2",
	[QUERY_SWEEP] = "SELECT id, name, spec, status, metric, mode, budget, search, created_at,"
			" finished_at, ended_reason, note FROM sweeps WHERE id = ?1",
	[QUERY_SWEEPS] = "SELECT id, name, spec, status, metric, mode, budget, search, created_at,"
			 " finished_at FROM sweeps ORDER BY id",
	[QUERY_TRIAL] = "SELECT t.*, s.name AS sweep, s.metric, s.mode, o.objective"
			" FROM trials t JOIN sweeps s ON s.id = t.sweep_id"
			" LEFT JOIN objectives o ON o.trial_id = t.id WHERE t.id = ?1",
	[QUERY_TRIALS] = "SELECT t.id, t.number, t.round, t.status, t.params, t.epochs, t.best_value,"
			 " t.best_epoch, t.reason, t.started_at, t.ended_at, o.objective,"
			 " t.parent_trial_id"
			 " FROM trials t LEFT JOIN objectives o ON o.trial_id = t.id"
			 " WHERE t.sweep_id = ?1 ORDER BY t.number",
	[QUERY_TRIAL_POINTS] = "SELECT metric, epoch, step, value, wall_time FROM curves"
			       " WHERE trial_id = ?1 ORDER BY epoch, step, metric",
	[QUERY_SWEEP_POINTS] = "SELECT trial_id, number, metric, epoch, step, value, wall_time"
			       " FROM curves WHERE sweep_id = ?1"
			       " ORDER BY number, metric, epoch, step",
	[QUERY_METRIC] = "SELECT trial_id, number, epoch, value FROM"
			 " (SELECT trial_id, number, epoch, value, row_number() OVER"
			 "   (PARTITION BY trial_id, epoch ORDER BY step DESC) AS r"
			 "  FROM curves WHERE sweep_id = ?1 AND metric = ?2)"
			 " WHERE r = 1 ORDER BY number, epoch",
	[QUERY_FINAL] = "SELECT trial_id, metric, value FROM"
			" (SELECT trial_id, number, metric, value, row_number() OVER"
			"   (PARTITION BY trial_id, metric ORDER BY epoch DESC, step DESC) AS r"
			"  FROM curves WHERE sweep_id = ?1)"
			" WHERE r = 1 ORDER BY number, metric",
	[QUERY_LAST] = "SELECT metric, epoch, value FROM"
		       " (SELECT metric, epoch, value, row_number() OVER"
		       "   (PARTITION BY metric ORDER BY epoch DESC, step DESC) AS r"
		       "  FROM points WHERE trial_id = ?1)"
		       " WHERE r = 1 ORDER BY metric",
	[QUERY_TRIAL_METRIC] = "SELECT epoch, value FROM"
			       " (SELECT epoch, value, row_number() OVER"
			       "   (PARTITION BY epoch ORDER BY step DESC) AS r"
			       "  FROM points WHERE trial_id = ?1 AND metric = ?2)"
			       " WHERE r = 1 ORDER BY epoch",
	[QUERY_TRIAL_LOG] = "SELECT attempt, seq, wall_time, line FROM logs WHERE trial_id = ?1"
			    " ORDER BY attempt, seq",
	/* the walk stops at a trial it has seen: a parent link loop in a damaged file */
	[QUERY_LINEAGE] = "WITH RECURSIVE chain (id, depth, seen) AS (SELECT ?1, 0, ',' || ?1 || ','"
			  "  UNION ALL SELECT t.parent_trial_id, c.depth + 1,"
			  "  c.seen || t.parent_trial_id || ',' FROM chain c JOIN trials t ON t.id = c.id"
			  "  WHERE t.parent_trial_id IS NOT NULL"
			  "  AND instr(c.seen, ',' || t.parent_trial_id || ',') = 0)"
			  " SELECT t.id, t.sweep_id, t.number, t.status, t.params, t.epochs,"
			  " t.parent_trial_id, t.parent_epoch FROM chain c JOIN trials t ON t.id = c.id"
			  " ORDER BY c.depth DESC",
	[QUERY_ROUNDS] = "SELECT round, ranges, created_at FROM rounds WHERE sweep_id = ?1"
			 " ORDER BY round",
	/* Not every point of the sweep (millions): the trials of one sweep run
	   the same program and report the same metrics. */
	[QUERY_SWEEP_METRICS] = "SELECT DISTINCT metric FROM points WHERE trial_id IN"
				" (SELECT id FROM trials WHERE sweep_id = ?1"
				"  ORDER BY ended_at IS NULL, id DESC LIMIT 25) ORDER BY metric",
	/* IN, not a join: points are then read in primary-key order, without a
	   sort of the whole result (a sweep may hold millions). */
	[QUERY_METRIC_POINTS] = "SELECT trial_id, epoch, value FROM points"
				" WHERE trial_id IN (SELECT id FROM trials WHERE sweep_id = ?1)"
				" AND metric = ?2 ORDER BY trial_id, epoch, step",
	[QUERY_ADJUSTMENTS] = "SELECT epoch, step, name, old_value, new_value, source, created_at"
			      " FROM adjustments WHERE trial_id = ?1 ORDER BY id",
	[QUERY_CHILDREN] = "SELECT id, number, parent_epoch FROM trials"
			   " WHERE parent_trial_id = ?1 ORDER BY id",
};

/* The schema's columns that hold JSON text (see schema/001-init.sql, 003, 005). */
static const char *const json_columns[] = {"params", "ranges", "spec", "tags", "suggestion",
					   "objectives", "constraints", NULL};

const char *query_text(enum query_id id)
{
	return id < QUERY_COUNT ? query_sql[id] : NULL;
}

void query_init(struct query *q, sqlite3 *h)
{
	memset(q, 0, sizeof *q);
	q->h = h;
}

void query_finish(struct query *q)
{
	for (int i = 0; i < QUERY_COUNT; i++)
		sqlite3_finalize(q->st[i]);
	memset(q, 0, sizeof *q);
}

static int is_json_column(const char *name)
{
	for (int i = 0; json_columns[i]; i++)
		if (strcmp(name, json_columns[i]) == 0)
			return 1;
	return 0;
}

static cJSON *integer_json(int64_t v)
{
	char digits[32];

	if (v >= -EXACT_DOUBLE_MAX && v <= EXACT_DOUBLE_MAX)
		return cJSON_CreateNumber((double)v);
	snprintf(digits, sizeof digits, "%" PRId64, v);
	return cJSON_CreateRaw(digits);
}

static cJSON *column_json(sqlite3_stmt *st, int i)
{
	const char *text;
	cJSON *parsed;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return integer_json(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return cJSON_CreateNumber(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return cJSON_CreateNull();
	}
	text = (const char *)sqlite3_column_text(st, i);
	if (is_json_column(sqlite3_column_name(st, i)) && (parsed = cJSON_Parse(text)))
		return parsed;
	return cJSON_CreateString(text ? text : "");
}

cJSON *query_row(sqlite3_stmt *st)
{
	cJSON *row = cJSON_CreateObject();

	for (int i = 0; i < sqlite3_column_count(st); i++)
		cJSON_AddItemToObject(row, sqlite3_column_name(st, i), column_json(st, i));
	return row;
}

int64_t query_int(const cJSON *v, int64_t fallback)
{
	char *end;
	long long x;

	if (cJSON_IsNumber(v))
		return (int64_t)v->valuedouble;
	if (!cJSON_IsRaw(v) || !v->valuestring)
		return fallback;
	x = strtoll(v->valuestring, &end, 10);
	return *end ? fallback : (int64_t)x;
}

const cJSON *query_get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

double query_num(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static sqlite3_stmt *prepared(struct query *q, enum query_id id, char *err, size_t errlen)
{
	if (!q->st[id] && sqlite3_prepare_v3(q->h, query_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					     &q->st[id], NULL) != SQLITE_OK) {
		err_set(err, errlen, "%s", sqlite3_errmsg(q->h));
		return NULL;
	}
	return q->st[id];
}

/* Binds ?1.. from ap as types says; a mismatch with the SQL is a caller's bug,
 * reported as an error rather than run with missing values. */
static int bind_args(struct query *q, sqlite3_stmt *st, const char *types, va_list ap,
		     char *err, size_t errlen)
{
	int n = (int)strlen(types), rc = SQLITE_OK;

	if (n != sqlite3_bind_parameter_count(st))
		return err_set(err, errlen, "query expects %d arguments, got %d",
			       sqlite3_bind_parameter_count(st), n);
	for (int i = 0; i < n && rc == SQLITE_OK; i++) {
		if (types[i] == 'i')
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
		else if (types[i] == 's')
			rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1,
					       SQLITE_TRANSIENT);
		else
			return err_set(err, errlen, "query argument %d: unknown type '%c'", i + 1,
				       types[i]);
	}
	return rc == SQLITE_OK ? 0 : err_set(err, errlen, "%s", sqlite3_errmsg(q->h));
}

/* The statement of id, prepared and bound (query_start's work). */
static sqlite3_stmt *start(struct query *q, char *err, size_t errlen, enum query_id id,
			   const char *types, va_list ap)
{
	sqlite3_stmt *st = prepared(q, id, err, errlen);

	if (st && bind_args(q, st, types, ap, err, errlen) < 0) {
		query_end(q, id);
		return NULL;
	}
	return st;
}

sqlite3_stmt *query_start(struct query *q, char *err, size_t errlen, enum query_id id,
			  const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;

	va_start(ap, types);
	st = start(q, err, errlen, id, types, ap);
	va_end(ap);
	return st;
}

void query_end(struct query *q, enum query_id id)
{
	if (q->st[id]) {
		sqlite3_reset(q->st[id]);
		sqlite3_clear_bindings(q->st[id]);
	}
}

cJSON *query_run(struct query *q, char *err, size_t errlen, enum query_id id,
		 const char *types, ...)
{
	sqlite3_stmt *st;
	cJSON *rows;
	va_list ap;
	int rc;

	va_start(ap, types);
	st = start(q, err, errlen, id, types, ap);
	va_end(ap);
	if (!st)
		return NULL;
	rows = cJSON_CreateArray();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cJSON_AddItemToArray(rows, query_row(st));
	if (rc != SQLITE_DONE) {
		err_set(err, errlen, "%s", sqlite3_errmsg(q->h));
		cJSON_Delete(rows);
		rows = NULL;
	}
	query_end(q, id);
	return rows;
}

/* Moves each sweep's labels (note, tags, ended_reason) into its row; both
 * lists are ordered by sweep id. */
static void add_labels(cJSON *rows, cJSON *labels)
{
	static const char *const keys[] = {"note", "tags", "ended_reason", NULL};
	cJSON *l = labels->child, *row;

	cJSON_ArrayForEach(row, rows) {
		int64_t id = query_int(cJSON_GetObjectItemCaseSensitive(row, "sweep_id"), 0);

		while (l && query_int(cJSON_GetObjectItemCaseSensitive(l, "sweep_id"), 0) < id)
			l = l->next;
		if (!l || query_int(cJSON_GetObjectItemCaseSensitive(l, "sweep_id"), 0) != id)
			continue;
		for (const char *const *k = keys; *k; k++)
			cJSON_AddItemToObject(row, *k, cJSON_DetachItemFromObjectCaseSensitive(l, *k));
	}
}

long long query_queued(const char *status, long long budget, long long running,
		       long long ended)
{
	if (!status || (strcmp(status, "running") != 0 && strcmp(status, "paused") != 0))
		return 0;
	return budget - running - ended > 0 ? budget - running - ended : 0;
}

/* The view's queued (rows recorded 'queued') becomes query_queued's. */
static void set_queued(cJSON *rows)
{
	cJSON *row;

	cJSON_ArrayForEach(row, rows) {
		long long n = query_queued(
			cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "status")),
			query_int(cJSON_GetObjectItemCaseSensitive(row, "budget"), 0),
			query_int(cJSON_GetObjectItemCaseSensitive(row, "running"), 0),
			query_int(cJSON_GetObjectItemCaseSensitive(row, "ended"), 0));

		cJSON_ReplaceItemInObjectCaseSensitive(row, "queued", cJSON_CreateNumber((double)n));
	}
}

cJSON *query_ls(struct query *q, char *err, size_t errlen)
{
	cJSON *rows = query_run(q, err, errlen, QUERY_PROGRESS, "");
	cJSON *labels = rows ? query_run(q, err, errlen, QUERY_LABELS, "") : NULL;

	if (!labels) {
		cJSON_Delete(rows);
		return NULL;
	}
	add_labels(rows, labels);
	set_queued(rows);
	cJSON_Delete(labels);
	return rows;
}

int query_top(struct query *q, long long sweep, long long limit, cJSON *reply, char *err,
	      size_t errlen)
{
	cJSON *brief = query_run(q, err, errlen, QUERY_SWEEP_BRIEF, "i", sweep), *rows;

	if (!brief)
		return -1;
	if (!brief->child) {
		cJSON_Delete(brief);
		return err_set(err, errlen, "no sweep %lld", sweep);
	}
	rows = query_run(q, err, errlen, QUERY_LEADERBOARD, "ii", sweep, limit);
	if (!rows) {
		cJSON_Delete(brief);
		return -1;
	}
	cJSON_AddItemToObject(reply, "sweep", cJSON_DetachItemViaPointer(brief, brief->child));
	cJSON_AddItemToObject(reply, "trials", rows);
	cJSON_Delete(brief);
	return 0;
}

int query_pareto(struct query *q, long long sweep, cJSON *reply, char *err, size_t errlen)
{
	return query_pareto_ranks(q, sweep, 0, reply, err, errlen);
}

int query_pareto_ranks(struct query *q, long long sweep, long long rank, cJSON *reply, char *err,
		       size_t errlen)
{
	cJSON *goals, *rows;

	if (query_top(q, sweep, 0, reply, err, errlen) < 0)
		return -1;
	cJSON_DeleteItemFromObject(reply, "trials");
	goals = query_run(q, err, errlen, QUERY_GOALS, "i", sweep);
	if (!goals)
		return -1;
	cJSON_AddItemToObject(reply, "goals", goals);
	if (!goals->child)
		return err_set(err, errlen, "sweep %lld has one objective and no constraint: it has no "
			       "Pareto front", sweep);
	rows = query_run(q, err, errlen, QUERY_PARETO, "ii", sweep, rank);
	if (!rows)
		return -1;
	cJSON_AddItemToObject(reply, "trials", rows);
	return 0;
}
