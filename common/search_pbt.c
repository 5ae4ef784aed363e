/* search_pbt: the search table's row for search "pbt" (options in "pbt",
 * required): a first population sampled at random, then forks of its
 * members decided at their epochs (pbt.h: the rule; the daemon runs it). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "sample.h"
#include "search.h"

static const char *const keys[] = {"pbt", NULL};

/* Ray Tune's defaults, with the population and interval still to give. */
static void pbt_defaults(struct spec *s)
{
	s->pbt = (struct spec_pbt){.quantile = 0.25, .resample_probability = 0.25,
				   .perturb = {0.8, 1.2}};
}

/* "perturb": [f1, f2], two positive factors. */
static int parse_perturb(struct spec *s, const cJSON *v, const char *path, char *err,
			 size_t errlen)
{
	const cJSON *x;
	int i = 0;

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
		return err_set(err, errlen, "%s: expected two factors [down, up], e.g. [0.8, 1.2]",
			       path);
	cJSON_ArrayForEach(x, v) {
		if (!cJSON_IsNumber(x) || !(x->valuedouble > 0) || !isfinite(x->valuedouble))
			return err_set(err, errlen, "%s[%d]: expected a number > 0", path, i);
		s->pbt.perturb[i++] = x->valuedouble;
	}
	return 0;
}

/* One key of "pbt" (see struct spec_pbt); "explore" needs the params, so it
 * is read after them (spec_check_pbt). */
static int parse_pbt_key(struct spec *s, const cJSON *v, const char *path, char *err,
			 size_t errlen)
{
	const char *k = v->string;

	if (strcmp(k, "population") == 0)
		return spec_get_int(v, path, 2, 100000, &s->pbt.population, err, errlen);
	if (strcmp(k, "interval") == 0)
		return spec_get_int(v, path, 1, 100000, &s->pbt.interval, err, errlen);
	if (strcmp(k, "generations") == 0)
		return spec_get_int(v, path, 1, 100000, &s->pbt.generations, err, errlen);
	if (strcmp(k, "quantile") == 0) {
		if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 0.5))
			return err_set(err, errlen, "%s: expected a number in (0, 0.5]", path);
		s->pbt.quantile = v->valuedouble;
		return 0;
	}
	if (strcmp(k, "resample_probability") == 0) {
		if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1))
			return err_set(err, errlen, "%s: expected a number in [0, 1]", path);
		s->pbt.resample_probability = v->valuedouble;
		return 0;
	}
	if (strcmp(k, "perturb") == 0)
		return parse_perturb(s, v, path, err, errlen);
	if (strcmp(k, "explore") == 0)
		return 0;
	if (strcmp(k, "seed") == 0)
		return spec_get_seed(v, path, &s->pbt.seed, err, errlen);
	return err_set(err, errlen, "%s: unknown key (expected population, interval, quantile, "
		       "resample_probability, perturb, generations, explore or seed)", path);
}

/* "pbt": {...}; population and interval are required, the seed defaults to
 * the sweep's. */
static int pbt_options(struct spec *s, const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *item;
	char path[256];

	s->pbt.seed = s->seed;
	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "pbt: expected an object {\"population\", \"interval\", "
			       "...}");
	cJSON_ArrayForEach(item, obj) {
		spec_path_join(path, sizeof path, "pbt", item->string);
		if (parse_pbt_key(s, item, path, err, errlen) < 0)
			return -1;
	}
	if (!s->pbt.population)
		return err_set(err, errlen, "pbt.population: missing (members alive at once, >= 2)");
	if (!s->pbt.interval)
		return err_set(err, errlen, "pbt.interval: missing (epochs between decisions, "
			       ">= 1)");
	return 0;
}

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
	.defaults = pbt_defaults,
	.options = pbt_options,
	.check = spec_check_pbt,
	.budget = pbt_budget,
	.sample = sample_random,
	.round_size = pbt_round_size,
	.round_end = pbt_round_end,
	.forks = 1,
	.describe = pbt_describe,
};
