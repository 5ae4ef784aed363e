/* search_bench: the search strategies run directly on the test functions of
 * common/testfn.h, no daemon, one trial after another; and the cost of one
 * tpe suggestion. Prints one JSON object.
 *
 *   search_bench regret [--seeds 20] [--trials 100]
 *       for each function and each of random, sobol, coarse_to_fine and tpe:
 *       the best regret f - f* after --trials trials, over --seeds seeds
 *       (1..seeds): median, first and third quartiles (numpy's linear rule),
 *       and each seed's, in seed order ("best").
 *       tpe sees every finished trial before suggesting the next.
 *   search_bench hypervolume [--seeds 20] [--trials 200]
 *       for each function of several objectives (ZDT1-3, DTLZ2) and each of
 *       sobol, nsga2, tpe and tpe_hv (tpe with "hypervolume_weight": 1,
 *       Optuna 3.1's weights): the hypervolume of all trials after --trials
 *       (from the function's reference point), over --seeds seeds: median,
 *       quartiles and each seed's ("hv"), and the true front's ("front").
 *   search_bench speed [--history 1000] [--params 10] [--repeat 50]
 *                      [--objectives 1] [--search tpe]
 *       the milliseconds one suggestion of --search takes with --history
 *       finished trials of --params parameters (half uniform, half log) and
 *       --objectives objectives (random values), on one core, each suggested
 *       trial then recorded as finished, as a sweep does.
 * bench/search_optuna.py measures Optuna 3.1's samplers the same ways. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "pareto.h"
#include "rng.h"
#include "sample.h"
#include "search.h"
#include "spec.h"
#include "testfn.h"
#include "tpe.h"

/* Prints obj as one line and deletes it. */
static void print_json(cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj);

	puts(text ? text : "null");
	free(text);
	cJSON_Delete(obj);
}

static const char *const strategies[] = {"random", "sobol", "coarse_to_fine", "tpe"};
#define N_STRATEGIES 4

static void die(const char *msg)
{
	fprintf(stderr, "search_bench: %s\n", msg);
	exit(2);
}

