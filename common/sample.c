/* sample: trial parameters for every search strategy (see sample.h).
 *
 * Every parameter has a scale: linear for uniform and int, log10(x) for log and
 * log_int, log10(1-x) for reverse_log. Random and coarse_to_fine draw u in
 * [0,1) per parameter and map it linearly into the box's range in that scale;
 * sobol maps a scrambled Sobol' coordinate the same way; the grid spaces its
 * points evenly in that scale; narrowing a box happens in that scale too.
 *
 * Conditions: a parameter whose "when" fails is absent from the trial. For the
 * grid, "controllers" (parameters some condition names) are enumerated first,
 * in spec order; each combination of their values (a "leaf") activates a set
 * of the other parameters, whose cartesian product the leaf contributes. So the
 * grid lists every distinct combination of active values exactly once. */
#include "sample.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "rng.h"
#include "search.h"
#include "sobol.h"
#include "xalloc.h"

static int is_numeric(enum param_kind k)
{
	return k != PARAM_FIXED && k != PARAM_CHOICE;
}

static int is_integer(enum param_kind k)
{
	return k == PARAM_INT || k == PARAM_LOG_INT;
}

/* ---- scales ---- */

double sample_to_scale(enum param_kind k, double x)
{
	if (k == PARAM_LOG || k == PARAM_LOG_INT)
		return log10(x);
	if (k == PARAM_REVERSE_LOG)
		return log10(1.0 - x);
	return x;
}

double sample_from_scale(enum param_kind k, double t)
{
	if (k == PARAM_LOG || k == PARAM_LOG_INT)
		return pow(10.0, t);
	if (k == PARAM_REVERSE_LOG)
		return 1.0 - pow(10.0, t);
	return t;
}

static double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Maps u in [0,1) into [lo, hi] in the kind's scale (numeric kinds). */
static double map_unit(enum param_kind k, double lo, double hi, double u)
{
	double a, b;

	switch (k) {
	case PARAM_INT:
		return clamp(lo + floor(u * (hi - lo + 1.0)), lo, hi);
	case PARAM_LOG_INT:
		/* P(n) = ln((n+1)/n) / ln((hi+1)/lo): log-uniform density */
		a = log(lo);
		b = log(hi + 1.0);
		return clamp(floor(exp(a + u * (b - a))), lo, hi);
	default:
		a = sample_to_scale(k, lo);
		b = sample_to_scale(k, hi);
		return clamp(sample_from_scale(k, a + u * (b - a)), lo, hi);
	}
}

/* The value of p at u in [0,1), within [lo, hi] for numeric kinds. */
static cJSON *value_at(const struct spec_param *p, double lo, double hi, double u)
{
	if (p->kind == PARAM_FIXED)
		return cJSON_Duplicate(p->values, 1);
	if (p->kind == PARAM_CHOICE) {
		int n = cJSON_GetArraySize(p->values);
		int i = (int)floor(u * n);

		return cJSON_Duplicate(cJSON_GetArrayItem(p->values, i < n ? i : n - 1), 1);
	}
	return cJSON_CreateNumber(map_unit(p->kind, lo, hi, u));
}

double sample_unit_of(const struct spec_param *p, double t)
{
	double a, b;

	if (isnan(t))
		return NAN;
	switch (p->kind) {
	case PARAM_CHOICE:
		return (t + 0.5) / cJSON_GetArraySize(p->values);
	case PARAM_INT:
		return (t - p->lo + 0.5) / (p->hi - p->lo + 1.0);
	case PARAM_LOG_INT: /* the cell [ln n, ln(n+1)) of map_unit's */
		a = log(p->lo), b = log(p->hi + 1.0);
		return (0.5 * (log(pow(10.0, t)) + log(pow(10.0, t) + 1.0)) - a) / (b - a);
	default:
		a = sample_to_scale(p->kind, p->lo), b = sample_to_scale(p->kind, p->hi);
		return clamp((t - a) / (b - a), 0, 1);
	}
}

cJSON *sample_value_at(const struct spec_param *p, double u)
{
	return value_at(p, p->lo, p->hi, clamp(u, 0, 1));
}

/* ---- conditions ---- */

/* Does p's every condition hold, given the trial's params so far? A condition
 * naming a parameter looks in trial (absent: it fails); one naming a train key
 * looks at the fixed value. */
