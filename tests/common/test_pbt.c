/* test_pbt: the PBT rule. Quantiles with ties, NANs and small populations;
 * the explore in each parameter's scale (log, reverse_log, ints rounded and
 * clamped, a choice's neighbours at the ends); resample_probability 0 and 1;
 * conditions following their controller; every value in range over 10,000
 * random decisions; and the same decisions for the same seed. */
#include <stdlib.h>

#include "errbuf.h"
#include "pbt.h"
#include "sample.h"
#include "test.h"

static void parse_or_die(struct spec *s, const char *text)
{
	char err[ERRBUF_LEN] = "";

	if (spec_parse_text(s, text, strlen(text), err, sizeof err) != 0) {
		fprintf(stderr, "spec rejected: %s\n  %s\n", err, text);
		exit(1);
	}
}

/* A command trial's spec: every sampled parameter is explored. */
static const char cmd_spec[] =
	"{\"search\": \"pbt\", \"command\": [\"t\"], \"seed\": 5,"
	" \"pbt\": {\"population\": 8, \"interval\": 1, \"resample_probability\": %s},"
	" \"params\": {\"lr\": {\"log\": [1e-4, 1]}, \"beta\": {\"reverse_log\": [0.9, 0.999]},"
	" \"x\": {\"uniform\": [-2, 3]}, \"n\": {\"int\": [1, 100]},"
	" \"units\": {\"log_int\": [8, 512]}, \"opt\": {\"choice\": [\"a\", \"b\", \"c\"]},"
	" \"m\": {\"uniform\": [0, 1], \"when\": {\"opt\": \"c\"}}, \"fixed\": 7}}";

static void parse_cmd(struct spec *s, const char *resample)
{
	char text[1024];

	snprintf(text, sizeof text, cmd_spec, resample);
	parse_or_die(s, text);
}

static cJSON *params_of(const char *json)
{
	cJSON *p = cJSON_Parse(json);

	if (!p) {
		fprintf(stderr, "bad JSON: %s\n", json);
		exit(1);
	}
	return p;
}

