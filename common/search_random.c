/* search_random: the search table's row for search "random", the default:
 * every parameter drawn independently in its own scale (sample.h). */
#include "sample.h"
#include "search.h"

const struct search_ops search_random = {
	.name = "random",
	.budget = search_budget,
	.sample = sample_random,
};
