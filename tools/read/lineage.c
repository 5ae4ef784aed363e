/* lineage: a trial's ancestry and hyperparameter schedule from the database
 * (see lineage.h). The chain comes from QUERY_LINEAGE; each member's epochs
 * end where its child was forked; each parameter's value starts from the
 * member's params (or carries on from its parent when the member's params do
 * not name it) and changes at each of the member's adjustments. */
#include "lineage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "query.h"
#include "errbuf.h"
#include "importance.h"
#include "spec.h"
#include "xalloc.h"

/* Runs a one-trial query; NULL with err. */
static cJSON *run_trial(struct store *st, enum query_id q, long long id, char *err,
			size_t errlen)
{
	return query_run(&st->query, err, errlen, q, "i", id);
}

/* The entry of name in params (an array of {"name", "segments"}), added
 * when new. */
static cJSON *param_entry(cJSON *params, const char *name)
{
	cJSON *p;

	cJSON_ArrayForEach(p, params)
		if (strcmp(cJSON_GetStringValue(query_get(p, "name")), name) == 0)
			return p;
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "name", name);
	cJSON_AddArrayToObject(p, "segments");
	cJSON_AddItemToArray(params, p);
	return p;
}

/* The last segment of p, or NULL. */
static cJSON *last_segment(const cJSON *p)
{
	const cJSON *segs = query_get(p, "segments");

	return cJSON_GetArrayItem(segs, cJSON_GetArraySize(segs) - 1);
}

/* Opens a segment of p in trial `trial` from epoch `from` (after `step`
 * steps) with value v (copied), closing the previous one there; a previous
 * one of the same trial that would hold no epoch is replaced instead. */
static void open_segment(cJSON *p, long long trial, double from, double step, const cJSON *v,
			 const char *source)
{
	cJSON *last = last_segment(p), *seg;

	if (last && query_num(last, "trial_id", 0) == (double)trial &&
	    query_num(last, "from_epoch", 0) == from && query_num(last, "step", 0) == step) {
		cJSON_ReplaceItemInObject(last, "value", cJSON_Duplicate(v, 1));
		cJSON_ReplaceItemInObject(last, "source", cJSON_CreateString(source));
		return;
	}
	if (last)
		cJSON_ReplaceItemInObject(last, "to_epoch", cJSON_CreateNumber(from));
	seg = cJSON_CreateObject();
	cJSON_AddNumberToObject(seg, "trial_id", (double)trial);
	cJSON_AddNumberToObject(seg, "from_epoch", from);
	cJSON_AddNumberToObject(seg, "to_epoch", from);
	cJSON_AddNumberToObject(seg, "step", step);
	cJSON_AddItemToObject(seg, "value", cJSON_Duplicate(v, 1));
	cJSON_AddStringToObject(seg, "source", source);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(p, "segments"), seg);
}

/* Names of the chain's params and adjustments, in order of first mention,
 * as entries of params. */
static void add_names(cJSON *params, const cJSON *chain, cJSON *const *adjusts)
{
	const cJSON *m, *v;
	int i = 0;

	cJSON_ArrayForEach(m, chain) {
		cJSON_ArrayForEach(v, query_get(m, "params"))
			param_entry(params, v->string);
		cJSON_ArrayForEach(v, adjusts[i])
			param_entry(params, cJSON_GetStringValue(query_get(v, "name")));
		i++;
	}
}

/* Member m of the chain (trained epochs from .. to) into every parameter's
 * segments: its params' values, or the value carried on from its parent
 * (for a parameter no value was known of yet: the old value of its first
 * adjustment), then its adjustments in order. */
