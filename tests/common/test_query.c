/* test_query: the one row-to-JSON rule (exact integers beyond 2^53, the JSON
 * columns, NULL) and the reads of both former homes (the daemon's db_query,
 * the client's store), on a database made with the real schema. */
#include <stdlib.h>
#include <unistd.h>

#include "query.h"
#include "schema.h"
#include "test.h"

#define BIG 4611686018427387905LL /* 2^62 + 1: a double would round it */

static char path[64];

static void exec_ok(sqlite3 *h, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, msg);
		CHECK(0);
	}
	sqlite3_free(msg);
}

/* A database at every schema version, as caviard leaves it, with one sweep
 * (seed BIG), a round, three trials and a few points. */
static sqlite3 *make_db(void)
{
	sqlite3 *h;
	char pragma[64];

	snprintf(path, sizeof path, "/tmp/caviar-test-query.XXXXXX");
	close(mkstemp(path));
	CHECK(sqlite3_open(path, &h) == SQLITE_OK);
	for (int v = 0; v < schema_version; v++)
		exec_ok(h, schema_migrations[v]);
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", schema_version);
	exec_ok(h, pragma);
	exec_ok(h, "INSERT INTO sweeps (name, spec, search, seed, metric, mode, budget, created_at)"
		   " VALUES ('{\"not\": \"json\"}', '{\"name\": \"s\", \"trials\": 3}', 'random',"
		   " 4611686018427387905, 'val_acc', 'max', 3, 1000.5)");
	exec_ok(h, "INSERT INTO rounds VALUES (1, 0, '{\"lr\": {\"log\": [0.001, 0.1]}}', 1000.5)");
	exec_ok(h, "INSERT INTO trials (sweep_id, number, params, seed, status, best_value,"
		   " best_epoch, epochs) VALUES"
		   " (1, 0, '{\"lr\": 0.1}', 9007199254740992, 'done', 0.8, 2, 2),"
		   " (1, 1, '{\"lr\": 0.01}', -9007199254740993, 'done', 0.9, 1, 2),"
		   " (1, 2, 'not json', 3, 'queued', NULL, NULL, 0)");
	exec_ok(h, "INSERT INTO points VALUES (1, 'val_acc', 1, 10, 0.5, 1),"
		   " (1, 'val_acc', 1, 20, 0.6, 2), (1, 'val_acc', 2, 30, 0.8, 3), (2, 'val_acc', 1, 5, 0.9, 4), (2, 'loss', 1, 5, 1.5, 4)");
	return h;
}

static void drop_db(sqlite3 *h)
{
	sqlite3_close(h);
	unlink(path);
}

static const cJSON *get(const cJSON *row, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(row, key);
}

static void test_integers(void)
{
	sqlite3 *h = make_db();
	struct query q;
	char err[256], *text;
	cJSON *rows;

	query_init(&q, h);
	rows = query_run(&q, err, sizeof err, QUERY_SWEEP_BRIEF, "i", 1LL);
	CHECK(rows && cJSON_GetArraySize(rows) == 1);
	CHECK(query_int(get(rows->child, "seed"), 0) == BIG);
	CHECK(cJSON_IsNumber(get(rows->child, "id")) && get(rows->child, "id")->valuedouble == 1);
	text = cJSON_PrintUnformatted(rows);
	CHECK_CONTAINS(text, "\"seed\":4611686018427387905,");
	free(text);
	cJSON_Delete(rows);
	/* 2^53 is still an exact double; one past it, negative, is not. */
	rows = query_run(&q, err, sizeof err, QUERY_TRIAL, "i", 1LL);
	CHECK(cJSON_IsNumber(get(rows->child, "seed")));
	CHECK(query_int(get(rows->child, "seed"), 0) == 9007199254740992LL);
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_TRIAL, "i", 2LL);
	CHECK(cJSON_IsRaw(get(rows->child, "seed")));
	CHECK(query_int(get(rows->child, "seed"), 0) == -9007199254740993LL);
	CHECK(query_int(get(rows->child, "params"), 7) == 7);
	cJSON_Delete(rows);
	query_finish(&q);
	query_finish(&q); /* finishing twice is harmless */
	drop_db(h);
}

