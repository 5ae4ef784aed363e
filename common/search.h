/* search: the table of search strategies, one row (struct search_ops) per
 * strategy, each row in a file of its own (search_random.c, search_grid.c,
 * ...), the way tools/cli/commands.c lists the cmd_*.c files. Whoever differs by
 * strategy (spec parsing, the sampler, the sweeps, the hub, `caviar
 * validate`) asks the row, never the strategy's name: a new sampler is one
 * file and one row. The rows hold the strategies' facts and point at their
 * code (sample.h, tpe.h); this table runs nothing itself, and pbt's rule
 * (pbt.h) is the daemon's to run. */
#ifndef CAVIAR_SEARCH_H
#define CAVIAR_SEARCH_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct spec;
struct sample_box;
struct tpe_history;

/* A spec's "search", by its row's index in the table (struct spec.search). */
enum spec_search {
	SEARCH_RANDOM,         /* the default */
	SEARCH_GRID,           /* `points` per continuous parameter */
	SEARCH_SOBOL,          /* scrambled Sobol' sequence */
	SEARCH_COARSE_TO_FINE, /* `rounds`, `keep`, `shrink` */
	SEARCH_TPE,            /* tree-structured Parzen estimator, options in "tpe" */
	SEARCH_PBT,            /* population based training, options in "pbt" */
	SEARCH_NSGA2,          /* NSGA-II for several objectives, options in "nsga2" */
};

/* One strategy. A NULL function is the common case written beside it. */
struct search_ops {
	const char *name;  /* as a spec writes it: "random", "coarse_to_fine" */
	/* The spec's top-level keys that only this search takes, NULL-terminated
	 * ({"rounds", "keep", "shrink"}); another search's spec may not have them. */
	const char *const *keys;
	/* The message when keys[0] is missing and the search cannot do without
	 * it (pbt); NULL: the keys are optional. */
	const char *missing;
	int sobol; /* draws from Sobol' dimensions: at most sobol_max_dims() sampled
	            * parameters (sobol, tpe) */

	/* spec_parse, first: sets the search's options to their defaults (in
	 * struct spec: points, rounds, tpe, pbt), for every search. NULL: none. */
	void (*defaults)(struct spec *s);
	/* spec_parse, after the top-level scalars (points, rounds, keep and
	 * shrink are among them, read by spec.c): reads the search's options
	 * object obj (json's keys[0]; NULL when absent), for every search, so
	 * absent it still sets what defaults on the sweep's seed. NULL: none.
	 * Returns 0, or -1 with err naming the path ("tpe.gamma: ..."). */
	int (*options)(struct spec *s, const cJSON *obj, char *err, size_t errlen);
	/* spec_parse, once the params are read: the search's own checks that
	 * need them (pbt: what it explores, the epochs); json is the whole spec.
	 * NULL: none. Returns 0, or -1 with err. */
	int (*check)(struct spec *s, const cJSON *json, char *err, size_t errlen);
	/* spec_parse, last: the budget "trials" (given: it was in the spec; else
	 * the default to set) checked against the strategy. Returns 0, or -1 with
	 * err. search_budget is the common rule. */
	int (*budget)(struct spec *s, int given, char *err, size_t errlen);
	/* sample_check_grid: the check that needs the sampler, made after
	 * spec_parse (grid: the budget against the grid's size). NULL: none.
	 * Returns 0, or -1 with err and s finished (empty). */
	int (*fit)(struct spec *s, char *err, size_t errlen);
	/* The most trials the search can ever have (grid: its points), for
	 * `caviar extend`; NULL: no limit. */
	long (*max_trials)(const struct spec *s);

	/* sample_trial: trial `number`'s params in box (sample.h). */
	cJSON *(*sample)(const struct spec *s, const struct sample_box *box, int number);
	/* The rounds a spec has (coarse_to_fine: `rounds`); NULL: 1. */
	int (*rounds)(const struct spec *s);
	/* Trials in round `round` (in [0, rounds)); NULL: the budget split over
	 * the rounds, the first ones taking the remainder. */
	int (*round_size)(const struct spec *s, int round);
	/* Where a sweep's current round `round` ends, given its next trial's
	 * number and its budget: past the last trial of it to sample; NULL: at the
	 * budget. */
	int (*round_end)(const struct spec *s, int round, int next_number, int budget);
	/* Past the trials sampled (and recorded, queued) ahead of their start, in
	 * a round ending at round_end; the rest are proposed one at a time
	 * (propose). NULL: the whole round is sampled ahead. */
	int (*ahead)(const struct spec *s, int next_number, int round_end);
	/* A search that learns: proposes trial `number` from the sweep's history
	 * of trials (sampled params, results), which a sweep then keeps for it
	 * (tpe: tpe_suggest; *why, when not NULL, gets why). NULL: the sampler
	 * alone decides, and no history is kept. */
	cJSON *(*propose)(const struct spec *s, const struct tpe_history *h, int number,
			  cJSON **why);
	/* Narrows the search region for the next round around the finished
	 * trials (coarse_to_fine: sample_narrow), and opens rounds past the
	 * spec's own when the budget grows. NULL: one region. */
	int (*narrow)(const struct spec *s, const struct sample_box *prev,
		      const cJSON *const *params, const double *values, int n,
		      struct sample_box *next, char *err, size_t errlen);
	int forks; /* later trials are forks of running members, decided at their
	            * epochs (pbt: common/pbt.h) */

	/* `caviar validate`: adds the search's own fields to json and writes what
	 * the line says of the spec after its name into text (no newline at the
	 * end). NULL: search_describe's common line, no fields. */
	void (*describe)(const struct spec *s, cJSON *json, char *text, size_t n);
};

/* The rows, one per search_*.c file. */
extern const struct search_ops search_random, search_grid, search_sobol,
	search_coarse_to_fine, search_tpe, search_pbt, search_nsga2;

/* The row of search (a static row), or NULL past the last one. */
const struct search_ops *search_ops(enum spec_search search);

/* s's row. */
const struct search_ops *search_of(const struct spec *s);

/* The search called name, its row's index in *search; returns 0, or -1
 * with "expected \"random\", \"grid\", ... or \"pbt\"" in err. */
int search_find(const char *name, enum spec_search *search, char *err, size_t errlen);

/* The common budget rule: 20 trials unless given. Returns 0. */
int search_budget(struct spec *s, int given, char *err, size_t errlen);

/* The ahead rule of a search whose first `first` trials are sampled ahead
 * and the rest proposed (tpe's startup, nsga2's first generation). */
int search_ahead_first(int first, int next_number, int round_end);

/* What `caviar validate` says of s's search: the row's describe, or the
 * common "20 trials, random search over 2 parameters, objective max val_acc". */
void search_describe(const struct spec *s, cJSON *json, char *text, size_t n);

#endif
