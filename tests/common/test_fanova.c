/* test_fanova: the forest and the fANOVA decomposition against functions whose
 * variance decomposition is known in closed form, over several seeds; the fast
 * per-tree decomposition against a naive one that evaluates the tree on a
 * dense grid; categorical and absent (conditional) dimensions; determinism. */
#include <math.h>
#include <stdlib.h>

#include "fanova.h"
#include "forest.h"
#include "rng.h"
#include "test.h"

/* E[(U - c)^k] for U uniform on [0, 1]. */
static double moment(double c, int k)
{
	return (pow(1 - c, k + 1) - pow(-c, k + 1)) / (k + 1);
}

/* f = A (x1-C1)^2 + B (x2-C2)^2 + C x1 x3, x4 inert, x uniform on [0,1]^4.
 * With C x1 x3 = C [(x1-1/2)(x3-1/2) + (x1-1/2)/2 + (x3-1/2)/2 + 1/4]:
 *   V1 = A^2 Var((x1-C1)^2) + C^2/4 Var(x1) + A C Cov((x1-C1)^2, x1)
 *   V2 = B^2 Var((x2-C2)^2),  V3 = C^2/4 Var(x3),  V13 = C^2 Var(x1) Var(x3),  V4 = 0. */
#define A 10.0
#define C1 0.3
#define B 5.0
#define C2 0.5
#define C 4.0

static double synth(const double *x)
{
	return A * (x[0] - C1) * (x[0] - C1) + B * (x[1] - C2) * (x[1] - C2) + C * x[0] * x[2];
}

static void truth(double *share, double *inter13)
{
	double v1 = A * A * (moment(C1, 4) - moment(C1, 2) * moment(C1, 2)) + C * C / 4 / 12 +
		    A * C * (moment(C1, 3) - moment(C1, 2) * moment(C1, 1));
	double v2 = B * B * (moment(C2, 4) - moment(C2, 2) * moment(C2, 2));
	double v3 = C * C / 4 / 12, v13 = C * C / 144, mains = v1 + v2 + v3;

	share[0] = v1 / mains;
	share[1] = v2 / mains;
	share[2] = v3 / mains;
	share[3] = 0;
	*inter13 = v13 / (mains + v13);
}

static void sample_uniform(struct rng *r, double *x, double *y, int n, int d,
			   double (*fn)(const double *))
{
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < d; k++)
			x[i * d + k] = rng_uniform(r);
		y[i] = fn(x + i * d);
	}
}

/* The estimated shares are within 0.05 of the truth (the inert one within
 * 0.02 of 0), the ranking is the true one and x1-x3 is the largest
 * interaction, for five seeds. */
static void test_synthetic(void)
{
	struct forest_dim dims[4] = {{0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}};
	double share[4], inter, x[2000 * 4], y[2000];
	char err[256];

	truth(share, &inter);
	printf("truth: shares %.4f %.4f %.4f %.4f, x1:x3 interaction %.4f\n", share[0], share[1],
	       share[2], share[3], inter);
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct rng r;
		struct forest f;
		struct fanova fa;
		struct forest_opts o = {.trees = 32, .seed = seed};
		double best = 0;
		int bi = -1, bj = -1;

		rng_seed(&r, seed * 77);
		sample_uniform(&r, x, y, 2000, 4, synth);
		CHECK(forest_fit(&f, dims, 4, x, y, 2000, &o, err, sizeof err) == 0);
		CHECK(fanova_compute(&fa, &f, 1, err, sizeof err) == 0);
		printf("seed %d: shares %.4f+-%.4f %.4f+-%.4f %.4f+-%.4f %.4f+-%.4f, x1:x3 %.4f\n",
		       (int)seed, fa.share[0], fa.share_std[0], fa.share[1], fa.share_std[1],
		       fa.share[2], fa.share_std[2], fa.share[3], fa.share_std[3], fa.pair[2]);
		for (int k = 0; k < 3; k++)
			CHECK_NEAR(fa.share[k], share[k], 0.05);
		CHECK_NEAR(fa.share[3], 0, 0.02);
		CHECK(fa.share[0] > fa.share[2] && fa.share[2] > fa.share[1] &&
		      fa.share[1] > fa.share[3]);
		for (int i = 0; i < 4; i++)
			for (int j = i + 1; j < 4; j++)
				if (fa.pair[i * 4 + j] > best) {
					best = fa.pair[i * 4 + j];
					bi = i;
					bj = j;
				}
		CHECK(bi == 0 && bj == 2);
		CHECK_NEAR(fa.pair[2], inter, 0.03);
		fanova_finish(&fa);
		forest_finish(&f);
	}
}

