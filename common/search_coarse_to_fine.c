/* search_coarse_to_fine: the search table's row for search "coarse_to_fine"
 * (`rounds`, `keep`, `shrink`): random trials in rounds, each round's region
 * narrowed around the best trials of the last (sample.h: sample_narrow).
 * `caviar extend` opens rounds past the spec's, around every trial so far. */
#include "errbuf.h"
#include "sample.h"
#include "search.h"

static const char *const keys[] = {"rounds", "keep", "shrink", NULL};

static void c2f_defaults(struct spec *s)
{
	s->rounds = 3;
	s->keep = 0.25;
	s->shrink = 0.5;
}

/* At least one trial per round; 20 by default, or `rounds` when more. */
static int c2f_budget(struct spec *s, int given, char *err, size_t errlen)
{
	if (given && s->trials < s->rounds)
		return err_set(err, errlen, "trials: %d is fewer than one per round (rounds %d)",
			       s->trials, s->rounds);
	if (!given)
		s->trials = s->rounds > 20 ? s->rounds : 20;
	return 0;
}

static int c2f_rounds(const struct spec *s)
{
	return s->rounds;
}

/* A round of the spec's own ends where the spec says; a round `extend`
 * added ends at the budget. */
static int c2f_round_end(const struct spec *s, int round, int next_number, int budget)
{
	return round < s->rounds ? sample_round_end(s, round) : budget;
}

const struct search_ops search_coarse_to_fine = {
	.name = "coarse_to_fine",
	.keys = keys,
	.defaults = c2f_defaults,
	.budget = c2f_budget,
	.sample = sample_random,
	.rounds = c2f_rounds,
	.round_end = c2f_round_end,
	.narrow = sample_narrow,
};
