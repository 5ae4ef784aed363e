/* test_tpe: the Parzen estimators (densities integrate to one in the internal
 * coordinate, truncation at the bounds, the choice prior), conditional
 * params, the constant liar, determinism and the startup points, and the
 * history's order by value. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "spec.h"
#include "test.h"
#include "tpe.h"

static void parse(struct spec *s, const char *text)
{
	char err[512] = "";

	if (spec_parse_text(s, text, strlen(text), err, sizeof err) < 0)
		fprintf(stderr, "spec: %s\n", err);
	CHECK(err[0] == '\0');
}

static void test_integrates_to_one(void)
{
	static const double obs[] = {0.1, 0.5, 0.52, 0.9, 0.3, 0.0, 1.0};
	struct tpe_pe pe;
	double sum = 0, n = 200000, mass = 0;

	tpe_pe_fit(&pe, obs, 7, 0, 1, 0, 1.0);
	for (int i = 0; i < n; i++) /* midpoint rule over [0, 1] */
		sum += exp(tpe_pe_log_pdf(&pe, (i + 0.5) / n)) / n;
	CHECK_NEAR(sum, 1.0, 1e-6);
	tpe_pe_finish(&pe);
	/* An int param: bins of width 1 over [lo - 0.5, hi + 0.5]; masses sum to one. */
	tpe_pe_fit(&pe, (const double[]){2, 2, 3, 7}, 4, 0.5, 8.5, 1, 1.0);
	for (int k = 1; k <= 8; k++)
		mass += exp(tpe_pe_log_pdf(&pe, k));
	CHECK_NEAR(mass, 1.0, 1e-9);
	tpe_pe_finish(&pe);
	/* No observation: the prior alone, truncated. */
	tpe_pe_fit(&pe, NULL, 0, -3, 1, 0, 1.0);
	sum = 0;
	for (int i = 0; i < n; i++)
		sum += 4 * exp(tpe_pe_log_pdf(&pe, -3 + 4 * (i + 0.5) / n)) / n;
	CHECK_NEAR(sum, 1.0, 1e-6);
	tpe_pe_finish(&pe);
}

static void test_bounds_and_bandwidth(void)
{
	struct spec s;
	struct tpe_history h;

	/* Optuna 3.1's sigmas for these five observations: 0.2 0.2 0.38 0.38 0.2
	 * (the prior's 1), in sorted order 0.1 0.3 0.5 0.5(prior) 0.52 0.9. */
	{
		struct tpe_pe pe;
		static const double obs[] = {0.1, 0.5, 0.52, 0.9, 0.3};
		static const double sig[] = {0.2, 0.2, 0.2, 1.0, 0.38, 0.38};

		tpe_pe_fit(&pe, obs, 5, 0, 1, 0, 1.0);
		CHECK(pe.n == 6);
		for (int i = 0; i < 6 && pe.n == 6; i++)
			CHECK_NEAR(pe.sigma[i], sig[i], 1e-12);
		tpe_pe_finish(&pe);
	}
	/* Every suggestion lies inside the bounds, whatever the history. */
	parse(&s, "{\"command\": [\"true\"], \"search\": \"tpe\", \"trials\": 300,"
		  " \"objective\": {\"metric\": \"loss\", \"mode\": \"min\"},"
		  " \"params\": {\"a\": {\"log\": [1e-5, 1]}, \"b\": {\"int\": [1, 4]},"
		  " \"c\": {\"reverse_log\": [0.9, 0.999]}, \"d\": {\"log_int\": [16, 1024]}}}");
	tpe_history_init(&h, s.n_params);
	for (int i = 0; i < 120; i++) {
		cJSON *p = tpe_suggest(&s, &h, i, NULL);
		double a = cJSON_GetObjectItem(p, "a")->valuedouble;
		double b = cJSON_GetObjectItem(p, "b")->valuedouble;
		double c = cJSON_GetObjectItem(p, "c")->valuedouble;
		double d = cJSON_GetObjectItem(p, "d")->valuedouble;

		CHECK(a >= 1e-5 && a <= 1 && b >= 1 && b <= 4 && b == floor(b));
		CHECK(c >= 0.9 && c <= 0.999 && d >= 16 && d <= 1024 && d == floor(d));
		tpe_history_add(&h, &s, i, p);
		/* the best are at the edges: a near 1, c near 0.999 */
		tpe_history_set(&h, i, TPE_DONE, 1, -log10(a) + log10(1 - c));
		cJSON_Delete(p);
	}
	tpe_history_finish(&h);
	spec_finish(&s);
}

