/* pareto: ranking several objectives at once. Non-dominated sorting (Deb et
 * al. 2002's fast sort: rank 0 is the front), crowding distance within each
 * rank, a point's total constraint violation with Deb's rule (feasible before
 * infeasible, infeasible by violation), and exact hypervolume. The one home of
 * these rules: the daemon ranks a sweep's trials with it, search can build on it.
 * Pure functions on plain arrays; nothing here knows a trial or a database.
 *
 * Points are n rows of m objective values, row-major (vals[i*m + j]). sense[j]
 * is PARETO_MAX or PARETO_MIN. A NaN value (the objective was never reported)
 * counts as worse than any number. */
#ifndef CAVIAR_PARETO_H
#define CAVIAR_PARETO_H

#include <stddef.h>

enum pareto_sense { PARETO_MIN = 0, PARETO_MAX = 1 };

/* 1 when a dominates b: no worse in every objective and better in one. */
int pareto_dominates(const double *a, const double *b, const enum pareto_sense *sense,
		     size_t m);

/* How far values (k constraint metrics) lie outside [lo[c], hi[c]]: the sum of
 * each one's distance to its bound, 0 when feasible. A NaN bound is absent; a
 * NaN value (never reported) violates by INFINITY when it has a bound. */
double pareto_violation(const double *values, const double *lo, const double *hi,
			size_t k);

/* Writes rank[i] for each of n points (vals is n x m): 0 for the front, 1 for
 * the front once rank 0 is removed, and so on. viol (n entries, or NULL for
 * none) applies Deb's rule: a point with viol > 0 ranks after every feasible
 * one, infeasible points rank among themselves by violation alone (the same
 * violation, the same rank). O(n^2 m). Returns the number of ranks. */
int pareto_rank(const double *vals, const double *viol, size_t n, size_t m,
		const enum pareto_sense *sense, int *rank);

/* Writes crowd[i], point i's crowding distance among the points of its rank:
 * INFINITY at an objective's extremes, else the sum over objectives of the gap
 * between its neighbours divided by that objective's spread in the rank (an
 * objective with no spread adds 0). A rank of one or two points is all
 * INFINITY. Larger is lonelier, hence preferred. */
void pareto_crowding(const double *vals, const int *rank, size_t n, size_t m,
		     double *crowd);

/* The hypervolume dominated by the n points (n x m) and bounded by the
 * reference point ref (m values, in the objectives' own units and senses):
 * the volume of the points y that some point dominates and that dominate ref.
 * Points not strictly better than ref in every objective add nothing. Exact:
 * a sort-and-sweep for m = 2, and for m >= 3 slicing along the last objective
 * down to that sweep (HSO, While et al. 2006), O(n^(m-1) log n), fine for the
 * hundreds of points and few objectives a sweep has. 0 when no point counts. */
double pareto_hypervolume(const double *vals, size_t n, size_t m,
			  const enum pareto_sense *sense, const double *ref);

#endif
