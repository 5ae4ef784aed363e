/* pareto: non-dominated sorting, crowding distance, constraint violation and
 * hypervolume (see pareto.h). Internally every objective is turned into a loss
 * to minimise (a maximised value is negated, NaN becomes INFINITY), so one
 * comparison serves both senses. */
#include "pareto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* The value as a loss to minimise. */
static double loss(double v, enum pareto_sense s)
{
	if (isnan(v))
		return INFINITY;
	return s == PARETO_MAX ? -v : v;
}

/* 1 when loss vector a dominates loss vector b. */
static int loss_dominates(const double *a, const double *b, size_t m)
{
	int better = 0;

	for (size_t j = 0; j < m; j++) {
		if (a[j] > b[j])
			return 0;
		if (a[j] < b[j])
			better = 1;
	}
	return better;
}

/* n x m values as a malloc'd n x m loss matrix; the caller frees it. */
static double *losses(const double *vals, size_t n, size_t m,
		      const enum pareto_sense *sense)
{
	double *l = xmalloc(n * m * sizeof *l);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m; j++)
			l[i * m + j] = loss(vals[i * m + j], sense[j]);
	return l;
}

int pareto_dominates(const double *a, const double *b, const enum pareto_sense *sense,
		     size_t m)
{
	int better = 0;

	for (size_t j = 0; j < m; j++) {
		double la = loss(a[j], sense[j]), lb = loss(b[j], sense[j]);
		if (la > lb)
			return 0;
		if (la < lb)
			better = 1;
	}
	return better;
}

double pareto_violation(const double *values, const double *lo, const double *hi,
			size_t k)
{
	double v = 0;

	for (size_t c = 0; c < k; c++) {
		int has_lo = lo && !isnan(lo[c]), has_hi = hi && !isnan(hi[c]);
		if (!has_lo && !has_hi)
			continue;
		if (isnan(values[c]))
			return INFINITY;
		if (has_lo && values[c] < lo[c])
			v += lo[c] - values[c];
		if (has_hi && values[c] > hi[c])
			v += values[c] - hi[c];
	}
	return v;
}

/* Deb's constrained domination on losses: feasible beats infeasible, the
 * smaller violation beats the larger, and between feasible points plain
 * domination. */
static int constrained_dominates(const double *l, const double *viol, size_t m,
				 size_t a, size_t b)
{
	double va = viol ? viol[a] : 0, vb = viol ? viol[b] : 0;

	if (va > 0 || vb > 0)
		return va < vb;
	return loss_dominates(l + a * m, l + b * m, m);
}

int pareto_rank(const double *vals, const double *viol, size_t n, size_t m,
		const enum pareto_sense *sense, int *rank)
{
	double *l = losses(vals, n, m, sense);
	size_t *count = xcalloc(n, sizeof *count); /* how many dominate i */
	size_t *dom = xmalloc(n * n * sizeof *dom); /* i's dominated, rows */
	size_t *ndom = xcalloc(n, sizeof *ndom);
	size_t *front = xmalloc(n * sizeof *front), nfront = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++) {
			if (constrained_dominates(l, viol, m, i, k)) {
				dom[i * n + ndom[i]++] = k;
				count[k]++;
			} else if (constrained_dominates(l, viol, m, k, i)) {
				dom[k * n + ndom[k]++] = i;
				count[i]++;
			}
		}
	for (size_t i = 0; i < n; i++)
		if (count[i] == 0)
			front[nfront++] = i;
	/* front[0..nfront) is rank r; the next rank is appended after it */
	for (size_t start = 0; start < nfront; r++) {
		size_t end = nfront;
		for (size_t f = start; f < end; f++) {
			size_t i = front[f];
			rank[i] = r;
			for (size_t d = 0; d < ndom[i]; d++)
				if (--count[dom[i * n + d]] == 0)
					front[nfront++] = dom[i * n + d];
		}
		start = end;
	}
	free(l);
	free(count);
	free(dom);
	free(ndom);
	free(front);
	return r;
}

/* One value of a column and the point it belongs to, for sorting a column. */
struct by_col {
	double v;
	size_t i;
};

static int by_col_cmp(const void *a, const void *b)
{
	double x = ((const struct by_col *)a)->v, y = ((const struct by_col *)b)->v;

	if (x < y)
		return -1;
	if (x > y)
		return 1;
	/* stable across platforms: ties by index */
	return ((const struct by_col *)a)->i < ((const struct by_col *)b)->i ? -1 : 1;
}