int sample_active(const struct spec *s, const struct spec_param *p, const cJSON *trial)
{
	for (int i = 0; i < p->n_when; i++) {
		const struct spec_cond *c = &p->when[i];
		const cJSON *v, *x;
		int ok = 0;

		if (spec_param_index(s, c->name) >= 0)
			v = cJSON_GetObjectItemCaseSensitive(trial, c->name);
		else
			v = cJSON_GetObjectItemCaseSensitive(s->train, c->name);
		if (!v)
			return 0;
		cJSON_ArrayForEach(x, c->values)
			ok |= cJSON_Compare(x, v, 1);
		if (!ok)
			return 0;
	}
	return 1;
}

/* ---- boxes ---- */

void sample_box_init(struct sample_box *b, const struct spec *s)
{
	b->n = s->n_params;
	b->lo = xcalloc((size_t)b->n + 1, sizeof *b->lo);
	b->hi = xcalloc((size_t)b->n + 1, sizeof *b->hi);
	b->excluded = xcalloc((size_t)b->n + 1, sizeof *b->excluded);
	for (int i = 0; i < b->n; i++) {
		b->lo[i] = s->params[i].lo;
		b->hi[i] = s->params[i].hi;
	}
}

void sample_box_copy(struct sample_box *to, const struct sample_box *from)
{
	to->n = from->n;
	to->lo = xcalloc((size_t)to->n + 1, sizeof *to->lo);
	to->hi = xcalloc((size_t)to->n + 1, sizeof *to->hi);
	to->excluded = xcalloc((size_t)to->n + 1, sizeof *to->excluded);
	memcpy(to->lo, from->lo, (size_t)to->n * sizeof *to->lo);
	memcpy(to->hi, from->hi, (size_t)to->n * sizeof *to->hi);
	if (from->excluded)
		memcpy(to->excluded, from->excluded, (size_t)to->n * sizeof *to->excluded);
}

void sample_box_finish(struct sample_box *b)
{
	if (!b)
		return;
	free(b->lo);
	free(b->hi);
	free(b->excluded);
	memset(b, 0, sizeof *b);
}