static void test_choice_prior(void)
{
	struct spec s;
	struct tpe_history h;
	int counts[3] = {0};

	parse(&s, "{\"command\": [\"true\"], \"search\": \"tpe\", \"trials\": 100,"
		  " \"objective\": {\"metric\": \"loss\", \"mode\": \"min\"},"
		  " \"params\": {\"o\": {\"choice\": [\"a\", \"b\", \"c\"]}}}");
	tpe_history_init(&h, s.n_params);
	/* 20 trials, all "a" and "b"; "b" always best. The prior keeps "c" possible. */
	for (int i = 0; i < 20; i++) {
		cJSON *p = cJSON_Parse(i % 2 ? "{\"o\": \"b\"}" : "{\"o\": \"a\"}");

		tpe_history_add(&h, &s, i, p);
		tpe_history_set(&h, i, TPE_DONE, 1, i % 2 ? 0.0 : 1.0 + i);
		cJSON_Delete(p);
	}
	for (int i = 20; i < 60; i++) {
		cJSON *why = NULL, *p = tpe_suggest(&s, &h, i, &why);
		const char *o = cJSON_GetObjectItem(p, "o")->valuestring;

		counts[o[0] - 'a']++;
		CHECK(cJSON_GetObjectItem(why, "params") != NULL);
		cJSON_Delete(p);
		cJSON_Delete(why);
	}
	/* The bad value "a" is never the best ratio; "c", never seen, stays
	 * possible through the prior (and, rare in g too, wins when drawn). */
	CHECK(counts[0] == 0);
	CHECK(counts[2] > 0);
	CHECK(counts[1] + counts[2] == 40);
	tpe_history_finish(&h);
	spec_finish(&s);
}

static void test_conditional(void)
{
	struct spec s;
	struct tpe_history h;

	parse(&s, "{\"search\": \"tpe\", \"trials\": 100,"
		  " \"objective\": {\"metric\": \"val_loss\", \"mode\": \"min\"},"
		  " \"params\": {\"optimizer\": {\"choice\": [\"sgd\", \"momentum\"]},"
		  " \"beta\": {\"reverse_log\": [0.9, 0.999], \"when\": {\"optimizer\": \"momentum\"}},"
		  " \"lr\": {\"log\": [1e-4, 1]}}}");
	tpe_history_init(&h, s.n_params);
	for (int i = 0; i < 80; i++) {
		cJSON *p = tpe_suggest(&s, &h, i, NULL);
		const char *o = cJSON_GetObjectItem(p, "optimizer")->valuestring;
		int has_beta = cJSON_GetObjectItem(p, "beta") != NULL;

		CHECK(has_beta == (strcmp(o, "momentum") == 0));
		tpe_history_add(&h, &s, i, p);
		CHECK(isnan(h.x[i * h.n_params + spec_param_index(&s, "beta")]) == !has_beta);
		tpe_history_set(&h, i, TPE_DONE, 1,
				fabs(log10(cJSON_GetObjectItem(p, "lr")->valuedouble) + 2));
		cJSON_Delete(p);
	}
	tpe_history_finish(&h);
	spec_finish(&s);
}

/* Mean pairwise distance (in log10 lr) of 6 suggestions made while the
 * earlier ones run, with or without them in the history as liars. */
