/* search_sobol: the search table's row for search "sobol": trial i is point i
 * of a scrambled Sobol' sequence (sample.h, sobol.h). */
#include "sample.h"
#include "search.h"

const struct search_ops search_sobol = {
	.name = "sobol",
	.sobol = 1,
	.budget = search_budget,
	.sample = sample_sobol,
};