/* Whether value i of choice param k is sampled in box b. */
static uint64_t value_mask(const struct spec_param *p)
{
	int n = cJSON_GetArraySize(p->values);

	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static int allowed(const struct sample_box *b, int k, int i)
{
	return !b || !b->excluded || i >= 64 || !(b->excluded[k] >> i & 1);
}

cJSON *sample_box_to_json(const struct sample_box *b, const struct spec *s)
{
	cJSON *obj = cJSON_CreateObject();

	for (int i = 0; i < s->n_params && i < b->n; i++) {
		const struct spec_param *p = &s->params[i];
		cJSON *range, *pair;

		if (p->kind == PARAM_CHOICE && b->excluded && b->excluded[i]) {
			cJSON *vals = cJSON_CreateArray(), *v;
			int j = 0;

			cJSON_ArrayForEach(v, p->values)
				if (allowed(b, i, j++))
					cJSON_AddItemToArray(vals, cJSON_Duplicate(v, 1));
			range = cJSON_CreateObject();
			cJSON_AddItemToObject(range, "choice", vals);
			cJSON_AddItemToObject(obj, p->name, range);
		}
		if (!is_numeric(p->kind))
			continue;
		pair = cJSON_CreateArray();
		cJSON_AddItemToArray(pair, cJSON_CreateNumber(b->lo[i]));
		cJSON_AddItemToArray(pair, cJSON_CreateNumber(b->hi[i]));
		range = cJSON_CreateObject();
		cJSON_AddItemToObject(range, spec_kind_name(p->kind), pair);
		cJSON_AddItemToObject(obj, p->name, range);
	}
	return obj;
}

/* One entry of a recorded box: {"log": [lo, hi]} inside the spec's range. */
static int box_entry(const struct spec_param *p, const cJSON *range, double *lo, double *hi,
		     char *err, size_t errlen)
{
	const cJSON *pair = cJSON_GetObjectItemCaseSensitive(range, spec_kind_name(p->kind));
	const cJSON *a = cJSON_GetArrayItem(pair, 0), *b = cJSON_GetArrayItem(pair, 1);

	if (!cJSON_IsObject(range) || cJSON_GetArraySize(range) != 1 || !cJSON_IsArray(pair) ||
	    cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(a) || !cJSON_IsNumber(b))
		return err_set(err, errlen, "box.%s: expected {\"%s\": [lo, hi]}", p->name,
			       spec_kind_name(p->kind));
	*lo = a->valuedouble;
	*hi = b->valuedouble;
	if (!(*lo <= *hi) || *lo < p->lo || *hi > p->hi)
		return err_set(err, errlen, "box.%s: [%g, %g] is not an ordered range inside the "
			       "spec's [%g, %g]", p->name, *lo, *hi, p->lo, p->hi);
	if (is_integer(p->kind) && (*lo != floor(*lo) || *hi != floor(*hi)))
		return err_set(err, errlen, "box.%s: bounds must be integers", p->name);
	return 0;
}

/* A recorded choice entry: {"choice": [values of the spec]}. */
static int box_choice(const struct spec_param *p, const cJSON *range, uint64_t *excluded,
		      char *err, size_t errlen)
{
	const cJSON *vals = cJSON_GetObjectItemCaseSensitive(range, "choice"), *v, *c;
	uint64_t keep = 0;

	if (!cJSON_IsArray(vals) || cJSON_GetArraySize(vals) == 0)
		return err_set(err, errlen, "box.%s: expected {\"choice\": [values]}", p->name);
	cJSON_ArrayForEach(v, vals) {
		int j = 0, found = 0;

		cJSON_ArrayForEach(c, p->values) {
			if (cJSON_Compare(c, v, 1) && j < 64)
				keep |= 1ull << j, found = 1;
			j++;
		}
		if (!found)
			return err_set(err, errlen, "box.%s: a value not among the spec's", p->name);
	}
	*excluded = ~keep & value_mask(p);
	return 0;
}

int sample_box_from_json(struct sample_box *b, const struct spec *s, const cJSON *json,
			 char *err, size_t errlen)
{
	const cJSON *item;

	memset(b, 0, sizeof *b);
	if (!cJSON_IsObject(json))
		return err_set(err, errlen, "box: expected an object");
	cJSON_ArrayForEach(item, json) {
		int i = spec_param_index(s, item->string);

		if (i < 0 || s->params[i].kind == PARAM_FIXED)
			return err_set(err, errlen, "box.%s: not a sampled parameter of the spec",
				       item->string);
	}
	sample_box_init(b, s);
	for (int i = 0; i < s->n_params; i++) {
		if (s->params[i].kind == PARAM_CHOICE) {
			item = cJSON_GetObjectItemCaseSensitive(json, s->params[i].name);
			if (item && box_choice(&s->params[i], item, &b->excluded[i], err, errlen) < 0) {
				sample_box_finish(b);
				return -1;
			}
			continue;
		}
		if (!is_numeric(s->params[i].kind))
			continue;
		item = cJSON_GetObjectItemCaseSensitive(json, s->params[i].name);
		if (!item) {
			sample_box_finish(b);
			return err_set(err, errlen, "box.%s: missing", s->params[i].name);
		}
		if (box_entry(&s->params[i], item, &b->lo[i], &b->hi[i], err, errlen) < 0) {
			sample_box_finish(b);
			return -1;
		}
	}
	return 0;
}

/* ---- rounds ---- */

int sample_rounds(const struct spec *s)
{
	const struct search_ops *o = search_of(s);

	return o->rounds ? o->rounds(s) : 1;
}

int sample_round_size(const struct spec *s, int round)
{
	int rounds = sample_rounds(s);

	if (round < 0 || round >= rounds)
		return 0;
	if (search_of(s)->round_size)
		return search_of(s)->round_size(s, round);
	return s->trials / rounds + (round < s->trials % rounds);
}

int sample_round_end(const struct spec *s, int round)
{
	int n = 0;

	for (int r = 0; r <= round; r++)
		n += sample_round_size(s, r);
	return n;
}

/* ---- random and sobol ---- */

/* A choice's u: the middle of a value's slot, uniform over the values the
 * box allows (all of them: exactly as before narrowing existed). */
static double choice_u(const struct sample_box *box, int k, int n, struct rng *r)
{
	int m = 0, pick, j = 0;

	for (int i = 0; i < n; i++)
		m += allowed(box, k, i);
	if (m == n || m == 0)
		return ((double)rng_below(r, (uint64_t)n) + 0.5) / n;
	pick = (int)rng_below(r, (uint64_t)m);
	for (; j < n; j++)
		if (allowed(box, k, j) && pick-- == 0)
			break;
	return (j + 0.5) / n;
}

/* Param k of trial `number` draws from its own stream: rng_derive(rng_derive(
 * seed, number), k), so one parameter's value does not depend on whether
 * others were active. */
/* Param p drawn from r within entry k of box, as random search draws it. */
static cJSON *draw_in_box(const struct spec_param *p, const struct sample_box *box, int k,
			  struct rng *r)
{
	double u;

	if (p->kind == PARAM_INT)
		u = ((double)rng_below(r, (uint64_t)(box->hi[k] - box->lo[k]) + 1) + 0.5) /
		    (box->hi[k] - box->lo[k] + 1.0);
	else if (p->kind == PARAM_CHOICE)
		u = choice_u(box, k, cJSON_GetArraySize(p->values), r);
	else
		u = rng_uniform(r);
	return value_at(p, box->lo[k], box->hi[k], u);
}

cJSON *sample_random(const struct spec *s, const struct sample_box *box, int number)
{
	uint64_t base = rng_derive(s->seed, (uint64_t)number);
	cJSON *trial = cJSON_CreateObject();

	for (int k = 0; k < s->n_params; k++) {
		struct rng r;

		if (!sample_active(s, &s->params[k], trial))
			continue;
		rng_seed(&r, rng_derive(base, (uint64_t)k));
		cJSON_AddItemToObject(trial, s->params[k].name,
				      draw_in_box(&s->params[k], box, k, &r));
	}
	return trial;
}

cJSON *sample_draw(const struct spec *s, int k, struct rng *r)
{
	const struct spec_param *p = &s->params[k];
	double lo[1] = {p->lo}, hi[1] = {p->hi};
	struct sample_box own = {1, lo, hi, NULL};

	return draw_in_box(p, &own, 0, r);
}

/* Sampled (non-fixed) param j is Sobol' dimension j; its scramble seed is
 * derived from the sweep's seed. Trial i is point i of the scrambled sequence. */
cJSON *sample_sobol(const struct spec *s, const struct sample_box *box, int number)
{
	cJSON *trial = cJSON_CreateObject();
	int dim = 0;

	for (int k = 0; k < s->n_params; k++) {
		const struct spec_param *p = &s->params[k];
		double u = 0;

		if (p->kind != PARAM_FIXED) {
			uint32_t seed = (uint32_t)(rng_derive(s->seed ^ 0x50b01ull, (uint64_t)dim) >> 32);

			u = sobol_point((uint32_t)number, dim++, seed);
		}
		if (sample_active(s, p, trial))
			cJSON_AddItemToObject(trial, p->name, value_at(p, box->lo[k], box->hi[k], u));
	}
	return trial;
}

/* ---- grid ---- */

/* The values a parameter takes on the grid. */
struct axis {
	int count;
	double *num; /* numeric kinds: count values, ascending */
};

struct grid {
	const struct spec *s;
	struct axis *ax;
	int *ctrl, n_ctrl; /* controllers, in spec order */
	char *is_ctrl;
};

/* `points` values evenly spaced in the kind's scale, endpoints exact; for
 * integer kinds rounded and deduplicated. */
static void axis_numeric(struct axis *a, const struct spec_param *p, double lo, double hi,
			 int points)
{
	double tl = sample_to_scale(p->kind, lo), th = sample_to_scale(p->kind, hi);

	a->num = xcalloc((size_t)points, sizeof *a->num);
	for (int i = 0; i < points; i++) {
		double x = i == 0 ? lo : i == points - 1 ? hi :
			   sample_from_scale(p->kind, tl + (th - tl) * i / (points - 1));

		x = clamp(x, fmin(lo, hi), fmax(lo, hi));
		if (is_integer(p->kind))
			x = round(x);
		if (a->count > 0 && x == a->num[a->count - 1])
			continue;
		a->num[a->count++] = x;
	}
	if (lo == hi)
		a->count = 1;
}

static void grid_init(struct grid *g, const struct spec *s, const struct sample_box *box)
{
	g->s = s;
	g->ax = xcalloc((size_t)s->n_params + 1, sizeof *g->ax);
	g->ctrl = xcalloc((size_t)s->n_params + 1, sizeof *g->ctrl);
	g->is_ctrl = xcalloc((size_t)s->n_params + 1, 1);
	g->n_ctrl = 0;
	for (int k = 0; k < s->n_params; k++) {
		const struct spec_param *p = &s->params[k];

		if (p->kind == PARAM_FIXED)
			g->ax[k].count = 1;
		else if (p->kind == PARAM_CHOICE)
			g->ax[k].count = cJSON_GetArraySize(p->values);
		else
			axis_numeric(&g->ax[k], p, box->lo[k], box->hi[k], s->points);
		for (int c = 0; c < p->n_when; c++) {
			int j = spec_param_index(s, p->when[c].name);

			if (j >= 0)
				g->is_ctrl[j] = 1;
		}
	}
	for (int k = 0; k < s->n_params; k++)
		if (g->is_ctrl[k])
			g->ctrl[g->n_ctrl++] = k;
}

static void grid_finish(struct grid *g)
{
	for (int k = 0; k < g->s->n_params; k++)
		free(g->ax[k].num);
	free(g->ax);
	free(g->ctrl);
	free(g->is_ctrl);
}

static cJSON *axis_value(const struct grid *g, int k, int i)
{
	const struct spec_param *p = &g->s->params[k];

	if (p->kind == PARAM_FIXED)
		return cJSON_Duplicate(p->values, 1);
	if (p->kind == PARAM_CHOICE)
		return cJSON_Duplicate(cJSON_GetArrayItem(p->values, i), 1);
	return cJSON_CreateNumber(g->ax[k].num[i]);
}

static long mul_sat(long a, long b)
{
	return (b != 0 && a > LONG_MAX / b) ? LONG_MAX : a * b;
}

/* Size of a leaf: the product of the active non-controllers' counts. */
static long leaf_size(const struct grid *g, const cJSON *ctrl_values)
{
	long n = 1;

	for (int k = 0; k < g->s->n_params; k++)
		if (!g->is_ctrl[k] && sample_active(g->s, &g->s->params[k], ctrl_values))
			n = mul_sat(n, g->ax[k].count);
	return n;
}

/* Point `rem` of a leaf, non-controllers in mixed radix (last fastest), merged
 * with the controllers' values into a new object in spec order. */
static cJSON *leaf_point(const struct grid *g, const cJSON *ctrl_values, long rem)
{
	const struct spec *s = g->s;
	int *digit = xcalloc((size_t)s->n_params + 1, sizeof *digit);
	cJSON *trial = cJSON_CreateObject();

	for (int k = s->n_params - 1; k >= 0; k--) {
		if (g->is_ctrl[k] || !sample_active(s, &s->params[k], ctrl_values))
			continue;
		digit[k] = (int)(rem % g->ax[k].count);
		rem /= g->ax[k].count;
	}
	for (int k = 0; k < s->n_params; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctrl_values, s->params[k].name);

		if (g->is_ctrl[k] && v)
			cJSON_AddItemToObject(trial, s->params[k].name, cJSON_Duplicate(v, 1));
		else if (!g->is_ctrl[k] && sample_active(s, &s->params[k], ctrl_values))
			cJSON_AddItemToObject(trial, s->params[k].name, axis_value(g, k, digit[k]));
	}
	free(digit);
	return trial;
}

