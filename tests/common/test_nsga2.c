/* test_nsga2: SBX and polynomial mutation stay in the unit cube and spread as
 * their index says; the unit-cube mapping round-trips every kind; the parents
 * are the elite (front first, infeasible trials last); the children respect
 * each param's kind; the same history gives the same trial; on ZDT1 the
 * search reaches a larger hypervolume than its own Sobol' points; and tpe,
 * its good trials weighing half by their hypervolume contributions (the
 * default), goes further than with Optuna's weights, all by them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nsga2.h"
#include "pareto.h"
#include "rng.h"
#include "sample.h"
#include "search.h"
#include "spec.h"
#include "test.h"
#include "testfn.h"
#include "tpe.h"

static void parse(struct spec *s, const char *text)
{
	char err[512] = "";

	if (spec_parse_text(s, text, strlen(text), err, sizeof err) < 0)
		fprintf(stderr, "spec: %s\n", err);
	CHECK(err[0] == '\0');
}

static void test_operators(void)
{
	struct rng r;
	double d20 = 0, d200 = 0, mean = 0;
	int n = 20000, inside = 1;

	rng_seed(&r, 1);
	for (int i = 0; i < n; i++) {
		double c1, c2, m;

		nsga2_sbx(0.3, 0.6, 20, &r, &c1, &c2);
		inside &= c1 >= 0 && c1 <= 1 && c2 >= 0 && c2 <= 1;
		d20 += fmin(fabs(c1 - 0.3), fabs(c1 - 0.6)) / n;
		nsga2_sbx(0.3, 0.6, 200, &r, &c1, &c2);
		d200 += fmin(fabs(c1 - 0.3), fabs(c1 - 0.6)) / n;
		nsga2_sbx(0.0, 1.0, 20, &r, &c1, &c2);
		inside &= c1 >= 0 && c1 <= 1;
		m = nsga2_mutate(0.5, 20, &r);
		inside &= m >= 0 && m <= 1 && nsga2_mutate(0, 20, &r) >= 0 &&
			  nsga2_mutate(1, 20, &r) <= 1;
		mean += m / n;
	}
	CHECK(inside);
	CHECK(d200 < d20 / 2 && d20 < 0.05); /* a larger index: children nearer */
	CHECK_NEAR(mean, 0.5, 2e-3);          /* mutation at the middle: symmetric */
	CHECK(nsga2_mutate(0.4, 1e6, &r) > 0.39 && nsga2_mutate(0.4, 1e6, &r) < 0.41);
}

/* Every kind's value survives unit_of then value_at. */
static void test_unit_round_trip(void)
{
	struct spec s;
	struct tpe_history h;
	cJSON *p = cJSON_Parse("{\"a\": 0.37, \"b\": 7, \"c\": 0.003, \"d\": 40, \"e\": 0.99, "
			       "\"f\": \"y\"}");

	parse(&s, "{\"command\": [\"t\", \"{a}\", \"{b}\", \"{c}\", \"{d}\", \"{e}\", \"{f}\"], "
		  "\"params\": {\"a\": {\"uniform\": [0, 1]}, \"b\": {\"int\": [2, 9]}, "
		  "\"c\": {\"log\": [1e-4, 1]}, \"d\": {\"log_int\": [1, 1000]}, "
		  "\"e\": {\"reverse_log\": [0.9, 0.9999]}, "
		  "\"f\": {\"choice\": [\"x\", \"y\", \"z\"]}}}");
	tpe_history_init(&h, s.n_params);
	tpe_history_add(&h, &s, 0, p);
	for (int k = 0; k < s.n_params; k++) {
		double u = sample_unit_of(&s.params[k], h.x[k]);
		cJSON *v = sample_value_at(&s.params[k], u);

		CHECK(u > 0 && u < 1);
		if (cJSON_IsNumber(v))
			CHECK_NEAR(v->valuedouble,
				   cJSON_GetObjectItemCaseSensitive(p, s.params[k].name)->valuedouble,
				   1e-12);
		else
			CHECK(cJSON_Compare(v, cJSON_GetObjectItemCaseSensitive(p, "f"), 1));
		cJSON_Delete(v);
	}
	CHECK(isnan(sample_unit_of(&s.params[0], NAN)));
	tpe_history_finish(&h);
	cJSON_Delete(p);
	spec_finish(&s);
}

#define BI "\"objectives\": [{\"metric\": \"f1\", \"mode\": \"min\"}, " \
	   "{\"metric\": \"f2\", \"mode\": \"min\"}]"