static void test_json_columns_and_null(void)
{
	sqlite3 *h = make_db();
	struct query q;
	char err[256];
	cJSON *rows;

	query_init(&q, h);
	rows = query_run(&q, err, sizeof err, QUERY_SWEEP, "i", 1LL);
	CHECK(cJSON_IsObject(get(rows->child, "spec")));
	CHECK(get(get(rows->child, "spec"), "trials")->valuedouble == 3);
	CHECK_STR(cJSON_GetStringValue(get(rows->child, "name")), "{\"not\": \"json\"}");
	CHECK(cJSON_IsNull(get(rows->child, "finished_at")));
	CHECK_NEAR(get(rows->child, "created_at")->valuedouble, 1000.5, 0);
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_LAST_ROUND, "i", 1LL);
	CHECK(cJSON_IsArray(get(get(get(rows->child, "ranges"), "lr"), "log")));
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_TRIALS, "i", 1LL);
	CHECK(cJSON_GetArraySize(rows) == 3);
	CHECK_NEAR(get(get(rows->child, "params"), "lr")->valuedouble, 0.1, 0);
	/* Text in a JSON column that does not parse stays the text. */
	CHECK_STR(cJSON_GetStringValue(get(cJSON_GetArrayItem(rows, 2), "params")), "not json");
	CHECK(cJSON_IsNull(get(cJSON_GetArrayItem(rows, 2), "best_value")));
	cJSON_Delete(rows);
	query_finish(&q);
	drop_db(h);
}

/* Reads the daemon ran through db_query. */
static void test_daemon_reads(void)
{
	sqlite3 *h = make_db();
	struct query q;
	char err[256];
	cJSON *rows;

	query_init(&q, h);
	rows = query_run(&q, err, sizeof err, QUERY_QUEUED_TRIALS, "i", 1LL);
	CHECK(cJSON_GetArraySize(rows) == 1 && get(rows->child, "number")->valuedouble == 2);
	/* params as the text recorded: the daemon parses them once, when the trial starts */
	CHECK(cJSON_IsString(get(rows->child, "sampled")));
	CHECK(cJSON_IsNumber(get(rows->child, "seed")));
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_TRIAL_COUNT, "i", 1LL);
	CHECK(get(rows->child, "n")->valuedouble == 3);
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_LEADERBOARD, "ii", 1LL, 1LL);
	CHECK(cJSON_GetArraySize(rows) == 1);
	CHECK(get(rows->child, "number")->valuedouble == 1); /* maximizing: 0.9 first */
	CHECK(get(rows->child, "rank")->valuedouble == 1);
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_GOAL_POINTS, "i", 1LL);
	CHECK(cJSON_GetArraySize(rows) == 4); /* every step of val_acc, none of loss (no goals) */
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_PROGRESS, "");
	CHECK(get(rows->child, "done")->valuedouble == 2);
	CHECK_NEAR(get(rows->child, "best")->valuedouble, 0.9, 0);
	cJSON_Delete(rows);
	query_finish(&q);
	drop_db(h);
}

/* Reads the client ran through store, on a read-only connection. */
static void test_client_reads(void)
{
	sqlite3 *h = make_db(), *ro;
	struct query q;
	char err[256];
	cJSON *rows;

	CHECK(sqlite3_open_v2(path, &ro, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	query_init(&q, ro);
	rows = query_run(&q, err, sizeof err, QUERY_METRIC, "is", 1LL, "val_acc");
	CHECK(cJSON_GetArraySize(rows) == 3); /* the last step of each epoch */
	CHECK_NEAR(get(rows->child, "value")->valuedouble, 0.6, 0);
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_LEADERBOARD, "ii", 1LL, -1LL);
	CHECK(cJSON_GetArraySize(rows) == 2);
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_LAST, "i", 2LL);
	CHECK(cJSON_GetArraySize(rows) == 2);
	CHECK_STR(cJSON_GetStringValue(get(rows->child, "metric")), "loss");
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_TRIAL, "i", 1LL);
	CHECK_STR(cJSON_GetStringValue(get(rows->child, "mode")), "max");
	CHECK(cJSON_IsObject(get(rows->child, "params")));
	cJSON_Delete(rows);
	/* The arguments must match the query's. */
	CHECK(!query_run(&q, err, sizeof err, QUERY_METRIC, "i", 1LL));
	CHECK_CONTAINS(err, "expects 2 arguments, got 1");
	query_finish(&q);
	sqlite3_close(ro);
	drop_db(h);
}