static double spread(int liars)
{
	struct spec s;
	struct tpe_history h;
	double x[6], d = 0;
	int n = 0;

	parse(&s, "{\"command\": [\"true\"], \"search\": \"tpe\", \"trials\": 100, \"seed\": 3,"
		  " \"objective\": {\"metric\": \"loss\", \"mode\": \"min\"},"
		  " \"params\": {\"lr\": {\"log\": [1e-5, 1]}}}");
	tpe_history_init(&h, s.n_params);
	for (int i = 0; i < 30; i++) {
		cJSON *p = sample_trial(&s, NULL, i);
		double L = log10(cJSON_GetObjectItem(p, "lr")->valuedouble);

		tpe_history_add(&h, &s, i, p);
		tpe_history_set(&h, i, TPE_DONE, 1, (L + 3) * (L + 3));
		cJSON_Delete(p);
	}
	for (int k = 0; k < 6; k++) {
		/* without liars every suggestion sees the same history: same number */
		cJSON *p = tpe_suggest(&s, &h, liars ? 30 + k : 30, NULL);

		x[k] = log10(cJSON_GetObjectItem(p, "lr")->valuedouble);
		if (liars) {
			tpe_history_add(&h, &s, 30 + k, p);
			tpe_history_set(&h, 30 + k, TPE_RUNNING, 0, NAN);
		}
		cJSON_Delete(p);
	}
	for (int a = 0; a < 6; a++)
		for (int b = a + 1; b < 6; b++)
			d += fabs(x[a] - x[b]), n++;
	tpe_history_finish(&h);
	spec_finish(&s);
	return d / n;
}

static void test_constant_liar(void)
{
	double with = spread(1), without = spread(0);

	CHECK(without == 0); /* the same history and number: the same point */
	CHECK(with > 0.05);  /* running trials count as bad: the points spread */
}

static void test_deterministic_and_startup(void)
{
	struct spec s;
	struct tpe_history h;

	parse(&s, "{\"command\": [\"true\"], \"search\": \"tpe\", \"trials\": 50,"
		  " \"tpe\": {\"startup\": 5, \"multivariate\": true},"
		  " \"objective\": {\"metric\": \"loss\", \"mode\": \"max\"},"
		  " \"params\": {\"x\": {\"uniform\": [0, 1]}, \"y\": {\"int\": [1, 9]},"
		  " \"z\": {\"choice\": [1, 2, 3]}}}");
	tpe_history_init(&h, s.n_params);
	for (int i = 0; i < 30; i++) {
		cJSON *why = NULL, *p = tpe_suggest(&s, &h, i, &why), *q = tpe_suggest(&s, &h, i, NULL);
		char *a = cJSON_PrintUnformatted(p), *b = cJSON_PrintUnformatted(q);

		CHECK_STR(a, b);
		if (i < 5) { /* no history: the Sobol points of sample_trial */
			cJSON *t = sample_trial(&s, NULL, i);
			char *c = cJSON_PrintUnformatted(t);

			CHECK_STR(a, c);
			CHECK(cJSON_IsTrue(cJSON_GetObjectItem(why, "startup")));
			free(c);
			cJSON_Delete(t);
		} else {
			CHECK(cJSON_GetObjectItem(why, "joint") != NULL);
		}
		tpe_history_add(&h, &s, i, p);
		tpe_history_set(&h, i, TPE_DONE, 1, cJSON_GetObjectItem(p, "x")->valuedouble);
		free(a);
		free(b);
		cJSON_Delete(p);
		cJSON_Delete(q);
		cJSON_Delete(why);
	}
	tpe_history_finish(&h);
	spec_finish(&s);
}

/* The history keeps each param's trials ordered by value as they come, so
 * that a suggestion need not sort: whatever order trials are added in, and
 * when one is added again with other params, the order is right and the
 * suggestions are those of the history built in order. */
