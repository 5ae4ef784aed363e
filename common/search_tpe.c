/* search_tpe: the search table's row for search "tpe" (options in "tpe"):
 * its startup trials are Sobol' points sampled ahead like any search's; the
 * rest are proposed one at a time by the model from the sweep's history
 * (tpe.h). */
#include "sample.h"
#include "search.h"
#include "tpe.h"

static const char *const keys[] = {"tpe", NULL};

/* Only the startup trials are sampled ahead. */
static int tpe_ahead(const struct spec *s, int next_number, int round_end)
{
	if (s->tpe.startup < round_end)
		return s->tpe.startup > next_number ? s->tpe.startup : next_number;
	return round_end;
}

const struct search_ops search_tpe = {
	.name = "tpe",
	.keys = keys,
	.sobol = 1,
	.budget = search_budget,
	.sample = sample_sobol,
	.ahead = tpe_ahead,
	.propose = tpe_suggest,
};
