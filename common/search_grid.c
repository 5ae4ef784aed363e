/* search_grid: the search table's row for search "grid" (`points` per
 * continuous parameter): the budget is the grid's size unless given, and
 * never more (sample.h: the grid itself). */
#include <stdio.h>

#include "errbuf.h"
#include "sample.h"
#include "search.h"

static const char *const keys[] = {"points", NULL};

static void grid_defaults(struct spec *s)
{
	s->points = 5;
}

/* Absent trials are 0 here: grid_fit sets them to the grid's size. */
static int grid_budget(struct spec *s, int given, char *err, size_t errlen)
{
	if (!given)
		s->trials = 0;
	return 0;
}

static int grid_fit(struct spec *s, char *err, size_t errlen)
{
	long grid = sample_grid_size(s);

	if (s->trials > grid) {
		err_set(err, errlen, "trials: %d exceeds the grid's %ld points", s->trials, grid);
		goto error;
	}
	if (s->trials == 0 && grid > SPEC_MAX_TRIALS) {
		err_set(err, errlen, "search: the grid has %ld points, over the %d trial limit; "
			"set trials or fewer points", grid, SPEC_MAX_TRIALS);
		goto error;
	}
	if (s->trials == 0)
		s->trials = (int)grid;
	return 0;
error:
	spec_finish(s);
	return -1;
}

const struct search_ops search_grid = {
	.name = "grid",
	.keys = keys,
	.defaults = grid_defaults,
	.budget = grid_budget,
	.fit = grid_fit,
	.max_trials = sample_grid_size,
	.sample = sample_grid,
};
