/* search_tpe: the search table's row for search "tpe" (options in "tpe"):
 * its startup trials are Sobol' points sampled ahead like any search's; the
 * rest are proposed one at a time by the model from the sweep's history
 * (tpe.h). */
#include <string.h>

#include "errbuf.h"
#include "sample.h"
#include "search.h"
#include "tpe.h"

static const char *const keys[] = {"tpe", NULL};

/* Optuna's TPESampler's defaults; hypervolume_weight is caviar's (tpe.c:
 * goals_weights says why 0.5). */
static void tpe_defaults(struct spec *s)
{
	s->tpe = (struct spec_tpe){.startup = 10, .candidates = 24, .gamma = 0.1,
				   .gamma_max = 25, .prior_weight = 1.0, .hypervolume_weight = 0.5};
}

/* One key of "tpe" (see struct spec_tpe). */
static int parse_tpe_key(struct spec *s, const cJSON *v, const char *path, char *err,
			 size_t errlen)
{
	const char *k = v->string;

	if (strcmp(k, "startup") == 0)
		return spec_get_int(v, path, 1, SPEC_MAX_TRIALS, &s->tpe.startup, err, errlen);
	if (strcmp(k, "candidates") == 0)
		return spec_get_int(v, path, 1, 10000, &s->tpe.candidates, err, errlen);
	if (strcmp(k, "gamma") == 0)
		return spec_get_fraction(v, path, 0, &s->tpe.gamma, err, errlen);
	if (strcmp(k, "gamma_max") == 0)
		return spec_get_int(v, path, 1, SPEC_MAX_TRIALS, &s->tpe.gamma_max, err, errlen);
	if (strcmp(k, "prior_weight") == 0) {
		if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 1e6))
			return err_set(err, errlen, "%s: expected a number in (0, 1e6]", path);
		s->tpe.prior_weight = v->valuedouble;
		return 0;
	}
	if (strcmp(k, "multivariate") == 0) {
		if (!cJSON_IsBool(v))
			return err_set(err, errlen, "%s: expected true or false", path);
		s->tpe.multivariate = cJSON_IsTrue(v);
		return 0;
	}
	if (strcmp(k, "hypervolume_weight") == 0) {
		if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1))
			return err_set(err, errlen, "%s: expected a number in [0, 1]", path);
		s->tpe.hypervolume_weight = v->valuedouble;
		return 0;
	}
	if (strcmp(k, "seed") == 0)
		return spec_get_seed(v, path, &s->tpe.seed, err, errlen);
	return err_set(err, errlen, "%s: unknown key (expected startup, candidates, gamma, "
		       "gamma_max, prior_weight, multivariate, hypervolume_weight or seed)", path);
}

/* "tpe": {...}; absent keys keep Optuna's defaults, the seed the sweep's. */
static int tpe_options(struct spec *s, const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *item;
	char path[256];

	s->tpe.seed = s->seed;
	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "tpe: expected an object {\"startup\", \"candidates\", ...}");
	cJSON_ArrayForEach(item, obj) {
		spec_path_join(path, sizeof path, "tpe", item->string);
		if (parse_tpe_key(s, item, path, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* Only the startup trials are sampled ahead. */
static int tpe_ahead(const struct spec *s, int next_number, int round_end)
{
	return search_ahead_first(s->tpe.startup, next_number, round_end);
}

const struct search_ops search_tpe = {
	.name = "tpe",
	.keys = keys,
	.sobol = 1,
	.defaults = tpe_defaults,
	.options = tpe_options,
	.budget = search_budget,
	.sample = sample_sobol,
	.ahead = tpe_ahead,
	.propose = tpe_suggest,
};
