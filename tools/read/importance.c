/* importance: a sweep's trials into forest + fanova (see importance.h). */
#include "importance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "errbuf.h"
#include "hparams.h"
#include "sample.h"
#include "xalloc.h"

/* Whether p is analysed: sampled, and a choice of at least two values. */
static int analysed(const struct spec_param *p)
{
	return p->kind != PARAM_FIXED &&
	       (p->kind != PARAM_CHOICE || cJSON_GetArraySize(p->values) > 1);
}

/* p's dimension: its range in its own scale (an int's values in the middle
 * of unit cells; log_int over [lo, hi + 1), as it is sampled), or its
 * values as categories. */
static int make_dim(const struct spec_param *p, struct forest_dim *dim, char *err, size_t errlen)
{
	double a, b;

	*dim = (struct forest_dim){0};
	switch (p->kind) {
	case PARAM_CHOICE:
		dim->cats = cJSON_GetArraySize(p->values);
		if (dim->cats > FOREST_MAX_CATS)
			return err_set(err, errlen, "parameter %s: %d values (at most %d)", p->name,
				       dim->cats, FOREST_MAX_CATS);
		return 0;
	case PARAM_INT:
		a = p->lo - 0.5, b = p->hi + 0.5;
		break;
	case PARAM_LOG_INT:
		a = log10(p->lo), b = log10(p->hi + 1);
		break;
	default:
		a = sample_to_scale(p->kind, p->lo), b = sample_to_scale(p->kind, p->hi);
	}
	dim->lo = fmin(a, b);
	dim->hi = fmax(a, b);
	return 0;
}

/* v (a trial's value of p) in p's scale, or its choice index; NaN when
 * absent or not one of the values. */
static double to_dim(const struct spec_param *p, const struct forest_dim *dim, const cJSON *v)
{
	if (!v)
		return NAN;
	if (p->kind == PARAM_CHOICE) {
		int i = spec_choice_index(p, v);

		return i < 0 ? NAN : i;
	}
	if (!cJSON_IsNumber(v))
		return NAN;
	return fmin(dim->hi, fmax(dim->lo, sample_to_scale(p->kind, v->valuedouble)));
}

/* The "value" of trial id's first row in rows (ordered by trial) that match
 * accepts, searched from *cursor on, then from the start. */
static double row_value(const cJSON *rows, long long trial,
			int (*match)(const cJSON *r, const void *arg), const void *arg,
			const cJSON **cursor)
{
	const cJSON *r = *cursor ? *cursor : rows->child;

	for (int pass = 0; pass < 2; pass++, r = rows->child)
		for (; r; r = r->next)
			if ((long long)query_num(r, "trial_id", 0) == trial && match(r, arg)) {
				*cursor = r;
				return query_num(r, "value", NAN);
			}
	return NAN;
}

/* QUERY_METRIC rows: the point at epoch *(const long long *)e. */
static int at_epoch(const cJSON *r, const void *e)
{
	return (long long)query_num(r, "epoch", 0) == *(const long long *)e;
}

/* QUERY_GOAL_VALUES rows: the value of metric (a string). */
static int of_metric(const cJSON *r, const void *metric)
{
	const char *m = cJSON_GetStringValue(query_get(r, "metric"));

	return m && strcmp(m, metric) == 0;
}

/* im->objective from the name asked (NULL: the first). */
static int pick_objective(struct importance *im, long long id, const char *name, char *err,
			  size_t errlen)
{
	char names[512] = "";
	size_t len = 0;

	for (int j = 0; name && j < im->spec.n_objectives; j++)
		if (strcmp(im->spec.objectives[j].metric, name) == 0) {
			im->objective = j;
			return 0;
		}
	if (!name)
		return 0;
	for (int j = 0; j < im->spec.n_objectives && len < sizeof names; j++)
		len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", j ? ", " : "",
					im->spec.objectives[j].metric);
	return err_set(err, errlen, "sweep %lld has no objective \"%s\" (its objective%s: %s)",
		       id, name, im->spec.n_objectives == 1 ? "" : "s", names);
}

static int load_spec(struct importance *im, struct store *st, long long id, char *err,
		     size_t errlen)
{
	cJSON *sweep = query_run(&st->query, err, errlen, QUERY_SWEEP, "i", id);
	const char *name;
	int rc = 0;

	if (!sweep)
		return -1;
	if (!sweep->child)
		rc = err_set(err, errlen, "no sweep %lld", id);
	else if (spec_parse(&im->spec, query_get(sweep->child, "spec"), err, errlen) < 0)
		rc = err_prefix(err, errlen, "sweep %lld: its spec", id);
	name = sweep->child ? cJSON_GetStringValue(query_get(sweep->child, "name")) : NULL;
	im->name = xstrdup(name ? name : "");
	cJSON_Delete(sweep);
	return rc;
}

