/* forest: a random forest of regression trees grown to full depth on
 * bootstrap samples (as scikit-learn's RandomForestRegressor with Optuna's
 * fANOVA settings: every dimension tried at every split, one sample per leaf
 * at least), for fanova.h to decompose. Dimensions are numeric (split at the
 * midpoint between two values) or categorical (a split sends a subset of the
 * categories left: the categories ordered by their mean, the best prefix). A
 * value may be absent (NaN: a conditional parameter the trial lacks); such a
 * sample goes down both sides of a split on that dimension, its weight shared
 * in proportion to the sides' widths. Pure: no I/O, deterministic given the
 * seed. Not a general-purpose learner: no prediction API beyond tests. */
#ifndef CAVIAR_FOREST_H
#define CAVIAR_FOREST_H

#include <stddef.h>
#include <stdint.h>

#define FOREST_MAX_CATS 64 /* categories of one categorical dimension (a bit mask) */

/* One input dimension: numeric in [lo, hi] (cats == 0), or categorical with
 * values coded 0 .. cats-1 (lo and hi unused). */
struct forest_dim {
	int cats;
	double lo, hi;
};

struct forest_node {
	int dim;        /* the split's dimension; -1 for a leaf */
	double thr;     /* numeric split: x < thr goes left */
	uint64_t mask;  /* categorical split: bit x set goes left */
	int left, right;
	double value;   /* leaf: the weighted mean of its samples */
};

struct forest_tree {
	struct forest_node *nodes; /* nodes[0] is the root */
	int n_nodes, cap;
};

struct forest_opts {
	int trees;      /* default 64 (Optuna's) */
	int max_depth;  /* default 64 (Optuna's) */
	uint64_t seed;  /* bootstrap samples and tie-breaking order */
};

struct forest {
	int n_dims;
	struct forest_dim *dims; /* n_dims, copied */
	struct forest_tree *trees;
	int n_trees;
};

/* Fits a forest on n samples: x is n rows of n_dims values (row-major; NaN:
 * absent; a categorical value is its code), y n finite values. Returns 0, or
 * -1 with err set (no samples, a bad dimension or value); f is then empty
 * (forest_finish is still safe). */
int forest_fit(struct forest *f, const struct forest_dim *dims, int n_dims, const double *x,
	       const double *y, int n, const struct forest_opts *o, char *err, size_t errlen);

/* The forest's mean prediction at x (no absent values). */
double forest_predict(const struct forest *f, const double *x);

/* Frees what f owns; f may be zeroed or already finished. */
void forest_finish(struct forest *f);

#endif
