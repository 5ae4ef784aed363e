/* test_pareto: non-dominated ranks, crowding, Deb's rule and hypervolume,
 * against hand-checked cases and brute-force references on seeded random
 * points (peeling fronts in O(n^2 m) each; counting grid cells). */
#include <math.h>
#include <stdlib.h>

#include "pareto.h"
#include "rng.h"
#include "test.h"

/* (val_acc max, params min): A and its twin E and B form the front; C is
 * dominated by A, D by B. */
static void test_hand_ranks(void)
{
	const double v[] = {0.9, 100, 0.8, 50, 0.85, 200, 0.7, 60, 0.9, 100};
	const enum pareto_sense s[] = {PARETO_MAX, PARETO_MIN};
	int rank[5];
	double crowd[5];

	CHECK(pareto_dominates(v, v + 4, s, 2));  /* A over C */
	CHECK(!pareto_dominates(v, v + 8, s, 2)); /* A and its twin: neither */
	CHECK(!pareto_dominates(v, v + 2, s, 2));
	CHECK(pareto_rank(v, NULL, 5, 2, s, rank) == 2);
	CHECK(rank[0] == 0 && rank[1] == 0 && rank[4] == 0);
	CHECK(rank[2] == 1 && rank[3] == 1);
	pareto_crowding(v, rank, 5, 2, crowd);
	/* front sorted by acc: B, A, E; by params: B, A, E. A is inside both */
	CHECK(isinf(crowd[1]) && isinf(crowd[4]));
	CHECK_NEAR(crowd[0], 0.1 / 0.1 + 50.0 / 50.0, 1e-12);
	CHECK(isinf(crowd[2]) && isinf(crowd[3])); /* a rank of two */
}

static void test_nan_is_worst(void)
{
	const double v[] = {NAN, 10, 0.5, 10};
	const enum pareto_sense s[] = {PARETO_MAX, PARETO_MIN};
	int rank[2];

	CHECK(pareto_dominates(v + 2, v, s, 2));
	pareto_rank(v, NULL, 2, 2, s, rank);
	CHECK(rank[0] == 1 && rank[1] == 0);
}

static void test_violation(void)
{
	const double lo[] = {NAN, 2}, hi[] = {5, NAN};
	const double bad[] = {6, 1}, good[] = {5, 2}, missing[] = {NAN, 3};

	CHECK_NEAR(pareto_violation(bad, lo, hi, 2), 2, 1e-12);
	CHECK(pareto_violation(good, lo, hi, 2) == 0);
	CHECK(isinf(pareto_violation(missing, lo, hi, 2)));
	CHECK(pareto_violation(bad, NULL, NULL, 2) == 0);
}

/* Feasible points rank first even when an infeasible one dominates them all;
 * infeasible ones by violation, equal violations together. */
static void test_deb_rule(void)
{
	const double v[] = {0.5, 10, 0.99, 1, 0.99, 1, 0.1, 1000, 0.6, 20};
	const double viol[] = {0, 0.5, 0.5, 0.2, 0};
	const enum pareto_sense s[] = {PARETO_MAX, PARETO_MIN};
	int rank[5];

	CHECK(pareto_rank(v, viol, 5, 2, s, rank) == 3);
	CHECK(rank[0] == 0 && rank[4] == 0);
	CHECK(rank[3] == 1);
	CHECK(rank[1] == 2 && rank[2] == 2);
}

/* The test's own domination on values, written apart from pareto.c's. */
static int ref_dominates(const double *a, const double *b, const enum pareto_sense *s,
			 size_t m)
{
	int better = 0;

	for (size_t j = 0; j < m; j++) {
		double d = s[j] == PARETO_MAX ? a[j] - b[j] : b[j] - a[j];
		if (d < 0)
			return 0;
		if (d > 0)
			better = 1;
	}
	return better;
}

/* Brute force: feasible points by peeling fronts; infeasible ones after, one
 * rank per distinct violation in increasing order. */
