/* importance: a sweep's trials into forest + fanova (see importance.h). */
#include "importance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "errbuf.h"
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

/* trial id -> value at epoch e, from QUERY_METRIC rows (ordered by trial). */
static double value_at(const cJSON *points, long long trial, long long e, const cJSON **cursor)
{
	const cJSON *r = *cursor ? *cursor : points->child;

	for (int pass = 0; pass < 2; pass++, r = points->child)
		for (; r; r = r->next)
			if ((long long)query_num(r, "trial_id", 0) == trial &&
			    (long long)query_num(r, "epoch", 0) == e) {
				*cursor = r;
				return query_num(r, "value", NAN);
			}
	return NAN;
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
	int cap;

	if (!trials)
		return -1;
	if (o->by_epoch > 0 &&
	    !(points = query_run(&st->query, err, errlen, QUERY_METRIC, "is", id,
				 im->spec.objective_metric))) {
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
		double y = points ? value_at(points, tid, o->by_epoch, &cursor)
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
	if (load_spec(im, st, id, err, errlen) < 0 || load_dims(im, err, errlen) < 0 ||
	    load_trials(im, st, id, o, err, errlen) < 0)
		return -1;
	if (forest_fit(&f, im->dims, im->d, im->x, im->y, im->n, &fo, err, errlen) < 0)
		return -1;
	rc = fanova_compute(&im->fa, &f, o->pairs, err, errlen);
	forest_finish(&f);
	return rc;
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
