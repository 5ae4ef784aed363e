/* fanova: functional ANOVA over a random forest (Hutter, Hoos and Leyton-Brown
 * 2014), the way Optuna's FanovaImportanceEvaluator computes it: for each tree,
 * the variance of its prediction over the whole box (uniform in each
 * dimension, categories equally likely) splits into main effects of single
 * dimensions and interactions; a dimension's importance is its main effect's
 * fraction of that variance, averaged over the trees (std over trees for the
 * uncertainty). Main effects are exact, from each tree's partition of the box;
 * pairwise interactions are computed at a resolution of 32 bins per numeric
 * dimension (fanova.c says why). Pure: no I/O. */
#ifndef CAVIAR_FANOVA_H
#define CAVIAR_FANOVA_H

#include <stddef.h>

#include "forest.h"

struct fanova {
	int n_dims;
	int trees;        /* trees with a non-zero variance (the others are skipped) */
	double *frac;     /* n_dims: mean over trees of V_i / V (main effect's fraction) */
	double *frac_std; /* n_dims: its standard deviation over trees */
	double *share;    /* n_dims: frac normalised to sum to 1 (Optuna's importances) */
	double *share_std;/* n_dims: frac_std with the same factor */
	double *pair;     /* n_dims x n_dims, row-major, symmetric, diagonal 0: mean over
			     trees of V_ij / V, the pairwise interaction's fraction,
			     at 32 bins per numeric dimension (NULL when not asked for) */
	double *pair_std; /* the same, std over trees */
};

/* Decomposes every tree of f; with pairs, also every pairwise interaction.
 * Returns 0, or -1 with err set when every tree is constant (no variance to
 * share); r is then empty. r is filled with malloc'd arrays: fanova_finish. */
int fanova_compute(struct fanova *r, const struct forest *f, int pairs, char *err, size_t errlen);

/* Frees what r owns; r may be zeroed or already finished. */
void fanova_finish(struct fanova *r);

#endif