/* Trial i reports f1, f2 = g[0], g[1] and lat. */
static void report(struct tpe_history *h, const struct spec *s, int i, const double *g,
		   double lat)
{
	tpe_history_set(h, i, TPE_DONE, 1, g[0]);
	tpe_history_note(h, s, i, "f1", g[0]);
	tpe_history_note(h, s, i, "f2", g[1]);
	tpe_history_note(h, s, i, "lat", lat);
}

/* Eight done trials of a population of 4: the even ones form the front (the
 * odd ones are each dominated); with infeasible set, the even ones violate
 * the constraint lat <= 0.5. */
static void elite_history(struct tpe_history *h, const struct spec *s, int infeasible)
{
	tpe_history_init_goals(h, s);
	for (int i = 0; i < 8; i++) {
		cJSON *p = cJSON_CreateObject();
		double g[2] = {i / 8.0, 1 - i / 8.0};

		if (i % 2)
			g[0] += 0.2, g[1] += 0.2;
		cJSON_AddNumberToObject(p, "x", i / 8.0);
		tpe_history_add(h, s, i, p);
		report(h, s, i, g, infeasible && i % 2 == 0 ? 1.0 : 0);
		cJSON_Delete(p);
	}
}

static void test_parents_are_elite(void)
{
	struct spec s;
	struct tpe_history h;

	parse(&s, "{\"search\": \"nsga2\", \"nsga2\": {\"population\": 4}, " BI ", "
		  "\"constraints\": [{\"metric\": \"lat\", \"max\": 0.5}], "
		  "\"command\": [\"t\", \"{x}\"], \"params\": {\"x\": {\"uniform\": [0, 1]}}}");
	for (int infeasible = 0; infeasible < 2; infeasible++) {
		elite_history(&h, &s, infeasible);
		for (int number = 8; number < 40; number++) {
			cJSON *why = NULL, *t = nsga2_suggest(&s, &h, number, &why);
			const cJSON *pa = cJSON_GetObjectItemCaseSensitive(why, "parents");

			CHECK(cJSON_GetArraySize(pa) == 2);
			for (int j = 0; j < 2; j++)
				CHECK((int)cJSON_GetArrayItem(pa, j)->valuedouble % 2 == infeasible);
			CHECK(cJSON_GetObjectItemCaseSensitive(why, "front")->valuedouble == 4);
			CHECK(tpe_history_violation(&h, &s, 0) == (infeasible ? 0.5 : 0));
			cJSON_Delete(t);
			cJSON_Delete(why);
		}
		tpe_history_finish(&h);
	}
	spec_finish(&s);
}

/* Generation 0 is Sobol's; later children are valid values of every kind,
 * and the same history gives the same child. */
static void test_children(void)
{
	struct spec s;
	struct tpe_history h;
	cJSON *a, *b, *t;

	parse(&s, "{\"search\": \"nsga2\", \"nsga2\": {\"population\": 4}, " BI ", "
		  "\"command\": [\"t\", \"{x}\", \"{n}\", \"{c}\"], \"params\": {"
		  "\"x\": {\"uniform\": [0, 1]}, \"n\": {\"int\": [1, 5]}, "
		  "\"c\": {\"choice\": [\"p\", \"q\"]}}}");
	tpe_history_init_goals(&h, &s);
	a = nsga2_suggest(&s, &h, 2, NULL);
	b = sample_trial(&s, NULL, 2);
	CHECK(cJSON_Compare(a, b, 1));
	cJSON_Delete(a);
	cJSON_Delete(b);
	for (int i = 0; i < 8; i++) {
		double g[2];

		t = sample_trial(&s, NULL, i);
		g[0] = cJSON_GetObjectItemCaseSensitive(t, "x")->valuedouble;
		g[1] = 1 - g[0] + cJSON_GetObjectItemCaseSensitive(t, "n")->valuedouble;
		tpe_history_add(&h, &s, i, t);
		report(&h, &s, i, g, 0);
		cJSON_Delete(t);
	}
	for (int number = 8; number < 60; number++) {
		const cJSON *n, *c;

		a = nsga2_suggest(&s, &h, number, NULL);
		b = nsga2_suggest(&s, &h, number, NULL);
		CHECK(cJSON_Compare(a, b, 1));
		n = cJSON_GetObjectItemCaseSensitive(a, "n");
		c = cJSON_GetObjectItemCaseSensitive(a, "c");
		CHECK(n && n->valuedouble == round(n->valuedouble) && n->valuedouble >= 1 &&
		      n->valuedouble <= 5);
		CHECK(cJSON_IsString(c) && (strcmp(c->valuestring, "p") == 0 ||
					    strcmp(c->valuestring, "q") == 0));
		cJSON_Delete(a);
		cJSON_Delete(b);
	}
	tpe_history_finish(&h);
	spec_finish(&s);
}

