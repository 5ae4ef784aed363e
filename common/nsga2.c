/* nsga2: NSGA-II, one trial at a time (see nsga2.h).
 *
 * Deb et al. 2002 breed a whole generation from the parents at once; here
 * each trial of a generation is bred when it is proposed, from the done
 * trials of earlier generations, so a trial that ends late still joins the
 * pool of the generation after it (Optuna's NSGAIISampler does the same with
 * its generations). The elitist selection over all of them, rather than
 * over the previous parents plus the last generation, keeps the same best
 * `population`: the previous parents are among them. */
#include "nsga2.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "pareto.h"
#include "rng.h"
#include "sample.h"
#include "tpe.h"
#include "xalloc.h"

#define NSGA2_SALT 0x9e5a2ull

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* SBX's spread factor for a bound at distance gap beyond the pair (span apart). */
static double sbx_beta(double gap, double span, double eta, double u)
{
	double beta = 1 + 2 * gap / span, alpha = 2 - pow(beta, -(eta + 1));

	return u <= 1 / alpha ? pow(u * alpha, 1 / (eta + 1))
			      : pow(1 / (2 - u * alpha), 1 / (eta + 1));
}

void nsga2_sbx(double a, double b, double eta, struct rng *r, double *c1, double *c2)
{
	double lo = a < b ? a : b, hi = a < b ? b : a, span = hi - lo, u, x, y;

	if (span < 1e-14) {
		*c1 = a, *c2 = b;
		return;
	}
	u = rng_uniform(r);
	x = clamp01(0.5 * ((lo + hi) - sbx_beta(lo, span, eta, u) * span));
	y = clamp01(0.5 * ((lo + hi) + sbx_beta(1 - hi, span, eta, u) * span));
	if (rng_uniform(r) < 0.5)
		*c1 = x, *c2 = y;
	else
		*c1 = y, *c2 = x;
}

double nsga2_mutate(double u, double eta, struct rng *r)
{
	double q = rng_uniform(r), p = 1 / (eta + 1), v;

	if (q < 0.5) {
		v = 2 * q + (1 - 2 * q) * pow(1 - u, eta + 1);
		return clamp01(u + pow(v, p) - 1);
	}
	v = 2 * (1 - q) + 2 * (q - 0.5) * pow(u, eta + 1);
	return clamp01(u + 1 - pow(v, p));
}

/* The pool: done trials of earlier generations (trial numbers idx), with
 * their ranks and crowding. */
struct pool {
	int n, *idx, *rank;
	double *crowd;
};

/* A pool entry as the elitist order sees it. */
struct place {
	int rank;
	double crowd;
	int number, a; /* the trial's, and its entry in the pool */
};

static int place_cmp(const void *pa, const void *pb)
{
	const struct place *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->crowd != b->crowd)
		return a->crowd > b->crowd ? -1 : 1;
	return a->number < b->number ? -1 : a->number > b->number;
}

/* The pool's senses and values for pareto.h (vals: n x m, viol: n). */
static void pool_goals(const struct pool *p, const struct spec *s, const struct tpe_history *h,
		       enum pareto_sense *sense, double *vals, double *viol)
{
	int m = h->n_goals;

	for (int j = 0; j < m; j++)
		sense[j] = (m > 1 ? s->objectives[j].max : s->objective_max) ? PARETO_MAX
									    : PARETO_MIN;
	for (int a = 0; a < p->n; a++) {
		for (int j = 0; j < m; j++)
			vals[(size_t)a * (size_t)m + (size_t)j] = tpe_history_goal(h, p->idx[a], j);
		viol[a] = tpe_history_violation(h, s, p->idx[a]);
	}
}

/* Fills p from the trials before `before`; returns its entries best first
 * (n of them; the caller frees it). */
static int *pool_init(struct pool *p, const struct spec *s, const struct tpe_history *h,
		      int before)
{
	int m = h->n_goals, *order;
	enum pareto_sense sense[SPEC_MAX_OBJECTIVES];
	double *vals, *viol;
	struct place *pl;

	p->idx = xcalloc((size_t)h->n + 1, sizeof *p->idx);
	p->n = 0;
	for (int i = 0; i < before && i < h->n; i++)
		if (h->state[i] == TPE_DONE)
			p->idx[p->n++] = i;
	vals = xcalloc((size_t)p->n * (size_t)m + 1, sizeof *vals);
	viol = xcalloc((size_t)p->n + 1, sizeof *viol);
	pool_goals(p, s, h, sense, vals, viol);
	p->rank = xcalloc((size_t)p->n + 1, sizeof *p->rank);
	p->crowd = xcalloc((size_t)p->n + 1, sizeof *p->crowd);
	pareto_rank(vals, viol, (size_t)p->n, (size_t)m, sense, p->rank);
	pareto_crowding(vals, p->rank, (size_t)p->n, (size_t)m, p->crowd);
	pl = xcalloc((size_t)p->n + 1, sizeof *pl);
	for (int a = 0; a < p->n; a++)
		pl[a] = (struct place){p->rank[a], p->crowd[a], p->idx[a], a};
	qsort(pl, (size_t)p->n, sizeof *pl, place_cmp);
	order = xcalloc((size_t)p->n + 1, sizeof *order);
	for (int a = 0; a < p->n; a++)
		order[a] = pl[a].a;
	free(pl);
	free(vals);
	free(viol);
	return order;
}

