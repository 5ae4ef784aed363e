/* test_sample: the sampler's distributions (each scale gets the shares
 * DOMAIN.md promises, so a wrong scale fails), reproducibility, conditions,
 * the grid, sobol's discrepancy, coarse_to_fine narrowing, and two small
 * search comparisons on synthetic objectives. Fixed seeds: deterministic. */
#include <float.h>
#include <stdlib.h>

#include "errbuf.h"
#include "rng.h"
#include "sample.h"
#include "spec.h"
#include "test.h"

static void parse_or_fail(struct spec *s, const char *text)
{
	char err[ERRBUF_LEN] = "";

	if (spec_parse_text(s, text, strlen(text), err, sizeof err) != 0 ||
	    sample_check_grid(s, err, sizeof err) != 0) {
		fprintf(stderr, "spec rejected: %s\n  %s\n", err, text);
		test_failures++;
		exit(1);
	}
}

static double num(const cJSON *trial, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(trial, name);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Samples n trials of s (round 0) and returns param `name` of each. */
static double *draw(const struct spec *s, const char *name, int n)
{
	double *x = calloc((size_t)n, sizeof *x);
	struct sample_box box;

	sample_box_init(&box, s);
	for (int i = 0; i < n; i++) {
		cJSON *t = sample_trial(s, &box, i);

		x[i] = num(t, name);
		cJSON_Delete(t);
	}
	sample_box_finish(&box);
	return x;
}

/* Share of x in [lo, hi) (hi inclusive when last). */
static double share(const double *x, int n, double lo, double hi, int last)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += x[i] >= lo && (x[i] < hi || (last && x[i] == hi));
	return (double)c / n;
}

#define N 10000

static void test_log_decades(void)
{
	struct spec s;
	double *x;

	parse_or_fail(&s, "{\"seed\": 3, \"trials\": 10000, \"params\": {\"lr\": {\"log\": [1e-4, 1]}}}");
	x = draw(&s, "lr", N);
	for (int d = 0; d < 4; d++)
		CHECK_NEAR(share(x, N, pow(10, d - 4), pow(10, d - 3), d == 3), 0.25, 0.015);
	CHECK(share(x, N, 1e-4, 1, 1) == 1.0);
	free(x);
	spec_finish(&s);
}

static void test_reverse_log_halves(void)
{
	struct spec s;
	double *x;

	parse_or_fail(&s, "{\"seed\": 4, \"params\": {\"beta\": {\"reverse_log\": [0.9, 0.999]}}}");
	x = draw(&s, "beta", N);
	CHECK_NEAR(share(x, N, 0.9, 0.99, 0), 0.5, 0.015);
	CHECK_NEAR(share(x, N, 0.99, 0.999, 1), 0.5, 0.015);
	/* and within [0.99, 0.999], [0.99, 0.9968) holds half of that (log10(1-x) midpoint) */
	CHECK_NEAR(share(x, N, 0.99, 1 - pow(10, -2.5), 0), 0.25, 0.015);
	free(x);
	spec_finish(&s);
}

static void test_log_int_octaves(void)
{
	struct spec s;
	double *x;

	parse_or_fail(&s, "{\"seed\": 5, \"params\": {\"units\": {\"log_int\": [16, 1024]}}}");
	x = draw(&s, "units", N);
	for (int o = 0; o < 6; o++)
		CHECK_NEAR(share(x, N, 16 << o, 32 << o, o == 5), 1.0 / 6, 0.015);
	for (int i = 0; i < N; i++)
		CHECK(x[i] == floor(x[i]) && x[i] >= 16 && x[i] <= 1024);
	free(x);
	spec_finish(&s);
}

/* Chi-square statistic of counts against equal expected shares. */
static double chi2(const int *count, int k, int n)
{
	double e = (double)n / k, c = 0;

	for (int i = 0; i < k; i++)
		c += (count[i] - e) * (count[i] - e) / e;
	return c;
}

