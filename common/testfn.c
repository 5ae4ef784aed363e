/* testfn: test functions with known optima (see testfn.h).
 *
 *   branin:     x1 in [-5, 10], x2 in [0, 15] (uniform);
 *               f = (x2 - 5.1 x1^2 / (4 pi^2) + 5 x1 / pi - 6)^2
 *                   + 10 (1 - 1 / (8 pi)) cos x1 + 10,
 *               f* = 0.397887 at (-pi, 12.275), (pi, 2.275), (9.42478, 2.475).
 *   hartmann6:  x1..x6 in [0, 1] (uniform); the usual A, P, alpha;
 *               f* = -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332,
 *               0.311652, 0.6573).
 *   rosenbrock: x1, x2 in [1e-5, 0.1] (log, like learning rates); with
 *               a = log10 x1 + 3 and b = log10 x2 + 3 (both in [-2, 2]),
 *               f = (1 - a)^2 + 100 (b - a^2)^2, f* = 0 at x1 = x2 = 0.01.
 *   cond:       optimizer in {sgd, momentum, adam}; x1 in [1e-5, 1] (log);
 *               x2 in [0.9, 0.9999] (reverse_log) only with momentum; x3 in
 *               [0, 1] only with adam. With L = log10 x1:
 *                 sgd:      0.5 + (L + 2)^2
 *                 momentum: 0.2 + (L + 2.5)^2 + (log10(1 - x2) + 2)^2
 *                 adam:     (L + 3)^2 + 4 (x3 - 0.3)^2
 *               f* = 0 at adam, x1 = 0.001, x3 = 0.3.
 *
 * Several objectives (Zitzler, Deb, Thiele 2000; Deb et al. 2002), all
 * minimised, cut from 30 (ZDT) and 12 (DTLZ2) variables to 5, x1..x5 in
 * [0, 1], so that 200 trials can approach the front:
 *   zdt1:  f1 = x1, g = 1 + 9 (x2 + .. + x5) / 4, f2 = g (1 - sqrt(f1 / g));
 *          front f2 = 1 - sqrt(f1) (g = 1); HV from (1.1, 1.1) = 0.87667
 *          (0.1 + 2/3 + 0.11).
 *   zdt2:  f2 = g (1 - (f1 / g)^2); front f2 = 1 - f1^2; HV 0.54333
 *          (0.1 + 1/3 + 0.11).
 *   zdt3:  f2 = g (1 - sqrt(f1 / g) - (f1 / g) sin(10 pi f1)); a front in five
 *          pieces; HV 1.33176 (f2 dips to -0.773), measured with
 *          pareto_hypervolume on 2,000,001 front points.
 *   dtlz2: three objectives, g = sum over x3..x5 of (x - 0.5)^2,
 *          f1 = (1 + g) cos(x1 pi/2) cos(x2 pi/2),
 *          f2 = (1 + g) cos(x1 pi/2) sin(x2 pi/2), f3 = (1 + g) sin(x1 pi/2);
 *          front the unit sphere's octant; HV from (1.1, 1.1, 1.1) =
 *          1.1^3 - pi/6 = 0.80740. */
#include "testfn.h"

#include <math.h>
#include <string.h>

#define PI 3.14159265358979323846

static double num(const cJSON *params, const char *name, double centre)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);

	return cJSON_IsNumber(v) ? v->valuedouble : centre;
}

static double sq(double x)
{
	return x * x;
}

static double branin(const cJSON *p)
{
	double x1 = num(p, "x1", 2.5), x2 = num(p, "x2", 7.5);

	return sq(x2 - 5.1 * x1 * x1 / (4 * PI * PI) + 5 * x1 / PI - 6) +
	       10 * (1 - 1 / (8 * PI)) * cos(x1) + 10;
}