/* Adds objective j's crowding share to crowd for the k points idx[] of one rank. */
static void crowd_objective(const double *vals, size_t m, size_t j, const size_t *idx,
			    size_t k, struct by_col *col, double *crowd)
{
	double spread;

	for (size_t a = 0; a < k; a++) {
		double v = vals[idx[a] * m + j];
		col[a] = (struct by_col){isnan(v) ? INFINITY : v, idx[a]};
	}
	qsort(col, k, sizeof *col, by_col_cmp);
	crowd[col[0].i] = crowd[col[k - 1].i] = INFINITY;
	spread = col[k - 1].v - col[0].v;
	if (!(spread > 0) || isinf(spread))
		return;
	for (size_t a = 1; a + 1 < k; a++)
		crowd[col[a].i] += (col[a + 1].v - col[a - 1].v) / spread;
}

void pareto_crowding(const double *vals, const int *rank, size_t n, size_t m,
		     double *crowd)
{
	size_t *idx = xmalloc(n * sizeof *idx);
	struct by_col *col = xmalloc(n * sizeof *col);
	int maxr = -1;

	for (size_t i = 0; i < n; i++) {
		crowd[i] = 0;
		if (rank[i] > maxr)
			maxr = rank[i];
	}
	for (int r = 0; r <= maxr; r++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (rank[i] == r)
				idx[k++] = i;
		if (k == 0)
			continue;
		for (size_t j = 0; j < m; j++)
			crowd_objective(vals, m, j, idx, k, col, crowd);
		if (m == 0 || k <= 2)
			for (size_t a = 0; a < k; a++)
				crowd[idx[a]] = INFINITY;
	}
	free(idx);
	free(col);
}

/* Hypervolume of n loss vectors (n x m, each strictly below ref) against ref. */
static double hv_losses(double *l, size_t n, size_t m, const double *ref);

static int by_last_cmp(const void *a, const void *b)
{
	double x = ((const struct by_col *)a)->v, y = ((const struct by_col *)b)->v;

	return x < y ? -1 : x > y;
}

/* m = 2: sort by the first loss, sweep, adding each new step below the best
 * second loss so far. */
static double hv2(const double *l, size_t n, const double *ref)
{
	struct by_col *p = xmalloc(n * sizeof *p);
	double vol = 0, best = ref[1];

	for (size_t i = 0; i < n; i++)
		p[i] = (struct by_col){l[i * 2], i};
	qsort(p, n, sizeof *p, by_last_cmp);
	for (size_t a = 0; a < n; a++) {
		double y = l[p[a].i * 2 + 1];
		if (y < best) {
			vol += (ref[0] - p[a].v) * (best - y);
			best = y;
		}
	}
	free(p);
	return vol;
}

/* m >= 3: slice along the last loss. Between consecutive distinct last-loss
 * levels, the points at or below the lower level dominate an (m-1)-volume. */
static double hv_slice(const double *l, size_t n, size_t m, const double *ref)
{
	struct by_col *p = xmalloc(n * sizeof *p);
	double *sub = xmalloc(n * (m - 1) * sizeof *sub), vol = 0;

	for (size_t i = 0; i < n; i++)
		p[i] = (struct by_col){l[i * m + m - 1], i};
	qsort(p, n, sizeof *p, by_last_cmp);
	for (size_t a = 0; a < n; a++) {
		double top = a + 1 < n ? p[a + 1].v : ref[m - 1];
		memcpy(sub + a * (m - 1), l + p[a].i * m, (m - 1) * sizeof *sub);
		if (top > p[a].v)
			vol += hv_losses(sub, a + 1, m - 1, ref) * (top - p[a].v);
	}
	free(p);
	free(sub);
	return vol;
}

static double hv_losses(double *l, size_t n, size_t m, const double *ref)
{
	double best = ref[0];

	if (n == 0)
		return 0;
	if (m == 1) {
		for (size_t i = 0; i < n; i++)
			if (l[i] < best)
				best = l[i];
		return ref[0] - best;
	}
	return m == 2 ? hv2(l, n, ref) : hv_slice(l, n, m, ref);
}

double pareto_hypervolume(const double *vals, size_t n, size_t m,
			  const enum pareto_sense *sense, const double *ref)
{
	double *l = losses(vals, n, m, sense);
	double *lref = xmalloc(m * sizeof *lref), vol;
	size_t k = 0;

	if (m == 0) {
		free(l);
		free(lref);
		return 0;
	}
	for (size_t j = 0; j < m; j++)
		lref[j] = loss(ref[j], sense[j]);
	for (size_t i = 0; i < n; i++) { /* keep the points strictly inside ref */
		size_t j = 0;
		while (j < m && l[i * m + j] < lref[j])
			j++;
		if (j == m)
			memmove(l + k++ * m, l + i * m, m * sizeof *l);
	}
	vol = hv_losses(l, k, m, lref);
	free(l);
	free(lref);
	return vol;
}
