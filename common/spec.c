/* spec: parsing and validation of a sweep spec (see spec.h). Every check
 * writes "path: rule" into the caller's buffer; the path is built as the
 * walk descends ("params.lr.log"). The one check that needs the sampler, a
 * grid's size, is the sampler's (sample_check_grid): spec never calls it.
 * What differs by search (its keys, options, defaults, budget) is asked of
 * its row in the strategies' table (search.h). */
#include "spec.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "hparams.h"
#include "sobol.h"
#include "xalloc.h"

#define MAX_SEED 9007199254740991.0 /* 2^53 - 1: exact in a JSON number */

static const char *const top_keys[] = {
	"name", "description", "trials", "seed", "search", "points", "rounds", "keep",
	"shrink", "objective", "task", "data", "train", "params", "parallel", "retries",
	"fail_fast", "timeout", "stall_timeout", "memory_mb", "early_stop", "command",
	"metrics_prefix", "workdir", "slurm", "budget", "tpe", "pbt", "keep_checkpoints",
	"fork_server", "env", "objectives", "constraints", "nsga2", NULL,
};

/* Placeholders every command trial can use besides its parameters. */
static const char *const builtin_vars[] = {
	"trial_id", "seed", "trial_dir", "checkpoint_dir", "workdir", NULL,
};

/* The parameter kinds, indexed by enum param_kind: the key a spec writes (a
 * plain value is "fixed" and has none) and the scale its axis is drawn on. */
static const struct {
	const char *name;
	const char *scale;
} kinds[] = {
	[PARAM_FIXED] = {"fixed", "linear"},
	[PARAM_UNIFORM] = {"uniform", "linear"},
	[PARAM_INT] = {"int", "int"},
	[PARAM_LOG] = {"log", "log"},
	[PARAM_LOG_INT] = {"log_int", "log"},
	[PARAM_REVERSE_LOG] = {"reverse_log", "reverse_log"},
	[PARAM_CHOICE] = {"choice", "choice"},
};
#define N_KINDS ((int)(sizeof kinds / sizeof kinds[0]))

const char *spec_search_name(enum spec_search search)
{
	const struct search_ops *o = search_ops(search);

	return o ? o->name : NULL;
}

const char *const *spec_top_keys(void)
{
	return top_keys;
}

const char *spec_kind_name(enum param_kind kind)
{
	return (int)kind < N_KINDS ? kinds[kind].name : NULL;
}

const char *spec_kind_scale(enum param_kind kind)
{
	return (int)kind < N_KINDS ? kinds[kind].scale : NULL;
}

/* ---- small helpers ---- */

/* Levenshtein distance of a and b, capped: strings longer than 63 are "far". */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la > 63 || lb > 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* Remembers the closest candidate to name (distance <= 2, and < its length). */
struct suggest {
	const char *name, *best;
	int dist;
};

static void suggest_try(struct suggest *sg, const char *candidate)
{
	int d = edit_distance(sg->name, candidate);
	size_t a = strlen(sg->name), b = strlen(candidate);

	/* early_stopping for early_stop: one name the other's start, and long enough */
	if (d > 2 && a >= 4 && b >= 4 &&
	    strncmp(sg->name, candidate, a < b ? a : b) == 0)
		d = 2;
	/* at most 2 edits, and at most half the longer name: "foo" is not "log" */
	if (d <= 2 && d < (int)b && 2 * d <= (int)(a > b ? a : b) &&
	    (!sg->best || d < sg->dist)) {
		sg->best = candidate;
		sg->dist = d;
	}
}

/* " (did you mean \"x\"?)" or "" into buf. */
static const char *suggest_text(const struct suggest *sg, char *buf, size_t n)
{
	if (!sg->best)
		return "";
	snprintf(buf, n, " (did you mean \"%s\"?)", sg->best);
	return buf;
}

/* buf = "a.b", truncated to n (paths are short; a cut one still reads). */
static void path_join(char *buf, size_t n, const char *a, const char *b)
{
	if (snprintf(buf, n, "%s.%s", a, b) >= (int)n && n > 4)
		memcpy(buf + n - 4, "...", 4);
}

static int in_list(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "null";
}

/* Reads an integer in [min, max] (JSON number with integral value). */
static int get_int(const cJSON *v, const char *path, double min, double max, double *out,
		   char *err, size_t errlen)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return err_set(err, errlen, "%s: expected an integer, got %s", path,
			       json_type_name(v));
	if (v->valuedouble != floor(v->valuedouble))
		return err_set(err, errlen, "%s: expected an integer, got %g", path,
			       v->valuedouble);
	if (v->valuedouble < min || v->valuedouble > max) {
		if (max >= INT_MAX)
			return err_set(err, errlen, "%s: expected an integer >= %.0f, got %g", path,
				       min, v->valuedouble);
		return err_set(err, errlen, "%s: expected an integer in [%.0f, %.0f], got %g",
			       path, min, max, v->valuedouble);
	}
	*out = v->valuedouble;
	return 0;
}

static int get_int_field(const cJSON *v, const char *path, int min, int max, int *out,
			 char *err, size_t errlen)
{
	double d = 0; /* set by get_int on success; gcc -O3 cannot see it */

	if (get_int(v, path, min, max, &d, err, errlen) < 0)
		return -1;
	*out = (int)d;
	return 0;
}

/* A timeout: more than 0 (absent is none) and at most SPEC_MAX_SECONDS, so
 * its milliseconds fit a timer. */
static int get_seconds(const cJSON *v, const char *path, double *out, char *err, size_t errlen)
{
	if (!cJSON_IsNumber(v))
		return err_set(err, errlen, "%s: expected seconds in (0, %d]", path, SPEC_MAX_SECONDS);
	if (!(v->valuedouble > 0 && v->valuedouble <= SPEC_MAX_SECONDS))
		return err_set(err, errlen, "%s: expected seconds in (0, %d], got %g", path,
			       SPEC_MAX_SECONDS, v->valuedouble);
	*out = v->valuedouble;
	return 0;
}

static int get_string(const cJSON *v, const char *path, char **out, char *err, size_t errlen)
{
	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return err_set(err, errlen, "%s: expected a non-empty string", path);
	free(*out);
	*out = xstrdup(v->valuestring);
	return 0;
}

/* ---- objective, early_stop, data, train ---- */

static int parse_objective(struct spec *s, const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *item, *mode = NULL;

	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "objective: expected an object {\"metric\", \"mode\"}");
	cJSON_ArrayForEach(item, obj) {
		if (strcmp(item->string, "metric") == 0) {
			if (get_string(item, "objective.metric", &s->objective_metric, err,
				       errlen) < 0)
				return -1;
		} else if (strcmp(item->string, "mode") == 0) {
			mode = item;
		} else {
			return err_set(err, errlen, "objective.%s: unknown key (expected metric or mode)",
				       item->string);
		}
	}
	if (!mode) {
		s->objective_max = strstr(s->objective_metric, "acc") != NULL;
		return 0;
	}
	if (!cJSON_IsString(mode) ||
	    (strcmp(mode->valuestring, "min") != 0 && strcmp(mode->valuestring, "max") != 0))
		return err_set(err, errlen, "objective.mode: expected \"min\" or \"max\"");
	s->objective_max = strcmp(mode->valuestring, "max") == 0;
	return 0;
}

/* "objectives"[i]: {"metric": M, "mode": "min"|"max"}, both required. */
static int parse_objective_entry(struct spec_objective *o, const cJSON *obj, int i,
				 char *err, size_t errlen)
{
	const cJSON *metric = cJSON_GetObjectItemCaseSensitive(obj, "metric");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(obj, "mode"), *item;
	char path[48];

	snprintf(path, sizeof path, "objectives[%d].metric", i);
	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "objectives[%d]: expected an object {\"metric\", "
			       "\"mode\"}", i);
	cJSON_ArrayForEach(item, obj)
		if (strcmp(item->string, "metric") != 0 && strcmp(item->string, "mode") != 0)
			return err_set(err, errlen, "objectives[%d].%s: unknown key (expected "
				       "metric or mode)", i, item->string);
	if (get_string(metric, path, &o->metric, err, errlen) < 0)
		return -1;
	if (!cJSON_IsString(mode))
		return err_set(err, errlen, "objectives[%d].mode: expected \"max\" or \"min\"", i);
	if (strcmp(mode->valuestring, "min") != 0 && strcmp(mode->valuestring, "max") != 0)
		return err_set(err, errlen, "objectives[%d].mode: \"%s\" is not max or min", i,
			       mode->valuestring);
	o->max = strcmp(mode->valuestring, "max") == 0;
	return 0;
}

/* "objectives": [{...}, ...], one to SPEC_MAX_OBJECTIVES distinct metrics;
 * the first also becomes objective_metric and objective_max. */