static void test_int_choice_uniform(void)
{
	struct spec s;
	struct sample_box box;
	int layers[4] = {0}, batch[4] = {0}, dropout[4] = {0};
	static const double batches[] = {32, 64, 128, 256};

	parse_or_fail(&s, "{\"seed\": 6, \"params\": {\"layers\": {\"int\": [2, 5]}, "
			  "\"batch\": {\"choice\": [32, 64, 128, 256]}, "
			  "\"dropout\": {\"uniform\": [0.1, 0.5]}}}");
	sample_box_init(&box, &s);
	for (int i = 0; i < N; i++) {
		cJSON *t = sample_trial(&s, &box, i);
		double l = num(t, "layers"), b = num(t, "batch"), d = num(t, "dropout");

		CHECK(l >= 2 && l <= 5 && l == floor(l));
		CHECK(d >= 0.1 && d <= 0.5);
		if (l >= 2 && l <= 5)
			layers[(int)l - 2]++;
		for (int j = 0; j < 4; j++)
			batch[j] += b == batches[j];
		dropout[d >= 0.5 ? 3 : (int)((d - 0.1) / 0.1)]++;
		cJSON_Delete(t);
	}
	/* 3 degrees of freedom: P(chi2 > 16.27) = 0.001 */
	CHECK(chi2(layers, 4, N) < 16.27);
	CHECK(chi2(batch, 4, N) < 16.27);
	CHECK(chi2(dropout, 4, N) < 16.27);
	CHECK(batch[0] + batch[1] + batch[2] + batch[3] == N);
	sample_box_finish(&box);
	spec_finish(&s);
}

static const char cond_spec[] =
	"{\"seed\": 11, \"train\": {\"activation\": \"tanh\"}, \"params\": {"
	"\"beta1\": {\"reverse_log\": [0.8, 0.99], \"when\": {\"optimizer\": \"adam\"}},"
	"\"beta\": {\"reverse_log\": [0.9, 0.999], \"when\": {\"optimizer\": [\"momentum\", \"rmsprop\"]}},"
	"\"optimizer\": {\"choice\": [\"sgd\", \"momentum\", \"rmsprop\", \"adam\"]},"
	"\"eps\": {\"log\": [1e-10, 1e-6], \"when\": {\"batch\": 32}},"
	"\"batch\": {\"choice\": [16, 32], \"when\": {\"optimizer\": \"adam\"}},"
	"\"units\": {\"log_int\": [8, 64], \"when\": {\"layers\": [2, 3], \"activation\": \"tanh\"}},"
	"\"layers\": {\"int\": [1, 3]}}}";

static void check_cond_trial(const cJSON *t)
{
	const char *opt = cJSON_GetStringValue(cJSON_GetObjectItem(t, "optimizer"));
	double layers = num(t, "layers");
	int momentum = opt && (!strcmp(opt, "momentum") || !strcmp(opt, "rmsprop"));

	CHECK(opt != NULL);
	CHECK((cJSON_GetObjectItem(t, "beta") != NULL) == momentum);
	CHECK((cJSON_GetObjectItem(t, "beta1") != NULL) == (opt && !strcmp(opt, "adam")));
	CHECK((cJSON_GetObjectItem(t, "batch") != NULL) == (opt && !strcmp(opt, "adam")));
	CHECK((cJSON_GetObjectItem(t, "eps") != NULL) == (num(t, "batch") == 32)); /* a chain */
	CHECK((cJSON_GetObjectItem(t, "units") != NULL) == (layers >= 2));
}

static void test_conditions(void)
{
	struct spec s;
	struct sample_box box;
	int with_beta = 0;

	parse_or_fail(&s, cond_spec);
	sample_box_init(&box, &s);
	for (int i = 0; i < 2000; i++) {
		cJSON *t = sample_trial(&s, &box, i);

		check_cond_trial(t);
		with_beta += cJSON_GetObjectItem(t, "beta") != NULL;
		cJSON_Delete(t);
	}
	CHECK(with_beta > 900 && with_beta < 1100); /* two optimizers of four */
	sample_box_finish(&box);
	spec_finish(&s);

	/* the same conditions on every strategy */
	static const char *const strategies[] = {"grid", "sobol", "coarse_to_fine"};
	for (int k = 0; k < 3; k++) {
		char text[2048];

		snprintf(text, sizeof text, "{\"search\": \"%s\", \"trials\": 40,%s", strategies[k],
			 cond_spec + 1);
		parse_or_fail(&s, text);
		for (int i = 0; i < 40; i++) {
			cJSON *t = sample_trial(&s, NULL, i);

			check_cond_trial(t);
			cJSON_Delete(t);
		}
		spec_finish(&s);
	}
}

