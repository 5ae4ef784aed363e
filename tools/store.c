/* store: read-only queries on caviard's database (see store.h). */
#include "store.h"

#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "errbuf.h"

#define BUSY_MS 5000 /* how long a read waits for the daemon's checkpoint */

static const char *const sql[STORE_N] = {
	[STORE_SWEEP] = "SELECT id, name, spec, status, metric, mode, budget, search, created_at,"
			" finished_at FROM sweeps WHERE id = ?1",
	[STORE_SWEEPS] = "SELECT id, name, spec, status, metric, mode, budget, search, created_at,"
			 " finished_at FROM sweeps ORDER BY id",
	[STORE_PROGRESS] = "SELECT * FROM sweep_progress WHERE sweep_id = ?1",
	[STORE_TRIAL] = "SELECT t.*, s.name AS sweep, s.metric, s.mode"
			" FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE t.id = ?1",
	[STORE_TRIALS] = "SELECT id, number, round, status, params, epochs, best_value, best_epoch,"
			 " reason, started_at, ended_at FROM trials WHERE sweep_id = ?1"
			 " ORDER BY number",
	[STORE_TRIAL_POINTS] = "SELECT metric, epoch, step, value, wall_time FROM curves"
			       " WHERE trial_id = ?1 ORDER BY epoch, step, metric",
	[STORE_SWEEP_POINTS] = "SELECT trial_id, number, metric, epoch, step, value, wall_time"
			       " FROM curves WHERE sweep_id = ?1"
			       " ORDER BY number, metric, epoch, step",
	[STORE_METRIC] = "SELECT trial_id, number, epoch, value FROM"
			 " (SELECT trial_id, number, epoch, value, row_number() OVER"
			 "   (PARTITION BY trial_id, epoch ORDER BY step DESC) AS r"
			 "  FROM curves WHERE sweep_id = ?1 AND metric = ?2)"
			 " WHERE r = 1 ORDER BY number, epoch",
	[STORE_FINAL] = "SELECT trial_id, metric, value FROM"
			" (SELECT trial_id, number, metric, value, row_number() OVER"
			"   (PARTITION BY trial_id, metric ORDER BY epoch DESC, step DESC) AS r"
			"  FROM curves WHERE sweep_id = ?1)"
			" WHERE r = 1 ORDER BY number, metric",
	[STORE_LAST] = "SELECT metric, epoch, value FROM"
		       " (SELECT metric, epoch, value, row_number() OVER"
		       "   (PARTITION BY metric ORDER BY epoch DESC, step DESC) AS r"
		       "  FROM points WHERE trial_id = ?1)"
		       " WHERE r = 1 ORDER BY metric",
	[STORE_TRIAL_METRIC] = "SELECT epoch, value FROM"
			       " (SELECT epoch, value, row_number() OVER"
			       "   (PARTITION BY epoch ORDER BY step DESC) AS r"
			       "  FROM points WHERE trial_id = ?1 AND metric = ?2)"
			       " WHERE r = 1 ORDER BY epoch",
	[STORE_LEADER] = "SELECT trial_id, number, rank, objective FROM leaderboard"
			 " WHERE sweep_id = ?1 ORDER BY rank, number",
	[STORE_BEST] = "SELECT t.id AS trial_id, t.number, t.status, t.best_value, t.params"
		       " FROM trials t JOIN sweeps s ON s.id = t.sweep_id"
		       " WHERE t.sweep_id = ?1 AND t.best_value IS NOT NULL"
		       "   AND t.status IN ('done', 'pruned', 'running')"
		       " ORDER BY CASE s.mode WHEN 'max' THEN -t.best_value ELSE t.best_value END,"
		       "   t.number LIMIT 1",
	[STORE_FAILURE] = "SELECT status, reason, exit_code, exit_signal, stderr_tail FROM failures"
			  " WHERE trial_id = ?1",
};

int store_open(struct store *s, const char *path, char *err, size_t errlen)
{
	cJSON *rows;

	memset(s, 0, sizeof *s);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		err_set(err, errlen, "%s: %s", path,
			s->db ? sqlite3_errmsg(s->db) : "cannot open the database");
		store_close(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, BUSY_MS);
	rows = store_query(s, err, errlen, STORE_SWEEPS, "");
	if (!rows) {
		err_prefix(err, errlen, "%s: not a caviar database", path);
		store_close(s);
		return -1;
	}
	cJSON_Delete(rows);
	return 0;
}

int store_open_cli(struct store *s, const struct cli *cli, const char *db)
{
	char err[ERRBUF_LEN];
	cJSON *req, *reply;
	const char *path;
	int rc;

	if (db)
		return store_open(s, db, err, sizeof err) ? cli_fail(cli, EXIT_FAILED, "%s", err) : 0;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "status");
	reply = client_request(cli->socket, req, err, sizeof err);
	cJSON_Delete(req);
	if (!reply)
		return cli_fail(cli, EXIT_NODAEMON, "%s; or read a database with --db FILE", err);
	path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "db"));
	if (!path)
		rc = cli_fail(cli, EXIT_FAILED, "caviard did not say where its database is; use --db FILE");
	else if ((rc = store_open(s, path, err, sizeof err)) < 0)
		rc = cli_fail(cli, EXIT_FAILED, "%s", err);
	cJSON_Delete(reply);
	return rc;
}

void store_close(struct store *s)
{
	for (int i = 0; i < STORE_N; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	memset(s, 0, sizeof *s);
}

static cJSON *column(sqlite3_stmt *st, int i)
{
	const char *name = sqlite3_column_name(st, i);
	const char *text;
	cJSON *parsed;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		return cJSON_CreateNumber(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return cJSON_CreateNull();
	default:
		text = (const char *)sqlite3_column_text(st, i);
		if ((strcmp(name, "params") == 0 || strcmp(name, "spec") == 0) &&
		    (parsed = cJSON_Parse(text)))
			return parsed;
		return cJSON_CreateString(text ? text : "");
	}
}

static int bind_args(sqlite3_stmt *st, const char *types, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		if (types[i] == 'i')
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
		else
			rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1,
					       SQLITE_TRANSIENT);
	}
	return rc;
}

cJSON *store_query(struct store *s, char *err, size_t errlen, enum store_query q,
		   const char *types, ...)
{
	sqlite3_stmt *st;
	cJSON *rows;
	va_list ap;
	int rc;

	if (!s->stmt[q] &&
	    sqlite3_prepare_v2(s->db, sql[q], -1, &s->stmt[q], NULL) != SQLITE_OK) {
		err_set(err, errlen, "%s", sqlite3_errmsg(s->db));
		return NULL;
	}
	st = s->stmt[q];
	va_start(ap, types);
	rc = bind_args(st, types, ap);
	va_end(ap);
	rows = cJSON_CreateArray();
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cJSON *row = cJSON_CreateObject();

		for (int i = 0; i < sqlite3_column_count(st); i++)
			cJSON_AddItemToObject(row, sqlite3_column_name(st, i), column(st, i));
		cJSON_AddItemToArray(rows, row);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE) {
		err_set(err, errlen, "%s", sqlite3_errmsg(s->db));
		cJSON_Delete(rows);
		rows = NULL;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rows;
}