static int parse_objectives(struct spec *s, const cJSON *arr, char *err, size_t errlen)
{
	int n = cJSON_GetArraySize(arr);

	if (!cJSON_IsArray(arr) || n < 1 || n > SPEC_MAX_OBJECTIVES)
		return err_set(err, errlen, "objectives: expected an array of 1 to %d objects "
			       "{\"metric\", \"mode\"}", SPEC_MAX_OBJECTIVES);
	s->objectives = xcalloc((size_t)n, sizeof *s->objectives);
	for (int i = 0; i < n; i++) {
		s->n_objectives = i + 1;
		if (parse_objective_entry(&s->objectives[i], cJSON_GetArrayItem(arr, i), i, err,
					  errlen) < 0)
			return -1;
		for (int k = 0; k < i; k++)
			if (strcmp(s->objectives[k].metric, s->objectives[i].metric) == 0)
				return err_set(err, errlen, "objectives[%d].metric: \"%s\" is "
					       "objectives[%d] already", i, s->objectives[i].metric, k);
	}
	free(s->objective_metric);
	s->objective_metric = xstrdup(s->objectives[0].metric);
	s->objective_max = s->objectives[0].max;
	return 0;
}

/* "constraints"[i]: {"metric": M, "max": X, "min": Y}, a bound at least. */
static int parse_constraint(struct spec_constraint *c, const cJSON *obj, int i, char *err,
			    size_t errlen)
{
	const cJSON *item;
	char path[48];

	c->lo = c->hi = NAN;
	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "constraints[%d]: expected an object {\"metric\", "
			       "\"max\" or \"min\"}", i);
	cJSON_ArrayForEach(item, obj) {
		int is_max = strcmp(item->string, "max") == 0;
		if (strcmp(item->string, "metric") == 0) {
			snprintf(path, sizeof path, "constraints[%d].metric", i);
			if (get_string(item, path, &c->metric, err, errlen) < 0)
				return -1;
		} else if (is_max || strcmp(item->string, "min") == 0) {
			if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
				return err_set(err, errlen, "constraints[%d].%s: expected a number",
					       i, item->string);
			*(is_max ? &c->hi : &c->lo) = item->valuedouble;
		} else {
			return err_set(err, errlen, "constraints[%d].%s: unknown key (expected "
				       "metric, max or min)", i, item->string);
		}
	}
	if (!c->metric)
		return err_set(err, errlen, "constraints[%d].metric: missing", i);
	if (isnan(c->lo) && isnan(c->hi))
		return err_set(err, errlen, "constraints[%d]: expected \"max\" or \"min\"", i);
	if (c->lo > c->hi)
		return err_set(err, errlen, "constraints[%d]: min %g is above max %g", i, c->lo,
			       c->hi);
	return 0;
}

static int parse_constraints(struct spec *s, const cJSON *arr, char *err, size_t errlen)
{
	int n = cJSON_GetArraySize(arr);

	if (!cJSON_IsArray(arr) || n > SPEC_MAX_CONSTRAINTS)
		return err_set(err, errlen, "constraints: expected an array of at most %d objects "
			       "{\"metric\", \"max\" or \"min\"}", SPEC_MAX_CONSTRAINTS);
	s->constraints = xcalloc((size_t)n, sizeof *s->constraints);
	for (int i = 0; i < n; i++) {
		s->n_constraints = i + 1;
		if (parse_constraint(&s->constraints[i], cJSON_GetArrayItem(arr, i), i, err,
				     errlen) < 0)
			return -1;
	}
	return 0;
}

/* "objective" or "objectives" (not both), then "constraints". Without
 * "objectives", the one objective is objectives[0]. */
static int parse_goals(struct spec *s, const cJSON *json, char *err, size_t errlen)
{
	const cJSON *one = cJSON_GetObjectItemCaseSensitive(json, "objective");
	const cJSON *many = cJSON_GetObjectItemCaseSensitive(json, "objectives"), *v;

	if (one && many)
		return err_set(err, errlen, "objective, objectives: give one, not both (the first "
			       "of objectives is the main one)");
	if (one && parse_objective(s, one, err, errlen) < 0)
		return -1;
	if (many && parse_objectives(s, many, err, errlen) < 0)
		return -1;
	if (!many) {
		s->objectives = xcalloc(1, sizeof *s->objectives);
		s->objectives[0] = (struct spec_objective){xstrdup(s->objective_metric),
							   s->objective_max};
		s->n_objectives = 1;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "constraints")) &&
	    parse_constraints(s, v, err, errlen) < 0)
		return -1;
	return 0;
}

static int parse_es_kind(struct spec *s, const cJSON *v, char *err, size_t errlen)
{
	if (cJSON_IsString(v) && strcmp(v->valuestring, "median") == 0)
		s->early_stop = EARLY_STOP_MEDIAN;
	else if (cJSON_IsString(v) && strcmp(v->valuestring, "asha") == 0)
		s->early_stop = EARLY_STOP_ASHA;
	else
		return err_set(err, errlen, "early_stop.kind: expected \"median\" or \"asha\"");
	return 0;
}

/* early_stop.objective: the name of one of the objectives (parsed before). */
static int parse_es_objective(struct spec *s, const cJSON *v, char *err, size_t errlen)
{
	char names[512];
	size_t len = 0;

	if (!cJSON_IsString(v))
		return err_set(err, errlen, "early_stop.objective: expected the name of an objective");
	for (int i = 0; i < s->n_objectives; i++)
		if (strcmp(s->objectives[i].metric, v->valuestring) == 0) {
			s->es_objective = i;
			return 0;
		}
	names[0] = '\0';
	for (int i = 0; i < s->n_objectives && len < sizeof names; i++)
		len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
					s->objectives[i].metric);
	return err_set(err, errlen, "early_stop.objective: \"%s\" is not one of the objectives (%s)",
		       v->valuestring, names);
}

static int parse_early_stop(struct spec *s, const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *item, *eta = NULL, *objective = NULL;
	char path[256];

	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "early_stop: expected an object {\"kind\": \"median\"|\"asha\", ...}");
	cJSON_ArrayForEach(item, obj) {
		const char *k = item->string;
		int rc;

		path_join(path, sizeof path, "early_stop", k);
		if (strcmp(k, "kind") == 0)
			rc = parse_es_kind(s, item, err, errlen);
		else if (strcmp(k, "warmup") == 0)
			rc = get_int_field(item, path, 0, INT_MAX, &s->es_warmup, err, errlen);
		else if (strcmp(k, "min_epochs") == 0)
			rc = get_int_field(item, path, 1, INT_MAX, &s->es_min_epochs, err, errlen);
		else if (strcmp(k, "eta") == 0 && (eta = item) != NULL)
			rc = get_int_field(item, path, 2, INT_MAX, &s->es_eta, err, errlen);
		else if (strcmp(k, "min_trials") == 0)
			rc = get_int_field(item, path, 1, INT_MAX, &s->es_min_trials, err, errlen);
		else if (strcmp(k, "objective") == 0 && (objective = item) != NULL)
			rc = parse_es_objective(s, item, err, errlen);
		else
			rc = err_set(err, errlen,
				     "%s: unknown key (expected kind, warmup, min_epochs, min_trials, "
				     "eta or objective)",
				     path);
		if (rc < 0)
			return -1;
	}
	if (s->early_stop == EARLY_STOP_NONE)
		return err_set(err, errlen, "early_stop.kind: missing (\"median\" or \"asha\")");
	if (eta && s->early_stop != EARLY_STOP_ASHA)
		return err_set(err, errlen, "early_stop.eta: only for kind \"asha\"");
	if (objective && s->early_stop != EARLY_STOP_MEDIAN)
		return err_set(err, errlen, "early_stop.objective: only for kind \"median\" (asha "
			       "ranks by every objective)");
	return 0;
}

/* "budget": {"minutes": 30, "stop": true}: a wall-clock budget from the
 * sweep's creation. */
static int parse_budget(struct spec *s, const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *item;
	char path[256];

	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "budget: expected an object {\"minutes\": N, \"stop\": true|false}");
	cJSON_ArrayForEach(item, obj) {
		path_join(path, sizeof path, "budget", item->string);
		if (strcmp(item->string, "minutes") == 0) {
			if (!cJSON_IsNumber(item) || !(item->valuedouble > 0) ||
			    item->valuedouble > SPEC_MAX_BUDGET_MINUTES)
				return err_set(err, errlen, "%s: expected a number in (0, %d]", path,
					       SPEC_MAX_BUDGET_MINUTES);
			s->budget_minutes = item->valuedouble;
		} else if (strcmp(item->string, "stop") == 0) {
			if (!cJSON_IsBool(item))
				return err_set(err, errlen, "%s: expected true or false", path);
			s->budget_stop = cJSON_IsTrue(item);
		} else {
			return err_set(err, errlen, "%s: unknown key (expected minutes or stop)", path);
		}
	}
	if (s->budget_minutes == 0)
		return err_set(err, errlen, "budget.minutes: missing");
	return 0;
}

/* Error for an unknown name in table, with a did-you-mean. */
static int unknown_name(const char *path, const char *what, const char *name,
			const struct hparam *table, size_t n, char *err, size_t errlen)
{
	struct suggest sg = {name, NULL, 0};
	char hint[96];

	for (size_t i = 0; i < n; i++)
		suggest_try(&sg, table[i].name);
	return err_set(err, errlen, "%s: unknown %s%s", path, what,
		       suggest_text(&sg, hint, sizeof hint));
}

