/* cmd_show: the commands that read finished results from the database (see
 * store.h), with or without a daemon: show (one trial: params, status, timings,
 * its log and stderr, and its curve as a table) and export (a sweep's trials, or every
 * point, as CSV or JSON). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "errbuf.h"
#include "cli_store.h"
#include "xalloc.h"

struct read_opts {
	const char *db; /* --db FILE */
	int csv;        /* export --csv */
	int points;     /* export --points */
};

static int read_opt(void *ctx, int c, const char *arg)
{
	struct read_opts *o = ctx;

	if (c == 'd')
		o->db = arg;
	else if (c == 'c')
		o->csv = 1;
	else if (c == 'p')
		o->points = 1;
	return 0;
}

/* The one id operand of show and export. */
static int id_operand(struct cli *cli, int argc, char **argv, int args, const char *what,
		      long long *id)
{
	int code = cli_operands(cli, argc - args, 1, 1);

	if (code)
		return code;
	*id = cli_parse_id(argv[args]);
	if (*id < 0)
		return cli_usage(cli, "%s: expected a %s id (a positive number)", argv[args], what);
	return 0;
}

/* Runs q with one id argument; prints the error and returns NULL on failure. */
static cJSON *query_id(struct cli *cli, struct store *st, enum query_id q, long long id,
		       int *code)
{
	char err[ERRBUF_LEN];
	cJSON *rows = query_run(&st->query, err, sizeof err, q, "i", id);

	if (!rows)
		*code = cli_fail(cli, EXIT_FAILED, "%s", err);
	return rows;
}

/* A number as cJSON writes it: the shortest of %.15g and %.17g that reads back. */
static void num_text(char *buf, size_t n, double v)
{
	snprintf(buf, n, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, n, "%.17g", v);
}

/* A point's curve row: {"epoch": e, "step": s}, found or appended. */
static cJSON *curve_row(cJSON *curve, double epoch, double step)
{
	cJSON *last = cJSON_GetArrayItem(curve, cJSON_GetArraySize(curve) - 1), *row;

	if (last && query_num(last, "epoch", -1) == epoch && query_num(last, "step", -1) == step)
		return last;
	row = cJSON_CreateObject();
	cJSON_AddNumberToObject(row, "epoch", epoch);
	cJSON_AddNumberToObject(row, "step", step);
	cJSON_AddItemToArray(curve, row);
	return row;
}

/* Adds name to the array of strings names unless it is there. */
static void add_name(cJSON *names, const char *name)
{
	const cJSON *n;

	cJSON_ArrayForEach(n, names)
		if (strcmp(n->valuestring, name) == 0)
			return;
	cJSON_AddItemToArray(names, cJSON_CreateString(name));
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->valuestring, (*(cJSON *const *)b)->valuestring);
}

/* Sorts an array of strings by detaching its items and appending them in
 * order: cJSON_InsertItemInArray cannot be used to keep it sorted as it grows,
 * since Debian's cJSON 1.7.15 refuses an insert in the middle (returns 0 and
 * leaves the array as it was), which dropped metrics that first appear late. */
static void sort_names(cJSON *names)
{
	int n = cJSON_GetArraySize(names);
	cJSON **items = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *items);

	for (int i = 0; i < n; i++)
		items[i] = cJSON_DetachItemFromArray(names, 0);
	qsort(items, (size_t)n, sizeof *items, cmp_name);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(names, items[i]);
	free(items);
}

/* Whether rows a and b both hold a metric. */
static int rows_collide(const cJSON *a, const cJSON *b)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, a)
		if (strcmp(m->string, "epoch") && strcmp(m->string, "step") && query_get(b, m->string))
			return 1;
	return 0;
}

/* Folds a row without a step (step 0: the program reported none, like the
 * worker's test_loss and test_acc after its last epoch) into the last row of
 * the same epoch, when they share no metric: one row per epoch, as reported. */