/* A choice of 3 values {0, 1, 3} plus x: Var = 14/9 and 1/12. */
static const double cat_value[3] = {0, 1, 3};

static void test_categorical(void)
{
	struct forest_dim dims[2] = {{3, 0, 0}, {0, 0, 1}};
	double x[600 * 2], y[600], want = (14.0 / 9) / (14.0 / 9 + 1.0 / 12);
	struct rng r;
	struct forest f;
	struct fanova fa;
	struct forest_opts o = {.trees = 16, .seed = 3};
	char err[256];

	rng_seed(&r, 5);
	for (int i = 0; i < 600; i++) {
		x[2 * i] = (double)rng_below(&r, 3);
		x[2 * i + 1] = rng_uniform(&r);
		y[i] = cat_value[(int)x[2 * i]] + x[2 * i + 1];
	}
	CHECK(forest_fit(&f, dims, 2, x, y, 600, &o, err, sizeof err) == 0);
	CHECK(fanova_compute(&fa, &f, 1, err, sizeof err) == 0);
	printf("categorical: %.4f (truth %.4f), interaction %.4f\n", fa.share[0], want, fa.pair[1]);
	CHECK_NEAR(fa.share[0], want, 0.03);
	CHECK_NEAR(fa.pair[1], 0, 0.02);
	fanova_finish(&fa);
	forest_finish(&f);
}

/* Conditional dimensions: z exists only when the choice is 1 (absent, NaN,
 * otherwise) and there drives the value; w exists in the same trials and is
 * inert. z ranks above w, and w stays near 0. */
static void test_conditional(void)
{
	struct forest_dim dims[4] = {{2, 0, 0}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}};
	double x[1000 * 4], y[1000];
	struct rng r;
	struct forest f;
	struct fanova fa;
	struct forest_opts o = {.trees = 16, .seed = 9};
	char err[256];

	rng_seed(&r, 11);
	for (int i = 0; i < 1000; i++) {
		double *xi = x + 4 * i;

		xi[0] = (double)rng_below(&r, 2);
		xi[1] = rng_uniform(&r);
		xi[2] = xi[0] == 1 ? rng_uniform(&r) : NAN; /* z */
		xi[3] = xi[0] == 1 ? rng_uniform(&r) : NAN; /* w */
		y[i] = 0.3 * xi[1] + (xi[0] == 1 ? 2 * xi[2] : 0.5);
	}
	CHECK(forest_fit(&f, dims, 4, x, y, 1000, &o, err, sizeof err) == 0);
	CHECK(fanova_compute(&fa, &f, 0, err, sizeof err) == 0);
	printf("conditional: choice %.4f x %.4f z %.4f w %.4f\n", fa.share[0], fa.share[1],
	       fa.share[2], fa.share[3]);
	CHECK(fa.share[2] > fa.share[1] && fa.share[1] > fa.share[3]);
	CHECK_NEAR(fa.share[3], 0, 0.02);
	fanova_finish(&fa);
	forest_finish(&f);
}

/* The exact decomposition of a one-tree forest against a brute-force one: the
 * tree evaluated at the centres of a G^3 grid (finer than its splits matter),
 * marginals by averaging. */