/* Walks the controllers' combinations from controller pos on. Counting mode
 * (out NULL): returns the number of points. Finding mode: skips *rem points,
 * stores the point reached in *out and returns 1 once found. */
static long grid_walk(const struct grid *g, int pos, cJSON *ctrl_values, long *rem, cJSON **out)
{
	const struct spec_param *p;
	long total = 0;

	if (pos == g->n_ctrl) {
		long n = leaf_size(g, ctrl_values);

		if (out && *rem < n) {
			*out = leaf_point(g, ctrl_values, *rem);
			return 1;
		}
		if (out)
			*rem -= n;
		return n;
	}
	p = &g->s->params[g->ctrl[pos]];
	if (!sample_active(g->s, p, ctrl_values))
		return grid_walk(g, pos + 1, ctrl_values, rem, out);
	for (int i = 0; i < g->ax[g->ctrl[pos]].count; i++) {
		long n;

		cJSON_AddItemToObject(ctrl_values, p->name, axis_value(g, g->ctrl[pos], i));
		n = grid_walk(g, pos + 1, ctrl_values, rem, out);
		cJSON_DeleteItemFromObjectCaseSensitive(ctrl_values, p->name);
		if (out && *out)
			return 1;
		total = total > LONG_MAX - n ? LONG_MAX : total + n;
	}
	return out ? 0 : total;
}

