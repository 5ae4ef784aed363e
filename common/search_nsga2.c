/* search_nsga2: the search table's row for search "nsga2" (options in
 * "nsga2"): its first generation is Sobol' points sampled ahead like any
 * search's; the rest are bred one at a time from the sweep's history
 * (nsga2.h). */
#include <string.h>

#include "errbuf.h"
#include "nsga2.h"
#include "sample.h"
#include "search.h"

static const char *const keys[] = {"nsga2", NULL};

static void nsga2_defaults(struct spec *s)
{
	s->nsga2 = (struct spec_nsga2){.population = 20};
}

/* "nsga2": {"population": N, "seed": S}; the seed defaults to the sweep's. */
static int nsga2_options(struct spec *s, const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *item;
	char path[256];

	s->nsga2.seed = s->seed;
	if (!obj)
		return 0;
	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "nsga2: expected an object {\"population\", \"seed\"}");
	cJSON_ArrayForEach(item, obj) {
		spec_path_join(path, sizeof path, "nsga2", item->string);
		if (strcmp(item->string, "population") == 0) {
			if (spec_get_int(item, path, 2, SPEC_MAX_TRIALS, &s->nsga2.population, err,
					 errlen) < 0)
				return -1;
		} else if (strcmp(item->string, "seed") == 0) {
			if (spec_get_seed(item, path, &s->nsga2.seed, err, errlen) < 0)
				return -1;
		} else {
			return err_set(err, errlen, "%s: unknown key (expected population or seed)",
				       path);
		}
	}
	return 0;
}

/* Only the first generation is sampled ahead. */
static int nsga2_ahead(const struct spec *s, int next_number, int round_end)
{
	return search_ahead_first(s->nsga2.population, next_number, round_end);
}

const struct search_ops search_nsga2 = {
	.name = "nsga2",
	.keys = keys,
	.sobol = 1,
	.defaults = nsga2_defaults,
	.options = nsga2_options,
	.budget = search_budget,
	.sample = sample_sobol,
	.ahead = nsga2_ahead,
	.propose = nsga2_suggest,
};
