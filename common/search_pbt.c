/* search_pbt: the search table's row for search "pbt" (options in "pbt",
 * required): a first population sampled at random, then forks of its
 * members decided at their epochs (pbt.h: the rule; the daemon runs it). */
#include <stdio.h>

#include "errbuf.h"
#include "sample.h"
#include "search.h"

static const char *const keys[] = {"pbt", NULL};

/* Trials (at least the population) or generations (trials 0). */
static int pbt_budget(struct spec *s, int given, char *err, size_t errlen)
{
	if (s->pbt.generations) {
		if (given)
			return err_set(err, errlen, "pbt.generations: the budget is trials or "
				       "pbt.generations, not both");
		s->trials = 0;
		return 0;
	}
	if (!given)
		s->trials = 20;
	if (s->trials < s->pbt.population)
		return err_set(err, errlen, "trials: %s%d is fewer than the population (%d): set "
			       "trials or pbt.generations", given ? "" : "the default ", s->trials,
			       s->pbt.population);
	return 0;
}

/* The one round is the first population; later members are forks. */
static int pbt_round_size(const struct spec *s, int round)
{
	return s->pbt.population;
}

/* The first population; then forks only. */
static int pbt_round_end(const struct spec *s, int round, int next_number, int budget)
{
	return next_number > s->pbt.population ? next_number : s->pbt.population;
}

/* "lr, beta" into buf, and into the array list: the parameters pbt perturbs. */
static void explored(const struct spec *s, cJSON *list, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int k = 0; k < s->n_params && len < n; k++)
		if (s->params[k].explore) {
			cJSON_AddItemToArray(list, cJSON_CreateString(s->params[k].name));
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "",
						s->params[k].name);
		}
}

static void pbt_describe(const struct spec *s, cJSON *json, char *text, size_t n)
{
	cJSON *explore = cJSON_CreateArray();
	char names[512], budget[64];

	explored(s, explore, names, sizeof names);
	cJSON_AddNumberToObject(json, "population", s->pbt.population);
	cJSON_AddNumberToObject(json, "interval", s->pbt.interval);
	cJSON_AddNumberToObject(json, "generations", s->pbt.generations);
	cJSON_AddItemToObject(json, "explore", explore);
	if (s->pbt.generations)
		snprintf(budget, sizeof budget, "%d generations", s->pbt.generations);
	else
		snprintf(budget, sizeof budget, "%d trials", s->trials);
	snprintf(text, n, "pbt search over %d parameter%s, population %d, a decision every %d "
		 "epoch%s, %s, objective %s %s\n  explores %s; a fork keeps its parent's other "
		 "values", s->n_params, s->n_params == 1 ? "" : "s", s->pbt.population,
		 s->pbt.interval, s->pbt.interval == 1 ? "" : "s", budget,
		 s->objective_max ? "max" : "min", s->objective_metric, names);
}

const struct search_ops search_pbt = {
	.name = "pbt",
	.keys = keys,
	.missing = "pbt: missing (search \"pbt\" needs {\"population\": N, \"interval\": "
		   "EPOCHS})",
	.check = spec_check_pbt,
	.budget = pbt_budget,
	.sample = sample_random,
	.round_size = pbt_round_size,
	.round_end = pbt_round_end,
	.forks = 1,
	.describe = pbt_describe,
};