static long grid_count(const struct spec *s, const struct sample_box *box)
{
	struct grid g;
	cJSON *ctrl_values = cJSON_CreateObject();
	long n;

	grid_init(&g, s, box);
	n = grid_walk(&g, 0, ctrl_values, NULL, NULL);
	grid_finish(&g);
	cJSON_Delete(ctrl_values);
	return n;
}

long sample_grid_size(const struct spec *s)
{
	struct sample_box box;
	long n;

	sample_box_init(&box, s);
	n = grid_count(s, &box);
	sample_box_finish(&box);
	return n;
}

int sample_check_grid(struct spec *s, char *err, size_t errlen)
{
	const struct search_ops *o = search_of(s);

	return o->fit ? o->fit(s, err, errlen) : 0;
}

/* A keyed bijection of [0, 2^bits): xorshift, odd multiply, add; each step is
 * invertible modulo 2^bits. */
static uint64_t mix_bits(uint64_t x, int bits, const uint64_t key[4])
{
	uint64_t mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
	int half = bits / 2 > 0 ? bits / 2 : 1;

	for (int r = 0; r < 4; r++) {
		x = (x + key[r]) & mask;
		x = (x * (key[(r + 1) & 3] | 1)) & mask;
		x ^= x >> half;
	}
	return x;
}