static double hartmann6(const cJSON *p)
{
	static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
	static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
				       {0.05, 10, 17, 0.1, 8, 14},
				       {3, 3.5, 1.7, 10, 17, 8},
				       {17, 8, 0.05, 10, 0.1, 14}};
	static const double P[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
				       {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
				       {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
				       {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
	static const char *const names[6] = {"x1", "x2", "x3", "x4", "x5", "x6"};
	double x[6], f = 0;

	for (int j = 0; j < 6; j++)
		x[j] = num(p, names[j], 0.5);
	for (int i = 0; i < 4; i++) {
		double e = 0;

		for (int j = 0; j < 6; j++)
			e += A[i][j] * sq(x[j] - P[i][j]);
		f -= alpha[i] * exp(-e);
	}
	return f;
}

static double rosenbrock(const cJSON *p)
{
	double a = log10(num(p, "x1", 1e-3)) + 3, b = log10(num(p, "x2", 1e-3)) + 3;

	return sq(1 - a) + 100 * sq(b - a * a);
}

static double cond(const cJSON *p)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(p, "optimizer");
	const char *opt = cJSON_IsString(o) ? o->valuestring : "adam";
	double L = log10(num(p, "x1", 3e-3));

	if (strcmp(opt, "sgd") == 0)
		return 0.5 + sq(L + 2);
	if (strcmp(opt, "momentum") == 0)
		return 0.2 + sq(L + 2.5) + sq(log10(1 - num(p, "x2", 0.99)) + 2);
	return sq(L + 3) + 4 * sq(num(p, "x3", 0.5) - 0.3);
}

const struct testfn testfns[] = {
	{"branin", "{\"x1\": {\"uniform\": [-5, 10]}, \"x2\": {\"uniform\": [0, 15]}}",
	 0.397887357729739, branin},
	{"hartmann6",
	 "{\"x1\": {\"uniform\": [0, 1]}, \"x2\": {\"uniform\": [0, 1]}, "
	 "\"x3\": {\"uniform\": [0, 1]}, \"x4\": {\"uniform\": [0, 1]}, "
	 "\"x5\": {\"uniform\": [0, 1]}, \"x6\": {\"uniform\": [0, 1]}}",
	 -3.32236801141551, hartmann6},
	{"rosenbrock", "{\"x1\": {\"log\": [1e-5, 0.1]}, \"x2\": {\"log\": [1e-5, 0.1]}}", 0,
	 rosenbrock},
	{"cond",
	 "{\"optimizer\": {\"choice\": [\"sgd\", \"momentum\", \"adam\"]}, "
	 "\"x1\": {\"log\": [1e-5, 1]}, "
	 "\"x2\": {\"reverse_log\": [0.9, 0.9999], \"when\": {\"optimizer\": \"momentum\"}}, "
	 "\"x3\": {\"uniform\": [0, 1], \"when\": {\"optimizer\": \"adam\"}}}",
	 0, cond},
};
const int n_testfns = (int)(sizeof testfns / sizeof testfns[0]);

#define X5 "{\"x1\": {\"uniform\": [0, 1]}, \"x2\": {\"uniform\": [0, 1]}, " \
	   "\"x3\": {\"uniform\": [0, 1]}, \"x4\": {\"uniform\": [0, 1]}, " \
	   "\"x5\": {\"uniform\": [0, 1]}}"

/* x1..x5 of params (absent ones 0.5). */
static void x5(const cJSON *p, double *x)
{
	static const char *const names[5] = {"x1", "x2", "x3", "x4", "x5"};

	for (int j = 0; j < 5; j++)
		x[j] = num(p, names[j], 0.5);
}

/* ZDT's f1 and g; which: 1, 2 or 3. */
static void zdt(const cJSON *p, double *out, int which)
{
	double x[5], g = 0, r;

	x5(p, x);
	for (int j = 1; j < 5; j++)
		g += x[j];
	g = 1 + 9 * g / 4;
	r = x[0] / g;
	out[0] = x[0];
	if (which == 1)
		out[1] = g * (1 - sqrt(r));
	else if (which == 2)
		out[1] = g * (1 - r * r);
	else
		out[1] = g * (1 - sqrt(r) - r * sin(10 * PI * x[0]));
}

static void zdt1(const cJSON *p, double *out)
{
	zdt(p, out, 1);
}

static void zdt2(const cJSON *p, double *out)
{
	zdt(p, out, 2);
}

static void zdt3(const cJSON *p, double *out)
{
	zdt(p, out, 3);
}

static void dtlz2(const cJSON *p, double *out)
{
	double x[5], g = 0, a, b;

	x5(p, x);
	for (int j = 2; j < 5; j++)
		g += sq(x[j] - 0.5);
	a = x[0] * PI / 2, b = x[1] * PI / 2;
	out[0] = (1 + g) * cos(a) * cos(b);
	out[1] = (1 + g) * cos(a) * sin(b);
	out[2] = (1 + g) * sin(a);
}

const struct testfn_mo testfns_mo[] = {
	{"zdt1", X5, 2, {1.1, 1.1, 0}, 0.1 + 2.0 / 3 + 0.11, zdt1},
	{"zdt2", X5, 2, {1.1, 1.1, 0}, 0.1 + 1.0 / 3 + 0.11, zdt2},
	{"zdt3", X5, 2, {1.1, 1.1, 0}, 1.3317624652, zdt3},
	{"dtlz2", X5, 3, {1.1, 1.1, 1.1}, 1.1 * 1.1 * 1.1 - PI / 6, dtlz2},
};
const int n_testfns_mo = (int)(sizeof testfns_mo / sizeof testfns_mo[0]);

const struct testfn_mo *testfn_mo_find(const char *name)
{
	if (!name)
		return NULL;
	for (int i = 0; i < n_testfns_mo; i++)
		if (strcmp(testfns_mo[i].name, name) == 0)
			return &testfns_mo[i];
	return NULL;
}

const struct testfn *testfn_find(const char *name)
{
	if (!name)
		return NULL;
	for (int i = 0; i < n_testfns; i++)
		if (strcmp(testfns[i].name, name) == 0)
			return &testfns[i];
	return NULL;
}

double testfn_regret(const struct testfn *t, const cJSON *params)
{
	double r = t->f(params) - t->optimum;

	return r > 0 ? r : 0;
}