static void pool_finish(struct pool *p)
{
	free(p->idx);
	free(p->rank);
	free(p->crowd);
}

/* A binary tournament among the first k of order: the better place wins. */
static int tournament(const int *order, int k, struct rng *r)
{
	int a = (int)rng_below(r, (uint64_t)k), b = (int)rng_below(r, (uint64_t)k);

	return order[a < b ? a : b];
}

/* Param k of trial i in the unit cube (NAN: inactive there). */
static double unit(const struct spec *s, const struct tpe_history *h, int i, int k)
{
	return sample_unit_of(&s->params[k], h->x[(size_t)i * (size_t)h->n_params + (size_t)k]);
}

/* The child's unit coordinate of param k from parents' ua, ub. */
static double breed(const struct spec_param *p, double ua, double ub, int cross, double pm,
		    struct rng *r)
{
	double u, other;

	if (isnan(ua) && isnan(ub))
		return rng_uniform(r);
	if (isnan(ua) || isnan(ub))
		u = isnan(ua) ? ub : ua;
	else if (!cross || rng_uniform(r) >= 0.5)
		u = ua;
	else if (p->kind == PARAM_CHOICE)
		u = ub;
	else
		nsga2_sbx(ua, ub, NSGA2_ETA_C, r, &u, &other);
	if (rng_uniform(r) < pm)
		u = p->kind == PARAM_CHOICE ? rng_uniform(r) : nsga2_mutate(u, NSGA2_ETA_M, r);
	return u;
}

static cJSON *startup(const struct spec *s, int number, int finished, cJSON **why)
{
	if (why) {
		*why = cJSON_CreateObject();
		cJSON_AddTrueToObject(*why, "startup");
		cJSON_AddNumberToObject(*why, "finished", finished);
	}
	return sample_trial(s, NULL, number);
}

static void why_bred(cJSON **why, int gen, const struct pool *p, int a, int b)
{
	int front = 0;
	cJSON *pa;

	if (!why)
		return;
	for (int i = 0; i < p->n; i++)
		front += p->rank[i] == 0;
	*why = cJSON_CreateObject();
	cJSON_AddNumberToObject(*why, "generation", gen);
	cJSON_AddNumberToObject(*why, "pool", p->n);
	cJSON_AddNumberToObject(*why, "front", front);
	pa = cJSON_AddArrayToObject(*why, "parents");
	cJSON_AddItemToArray(pa, cJSON_CreateNumber(p->idx[a]));
	cJSON_AddItemToArray(pa, cJSON_CreateNumber(p->idx[b]));
}

cJSON *nsga2_suggest(const struct spec *s, const struct tpe_history *h, int number,
		     cJSON **why)
{
	int pop = s->nsga2.population, gen = number / pop, *order, k_par, a, b, cross, d = 0;
	struct pool p;
	struct rng r;
	cJSON *trial;

	if (gen == 0 || h->n_params != s->n_params)
		return startup(s, number, tpe_history_finished(h), why);
	order = pool_init(&p, s, h, gen * pop);
	if (p.n < 2) {
		free(order);
		pool_finish(&p);
		return startup(s, number, tpe_history_finished(h), why);
	}
	rng_seed(&r, rng_derive(s->nsga2.seed ^ NSGA2_SALT, (uint64_t)number));
	k_par = p.n < pop ? p.n : pop;
	a = tournament(order, k_par, &r);
	b = tournament(order, k_par, &r);
	cross = rng_uniform(&r) < NSGA2_CROSSOVER;
	for (int k = 0; k < s->n_params; k++)
		d += s->params[k].kind != PARAM_FIXED;
	trial = cJSON_CreateObject();
	for (int k = 0; k < s->n_params; k++) {
		const struct spec_param *q = &s->params[k];
		double u;

		if (!sample_active(s, q, trial))
			continue;
		if (q->kind == PARAM_FIXED) {
			cJSON_AddItemToObject(trial, q->name, cJSON_Duplicate(q->values, 1));
			continue;
		}
		u = breed(q, unit(s, h, p.idx[a], k), unit(s, h, p.idx[b], k), cross,
			  1.0 / d, &r);
		cJSON_AddItemToObject(trial, q->name, sample_value_at(q, u));
	}
	why_bred(why, gen, &p, a, b);
	free(order);
	pool_finish(&p);
	return trial;
}
