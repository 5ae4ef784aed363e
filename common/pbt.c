/* pbt: the exploit and explore rule of Population Based Training (see
 * pbt.h). Ranking and quantiles, the choice of a top member, and the explore
 * of each parameter in its own scale. The spec's draws are sample.c's
 * (sample_draw); a factor applies to x, or to 1 - x for reverse_log, which
 * is a shift by log10(f) in the log scales sample.c defines. */
#include "pbt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "xalloc.h"

/* ---- ranking ---- */

struct ranked {
	const struct pbt_member *m;
	int index;
	int max; /* the objective is maximized */
};

/* Is a better than b? NAN is worst; ties: the lower trial id. */
static int better(const struct pbt_member *a, const struct pbt_member *b, int max)
{
	if (isnan(a->value) != isnan(b->value))
		return !isnan(a->value);
	if (!isnan(a->value) && a->value != b->value)
		return max ? a->value > b->value : a->value < b->value;
	return a->trial_id < b->trial_id;
}

/* Best first. */
static int cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;

	if (better(a->m, b->m, a->max))
		return -1;
	if (better(b->m, a->m, a->max))
		return 1;
	return a->index - b->index;
}

/* members ranked best first into order (n entries), and the quantile's size:
 * ceil(quantile * n), at most n / 2. */
static int rank(const struct spec *spec, const struct pbt_member *members, int n, int *order)
{
	struct ranked *r = xcalloc((size_t)n + 1, sizeof *r);
	int q = (int)ceil(spec->pbt.quantile * n - 1e-9);

	for (int i = 0; i < n; i++)
		r[i] = (struct ranked){&members[i], i, spec->objective_max};
	qsort(r, (size_t)n, sizeof *r, cmp_ranked);
	for (int i = 0; i < n; i++)
		order[i] = r[i].index;
	free(r);
	return q > n / 2 ? n / 2 : q;
}

/* ---- explore ---- */

static double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* x perturbed by factor f in p's scale, clamped into p's range. */
static double perturb_number(const struct spec_param *p, double x, double f)
{
	double y;

	switch (p->kind) {
	case PARAM_REVERSE_LOG:
		y = 1.0 - (1.0 - x) * f;
		break;
	case PARAM_INT:
	case PARAM_LOG_INT:
		y = round(x * f);
		if (y == x)
			y = x + (f > 1 ? 1 : f < 1 ? -1 : 0);
		break;
	default:
		y = x * f;
		break;
	}
	return clamp(y, p->lo, p->hi);
}

/* A choice's neighbour: at either end the only one, else prev or next at
 * random; NULL when v is not one of its values (the caller resamples). */
static cJSON *perturb_choice(const struct spec_param *p, const cJSON *v, struct rng *r,
			     char *how, size_t howlen)
{
	int n = cJSON_GetArraySize(p->values), i = spec_choice_index(p, v);
	int up;

	if (i < 0)
		return NULL;
	if (n < 2)
		return cJSON_Duplicate(v, 1);
	up = rng_below(r, 2) == 1;
	if (i == 0)
		up = 1;
	else if (i == n - 1)
		up = 0;
	snprintf(how, howlen, "%s", up ? "next" : "prev");
	return cJSON_Duplicate(cJSON_GetArrayItem(p->values, up ? i + 1 : i - 1), 1);
}

/* Explored parameter k's new value from old (present), with how. NULL
 * when old is not a value of k's range (the caller resamples). */
static cJSON *explore_value(const struct spec *spec, int k, const cJSON *old, struct rng *r,
			    char *how, size_t howlen)
{
	const struct spec_param *p = &spec->params[k];
	double f;

	if (rng_uniform(r) < spec->pbt.resample_probability) {
		snprintf(how, howlen, "resample");
		return sample_draw(spec, k, r);
	}
	if (p->kind == PARAM_CHOICE)
		return perturb_choice(p, old, r, how, howlen);
	f = spec->pbt.perturb[rng_below(r, 2)];
	if (!cJSON_IsNumber(old))
		return NULL;
	snprintf(how, howlen, "x%g", f);
	return cJSON_CreateNumber(perturb_number(p, old->valuedouble, f));
}

static void add_change(struct pbt_change **changes, int *n, const char *name, const cJSON *old,
		       const cJSON *new, const char *how)
{
	struct pbt_change *c;

	*changes = xrealloc(*changes, (size_t)(*n + 1) * sizeof **changes);
	c = &(*changes)[(*n)++];
	c->name = xstrdup(name);
	c->old_value = old ? cJSON_Duplicate(old, 1) : NULL;
	c->new_value = new ? cJSON_Duplicate(new, 1) : NULL;
	snprintf(c->how, sizeof c->how, "%s", how);
}