/* The parameters analysed and their dimensions. */
static int load_dims(struct importance *im, char *err, size_t errlen)
{
	im->param = xcalloc((size_t)im->spec.n_params + 1, sizeof *im->param);
	im->present = xcalloc((size_t)im->spec.n_params + 1, sizeof *im->present);
	im->dims = xcalloc((size_t)im->spec.n_params + 1, sizeof *im->dims);
	for (int i = 0; i < im->spec.n_params; i++) {
		if (!analysed(&im->spec.params[i]))
			continue;
		if (make_dim(&im->spec.params[i], &im->dims[im->d], err, errlen) < 0)
			return -1;
		im->param[im->d++] = i;
	}
	if (im->d == 0)
		return err_set(err, errlen, "the sweep samples no parameter");
	return 0;
}

/* The finished trials (done or pruned) with an objective that are not forks:
 * x, y, trial; the forks are counted in im->forks. */
static int load_trials(struct importance *im, struct store *st, long long id,
		       const struct importance_opts *o, char *err, size_t errlen)
{
	cJSON *trials = query_run(&st->query, err, errlen, QUERY_TRIALS, "i", id), *points = NULL;
	const cJSON *t, *cursor = NULL;
	const char *metric = im->spec.objectives[im->objective].metric;
	int cap;

	if (!trials)
		return -1;
	if ((o->by_epoch > 0 &&
	     !(points = query_run(&st->query, err, errlen, QUERY_METRIC, "is", id, metric))) ||
	    (o->by_epoch <= 0 && im->objective > 0 &&
	     !(points = query_run(&st->query, err, errlen, QUERY_GOAL_VALUES, "i", id)))) {
		cJSON_Delete(trials);
		return -1;
	}
	cap = cJSON_GetArraySize(trials) + 1;
	im->x = xmalloc((size_t)cap * im->d * sizeof *im->x);
	im->y = xmalloc((size_t)cap * sizeof *im->y);
	im->trial = xmalloc((size_t)cap * sizeof *im->trial);
	cJSON_ArrayForEach(t, trials) {
		const char *status = cJSON_GetStringValue(query_get(t, "status"));
		long long tid = (long long)query_num(t, "id", 0);
		double y = o->by_epoch > 0 ? row_value(points, tid, at_epoch, &o->by_epoch, &cursor)
			   : points	   ? row_value(points, tid, of_metric, metric, &cursor)
					   : query_num(t, "best_value", NAN);

		if (!status || (strcmp(status, "done") && strcmp(status, "pruned")) || !isfinite(y))
			continue;
		if (cJSON_IsNumber(query_get(t, "parent_trial_id"))) {
			im->forks++;
			continue;
		}
		for (int k = 0; k < im->d; k++) {
			const struct spec_param *p = &im->spec.params[im->param[k]];
			double v = to_dim(p, &im->dims[k], query_get(query_get(t, "params"), p->name));

			im->x[(size_t)im->n * im->d + k] = v;
			im->present[k] += !isnan(v);
		}
		im->y[im->n] = y;
		im->trial[im->n++] = tid;
	}
	cJSON_Delete(trials);
	cJSON_Delete(points);
	if (im->n < 2 && im->forks)
		return err_set(err, errlen, "sweep %lld has %d finished trial%s%s that %s not a fork "
			       "(%d fork%s left out): importance needs at least 2", id, im->n,
			       im->n == 1 ? "" : "s", o->by_epoch > 0 ? " at that epoch" : "",
			       im->n == 1 ? "is" : "are", im->forks, im->forks == 1 ? "" : "s");
	if (im->n < 2)
		return err_set(err, errlen, "sweep %lld has %d finished trial%s%s: importance needs at least 2",
			       id, im->n, im->n == 1 ? "" : "s",
			       o->by_epoch > 0 ? " that reached that epoch" : "");
	return 0;
}

int importance_load(struct importance *im, struct store *st, long long id,
		    const struct importance_opts *o, char *err, size_t errlen)
{
	struct forest f;
	struct forest_opts fo = {.trees = o->trees, .max_depth = 64, .seed = o->seed};
	int rc;

	memset(im, 0, sizeof *im);
	if (load_spec(im, st, id, err, errlen) < 0 ||
	    pick_objective(im, id, o->objective, err, errlen) < 0 || load_dims(im, err, errlen) < 0 ||
	    load_trials(im, st, id, o, err, errlen) < 0)
		return -1;
	if (forest_fit(&f, im->dims, im->d, im->x, im->y, im->n, &fo, err, errlen) < 0)
		return -1;
	rc = fanova_compute(&im->fa, &f, o->pairs, err, errlen);
	forest_finish(&f);
	return rc;
}

/* ---- the result as JSON ---- */

#define TOP_PAIRS 5 /* the interactions said */