static void fold_unstepped(cJSON *curve)
{
	cJSON *row = curve->child, *next, *last, *m;

	for (; row; row = next) {
		double epoch = query_num(row, "epoch", 0);

		next = row->next;
		for (last = row; last->next && query_num(last->next, "epoch", -1) == epoch;)
			last = last->next;
		if (query_num(row, "step", 0) != 0 || last == row || rows_collide(row, last))
			continue;
		cJSON_ArrayForEach(m, row)
			if (strcmp(m->string, "epoch") && strcmp(m->string, "step"))
				cJSON_AddNumberToObject(last, m->string, m->valuedouble);
		cJSON_Delete(cJSON_DetachItemViaPointer(curve, row));
	}
}

/* Points (epoch, step order) to rows of one (epoch, step) each, and the
 * metric names, sorted. */
static cJSON *curve_rows(const cJSON *points, cJSON *metrics)
{
	cJSON *curve = cJSON_CreateArray();
	const cJSON *p;

	cJSON_ArrayForEach(p, points) {
		const char *m = cJSON_GetStringValue(query_get(p, "metric"));
		cJSON *row = curve_row(curve, query_num(p, "epoch", 0), query_num(p, "step", 0));

		add_name(metrics, m);
		cJSON_DeleteItemFromObjectCaseSensitive(row, m);
		cJSON_AddNumberToObject(row, m, query_num(p, "value", NAN));
	}
	sort_names(metrics);
	fold_unstepped(curve);
	return curve;
}

static void print_curve(const cJSON *curve, const cJSON *metrics)
{
	const cJSON *row, *m;
	struct cli_table t;

	cli_table_init(&t, 2 + cJSON_GetArraySize(metrics));
	cli_table_add(&t, "EPOCH");
	cli_table_add(&t, "STEP");
	cJSON_ArrayForEach(m, metrics)
		cli_table_add(&t, m->valuestring);
	cJSON_ArrayForEach(row, curve) {
		cli_table_add_owned(&t, cli_cell(query_get(row, "epoch")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "step")));
		cJSON_ArrayForEach(m, metrics)
			cli_table_add_owned(&t, cli_cell(query_get(row, m->valuestring)));
	}
	cli_table_print(&t);
}

/* "2026-11-26 08:01:02", or "-" for a missing time. */
static void time_text(char *buf, size_t n, const cJSON *v)
{
	time_t when = (time_t)(cJSON_IsNumber(v) ? v->valuedouble : 0);
	struct tm tm;

	if (!cJSON_IsNumber(v) || !localtime_r(&when, &tm) ||
	    !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, n, "-");
}

static void print_params(const cJSON *params)
{
	const cJSON *p;

	printf("params:   ");
	cJSON_ArrayForEach(p, params) {
		char *v = cli_cell(p);

		printf("%s=%s%s", p->string, v, p->next ? " " : "");
		free(v);
	}
	printf("%s\n", params && params->child ? "" : "(none)");
}

/* "done, finished", "failed, exit code 1: ...": the status, then the reason
 * unless it only repeats the status ("cancelled, cancelled"); a reason that
 * starts with the status ("pruned at epoch 3: ...") stands alone. */
static void print_status(const cJSON *t)
{
	const char *status = cJSON_GetStringValue(query_get(t, "status"));
	const char *reason = cJSON_GetStringValue(query_get(t, "reason"));
	size_t n = status ? strlen(status) : 0;

	if (!status)
		status = "?";
	if (!reason || !*reason || strcmp(reason, status) == 0)
		printf("status:   %s\n", status);
	else if (n && strncmp(reason, status, n) == 0 && reason[n] == ' ')
		printf("status:   %s\n", reason);
	else
		printf("status:   %s, %s\n", status, reason);
}

