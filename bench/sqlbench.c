/* sqlbench: times read queries against a caviar database and shows how SQLite
 * runs them, for the scale benchmark (bench/run, row 5). For each query: the
 * time of the first run and the median of the runs (prepare, step every row,
 * finalize: what `sqlite3 DB QUERY` does past its start-up), the row count,
 * its EXPLAIN QUERY PLAN, and the scans of a large table (points, trials, or
 * an alias of one in the query or in a view) that use no index. Also the
 * database's size per curve point. Opens the database read-only.
 *   sqlbench DB QUERIES [--reps N]
 * QUERIES is a file of queries separated by the byte 0x1e. Prints one JSON object. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#define MAX_ALIASES 32

/* The large tables, and every name they go by in the views and the query. */
struct aliases {
	char name[MAX_ALIASES][64];
	char table[MAX_ALIASES][16];
	int n;
};

static const char *const large_tables[] = {"points", "trials"};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = calloc(1, (size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* Next identifier of sql at or after *p into tok (empty at the end). */
static void next_ident(const char **p, char *tok, size_t n)
{
	const char *s = *p;
	size_t k = 0;

	while (*s && !(isalpha((unsigned char)*s) || *s == '_')) {
		if (*s == '\'') /* skip string literals */
			for (s++; *s && *s != '\''; s++)
				;
		if (*s)
			s++;
	}
	while (*s && (isalnum((unsigned char)*s) || *s == '_')) {
		if (k + 1 < n)
			tok[k++] = *s;
		s++;
	}
	tok[k] = '\0';
	*p = s;
}

static int is_keyword(const char *t)
{
	static const char *const kw[] = {"on", "where", "join", "left", "inner", "cross", "natural",
					 "group", "order", "limit", "using", "union", "window",
					 "having", "set", "values", "select", "outer", "full", ""};

	for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
		if (strcasecmp(t, kw[i]) == 0)
			return 1;
	return 0;
}

static void alias_add(struct aliases *a, const char *name, const char *table)
{
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->name[i], name) == 0)
			return;
	if (a->n == MAX_ALIASES)
		return;
	snprintf(a->name[a->n], sizeof a->name[0], "%s", name);
	snprintf(a->table[a->n++], sizeof a->table[0], "%s", table);
}

/* Adds "TABLE alias" and "TABLE AS alias" of the large tables found in sql. */
static void aliases_scan(struct aliases *a, const char *sql)
{
	char tok[64], next[64];
	const char *p = sql;

	for (next_ident(&p, tok, sizeof tok); *tok; snprintf(tok, sizeof tok, "%s", next)) {
		next_ident(&p, next, sizeof next);
		for (size_t i = 0; i < sizeof large_tables / sizeof large_tables[0]; i++) {
			if (strcasecmp(tok, large_tables[i]) != 0)
				continue;
			alias_add(a, large_tables[i], large_tables[i]);
			if (strcasecmp(next, "as") == 0) {
				next_ident(&p, next, sizeof next);
				alias_add(a, next, large_tables[i]);
			} else if (!is_keyword(next)) {
				alias_add(a, next, large_tables[i]);
			}
		}
	}
}

static void aliases_from_views(struct aliases *a, sqlite3 *db)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE type = 'view'", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		aliases_scan(a, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* The large table a "SCAN name ..." plan line reads, or NULL. */
static const char *scanned_table(const struct aliases *a, const char *detail)
{
	char name[64];
	size_t k = 0;

	if (strncmp(detail, "SCAN ", 5) != 0)
		return NULL;
	for (detail += 5; *detail && *detail != ' ' && k + 1 < sizeof name; detail++)
		name[k++] = *detail;
	name[k] = '\0';
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->name[i], name) == 0)
			return a->table[i];
	return NULL;
}

