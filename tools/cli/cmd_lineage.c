/* cmd_lineage: `caviar lineage TRIAL`, a trial's chain of ancestors (each
 * trial it was forked from, the epochs each trained, the fork's epoch) and
 * its hyperparameter schedule: one row per stretch of epochs over which no
 * value changed, a column per hyperparameter, a '*' on each value that
 * changed there. Reads the database only (lineage.h); --json prints what
 * lineage_load returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_store.h"
#include "errbuf.h"
#include "lineage.h"
#include "xalloc.h"

/* "5-8", "5" or "-" (no epoch yet) for epochs from+1 .. to. */
static char *epochs_text(double from, double to)
{
	char buf[64];

	if (to < from + 1)
		snprintf(buf, sizeof buf, "-");
	else if (to == from + 1)
		snprintf(buf, sizeof buf, "%.0f", to);
	else
		snprintf(buf, sizeof buf, "%.0f-%.0f", from + 1, to);
	return xstrdup(buf);
}

static void print_chain(const cJSON *chain)
{
	struct cli_table t;
	const cJSON *m;

	cli_table_init(&t, 5);
	cli_table_header(&t, "TRIAL|NO.|STATUS|EPOCHS|FORKED FROM");
	cJSON_ArrayForEach(m, chain) {
		char fork[96] = "-";

		if (cJSON_IsNumber(query_get(m, "parent_trial_id")))
			snprintf(fork, sizeof fork, "trial %.0f after epoch %.0f",
				 query_num(m, "parent_trial_id", 0), query_num(m, "parent_epoch", 0));
		cli_table_add_owned(&t, cli_cell(query_get(m, "trial_id")));
		cli_table_add_owned(&t, cli_cell(query_get(m, "number")));
		cli_table_add_owned(&t, cli_cell(query_get(m, "status")));
		cli_table_add_owned(&t, epochs_text(query_num(m, "from_epoch", 0),
						    query_num(m, "to_epoch", 0)));
		cli_table_add(&t, fork);
	}
	cli_table_print(&t);
}

/* Is segment s at or before (from, step)? */
static int starts_by(const cJSON *s, double from, double step)
{
	double f = query_num(s, "from_epoch", 0);

	return f < from || (f == from && query_num(s, "step", 0) <= step);
}

/* The segment of parameter p that holds in trial at (from, step), or NULL. */
static const cJSON *segment_at(const cJSON *p, double trial, double from, double step)
{
	const cJSON *s, *found = NULL;

	cJSON_ArrayForEach(s, query_get(p, "segments"))
		if (query_num(s, "trial_id", 0) == trial && starts_by(s, from, step))
			found = s;
	return found;
}

/* The next place after (from, step) where a segment of trial starts, into
 * *from and *step; 0 when there is none. */
static int next_change(const cJSON *params, double trial, double *from, double *step)
{
	double bf = 0, bs = 0;
	int found = 0;
	const cJSON *p, *s;

	cJSON_ArrayForEach(p, params)
		cJSON_ArrayForEach(s, query_get(p, "segments")) {
			double f = query_num(s, "from_epoch", 0), st = query_num(s, "step", 0);

			if (query_num(s, "trial_id", 0) != trial || starts_by(s, *from, *step))
				continue;
			if (!found || f < bf || (f == bf && st < bs))
				bf = f, bs = st, found = 1;
		}
	if (found)
		*from = bf, *step = bs;
	return found;
}

/* What starts a row: "start", "fork", "fork (pbt)", or "after epoch 10, step
 * 4000 (user)": the source of the segments starting there. */
static char *change_text(const cJSON *params, const cJSON *m, int first, double from,
			 double step)
{
	const char *source = NULL;
	const cJSON *p, *s;
	char buf[128];

	cJSON_ArrayForEach(p, params)
		cJSON_ArrayForEach(s, query_get(p, "segments"))
			if (query_num(s, "trial_id", 0) == query_num(m, "trial_id", 0) &&
			    query_num(s, "from_epoch", 0) == from && query_num(s, "step", 0) == step &&
			    strcmp(cJSON_GetStringValue(query_get(s, "source")), "fork") != 0 &&
			    strcmp(cJSON_GetStringValue(query_get(s, "source")), "start") != 0)
				source = cJSON_GetStringValue(query_get(s, "source"));
	if (from == query_num(m, "from_epoch", 0) && step == 0)
		snprintf(buf, sizeof buf, "%s%s%s%s", first ? "start" : "fork",
			 source ? " (" : "", source ? source : "", source ? ")" : "");
	else if (step > 0)
		snprintf(buf, sizeof buf, "after epoch %.0f, step %.0f (%s)", from, step,
			 source ? source : "?");
	else
		snprintf(buf, sizeof buf, "after epoch %.0f (%s)", from, source ? source : "?");
	return xstrdup(buf);
}