#define G 90
static void test_naive(void)
{
	struct forest_dim dims[3] = {{0, 0, 1}, {0, -1, 2}, {4, 0, 0}};
	double x[200 * 3], y[200], *full = malloc(sizeof(double) * G * G * 4);
	double mean = 0, var = 0, m0[G] = {0}, m2[4] = {0}, v0 = 0, v2 = 0;
	struct rng r;
	struct forest f;
	struct fanova fa;
	struct forest_opts o = {.trees = 1, .seed = 2};
	char err[256];

	rng_seed(&r, 13);
	for (int i = 0; i < 200; i++) {
		x[3 * i] = rng_uniform(&r);
		x[3 * i + 1] = -1 + 3 * rng_uniform(&r);
		x[3 * i + 2] = (double)rng_below(&r, 4);
		y[i] = sin(6 * x[3 * i]) + x[3 * i + 1] * x[3 * i + 2] + rng_normal(&r) * 0.1;
	}
	CHECK(forest_fit(&f, dims, 3, x, y, 200, &o, err, sizeof err) == 0);
	CHECK(fanova_compute(&fa, &f, 1, err, sizeof err) == 0);
	for (int a = 0; a < G; a++)
		for (int b = 0; b < G; b++)
			for (int c = 0; c < 4; c++) {
				double p[3] = {(a + 0.5) / G, -1 + 3 * (b + 0.5) / G, c};
				double v = forest_predict(&f, p);

				full[(a * G + b) * 4 + c] = v;
				mean += v / (G * G * 4);
				m0[a] += v / (G * 4);
				m2[c] += v / (G * G);
			}
	for (int i = 0; i < G * G * 4; i++)
		var += (full[i] - mean) * (full[i] - mean) / (G * G * 4);
	for (int a = 0; a < G; a++)
		v0 += (m0[a] - mean) * (m0[a] - mean) / G;
	for (int c = 0; c < 4; c++)
		v2 += (m2[c] - mean) * (m2[c] - mean) / 4;
	printf("naive: %.4f %.4f, exact: %.4f %.4f\n", v0 / var, v2 / var, fa.frac[0], fa.frac[2]);
	CHECK_NEAR(fa.frac[0], v0 / var, 0.02);
	CHECK_NEAR(fa.frac[2], v2 / var, 0.02);
	free(full);
	fanova_finish(&fa);
	forest_finish(&f);
}

/* The same seed gives the same result; a constant objective is an error. */
static void test_determinism(void)
{
	struct forest_dim dims[4] = {{0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}};
	double x[300 * 4], y[300];
	struct rng r;
	struct forest f;
	struct fanova a, b;
	struct forest_opts o = {.trees = 8, .seed = 42};
	char err[256];

	rng_seed(&r, 1);
	sample_uniform(&r, x, y, 300, 4, synth);
	forest_fit(&f, dims, 4, x, y, 300, &o, err, sizeof err);
	fanova_compute(&a, &f, 1, err, sizeof err);
	forest_finish(&f);
	forest_fit(&f, dims, 4, x, y, 300, &o, err, sizeof err);
	fanova_compute(&b, &f, 1, err, sizeof err);
	forest_finish(&f);
	for (int k = 0; k < 4; k++)
		CHECK(a.share[k] == b.share[k] && a.share_std[k] == b.share_std[k]);
	CHECK(a.pair[2] == b.pair[2]);
	fanova_finish(&a);
	fanova_finish(&b);
	for (int i = 0; i < 300; i++)
		y[i] = 1.5;
	forest_fit(&f, dims, 4, x, y, 300, &o, err, sizeof err);
	CHECK(fanova_compute(&a, &f, 1, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "does not vary");
	forest_finish(&f);
	fanova_finish(&a);
	y[0] = NAN;
	CHECK(forest_fit(&f, dims, 4, x, y, 300, &o, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "sample 0");
	forest_finish(&f);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"synthetic", test_synthetic}, {"categorical", test_categorical},
		{"conditional", test_conditional}, {"naive", test_naive},
		{"determinism", test_determinism}, {0},
	};
	return test_main(argc, argv, cases);
}