/* "started:  ...", and "ended:    ..." with how it ended, when it did. */
static void print_times(const cJSON *t)
{
	char start[32], end[32];
	double t0 = query_num(t, "started_at", NAN), t1 = query_num(t, "ended_at", NAN);

	time_text(start, sizeof start, query_get(t, "started_at"));
	time_text(end, sizeof end, query_get(t, "ended_at"));
	if (isnan(t0))
		printf("started:  %s\n", isnan(t1) ? "not yet" : "never");
	else
		printf("started:  %s, attempt %.0f\n", start, query_num(t, "attempts", 0));
	if (isnan(t1))
		return;
	printf("ended:    %s", end);
	if (!isnan(t0))
		printf(", after %.1f s", t1 - t0);
	if (cJSON_IsNumber(query_get(t, "exit_signal")) && query_num(t, "exit_signal", 0) > 0)
		printf(", killed by signal %.0f", query_num(t, "exit_signal", 0));
	else if (cJSON_IsNumber(query_get(t, "exit_code")))
		printf(", exit code %.0f", query_num(t, "exit_code", 0));
	putchar('\n');
}

/* After the best value a trial reported: whether it counts toward its sweep's
 * best (it does when it has an objective: the objectives view's rule). */
static const char *rank_note(const cJSON *t)
{
	const char *status = cJSON_GetStringValue(query_get(t, "status"));

	if (cJSON_IsNumber(query_get(t, "objective")))
		return "";
	if (status && (strcmp(status, "running") == 0 || strcmp(status, "queued") == 0))
		return " so far";
	return " (not ranked: only done and pruned trials count)";
}

/* "note:     first line", each later line under the first. */
static void print_note(const char *note)
{
	printf("note:     ");
	for (const char *p = note;;) {
		size_t len = strcspn(p, "\n");

		printf("%.*s\n", (int)len, p);
		p += len;
		if (!*p++ || !*p)
			return;
		printf("          ");
	}
}

static void print_trial(const cJSON *t)
{
	printf("trial %.0f: sweep %.0f \"%s\", no. %.0f, round %.0f\n", query_num(t, "id", 0),
	       query_num(t, "sweep_id", 0), cJSON_GetStringValue(query_get(t, "sweep")),
	       query_num(t, "number", 0), query_num(t, "round", 0));
	print_status(t);
	print_params(query_get(t, "params"));
	if (cJSON_IsNumber(query_get(t, "best_value")))
		printf("best:     %s %.6g at epoch %.0f of %.0f%s\n",
		       cJSON_GetStringValue(query_get(t, "metric")), query_num(t, "best_value", 0),
		       query_num(t, "best_epoch", 0), query_num(t, "epochs", 0), rank_note(t));
	print_times(t);
	if (cJSON_IsString(query_get(t, "note")))
		print_note(query_get(t, "note")->valuestring);
}

/* Where a fork comes from, and every change of its hyperparameters while it
 * trained (a fork's own changes first, at its parent's epoch). */
static void print_adjustments(const cJSON *t, const cJSON *adjustments)
{
	const cJSON *a;

	if (cJSON_IsNumber(query_get(t, "parent_trial_id")))
		printf("forked:   from trial %.0f at epoch %.0f\n",
		       query_num(t, "parent_trial_id", 0), query_num(t, "parent_epoch", 0));
	cJSON_ArrayForEach(a, adjustments) {
		char *old = cli_cell(query_get(a, "old_value"));
		char *new = cli_cell(query_get(a, "new_value"));

		printf("%s after epoch %.0f, step %.0f: %s %s -> %s (%s)\n",
		       a == adjustments->child ? "adjusted:" : "         ", query_num(a, "epoch", 0),
		       query_num(a, "step", 0), cJSON_GetStringValue(query_get(a, "name")), old, new,
		       cJSON_GetStringValue(query_get(a, "source")));
		free(old);
		free(new);
	}
}

#define LOG_LINES 20 /* the log's last lines show prints; --json has them all */

/* What a command trial printed that is not a metric (its last lines, with the
 * attempt when it changes), then the tail of its stderr. */
