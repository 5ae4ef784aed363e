/* cmd_spec: commands that work on a spec file without a daemon: validate
 * (check it, with errors naming the JSON path) and sample (print the trials it
 * would produce, as a table, CSV or JSON). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sample.h"
#include "search.h"
#include "xalloc.h"

/* keep_checkpoints' bound (spec_checkpoints_kept), for --json: "checkpoints":
 * {"running": 3, "ended": 2}, or "all". */
static void add_checkpoints(const struct spec *spec, cJSON *out)
{
	int running, ended;
	cJSON *o;

	spec_checkpoints_kept(spec, &running, &ended);
	if (!running) {
		cJSON_AddStringToObject(out, "checkpoints", "all");
		return;
	}
	o = cJSON_AddObjectToObject(out, "checkpoints");
	cJSON_AddNumberToObject(o, "running", running);
	cJSON_AddNumberToObject(o, "ended", ended);
}

/* The same as a line: "  keeps at most 3 epoch checkpoints a trial while it
 * runs, 2 once it ends (keep_checkpoints 1), besides its latest". */
static void print_checkpoints(const struct spec *spec)
{
	char policy[16] = "\"best\"";
	int running, ended;

	spec_checkpoints_kept(spec, &running, &ended);
	if (spec->keep_checkpoints > 0)
		snprintf(policy, sizeof policy, "%d", spec->keep_checkpoints);
	if (!running)
		printf("  keeps every epoch's checkpoint of every trial (keep_checkpoints \"all\")\n");
	else
		printf("  keeps at most %d epoch checkpoints a trial while it runs, %d once it ends "
		       "(keep_checkpoints %s), besides its latest\n", running, ended, policy);
}

/* "objectives: val_acc (max), params (min); constraints: 0.5 <= latency_ms <= 5"
 * into buf, for a spec with several objectives or any constraint; else "". */
static void format_goals(const struct spec *s, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	if (s->n_objectives < 2 && s->n_constraints == 0)
		return;
	len += (size_t)snprintf(buf, n, "objectives:");
	for (int i = 0; i < s->n_objectives && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s %s (%s)", i ? "," : "",
					s->objectives[i].metric, s->objectives[i].max ? "max" : "min");
	for (int i = 0; i < s->n_constraints && len < n; i++) {
		const struct spec_constraint *c = &s->constraints[i];
		len += (size_t)snprintf(buf + len, n - len, "%s ", i ? "," : "; constraints:");
		if (!isnan(c->lo) && len < n)
			len += (size_t)snprintf(buf + len, n - len, "%g <= ", c->lo);
		if (len < n)
			len += (size_t)snprintf(buf + len, n - len, "%s", c->metric);
		if (!isnan(c->hi) && len < n)
			len += (size_t)snprintf(buf + len, n - len, " <= %g", c->hi);
	}
}

static int run_validate(struct cli *cli, int argc, char **argv)
{
	char goals[512];
	char text[1024];
	struct spec spec = {0};
	cJSON *json, *out;
	int args, code;

	if ((code = cli_options(cli, &cmd_validate, argc, argv, NULL, NULL, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	json = cli_read_spec(cli, argv[args], &spec);
	if (!json)
		return EXIT_SPEC;
	out = cJSON_CreateObject();
	cJSON_AddTrueToObject(out, "ok");
	cJSON_AddNumberToObject(out, "trials", spec.trials);
	cJSON_AddStringToObject(out, "search", spec_search_name(spec.search));
	cJSON_AddNumberToObject(out, "params", spec.n_params);
	search_describe(&spec, out, text, sizeof text);
	add_checkpoints(&spec, out);
	format_goals(&spec, goals, sizeof goals);
	if (cli->json) {
		cJSON *g = spec_goals_json(&spec);
		cJSON_AddItemToObject(out, "objectives", cJSON_DetachItemFromObject(g, "objectives"));
		cJSON_AddItemToObject(out, "constraints", cJSON_DetachItemFromObject(g, "constraints"));
		cJSON_Delete(g);
		cli_print_json(out);
	} else {
		printf("%s: ok: \"%s\", %s\n", argv[args], spec.name, text);
		print_checkpoints(&spec);
		if (goals[0])
			printf("  %s\n", goals);
		cJSON_Delete(out);
	}
	cJSON_Delete(json);
	spec_finish(&spec);
	return EXIT_OK;
}

const struct command cmd_validate = {
	"validate", "SPEC",
	"Checks a spec file without running it.\n"
	"Errors name the JSON path and the rule.",
	run_validate,
	NULL,
};

struct sample_opts {
	long long n;
	int csv;
};

static int sample_opt(void *ctx, int c, const char *arg)
{
	struct sample_opts *o = ctx;

	if (c == 'c') {
		o->csv = 1;
		return 0;
	}
	o->n = cli_parse_id(arg);
	if (o->n < 0) {
		fprintf(stderr, "caviar: sample: -n: expected a positive number\ntry 'caviar sample --help'\n");
		return EXIT_USAGE;
	}
	return 0;
}


/* Prints trials (an array of params objects) with one column per parameter. */
static void print_trials(const struct spec *spec, const cJSON *trials, int csv)
{
	struct cli_table t;
	const cJSON *params;
	int cols = spec->n_params + 1, n = 0;

	cli_table_init(&t, cols);
	cli_table_add(&t, csv ? "number" : "NO."); /* trials.number: no trial has an id yet */
	for (int i = 0; i < spec->n_params; i++)
		cli_table_add(&t, spec->params[i].name);
	cJSON_ArrayForEach(params, trials) {
		char num[32];

		snprintf(num, sizeof num, "%d", n++);
		cli_table_add(&t, num);
		for (int i = 0; i < spec->n_params; i++)
			cli_table_add_owned(&t, cli_cell(cJSON_GetObjectItemCaseSensitive(
						    params, spec->params[i].name)));
	}
	if (!csv) {
		cli_table_print(&t);
		return;
	}
	for (int i = 0; i < t.n; i++) {
		cli_csv_field(strcmp(t.cells[i], "-") == 0 ? "" : t.cells[i], i % cols == cols - 1);
		free(t.cells[i]);
	}
	free(t.cells);
}

static int run_sample(struct cli *cli, int argc, char **argv)
{
	struct sample_opts o = {0};
	struct spec spec = {0};
	struct sample_box box;
	cJSON *json, *trials;
	int args, code;

	if ((code = cli_options(cli, &cmd_sample, argc, argv, sample_opt, &o, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	json = cli_read_spec(cli, argv[args], &spec);
	if (!json)
		return EXIT_SPEC;
	cJSON_Delete(json);
	if (o.n == 0)
		o.n = sample_round_size(&spec, 0);
	sample_box_init(&box, &spec);
	trials = cJSON_CreateArray();
	for (long long i = 0; i < o.n; i++)
		cJSON_AddItemToArray(trials, sample_trial(&spec, &box, (int)i));
	if (cli->json)
		cli_print_json(trials);
	else {
		print_trials(&spec, trials, o.csv);
		cJSON_Delete(trials);
	}
	sample_box_finish(&box);
	spec_finish(&spec);
	return EXIT_OK;
}

static const struct cli_option sample_options[] = {
	{'n', NULL, 'n', "N", "The first N trials (default: the first round; for pbt, the first "
	 "population)."},
	{0, "csv", 'c', NULL, "CSV instead of a table."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_sample = {
	"sample", "SPEC [-n N] [--csv]",
	"Prints the trials a spec would produce.\n"
	"The first N, as a table, CSV (--csv) or JSON (--json). Needs no daemon.",
	run_sample,
	sample_options,
};