static void test_reproducible(void)
{
	struct spec a, b, c;
	struct sample_box box;
	const char *text = "{\"seed\": 42, \"params\": {\"lr\": {\"log\": [1e-4, 1]}, "
			   "\"layers\": {\"int\": [1, 4]}, \"optimizer\": {\"choice\": [\"sgd\", \"adam\"]}}}";
	cJSON *fwd[100], *ta, *tb;
	int same_c = 0;

	parse_or_fail(&a, text);
	parse_or_fail(&b, text);
	parse_or_fail(&c, "{\"seed\": 43, \"params\": {\"lr\": {\"log\": [1e-4, 1]}, "
			  "\"layers\": {\"int\": [1, 4]}, \"optimizer\": {\"choice\": [\"sgd\", \"adam\"]}}}");
	sample_box_init(&box, &a);
	for (int i = 0; i < 100; i++)
		fwd[i] = sample_trial(&a, &box, i);
	for (int i = 99; i >= 0; i--) { /* another spec object, reverse order */
		tb = sample_trial(&b, &box, i);
		CHECK(cJSON_Compare(fwd[i], tb, 1));
		cJSON_Delete(tb);
		tb = sample_trial(&c, &box, i);
		same_c += cJSON_Compare(fwd[i], tb, 1);
		cJSON_Delete(tb);
	}
	CHECK(same_c < 10); /* a different seed gives different trials */
	ta = sample_trial(&a, &box, 7);
	CHECK(cJSON_Compare(ta, fwd[7], 1));
	CHECK(!cJSON_Compare(fwd[7], fwd[8], 1));
	cJSON_Delete(ta);
	for (int i = 0; i < 100; i++)
		cJSON_Delete(fwd[i]);
	sample_box_finish(&box);
	spec_finish(&a);
	spec_finish(&b);
	spec_finish(&c);
}

