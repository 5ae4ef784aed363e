/* importance: a sweep's finished trials as fANOVA's input, and the result, for
 * `caviar importance`, `caviar plot --importance|--pair` and the dashboard. It
 * reads the database through the query module (the sweep, its trials, with
 * --by-epoch its objective's points), maps every sampled parameter into its
 * own scale (sample_to_scale; a choice's value to its index), and runs forest
 * + fanova. Forks (pbt's, `caviar fork`'s) are left out: a fork inherits its
 * values and its start from its parent, so it is no independent draw of them.
 * It prints nothing. */
#ifndef CAVIAR_IMPORTANCE_H
#define CAVIAR_IMPORTANCE_H

#include <stddef.h>
#include <stdint.h>

#include "fanova.h"
#include "forest.h"
#include "spec.h"
#include "store.h"

struct importance_opts {
	long long by_epoch; /* > 0: the objective's value at this epoch; 0: its best */
	int trees;          /* default 64 */
	uint64_t seed;
	int pairs;          /* also the pairwise interactions */
	const char *objective; /* the objective analysed, by metric; NULL: the first */
};

struct importance {
	struct spec spec;     /* the sweep's */
	char *name;           /* the sweep's name (malloc'd) */
	int objective;        /* the objective analysed: its index in spec.objectives */
	int n;                /* trials used: done or pruned, with an objective, no fork */
	int forks;            /* finished forks left out (a parent: values inherited) */
	int d;                /* parameters analysed */
	int *param;           /* d: their indices in spec.params */
	int *present;         /* d: trials where each exists (conditional ones: fewer) */
	struct forest_dim *dims;
	double *x;            /* n x d values in each parameter's scale; NaN: absent */
	double *y;            /* n objective values: the first objective's best (the
	                       * trial's best_value), another's last (goal_values) */
	long long *trial;     /* n trial ids */
	struct fanova fa;
};

/* Loads sweep id from st and computes its importances for o->objective.
 * Returns 0, or -1 with err set ("no sweep 42", "sweep 3 has 1 finished
 * trial: importance needs at least 2", "sweep 3 has no objective \"loss\"
 * (its objectives: val_acc, params)", ...); im is then safe to finish. */
int importance_load(struct importance *im, struct store *st, long long id,
		    const struct importance_opts *o, char *err, size_t errlen);

/* im's result as `caviar importance --json` and GET /api/sweep/ID/importance
 * say it: {sweep: id, name, metric, mode (the objective analysed), by_epoch (when o->by_epoch > 0),
 * trials, forks_left_out, trees, seed, params: [{name, scale (spec_kind_name),
 * share, std, variance_fraction, rank, course_rank (hparam_course_rank's
 * place among the sweep's ranked ones, "2-4"; null), present}, ...] largest
 * share first, interactions: the 5 largest [{params: [a, b],
 * variance_fraction, std}] (none unless o->pairs), main_effects}. The one
 * encoder: the CLI's text is read from it. The caller frees it. */
cJSON *importance_to_json(const struct importance *im, long long id,
			  const struct importance_opts *o);

void importance_finish(struct importance *im); /* accepts a zeroed or finished one */

#endif
