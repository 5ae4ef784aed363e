/* cmd_importance: `caviar importance SWEEP`, which hyperparameters mattered:
 * each sampled parameter's share of the objective's variance by fANOVA over a
 * random forest (tools/read/importance.h, common/fanova.h), with its std over the
 * trees, the largest pairwise interactions, and beside them the course's
 * expected rank (hparam_course_rank) for the parameters it names. Reads the
 * database only (store.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_store.h"
#include "errbuf.h"
#include "hparams.h"
#include "importance.h"
#include "xalloc.h"

#define TOP_PAIRS 5

struct imp_opts {
	const char *db;
	struct importance_opts o;
};

/* order[0..d-1]: the parameters by share, largest first (ties by spec order). */
static void rank_params(const struct importance *im, int *order)
{
	for (int k = 0; k < im->d; k++) {
		int j = k;

		for (; j > 0 && im->fa.share[order[j - 1]] < im->fa.share[k]; j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
}

/* The course's expected place of parameter k among the sweep's parameters
 * it ranks: "1", or "2-4" for a tier shared by three; NULL when unranked. */
static char *course_place(const struct importance *im, int k)
{
	int tier = hparam_course_rank(im->spec.params[im->param[k]].name), before = 0, same = 0;
	char buf[32];

	if (!tier)
		return NULL;
	for (int j = 0; j < im->d; j++) {
		int t = hparam_course_rank(im->spec.params[im->param[j]].name);

		before += t && t < tier;
		same += t == tier;
	}
	if (same > 1)
		snprintf(buf, sizeof buf, "%d-%d", before + 1, before + same);
	else
		snprintf(buf, sizeof buf, "%d", before + 1);
	return xstrdup(buf);
}

/* The TOP_PAIRS largest interactions: pairs (i, j) into pi, pj; returns how many. */
static int top_pairs(const struct importance *im, int *pi, int *pj)
{
	int n = 0, d = im->d;

	for (int i = 0; i < d; i++)
		for (int j = i + 1; j < d; j++) {
			double v = im->fa.pair[i * d + j];
			int at = n < TOP_PAIRS ? n++ : TOP_PAIRS;

			if (at == TOP_PAIRS && !(v > im->fa.pair[pi[TOP_PAIRS - 1] * d + pj[TOP_PAIRS - 1]]))
				continue;
			if (at == TOP_PAIRS)
				at = TOP_PAIRS - 1;
			for (; at > 0 && im->fa.pair[pi[at - 1] * d + pj[at - 1]] < v; at--) {
				pi[at] = pi[at - 1];
				pj[at] = pj[at - 1];
			}
			pi[at] = i;
			pj[at] = j;
		}
	return n;
}

static const char *pname(const struct importance *im, int k)
{
	return im->spec.params[im->param[k]].name;
}

static cJSON *to_json(const struct importance *im, long long id, const struct imp_opts *io,
		      const int *order)
{
	cJSON *out = cJSON_CreateObject(), *params, *pairs;
	int pi[TOP_PAIRS], pj[TOP_PAIRS], np = top_pairs(im, pi, pj);
	double total = 0;

	cJSON_AddNumberToObject(out, "sweep", (double)id);
	cJSON_AddStringToObject(out, "name", im->name);
	cJSON_AddStringToObject(out, "metric", im->spec.objective_metric);
	cJSON_AddStringToObject(out, "mode", im->spec.objective_max ? "max" : "min");
	if (io->o.by_epoch > 0)
		cJSON_AddNumberToObject(out, "by_epoch", (double)io->o.by_epoch);
	cJSON_AddNumberToObject(out, "trials", im->n);
	cJSON_AddNumberToObject(out, "forks_left_out", im->forks);
	cJSON_AddNumberToObject(out, "trees", im->fa.trees);
	cJSON_AddNumberToObject(out, "seed", (double)io->o.seed);
	params = cJSON_AddArrayToObject(out, "params");
	for (int r = 0; r < im->d; r++) {
		int k = order[r];
		cJSON *p = cJSON_CreateObject();
		char *place = course_place(im, k);

		cJSON_AddStringToObject(p, "name", pname(im, k));
		cJSON_AddStringToObject(p, "scale", spec_kind_name(im->spec.params[im->param[k]].kind));
		cJSON_AddNumberToObject(p, "share", im->fa.share[k]);
		cJSON_AddNumberToObject(p, "std", im->fa.share_std[k]);
		cJSON_AddNumberToObject(p, "variance_fraction", im->fa.frac[k]);
		cJSON_AddNumberToObject(p, "rank", r + 1);
		if (place)
			cJSON_AddStringToObject(p, "course_rank", place);
		else
			cJSON_AddNullToObject(p, "course_rank");
		cJSON_AddNumberToObject(p, "present", im->present[k]);
		cJSON_AddItemToArray(params, p);
		total += im->fa.frac[k];
		free(place);
	}
	pairs = cJSON_AddArrayToObject(out, "interactions");
	for (int i = 0; i < np; i++) {
		cJSON *p = cJSON_CreateObject(), *names = cJSON_AddArrayToObject(p, "params");

		cJSON_AddItemToArray(names, cJSON_CreateString(pname(im, pi[i])));
		cJSON_AddItemToArray(names, cJSON_CreateString(pname(im, pj[i])));
		cJSON_AddNumberToObject(p, "variance_fraction", im->fa.pair[pi[i] * im->d + pj[i]]);
		cJSON_AddNumberToObject(p, "std", im->fa.pair_std[pi[i] * im->d + pj[i]]);
		cJSON_AddItemToArray(pairs, p);
	}
	cJSON_AddNumberToObject(out, "main_effects", total);
	return out;
}

static char *percent(double v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
	return xstrdup(buf);
}

static void print_text(const struct importance *im, long long id, const struct imp_opts *io,
		       const int *order)
{
	struct cli_table t;
	int pi[TOP_PAIRS], pj[TOP_PAIRS], np = top_pairs(im, pi, pj), conditional = 0;
	double total = 0;

	printf("sweep %lld \"%s\": what mattered for %s", id, im->name, im->spec.objective_metric);
	if (io->o.by_epoch > 0)
		printf(" at epoch %lld", io->o.by_epoch);
	printf(" (%d trials; fANOVA, %d trees, seed %llu)\n", im->n, im->fa.trees,
	       (unsigned long long)io->o.seed);
	if (im->forks)
		printf("computed over %d independent trials; %d fork%s left out (a fork inherits "
		       "its parent's values)\n", im->n, im->forks, im->forks == 1 ? "" : "s");
	cli_table_init(&t, 6);
	cli_table_header(&t, "PARAM|SCALE|SHARE|+-STD|RANK|COURSE");
	for (int r = 0; r < im->d; r++) {
		int k = order[r];
		char *place = course_place(im, k), rank[16];

		cli_table_add(&t, pname(im, k));
		cli_table_add(&t, spec_kind_name(im->spec.params[im->param[k]].kind));
		cli_table_add_owned(&t, percent(im->fa.share[k]));
		cli_table_add_owned(&t, percent(im->fa.share_std[k]));
		snprintf(rank, sizeof rank, "%d", r + 1);
		cli_table_add(&t, rank);
		cli_table_add_owned(&t, place ? place : xstrdup("-"));
		total += im->fa.frac[k];
		conditional += im->present[k] < im->n;
	}
	cli_table_print(&t);
	if (np > 0) {
		printf("\nlargest interactions (share of the variance):\n");
		cli_table_init(&t, 3);
		for (int i = 0; i < np; i++) {
			char pair[256], sd[32];

			snprintf(pair, sizeof pair, "  %s x %s", pname(im, pi[i]), pname(im, pj[i]));
			snprintf(sd, sizeof sd, "+-%.1f%%", 100 * im->fa.pair_std[pi[i] * im->d + pj[i]]);
			cli_table_add(&t, pair);
			cli_table_add_owned(&t, percent(im->fa.pair[pi[i] * im->d + pj[i]]));
			cli_table_add(&t, sd);
		}
		cli_table_print(&t);
	}
	printf("\nmain effects explain %.1f%% of the variance; SHARE is each one's part of them.\n"
	       "COURSE: where the course's ranking puts it (lr; then beta, units, batch; then\n"
	       "layers, lr_decay; Adam's beta1, beta2, eps last): a prior, not a measurement.\n",
	       100 * total);
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
	int args, code, *order;

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
		order = xmalloc((size_t)im.d * sizeof *order);
		rank_params(&im, order);
		if (cli->json)
			cli_print_json(to_json(&im, id, &io, order));
		else
			print_text(&im, id, &io, order);
		free(order);
	}
	importance_finish(&im);
	store_close(&st);
	return code;
}

static const struct cli_option importance_options[] = {
	{0, "by-epoch", 'e', "E", "The objective's value at epoch E, for the trials that reached it, "
	 "instead of their best."},
	{0, "trees", 't', "N", "Trees in the forest (default 64)."},
	{0, "seed", 's', "S", "The forest's seed (default 0)."},
	{0, "db", 'd', "FILE", "Read that database (else the daemon's)."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_importance = {
	"importance", "SWEEP [--by-epoch E] [--trees N] [--seed S] [--db FILE]",
	"Which hyperparameters mattered, by fANOVA.\n"
	"Fits a random forest (N trees, default 64, as Optuna's fANOVA) from the\n"
	"parameters of the sweep's finished trials (done or pruned; not forks, whose\n"
	"values are their parents': pbt's forks, caviar fork's) to their best\n"
	"objective (with --by-epoch E: its value at epoch E, for trials that reached\n"
	"it), and prints each parameter's share of the variance, in its own scale (log10\n"
	"for log and log_int, log10(1-x) for reverse_log, categories for a choice), with\n"
	"its std over the trees, the five largest pairwise interactions, and the rank the\n"
	"course gives it. The same seed gives the same result.",
	run_importance,
	importance_options,
};