/* Parameter k's value in the child, given the source's (old, may be NULL). */
static cJSON *child_value(const struct spec *spec, int k, const cJSON *old, struct rng *r,
			  char *how, size_t howlen)
{
	const struct spec_param *p = &spec->params[k];
	cJSON *v = NULL;

	if (p->kind == PARAM_FIXED)
		return cJSON_Duplicate(p->values, 1);
	if (old && !p->explore)
		return cJSON_Duplicate(old, 1);
	if (old)
		v = explore_value(spec, k, old, r, how, howlen);
	if (!v) {
		snprintf(how, howlen, "resample");
		v = sample_draw(spec, k, r);
	}
	return v;
}

cJSON *pbt_explore(const struct spec *spec, const cJSON *params, struct rng *r,
		   struct pbt_change **changes, int *n_changes)
{
	cJSON *child = cJSON_CreateObject();

	*changes = NULL;
	*n_changes = 0;
	for (int k = 0; k < spec->n_params; k++) {
		const struct spec_param *p = &spec->params[k];
		const cJSON *old = cJSON_GetObjectItemCaseSensitive(params, p->name);
		char how[16] = "";
		cJSON *v;

		if (!sample_active(spec, p, child)) {
			if (old)
				add_change(changes, n_changes, p->name, old, NULL, "inactive");
			continue;
		}
		v = child_value(spec, k, old, r, how, sizeof how);
		if (!old || !cJSON_Compare(old, v, 1))
			add_change(changes, n_changes, p->name, old, v, how);
		cJSON_AddItemToObject(child, p->name, v);
	}
	return child;
}

/* ---- decisions ---- */

/* Fills e: members[who] replaced by an explored copy of a top member. */
static void exploit(const struct spec *spec, const struct pbt_member *members, const int *top,
		    int n_top, int who, struct rng *r, struct pbt_exploit *e)
{
	e->member = who;
	e->source = top[rng_below(r, (uint64_t)n_top)];
	e->params = pbt_explore(spec, members[e->source].params, r, &e->changes, &e->n_changes);
}

/* The top quantile's members with a value into top; returns how many. */
static int top_members(const struct pbt_member *members, const int *order, int q, int *top)
{
	int n_top = 0;

	for (int i = 0; i < q; i++)
		if (!isnan(members[order[i]].value))
			top[n_top++] = order[i];
	return n_top;
}

/* Is bottom member b worse than the worst top member with a value? */
static int gains(const struct spec *spec, const struct pbt_member *b,
		 const struct pbt_member *worst_top)
{
	if (isnan(b->value))
		return 1;
	return spec->objective_max ? b->value < worst_top->value : b->value > worst_top->value;
}

/* The exploits of members[who] alone (who >= 0) or of every member (-1). */
static int decide(const struct spec *spec, const struct pbt_member *members, int n, int who,
		  struct rng *r, struct pbt_exploit **out)
{
	int *order = xcalloc((size_t)n + 1, sizeof *order);
	int *top = xcalloc((size_t)n + 1, sizeof *top);
	int q = n > 0 ? rank(spec, members, n, order) : 0;
	int n_top = top_members(members, order, q, top), n_out = 0;

	*out = NULL;
	for (int i = n - q; n_top > 0 && i < n; i++) {
		int m = order[i];

		if ((who >= 0 && m != who) || !gains(spec, &members[m], &members[top[n_top - 1]]))
			continue;
		*out = xrealloc(*out, (size_t)(n_out + 1) * sizeof **out);
		exploit(spec, members, top, n_top, m, r, &(*out)[n_out++]);
	}
	free(order);
	free(top);
	return n_out;
}

int pbt_decide(const struct spec *spec, const struct pbt_member *members, int n, struct rng *r,
	       struct pbt_exploit **out)
{
	return decide(spec, members, n, -1, r, out);
}

int pbt_decide_member(const struct spec *spec, const struct pbt_member *members, int n,
		      int who, struct rng *r, struct pbt_exploit *out)
{
	struct pbt_exploit *e;

	if (decide(spec, members, n, who, r, &e) == 0)
		return 0;
	*out = e[0];
	free(e);
	return 1;
}

void pbt_rng(const struct spec *spec, uint64_t decision, struct rng *r)
{
	rng_seed(r, rng_derive(spec->pbt.seed, decision));
}

void pbt_changes_free(struct pbt_change *changes, int n)
{
	for (int i = 0; changes && i < n; i++) {
		free(changes[i].name);
		cJSON_Delete(changes[i].old_value);
		cJSON_Delete(changes[i].new_value);
	}
	free(changes);
}

void pbt_exploit_finish(struct pbt_exploit *e)
{
	if (!e)
		return;
	cJSON_Delete(e->params);
	pbt_changes_free(e->changes, e->n_changes);
	memset(e, 0, sizeof *e);
}

void pbt_exploits_free(struct pbt_exploit *e, int n)
{
	for (int i = 0; e && i < n; i++)
		pbt_exploit_finish(&e[i]);
	free(e);
}