static int count_distinct(const double *x, int n)
{
	int d = 0;

	for (int i = 0; i < n; i++) {
		int seen = 0;

		for (int j = 0; j < i; j++)
			seen |= x[j] == x[i];
		d += !seen;
	}
	return d;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void test_grid_vs_random(void)
{
	struct spec g, r;
	double *glr, *geps, *rlr, pts[25];
	int distinct_pts = 0;

	parse_or_fail(&g, "{\"search\": \"grid\", \"params\": {\"lr\": {\"log\": [1e-4, 1]}, "
			  "\"eps\": {\"log\": [1e-10, 1e-6]}}}");
	parse_or_fail(&r, "{\"trials\": 25, \"params\": {\"lr\": {\"log\": [1e-4, 1]}, "
			  "\"eps\": {\"log\": [1e-10, 1e-6]}}}");
	CHECK(g.trials == 25 && sample_grid_size(&g) == 25);
	glr = draw(&g, "lr", 25);
	geps = draw(&g, "eps", 25);
	rlr = draw(&r, "lr", 25);
	for (int i = 0; i < 25; i++) {
		int dup = 0;

		for (int j = 0; j < i; j++)
			dup |= glr[i] == glr[j] && geps[i] == geps[j];
		distinct_pts += !dup;
	}
	CHECK(distinct_pts == 25);
	CHECK(count_distinct(glr, 25) == 5);
	CHECK(count_distinct(geps, 25) == 5);
	CHECK(count_distinct(rlr, 25) == 25);
	/* grid values evenly spaced in log10, endpoints included */
	memcpy(pts, glr, sizeof pts);
	qsort(pts, 25, sizeof *pts, cmp_double);
	CHECK(pts[0] == 1e-4 && pts[24] == 1);
	for (int i = 0; i < 25; i += 5)
		CHECK_NEAR(log10(pts[i]), -4 + i / 5, 1e-12);
	free(glr);
	free(geps);
	free(rlr);
	spec_finish(&g);
	spec_finish(&r);
}

/* A grid's budget: absent, the grid's size (an error past SPEC_MAX_TRIALS);
 * given, at most that. */
static void test_grid_trials(void)
{
	static const char grid[] = "{\"search\": \"grid\", \"params\": {\"lr\": {\"log\": [1e-4, 1]}, "
				   "\"eps\": {\"log\": [1e-10, 1e-6]}}}";
	static const char too_many[] = "{\"search\": \"grid\", \"trials\": 30, \"params\": {\"lr\": "
				       "{\"log\": [1e-4, 1]}, \"eps\": {\"log\": [1e-10, 1e-6]}}}";
	static const char huge[] = "{\"search\": \"grid\", \"points\": 100, \"params\": {"
				   "\"lr\": {\"log\": [1e-4, 1]}, \"eps\": {\"log\": [1e-10, 1e-6]}, "
				   "\"l2\": {\"uniform\": [0, 1]}, \"beta1\": {\"uniform\": [0, 0.9]}}}";
	struct spec s;
	char err[ERRBUF_LEN] = "";

	parse_or_fail(&s, grid);
	CHECK(s.search == SEARCH_GRID && s.trials == 25);
	spec_finish(&s);
	parse_or_fail(&s, "{\"search\": \"grid\", \"points\": 3, \"params\": {\"lr\": {\"log\": "
			  "[1e-4, 1]}, \"optimizer\": {\"choice\": [\"sgd\", \"adam\"]}}}");
	CHECK(s.trials == 6);
	spec_finish(&s);
	/* spec_parse alone leaves a grid's budget to the sampler */
	CHECK(spec_parse_text(&s, grid, strlen(grid), err, sizeof err) == 0 && s.trials == 0);
	spec_finish(&s);
	CHECK(spec_parse_text(&s, too_many, strlen(too_many), err, sizeof err) == 0);
	CHECK(sample_check_grid(&s, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "trials: 30 exceeds the grid's 25 points");
	CHECK(s.params == NULL && s.name == NULL); /* finished, as spec_parse leaves it */
	CHECK(spec_parse_text(&s, huge, strlen(huge), err, sizeof err) == 0);
	CHECK(sample_check_grid(&s, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "search: the grid has 100000000 points, over the 1000000 trial limit");
	spec_finish(&s);
}

static void test_grid_axes(void)
{
	struct spec s;
	double *layers, *units, *beta;

	parse_or_fail(&s, "{\"search\": \"grid\", \"points\": 4, \"params\": {"
			  "\"layers\": {\"int\": [1, 10]}, \"units\": {\"log_int\": [1, 1000]}, "
			  "\"beta\": {\"reverse_log\": [0.9, 0.9999]}, \"batch\": {\"choice\": [16, 32]}}}");
	CHECK(s.trials == 4 * 4 * 4 * 2);
	layers = draw(&s, "layers", s.trials);
	units = draw(&s, "units", s.trials);
	beta = draw(&s, "beta", s.trials);
	qsort(layers, (size_t)s.trials, sizeof *layers, cmp_double);
	qsort(units, (size_t)s.trials, sizeof *units, cmp_double);
	qsort(beta, (size_t)s.trials, sizeof *beta, cmp_double);
	CHECK(count_distinct(layers, s.trials) == 4 && count_distinct(units, s.trials) == 4);
	/* each value appears trials/4 times; sorted, every 32nd is a new one */
	CHECK(layers[0] == 1 && layers[32] == 4 && layers[64] == 7 && layers[96] == 10);
	CHECK(units[0] == 1 && units[32] == 10 && units[64] == 100 && units[96] == 1000);
	CHECK_NEAR(beta[0], 0.9, 1e-12);
	CHECK_NEAR(beta[32], 0.99, 1e-12);
	CHECK_NEAR(beta[64], 0.999, 1e-12);
	CHECK_NEAR(beta[96], 0.9999, 1e-12);
	free(layers);
	free(units);
	free(beta);
	spec_finish(&s);

	/* small integer range: fewer distinct points than `points` */
	parse_or_fail(&s, "{\"search\": \"grid\", \"params\": {\"layers\": {\"int\": [1, 3]}}}");
	CHECK(s.trials == 3 && sample_grid_size(&s) == 3);
	spec_finish(&s);
}

static void test_grid_partial_and_conditional(void)
{
	struct spec s;
	double *lr, *eps;
	int in_order = 1, n_mom = 0;

	parse_or_fail(&s, "{\"search\": \"grid\", \"trials\": 10, \"seed\": 9, \"params\": {"
			  "\"lr\": {\"log\": [1e-4, 1]}, \"eps\": {\"log\": [1e-10, 1e-6]}}}");
	lr = draw(&s, "lr", 10);
	eps = draw(&s, "eps", 10);
	for (int i = 0; i < 10; i++) {
		for (int j = 0; j < i; j++)
			CHECK(!(lr[i] == lr[j] && eps[i] == eps[j]));
		in_order &= lr[i] == (i < 5 ? 1e-4 : 1e-3);
	}
	CHECK(!in_order); /* a permutation spreads a partial grid over the whole grid */
	CHECK(count_distinct(lr, 10) >= 3);
	free(lr);
	free(eps);
	spec_finish(&s);

	/* beta exists only with momentum: 5 (sgd) + 5x5 (momentum) distinct points */
	parse_or_fail(&s, "{\"search\": \"grid\", \"params\": {"
			  "\"optimizer\": {\"choice\": [\"sgd\", \"momentum\"]},"
			  "\"lr\": {\"log\": [1e-4, 1]},"
			  "\"beta\": {\"reverse_log\": [0.9, 0.999], \"when\": {\"optimizer\": \"momentum\"}}}}");
	CHECK(s.trials == 30 && sample_grid_size(&s) == 30);
	cJSON *all[30];
	for (int i = 0; i < 30; i++) {
		const char *opt;

		all[i] = sample_trial(&s, NULL, i);
		opt = cJSON_GetStringValue(cJSON_GetObjectItem(all[i], "optimizer"));
		CHECK((cJSON_GetObjectItem(all[i], "beta") != NULL) == !strcmp(opt, "momentum"));
		n_mom += !strcmp(opt, "momentum");
		for (int j = 0; j < i; j++)
			CHECK(!cJSON_Compare(all[i], all[j], 1));
	}
	CHECK(n_mom == 25);
	for (int i = 0; i < 30; i++)
		cJSON_Delete(all[i]);
	spec_finish(&s);
}

/* Points of n trials of spec text, each param mapped back to [0,1) linearly. */
static double *unit_points(const char *text, int n, int d)
{
	static const char *const names[] = {"l2", "lr_decay", "dropout", "bn_momentum", "beta1"};
	static const double width[] = {1, 1, 0.9, 0.9, 0.9};
	double *pts = calloc((size_t)(n * d), sizeof *pts);
	struct spec s;

	parse_or_fail(&s, text);
	for (int i = 0; i < n; i++) {
		cJSON *t = sample_trial(&s, NULL, i);

		for (int k = 0; k < d; k++)
			pts[i * d + k] = num(t, names[k]) / width[k];
		cJSON_Delete(t);
	}
	spec_finish(&s);
	return pts;
}

static void test_sobol_discrepancy(void)
{
	static const char *const params[] = {
		"\"l2\": {\"uniform\": [0, 1]}, \"lr_decay\": {\"uniform\": [0, 1]}",
		"\"l2\": {\"uniform\": [0, 1]}, \"lr_decay\": {\"uniform\": [0, 1]}, "
		"\"dropout\": {\"uniform\": [0, 0.9]}, \"bn_momentum\": {\"uniform\": [0, 0.9]}, "
		"\"beta1\": {\"uniform\": [0, 0.9]}",
	};
	static const int dims[] = {2, 5};

	for (int k = 0; k < 2; k++) {
		double sob = 0, rnd = 0;

		for (int seed = 1; seed <= 5; seed++) {
			char text[1024];
			double *p;

			snprintf(text, sizeof text, "{\"search\": \"sobol\", \"trials\": 256, \"seed\": %d, "
				 "\"params\": {%s}}", seed, params[k]);
			p = unit_points(text, 256, dims[k]);
			sob += sample_l2_discrepancy(p, 256, dims[k]);
			free(p);
			snprintf(text, sizeof text, "{\"trials\": 256, \"seed\": %d, \"params\": {%s}}",
				 seed, params[k]);
			p = unit_points(text, 256, dims[k]);
			rnd += sample_l2_discrepancy(p, 256, dims[k]);
			free(p);
		}
		printf("  d=%d: L2-star discrepancy sobol %.5f, random %.5f\n", dims[k], sob / 5,
		       rnd / 5);
		CHECK(sob < 0.7 * rnd);
	}
}

static void test_discrepancy_reference(void)
{
	/* one point at the origin of [0,1): D^2 = 1/3 - 1 + 1 = 1/3 in 1-D */
	double origin = 0, mid = 0.5, pair[2] = {0.25, 0.75};

	CHECK_NEAR(sample_l2_discrepancy(&origin, 1, 1), sqrt(1.0 / 3), 1e-12);
	/* x = 0.5: 1/3 - (1 - 0.25) + 0.5 = 1/12 */
	CHECK_NEAR(sample_l2_discrepancy(&mid, 1, 1), sqrt(1.0 / 12), 1e-12);
	CHECK(sample_l2_discrepancy(pair, 2, 1) < sample_l2_discrepancy(&origin, 1, 1));
}

/* ---- coarse to fine ---- */

static const char narrow_spec[] =
	"{\"search\": \"coarse_to_fine\", \"trials\": 120, \"rounds\": 3, \"seed\": %d, "
	"\"objective\": {\"metric\": \"q\", \"mode\": \"%s\"}, \"params\": {"
	"\"lr\": {\"log\": [1e-5, 1]}, \"beta\": {\"reverse_log\": [0.5, 0.999]},"
	"\"layers\": {\"int\": [1, 9]}, \"units\": {\"log_int\": [1, 1024]},"
	"\"dropout\": {\"uniform\": [0, 0.5]}, \"optimizer\": {\"choice\": [\"sgd\", \"adam\"]}}}";

static double scale(enum param_kind k, double x)
{
	if (k == PARAM_LOG || k == PARAM_LOG_INT)
		return log10(x);
	if (k == PARAM_REVERSE_LOG)
		return log10(1 - x);
	return x;
}

static double width(const struct spec *s, const struct sample_box *b, int k)
{
	enum param_kind kind = s->params[k].kind;

	return fabs(scale(kind, b->hi[k]) - scale(kind, b->lo[k]));
}

/* A made-up objective: distance to a point, in each param's scale. */
static double made_up(const cJSON *t)
{
	return fabs(log10(num(t, "lr")) + 4.9) + fabs(log10(1 - num(t, "beta")) + 2.9) +
	       fabs(num(t, "layers") - 8) / 3 + fabs(log10(num(t, "units")) - 0.5) +
	       fabs(num(t, "dropout") - 0.45);
}

static void check_narrow(const struct spec *s, const struct sample_box *prev,
			 const struct sample_box *next, const cJSON *best)
{
	for (int k = 0; k < s->n_params; k++) {
		const struct spec_param *p = &s->params[k];
		double v;

		if (p->kind == PARAM_CHOICE)
			continue;
		v = num(best, p->name);
		CHECK(next->lo[k] <= v && v <= next->hi[k]);
		CHECK(next->lo[k] >= p->lo && next->hi[k] <= p->hi);
		CHECK(width(s, next, k) <= s->shrink * width(s, prev, k) * (1 + 1e-9) + 1e-12);
		if (p->kind == PARAM_INT || p->kind == PARAM_LOG_INT)
			CHECK(next->lo[k] == floor(next->lo[k]) && next->hi[k] == floor(next->hi[k]) &&
			      next->lo[k] <= next->hi[k]);
	}
}

static void test_narrow(void)
{
	for (int mode = 0; mode < 2; mode++) {
		struct spec s;
		struct sample_box prev, next;
		char text[1024], err[ERRBUF_LEN] = "";
		int number = 0;

		snprintf(text, sizeof text, narrow_spec, 5, mode ? "max" : "min");
		parse_or_fail(&s, text);
		sample_box_init(&prev, &s);
		for (int round = 0; round < 6; round++) {
			cJSON *t[40];
			double q[40];
			int best = 0;

			for (int i = 0; i < 40; i++) {
				t[i] = sample_trial(&s, &prev, number++);
				q[i] = mode ? -made_up(t[i]) : made_up(t[i]);
				if (i % 7 == 3)
					q[i] = NAN; /* trials without a result are ignored */
				if (!isnan(q[i]) && (isnan(q[best]) || (mode ? q[i] > q[best] : q[i] < q[best])))
					best = i;
			}
			CHECK(sample_narrow(&s, &prev, (const cJSON *const *)t, q, 40, &next, err,
					    sizeof err) == 0);
			check_narrow(&s, &prev, &next, t[best]);
			for (int i = 0; i < 40; i++)
				cJSON_Delete(t[i]);
			sample_box_finish(&prev);
			prev = next;
		}
		/* after 6 rounds at shrink 0.5, lr's range is at most 5/64 decades wide and
		 * sits near the made-up optimum at the spec's lower edge */
		int lr = spec_param_index(&s, "lr"), layers = spec_param_index(&s, "layers");
		CHECK(width(&s, &prev, lr) <= 5.0 / 64 + 1e-9);
		CHECK(prev.lo[lr] >= 1e-5 && prev.hi[lr] < 1e-4);
		CHECK(prev.lo[layers] <= prev.hi[layers]);
		sample_box_finish(&prev);
		spec_finish(&s);
	}
}

static void test_narrow_errors_and_box_json(void)
{
	struct spec s;
	struct sample_box box, back, next;
	char text[1024], err[ERRBUF_LEN] = "";
	cJSON *t = NULL, *j, *bad;
	double q = NAN;

	snprintf(text, sizeof text, narrow_spec, 1, "min");
	parse_or_fail(&s, text);
	sample_box_init(&box, &s);
	t = sample_trial(&s, &box, 0);
	CHECK(sample_narrow(&s, &box, (const cJSON *const *)&t, &q, 1, &next, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "no trial");
	sample_box_finish(&next);
	q = 1;
	CHECK(sample_narrow(&s, &box, (const cJSON *const *)&t, &q, 1, &next, err, sizeof err) == 0);

	/* round trip, exactly */
	j = sample_box_to_json(&next, &s);
	CHECK(cJSON_GetArraySize(j) == 6); /* the choice: the one value its kept trial used */
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "lr"), "log")));
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "beta"), "reverse_log")));
	{
		char *txt = cJSON_PrintUnformatted(j);
		cJSON *parsed = cJSON_Parse(txt);

		CHECK(sample_box_from_json(&back, &s, parsed, err, sizeof err) == 0);
		for (int k = 0; k < s.n_params; k++)
			if (s.params[k].kind != PARAM_CHOICE)
				CHECK(back.lo[k] == next.lo[k] && back.hi[k] == next.hi[k]);
			else
				CHECK(back.excluded[k] == next.excluded[k]);
		sample_box_finish(&back);
		cJSON_Delete(parsed);
		free(txt);
	}
	/* errors name the box path */
	bad = cJSON_Duplicate(j, 1);
	cJSON_DeleteItemFromObject(bad, "units");
	CHECK(sample_box_from_json(&back, &s, bad, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "box.units: missing");
	cJSON_Delete(bad);
	bad = cJSON_Parse("{\"lr\": {\"log\": [1e-6, 1e-3]}}");
	CHECK(sample_box_from_json(&back, &s, bad, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "box.lr");
	cJSON_Delete(bad);
	bad = cJSON_Duplicate(j, 1);
	cJSON_ReplaceItemInObject(bad, "lr", cJSON_Parse("{\"uniform\": [0.001, 0.01]}"));
	CHECK(sample_box_from_json(&back, &s, bad, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "box.lr: expected {\"log\": [lo, hi]}");
	cJSON_Delete(bad);
	bad = cJSON_Duplicate(j, 1);
	cJSON_DeleteItemFromObject(bad, "optimizer");
	cJSON_AddItemToObject(bad, "optimizer", cJSON_Parse("{\"choice\": [1, 2]}"));
	CHECK(sample_box_from_json(&back, &s, bad, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "box.optimizer");
	cJSON_Delete(bad);
	sample_box_finish(&back);

	cJSON_Delete(j);
	cJSON_Delete(t);
	sample_box_finish(&next);
	sample_box_finish(&box);
	spec_finish(&s);
}

static void test_rounds(void)
{
	struct spec s;

	parse_or_fail(&s, "{\"search\": \"coarse_to_fine\", \"trials\": 10, \"rounds\": 3}");
	CHECK(sample_rounds(&s) == 3);
	CHECK(sample_round_size(&s, 0) == 4 && sample_round_size(&s, 1) == 3 &&
	      sample_round_size(&s, 2) == 3 && sample_round_size(&s, 3) == 0);
	spec_finish(&s);
	parse_or_fail(&s, "{\"trials\": 10}");
	CHECK(sample_rounds(&s) == 1 && sample_round_size(&s, 0) == 10 &&
	      sample_round_size(&s, 1) == 0);
	spec_finish(&s);
}

/* The worker's "narrow" task, to be minimised: a narrow dip in lr at 10^-3.3,
 * a gentle bowl in beta's reverse-log scale at 0.9. */
static double narrow_q(const cJSON *t)
{
	double a = (log10(num(t, "lr")) + 3.3) / 0.08, b = log10(1 - num(t, "beta")) + 1;

	return 1 - exp(-a * a) + 0.1 * b * b;
}

/* Best q found by a whole sweep of spec text, rounds simulated in-process. */
static double run_sweep(const char *text, double (*objective)(const cJSON *))
{
	struct spec s;
	struct sample_box box, next;
	char err[ERRBUF_LEN];
	double best = DBL_MAX;
	int number = 0;

	parse_or_fail(&s, text);
	sample_box_init(&box, &s);
	for (int r = 0; r < sample_rounds(&s); r++) {
		int n = sample_round_size(&s, r);
		cJSON **t = calloc((size_t)n, sizeof *t);
		double *q = calloc((size_t)n, sizeof *q);

		for (int i = 0; i < n; i++) {
			t[i] = sample_trial(&s, &box, number++);
			q[i] = objective(t[i]);
			best = fmin(best, q[i]);
		}
		if (r + 1 < sample_rounds(&s)) {
			CHECK(sample_narrow(&s, &box, (const cJSON *const *)t, q, n, &next, err,
					    sizeof err) == 0);
			sample_box_finish(&box);
			box = next;
		}
		for (int i = 0; i < n; i++)
			cJSON_Delete(t[i]);
		free(t);
		free(q);
	}
	sample_box_finish(&box);
	spec_finish(&s);
	return best;
}

static void test_coarse_to_fine_beats_random(void)
{
	static const char params[] = "\"objective\": {\"metric\": \"q\", \"mode\": \"min\"}, "
				     "\"params\": {\"lr\": {\"log\": [1e-5, 1]}, "
				     "\"beta\": {\"reverse_log\": [0.5, 0.999]}}}";
	double c2f = 0, rnd = 0;
	int wins = 0;

	for (int seed = 1; seed <= 20; seed++) {
		char text[1024];
		double a, b;

		snprintf(text, sizeof text, "{\"search\": \"coarse_to_fine\", \"trials\": 60, "
			 "\"rounds\": 3, \"seed\": %d, %s", seed, params);
		a = run_sweep(text, narrow_q);
		snprintf(text, sizeof text, "{\"trials\": 60, \"seed\": %d, %s", seed, params);
		b = run_sweep(text, narrow_q);
		c2f += a / 20;
		rnd += b / 20;
		wins += a <= b;
	}
	printf("  narrow task, 60 trials: mean best coarse_to_fine %.4f, random %.4f; "
	       "c2f at least as good in %d/20\n", c2f, rnd, wins);
	CHECK(c2f < rnd);
}

/* The worker's "bowl" task: lr matters, eps barely. */
static double bowl_q(const cJSON *t)
{
	double a = log10(num(t, "lr")) + 2.5, b = log10(num(t, "eps")) + 8;

	return a * a + 0.001 * b * b;
}

/* coarse_to_fine: a choice narrows to the values its kept trials used; the
 * next round samples only those, and the box records and reads them back. */
static void test_narrow_choice(void)
{
	struct spec s;
	struct sample_box prev, next, back;
	cJSON *t[8], *json;
	double v[8];
	char err[256];

	parse_or_fail(&s, "{\"search\": \"coarse_to_fine\", \"trials\": 30,"
			  " \"objective\": {\"metric\": \"val_loss\", \"mode\": \"min\"},"
			  " \"params\": {\"optimizer\": {\"choice\": [\"sgd\", \"momentum\", \"adam\"]},"
			  " \"lr\": {\"log\": [1e-4, 1]}}}");
	sample_box_init(&prev, &s);
	for (int i = 0; i < 8; i++) {
		t[i] = sample_trial(&s, &prev, i);
		/* adam is best, sgd worst */
		v[i] = strcmp(cJSON_GetObjectItem(t[i], "optimizer")->valuestring, "adam") == 0 ? 0 : 1 + i;
	}
	CHECK(sample_narrow(&s, &prev, (const cJSON *const *)t, v, 8, &next, err, sizeof err) == 0);
	for (int i = 8; i < 40; i++) {
		cJSON *p = sample_trial(&s, &next, i);

		CHECK_STR(cJSON_GetObjectItem(p, "optimizer")->valuestring, "adam");
		cJSON_Delete(p);
	}
	json = sample_box_to_json(&next, &s);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(json, "optimizer"),
						     "choice")) == 1);
	CHECK(sample_box_from_json(&back, &s, json, err, sizeof err) == 0);
	CHECK(back.excluded[0] == next.excluded[0] && back.excluded[0] != 0);
	cJSON_Delete(json);
	sample_box_finish(&back);
	for (int i = 0; i < 8; i++)
		cJSON_Delete(t[i]);
	sample_box_finish(&prev);
	sample_box_finish(&next);
	spec_finish(&s);
}