static void test_history_order(void)
{
	struct spec s;
	struct tpe_history a, b;
	cJSON *params[80];

	parse(&s, "{\"command\": [\"true\"], \"search\": \"tpe\", \"trials\": 100,"
		  " \"objective\": {\"metric\": \"loss\", \"mode\": \"min\"},"
		  " \"params\": {\"o\": {\"choice\": [\"a\", \"b\"]},"
		  " \"x\": {\"uniform\": [0, 1]}, \"n\": {\"int\": [1, 4]},"
		  " \"y\": {\"log\": [1e-4, 1], \"when\": {\"o\": \"b\"}}}}");
	tpe_history_init(&a, s.n_params);
	tpe_history_init(&b, s.n_params);
	for (int i = 0; i < 80; i++) /* ints and repeated x values: ties to order */
		params[i] = sample_trial(&s, NULL, i % 50);
	for (int i = 0; i < 80; i++)
		tpe_history_add(&a, &s, i, params[i]);
	for (int i = 79; i >= 0; i--) /* backwards, each first with another's params */
		tpe_history_add(&b, &s, i, params[(i * 7 + 3) % 80]);
	for (int i = 0; i < 80; i += 3)
		tpe_history_add(&b, &s, i, params[i]);
	for (int i = 79; i >= 0; i--)
		if (i % 3)
			tpe_history_add(&b, &s, i, params[i]);
	for (int i = 0; i < 80; i++) {
		double v = cJSON_GetObjectItem(params[i], "x")->valuedouble;

		tpe_history_set(&a, i, i % 9 ? TPE_DONE : TPE_PRUNED, 1 + i % 3, v);
		tpe_history_set(&b, i, i % 9 ? TPE_DONE : TPE_PRUNED, 1 + i % 3, v);
	}
	for (int k = 0; k < s.n_params; k++) {
		CHECK(a.n_by_x[k] == b.n_by_x[k]);
		for (int j = 0; j < a.n_by_x[k]; j++) {
			CHECK(a.by_x[k][j] == b.by_x[k][j]);
			if (j > 0) {
				double x0 = a.x[a.by_x[k][j - 1] * s.n_params + k];
				double x1 = a.x[a.by_x[k][j] * s.n_params + k];

				CHECK(x0 < x1 || (x0 == x1 && a.by_x[k][j - 1] < a.by_x[k][j]));
			}
		}
	}
	CHECK(a.n_by_x[3] > 0 && a.n_by_x[3] < 80); /* y: only where o is "b" */
	for (int n = 80; n < 90; n++) {
		cJSON *p = tpe_suggest(&s, &a, n, NULL), *q = tpe_suggest(&s, &b, n, NULL);
		char *ta = cJSON_PrintUnformatted(p), *tb = cJSON_PrintUnformatted(q);

		CHECK_STR(ta, tb);
		free(ta);
		free(tb);
		cJSON_Delete(p);
		cJSON_Delete(q);
	}
	for (int i = 0; i < 80; i++)
		cJSON_Delete(params[i]);
	tpe_history_finish(&a);
	tpe_history_finish(&b);
	spec_finish(&s);
}

static void test_weights(void)
{
	double w[30];

	tpe_weights(w, 10);
	CHECK(w[0] == 1 && w[9] == 1);
	tpe_weights(w, 30); /* linspace(1/30, 1, 5), then 25 ones */
	CHECK_NEAR(w[0], 1.0 / 30, 1e-15);
	CHECK_NEAR(w[4], 1.0, 1e-15);
	CHECK_NEAR(w[2], (1.0 / 30 + 1) / 2, 1e-15);
	CHECK(w[29] == 1);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"integrates_to_one", test_integrates_to_one},
		{"bounds_and_bandwidth", test_bounds_and_bandwidth},
		{"choice_prior", test_choice_prior},
		{"conditional", test_conditional},
		{"constant_liar", test_constant_liar},
		{"deterministic_and_startup", test_deterministic_and_startup},
		{"history_order", test_history_order},
		{"weights", test_weights},
		{NULL, NULL},
	};

	return test_main(argc, argv, cases);
}