/* Checks every key of obj against table (the "data" object, or "train"). */
static int check_table_object(const cJSON *obj, const char *where, const struct hparam *table,
			      size_t n, const char *what, char *err, size_t errlen)
{
	const cJSON *item;
	char path[256];

	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "%s: expected an object", where);
	cJSON_ArrayForEach(item, obj) {
		const struct hparam *h = hparam_find(table, n, item->string);

		path_join(path, sizeof path, where, item->string);
		if (!h)
			return unknown_name(path, what, item->string, table, n, err, errlen);
		if (table == hparams && (strcmp(h->name, "seed") == 0 ||
					 strcmp(h->name, "checkpoint") == 0))
			return err_set(err, errlen, "%s: set by the daemon, not by the spec", path);
		if (hparam_check(h, item, err, errlen) < 0)
			return err_prefix(err, errlen, "%s", path);
	}
	return 0;
}

/* Letters, digits and '_', not starting with a digit, not empty. */
static int is_identifier(const char *name)
{
	if (!isalpha((unsigned char)*name) && *name != '_')
		return 0;
	while (isalnum((unsigned char)*name) || *name == '_')
		name++;
	return *name == '\0';
}

/* A parameter name of a command trial: an identifier, so {name} works. */
static int check_free_name(const char *path, const char *name, char *err, size_t errlen)
{
	if (!*name || !(isalpha((unsigned char)*name) || *name == '_'))
		return err_set(err, errlen, "%s: a name must start with a letter or '_'", path);
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return err_set(err, errlen, "%s: a name may hold only letters, digits and '_'",
				       path);
	if (strcmp(name, "seed") == 0)
		return err_set(err, errlen, "%s: set by the daemon, not by the spec", path);
	return 0;
}

/* "train" of a command trial: any names, plain values. */
static int check_free_object(const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *item;
	char path[256];

	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "train: expected an object");
	cJSON_ArrayForEach(item, obj) {
		path_join(path, sizeof path, "train", item->string);
		if (check_free_name(path, item->string, err, errlen) < 0)
			return -1;
		if (cJSON_IsObject(item) || cJSON_IsNull(item))
			return err_set(err, errlen, "%s: expected a number, string, boolean or array",
				       path);
	}
	return 0;
}

/* ---- params ---- */

static void param_free(struct spec_param *p)
{
	free(p->name);
	cJSON_Delete(p->values);
	for (int i = 0; i < p->n_when; i++) {
		free(p->when[i].name);
		cJSON_Delete(p->when[i].values);
	}
	free(p->when);
}

static int parse_bounds(struct spec_param *p, const cJSON *v, const char *path, char *err,
			size_t errlen)
{
	int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : -1;
	const cJSON *a, *b;

	if (n < 0)
		return err_set(err, errlen, "%s: expected two numbers [lo, hi], got %s", path,
			       json_type_name(v));
	if (n != 2)
		return err_set(err, errlen, "%s: expected two numbers, got %d", path, n);
	a = cJSON_GetArrayItem(v, 0);
	b = cJSON_GetArrayItem(v, 1);
	if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !isfinite(a->valuedouble) ||
	    !isfinite(b->valuedouble))
		return err_set(err, errlen, "%s: expected two numbers, got %s and %s", path,
			       json_type_name(a), json_type_name(b));
	p->lo = a->valuedouble;
	p->hi = b->valuedouble;
	if (p->lo > p->hi)
		return err_set(err, errlen, "%s: bounds out of order (%g > %g)", path, p->lo, p->hi);
	if (p->lo == p->hi)
		return err_set(err, errlen, "%s: empty range [%g, %g] (a plain value fixes it)",
			       path, p->lo, p->hi);
	return 0;
}

/* The rules each kind puts on its range, beyond the hyperparameter's own. */
static int check_kind_range(const struct spec_param *p, const struct hparam *h,
			    const char *path, char *err, size_t errlen)
{
	int is_int = p->kind == PARAM_INT || p->kind == PARAM_LOG_INT;

	if (h && h->type != HP_INT && h->type != HP_FLOAT)
		return err_set(err, errlen, "%s: %s is not a number: use choice", path, h->name);
	if (h && h->type == HP_INT && !is_int)
		return err_set(err, errlen, "%s: %s is an integer hyperparameter: use int or log_int",
			       path, h->name);
	if (is_int && (p->lo != floor(p->lo) || p->hi != floor(p->hi)))
		return err_set(err, errlen, "%s: bounds must be integers, got [%g, %g]", path,
			       p->lo, p->hi);
	if (p->kind == PARAM_LOG && p->lo <= 0)
		return err_set(err, errlen, "%s: a log range must be > 0, got [%g, %g]", path,
			       p->lo, p->hi);
	if (p->kind == PARAM_LOG_INT && p->lo < 1)
		return err_set(err, errlen, "%s: a log_int range must be >= 1, got [%g, %g]", path,
			       p->lo, p->hi);
	if (p->kind == PARAM_REVERSE_LOG && (p->lo <= 0 || p->hi >= 1))
		return err_set(err, errlen, "%s: range must lie inside (0, 1), got [%g, %g]", path,
			       p->lo, p->hi);
	return 0;
}

/* Both bounds must be valid values of the hyperparameter. */
static int check_bounds_valid(const struct spec_param *p, const struct hparam *h,
			      const char *path, char *err, size_t errlen)
{
	double b[2] = {p->lo, p->hi};

	for (int i = 0; h && i < 2; i++) {
		cJSON *v = cJSON_CreateNumber(b[i]);
		int rc = hparam_check(h, v, err, errlen);

		cJSON_Delete(v);
		if (rc < 0)
			return err_prefix(err, errlen, "%s[%d]", path, i);
	}
	return 0;
}

static int parse_choice(struct spec_param *p, const struct hparam *h, const cJSON *v,
			const char *path, char *err, size_t errlen)
{
	int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : -1;

	if (n < 0)
		return err_set(err, errlen, "%s: expected an array of values, got %s", path,
			       json_type_name(v));
	if (n == 0)
		return err_set(err, errlen, "%s: empty choice", path);
	for (int i = 0; i < n; i++) {
		const cJSON *x = cJSON_GetArrayItem(v, i);

		if (!h && (cJSON_IsObject(x) || cJSON_IsArray(x) || cJSON_IsNull(x)))
			return err_set(err, errlen, "%s[%d]: expected a number, string or boolean",
				       path, i);
		if (h && hparam_check(h, x, err, errlen) < 0)
			return err_prefix(err, errlen, "%s[%d]", path, i);
		for (int j = 0; j < i; j++)
			if (cJSON_Compare(x, cJSON_GetArrayItem(v, j), 1))
				return err_set(err, errlen, "%s[%d]: duplicate of %s[%d]", path, i,
					       path, j);
	}
	p->values = cJSON_Duplicate(v, 1);
	return 0;
}

static int parse_kind(struct spec_param *p, const struct hparam *h, const cJSON *v,
		      const char *path, char *err, size_t errlen)
{
	if (p->kind == PARAM_CHOICE)
		return parse_choice(p, h, v, path, err, errlen);
	if (parse_bounds(p, v, path, err, errlen) < 0 ||
	    check_kind_range(p, h, path, err, errlen) < 0 ||
	    check_bounds_valid(p, h, path, err, errlen) < 0)
		return -1;
	return 0;
}

/* One "when" entry: name -> value or array of values (kept as an array). */
static int parse_cond(struct spec_cond *c, const cJSON *item, const char *path, char *err,
		      size_t errlen)
{
	const cJSON *x;

	if (cJSON_IsObject(item) || cJSON_IsNull(item) ||
	    (cJSON_IsArray(item) && cJSON_GetArraySize(item) == 0))
		return err_set(err, errlen, "%s: expected a value or a non-empty array of values",
			       path);
	c->name = xstrdup(item->string);
	if (cJSON_IsArray(item)) {
		c->values = cJSON_Duplicate(item, 1);
	} else {
		c->values = cJSON_CreateArray();
		cJSON_AddItemToArray(c->values, cJSON_Duplicate(item, 1));
	}
	cJSON_ArrayForEach(x, c->values)
		if (cJSON_IsObject(x) || cJSON_IsArray(x) || cJSON_IsNull(x))
			return err_set(err, errlen, "%s: expected plain values", path);
	return 0;
}