/* "objectives" of m objectives f1..fm, all min (m > 1), as JSON text. */
static cJSON *objectives_json(int m)
{
	cJSON *a = cJSON_CreateArray();
	char name[16];

	for (int j = 0; j < m; j++) {
		cJSON *o = cJSON_CreateObject();

		snprintf(name, sizeof name, "f%d", j + 1);
		cJSON_AddStringToObject(o, "metric", name);
		cJSON_AddStringToObject(o, "mode", "min");
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* The spec of a run: the function's space, a strategy, a seed, and m
 * objectives (1: val_loss; more: f1..fm). */
/* The spec of a sweep of search (with its options object, or NULL) over
 * space for m objectives f1..fm (one: val_loss). */
static void make_spec_opts(struct spec *s, const char *space, const char *search,
			   const char *options, int trials, int seed, int m)
{
	char err[512];
	cJSON *json = cJSON_CreateObject(), *params = cJSON_Parse(space);

	cJSON_AddStringToObject(json, "name", "bench");
	cJSON_AddItemToObject(json, "command", cJSON_Parse("[\"true\"]")); /* any names */
	cJSON_AddNumberToObject(json, "trials", trials);
	cJSON_AddNumberToObject(json, "seed", seed);
	cJSON_AddStringToObject(json, "search", search);
	if (m > 1)
		cJSON_AddItemToObject(json, "objectives", objectives_json(m));
	else
		cJSON_AddItemToObject(json, "objective",
				      cJSON_Parse("{\"metric\": \"val_loss\", \"mode\": \"min\"}"));
	cJSON_AddItemToObject(json, "params", params);
	if (options)
		cJSON_AddItemToObject(json, search, cJSON_Parse(options));
	if (spec_parse(s, json, err, sizeof err) < 0)
		die(err);
	cJSON_Delete(json);
}

static void make_spec_m(struct spec *s, const char *space, const char *search, int trials,
			int seed, int m)
{
	make_spec_opts(s, space, search, NULL, trials, seed, m);
}

static void make_spec(struct spec *s, const char *space, const char *search, int trials,
		      int seed)
{
	make_spec_m(s, space, search, trials, seed, 1);
}

/* Trial i of h finished with the m values v (f1..fm). */
static void record_goals(struct tpe_history *h, const struct spec *s, int i, const double *v,
			 int m)
{
	char name[16];

	tpe_history_set(h, i, TPE_DONE, 1, v[0]);
	for (int j = 0; j < m; j++) {
		snprintf(name, sizeof name, "f%d", j + 1);
		tpe_history_note(h, s, i, name, v[j]);
	}
}

/* One coarse_to_fine round's trials done: the next round's box. */
static void narrow(const struct spec *s, struct sample_box *box, cJSON **done, double *vals,
		   int from, int to)
{
	struct sample_box next;
	char err[256];

	if (sample_narrow(s, box, (const cJSON *const *)&done[from], &vals[from], to - from, &next,
			  err, sizeof err) < 0) {
		sample_box_finish(&next);
		return;
	}
	sample_box_finish(box);
	*box = next;
}

/* The best regret of one run. */
static double run(const struct testfn *fn, const char *search, int trials, int seed)
{
	struct spec s;
	struct sample_box box;
	struct tpe_history h;
	cJSON **done = calloc((size_t)trials, sizeof *done);
	double *vals = calloc((size_t)trials, sizeof *vals), best = INFINITY;
	int round = 0, round_end;

	make_spec(&s, fn->space, search, trials, seed);
	sample_box_init(&box, &s);
	tpe_history_init(&h, s.n_params);
	round_end = sample_round_size(&s, 0);
	for (int i = 0; i < trials; i++) {
		cJSON *p = search_of(&s)->propose ? search_of(&s)->propose(&s, &h, i, NULL)
						  : sample_trial(&s, &box, i);

		vals[i] = testfn_regret(fn, p);
		best = fmin(best, vals[i]);
		done[i] = p;
		tpe_history_add(&h, &s, i, p);
		tpe_history_set(&h, i, TPE_DONE, 1, vals[i]);
		if (i + 1 == round_end && ++round < sample_rounds(&s)) {
			narrow(&s, &box, done, vals, round_end - sample_round_size(&s, round - 1),
			       round_end);
			round_end += sample_round_size(&s, round);
		}
	}
	for (int i = 0; i < trials; i++)
		cJSON_Delete(done[i]);
	free(done);
	free(vals);
	tpe_history_finish(&h);
	sample_box_finish(&box);
	spec_finish(&s);
	return best;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* numpy.percentile's default (linear) on sorted x. */
static double quantile(const double *x, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)floor(pos);

	return i + 1 < n ? x[i] + (pos - i) * (x[i + 1] - x[i]) : x[n - 1];
}

/* The samplers of `search_bench hypervolume`: a name, its search, options. */
struct mo_sampler {
	const char *name, *search, *options;
};

static const struct mo_sampler mo_samplers[] = {
	{"sobol", "sobol", NULL},
	{"nsga2", "nsga2", NULL},
	{"tpe", "tpe", NULL},
	{"tpe_hv", "tpe", "{\"hypervolume_weight\": 1}"},
};

/* The hypervolume of one run of a function of several objectives. */
static double run_mo(const struct testfn_mo *fn, const struct mo_sampler *ms, int trials,
		     int seed)
{
	static const enum pareto_sense mins[3] = {PARETO_MIN, PARETO_MIN, PARETO_MIN};
	struct spec s;
	struct tpe_history h;
	double *v = calloc((size_t)trials * 3, sizeof *v), hv;

	make_spec_opts(&s, fn->space, ms->search, ms->options, trials, seed, fn->m);
	tpe_history_init_goals(&h, &s);
	for (int i = 0; i < trials; i++) {
		cJSON *p = search_of(&s)->propose ? search_of(&s)->propose(&s, &h, i, NULL)
						  : sample_trial(&s, NULL, i);

		fn->f(p, v + (size_t)i * (size_t)fn->m);
		tpe_history_add(&h, &s, i, p);
		record_goals(&h, &s, i, v + (size_t)i * (size_t)fn->m, fn->m);
		cJSON_Delete(p);
	}
	hv = pareto_hypervolume(v, (size_t)trials, (size_t)fn->m, mins, fn->ref);
	free(v);
	tpe_history_finish(&h);
	spec_finish(&s);
	return hv;
}

/* The quartiles of x (n, sorted here) into q. */
static void add_quartiles(cJSON *q, double *x, int n)
{
	qsort(x, (size_t)n, sizeof *x, cmp_double);
	cJSON_AddNumberToObject(q, "q1", quantile(x, n, 0.25));
	cJSON_AddNumberToObject(q, "median", quantile(x, n, 0.5));
	cJSON_AddNumberToObject(q, "q3", quantile(x, n, 0.75));
}

static void hypervolume(int seeds, int trials)
{
	cJSON *out = cJSON_CreateObject(), *fns = cJSON_AddObjectToObject(out, "functions");
	double *hv = calloc((size_t)seeds, sizeof *hv);

	cJSON_AddNumberToObject(out, "seeds", seeds);
	cJSON_AddNumberToObject(out, "trials", trials);
	for (int f = 0; f < n_testfns_mo; f++) {
		cJSON *row = cJSON_AddObjectToObject(fns, testfns_mo[f].name);

		cJSON_AddNumberToObject(row, "front", testfns_mo[f].hv);
		for (size_t k = 0; k < sizeof mo_samplers / sizeof *mo_samplers; k++) {
			cJSON *q = cJSON_AddObjectToObject(row, mo_samplers[k].name);

			for (int seed = 1; seed <= seeds; seed++)
				hv[seed - 1] = run_mo(&testfns_mo[f], &mo_samplers[k], trials, seed);
			cJSON_AddItemToObject(q, "hv", cJSON_CreateDoubleArray(hv, seeds));
			add_quartiles(q, hv, seeds);
		}
	}
	free(hv);
	print_json(out);
}

static void regret(int seeds, int trials)
{
	cJSON *out = cJSON_CreateObject(), *fns = cJSON_AddObjectToObject(out, "functions");
	double *best = calloc((size_t)seeds, sizeof *best);

	cJSON_AddNumberToObject(out, "seeds", seeds);
	cJSON_AddNumberToObject(out, "trials", trials);
	for (int f = 0; f < n_testfns; f++) {
		cJSON *row = cJSON_AddObjectToObject(fns, testfns[f].name);

		for (int k = 0; k < N_STRATEGIES; k++) {
			cJSON *q = cJSON_AddObjectToObject(row, strategies[k]);

			for (int seed = 1; seed <= seeds; seed++)
				best[seed - 1] = run(&testfns[f], strategies[k], trials, seed);
			cJSON_AddItemToObject(q, "best", cJSON_CreateDoubleArray(best, seeds));
			add_quartiles(q, best, seeds);
		}
	}
	free(best);
	print_json(out);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A spec of n params, even ones uniform in [0, 1], odd ones log in [1e-5, 1]. */
static void speed_spec(struct spec *s, int n, const char *search, int m)
{
	cJSON *params = cJSON_CreateObject();
	char name[16], *text;

	for (int k = 0; k < n; k++) {
		snprintf(name, sizeof name, "p%d", k + 1);
		cJSON_AddItemToObject(params, name,
				      cJSON_Parse(k % 2 ? "{\"log\": [1e-5, 1]}"
							: "{\"uniform\": [0, 1]}"));
	}
	text = cJSON_PrintUnformatted(params);
	make_spec_m(s, text, search, SPEC_MAX_TRIALS, 1, m);
	free(text);
	cJSON_Delete(params);
}

/* Trial i of h finished with m random values. */
static void record_random(struct tpe_history *h, const struct spec *s, int i, int m,
			  struct rng *r)
{
	double v[SPEC_MAX_OBJECTIVES];

	for (int j = 0; j < m; j++)
		v[j] = rng_uniform(r);
	record_goals(h, s, i, v, m);
}

static void speed(int history, int n_params, int repeat, int m, const char *search)
{
	struct spec s;
	struct tpe_history h;
	struct rng r;
	double t0, dt;
	cJSON *out = cJSON_CreateObject();

	if (m < 1 || m > SPEC_MAX_OBJECTIVES)
		die("--objectives: expected 1 to 8");
	speed_spec(&s, n_params, search, m);
	if (!search_of(&s)->propose)
		die("--search: expected a search that proposes (tpe, nsga2)");
	tpe_history_init_goals(&h, &s);
	rng_seed(&r, 7);
	for (int i = 0; i < history; i++) {
		cJSON *p = sample_trial(&s, NULL, i);

		tpe_history_add(&h, &s, i, p);
		record_random(&h, &s, i, m, &r);
		cJSON_Delete(p);
	}
	t0 = now();
	for (int i = 0; i < repeat; i++) { /* as a sweep: each suggestion joins the history */
		cJSON *p = search_of(&s)->propose(&s, &h, history + i, NULL);

		tpe_history_add(&h, &s, history + i, p);
		record_random(&h, &s, history + i, m, &r);
		cJSON_Delete(p);
	}
	dt = (now() - t0) / repeat;
	cJSON_AddStringToObject(out, "search", search);
	cJSON_AddNumberToObject(out, "objectives", m);
	cJSON_AddNumberToObject(out, "history", history);
	cJSON_AddNumberToObject(out, "params", n_params);
	cJSON_AddNumberToObject(out, "ms", dt * 1e3);
	print_json(out);
	tpe_history_finish(&h);
	spec_finish(&s);
}

static int opt(int argc, char **argv, const char *name, int def)
{
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return atoi(argv[i + 1]);
	return def;
}

static const char *str_opt(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "regret") == 0)
		regret(opt(argc, argv, "--seeds", 20), opt(argc, argv, "--trials", 100));
	else if (argc >= 2 && strcmp(argv[1], "hypervolume") == 0)
		hypervolume(opt(argc, argv, "--seeds", 20), opt(argc, argv, "--trials", 200));
	else if (argc >= 2 && strcmp(argv[1], "speed") == 0)
		speed(opt(argc, argv, "--history", 1000), opt(argc, argv, "--params", 10),
		      opt(argc, argv, "--repeat", 50), opt(argc, argv, "--objectives", 1),
		      str_opt(argc, argv, "--search", "tpe"));
	else
		die("usage: search_bench regret|hypervolume|speed [options]");
	return 0;
}