/* Position `number` of a seeded random permutation of [0, n) (cycle walking). */
static long permute(uint64_t seed, long number, long n)
{
	uint64_t key[4], x = (uint64_t)number;
	int bits = 0;
	struct rng r;

	while (bits < 63 && (1ull << bits) < (uint64_t)n)
		bits++;
	rng_seed(&r, rng_derive(seed, UINT64_MAX));
	for (int i = 0; i < 4; i++)
		key[i] = rng_next(&r);
	do
		x = mix_bits(x, bits, key);
	while (x >= (uint64_t)n);
	return (long)x;
}

/* Trial i is point i of the product; with fewer trials than points, point
 * permute(i) so a partial grid is spread over the whole grid. */
cJSON *sample_grid(const struct spec *s, const struct sample_box *box, int number)
{
	struct grid g;
	cJSON *ctrl_values = cJSON_CreateObject(), *out = NULL;
	long size, rem;

	grid_init(&g, s, box);
	size = grid_walk(&g, 0, ctrl_values, NULL, NULL);
	rem = number;
	if (size > 0 && s->trials < size)
		rem = permute(s->seed, number, size);
	if (size > 0)
		rem %= size;
	grid_walk(&g, 0, ctrl_values, &rem, &out);
	grid_finish(&g);
	cJSON_Delete(ctrl_values);
	return out ? out : cJSON_CreateObject();
}

cJSON *sample_trial(const struct spec *s, const struct sample_box *box, int number)
{
	struct sample_box own;
	cJSON *trial;

	if (box && box->n == s->n_params)
		return search_of(s)->sample(s, box, number);
	sample_box_init(&own, s);
	trial = search_of(s)->sample(s, &own, number);
	sample_box_finish(&own);
	return trial;
}

/* ---- coarse to fine ---- */

struct ranked {
	double value;
	int index;
};

static int cmp_ranked(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->value, y = ((const struct ranked *)b)->value;

	if (x != y)
		return x < y ? -1 : 1;
	return ((const struct ranked *)a)->index - ((const struct ranked *)b)->index;
}

/* The new range of numeric param k in its scale: width shrink x previous,
 * centred on the kept trials' mean but moved so that the best lies in its
 * middle half, shifted inside the spec's range; then back to raw values. */
static void narrow_param(const struct spec *s, int k, const struct sample_box *prev,
			 const double *t_kept, int n_kept, double best, struct sample_box *next)
{
	const struct spec_param *p = &s->params[k];
	double a = sample_to_scale(p->kind, prev->lo[k]), b = sample_to_scale(p->kind, prev->hi[k]);
	double sa = sample_to_scale(p->kind, p->lo), sb = sample_to_scale(p->kind, p->hi);
	double w = s->shrink * fabs(b - a), tb = sample_to_scale(p->kind, best), c = 0, L, U, x, y;

	for (int i = 0; i < n_kept; i++)
		c += t_kept[i] / n_kept;
	c = clamp(c, tb - w / 4, tb + w / 4);
	L = c - w / 2;
	U = c + w / 2;
	if (L < fmin(sa, sb))
		U += fmin(sa, sb) - L, L = fmin(sa, sb);
	if (U > fmax(sa, sb))
		L -= U - fmax(sa, sb), U = fmax(sa, sb);
	x = clamp(sample_from_scale(p->kind, L), p->lo, p->hi);
	y = clamp(sample_from_scale(p->kind, U), p->lo, p->hi);
	next->lo[k] = fmin(fmin(x, y), best);
	next->hi[k] = fmax(fmax(x, y), best);
	if (is_integer(p->kind)) {
		next->lo[k] = fmin(ceil(next->lo[k] - 1e-9), best);
		next->hi[k] = fmax(floor(next->hi[k] + 1e-9), best);
	}
}