static int parse_when(struct spec_param *p, const cJSON *when, const char *path, char *err,
		      size_t errlen)
{
	const cJSON *item;
	char sub[256];
	int n;

	if (!cJSON_IsObject(when) || (n = cJSON_GetArraySize(when)) == 0)
		return err_set(err, errlen, "%s: expected an object {\"name\": value(s)}", path);
	p->when = xcalloc((size_t)n, sizeof *p->when);
	cJSON_ArrayForEach(item, when) {
		path_join(sub, sizeof sub, path, item->string);
		if (parse_cond(&p->when[p->n_when++], item, sub, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The other tools' names for a kind (Optuna, hyperopt, Ray Tune): caviar's. */
static const char *const kind_aliases[][2] = {
	{"loguniform", "log"},   {"log_uniform", "log"},  {"float_log", "log"},
	{"categorical", "choice"}, {"choices", "choice"}, {"randint", "int"},
	{"integer", "int"},      {"lograndint", "log_int"}, {"float", "uniform"},
};

/* An unknown key in a parameter's object: a misspelt kind, another tool's
 * name for one, or a key it does not take. */
static int unknown_kind(const char *key, const char *path, char *err, size_t errlen)
{
	struct suggest sg = {key, NULL, 0};
	char hint[96];

	for (size_t i = 0; i < sizeof kind_aliases / sizeof kind_aliases[0]; i++)
		if (strcmp(key, kind_aliases[i][0]) == 0)
			return err_set(err, errlen, "%s: unknown key: caviar calls this kind "
				       "\"%s\" ({\"%s\": %s})", path, kind_aliases[i][1],
				       kind_aliases[i][1],
				       strcmp(kind_aliases[i][1], "choice") ? "[lo, hi]" : "[v, ...]");
	for (int i = 1; i < N_KINDS; i++)
		suggest_try(&sg, kinds[i].name);
	suggest_try(&sg, "when");
	suggest_try(&sg, "steer");
	return err_set(err, errlen, "%s: unknown key%s (expected a kind: uniform, int, log, "
		       "log_int, reverse_log or choice; or when, steer)", path,
		       suggest_text(&sg, hint, sizeof hint));
}

/* Whether a running or forked built-in trial may change h: its adjustable
 * ones, and epochs (how long it trains, not what it builds). */
static int builtin_steerable(const struct hparam *h)
{
	return hparam_adjust(h, HP_TASK_MLP) != HP_ADJUST_STRUCTURAL ||
	       strcmp(h->name, "epochs") == 0;
}

/* An object value: exactly one kind key, plus an optional "when" and "steer". */
static int parse_param_object(struct spec_param *p, const struct hparam *h, const cJSON *obj,
			      const char *path, char *err, size_t errlen)
{
	const cJSON *item, *kind_val = NULL;
	char sub[256];

	cJSON_ArrayForEach(item, obj) {
		int k = -1;

		path_join(sub, sizeof sub, path, item->string);
		if (strcmp(item->string, "when") == 0) {
			if (parse_when(p, item, sub, err, errlen) < 0)
				return -1;
			continue;
		}
		if (strcmp(item->string, "steer") == 0) {
			if (!cJSON_IsBool(item))
				return err_set(err, errlen, "%s: expected true or false", sub);
			if (cJSON_IsTrue(item) && h && !builtin_steerable(h))
				return err_set(err, errlen, "%s: %s is structural in the built-in "
					       "worker: a running trial cannot change it", sub,
					       h->name);
			p->steer = cJSON_IsTrue(item);
			continue;
		}
		for (int i = 1; i < N_KINDS; i++)
			if (strcmp(item->string, kinds[i].name) == 0)
				k = i;
		if (k < 0)
			return unknown_kind(item->string, sub, err, errlen);
		if (kind_val)
			return err_set(err, errlen, "%s: more than one kind (%s and %s)", path,
				       kinds[p->kind].name, item->string);
		p->kind = (enum param_kind)k;
		kind_val = item;
	}
	if (!kind_val)
		return err_set(err, errlen, "%s: expected one of uniform, int, log, log_int, "
			       "reverse_log or choice", path);
	path_join(sub, sizeof sub, path, kind_val->string);
	return parse_kind(p, h, kind_val, sub, err, errlen);
}

/* A list where a parameter's value goes: what another tool means by a choice
 * among them, refused with caviar's spelling. */
static int list_value(const cJSON *item, const char *path, char *err, size_t errlen)
{
	char *text = cJSON_PrintUnformatted(item);
	int rc = err_set(err, errlen, "%s: a list is not a value: to search among them write "
			 "{\"choice\": %.120s} (a fixed list goes in train)", path,
			 text ? text : "[...]");

	free(text);
	return rc;
}

/* A parameter of a command trial: any name, any kind, no hyperparameter table. */
static int parse_free_param(struct spec *s, struct spec_param *p, const cJSON *item,
			    const char *path, char *err, size_t errlen)
{
	if (check_free_name(path, item->string, err, errlen) < 0)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(s->train, item->string))
		return err_set(err, errlen, "%s: also fixed in train.%s", path, item->string);
	if (cJSON_IsObject(item))
		return parse_param_object(p, NULL, item, path, err, errlen);
	if (cJSON_IsNull(item))
		return err_set(err, errlen, "%s: expected a value or a kind object", path);
	if (cJSON_IsArray(item))
		return list_value(item, path, err, errlen);
	p->kind = PARAM_FIXED;
	p->values = cJSON_Duplicate(item, 1);
	return 0;
}

static int parse_param(struct spec *s, struct spec_param *p, const cJSON *item, char *err,
		       size_t errlen)
{
	const struct hparam *h = hparam_find(hparams, n_hparams, item->string);
	char path[256];

	path_join(path, sizeof path, "params", item->string);
	p->name = xstrdup(item->string);
	p->steer = s->command || !h || builtin_steerable(h);
	if (s->command)
		return parse_free_param(s, p, item, path, err, errlen);
	if (!h)
		return unknown_name(path, "hyperparameter", item->string, hparams, n_hparams, err,
				    errlen);
	if (strcmp(h->name, "seed") == 0 || strcmp(h->name, "checkpoint") == 0)
		return err_set(err, errlen, "%s: set by the daemon, not by the spec", path);
	if (strcmp(h->name, "task") == 0)
		return err_set(err, errlen, "%s: the task is fixed per sweep (top-level \"task\")",
			       path);
	if (cJSON_GetObjectItemCaseSensitive(s->train, item->string))
		return err_set(err, errlen, "%s: also fixed in train.%s", path, item->string);
	if (cJSON_IsObject(item))
		return parse_param_object(p, h, item, path, err, errlen);
	p->kind = PARAM_FIXED;
	if (hparam_check(h, item, err, errlen) < 0)
		return cJSON_IsArray(item) ? list_value(item, path, err, errlen)
					   : err_prefix(err, errlen, "%s", path);
	p->values = cJSON_Duplicate(item, 1);
	return 0;
}

/* ---- conditions: names, satisfiability, order ---- */

/* Can the condition c ever hold, given what the named parameter can take? */
static int cond_can_hold(const struct spec *s, const struct spec_cond *c, int target)
{
	const struct spec_param *t = &s->params[target];
	const cJSON *x;

	cJSON_ArrayForEach(x, c->values) {
		if (t->kind == PARAM_FIXED && cJSON_Compare(x, t->values, 1))
			return 1;
		if (t->kind == PARAM_CHOICE) {
			const cJSON *y;

			cJSON_ArrayForEach(y, t->values)
				if (cJSON_Compare(x, y, 1))
					return 1;
		}
		if ((t->kind == PARAM_INT || t->kind == PARAM_LOG_INT) && cJSON_IsNumber(x) &&
		    x->valuedouble == floor(x->valuedouble) && x->valuedouble >= t->lo &&
		    x->valuedouble <= t->hi)
			return 1;
	}
	return 0;
}

static int cond_value_holds(const cJSON *values, const cJSON *v)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, values)
		if (cJSON_Compare(x, v, 1))
			return 1;
	return 0;
}

/* A condition names neither a parameter nor a train key. */
static int no_such_param(const struct spec *s, const char *path, const char *name, char *err,
			 size_t errlen)
{
	struct suggest sg = {name, NULL, 0};
	const cJSON *x;
	char hint[96];

	for (int j = 0; j < s->n_params; j++)
		suggest_try(&sg, s->params[j].name);
	for (x = s->train ? s->train->child : NULL; x; x = x->next)
		suggest_try(&sg, x->string);
	return err_set(err, errlen, "%s: no parameter named \"%s\"%s", path, name,
		       suggest_text(&sg, hint, sizeof hint));
}

static int check_cond(const struct spec *s, int self, const struct spec_cond *c, char *err,
		      size_t errlen)
{
	const struct spec_param *p = &s->params[self];
	const cJSON *fixed = cJSON_GetObjectItemCaseSensitive(s->train, c->name);
	const struct hparam *h = hparam_find(hparams, n_hparams, c->name);
	int target = spec_param_index(s, c->name);
	char path[256];
	const cJSON *x;
	int i = 0;

	snprintf(path, sizeof path, "params.%s.when.%s", p->name, c->name);
	if (target < 0 && !fixed)
		return no_such_param(s, path, c->name, err, errlen);
	cJSON_ArrayForEach(x, c->values)
		if (h && hparam_check(h, x, err, errlen) < 0)
			return err_prefix(err, errlen, "%s[%d]", path, i++);
	if (target < 0) {
		if (!cond_value_holds(c->values, fixed))
			return err_set(err, errlen, "%s: never holds (train.%s is fixed)", path,
				       c->name);
		return 0;
	}
	if (target == self)
		return err_set(err, errlen, "%s: a parameter cannot depend on itself", path);
	switch (s->params[target].kind) {
	case PARAM_UNIFORM:
	case PARAM_LOG:
	case PARAM_REVERSE_LOG:
		return err_set(err, errlen, "%s: %s is sampled from a continuous range; "
			       "a condition needs a choice, int or fixed parameter", path, c->name);
	default:
		break;
	}
	if (!cond_can_hold(s, c, target))
		return err_set(err, errlen, "%s: never holds (params.%s cannot take these values)",
			       path, c->name);
	return 0;
}

/* Depth-first walk emitting dependencies first; state: 0 new, 1 on stack, 2 done. */
struct topo {
	const struct spec *s;
	char *state;
	int *order, n_order;
	int *stack, depth;
};

static int cycle_error(struct topo *t, int back, char *err, size_t errlen)
{
	char buf[ERRBUF_LEN] = "";
	size_t len = 0;
	int from = 0;

	while (t->stack[from] != back)
		from++;
	for (int i = from; i < t->depth && len < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s -> ",
					t->s->params[t->stack[i]].name);
	if (len < sizeof buf)
		snprintf(buf + len, sizeof buf - len, "%s", t->s->params[back].name);
	return err_set(err, errlen, "params: conditions form a cycle: %s", buf);
}

static int topo_visit(struct topo *t, int i, char *err, size_t errlen)
{
	const struct spec_param *p = &t->s->params[i];

	if (t->state[i] == 2)
		return 0;
	if (t->state[i] == 1)
		return cycle_error(t, i, err, errlen);
	t->state[i] = 1;
	t->stack[t->depth++] = i;
	for (int k = 0; k < p->n_when; k++) {
		int j = spec_param_index(t->s, p->when[k].name);

		if (j >= 0 && topo_visit(t, j, err, errlen) < 0)
			return -1;
	}
	t->depth--;
	t->state[i] = 2;
	t->order[t->n_order++] = i;
	return 0;
}

/* Reorders s->params so each comes after the ones its conditions name. */
static int order_params(struct spec *s, char *err, size_t errlen)
{
	int n = s->n_params, rc = 0;
	struct topo t = {s, xcalloc((size_t)n + 1, 1), xcalloc((size_t)n + 1, sizeof(int)), 0,
			 xcalloc((size_t)n + 1, sizeof(int)), 0};

	for (int i = 0; i < n && rc == 0; i++)
		rc = topo_visit(&t, i, err, errlen);
	if (rc == 0) {
		struct spec_param *sorted = xcalloc((size_t)n + 1, sizeof *sorted);

		for (int i = 0; i < n; i++)
			sorted[i] = s->params[t.order[i]];
		free(s->params);
		s->params = sorted;
	}
	free(t.state);
	free(t.order);
	free(t.stack);
	return rc;
}

static int parse_params(struct spec *s, const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *item;
	int n;

	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "params: expected an object");
	n = cJSON_GetArraySize(obj);
	s->params = xcalloc((size_t)n + 1, sizeof *s->params);
	cJSON_ArrayForEach(item, obj)
		if (parse_param(s, &s->params[s->n_params++], item, err, errlen) < 0)
			return -1;
	for (int i = 0; i < s->n_params; i++)
		for (int k = 0; k < s->params[i].n_when; k++)
			if (check_cond(s, i, &s->params[i].when[k], err, errlen) < 0)
				return -1;
	return order_params(s, err, errlen);
}