/* order[0..d-1]: the parameters by share, largest first (ties by spec order). */
static void rank_params(const struct importance *im, int *order)
{
	for (int k = 0; k < im->d; k++) {
		int j = k;

		for (; j > 0 && im->fa.share[order[j - 1]] < im->fa.share[k]; j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
}

/* The course's expected place of parameter k among the sweep's parameters
 * it ranks: "1", or "2-4" for a tier shared by three; NULL when unranked. */
static char *course_place(const struct importance *im, int k)
{
	int tier = hparam_course_rank(im->spec.params[im->param[k]].name), before = 0, same = 0;
	char buf[32];

	if (!tier)
		return NULL;
	for (int j = 0; j < im->d; j++) {
		int t = hparam_course_rank(im->spec.params[im->param[j]].name);

		before += t && t < tier;
		same += t == tier;
	}
	if (same > 1)
		snprintf(buf, sizeof buf, "%d-%d", before + 1, before + same);
	else
		snprintf(buf, sizeof buf, "%d", before + 1);
	return xstrdup(buf);
}

/* The TOP_PAIRS largest interactions: pairs (i, j) into pi, pj; returns how many. */
static int top_pairs(const struct importance *im, int *pi, int *pj)
{
	int n = 0, d = im->d;

	for (int i = 0; i < d; i++)
		for (int j = i + 1; j < d; j++) {
			double v = im->fa.pair[i * d + j];
			int at = n < TOP_PAIRS ? n++ : TOP_PAIRS;

			if (at == TOP_PAIRS && !(v > im->fa.pair[pi[TOP_PAIRS - 1] * d + pj[TOP_PAIRS - 1]]))
				continue;
			if (at == TOP_PAIRS)
				at = TOP_PAIRS - 1;
			for (; at > 0 && im->fa.pair[pi[at - 1] * d + pj[at - 1]] < v; at--) {
				pi[at] = pi[at - 1];
				pj[at] = pj[at - 1];
			}
			pi[at] = i;
			pj[at] = j;
		}
	return n;
}

static const char *pname(const struct importance *im, int k)
{
	return im->spec.params[im->param[k]].name;
}

cJSON *importance_to_json(const struct importance *im, long long id,
			  const struct importance_opts *o)
{
	cJSON *out = cJSON_CreateObject(), *params, *pairs;
	int pi[TOP_PAIRS], pj[TOP_PAIRS], np = im->fa.pair ? top_pairs(im, pi, pj) : 0;
	int *order = xmalloc((size_t)(im->d > 0 ? im->d : 1) * sizeof *order);
	double total = 0;

	cJSON_AddNumberToObject(out, "sweep", (double)id);
	cJSON_AddStringToObject(out, "name", im->name);
	cJSON_AddStringToObject(out, "metric", im->spec.objectives[im->objective].metric);
	cJSON_AddStringToObject(out, "mode", im->spec.objectives[im->objective].max ? "max" : "min");
	if (o->by_epoch > 0)
		cJSON_AddNumberToObject(out, "by_epoch", (double)o->by_epoch);
	cJSON_AddNumberToObject(out, "trials", im->n);
	cJSON_AddNumberToObject(out, "forks_left_out", im->forks);
	cJSON_AddNumberToObject(out, "trees", im->fa.trees);
	cJSON_AddNumberToObject(out, "seed", (double)o->seed);
	params = cJSON_AddArrayToObject(out, "params");
	rank_params(im, order);
	for (int r = 0; r < im->d; r++) {
		int k = order[r];
		cJSON *p = cJSON_CreateObject();
		char *place = course_place(im, k);

		cJSON_AddStringToObject(p, "name", pname(im, k));
		cJSON_AddStringToObject(p, "scale", spec_kind_name(im->spec.params[im->param[k]].kind));
		cJSON_AddNumberToObject(p, "share", im->fa.share[k]);
		cJSON_AddNumberToObject(p, "std", im->fa.share_std[k]);
		cJSON_AddNumberToObject(p, "variance_fraction", im->fa.frac[k]);
		cJSON_AddNumberToObject(p, "rank", r + 1);
		if (place)
			cJSON_AddStringToObject(p, "course_rank", place);
		else
			cJSON_AddNullToObject(p, "course_rank");
		cJSON_AddNumberToObject(p, "present", im->present[k]);
		cJSON_AddItemToArray(params, p);
		total += im->fa.frac[k];
		free(place);
	}
	pairs = cJSON_AddArrayToObject(out, "interactions");
	for (int i = 0; i < np; i++) {
		cJSON *p = cJSON_CreateObject(), *names = cJSON_AddArrayToObject(p, "params");

		cJSON_AddItemToArray(names, cJSON_CreateString(pname(im, pi[i])));
		cJSON_AddItemToArray(names, cJSON_CreateString(pname(im, pj[i])));
		cJSON_AddNumberToObject(p, "variance_fraction", im->fa.pair[pi[i] * im->d + pj[i]]);
		cJSON_AddNumberToObject(p, "std", im->fa.pair_std[pi[i] * im->d + pj[i]]);
		cJSON_AddItemToArray(pairs, p);
	}
	cJSON_AddNumberToObject(out, "main_effects", total);
	free(order);
	return out;
}

void importance_finish(struct importance *im)
{
	if (!im)
		return;
	spec_finish(&im->spec);
	fanova_finish(&im->fa);
	free(im->name);
	free(im->param);
	free(im->present);
	free(im->dims);
	free(im->x);
	free(im->y);
	free(im->trial);
	memset(im, 0, sizeof *im);
}