/* Narrows param k around the kept trials (ranked best first) that have it. */
static void narrow_kept(const struct spec *s, int k, const struct sample_box *prev,
			const cJSON *const *params, const struct ranked *kept, int n_kept,
			struct sample_box *next)
{
	double *t = xcalloc((size_t)n_kept + 1, sizeof *t), best = NAN;
	int m = 0;

	for (int i = 0; i < n_kept; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(params[kept[i].index],
								  s->params[k].name);

		if (!cJSON_IsNumber(v))
			continue;
		if (m == 0)
			best = v->valuedouble;
		t[m++] = sample_to_scale(s->params[k].kind, v->valuedouble);
	}
	if (m > 0)
		narrow_param(s, k, prev, t, m, best, next);
	free(t);
}

/* A choice keeps the values its kept trials used (unchanged when none has it). */
static void narrow_choice(const struct spec *s, int k, const cJSON *const *params,
			  const struct ranked *kept, int n_kept, struct sample_box *next)
{
	const struct spec_param *p = &s->params[k];
	uint64_t used = 0;
	int any = 0;

	for (int i = 0; i < n_kept; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(params[kept[i].index], p->name), *c;
		int j = 0;

		cJSON_ArrayForEach(c, p->values) {
			if (v && j < 64 && cJSON_Compare(c, v, 1))
				used |= 1ull << j, any = 1;
			j++;
		}
	}
	if (any)
		next->excluded[k] = ~used & value_mask(p);
}

int sample_narrow(const struct spec *s, const struct sample_box *prev,
		  const cJSON *const *params, const double *values, int n,
		  struct sample_box *next, char *err, size_t errlen)
{
	struct ranked *r = xcalloc((size_t)n + 1, sizeof *r);
	int m = 0, keep;

	for (int i = 0; i < n; i++)
		if (isfinite(values[i]) && cJSON_IsObject(params[i]))
			r[m++] = (struct ranked){s->objective_max ? -values[i] : values[i], i};
	if (m == 0) {
		free(r);
		memset(next, 0, sizeof *next);
		return err_set(err, errlen, "narrow: no trial of the round has a result");
	}
	qsort(r, (size_t)m, sizeof *r, cmp_ranked);
	keep = (int)ceil(s->keep * m - 1e-9);
	keep = keep < 1 ? 1 : keep > m ? m : keep;
	sample_box_init(next, s);
	for (int k = 0; k < s->n_params && k < prev->n; k++) {
		next->lo[k] = prev->lo[k];
		next->hi[k] = prev->hi[k];
		if (prev->excluded)
			next->excluded[k] = prev->excluded[k];
		if (is_numeric(s->params[k].kind))
			narrow_kept(s, k, prev, params, r, keep, next);
		else if (s->params[k].kind == PARAM_CHOICE)
			narrow_choice(s, k, params, r, keep, next);
	}
	free(r);
	return 0;
}

/* ---- discrepancy ---- */

/* Warnock's formula: D2^2 = 3^-d - 2^(1-d)/n sum_i prod_k (1 - x_ik^2)
 *                          + 1/n^2 sum_ij prod_k (1 - max(x_ik, x_jk)). */
double sample_l2_discrepancy(const double *pts, int n, int d)
{
	double a = 0, b = 0;

	for (int i = 0; i < n; i++) {
		double p = 1;

		for (int k = 0; k < d; k++)
			p *= 1 - pts[i * d + k] * pts[i * d + k];
		a += p;
		for (int j = 0; j < n; j++) {
			double q = 1;

			for (int k = 0; k < d; k++)
				q *= 1 - fmax(pts[i * d + k], pts[j * d + k]);
			b += q;
		}
	}
	return sqrt(fmax(0, pow(3, -d) - pow(2, 1 - d) / n * a + b / ((double)n * n)));
}