/* ---- top level ---- */

static int parse_search(struct spec *s, const cJSON *v, char *err, size_t errlen)
{
	if (search_find(cJSON_IsString(v) ? v->valuestring : NULL, &s->search, err, errlen) < 0)
		return err_prefix(err, errlen, "search");
	return 0;
}

/* Options that belong to one strategy only, and options one cannot do without. */
static int check_strategy_options(const struct spec *s, const cJSON *json, char *err,
				  size_t errlen)
{
	const struct search_ops *own = search_of(s), *o;

	for (int i = 0; (o = search_ops((enum spec_search)i)); i++)
		for (int k = 0; o != own && o->keys && o->keys[k]; k++)
			if (cJSON_GetObjectItemCaseSensitive(json, o->keys[k]))
				return err_set(err, errlen, "%s: only for search \"%s\" (this is "
					       "\"%s\")", o->keys[k], o->name, own->name);
	if (own->missing && !cJSON_GetObjectItemCaseSensitive(json, own->keys[0]))
		return err_set(err, errlen, "%s", own->missing);
	return 0;
}

static int parse_fraction(const cJSON *v, const char *path, int closed_hi, double *out,
			  char *err, size_t errlen)
{
	double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;

	if (!(x > 0) || (closed_hi ? x > 1 : x >= 1))
		return err_set(err, errlen, "%s: expected a number in (0, 1%c", path,
			       closed_hi ? ']' : ')');
	*out = x;
	return 0;
}

int spec_get_int(const cJSON *v, const char *path, int min, int max, int *out, char *err,
		 size_t errlen)
{
	return get_int_field(v, path, min, max, out, err, errlen);
}

int spec_get_fraction(const cJSON *v, const char *path, int closed_hi, double *out, char *err,
		      size_t errlen)
{
	return parse_fraction(v, path, closed_hi, out, err, errlen);
}

int spec_get_seed(const cJSON *v, const char *path, uint64_t *out, char *err, size_t errlen)
{
	double d = 0; /* as in get_int_field */

	if (get_int(v, path, 0, MAX_SEED, &d, err, errlen) < 0)
		return -1;
	*out = (uint64_t)d;
	return 0;
}

void spec_path_join(char *buf, size_t n, const char *a, const char *b)
{
	path_join(buf, n, a, b);
}

/* "keep_checkpoints": "all", "best" or N >= 1 (the latest N and the best). */
static int parse_keep_checkpoints(struct spec *s, const cJSON *v, char *err, size_t errlen)
{
	if (cJSON_IsString(v) && strcmp(v->valuestring, "all") == 0)
		s->keep_checkpoints = SPEC_KEEP_ALL;
	else if (cJSON_IsString(v) && strcmp(v->valuestring, "best") == 0)
		s->keep_checkpoints = SPEC_KEEP_BEST;
	else if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 100000 &&
		 v->valuedouble == floor(v->valuedouble))
		s->keep_checkpoints = (int)v->valuedouble;
	else
		return err_set(err, errlen, "keep_checkpoints: expected \"all\", \"best\" or a "
			       "number of latest epochs >= 1");
	return 0;
}

void spec_checkpoints_kept(const struct spec *s, int *running, int *ended)
{
	int policy = s->keep_checkpoints;

	*running = policy == SPEC_KEEP_ALL ? 0 : policy == SPEC_KEEP_BEST ? 3 : policy + 2;
	*ended = policy == SPEC_KEEP_ALL ? 0 : policy == SPEC_KEEP_BEST ? 1 : policy + 1;
}

int spec_keeps_epoch(const struct spec *s, int e, int latest, int best)
{
	int policy = s->keep_checkpoints;

	if (policy == SPEC_KEEP_ALL)
		return 1;
	if (policy == SPEC_KEEP_BEST)
		return e == best;
	return e > latest - policy || e == best; /* the latest N and the best */
}

/* The names the built-in worker running s's task may change (hparam_adjust),
 * "lr, batch, ...", into buf. */
static const char *adjustable_names(const struct spec *s, char *buf, size_t n)
{
	int task = spec_task(s);
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n_hparams && len < n; i++)
		if (hparam_adjust(&hparams[i], task) == HP_ADJUST_OK)
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "",
						hparams[i].name);
	return buf;
}

/* Whether parameter p may be explored: sampled, and changeable in a running
 * trial (spec_check_adjust, as adjust checks it). Returns 0, or -1 with err
 * naming path. */
static int check_explorable(const struct spec *s, const struct spec_param *p, const char *path,
			    char *err, size_t errlen)
{
	char why[ERRBUF_LEN], names[256];

	if (p->kind == PARAM_FIXED)
		return err_set(err, errlen, "%s: params.%s is a plain value: nothing to explore",
			       path, p->name);
	if (spec_check_adjust(s, p->name, SPEC_CHANGE_RUNNING, why, sizeof why) < 0)
		return err_set(err, errlen, "%s: %s%s%s%s", path, why,
			       s->command ? "" : " (adjustable: ",
			       s->command ? "" : adjustable_names(s, names, sizeof names),
			       s->command ? "" : ")");
	return 0;
}

/* Sets params[].explore from "pbt.explore", or by default on every
 * explorable parameter; at least one must be. */