/* One row of the schedule: member m's values at (from, step) up to epoch
 * `to`; prev holds the previous rows' values (name -> value), updated; a
 * value is marked when it differs, or is new after the first row. */
static void schedule_row(struct cli_table *t, const cJSON *params, const cJSON *m, int first,
			 double from, double step, double to, cJSON *prev, int first_row)
{
	const cJSON *p;

	cli_table_add_owned(t, epochs_text(from, to));
	cli_table_add_owned(t, cli_cell(query_get(m, "trial_id")));
	cli_table_add_owned(t, change_text(params, m, first, from, step));
	cJSON_ArrayForEach(p, params) {
		const char *name = cJSON_GetStringValue(query_get(p, "name"));
		const cJSON *s = segment_at(p, query_num(m, "trial_id", 0), from, step);
		const cJSON *v = s ? query_get(s, "value") : NULL, *was = query_get(prev, name);
		char *cell = v ? cli_cell(v) : xstrdup("-");

		if (v && (!was || !cJSON_Compare(was, v, 1))) {
			size_t len = strlen(cell) + 2;
			char *marked = xmalloc(len);

			snprintf(marked, len, "%s%s", cell, first_row ? "" : "*");
			free(cell);
			cell = marked;
			cJSON_DeleteItemFromObject(prev, name);
			cJSON_AddItemToObject(prev, name, cJSON_Duplicate(v, 1));
		}
		cli_table_add_owned(t, cell);
	}
}

static void print_schedule(const cJSON *chain, const cJSON *params)
{
	int cols = 3 + cJSON_GetArraySize(params), first = 1, rows = 0;
	cJSON *prev = cJSON_CreateObject();
	struct cli_table t;
	const cJSON *m, *p;

	cli_table_init(&t, cols);
	cli_table_header(&t, "EPOCHS|TRIAL|CHANGE");
	cJSON_ArrayForEach(p, params)
		cli_table_add(&t, cJSON_GetStringValue(query_get(p, "name")));
	cJSON_ArrayForEach(m, chain) {
		double trial = query_num(m, "trial_id", 0), to = query_num(m, "to_epoch", 0);
		double from = query_num(m, "from_epoch", 0), step = 0, nf = from, ns = 0;

		do {
			int more = next_change(params, trial, &nf, &ns);

			schedule_row(&t, params, m, first, from, step, more ? nf : to, prev,
				     rows++ == 0);
			if (!more)
				break;
			from = nf, step = ns;
		} while (1);
		first = 0;
	}
	cli_table_print(&t);
	cJSON_Delete(prev);
}

static int lineage_opt(void *ctx, int c, const char *arg)
{
	(void)c;
	*(const char **)ctx = arg;
	return 0;
}

static int run_lineage(struct cli *cli, int argc, char **argv)
{
	const char *db = NULL;
	char err[ERRBUF_LEN];
	struct store st;
	long long id;
	int args, code;
	cJSON *lin;

	if ((code = cli_options(cli, &cmd_lineage, argc, argv, lineage_opt, &db, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	if ((id = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a trial id (a positive number)", argv[args]);
	if ((code = store_open_cli(&st, cli, db)))
		return code;
	lin = lineage_load(&st, id, err, sizeof err);
	store_close(&st);
	if (!lin)
		return cli_fail(cli, EXIT_FAILED, "%s", err);
	if (cli->json) {
		cli_print_json(lin);
		return EXIT_OK;
	}
	printf("trial %lld (sweep %.0f): %d trial%s in its lineage\n", id,
	       query_num(lin, "sweep_id", 0), cJSON_GetArraySize(query_get(lin, "chain")),
	       cJSON_GetArraySize(query_get(lin, "chain")) == 1 ? "" : "s");
	print_chain(query_get(lin, "chain"));
	printf("\nhyperparameters by epoch (* where a value changed)\n");
	print_schedule(query_get(lin, "chain"), query_get(lin, "params"));
	cJSON_Delete(lin);
	return EXIT_OK;
}

static const struct cli_option lineage_options[] = {
	{0, "db", 'd', "FILE", "Read that database (else the daemon's)."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_lineage = {
	"lineage", "TRIAL [--db FILE]",
	"Shows a trial's ancestors and schedule.\n"
	"The chain of trials it was forked from (by `caviar fork` or search \"pbt\"),\n"
	"the epochs each trained and the epoch each fork was made at; then its\n"
	"hyperparameter schedule: each value by stretch of epochs, from the trials'\n"
	"params and their adjustments (`caviar adjust`, pbt's explore), a '*' where\n"
	"one changed. Reads the database; --json prints it all.",
	run_lineage,
	lineage_options,
};