static void test_random_beats_grid(void)
{
	static const char params[] = "\"objective\": {\"metric\": \"q\", \"mode\": \"min\"}, "
				     "\"params\": {\"lr\": {\"log\": [1e-6, 1]}, "
				     "\"eps\": {\"log\": [1e-10, 1e-6]}}}";
	double grid = 0, rnd = 0;
	int wins = 0;

	for (int seed = 1; seed <= 50; seed++) {
		char text[1024];
		double a, b;

		snprintf(text, sizeof text, "{\"search\": \"grid\", \"seed\": %d, %s", seed, params);
		a = run_sweep(text, bowl_q);
		snprintf(text, sizeof text, "{\"trials\": 25, \"seed\": %d, %s", seed, params);
		b = run_sweep(text, bowl_q);
		grid += a / 50;
		rnd += b / 50;
		wins += b <= a;
	}
	printf("  bowl task, 25 trials: mean best random %.4f, grid %.4f; random at least as "
	       "good in %d/50\n", rnd, grid, wins);
	CHECK(wins > 25);
	CHECK(rnd <= grid);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"narrow_choice", test_narrow_choice},
		{"log_decades", test_log_decades},
		{"reverse_log_halves", test_reverse_log_halves},
		{"log_int_octaves", test_log_int_octaves},
		{"int_choice_uniform", test_int_choice_uniform},
		{"conditions", test_conditions},
		{"reproducible", test_reproducible},
		{"grid_vs_random", test_grid_vs_random},
		{"grid_trials", test_grid_trials},
		{"grid_axes", test_grid_axes},
		{"grid_partial_and_conditional", test_grid_partial_and_conditional},
		{"discrepancy_reference", test_discrepancy_reference},
		{"sobol_discrepancy", test_sobol_discrepancy},
		{"narrow", test_narrow},
		{"narrow_errors_and_box_json", test_narrow_errors_and_box_json},
		{"rounds", test_rounds},
		{"coarse_to_fine_beats_random", test_coarse_to_fine_beats_random},
		{"random_beats_grid", test_random_beats_grid},
		{0},
	};

	return test_main(argc, argv, cases);
}