static int set_explore(struct spec *s, const cJSON *pbt, char *err, size_t errlen)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(pbt, "explore"), *x;
	char path[256], names[256];
	int i = 0, n = 0;

	if (list && (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0))
		return err_set(err, errlen, "pbt.explore: expected a non-empty array of parameter "
			       "names");
	cJSON_ArrayForEach(x, list) {
		int k = cJSON_IsString(x) ? spec_param_index(s, x->valuestring) : -1;

		snprintf(path, sizeof path, "pbt.explore[%d]", i++);
		if (!cJSON_IsString(x))
			return err_set(err, errlen, "%s: expected a parameter name", path);
		if (k < 0)
			return no_such_param(s, path, x->valuestring, err, errlen);
		if (check_explorable(s, &s->params[k], path, err, errlen) < 0)
			return -1;
		s->params[k].explore = 1;
		n++;
	}
	for (int k = 0; !list && k < s->n_params; k++) {
		s->params[k].explore = check_explorable(s, &s->params[k], "", names,
							sizeof names) == 0;
		n += s->params[k].explore;
	}
	if (n == 0)
		return err_set(err, errlen, "pbt: no parameter to explore: sample one in params%s%s",
			       s->command ? "" : " among the adjustable ones: ",
			       s->command ? "" : adjustable_names(s, names, sizeof names));
	return 0;
}

/* The built-in worker's members all train the same epochs, and decisions
 * fall before the last one. */
static int check_pbt_epochs(const struct spec *s, char *err, size_t errlen)
{
	const cJSON *fixed = cJSON_GetObjectItemCaseSensitive(s->train, "epochs");
	int epochs, last;

	if (s->command)
		return 0;
	if (spec_param_index(s, "epochs") >= 0)
		return err_set(err, errlen, "params.epochs: every member of a pbt population trains "
			       "the same epochs: fix it in train");
	epochs = (int)(fixed ? fixed->valuedouble
			     : strtod(hparam_find(hparams, n_hparams, "epochs")->def, NULL));
	last = s->pbt.interval * (s->pbt.generations ? s->pbt.generations : 1);
	if (last < epochs)
		return 0;
	if (!s->pbt.generations)
		return err_set(err, errlen, "pbt.interval: %d leaves no decision before the last "
			       "epoch (epochs is %d)", s->pbt.interval, epochs);
	return err_set(err, errlen, "pbt.generations: %d decisions every %d epochs reach epoch "
		       "%d, the last or beyond (epochs is %d)", s->pbt.generations,
		       s->pbt.interval, last, epochs);
}

int spec_check_pbt(struct spec *s, const cJSON *json, char *err, size_t errlen)
{
	if (set_explore(s, cJSON_GetObjectItemCaseSensitive(json, "pbt"), err, errlen) < 0)
		return -1;
	return check_pbt_epochs(s, err, errlen);
}

/* Scalar top-level options; objects are handled by the caller. */
static int parse_scalar(struct spec *s, const cJSON *v, char *err, size_t errlen)
{
	const char *k = v->string;

	if (strcmp(k, "name") == 0)
		return get_string(v, k, &s->name, err, errlen);
	if (strcmp(k, "description") == 0)
		return cJSON_IsString(v) ? 0 : err_set(err, errlen, "description: expected a string");
	if (strcmp(k, "trials") == 0)
		return get_int_field(v, k, 1, SPEC_MAX_TRIALS, &s->trials, err, errlen);
	if (strcmp(k, "seed") == 0)
		return spec_get_seed(v, k, &s->seed, err, errlen);
	if (strcmp(k, "search") == 0)
		return parse_search(s, v, err, errlen);
	if (strcmp(k, "points") == 0)
		return get_int_field(v, k, 2, 1000, &s->points, err, errlen);
	if (strcmp(k, "rounds") == 0)
		return get_int_field(v, k, 2, 1000, &s->rounds, err, errlen);
	if (strcmp(k, "keep") == 0)
		return parse_fraction(v, k, 1, &s->keep, err, errlen);
	if (strcmp(k, "shrink") == 0)
		return parse_fraction(v, k, 0, &s->shrink, err, errlen);
	if (strcmp(k, "parallel") == 0)
		return get_int_field(v, k, 0, INT_MAX, &s->parallel, err, errlen);
	if (strcmp(k, "retries") == 0)
		return get_int_field(v, k, 0, INT_MAX, &s->retries, err, errlen);
	if (strcmp(k, "fail_fast") == 0) /* 0: never */
		return get_int_field(v, k, 0, SPEC_MAX_TRIALS, &s->fail_fast, err, errlen);
	if (strcmp(k, "memory_mb") == 0)
		return get_int_field(v, k, 0, INT_MAX, &s->memory_mb, err, errlen);
	if (strcmp(k, "timeout") == 0)
		return get_seconds(v, k, &s->timeout, err, errlen);
	if (strcmp(k, "stall_timeout") == 0)
		return get_seconds(v, k, &s->stall_timeout, err, errlen);
	if (strcmp(k, "keep_checkpoints") == 0)
		return parse_keep_checkpoints(s, v, err, errlen);
	return 1; /* not a scalar option */
}