static double num(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const struct pbt_change *change_of(const struct pbt_change *c, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	return NULL;
}

/* n members with the given values, ids 1..n, params p each. */
static void members_init(struct pbt_member *m, const double *values, int n, const cJSON *p)
{
	for (int i = 0; i < n; i++)
		m[i] = (struct pbt_member){i + 1, values[i], p};
}

/* Bit i set when members[i] is exploited in a decision of these values. */
static unsigned exploited(const struct spec *s, const double *values, int n, int *sources_ok)
{
	struct pbt_member m[16];
	struct pbt_exploit *e;
	cJSON *p = params_of("{\"lr\": 0.01}");
	struct rng r;
	unsigned bits = 0;
	int k;

	members_init(m, values, n, p);
	rng_seed(&r, 3);
	k = pbt_decide(s, m, n, &r, &e);
	*sources_ok = 1;
	for (int i = 0; i < k; i++) {
		bits |= 1u << e[i].member;
		/* the source is strictly better than the member replaced */
		*sources_ok &= !isnan(values[e[i].source]) &&
			       (isnan(values[e[i].member]) ||
				(s->objective_max ? values[e[i].source] > values[e[i].member]
						  : values[e[i].source] < values[e[i].member]));
	}
	pbt_exploits_free(e, k);
	cJSON_Delete(p);
	return bits;
}

static void test_quantiles(void)
{
	struct spec s;
	int ok;
	const double eight[] = {0.5, 0.9, 0.1, 0.7, 0.3, 0.8, 0.2, 0.6};

	parse_or_die(&s, "{\"search\": \"pbt\", \"task\": \"bowl\", \"train\": {\"epochs\": 9},"
			 " \"pbt\": {\"population\": 2, \"interval\": 1},"
			 " \"params\": {\"lr\": {\"log\": [1e-4, 1]}}}");
	/* val_acc is maximized: of 8, ceil(0.25 * 8) = 2 bottom: 0.1 and 0.2 */
	CHECK(exploited(&s, eight, 8, &ok) == (1u << 2 | 1u << 6) && ok);
	s.objective_max = 0; /* minimized: 0.9 and 0.8 */
	CHECK(exploited(&s, eight, 8, &ok) == (1u << 1 | 1u << 5) && ok);
	s.objective_max = 1;
	/* small populations: 2 and 3 have one bottom, 1 has none */
	CHECK(exploited(&s, (const double[]){0.3, 0.4}, 2, &ok) == 1u && ok);
	CHECK(exploited(&s, (const double[]){0.3, 0.4, 0.1}, 3, &ok) == 1u << 2 && ok);
	CHECK(exploited(&s, (const double[]){0.3}, 1, &ok) == 0);
	CHECK(exploited(&s, (const double[]){0}, 0, &ok) == 0);
	/* quantile 0.5 of 5: ceil(2.5) = 3, at most 5 / 2 = 2 */
	s.pbt.quantile = 0.5;
	CHECK(exploited(&s, (const double[]){0.5, 0.4, 0.3, 0.2, 0.1}, 5, &ok) ==
	      (1u << 3 | 1u << 4) && ok);
	s.pbt.quantile = 0.25;
	/* ties: all equal, nothing to gain; a bottom member equal to the worst top
	 * member stays; among equals the lower trial id ranks better */
	CHECK(exploited(&s, (const double[]){0.5, 0.5, 0.5, 0.5}, 4, &ok) == 0);
	CHECK(exploited(&s, (const double[]){0.2, 0.5, 0.5, 0.9}, 4, &ok) == 1u && ok);
	CHECK(exploited(&s, (const double[]){0.9, 0.9, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5}, 8, &ok) ==
	      (1u << 2 | 1u << 3) && ok);
	/* NAN (no result at the epoch) ranks last and is always exploited, never copied */
	CHECK(exploited(&s, (const double[]){0.2, NAN, 0.5, 0.9}, 4, &ok) == 1u << 1 && ok);
	CHECK(exploited(&s, (const double[]){NAN, NAN}, 2, &ok) == 0);
	CHECK(exploited(&s, (const double[]){NAN, 0.3, NAN, NAN}, 4, &ok) == 1u << 3 && ok);
	spec_finish(&s);
}

/* The sources: uniform among the top quantile. */
static void test_sources(void)
{
	struct spec s;
	struct pbt_member m[8];
	const double v[] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
	cJSON *p = params_of("{\"lr\": 0.01}");
	int count[8] = {0};
	struct rng r;

	parse_or_die(&s, "{\"search\": \"pbt\", \"task\": \"bowl\", \"train\": {\"epochs\": 9},"
			 " \"pbt\": {\"population\": 8, \"interval\": 1},"
			 " \"params\": {\"lr\": {\"log\": [1e-4, 1]}}}");
	members_init(m, v, 8, p);
	rng_seed(&r, 11);
	for (int t = 0; t < 2000; t++) {
		struct pbt_exploit *e;
		int k = pbt_decide(&s, m, 8, &r, &e);

		CHECK(k == 2 && e[0].member + e[1].member == 1);
		for (int i = 0; i < k; i++)
			count[e[i].source]++;
		pbt_exploits_free(e, k);
	}
	CHECK(count[6] + count[7] == 4000);
	CHECK(count[6] > 1800 && count[7] > 1800);
	cJSON_Delete(p);
	spec_finish(&s);
}

static void test_decide_member(void)
{
	struct spec s;
	struct pbt_member m[4];
	struct pbt_exploit e = {0};
	cJSON *p = params_of("{\"lr\": 0.01}");
	struct rng r;

	parse_or_die(&s, "{\"search\": \"pbt\", \"task\": \"bowl\", \"train\": {\"epochs\": 9},"
			 " \"pbt\": {\"population\": 4, \"interval\": 1},"
			 " \"params\": {\"lr\": {\"log\": [1e-4, 1]}}}");
	members_init(m, (const double[]){0.4, 0.1, 0.9, 0.5}, 4, p);
	rng_seed(&r, 1);
	CHECK(pbt_decide_member(&s, m, 4, 0, &r, &e) == 0 && e.params == NULL);
	CHECK(pbt_decide_member(&s, m, 4, 2, &r, &e) == 0 && e.params == NULL);
	CHECK(pbt_decide_member(&s, m, 4, 1, &r, &e) == 1);
	CHECK(e.member == 1 && e.source == 2);
	CHECK(cJSON_IsNumber(cJSON_GetObjectItem(e.params, "lr")));
	pbt_exploit_finish(&e);
	pbt_exploit_finish(&e); /* finished twice: zeroed */
	cJSON_Delete(p);
	spec_finish(&s);
}

/* Explores params 400 times with resample_probability 0; counts how often
 * name became each of the two expected values (tol: relative). */
static void expect_perturb(const struct spec *s, const char *params, const char *name,
			   double down, double up)
{
	cJSON *p = params_of(params);
	int n_down = 0, n_up = 0;
	struct rng r;

	rng_seed(&r, 21);
	for (int t = 0; t < 400; t++) {
		struct pbt_change *c;
		int n;
		cJSON *child = pbt_explore(s, p, &r, &c, &n);
		double x = num(child, name);

		n_down += fabs(x - down) <= 1e-12 * fabs(down) + 1e-15;
		n_up += up != down && fabs(x - up) <= 1e-12 * fabs(up) + 1e-15;
		pbt_changes_free(c, n);
		cJSON_Delete(child);
	}
	if (n_down + n_up != 400 || (down != up && (n_down < 150 || n_up < 150)))
		fprintf(stderr, "  %s from %s: %d times %.17g, %d times %.17g\n", name, params,
			n_down, down, n_up, up);
	CHECK(n_down + n_up == 400);
	CHECK(down == up || (n_down > 150 && n_up > 150));
	cJSON_Delete(p);
}

static void test_scales(void)
{
	struct spec s;
	const char *base = "\"lr\": 0.01, \"beta\": 0.99, \"x\": 1.5, \"n\": 64, \"units\": 64, "
			   "\"opt\": \"b\", \"fixed\": 7";
	char params[512];

	parse_cmd(&s, "0");
	snprintf(params, sizeof params, "{%s}", base);
	expect_perturb(&s, params, "lr", 0.008, 0.012);   /* log: x f */
	expect_perturb(&s, params, "beta", 0.992, 0.988); /* reverse_log: 1 - (1 - x) f */
	expect_perturb(&s, params, "x", 1.2, 1.8);        /* uniform: x f */
	expect_perturb(&s, params, "n", 51, 77);          /* int: round(51.2), round(76.8) */
	expect_perturb(&s, params, "units", 51, 77);      /* log_int: the same */
	expect_perturb(&s, params, "fixed", 7, 7);        /* a plain value stays */
	/* clamped into the range */
	expect_perturb(&s, "{\"lr\": 0.9, \"n\": 100, \"units\": 500, \"beta\": 0.91, "
			   "\"x\": 2.9, \"opt\": \"a\"}", "lr", 0.72, 1);
	expect_perturb(&s, "{\"lr\": 0.9, \"n\": 100, \"units\": 500, \"beta\": 0.91, "
			   "\"x\": 2.9, \"opt\": \"a\"}", "n", 80, 100);
	expect_perturb(&s, "{\"lr\": 0.9, \"n\": 100, \"units\": 500, \"beta\": 0.91, "
			   "\"x\": 2.9, \"opt\": \"a\"}", "units", 400, 512);
	expect_perturb(&s, "{\"lr\": 0.9, \"n\": 100, \"units\": 500, \"beta\": 0.91, "
			   "\"x\": 2.9, \"opt\": \"a\"}", "beta", 0.928, 0.9);
	expect_perturb(&s, "{\"lr\": 0.9, \"n\": 100, \"units\": 500, \"beta\": 0.91, "
			   "\"x\": 2.9, \"opt\": \"a\"}", "x", 2.32, 3);
	/* an int the factor rounds back to itself moves one step, then is clamped */
	expect_perturb(&s, "{\"n\": 2, \"units\": 8, \"opt\": \"a\"}", "n", 1, 3);
	expect_perturb(&s, "{\"n\": 1, \"units\": 8, \"opt\": \"a\"}", "n", 1, 2);
	expect_perturb(&s, "{\"n\": 1, \"units\": 8, \"opt\": \"a\"}", "units", 8, 10);
	spec_finish(&s);
}

/* How often opt moved from `from` to each value, in 400 explores. */
static void choice_moves(const struct spec *s, const char *from, int *to)
{
	char text[128];
	cJSON *p;
	struct rng r;

	snprintf(text, sizeof text, "{\"opt\": \"%s\", \"m\": 0.5}", from);
	p = params_of(text);
	rng_seed(&r, 8);
	memset(to, 0, 3 * sizeof *to);
	for (int t = 0; t < 400; t++) {
		struct pbt_change *c;
		int n;
		cJSON *child = pbt_explore(s, p, &r, &c, &n);
		const cJSON *v = cJSON_GetObjectItem(child, "opt");
		const struct pbt_change *ch = change_of(c, n, "opt");

		to[v->valuestring[0] - 'a']++;
		CHECK(ch && (strcmp(ch->how, "next") == 0 || strcmp(ch->how, "prev") == 0));
		CHECK(ch && strcmp(ch->how, v->valuestring[0] > from[0] ? "next" : "prev") == 0);
		pbt_changes_free(c, n);
		cJSON_Delete(child);
	}
	cJSON_Delete(p);
}

static void test_choice(void)
{
	struct spec s;
	int to[3];

	parse_cmd(&s, "0");
	choice_moves(&s, "a", to); /* the first value: only the next */
	CHECK(to[0] == 0 && to[1] == 400 && to[2] == 0);
	choice_moves(&s, "c", to); /* the last: only the previous */
	CHECK(to[0] == 0 && to[1] == 400 && to[2] == 0);
	choice_moves(&s, "b", to); /* the middle: either, about evenly */
	CHECK(to[1] == 0 && to[0] > 150 && to[2] > 150 && to[0] + to[2] == 400);
	spec_finish(&s);
}

/* resample_probability 1: every explored value drawn again; 0: never. */
static void test_resample_probability(void)
{
	struct spec s;
	cJSON *p = params_of("{\"lr\": 0.01, \"beta\": 0.99, \"x\": 1.5, \"n\": 64, "
			     "\"units\": 64, \"opt\": \"b\", \"fixed\": 7}");
	int resampled = 0, perturbed = 0, far = 0;
	struct rng r;

	for (int pass = 0; pass < 2; pass++) {
		parse_cmd(&s, pass ? "1" : "0");
		rng_seed(&r, 4);
		for (int t = 0; t < 300; t++) {
			struct pbt_change *c;
			int n;
			cJSON *child = pbt_explore(&s, p, &r, &c, &n);
			double lr = num(child, "lr");

			for (int i = 0; i < n; i++) {
				int res = strcmp(c[i].how, "resample") == 0;

				/* m is newly active when opt becomes "c": drawn, in both */
				if (strcmp(c[i].name, "m") == 0)
					CHECK(res && !c[i].old_value);
				else if (pass)
					resampled += res;
				else
					perturbed += !res;
				CHECK(pass || !res || strcmp(c[i].name, "m") == 0);
			}
			far += pass && (lr < 0.008 - 1e-12 || lr > 0.012 + 1e-12);
			pbt_changes_free(c, n);
			cJSON_Delete(child);
		}
		spec_finish(&s);
	}
	/* 6 explored parameters per explore; an int redrawn equal is not a change */
	CHECK(perturbed == 300 * 6);
	CHECK(resampled > 300 * 5);
	CHECK(far > 250); /* a redrawn lr is rarely within [0.008, 0.012] */
	cJSON_Delete(p);
}

/* A parameter under a condition follows its controller: m exists with opt "c". */
static void test_conditions(void)
{
	struct spec s;
	cJSON *to_c = params_of("{\"opt\": \"b\", \"lr\": 0.1}");
	cJSON *from_c = params_of("{\"opt\": \"c\", \"m\": 0.25, \"lr\": 0.1}");
	int added = 0, removed = 0;
	struct rng r;

	parse_cmd(&s, "0");
	rng_seed(&r, 2);
	for (int t = 0; t < 200; t++) {
		struct pbt_change *c;
		int n;
		cJSON *child = pbt_explore(&s, t % 2 ? from_c : to_c, &r, &c, &n);
		const char *opt = cJSON_GetObjectItem(child, "opt")->valuestring;
		const struct pbt_change *m = change_of(c, n, "m");
		double mv = num(child, "m");

		CHECK(strcmp(opt, "c") == 0 ? mv >= 0 && mv <= 1 : isnan(mv));
		if (t % 2 == 0 && strcmp(opt, "c") == 0) {
			added++;
			CHECK(m && !m->old_value && cJSON_IsNumber(m->new_value) &&
			      strcmp(m->how, "resample") == 0);
		}
		if (t % 2 == 1) { /* "c" is the last value: it always moves to "b" */
			removed++;
			CHECK(m && cJSON_IsNumber(m->old_value) && !m->new_value &&
			      strcmp(m->how, "inactive") == 0);
		}
		pbt_changes_free(c, n);
		cJSON_Delete(child);
	}
	CHECK(added > 20 && removed == 100);
	cJSON_Delete(to_c);
	cJSON_Delete(from_c);
	spec_finish(&s);
}

/* Structural parameters of the built-in worker are inherited unchanged. */
static void test_structural(void)
{
	struct spec s;
	cJSON *p = params_of("{\"lr\": 0.01, \"layers\": 2, \"optimizer\": \"sgd\"}");
	struct rng r;

	parse_or_die(&s, "{\"search\": \"pbt\", \"task\": \"bowl\", \"train\": {\"epochs\": 9},"
			 " \"pbt\": {\"population\": 4, \"interval\": 1, "
			 "\"resample_probability\": 0.5},"
			 " \"params\": {\"lr\": {\"log\": [1e-4, 1]},"
			 " \"layers\": {\"int\": [1, 4]},"
			 " \"optimizer\": {\"choice\": [\"sgd\", \"adam\"]}}}");
	rng_seed(&r, 6);
	for (int t = 0; t < 100; t++) {
		struct pbt_change *c;
		int n;
		cJSON *child = pbt_explore(&s, p, &r, &c, &n);

		CHECK(num(child, "layers") == 2);
		CHECK(strcmp(cJSON_GetObjectItem(child, "optimizer")->valuestring, "sgd") == 0);
		CHECK(n == 1 && strcmp(c[0].name, "lr") == 0 && num(child, "lr") != 0.01);
		CHECK(cJSON_IsNumber(c[0].old_value) && c[0].old_value->valuedouble == 0.01);
		pbt_changes_free(c, n);
		cJSON_Delete(child);
	}
	cJSON_Delete(p);
	spec_finish(&s);
}

/* Is every value of child inside the spec's range (ints integral)? */
static int in_range(const struct spec *s, const cJSON *child)
{
	int ok = 1;

	for (int k = 0; k < s->n_params; k++) {
		const struct spec_param *p = &s->params[k];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(child, p->name);

		if (!v) {
			ok &= !sample_active(s, p, child);
			continue;
		}
		if (p->kind == PARAM_CHOICE)
			ok &= spec_choice_index(p, v) >= 0;
		else if (p->kind == PARAM_FIXED)
			ok &= cJSON_Compare(v, p->values, 1);
		else
			ok &= cJSON_IsNumber(v) && v->valuedouble >= p->lo &&
			      v->valuedouble <= p->hi &&
			      ((p->kind != PARAM_INT && p->kind != PARAM_LOG_INT) ||
			       v->valuedouble == floor(v->valuedouble));
	}
	return ok;
}

/* 10,000 decisions on populations that keep their children: every value
 * stays in range, generation after generation. */
static void test_ranges(void)
{
	struct spec s;
	struct pbt_member m[8];
	cJSON *params[8];
	int bad = 0, exploits = 0;
	struct rng r, vr;

	parse_cmd(&s, "0.25");
	rng_seed(&vr, 77);
	for (int i = 0; i < 8; i++)
		params[i] = sample_trial(&s, NULL, i);
	for (int d = 0; d < 10000; d++) {
		struct pbt_exploit *e;
		int k;

		for (int i = 0; i < 8; i++)
			m[i] = (struct pbt_member){i + 1, rng_uniform(&vr), params[i]};
		pbt_rng(&s, (uint64_t)d, &r);
		k = pbt_decide(&s, m, 8, &r, &e);
		exploits += k;
		for (int i = 0; i < k; i++) {
			bad += !in_range(&s, e[i].params);
			cJSON_Delete(params[e[i].member]);
			params[e[i].member] = e[i].params;
			e[i].params = NULL;
		}
		pbt_exploits_free(e, k);
	}
	CHECK(bad == 0);
	CHECK(exploits == 20000);
	for (int i = 0; i < 8; i++)
		cJSON_Delete(params[i]);
	spec_finish(&s);
}

/* A decision's text: members replaced, sources, params and changes. */
static char *decision_text(const struct spec *s, uint64_t decision)
{
	struct pbt_member m[8];
	cJSON *params[8], *out = cJSON_CreateArray();
	struct pbt_exploit *e;
	struct rng r;
	char *text;
	int k;

	for (int i = 0; i < 8; i++) {
		params[i] = sample_trial(s, NULL, i);
		m[i] = (struct pbt_member){10 + i, (double)((i * 5) % 8), params[i]};
	}
	pbt_rng(s, decision, &r);
	k = pbt_decide(s, m, 8, &r, &e);
	for (int i = 0; i < k; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddNumberToObject(x, "member", e[i].member);
		cJSON_AddNumberToObject(x, "source", e[i].source);
		cJSON_AddItemToObject(x, "params", cJSON_Duplicate(e[i].params, 1));
		for (int j = 0; j < e[i].n_changes; j++)
			cJSON_AddStringToObject(x, e[i].changes[j].name, e[i].changes[j].how);
		cJSON_AddItemToArray(out, x);
	}
	pbt_exploits_free(e, k);
	for (int i = 0; i < 8; i++)
		cJSON_Delete(params[i]);
	text = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	return text;
}

static void test_determinism(void)
{
	struct spec s;
	char *a, *b, *c, *d;

	parse_cmd(&s, "0.25");
	a = decision_text(&s, 3);
	b = decision_text(&s, 3);
	c = decision_text(&s, 4);
	s.pbt.seed = 6;
	d = decision_text(&s, 3);
	CHECK_STR(a, b);
	CHECK(strcmp(a, c) != 0 && strcmp(a, d) != 0);
	CHECK_CONTAINS(a, "\"member\":");
	free(a);
	free(b);
	free(c);
	free(d);
	spec_finish(&s);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"quantiles", test_quantiles},
		{"sources", test_sources},
		{"decide_member", test_decide_member},
		{"scales", test_scales},
		{"choice", test_choice},
		{"resample_probability", test_resample_probability},
		{"conditions", test_conditions},
		{"structural", test_structural},
		{"ranges", test_ranges},
		{"determinism", test_determinism},
		{0},
	};

	return test_main(argc, argv, cases);
}