/* EXPLAIN QUERY PLAN into q's "plan", "table_scans" (no index) and "index_scans". */
static int explain(sqlite3 *db, const char *sql, const struct aliases *views, cJSON *q)
{
	struct aliases a = *views;
	cJSON *plan = cJSON_AddArrayToObject(q, "plan");
	cJSON *table_scans = cJSON_AddArrayToObject(q, "table_scans");
	cJSON *index_scans = cJSON_AddArrayToObject(q, "index_scans");
	char *eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, eqp, -1, &st, NULL);

	sqlite3_free(eqp);
	if (rc != SQLITE_OK)
		return -1;
	aliases_scan(&a, sql);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 3);
		const char *table = scanned_table(&a, detail);

		cJSON_AddItemToArray(plan, cJSON_CreateString(detail));
		if (table)
			cJSON_AddItemToArray(strstr(detail, " USING ") ? index_scans : table_scans,
					     cJSON_CreateString(detail));
	}
	sqlite3_finalize(st);
	return 0;
}

/* One run of sql: prepare, step every row, finalize. Rows, or -1. */
static long run_once(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long rows = 0;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rows++;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? rows : -1;
}

static cJSON *bench_query(sqlite3 *db, const char *sql, int reps, const struct aliases *views)
{
	cJSON *q = cJSON_CreateObject();
	double *ms = calloc((size_t)reps, sizeof *ms);
	long rows = 0;

	cJSON_AddStringToObject(q, "sql", sql);
	for (int r = 0; r < reps && rows >= 0; r++) {
		double t0 = now();

		rows = run_once(db, sql);
		ms[r] = (now() - t0) * 1e3;
	}
	if (rows < 0) {
		cJSON_AddStringToObject(q, "error", sqlite3_errmsg(db));
	} else {
		cJSON_AddNumberToObject(q, "ms_first", ms[0]);
		qsort(ms, (size_t)reps, sizeof *ms, cmp_double);
		cJSON_AddNumberToObject(q, "ms_median", ms[reps / 2]);
		cJSON_AddNumberToObject(q, "rows", (double)rows);
		explain(db, sql, views, q);
	}
	free(ms);
	return q;
}

static double scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	double x = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		x = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return x;
}

/* Sizes: pages, rows, bytes per point (the whole file's, and the points
 * table's own when the dbstat table is compiled in). */
static void add_sizes(sqlite3 *db, cJSON *o)
{
	double page_size = scalar(db, "PRAGMA page_size");
	double pages = scalar(db, "PRAGMA page_count");
	double points = scalar(db, "SELECT count(*) FROM points");
	double table = scalar(db, "SELECT sum(pgsize) FROM dbstat WHERE name = 'points'");

	cJSON_AddNumberToObject(o, "page_size", page_size);
	cJSON_AddNumberToObject(o, "page_count", pages);
	cJSON_AddNumberToObject(o, "points", points);
	cJSON_AddNumberToObject(o, "trials", scalar(db, "SELECT count(*) FROM trials"));
	if (points > 0) {
		cJSON_AddNumberToObject(o, "bytes_per_point", page_size * pages / points);
		if (table > 0)
			cJSON_AddNumberToObject(o, "points_table_bytes_per_point", table / points);
	}
}

int main(int argc, char **argv)
{
	struct aliases views = {.n = 0};
	cJSON *out, *queries;
	char *text, *sql, *save = NULL, *json;
	int reps = 5;
	sqlite3 *db;

	if (argc == 5 && strcmp(argv[3], "--reps") == 0)
		reps = atoi(argv[4]);
	if ((argc != 3 && argc != 5) || reps < 1 || reps > 1000) {
		fputs("usage: sqlbench DB QUERIES [--reps N]\n", stderr);
		return 2;
	}
	if (!(text = read_file(argv[2]))) {
		fprintf(stderr, "sqlbench: cannot read %s\n", argv[2]);
		return 1;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlbench: %s: %s\n", argv[1], sqlite3_errmsg(db));
		return 1;
	}
	aliases_from_views(&views, db);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "sqlite", sqlite3_libversion());
	add_sizes(db, out);
	queries = cJSON_AddArrayToObject(out, "queries");
	for (sql = strtok_r(text, "\x1e", &save); sql; sql = strtok_r(NULL, "\x1e", &save))
		if (strspn(sql, " \t\r\n") < strlen(sql))
			cJSON_AddItemToArray(queries, bench_query(db, sql, reps, &views));
	json = cJSON_PrintUnformatted(out);
	puts(json);
	free(json);
	cJSON_Delete(out);
	sqlite3_close(db);
	free(text);
	return 0;
}