static void add_member(cJSON *params, const cJSON *m, const cJSON *adjusts, int first)
{
	long long trial = (long long)query_num(m, "trial_id", 0);
	double from = query_num(m, "from_epoch", 0), to = query_num(m, "to_epoch", 0);
	const cJSON *a;
	cJSON *p;

	cJSON_ArrayForEach(p, params) {
		const char *name = cJSON_GetStringValue(query_get(p, "name"));
		const cJSON *v = query_get(query_get(m, "params"), name), *last = last_segment(p);

		if (!v && last)
			v = query_get(last, "value");
		cJSON_ArrayForEach(a, adjusts)
			if (!v && strcmp(cJSON_GetStringValue(query_get(a, "name")), name) == 0 &&
			    !cJSON_IsNull(query_get(a, "old_value")))
				v = query_get(a, "old_value");
		if (v)
			open_segment(p, trial, from, 0, v, first ? "start" : "fork");
	}
	cJSON_ArrayForEach(a, adjusts) {
		int epoch;
		const cJSON *v;
		cJSON *entry = param_entry(params, changes_row(a, &epoch, &v));
		double e = epoch, step = query_num(a, "step", 0);

		if (!first && e <= from) /* a fork's own changes: from its start */
			e = from, step = 0;
		open_segment(entry, trial, e < to ? e : to, step, v,
			     cJSON_GetStringValue(query_get(a, "source")));
	}
	cJSON_ArrayForEach(p, params) {
		cJSON *last = last_segment(p);

		if (last && query_num(last, "trial_id", 0) == (double)trial)
			cJSON_ReplaceItemInObject(last, "to_epoch", cJSON_CreateNumber(to));
	}
}

/* The chain's rows as the reply's members: epochs each trained. */
static cJSON *chain_of(const cJSON *rows)
{
	cJSON *chain = cJSON_CreateArray();
	const cJSON *r;

	cJSON_ArrayForEach(r, rows) {
		cJSON *m = cJSON_CreateObject();
		double from = cJSON_IsNumber(query_get(r, "parent_epoch")) ?
				      query_num(r, "parent_epoch", 0) : 0;
		double to = r->next && cJSON_IsNumber(query_get(r->next, "parent_epoch")) ?
				    query_num(r->next, "parent_epoch", 0) : query_num(r, "epochs", 0);

		cJSON_AddNumberToObject(m, "trial_id", query_num(r, "id", 0));
		cJSON_AddNumberToObject(m, "number", query_num(r, "number", 0));
		cJSON_AddItemToObject(m, "status", cJSON_Duplicate(query_get(r, "status"), 1));
		cJSON_AddNumberToObject(m, "from_epoch", from);
		cJSON_AddNumberToObject(m, "to_epoch", to > from ? to : from);
		cJSON_AddItemToObject(m, "parent_trial_id",
				      cJSON_Duplicate(query_get(r, "parent_trial_id"), 1));
		cJSON_AddItemToObject(m, "parent_epoch",
				      cJSON_Duplicate(query_get(r, "parent_epoch"), 1));
		cJSON_AddItemToObject(m, "params", cJSON_Duplicate(query_get(r, "params"), 1));
		cJSON_AddItemToArray(chain, m);
	}
	return chain;
}

/* Each parameter's scale from the sweep's spec; the objective's metric. */
static int add_scales(struct store *st, cJSON *out, long long sweep, char *err, size_t errlen)
{
	cJSON *rows = query_run(&st->query, err, errlen, QUERY_SWEEP, "i", sweep), *p;
	struct spec spec = {0};

	if (!rows)
		return -1;
	if (!rows->child || spec_parse(&spec, query_get(rows->child, "spec"), err, errlen) < 0) {
		cJSON_Delete(rows);
		return err_set(err, errlen, "sweep %lld: no readable spec", sweep);
	}
	cJSON_Delete(rows);
	cJSON_AddStringToObject(out, "metric", spec.objective_metric);
	cJSON_AddStringToObject(out, "mode", spec.objective_max ? "max" : "min");
	cJSON_ArrayForEach(p, query_get(out, "params")) {
		int k = spec_param_index(&spec, cJSON_GetStringValue(query_get(p, "name")));

		cJSON_AddStringToObject(p, "scale", spec_kind_name(k >= 0 ? spec.params[k].kind :
									PARAM_FIXED));
	}
	spec_finish(&spec);
	return 0;
}