/* cJSON keeps duplicate keys; a spec must not have any, anywhere. */
static int check_duplicates(const cJSON *node, const char *path, char *err, size_t errlen)
{
	const cJSON *a;
	char sub[256];

	if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
		return 0;
	for (a = node->child; a; a = a->next) {
		if (cJSON_IsObject(node)) {
			for (const cJSON *b = node->child; b != a; b = b->next)
				if (strcmp(a->string, b->string) == 0)
					return err_set(err, errlen, "%s%s%s: duplicate key",
						       path, path[0] ? "." : "", a->string);
			if (path[0])
				path_join(sub, sizeof sub, path, a->string);
			else
				snprintf(sub, sizeof sub, "%s", a->string);
		} else {
			snprintf(sub, sizeof sub, "%s[]", path);
		}
		if (check_duplicates(a, sub, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int check_top_keys(const cJSON *json, char *err, size_t errlen)
{
	const cJSON *item;
	char hint[96];

	cJSON_ArrayForEach(item, json) {
		struct suggest sg = {item->string, NULL, 0};

		if (in_list(top_keys, item->string) >= 0)
			continue;
		for (int i = 0; top_keys[i]; i++)
			suggest_try(&sg, top_keys[i]);
		return err_set(err, errlen, "%s: unknown key%s", item->string,
			       suggest_text(&sg, hint, sizeof hint));
	}
	return 0;
}

static int parse_task(struct spec *s, const cJSON *task, char *err, size_t errlen)
{
	const struct hparam *h = hparam_find(hparams, n_hparams, "task");

	if (hparam_check(h, task, err, errlen) < 0)
		return err_prefix(err, errlen, "task");
	if (cJSON_GetObjectItemCaseSensitive(s->train, "task"))
		return err_set(err, errlen, "train.task: also set by the top-level \"task\"");
	s->task = xstrdup(task->valuestring);
	return 0;
}

/* ---- command trials ---- */

int spec_walk_placeholders(const char *arg, spec_placeholder_fn fn, spec_literal_fn lit,
			   void *ctx, char *err, size_t errlen)
{
	const char *p = arg;

	while (*p) {
		const char *close;
		size_t run = strcspn(p, "{}");

		lit(ctx, p, run);
		p += run;
		if (!*p)
			break;
		if (p[0] == p[1]) { /* {{ or }} */
			lit(ctx, p, 1);
			p += 2;
			continue;
		}
		if (*p == '}')
			return err_set(err, errlen, "\"%s\": a lone '}' (write }} for a brace)", arg);
		close = strchr(p, '}');
		if (!close || close == p + 1)
			return err_set(err, errlen, "\"%s\": %s placeholder", arg,
				       close ? "an empty" : "an unclosed");
		if (fn(ctx, p + 1, (size_t)(close - p - 1)) < 0)
			return -1;
		p = close + 1;
	}
	return 0;
}

struct placeholder_check {
	const struct spec *s;
	const char *path;
	char *err;
	size_t errlen;
	int named; /* the error already names the path */
};

static void no_literal(void *ctx, const char *text, size_t len)
{
	(void)ctx, (void)text, (void)len;
}

static int known_placeholder(void *ctx, const char *name, size_t len)
{
	struct placeholder_check *pc = ctx;
	char buf[128];

	snprintf(buf, sizeof buf, "%.*s", (int)len, name);
	if (pc->s->fork_server && strcmp(buf, "workdir") != 0) {
		pc->named = 1;
		return err_set(pc->err, pc->errlen, "%s: {%s}: a fork server's command is started "
			       "once for all its trials, so only {workdir} may be used in it; a "
			       "trial reads its values with caviar.params() (CAVIAR_PARAMS)",
			       pc->path, buf);
	}
	if (in_list(builtin_vars, buf) >= 0 || spec_param_index(pc->s, buf) >= 0 ||
	    cJSON_GetObjectItemCaseSensitive(pc->s->train, buf))
		return 0;
	pc->named = 1;
	return no_such_param(pc->s, pc->path, buf, pc->err, pc->errlen);
}

/* Every {name} in the command names a parameter, a train value or a builtin. */
static int check_placeholders(const struct spec *s, char *err, size_t errlen)
{
	const cJSON *arg;
	char path[64];
	int i = 0;

	cJSON_ArrayForEach(arg, s->command) {
		struct placeholder_check pc = {s, path, err, errlen, 0};

		snprintf(path, sizeof path, "command[%d]", i++);
		if (spec_walk_placeholders(arg->valuestring, known_placeholder, no_literal, &pc,
					   err, errlen) < 0)
			return pc.named ? -1 : err_prefix(err, errlen, "%s", path);
	}
	return 0;
}

/* "slurm": per-sweep options for trials run as Slurm job steps. */
static int parse_slurm(struct spec *s, const cJSON *obj, char *err, size_t errlen)
{
	static const char *const string_keys[] = {"partition", "time", "mem", NULL};
	const cJSON *item, *x;
	char path[128];

	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "slurm: expected an object {\"partition\": ..., "
			       "\"time\": ..., \"cpus\": ..., \"mem\": ..., \"args\": [...]}");
	cJSON_ArrayForEach(item, obj) {
		path_join(path, sizeof path, "slurm", item->string);
		if (in_list(string_keys, item->string) >= 0) {
			if (!cJSON_IsString(item) || !*item->valuestring)
				return err_set(err, errlen, "%s: expected a non-empty string", path);
		} else if (strcmp(item->string, "cpus") == 0) {
			double cpus;

			if (get_int(item, path, 1, 4096, &cpus, err, errlen) < 0)
				return -1;
		} else if (strcmp(item->string, "args") == 0) {
			if (!cJSON_IsArray(item))
				return err_set(err, errlen, "%s: expected an array of strings", path);
			cJSON_ArrayForEach(x, item)
				if (!cJSON_IsString(x))
					return err_set(err, errlen, "%s: expected an array of strings",
						       path);
		} else {
			return err_set(err, errlen, "%s: unknown key (expected partition, time, cpus, "
				       "mem or args)", path);
		}
	}
	s->slurm = cJSON_Duplicate(obj, 1);
	return 0;
}

/* A name caviard sets itself for every trial: a spec may not set it. */
static const char *reserved_env(const char *name)
{
	static const char *const threads[] = {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", NULL};

	if (strncmp(name, "CAVIAR_", 7) == 0)
		return "caviar's own (read by the SDK)";
	if (in_list(threads, name) >= 0)
		return "the trial's threads, from its slot";
	if (strcmp(name, "PYTHONUNBUFFERED") == 0)
		return "so that caviard reads each line as it is printed";
	return NULL;
}

/* "env": {"NAME": "value"}: variables for the trials, over caviard's own. */
static int parse_env(struct spec *s, const cJSON *obj, char *err, size_t errlen)
{
	const cJSON *item;
	const char *why;
	int n = 0;

	if (!cJSON_IsObject(obj))
		return err_set(err, errlen, "env: expected an object of strings, e.g. "
			       "{\"PYTHONPATH\": \"/home/me/src\"}");
	cJSON_ArrayForEach(item, obj) {
		if (!is_identifier(item->string))
			return err_set(err, errlen, "env: \"%s\": not a variable name (letters, "
				       "digits and _, not starting with a digit)", item->string);
		if ((why = reserved_env(item->string)))
			return err_set(err, errlen, "env.%s: set by caviard for every trial (%s)",
				       item->string, why);
		if (!cJSON_IsString(item))
			return err_set(err, errlen, "env.%s: expected a string", item->string);
		if (++n > SPEC_MAX_ENV)
			return err_set(err, errlen, "env: more than %d variables", SPEC_MAX_ENV);
	}
	s->env = cJSON_Duplicate(obj, 1);
	return 0;
}

static int parse_command(struct spec *s, const cJSON *json, char *err, size_t errlen)
{
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(json, "command"), *arg, *v;
	int i = 0;

	if (!cmd && cJSON_GetObjectItemCaseSensitive(json, "fork_server"))
		return err_set(err, errlen, "fork_server: only for a command trial (a spec with "
			       "\"command\"); the built-in worker starts in milliseconds");
	if (!cmd && cJSON_GetObjectItemCaseSensitive(json, "env"))
		return err_set(err, errlen, "env: only for a command trial (a spec with "
			       "\"command\"); the built-in worker needs none");
	if (!cmd)
		return 0;
	if (!cJSON_IsArray(cmd) || cJSON_GetArraySize(cmd) == 0)
		return err_set(err, errlen, "command: expected a non-empty array of strings, e.g. "
			       "[\"python3\", \"train.py\", \"--lr\", \"{lr}\"]");
	cJSON_ArrayForEach(arg, cmd) {
		if (!cJSON_IsString(arg))
			return err_set(err, errlen, "command[%d]: expected a string", i);
		if (i++ == 0 && !*arg->valuestring)
			return err_set(err, errlen, "command[0]: empty program name");
	}
	s->command = cJSON_Duplicate(cmd, 1);
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "metrics_prefix")) &&
	    (get_string(v, "metrics_prefix", &s->metrics_prefix, err, errlen) < 0))
		return -1;
	s->fork_server_setup_timeout = SPEC_SETUP_TIMEOUT;
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "fork_server")) && cJSON_IsObject(v)) {
		const cJSON *item;

		s->fork_server = 1;
		cJSON_ArrayForEach(item, v) {
			if (strcmp(item->string, "setup_timeout") != 0)
				return err_set(err, errlen, "fork_server.%s: unknown key (expected "
					       "setup_timeout)", item->string);
			if (get_seconds(item, "fork_server.setup_timeout",
					&s->fork_server_setup_timeout, err, errlen) < 0)
				return -1;
		}
	} else if (v) {
		if (!cJSON_IsBool(v))
			return err_set(err, errlen, "fork_server: expected true, false or "
				       "{\"setup_timeout\": seconds}");
		s->fork_server = cJSON_IsTrue(v);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "workdir"))) {
		if (get_string(v, "workdir", &s->workdir, err, errlen) < 0)
			return -1;
		if (s->workdir[0] != '/')
			return err_set(err, errlen, "workdir: expected an absolute path, got \"%s\"",
				       s->workdir);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "env")) && parse_env(s, v, err, errlen) < 0)
		return -1;
	return 0;
}

/* The object-valued options and task, in dependency order (train before params). */
static int parse_sections(struct spec *s, const cJSON *json, char *err, size_t errlen)
{
	const cJSON *v;

	if (parse_goals(s, json, err, errlen) < 0)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "early_stop")) &&
	    parse_early_stop(s, v, err, errlen) < 0)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "budget")) &&
	    parse_budget(s, v, err, errlen) < 0)
		return -1;
	if (s->command) {
		if (cJSON_GetObjectItemCaseSensitive(json, "data"))
			return err_set(err, errlen, "data: only for the built-in worker (this spec runs "
				       "a command)");
		if (cJSON_GetObjectItemCaseSensitive(json, "task"))
			return err_set(err, errlen, "task: only for the built-in worker (this spec runs "
				       "a command)");
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "data"))) {
		if (check_table_object(v, "data", data_keys, n_data_keys, "key", err, errlen) < 0)
			return -1;
		s->data = cJSON_Duplicate(v, 1);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "train"))) {
		if ((s->command ? check_free_object(v, err, errlen)
				: check_table_object(v, "train", hparams, n_hparams, "hyperparameter",
						     err, errlen)) < 0)
			return -1;
		s->train = cJSON_Duplicate(v, 1);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "task")) &&
	    parse_task(s, v, err, errlen) < 0)
		return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "params")) &&
	    parse_params(s, v, err, errlen) < 0)
		return -1;
	return s->command ? check_placeholders(s, err, errlen) : 0;
}

static void set_defaults(struct spec *s)
{
	memset(s, 0, sizeof *s);
	s->name = xstrdup("sweep");
	s->seed = 1;
	for (int i = 0; search_ops((enum spec_search)i); i++)
		if (search_ops((enum spec_search)i)->defaults)
			search_ops((enum spec_search)i)->defaults(s);
	s->keep_checkpoints = 1;
	s->fail_fast = SPEC_FAIL_FAST;
	s->objective_metric = xstrdup("val_acc");
	s->objective_max = 1;
	s->es_warmup = 1;
	s->es_min_epochs = 1;
	s->es_eta = 3;
	s->es_min_trials = 3;
}

/* The budget: given, or the default; checked against the strategy. A grid's
 * is checked against its size by the sampler (sample_check_grid). */
static int check_trials(struct spec *s, int given, char *err, size_t errlen)
{
	const struct search_ops *o = search_of(s);

	if (o->sobol && sobol_max_dims() < s->n_params) {
		int sampled = 0;

		for (int i = 0; i < s->n_params; i++)
			sampled += s->params[i].kind != PARAM_FIXED;
		if (sampled > sobol_max_dims())
			return err_set(err, errlen, "params: %s supports at most %d sampled "
				       "parameters, got %d", o->name, sobol_max_dims(), sampled);
	}
	return o->budget(s, given, err, errlen);
}

/* Every search's options object (absent but for s's own search, once
 * check_strategy_options passed: the row then sets what defaults on the
 * sweep's seed). */
static int parse_options(struct spec *s, const cJSON *json, char *err, size_t errlen)
{
	const struct search_ops *o;

	for (int i = 0; (o = search_ops((enum spec_search)i)); i++)
		if (o->options &&
		    o->options(s, cJSON_GetObjectItemCaseSensitive(json, o->keys[0]), err,
			       errlen) < 0)
			return -1;
	return 0;
}