static void ref_rank(const double *v, const double *viol, size_t n, size_t m,
		     const enum pareto_sense *s, int *rank)
{
	int r = 0, left = 0, top;

	for (size_t i = 0; i < n; i++) {
		rank[i] = -1;
		left += viol[i] == 0;
	}
	for (; left > 0; r++) {
		int mark[64] = {0};
		for (size_t i = 0; i < n; i++) {
			if (viol[i] > 0 || rank[i] >= 0)
				continue;
			mark[i] = 1;
			for (size_t k = 0; k < n; k++)
				if (k != i && viol[k] == 0 && rank[k] < 0 &&
				    ref_dominates(v + k * m, v + i * m, s, m))
					mark[i] = 0;
		}
		for (size_t i = 0; i < n; i++)
			if (mark[i]) {
				rank[i] = r;
				left--;
			}
	}
	top = r;
	for (size_t i = 0; i < n; i++) {
		int below = 0;
		if (viol[i] == 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			int seen = 0;
			if (!(viol[k] > 0 && viol[k] < viol[i]))
				continue;
			for (size_t q = 0; q < k; q++) /* count each distinct value once */
				seen |= viol[q] == viol[k];
			below += !seen;
		}
		rank[i] = top + below;
	}
}

static void test_random_ranks(void)
{
	struct rng g;
	double v[64 * 4], viol[64];
	enum pareto_sense s[4];
	int rank[64], want[64];

	rng_seed(&g, 28);
	for (int round = 0; round < 300; round++) {
		size_t n = 1 + rng_below(&g, 64), m = 1 + rng_below(&g, 4);
		for (size_t j = 0; j < m; j++)
			s[j] = rng_below(&g, 2) ? PARETO_MAX : PARETO_MIN;
		for (size_t i = 0; i < n; i++) {
			for (size_t j = 0; j < m; j++) /* few levels: many ties */
				v[i * m + j] = (double)rng_below(&g, 6);
			viol[i] = rng_below(&g, 3) ? 0 : (double)rng_below(&g, 4);
		}
		pareto_rank(v, viol, n, m, s, rank);
		ref_rank(v, viol, n, m, s, want);
		for (size_t i = 0; i < n; i++)
			CHECK(rank[i] == want[i]);
	}
}

/* Crowding on distinct values: each point's neighbours found by scanning. */
static void test_random_crowding(void)
{
	struct rng g;
	double v[40 * 3], crowd[40], zero[40] = {0};
	enum pareto_sense s[3] = {PARETO_MAX, PARETO_MIN, PARETO_MIN};
	int rank[40];

	rng_seed(&g, 2002);
	for (int round = 0; round < 100; round++) {
		size_t n = 1 + rng_below(&g, 40), m = 1 + rng_below(&g, 3);
		for (size_t i = 0; i < n * m; i++)
			v[i] = rng_uniform(&g);
		pareto_rank(v, zero, n, m, s, rank);
		pareto_crowding(v, rank, n, m, crowd);
		for (size_t i = 0; i < n; i++) {
			double want = 0;
			size_t k = 0;
			for (size_t q = 0; q < n; q++)
				k += rank[q] == rank[i];
			for (size_t j = 0; j < m && k > 2; j++) {
				double x = v[i * m + j], lo = -INFINITY, hi = INFINITY;
				double mn = INFINITY, mx = -INFINITY;
				for (size_t q = 0; q < n; q++) {
					double y = v[q * m + j];
					if (rank[q] != rank[i])
						continue;
					mn = fmin(mn, y);
					mx = fmax(mx, y);
					if (y < x && y > lo)
						lo = y;
					if (y > x && y < hi)
						hi = y;
				}
				want += isinf(lo) || isinf(hi) ? INFINITY : (hi - lo) / (mx - mn);
			}
			if (k <= 2)
				want = INFINITY;
			if (isinf(want))
				CHECK(isinf(crowd[i]));
			else
				CHECK_NEAR(crowd[i], want, 1e-9);
		}
	}
}