/* The adjustments of every member of the chain (n of them) into adjusts. */
static int load_adjustments(struct store *st, const cJSON *chain, cJSON **adjusts, char *err,
			    size_t errlen)
{
	const cJSON *m;
	int i = 0;

	cJSON_ArrayForEach(m, chain)
		if (!(adjusts[i++] = run_trial(st, QUERY_ADJUSTMENTS,
					       (long long)query_num(m, "trial_id", 0), err, errlen)))
			return -1;
	return 0;
}

/* Member m's points of metric within its epochs into curve, as
 * {"from_trial_id", "epoch", "value"}: the lineage_points view's rows, read
 * per member of the chain walked here (the view itself would not end on a
 * loop of parent links). */
static int add_curve(struct store *st, cJSON *curve, const cJSON *m, const char *metric,
		     char *err, size_t errlen)
{
	double id = query_num(m, "trial_id", 0);
	double from = query_num(m, "from_epoch", 0), to = query_num(m, "to_epoch", 0);
	cJSON *rows = query_run(&st->query, err, errlen, QUERY_TRIAL_METRIC, "is", (long long)id,
				metric);
	const cJSON *r;

	if (!rows)
		return -1;
	cJSON_ArrayForEach(r, rows) {
		cJSON *point;

		if (query_num(r, "epoch", 0) <= from || query_num(r, "epoch", 0) > to)
			continue;
		point = cJSON_CreateObject();
		cJSON_AddNumberToObject(point, "from_trial_id", id);
		cJSON_AddNumberToObject(point, "epoch", query_num(r, "epoch", 0));
		cJSON_AddItemToObject(point, "value", cJSON_Duplicate(query_get(r, "value"), 1));
		cJSON_AddItemToArray(curve, point);
	}
	cJSON_Delete(rows);
	return 0;
}

/* The schedule and the curve into out, from its chain. */
static int add_schedule(struct store *st, cJSON *out, char *err, size_t errlen)
{
	const cJSON *chain = query_get(out, "chain"), *m;
	int n = cJSON_GetArraySize(chain), i = 0, rc;
	cJSON **adjusts = xcalloc((size_t)n + 1, sizeof *adjusts);
	cJSON *params = cJSON_AddArrayToObject(out, "params"), *curve;

	rc = load_adjustments(st, chain, adjusts, err, errlen);
	if (rc == 0) {
		add_names(params, chain, adjusts);
		cJSON_ArrayForEach(m, chain) {
			add_member(params, m, adjusts[i], i == 0);
			i++;
		}
		rc = add_scales(st, out, (long long)query_num(out, "sweep_id", 0), err, errlen);
	}
	for (i = 0; i < n; i++)
		cJSON_Delete(adjusts[i]);
	free(adjusts);
	if (rc < 0)
		return -1;
	curve = cJSON_AddArrayToObject(out, "curve");
	cJSON_ArrayForEach(m, chain)
		if (add_curve(st, curve, m, cJSON_GetStringValue(query_get(out, "metric")), err,
			      errlen) < 0)
			return -1;
	return 0;
}

cJSON *lineage_load(struct store *st, long long id, char *err, size_t errlen)
{
	cJSON *rows = run_trial(st, QUERY_LINEAGE, id, err, errlen), *out, *m;

	if (!rows)
		return NULL;
	if (!rows->child) {
		cJSON_Delete(rows);
		err_set(err, errlen, "no trial %lld", id);
		return NULL;
	}
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "trial_id", (double)id);
	cJSON_AddNumberToObject(out, "sweep_id",
				query_num(cJSON_GetArrayItem(rows, cJSON_GetArraySize(rows) - 1),
					"sweep_id", 0));
	cJSON_AddItemToObject(out, "chain", chain_of(rows));
	cJSON_Delete(rows);
	if (add_schedule(st, out, err, errlen) < 0) {
		cJSON_Delete(out);
		return NULL;
	}
	cJSON_ArrayForEach(m, query_get(out, "chain"))
		cJSON_DeleteItemFromObject(m, "params");
	return out;
}