/* The hypervolume of ZDT function fname (in f1, f2) after `trials` trials of
 * search (its propose; "sobol": its points alone) with the spec's seed and
 * the keys in more (the objectives, options), each trial finishing before
 * the next. */
static double zdt_hv(const char *fname, const char *search, const char *more, int seed,
		     int trials)
{
	const struct testfn_mo *fn = testfn_mo_find(fname);
	char text[1024];
	struct spec s;
	struct tpe_history h;
	double *v = xcalloc((size_t)trials * 2, sizeof *v), hv;
	const enum pareto_sense sense[2] = {PARETO_MIN, PARETO_MIN};

	snprintf(text, sizeof text, "{\"search\": \"%s\", \"seed\": %d, %s, "
		 "\"command\": [\"t\", \"{x1}\"], \"params\": %s}", search, seed, more, fn->space);
	parse(&s, text);
	tpe_history_init_goals(&h, &s);
	for (int i = 0; i < trials; i++) {
		cJSON *t = search_of(&s)->propose ? search_of(&s)->propose(&s, &h, i, NULL)
						  : sample_trial(&s, NULL, i);

		fn->f(t, v + 2 * i);
		tpe_history_add(&h, &s, i, t);
		report(&h, &s, i, v + 2 * i, 0);
		cJSON_Delete(t);
	}
	hv = pareto_hypervolume(v, (size_t)trials, 2, sense, fn->ref);
	tpe_history_finish(&h);
	spec_finish(&s);
	free(v);
	return hv;
}

/* nsga2 and tpe over both objectives against Sobol' points and against
 * tpe over f1 alone, which leaves f2 (the distance g to the front) to chance. */
static void test_zdt1(void)
{
	const char *f1 = "\"objective\": {\"metric\": \"f1\", \"mode\": \"min\"}";
	double bred = zdt_hv("zdt1", "nsga2", BI, 3, 200), sobol = zdt_hv("zdt1", "sobol", BI, 3, 200);
	double tpe = zdt_hv("zdt1", "tpe", BI, 3, 200), tpe1 = zdt_hv("zdt1", "tpe", f1, 3, 200);

	fprintf(stderr, "zdt1, 200 trials: hv nsga2 %.4f, tpe %.4f, tpe on f1 %.4f, sobol %.4f "
		"(front %.4f)\n", bred, tpe, tpe1, sobol, testfn_mo_find("zdt1")->hv);
	CHECK(bred > 4 * sobol);
	CHECK(tpe > 4 * sobol && tpe > 2 * tpe1);
}

/* ZDT2's front is reached only with g (x2..x5) near 0 all at once: in 200
 * trials of seeds 1-8, tpe by default (hypervolume_weight 0.5) gets into
 * the reference box more often than with Optuna's weights (1), whose
 * largest go to the extremes of the good set (common/tpe.c: goals_weights).
 * bench/run row 12 measures it over 20 seeds and four functions. Fixed
 * seeds: deterministic. */
static void test_tpe_hypervolume_weight(void)
{
	int half = 0, all = 0;

	for (int seed = 1; seed <= 8; seed++) {
		double h = zdt_hv("zdt2", "tpe", BI, seed, 200);
		double a = zdt_hv("zdt2", "tpe", BI ", \"tpe\": {\"hypervolume_weight\": 1}", seed, 200);

		fprintf(stderr, "zdt2 seed %d, 200 trials: hv %.4f, with Optuna's weights %.4f\n", seed,
			h, a);
		half += h > 0;
		all += a > 0;
	}
	CHECK(half >= 3);
	CHECK(half > all);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"operators", test_operators},
		{"unit_round_trip", test_unit_round_trip},
		{"parents_are_elite", test_parents_are_elite},
		{"children", test_children},
		{"zdt1", test_zdt1},
		{"tpe_hypervolume_weight", test_tpe_hypervolume_weight},
		{0}};
	return test_main(argc, argv, cases);
}
