/* search: the table of search strategies (see search.h); each row lives in
 * its own search_*.c file. */
#include "search.h"

#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "spec.h"

/* By enum spec_search: the one list of the strategies, and of their names. */
static const struct search_ops *const table[] = {
	[SEARCH_RANDOM] = &search_random, [SEARCH_GRID] = &search_grid,
	[SEARCH_SOBOL] = &search_sobol, [SEARCH_COARSE_TO_FINE] = &search_coarse_to_fine,
	[SEARCH_TPE] = &search_tpe, [SEARCH_PBT] = &search_pbt, [SEARCH_NSGA2] = &search_nsga2,
};
#define N_SEARCHES ((int)(sizeof table / sizeof table[0]))

const struct search_ops *search_ops(enum spec_search search)
{
	return (int)search >= 0 && (int)search < N_SEARCHES ? table[search] : NULL;
}

const struct search_ops *search_of(const struct spec *s)
{
	return table[s->search];
}

int search_find(const char *name, enum spec_search *search, char *err, size_t errlen)
{
	char names[256];
	size_t len = 0;

	for (int i = 0; name && i < N_SEARCHES; i++)
		if (strcmp(table[i]->name, name) == 0) {
			*search = (enum spec_search)i;
			return 0;
		}
	for (int k = 0; k < N_SEARCHES && len < sizeof names; k++)
		len += (size_t)snprintf(names + len, sizeof names - len, "%s\"%s\"",
					k == 0 ? "" : k + 1 < N_SEARCHES ? ", " : " or ",
					table[k]->name);
	return err_set(err, errlen, "expected %s", names);
}

int search_budget(struct spec *s, int given, char *err, size_t errlen)
{
	if (!given)
		s->trials = 20;
	return 0;
}

int search_ahead_first(int first, int next_number, int round_end)
{
	if (first < round_end)
		return first > next_number ? first : next_number;
	return round_end;
}

void search_describe(const struct spec *s, cJSON *json, char *text, size_t n)
{
	const struct search_ops *o = search_of(s);

	if (o->describe) {
		o->describe(s, json, text, n);
		return;
	}
	snprintf(text, n, "%d trials, %s search over %d parameter%s, objective %s %s", s->trials,
		 o->name, s->n_params, s->n_params == 1 ? "" : "s", s->objective_max ? "max" : "min",
		 s->objective_metric);
}
