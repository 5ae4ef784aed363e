/* test_testfn: the test functions at known points: each single-objective one
 * at its optimum, each of several objectives on and off its front, and the
 * fronts' hypervolumes against points sampled densely on the front. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "pareto.h"
#include "test.h"
#include "testfn.h"

#define PI 3.14159265358979323846

static cJSON *point(const double *x, int d)
{
	cJSON *p = cJSON_CreateObject();
	char name[16];

	for (int j = 0; j < d; j++) {
		snprintf(name, sizeof name, "x%d", j + 1);
		cJSON_AddNumberToObject(p, name, x[j]);
	}
	return p;
}

static void test_optima(void)
{
	const double branin[] = {PI, 2.275};
	const double hart[] = {0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573};
	cJSON *p = point(branin, 2);

	CHECK_NEAR(testfn_find("branin")->f(p), testfn_find("branin")->optimum, 1e-5);
	cJSON_Delete(p);
	p = point(hart, 6);
	CHECK_NEAR(testfn_find("hartmann6")->f(p), testfn_find("hartmann6")->optimum, 1e-4);
	cJSON_Delete(p);
	CHECK(testfn_find("nope") == NULL && testfn_find(NULL) == NULL);
}

/* f of the named function at x (5 values) into out. */
static void eval(const char *name, const double *x, double *out)
{
	cJSON *p = point(x, 5);

	testfn_mo_find(name)->f(p, out);
	cJSON_Delete(p);
}

static void test_zdt_points(void)
{
	const double on[] = {0.25, 0, 0, 0, 0}, off[] = {0.25, 1, 1, 1, 1};
	double f[3];

	eval("zdt1", on, f);
	CHECK_NEAR(f[0], 0.25, 1e-12);
	CHECK_NEAR(f[1], 0.5, 1e-12); /* 1 - sqrt(0.25) */
	eval("zdt2", on, f);
	CHECK_NEAR(f[1], 1 - 0.0625, 1e-12);
	eval("zdt3", on, f);
	CHECK_NEAR(f[1], 0.5 - 0.25 * sin(2.5 * PI), 1e-12);
	eval("zdt1", off, f); /* g = 10 */
	CHECK_NEAR(f[1], 10 * (1 - sqrt(0.025)), 1e-12);
	CHECK(testfn_mo_find("zdt1")->m == 2 && testfn_mo_find("dtlz2")->m == 3);
	CHECK(testfn_mo_find("branin") == NULL);
}

static void test_dtlz2_points(void)
{
	const double on[] = {0.3, 0.7, 0.5, 0.5, 0.5}, off[] = {0.3, 0.7, 0, 1, 0.5};
	double f[3];

	eval("dtlz2", on, f); /* on the unit sphere */
	CHECK_NEAR(f[0] * f[0] + f[1] * f[1] + f[2] * f[2], 1, 1e-12);
	CHECK_NEAR(f[2], sin(0.3 * PI / 2), 1e-12);
	eval("dtlz2", off, f); /* g = 0.5: radius 1.5 */
	CHECK_NEAR(sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]), 1.5, 1e-12);
}

/* Each front's hypervolume, from points on it (x2.. at their optimum): a
 * dense sample reaches the stated value from below. */
static void test_front_hypervolume(void)
{
	const enum pareto_sense s[3] = {PARETO_MIN, PARETO_MIN, PARETO_MIN};

	for (int t = 0; t < n_testfns_mo; t++) {
		const struct testfn_mo *fn = &testfns_mo[t];
		int side = fn->m == 2 ? 20001 : 201, n = fn->m == 2 ? side : side * side;
		double *v = xcalloc((size_t)n * 3, sizeof *v), hv;

		for (int i = 0; i < n; i++) {
			double x[5] = {(double)(i % side) / (side - 1),
				       (double)(i / side) / (side - 1), 0.5, 0.5, 0.5};

			if (fn->m == 2)
				x[1] = x[2] = x[3] = x[4] = 0;
			eval(fn->name, x, v + (size_t)i * (size_t)fn->m);
		}
		hv = pareto_hypervolume(v, (size_t)n, (size_t)fn->m, s, fn->ref);
		CHECK(hv <= fn->hv + 1e-9);
		CHECK_NEAR(hv, fn->hv, fn->m == 2 ? 1e-3 : 2e-2);
		free(v);
	}
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"optima", test_optima},
		{"zdt_points", test_zdt_points},
		{"dtlz2_points", test_dtlz2_points},
		{"front_hypervolume", test_front_hypervolume},
		{0}};
	return test_main(argc, argv, cases);
}