/* The dashboard's reads: a sweep's metrics, rounds, one metric's points
 * stepped row by row (query_start), and a trial's adjustments and forks. */
static void test_dashboard_reads(void)
{
	sqlite3 *h = make_db();
	struct query q;
	sqlite3_stmt *st;
	char err[256];
	cJSON *rows;
	int n = 0;

	exec_ok(h, "UPDATE trials SET parent_trial_id = 1, parent_epoch = 1 WHERE id = 2");
	exec_ok(h, "INSERT INTO adjustments (trial_id, epoch, step, name, old_value, new_value,"
		   " source, created_at) VALUES (2, 1, 5, 'lr', 0.1, 0.01, 'pbt', 7)");
	query_init(&q, h);
	rows = query_run(&q, err, sizeof err, QUERY_SWEEP_METRICS, "i", 1LL);
	CHECK(cJSON_GetArraySize(rows) == 2);
	CHECK_STR(cJSON_GetStringValue(get(rows->child, "metric")), "loss");
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_ROUNDS, "i", 1LL);
	CHECK(cJSON_GetArraySize(rows) == 1 && cJSON_IsObject(get(rows->child, "ranges")));
	cJSON_Delete(rows);
	st = query_start(&q, err, sizeof err, QUERY_METRIC_POINTS, "is", 1LL, "val_acc");
	CHECK(st != NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		static const double want[][3] = {{1, 1, 0.5}, {1, 1, 0.6}, {1, 2, 0.8},
						 {2, 1, 0.9}};

		CHECK(n < 4);
		CHECK(sqlite3_column_int64(st, 0) == (long long)want[n][0]);
		CHECK(sqlite3_column_int64(st, 1) == (long long)want[n][1]);
		CHECK_NEAR(sqlite3_column_double(st, 2), want[n][2], 0);
		n++;
	}
	CHECK(n == 4);
	query_end(&q, QUERY_METRIC_POINTS);
	CHECK(!query_start(&q, err, sizeof err, QUERY_METRIC_POINTS, "i", 1LL));
	CHECK_CONTAINS(err, "expects 2 arguments, got 1");
	rows = query_run(&q, err, sizeof err, QUERY_ADJUSTMENTS, "i", 2LL);
	CHECK(cJSON_GetArraySize(rows) == 1);
	CHECK_STR(cJSON_GetStringValue(get(rows->child, "source")), "pbt");
	cJSON_Delete(rows);
	rows = query_run(&q, err, sizeof err, QUERY_CHILDREN, "i", 1LL);
	CHECK(cJSON_GetArraySize(rows) == 1 && query_int(get(rows->child, "id"), 0) == 2);
	cJSON_Delete(rows);
	query_finish(&q);
	drop_db(h);
}

/* A file that is not a caviar database: the error is SQLite's. */
/* The reads are written for schema/'s newest version: a new migration bumps it. */
static void test_schema_version(void)
{
	CHECK(QUERY_SCHEMA_VERSION == schema_version);
}

static void test_not_caviar(void)
{
	sqlite3 *h;
	struct query q;
	char err[256];

	CHECK(sqlite3_open(":memory:", &h) == SQLITE_OK);
	query_init(&q, h);
	CHECK(!query_run(&q, err, sizeof err, QUERY_SWEEPS, ""));
	CHECK_STR(err, "no such table: sweeps");
	query_finish(&q);
	sqlite3_close(h);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"integers", test_integers},
		{"json_columns_and_null", test_json_columns_and_null},
		{"daemon_reads", test_daemon_reads},
		{"client_reads", test_client_reads},
		{"dashboard_reads", test_dashboard_reads},
		{"not_caviar", test_not_caviar},
		{"schema_version", test_schema_version},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