static void test_hand_hypervolume(void)
{
	const enum pareto_sense min3[] = {PARETO_MIN, PARETO_MIN, PARETO_MIN};
	const double stair[] = {1, 3, 2, 2, 3, 1}, ref2[] = {4, 4};
	const double one[] = {0, 0, 0}, ref3a[] = {1, 2, 3};
	const double two[] = {0, 0, 1, 1, 1, 0}, ref3b[] = {2, 2, 2};
	const double outside[] = {5, 0}, acc[] = {0.9}, ref_acc[] = {0.5};
	const enum pareto_sense max1[] = {PARETO_MAX};

	CHECK_NEAR(pareto_hypervolume(stair, 3, 2, min3, ref2), 6, 1e-12);
	CHECK_NEAR(pareto_hypervolume(one, 1, 3, min3, ref3a), 6, 1e-12);
	CHECK_NEAR(pareto_hypervolume(two, 2, 3, min3, ref3b), 4 + 2 - 1, 1e-12);
	CHECK(pareto_hypervolume(outside, 1, 2, min3, ref2) == 0);
	CHECK(pareto_hypervolume(stair, 0, 2, min3, ref2) == 0);
	CHECK_NEAR(pareto_hypervolume(acc, 1, 1, max1, ref_acc), 0.4, 1e-12);
}

/* Points on a grid of step 1/G in [0, 1]^m with the reference at the far
 * corner: a grid cell is dominated as a whole or not at all, so counting the
 * cells some point dominates is the exact volume. Senses are mixed by
 * mirroring a maximised coordinate (x -> 1 - x) and its reference. */
static double grid_volume(const double *l, size_t n, size_t m, int G)
{
	size_t cells = 1, inside = 0;

	for (size_t j = 0; j < m; j++)
		cells *= (size_t)G;
	for (size_t c = 0; c < cells; c++) {
		size_t rest = c;
		double lo[4];
		for (size_t j = 0; j < m; j++) {
			lo[j] = (double)(rest % (size_t)G) / G;
			rest /= (size_t)G;
		}
		for (size_t i = 0; i < n; i++) {
			size_t j = 0;
			while (j < m && l[i * m + j] <= lo[j] + 1e-12)
				j++;
			if (j == m) {
				inside++;
				break;
			}
		}
	}
	return (double)inside / (double)cells;
}

static void test_random_hypervolume(void)
{
	const int grid[] = {0, 64, 32, 16, 8};
	struct rng g;
	double l[12 * 4], v[12 * 4], ref[4];
	enum pareto_sense s[4];

	rng_seed(&g, 2006);
	for (int round = 0; round < 120; round++) {
		size_t m = 1 + rng_below(&g, 4), n = 1 + rng_below(&g, 12);
		int G = grid[m];
		for (size_t j = 0; j < m; j++) {
			s[j] = rng_below(&g, 2) ? PARETO_MAX : PARETO_MIN;
			ref[j] = s[j] == PARETO_MAX ? 0 : 1;
		}
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < m; j++) {
				l[i * m + j] = (double)rng_below(&g, (uint64_t)G + 1) / G;
				v[i * m + j] = s[j] == PARETO_MAX ? 1 - l[i * m + j] : l[i * m + j];
			}
		CHECK_NEAR(pareto_hypervolume(v, n, m, s, ref), grid_volume(l, n, m, G),
			   1e-9);
	}
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"hand_ranks", test_hand_ranks},
		{"nan_is_worst", test_nan_is_worst},
		{"violation", test_violation},
		{"deb_rule", test_deb_rule},
		{"random_ranks", test_random_ranks},
		{"random_crowding", test_random_crowding},
		{"hand_hypervolume", test_hand_hypervolume},
		{"random_hypervolume", test_random_hypervolume},
		{0},
	};
	return test_main(argc, argv, cases);
}