static void print_output(const cJSON *log, const char *tail)
{
	int n = cJSON_GetArraySize(log), i = 0;
	double attempt = -1;
	const cJSON *l;

	if (n > LOG_LINES)
		printf("log (the last %d of %d lines; --json has them all):\n", LOG_LINES, n);
	else if (n)
		printf("log:\n");
	cJSON_ArrayForEach(l, log) {
		if (i++ < n - LOG_LINES)
			continue;
		if (attempt >= 0 && query_num(l, "attempt", 0) != attempt)
			printf("  (attempt %.0f)\n", query_num(l, "attempt", 0));
		attempt = query_num(l, "attempt", 0);
		printf("  | %s\n", cJSON_GetStringValue(query_get(l, "line")));
	}
	if (!tail || !*tail)
		return;
	printf("stderr:\n");
	for (const char *p = tail; *p;) {
		size_t len = strcspn(p, "\n");

		printf("  | %.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
}

/* Whether the trial may still report points. */
static int trial_live(const cJSON *t)
{
	const char *status = cJSON_GetStringValue(query_get(t, "status"));

	return status && (strcmp(status, "queued") == 0 || strcmp(status, "running") == 0);
}

static int show_trial(struct cli *cli, struct store *st, long long id)
{
	cJSON *trial, *points = NULL, *log = NULL, *adjustments = NULL, *metrics, *curve;
	int code = EXIT_OK;

	if (!(trial = query_id(cli, st, QUERY_TRIAL, id, &code)))
		return code;
	if (!trial->child) {
		cJSON_Delete(trial);
		return cli_fail(cli, EXIT_FAILED, "no trial %lld", id);
	}
	if (!(points = query_id(cli, st, QUERY_TRIAL_POINTS, id, &code)) ||
	    !(log = query_id(cli, st, QUERY_TRIAL_LOG, id, &code)) ||
	    !(adjustments = query_id(cli, st, QUERY_ADJUSTMENTS, id, &code))) {
		cJSON_Delete(log);
		cJSON_Delete(points);
		cJSON_Delete(trial);
		return code;
	}
	metrics = cJSON_CreateArray();
	curve = curve_rows(points, metrics);
	if (cli->json) {
		cJSON *out = cJSON_DetachItemViaPointer(trial, trial->child);

		cJSON_AddItemToObject(out, "metrics", metrics);
		cJSON_AddItemToObject(out, "curve", curve);
		cJSON_AddItemToObject(out, "log", log);
		cJSON_AddItemToObject(out, "adjustments", adjustments);
		cli_print_json(out);
	} else {
		print_trial(trial->child);
		print_adjustments(trial->child, adjustments);
		cJSON_Delete(adjustments);
		print_output(log, cJSON_GetStringValue(query_get(trial->child, "stderr_tail")));
		putchar('\n');
		if (curve->child)
			print_curve(curve, metrics);
		else
			printf("no points%s\n", trial_live(trial->child) ? " yet" : "");
		cJSON_Delete(metrics);
		cJSON_Delete(curve);
		cJSON_Delete(log);
	}
	cJSON_Delete(points);
	cJSON_Delete(trial);
	return EXIT_OK;
}

static int run_show(struct cli *cli, int argc, char **argv)
{
	struct read_opts o = {0};
	struct store st;
	long long id;
	int args, code;

	if ((code = cli_options(cli, &cmd_show, argc, argv, read_opt, &o, &args)) ||
	    (code = id_operand(cli, argc, argv, args, "trial", &id)) ||
	    (code = store_open_cli(&st, cli, o.db)))
		return code;
	code = show_trial(cli, &st, id);
	store_close(&st);
	return code;
}

static const struct cli_option show_options[] = {
	{0, "db", 'd', "FILE", "Read that database (else the daemon's)."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_show = {
	"show", "TRIAL [--db FILE]",
	"Shows one trial, its output and its curve.\n"
	"Its params, status, timings, the reason it ended, its note, the last lines of its log (what a command trial printed that\n"
	"is not a metric), the tail of its stderr, and its curve as a table (one row per\n"
	"epoch, one column per metric).\n"
	"Reads the database; --json prints it all as JSON.",
	run_show,
	show_options,
};


/* A JSON value as a CSV field: numbers exact, strings bare, null empty. */
static void csv_value(const cJSON *v, int last)
{
	char buf[64];
	char *text;

	if (cJSON_IsNumber(v)) {
		num_text(buf, sizeof buf, v->valuedouble);
		cli_csv_field(buf, last);
	} else if (cJSON_IsString(v)) {
		cli_csv_field(v->valuestring, last);
	} else if (!v || cJSON_IsNull(v)) {
		cli_csv_field("", last);
	} else {
		text = cJSON_PrintUnformatted(v);
		cli_csv_field(text, last);
		free(text);
	}
}

/* Prints rows (objects) as CSV with the columns in names (an array of strings). */
static void print_csv(const cJSON *rows, const cJSON *names)
{
	const cJSON *row, *n;

	cJSON_ArrayForEach(n, names)
		cli_csv_field(n->valuestring, !n->next);
	cJSON_ArrayForEach(row, rows)
		cJSON_ArrayForEach(n, names)
			csv_value(query_get(row, n->valuestring), !n->next);
}

static cJSON *names_of(const char *const *names)
{
	cJSON *a = cJSON_CreateArray();

	for (; *names; names++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*names));
	return a;
}

static const char *const trial_cols[] = {"trial_id", "number", "round", "status",
					 "objective", "best_epoch", "epochs", NULL};

/* One export row per trial: its columns, params and final metrics nested. */
static cJSON *trial_rows(const cJSON *trials, const cJSON *finals)
{
	cJSON *rows = cJSON_CreateArray();
	const cJSON *t, *f;

	cJSON_ArrayForEach(t, trials) {
		cJSON *row = cJSON_CreateObject(), *final = cJSON_CreateObject();

		cJSON_AddNumberToObject(row, "trial_id", query_num(t, "id", 0));
		cJSON_AddItemToObject(row, "number", cJSON_Duplicate(query_get(t, "number"), 1));
		cJSON_AddItemToObject(row, "round", cJSON_Duplicate(query_get(t, "round"), 1));
		cJSON_AddItemToObject(row, "status", cJSON_Duplicate(query_get(t, "status"), 1));
		cJSON_AddItemToObject(row, "objective", cJSON_Duplicate(query_get(t, "objective"), 1));
		cJSON_AddItemToObject(row, "best_epoch", cJSON_Duplicate(query_get(t, "best_epoch"), 1));
		cJSON_AddItemToObject(row, "epochs", cJSON_Duplicate(query_get(t, "epochs"), 1));
		cJSON_AddItemToObject(row, "params", cJSON_Duplicate(query_get(t, "params"), 1));
		cJSON_ArrayForEach(f, finals)
			if (query_num(f, "trial_id", 0) == query_num(t, "id", -1))
				cJSON_AddNumberToObject(final, cJSON_GetStringValue(query_get(f, "metric")),
							query_num(f, "value", NAN));
		cJSON_AddItemToObject(row, "final", final);
		cJSON_AddItemToArray(rows, row);
	}
	return rows;
}

/* Flattens the nested rows for CSV: params bare, metrics as final_<metric>. */
static void print_trials_csv(cJSON *rows)
{
	cJSON *names = names_of(trial_cols), *params = cJSON_CreateObject(), *row, *v;
	char key[256];

	cJSON_ArrayForEach(row, rows)
		cJSON_ArrayForEach(v, query_get(row, "params"))
			if (!cJSON_GetObjectItemCaseSensitive(params, v->string))
				cJSON_AddItemToObject(params, v->string, cJSON_CreateNull());
	cJSON_ArrayForEach(v, params)
		cJSON_AddItemToArray(names, cJSON_CreateString(v->string));
	cJSON_Delete(params);
	params = cJSON_CreateArray();
	cJSON_ArrayForEach(row, rows)
		cJSON_ArrayForEach(v, query_get(row, "final")) {
			snprintf(key, sizeof key, "final_%s", v->string);
			add_name(params, key);
		}
	sort_names(params);
	cJSON_ArrayForEach(row, rows) {
		cJSON_ArrayForEach(v, query_get(row, "params"))
			cJSON_AddItemReferenceToObject(row, v->string, v);
		cJSON_ArrayForEach(v, query_get(row, "final")) {
			snprintf(key, sizeof key, "final_%s", v->string);
			cJSON_AddItemReferenceToObject(row, key, v);
		}
	}
	cJSON_ArrayForEach(v, params)
		cJSON_AddItemToArray(names, cJSON_CreateString(v->valuestring));
	print_csv(rows, names);
	cJSON_Delete(params);
	cJSON_Delete(names);
}

static int export_trials(struct cli *cli, struct store *st, long long id, int json)
{
	cJSON *trials, *finals, *rows;
	int code = EXIT_OK;

	if (!(trials = query_id(cli, st, QUERY_TRIALS, id, &code)))
		return code;
	if (!(finals = query_id(cli, st, QUERY_FINAL, id, &code))) {
		cJSON_Delete(trials);
		return code;
	}
	rows = trial_rows(trials, finals);
	cJSON_Delete(trials);
	cJSON_Delete(finals);
	if (json) {
		cli_print_json(rows);
		return EXIT_OK;
	}
	print_trials_csv(rows);
	cJSON_Delete(rows);
	return EXIT_OK;
}

static int export_points(struct cli *cli, struct store *st, long long id, int json)
{
	static const char *const cols[] = {"trial_id", "number", "metric", "epoch",
					   "step", "value", "wall_time", NULL};
	cJSON *points, *names;
	int code = EXIT_OK;

	if (!(points = query_id(cli, st, QUERY_SWEEP_POINTS, id, &code)))
		return code;
	if (json) {
		cli_print_json(points);
		return EXIT_OK;
	}
	names = names_of(cols);
	print_csv(points, names);
	cJSON_Delete(names);
	cJSON_Delete(points);
	return EXIT_OK;
}

/* Fails with "no sweep ID" unless the sweep exists. */
static int check_sweep(struct cli *cli, struct store *st, long long id)
{
	int code = EXIT_OK;
	cJSON *rows = query_id(cli, st, QUERY_SWEEP, id, &code);

	if (rows && !rows->child)
		code = cli_fail(cli, EXIT_FAILED, "no sweep %lld", id);
	cJSON_Delete(rows);
	return code;
}

static int run_export(struct cli *cli, int argc, char **argv)
{
	struct read_opts o = {0};
	struct store st;
	long long id;
	int args, code;

	if ((code = cli_options(cli, &cmd_export, argc, argv, read_opt, &o, &args)) ||
	    (code = id_operand(cli, argc, argv, args, "sweep", &id)))
		return code;
	if (o.csv && cli->json)
		return cli_usage(cli, "--csv and --json exclude each other");
	if ((code = store_open_cli(&st, cli, o.db)))
		return code;
	if (!(code = check_sweep(cli, &st, id)))
		code = o.points ? export_points(cli, &st, id, cli->json)
				: export_trials(cli, &st, id, cli->json);
	store_close(&st);
	return code;
}

static const struct cli_option export_options[] = {
	{0, "csv", 'c', NULL, "CSV (the default); --json gives JSON instead."},
	{0, "points", 'p', NULL, "Every point of every curve instead of a row per trial."},
	{0, "db", 'd', "FILE", "Read that database, without a daemon (else the daemon's)."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_export = {
	"export", "SWEEP [--csv|--json] [--points] [--db FILE]",
	"Exports a sweep's trials as CSV or JSON.\n"
	"One row per trial with every param (a column each), its objective\n"
	"and the last value of each metric (final_<metric>); with --points, every point of\n"
	"every curve instead. CSV unless --json.",
	run_export,
	export_options,
};
