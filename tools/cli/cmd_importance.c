/* cmd_importance: `caviar importance SWEEP`, which hyperparameters mattered:
 * each sampled parameter's share of the objective's variance by fANOVA over a
 * random forest (tools/read/importance.h, common/fanova.h), with its std over the
 * trees, the largest pairwise interactions, and beside them the course's
 * expected rank (hparam_course_rank) for the parameters it names; with
 * --objective, for another of the sweep's objectives. Reads the database only
 * (store.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_store.h"
#include "errbuf.h"
#include "importance.h"
#include "query.h"
#include "xalloc.h"

struct imp_opts {
	const char *db;
	struct importance_opts o;
};

static char *percent(double v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
	return xstrdup(buf);
}

/* A whole-number field of o (0 when absent). */
static long long count(const cJSON *o, const char *key)
{
	return (long long)query_int(query_get(o, key), 0);
}

/* The text of importance_to_json's j (the one encoder, read back). */
static void print_text(const cJSON *j)
{
	const cJSON *p, *pair;
	struct cli_table t;
	long long trials = count(j, "trials");
	long long forks = count(j, "forks_left_out");
	int conditional = 0;

	printf("sweep %lld \"%s\": what mattered for %s", count(j, "sweep"),
	       cJSON_GetStringValue(query_get(j, "name")),
	       cJSON_GetStringValue(query_get(j, "metric")));
	if (query_get(j, "by_epoch"))
		printf(" at epoch %lld", count(j, "by_epoch"));
	printf(" (%lld trials; fANOVA, %lld trees, seed %llu)\n", trials,
	       count(j, "trees"),
	       (unsigned long long)query_num(j, "seed", 0));
	if (forks)
		printf("computed over %lld independent trials; %lld fork%s left out (a fork "
		       "inherits its parent's values)\n", trials, forks, forks == 1 ? "" : "s");
	cli_table_init(&t, 6);
	cli_table_header(&t, "PARAM|SCALE|SHARE|+-STD|RANK|COURSE");
	cJSON_ArrayForEach(p, query_get(j, "params")) {
		const char *place = cJSON_GetStringValue(query_get(p, "course_rank"));
		char rank[16];

		cli_table_add(&t, cJSON_GetStringValue(query_get(p, "name")));
		cli_table_add(&t, cJSON_GetStringValue(query_get(p, "scale")));
		cli_table_add_owned(&t, percent(query_num(p, "share", NAN)));
		cli_table_add_owned(&t, percent(query_num(p, "std", NAN)));
		snprintf(rank, sizeof rank, "%lld", count(p, "rank"));
		cli_table_add(&t, rank);
		cli_table_add(&t, place ? place : "-");
		conditional += count(p, "present") < trials;
	}
	cli_table_print(&t);
	if (cJSON_GetArraySize(query_get(j, "interactions")) > 0) {
		printf("\nlargest interactions (share of the variance):\n");
		cli_table_init(&t, 3);
		cJSON_ArrayForEach(pair, query_get(j, "interactions")) {
			const cJSON *names = query_get(pair, "params");
			char text[256], sd[32];

			snprintf(text, sizeof text, "  %s x %s",
				 cJSON_GetStringValue(cJSON_GetArrayItem(names, 0)),
				 cJSON_GetStringValue(cJSON_GetArrayItem(names, 1)));
			snprintf(sd, sizeof sd, "+-%.1f%%", 100 * query_num(pair, "std", NAN));
			cli_table_add(&t, text);
			cli_table_add_owned(&t, percent(query_num(pair, "variance_fraction", NAN)));
			cli_table_add(&t, sd);
		}
		cli_table_print(&t);
	}
	printf("\nmain effects explain %.1f%% of the variance; SHARE is each one's part of them.\n"
	       "COURSE: where the course's ranking puts it (lr; then beta, units, batch; then\n"
	       "layers, lr_decay; Adam's beta1, beta2, eps last): a prior, not a measurement.\n",
	       100 * query_num(j, "main_effects", NAN));
	if (conditional)
		printf("conditional parameters count only where they exist (see caviar(1)).\n");
}

static int imp_opt(void *ctx, int c, const char *arg)
{
	struct imp_opts *io = ctx;
	char *end;
	long long v;

	if (c == 'd') {
		io->db = arg;
		return 0;
	}
	if (c == 'o') {
		io->o.objective = arg;
		return 0;
	}
	v = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || v < (c == 's' ? 0 : 1) || v > (c == 't' ? 4096 : 1LL << 62)) {
		fprintf(stderr, "caviar: importance: --%s: expected a %s number\n"
				"try 'caviar importance --help'\n",
			c == 'e' ? "by-epoch" : c == 't' ? "trees" : "seed",
			c == 's' ? "non-negative" : "positive");
		return EXIT_USAGE;
	}
	if (c == 'e')
		io->o.by_epoch = v;
	else if (c == 't')
		io->o.trees = (int)v;
	else
		io->o.seed = (uint64_t)v;
	return 0;
}

static int run_importance(struct cli *cli, int argc, char **argv)
{
	struct imp_opts io = {.o = {.trees = 64, .pairs = 1}};
	struct importance im = {0};
	struct store st;
	char err[ERRBUF_LEN];
	long long id;
	int args, code;

	if ((code = cli_options(cli, &cmd_importance, argc, argv, imp_opt, &io, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	if ((id = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	if ((code = store_open_cli(&st, cli, io.db)))
		return code;
	if (importance_load(&im, &st, id, &io.o, err, sizeof err) < 0) {
		code = cli_fail(cli, EXIT_FAILED, "%s", err);
	} else {
		cJSON *j = importance_to_json(&im, id, &io.o);

		if (cli->json) {
			cli_print_json(j); /* frees j */
		} else {
			print_text(j);
			cJSON_Delete(j);
		}
	}
	importance_finish(&im);
	store_close(&st);
	return code;
}

static const struct cli_option importance_options[] = {
	{0, "by-epoch", 'e', "E", "The objective's value at epoch E, for the trials that reached it, "
	 "instead of their best."},
	{0, "objective", 'o', "M", "The objective analysed, by metric, for a sweep of several "
	 "(default the first)."},
	{0, "trees", 't', "N", "Trees in the forest (default 64)."},
	{0, "seed", 's', "S", "The forest's seed (default 0)."},
	{0, "db", 'd', "FILE", "Read that database (else the daemon's)."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_importance = {
	"importance", "SWEEP [--objective M] [--by-epoch E] [--trees N] [--seed S]",
	"Which hyperparameters mattered, by fANOVA.\n"
	"Fits a random forest (N trees, default 64, as Optuna's fANOVA) from the\n"
	"parameters of the sweep's finished trials (done or pruned; not forks, whose\n"
	"values are their parents': pbt's forks, caviar fork's) to their best\n"
	"objective (with --by-epoch E: its value at epoch E, for trials that reached\n"
	"it; with --objective M, that objective's instead: the first one's best,\n"
	"another's last reported value, as the Pareto ranking reads it), and prints each parameter's share of the variance, in its own scale (log10\n"
	"for log and log_int, log10(1-x) for reverse_log, categories for a choice), with\n"
	"its std over the trees, the five largest pairwise interactions, and the rank the\n"
	"course gives it. The same seed gives the same result.",
	run_importance,
	importance_options,
};