static int parse_all(struct spec *s, const cJSON *json, char *err, size_t errlen)
{
	const cJSON *v;

	if (!cJSON_IsObject(json))
		return err_set(err, errlen, "spec: expected a JSON object");
	if (check_duplicates(json, "", err, errlen) < 0 || check_top_keys(json, err, errlen) < 0)
		return -1;
	cJSON_ArrayForEach(v, json)
		if (parse_scalar(s, v, err, errlen) < 0)
			return -1;
	if ((v = cJSON_GetObjectItemCaseSensitive(json, "slurm")) &&
	    parse_slurm(s, v, err, errlen) < 0)
		return -1;
	if (parse_command(s, json, err, errlen) < 0 ||
	    check_strategy_options(s, json, err, errlen) < 0 ||
	    parse_options(s, json, err, errlen) < 0 || parse_sections(s, json, err, errlen) < 0)
		return -1;
	if (search_of(s)->check && search_of(s)->check(s, json, err, errlen) < 0)
		return -1;
	return check_trials(s, cJSON_GetObjectItemCaseSensitive(json, "trials") != NULL, err,
			    errlen);
}

int spec_parse(struct spec *s, const cJSON *json, char *err, size_t errlen)
{
	set_defaults(s);
	if (parse_all(s, json, err, errlen) < 0) {
		spec_finish(s);
		return -1;
	}
	s->json = cJSON_Duplicate(json, 1);
	return 0;
}

/* 1-based line and column of position end in text. */
static void text_position(const char *text, const char *end, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const char *p = text; p < end; p++) {
		if (*p == '\n')
			++*line, *col = 1;
		else
			++*col;
	}
}

int spec_parse_text(struct spec *s, const char *text, size_t len, char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *json = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	int line, col;

	memset(s, 0, sizeof *s);
	if (!end || end < text || end > text + len)
		end = text + len;
	if (!json) {
		text_position(text, end, &line, &col);
		return err_set(err, errlen, "spec: invalid JSON at line %d, column %d", line, col);
	}
	while (end < text + len && *end && strchr(" \t\r\n", *end))
		end++;
	if (end < text + len && *end) {
		cJSON_Delete(json);
		text_position(text, end, &line, &col);
		return err_set(err, errlen, "spec: unexpected text after the JSON value at line %d, "
			       "column %d", line, col);
	}
	line = spec_parse(s, json, err, errlen);
	cJSON_Delete(json);
	return line;
}

int spec_check_objective(const struct spec *s, char *err, size_t errlen)
{
	int task = spec_task(s);

	if (s->command || !s->objective_metric)
		return 0;
	if (hp_metric_check(task, s->objective_metric, err, errlen) < 0)
		return err_prefix(err, errlen, cJSON_GetObjectItemCaseSensitive(s->json, "objectives")
					       ? "objectives[0].metric" : "objective.metric");
	for (int i = 1; i < s->n_objectives; i++)
		if (hp_metric_check(task, s->objectives[i].metric, err, errlen) < 0)
			return err_prefix(err, errlen, "objectives[%d].metric", i);
	for (int i = 0; i < s->n_constraints; i++)
		if (hp_metric_check(task, s->constraints[i].metric, err, errlen) < 0)
			return err_prefix(err, errlen, "constraints[%d].metric", i);
	return 0;
}

int spec_has_goals(const struct spec *s)
{
	return s->n_objectives > 1 || s->n_constraints > 0;
}

cJSON *spec_goals_json(const struct spec *s)
{
	cJSON *out = cJSON_CreateObject();
	cJSON *objs = cJSON_AddArrayToObject(out, "objectives");
	cJSON *cons = cJSON_AddArrayToObject(out, "constraints");

	for (int i = 0; i < s->n_objectives; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "metric", s->objectives[i].metric);
		cJSON_AddStringToObject(o, "mode", s->objectives[i].max ? "max" : "min");
		cJSON_AddItemToArray(objs, o);
	}
	for (int i = 0; i < s->n_constraints; i++) {
		const struct spec_constraint *c = &s->constraints[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "metric", c->metric);
		if (!isnan(c->hi))
			cJSON_AddNumberToObject(o, "max", c->hi);
		if (!isnan(c->lo))
			cJSON_AddNumberToObject(o, "min", c->lo);
		cJSON_AddItemToArray(cons, o);
	}
	return out;
}

void spec_finish(struct spec *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->objective_metric);
	for (int i = 0; i < s->n_objectives; i++)
		free(s->objectives[i].metric);
	free(s->objectives);
	for (int i = 0; i < s->n_constraints; i++)
		free(s->constraints[i].metric);
	free(s->constraints);
	free(s->task);
	free(s->metrics_prefix);
	free(s->workdir);
	cJSON_Delete(s->command);
	cJSON_Delete(s->slurm);
	cJSON_Delete(s->env);
	cJSON_Delete(s->data);
	cJSON_Delete(s->train);
	cJSON_Delete(s->json);
	for (int i = 0; i < s->n_params; i++)
		param_free(&s->params[i]);
	free(s->params);
	memset(s, 0, sizeof *s);
}

int spec_choice_index(const struct spec_param *p, const cJSON *v)
{
	int i = 0;
	const cJSON *c;

	if (!v)
		return -1;
	cJSON_ArrayForEach(c, p->values) {
		if (cJSON_Compare(c, v, 1))
			return i;
		i++;
	}
	return -1;
}

int spec_param_index(const struct spec *s, const char *name)
{
	for (int i = 0; i < s->n_params; i++)
		if (s->params[i].name && strcmp(s->params[i].name, name) == 0)
			return i;
	return -1;
}

int spec_task(const struct spec *s)
{
	return s->task ? hparam_choice(hparam_find(hparams, n_hparams, "task"), s->task)
		       : HP_TASK_MLP;
}

int spec_check_adjust(const struct spec *s, const char *name, enum spec_change when, char *err,
		      size_t errlen)
{
	int i = spec_param_index(s, name);
	const struct hparam *h = s->command ? NULL : hparam_find(hparams, n_hparams, name);

	if (!s->command && !h)
		return err_set(err, errlen, "%s: not a hyperparameter of the built-in worker", name);
	if (h && strcmp(name, "epochs") == 0) {
		if (when == SPEC_CHANGE_RUNNING)
			return err_set(err, errlen, "epochs: a running trial trains as long as it "
				       "started to (a fork may set its own)");
	} else if (h) {
		switch (hparam_adjust(h, spec_task(s))) {
		case HP_ADJUST_OK:
			break;
		case HP_ADJUST_NOT_READ:
			return err_set(err, errlen, "%s: not read by task %s: a running trial or a "
				       "fork keeps its value", name, s->task ? s->task : "mlp");
		default:
			return err_set(err, errlen, "%s: structural (the model is built with it): "
				       "a running trial or a fork keeps its value", name);
		}
	}
	if (i >= 0 && !s->params[i].steer)
		return err_set(err, errlen, "%s: \"steer\": false in the spec (structural): a "
			       "running trial or a fork keeps its value", name);
	return 0;
}

int spec_check_change(const struct spec *s, const char *name, const cJSON *v,
		      enum spec_change when, int force, char *err, size_t errlen)
{
	int i = spec_param_index(s, name);
	const struct spec_param *p = i >= 0 ? &s->params[i] : NULL;
	const struct hparam *h = s->command ? NULL : hparam_find(hparams, n_hparams, name);
	double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;

	if (spec_check_adjust(s, name, when, err, errlen) < 0)
		return -1;
	if (h && hparam_check(h, v, err, errlen) < 0)
		return err_prefix(err, errlen, "%s", name);
	if (!cJSON_IsNumber(v) && !cJSON_IsString(v) && !cJSON_IsBool(v))
		return err_set(err, errlen, "%s: expected a number, a string or a boolean", name);
	if (!p)
		return 0; /* a name the spec does not know is the program's to refuse */
	switch (p->kind) {
	case PARAM_FIXED:
		return 0;
	case PARAM_CHOICE:
		if (spec_choice_index(p, v) < 0)
			return err_set(err, errlen, "%s: not one of the spec's choices", name);
		return 0;
	default:
		break;
	}
	if (!cJSON_IsNumber(v))
		return err_set(err, errlen, "%s: expected a number (a %s parameter)", name,
			       kinds[p->kind].name);
	if ((p->kind == PARAM_INT || p->kind == PARAM_LOG_INT) && x != floor(x))
		return err_set(err, errlen, "%s: expected a whole number", name);
	if ((p->kind == PARAM_LOG || p->kind == PARAM_LOG_INT) && !(x > 0))
		return err_set(err, errlen, "%s: expected a number > 0 (a %s parameter), got %g",
			       name, kinds[p->kind].name, x);
	if (p->kind == PARAM_REVERSE_LOG && !(x > 0 && x < 1))
		return err_set(err, errlen, "%s: expected a number in (0, 1) (a reverse_log "
			       "parameter), got %g", name, x);
	if (!force && (x < p->lo || x > p->hi))
		return err_set(err, errlen, "%s: %g is outside the spec's range [%g, %g] (--force "
			       "to set it anyway)", name, x, p->lo, p->hi);
	return 0;
}
