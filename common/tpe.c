/* tpe: the tree-structured Parzen estimator (see tpe.h).
 *
 * What is Optuna 3.1's (optuna/samplers/_tpe/{sampler,parzen_estimator}.py),
 * matched here:
 * - gamma(n) = min(ceil(0.1 n), 25) good trials of the n complete and pruned
 *   ones; ranking (state, value): complete first by value, then pruned ones by
 *   the step they reached (more first) and their last value, then pruned ones
 *   without values; running ones (constant liar) last, not counted in n.
 * - weights: ones below 25 observations, else a ramp from 1/m for the oldest
 *   m - 25; the prior's weight prior_weight = 1; normalized.
 * - numeric bounds: [lo, hi] in the internal coordinate; int: [lo - 0.5,
 *   hi + 0.5] and the density of an integer is the mass of its unit bin;
 *   log int: [log(lo - 0.5), log(hi + 0.5)], continuous, rounded after.
 * - univariate bandwidth: the observations and the prior's mean (mid-range)
 *   sorted between the bounds; each sigma the larger gap to a neighbour, the
 *   first and last their inner gap (consider_endpoints false); then the magic
 *   clip into [range / min(100, 1 + m + 1), range]; the prior N(mid, range).
 *   Every component truncated to the bounds.
 * - multivariate bandwidth: 0.2 m^(-1/(d+4)) range (Scott's rule as in BOHB),
 *   clipped the same way.
 * - categorical: per observation, prior_weight / (m + 1) on every value plus
 *   1 on its own, normalized; the prior uniform.
 * - n_ei_candidates = 24 draws from l; the one with the largest log l - log g.
 * - Optuna 3.1's truncated normal log density omits -log(sigma) (its
 *   _truncnorm.logpdf; later versions add it), so the l/g it compares weighs
 *   each component by its sigma. The model here compares the same quantity
 *   (measured: better on every test function than true densities); the
 *   densities tpe_pe_log_pdf reports, and the unit tests integrate, are true.
 * What differs: the startup trials are scrambled Sobol' points, not random;
 * the random streams are ours (rng.h), so the draws are not Optuna's; a
 * running trial that reported results is ranked like a pruned one (Optuna
 * ignores its values); components with the same mean and sigma are merged
 * and those beyond 7.1 sigma of a point skipped (both change densities by
 * less than 1e-7 relatively); with several objectives a good trial's
 * hypervolume contribution is half its weight, not all (tpe.hypervolume_
 * weight 0.5; goals_weights says why). */
#include "tpe.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pareto.h"
#include "rng.h"
#include "sample.h"
#include "xalloc.h"

#define LOG_SQRT_2PI 0.91893853320467274178
#define SQRT_2PI 2.50662827463100050242
#define SQRT1_2 0.70710678118654752440
#define FAR_Z2 50.0 /* components beyond sqrt(50) ~ 7.1 sigma of a point: skipped */
#define FAR_Z 9.0   /* a component this many sigmas inside both bounds: mass 1 */
#define SIGMA0_MAGNITUDE 0.2
#define TPE_SALT 0x7e5eedull
#define TPE_EPS 1e-12 /* Optuna's EPS: a weight's floor, a zero reference's value */

/* ---- history ---- */

static void history_init(struct tpe_history *h, int n_params, int n_goals, int n_cons)
{
	memset(h, 0, sizeof *h);
	h->n_params = n_params;
	h->n_goals = n_goals > 1 ? n_goals : 1;
	h->n_cons = n_cons;
}

void tpe_history_init(struct tpe_history *h, int n_params)
{
	history_init(h, n_params, 1, 0);
}

void tpe_history_init_goals(struct tpe_history *h, const struct spec *s)
{
	history_init(h, s->n_params, s->n_objectives, s->n_constraints);
}

void tpe_history_finish(struct tpe_history *h)
{
	if (!h)
		return;
	for (int k = 0; h->by_x && k < h->n_params; k++)
		free(h->by_x[k]);
	free(h->by_x);
	free(h->n_by_x);
	free(h->state);
	free(h->epochs);
	free(h->value);
	free(h->x);
	free(h->goals);
	free(h->cons);
	memset(h, 0, sizeof *h);
}

static void history_grow(struct tpe_history *h, int number)
{
	int np = h->n_params > 0 ? h->n_params : 1;

	if (number >= h->cap) {
		int cap = h->cap ? h->cap : 64;

		while (cap <= number)
			cap *= 2;
		h->state = xrealloc(h->state, (size_t)cap * sizeof *h->state);
		h->epochs = xrealloc(h->epochs, (size_t)cap * sizeof *h->epochs);
		h->value = xrealloc(h->value, (size_t)cap * sizeof *h->value);
		h->x = xrealloc(h->x, (size_t)cap * (size_t)np * sizeof *h->x);
		h->goals = xrealloc(h->goals, (size_t)cap * (size_t)h->n_goals * sizeof *h->goals);
		h->cons = xrealloc(h->cons, ((size_t)cap * (size_t)h->n_cons + 1) * sizeof *h->cons);
		if (!h->by_x) {
			h->by_x = xcalloc((size_t)np, sizeof *h->by_x);
			h->n_by_x = xcalloc((size_t)np, sizeof *h->n_by_x);
		}
		for (int k = 0; k < h->n_params; k++)
			h->by_x[k] = xrealloc(h->by_x[k], (size_t)cap * sizeof **h->by_x);
		h->cap = cap;
	}
	for (; h->n <= number; h->n++) {
		h->state[h->n] = TPE_NONE;
		h->epochs[h->n] = 0;
		h->value[h->n] = NAN;
		for (int j = 0; j < h->n_goals; j++)
			h->goals[(size_t)h->n * (size_t)h->n_goals + (size_t)j] = NAN;
		for (int j = 0; j < h->n_cons; j++)
			h->cons[(size_t)h->n * (size_t)h->n_cons + (size_t)j] = NAN;
		for (int k = 0; k < np; k++)
			h->x[(size_t)h->n * (size_t)np + (size_t)k] = NAN;
	}
}

/* A param's value in its internal coordinate; NAN when absent or not modelled. */
static double internal(const struct spec_param *p, const cJSON *v)
{
	const cJSON *c;
	int i = 0;

	if (!v || p->kind == PARAM_FIXED)
		return NAN;
	if (p->kind != PARAM_CHOICE)
		return cJSON_IsNumber(v) ? sample_to_scale(p->kind, v->valuedouble) : NAN;
	cJSON_ArrayForEach(c, p->values) {
		if (cJSON_Compare(c, v, 1))
			return i;
		i++;
	}
	return NAN;
}

/* Whether trial a comes before trial b in param k's order. */
static int x_before(const struct tpe_history *h, int k, int a, int b)
{
	double xa = h->x[(size_t)a * (size_t)h->n_params + (size_t)k];
	double xb = h->x[(size_t)b * (size_t)h->n_params + (size_t)k];

	return xa < xb || (xa == xb && a < b);
}

/* Sets param k of trial number to x, keeping by_x[k] in order: the number
 * leaves its old place (if it had a value) and goes where x belongs. */
static void set_x(struct tpe_history *h, int number, int k, double x)
{
	double *at = &h->x[(size_t)number * (size_t)h->n_params + (size_t)k];
	int *o = h->by_x[k], n = h->n_by_x[k], lo = 0, hi;

	if (!isnan(*at)) {
		for (lo = 0; lo < n && o[lo] != number; lo++)
			;
		if (lo < n)
			memmove(&o[lo], &o[lo + 1], (size_t)(n - lo - 1) * sizeof *o), n--;
	}
	*at = x;
	if (!isnan(x)) {
		for (lo = 0, hi = n; lo < hi;) {
			int mid = lo + (hi - lo) / 2;

			if (x_before(h, k, o[mid], number))
				lo = mid + 1;
			else
				hi = mid;
		}
		memmove(&o[lo + 1], &o[lo], (size_t)(n - lo) * sizeof *o);
		o[lo] = number;
		n++;
	}
	h->n_by_x[k] = n;
}

void tpe_history_add(struct tpe_history *h, const struct spec *s, int number,
		     const cJSON *params)
{
	if (number < 0)
		return;
	history_grow(h, number);
	h->state[number] = TPE_NONE;
	for (int k = 0; k < s->n_params && k < h->n_params; k++)
		set_x(h, number, k,
		      internal(&s->params[k],
			       cJSON_GetObjectItemCaseSensitive(params, s->params[k].name)));
}

void tpe_history_set(struct tpe_history *h, int number, enum tpe_state state, int epochs,
		     double value)
{
	if (number < 0 || number >= h->n)
		return;
	h->state[number] = (signed char)state;
	h->epochs[number] = epochs;
	h->value[number] = value;
}

void tpe_history_note(struct tpe_history *h, const struct spec *s, int number,
		      const char *metric, double value)
{
	if (number < 0 || number >= h->n)
		return;
	for (int j = 0; h->n_goals > 1 && j < h->n_goals && j < s->n_objectives; j++)
		if (strcmp(s->objectives[j].metric, metric) == 0)
			h->goals[(size_t)number * (size_t)h->n_goals + (size_t)j] = value;
	for (int j = 0; j < h->n_cons && j < s->n_constraints; j++)
		if (strcmp(s->constraints[j].metric, metric) == 0)
			h->cons[(size_t)number * (size_t)h->n_cons + (size_t)j] = value;
}

double tpe_history_violation(const struct tpe_history *h, const struct spec *s, int i)
{
	double lo[SPEC_MAX_CONSTRAINTS], hi[SPEC_MAX_CONSTRAINTS];
	int k = h->n_cons < s->n_constraints ? h->n_cons : s->n_constraints;

	for (int j = 0; j < k; j++)
		lo[j] = s->constraints[j].lo, hi[j] = s->constraints[j].hi;
	return k ? pareto_violation(&h->cons[(size_t)i * (size_t)h->n_cons], lo, hi, (size_t)k)
		 : 0;
}

double tpe_history_goal(const struct tpe_history *h, int i, int j)
{
	return h->n_goals > 1 ? h->goals[(size_t)i * (size_t)h->n_goals + (size_t)j]
			      : h->value[i];
}

int tpe_history_finished(const struct tpe_history *h)
{
	int n = 0;

	for (int i = 0; i < h->n; i++)
		n += h->state[i] == TPE_DONE || h->state[i] == TPE_PRUNED;
	return n;
}

/* ---- the normal distribution ---- */

static double ncdf(double x)
{
	return 0.5 * erfc(-x * SQRT1_2);
}

/* Mass of the standard normal in [a, b], computed on the side that keeps
 * its precision. */
static double mass(double a, double b)
{
	if (a >= 0)
		return ncdf(-a) - ncdf(-b);
	if (b <= 0)
		return ncdf(b) - ncdf(a);
	return 1.0 - ncdf(a) - ncdf(-b);
}

/* The standard normal's quantile: Acklam's rational approximation and one
 * Halley step. */
static double ndtri(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
				   -2.759285104469687e+02, 1.383577518672690e+02,
				   -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
				   -1.556989798598866e+02, 6.680131188771972e+01,
				   -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
				   -2.400758277161838e+00, -2.549732539343734e+00,
				   4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
				   2.445134137142996e+00, 3.754408661907416e+00};
	double q, r, x, e;

	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	if (p < 0.02425 || p > 1 - 0.02425) {
		q = sqrt(-2 * log(p < 0.5 ? p : 1 - p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
		if (p > 0.5)
			x = -x;
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	e = ncdf(x) - p;
	r = e * exp(LOG_SQRT_2PI + x * x / 2);
	return x - r / (1 + x * r / 2);
}

/* A standard normal draw truncated to [a, b] (a <= b), by inversion on the
 * side of zero where the cdf keeps its precision. */
static double trunc_std(struct rng *r, double a, double b)
{
	double pa, pb, z;

	if (a > 0)
		return -trunc_std(r, -b, -a);
	pa = ncdf(a);
	pb = ncdf(b);
	z = ndtri(pa + rng_uniform(r) * (pb - pa));
	return z < a ? a : z > b ? b : z;
}

/* ---- weights ---- */

void tpe_weights(double *w, int m)
{
	if (m < 25) {
		for (int i = 0; i < m; i++)
			w[i] = 1.0;
		return;
	}
	for (int i = 0; i < m - 25; i++) /* numpy's linspace(1/m, 1, m - 25) */
		w[i] = m - 25 == 1 ? 1.0 / m : 1.0 / m + i * ((1.0 - 1.0 / m) / (m - 26));
	for (int i = m - 25; i < m; i++)
		w[i] = 1.0;
}

/* The m observation weights and the prior's, normalized: m + 1 entries;
 * given (m entries): the observations' own, else by place (tpe_weights). */
static double *side_weights(int m, double prior_weight, const double *given)
{
	double *w = xcalloc((size_t)m + 2, sizeof *w), sum = 0;

	if (given)
		memcpy(w, given, (size_t)m * sizeof *w);
	else
		tpe_weights(w, m);
	w[m] = prior_weight;
	for (int i = 0; i <= m; i++)
		sum += w[i];
	for (int i = 0; i <= m; i++)
		w[i] /= sum;
	return w;
}

/* ---- the univariate Parzen estimator ---- */

struct comp {
	double mu, w;
	int prior;
	int order; /* tpe_pe_fit's: ties by it (the observations' order, the prior last) */
};

static int comp_cmp(const void *pa, const void *pb)
{
	const struct comp *a = pa, *b = pb;

	if (a->mu != b->mu)
		return a->mu < b->mu ? -1 : 1;
	return (a->order > b->order) - (a->order < b->order);
}

/* The component's factor in front of exp(-z^2 / 2): its weight over sigma
 * sqrt(2 pi) times its mass inside the bounds; for int params over the mass
 * alone (densities are masses of bins). */
static double comp_coef(double w, double mu, double sigma, double lo, double hi, int step,
			int as_optuna31)
{
	double a = (lo - mu) / sigma, b = (hi - mu) / sigma;
	double m = a < -FAR_Z && b > FAR_Z ? 1.0 : mass(a, b);

	if (step)
		return w / m;
	return as_optuna31 ? w / (SQRT_2PI * m) : w / (sigma * SQRT_2PI * m);
}

/* The estimator from its n components sorted by mu (ties in chronological
 * order, the prior after the observations at its mu); as_optuna31: each
 * continuous component's density times its sigma, as Optuna 3.1's
 * truncnorm.logpdf computes it (it omits the -log(scale) term), which is what
 * its TPESampler compares. Frees nothing of c. */
static void pe_from_sorted(struct tpe_pe *pe, const struct comp *c, int n, double lo, double hi,
			   int step, int as_optuna31)
{
	double range = hi - lo, minsigma = range / fmin(100.0, 1.0 + n);
	double *sig = xmalloc((size_t)n * sizeof *sig);
	int k = 0;

	for (int i = 0; i < n; i++) {
		double left = c[i].mu - (i > 0 ? c[i - 1].mu : lo);
		double right = (i + 1 < n ? c[i + 1].mu : hi) - c[i].mu;

		if (n >= 2 && i == 0)
			sig[i] = right;
		else if (n >= 2 && i == n - 1)
			sig[i] = left;
		else
			sig[i] = left > right ? left : right;
		sig[i] = sig[i] < minsigma ? minsigma : sig[i] > range ? range : sig[i];
		sig[i] = c[i].prior ? range : sig[i];
	}
	memset(pe, 0, sizeof *pe);
	pe->mu = xmalloc((size_t)n * sizeof *pe->mu);
	pe->sigma = xmalloc((size_t)n * sizeof *pe->sigma);
	pe->w = xmalloc((size_t)n * sizeof *pe->w);
	pe->coef = xmalloc((size_t)n * sizeof *pe->coef);
	for (int i = 0; i < n; i++) {
		if (k > 0 && pe->mu[k - 1] == c[i].mu && pe->sigma[k - 1] == sig[i]) {
			pe->w[k - 1] += c[i].w; /* the same component: merged */
			continue;
		}
		pe->mu[k] = c[i].mu;
		pe->sigma[k] = sig[i];
		pe->w[k++] = c[i].w;
	}
	pe->n = k;
	pe->prior = -1;
	pe->smax = 0;
	for (int i = 0; i < k; i++) {
		if (pe->sigma[i] == range && pe->mu[i] == 0.5 * (lo + hi) && pe->prior < 0)
			pe->prior = i;
		else
			pe->smax = fmax(pe->smax, pe->sigma[i]);
	}
	pe->lo = lo;
	pe->hi = hi;
	pe->step = step;
	for (int i = 0; i < k; i++)
		pe->coef[i] = comp_coef(pe->w[i], pe->mu[i], pe->sigma[i], lo, hi, step, as_optuna31);
	free(sig);
}

/* Suggestions build their components from the history's order by value
 * (side_fit); this, for tests, sorts them. */
void tpe_pe_fit(struct tpe_pe *pe, const double *obs, int m, double lo, double hi, int step,
		double prior_weight)
{
	int n = m + 1;
	struct comp *c = xmalloc((size_t)n * sizeof *c);
	double *w = side_weights(m, prior_weight, NULL);

	for (int i = 0; i < m; i++)
		c[i] = (struct comp){obs[i], w[i], 0, i};
	c[m] = (struct comp){0.5 * (lo + hi), w[m], 1, m};
	free(w);
	qsort(c, (size_t)n, sizeof *c, comp_cmp);
	pe_from_sorted(pe, c, n, lo, hi, step, 0);
	free(c);
}

void tpe_pe_finish(struct tpe_pe *pe)
{
	if (!pe)
		return;
	free(pe->mu);
	free(pe->sigma);
	free(pe->w);
	free(pe->coef);
	memset(pe, 0, sizeof *pe);
}

/* Component j's density (or bin mass) at t, bin [a, b]; 0 beyond FAR_Z2. */
static double pe_term(const struct tpe_pe *pe, int j, double t, double a, double b)
{
	double z = (t - pe->mu[j]) / pe->sigma[j], za, zb;

	if (!pe->step)
		return z * z < FAR_Z2 ? pe->coef[j] * exp(-0.5 * z * z) : 0.0;
	za = (a - pe->mu[j]) / pe->sigma[j];
	zb = (b - pe->mu[j]) / pe->sigma[j];
	if (za * za < FAR_Z2 || zb * zb < FAR_Z2 || (za <= 0 && zb >= 0))
		return pe->coef[j] * mass(za, zb);
	return 0.0;
}

/* Components are sorted by mu: only those whose mu lies within FAR_Z sigma
 * (the largest sigma but the prior's) of t are visited, and the prior. */
double tpe_pe_log_pdf(const struct tpe_pe *pe, double t)
{
	double a = t - 0.5 < pe->lo ? pe->lo : t - 0.5, b = t + 0.5 > pe->hi ? pe->hi : t + 0.5;
	double reach = sqrt(FAR_Z2) * pe->smax + (pe->step ? 0.5 : 0.0), sum = 0;
	int lo = 0, hi = pe->n;

	while (lo < hi) { /* the first component with mu >= t - reach */
		int mid = lo + (hi - lo) / 2;

		if (pe->mu[mid] < t - reach)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int j = lo; j < pe->n && pe->mu[j] <= t + reach; j++)
		if (j != pe->prior)
			sum += pe_term(pe, j, t, a, b);
	if (pe->prior >= 0)
		sum += pe_term(pe, pe->prior, t, a, b);
	return log(sum);
}

/* A draw from pe in [lo, hi]. */
static double pe_sample(const struct tpe_pe *pe, struct rng *r)
{
	double u = rng_uniform(r), acc = 0;
	int j = 0;

	for (; j < pe->n - 1; j++) {
		acc += pe->w[j];
		if (u < acc)
			break;
	}
	return pe->mu[j] + pe->sigma[j] * trunc_std(r, (pe->lo - pe->mu[j]) / pe->sigma[j],
						    (pe->hi - pe->mu[j]) / pe->sigma[j]);
}

/* ---- params in internal coordinates ---- */

/* Where a numeric param's estimator lives. */
struct axis {
	double lo, hi; /* internal bounds (widened by half a unit for integers) */
	int step;      /* int: densities are masses of unit bins */
};

static struct axis axis_of(const struct spec_param *p)
{
	switch (p->kind) {
	case PARAM_INT:
		return (struct axis){p->lo - 0.5, p->hi + 0.5, 1};
	case PARAM_LOG_INT:
		return (struct axis){log10(p->lo - 0.5), log10(p->hi + 0.5), 0};
	case PARAM_REVERSE_LOG:
		return (struct axis){log10(1.0 - p->hi), log10(1.0 - p->lo), 0};
	default:
		return (struct axis){sample_to_scale(p->kind, p->lo),
				     sample_to_scale(p->kind, p->hi), 0};
	}
}

/* A draw t in internal coordinates made a value of p: *value, and the
 * internal coordinate the densities are evaluated at (integers rounded). */
static double settle(const struct spec_param *p, double t, double *value)
{
	double x = sample_from_scale(p->kind, t);

	if (p->kind == PARAM_INT || p->kind == PARAM_LOG_INT)
		x = round(x);
	x = x < p->lo ? p->lo : x > p->hi ? p->hi : x;
	*value = x;
	return p->kind == PARAM_INT ? x : sample_to_scale(p->kind, x);
}

static int n_choices(const struct spec_param *p)
{
	return cJSON_GetArraySize(p->values);
}

/* Optuna's categorical estimator, marginalized: prob[c] of each of the K
 * values from m observed indices (chronological). */
static void cat_fit(double *prob, int K, const double *obs, int m, double prior_weight,
		    const double *given)
{
	double *w = side_weights(m, prior_weight, given), fill = prior_weight / (m + 1);
	double norm = 1.0 + K * fill;

	for (int c = 0; c < K; c++)
		prob[c] = w[m] / K;
	for (int i = 0; i < m; i++) {
		for (int c = 0; c < K; c++)
			prob[c] += w[i] * fill / norm;
		prob[(int)obs[i]] += w[i] / norm;
	}
	free(w);
}

static int cat_sample(const double *prob, int K, struct rng *r)
{
	double u = rng_uniform(r), acc = 0;

	for (int c = 0; c < K - 1; c++) {
		acc += prob[c];
		if (u < acc)
			return c;
	}
	return K - 1;
}

/* ---- the split ---- */

struct ranked {
	double cls;   /* -inf: done; -epochs: results so far; 1: none; inf: liar */
	double value; /* minimized: the objective, negated for "max" */
	int index;
};

static int ranked_before(const struct ranked *a, const struct ranked *b)
{
	if (a->cls != b->cls)
		return a->cls < b->cls;
	if (a->value != b->value)
		return a->value < b->value;
	return a->index < b->index;
}

/* Merge sort by (cls, value, index). */
static void sort_ranked(struct ranked *r, int n)
{
	struct ranked *tmp = xcalloc((size_t)n + 1, sizeof *tmp), *src = r, *dst = tmp, *sw;

	for (int width = 1; width < n; width *= 2) {
		for (int lo = 0; lo < n; lo += 2 * width) {
			int mid = lo + width < n ? lo + width : n;
			int hi = lo + 2 * width < n ? lo + 2 * width : n;
			int i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = ranked_before(&src[j], &src[i]) ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		sw = src, src = dst, dst = sw;
	}
	if (src != r)
		memcpy(r, src, (size_t)n * sizeof *r);
	free(tmp);
}

/* The model's view of the history: good trials then bad ones, each side in
 * chronological order. */
struct split {
	int *good, n_good, *bad, n_bad;
	int n, liars, finished;
	signed char *side; /* per trial: SIDE_GOOD, SIDE_BAD or 0 (not modelled) */
	int *rank;         /* scratch, per trial */
	double *wgood;     /* several objectives: per trial, a good one's weight
	                    * (goals_weights); NULL with one */
};

enum { SIDE_GOOD = 1, SIDE_BAD = 2 };

static struct ranked rank_of(const struct spec *s, const struct tpe_history *h, int i)
{
	double v = s->objective_max ? -h->value[i] : h->value[i];
	int results = isfinite(h->value[i]) || h->epochs[i] > 0;

	if (isnan(v))
		v = INFINITY;
	if (h->state[i] == TPE_DONE && isfinite(v))
		return (struct ranked){-INFINITY, v, i};
	if (h->state[i] == TPE_RUNNING && !results)
		return (struct ranked){INFINITY, INFINITY, i};
	if (!results)
		return (struct ranked){1, 0, i};
	return (struct ranked){-(double)h->epochs[i], v, i};
}

static void split_goals(struct split *sp, const struct spec *s, const struct tpe_history *h,
			int n_good);

static void split_init(struct split *sp, const struct spec *s, const struct tpe_history *h)
{
	struct ranked *r = xcalloc((size_t)h->n + 1, sizeof *r);
	int m = 0, n_good;

	memset(sp, 0, sizeof *sp);
	for (int i = 0; i < h->n; i++) {
		if (h->state[i] == TPE_NONE)
			continue;
		r[m] = rank_of(s, h, i);
		sp->liars += r[m].cls == INFINITY;
		sp->finished += h->state[i] == TPE_DONE || h->state[i] == TPE_PRUNED;
		m++;
	}
	sp->n = m - sp->liars;
	n_good = (int)ceil(s->tpe.gamma * sp->n);
	n_good = n_good > s->tpe.gamma_max ? s->tpe.gamma_max : n_good;
	sort_ranked(r, m);
	sp->good = xcalloc((size_t)m + 1, sizeof *sp->good);
	sp->bad = xcalloc((size_t)m + 1, sizeof *sp->bad);
	sp->side = xcalloc((size_t)h->n + 1, sizeof *sp->side);
	sp->rank = xmalloc(((size_t)h->n + 1) * sizeof *sp->rank);
	if (h->n_goals > 1)
		split_goals(sp, s, h, n_good);
	for (int i = 0; h->n_goals == 1 && i < n_good && i < m; i++)
		sp->side[r[i].index] = SIDE_GOOD;
	for (int i = 0; i < h->n; i++) { /* each side in chronological order */
		if (h->state[i] == TPE_NONE)
			continue;
		if (sp->side[i] == SIDE_GOOD) {
			sp->good[sp->n_good++] = i;
		} else {
			sp->side[i] = SIDE_BAD;
			sp->bad[sp->n_bad++] = i;
		}
	}
	free(r);
}

/* ---- the split with several objectives ---- */

/* Minimised goals of the done trials of a history (n x m, max ones negated). */
struct goals {
	int n, m, *idx; /* the trials' numbers */
	double *v;      /* n x m */
	double *buf;    /* n x m: scratch for hypervolumes */
};

/* Optuna's reference point from the worst of the points list (cnt of them):
 * max(1.1 w, 0.9 w) per objective, EPS for 0; the finite values only. */
static void goals_ref(const struct goals *g, const int *list, int cnt, double *ref)
{
	for (int j = 0; j < g->m; j++) {
		double w = -INFINITY;

		for (int a = 0; a < cnt; a++) {
			double x = g->v[(size_t)list[a] * (size_t)g->m + (size_t)j];

			w = isfinite(x) && x > w ? x : w;
		}
		w = isfinite(w) ? w : 0;
		ref[j] = fmax(1.1 * w, 0.9 * w);
		ref[j] = ref[j] == 0 ? TPE_EPS : ref[j];
	}
}

/* The hypervolume of the points list (cnt), skipping entry skip (-1: none). */
static double goals_hv(const struct goals *g, const int *list, int cnt, int skip,
		       const double *ref)
{
	static const enum pareto_sense mins[SPEC_MAX_OBJECTIVES]; /* all PARETO_MIN */
	size_t k = 0;

	for (int a = 0; a < cnt; a++)
		if (a != skip)
			memcpy(&g->buf[k++ * (size_t)g->m], &g->v[(size_t)list[a] * (size_t)g->m],
			       (size_t)g->m * sizeof *g->buf);
	return pareto_hypervolume(g->buf, k, (size_t)g->m, mins, ref);
}

/* Greedy hypervolume subset selection (Optuna's _solve_hssp; each step the
 * point adding most to the ones chosen so far, ties to the first): want of
 * the cnt points list, appended to out after its n_out entries (out must not
 * alias list). Returns want. */
static int goals_hssp(const struct goals *g, const int *list, int cnt, int want, int *out,
		      int n_out)
{
	double ref[SPEC_MAX_OBJECTIVES], hv = 0;
	signed char *taken = xcalloc((size_t)cnt + 1, 1);

	goals_ref(g, list, cnt, ref);
	for (int k = 0; k < want; k++) {
		int best = -1;
		double gain = -INFINITY, with;

		for (int a = 0; a < cnt; a++) {
			if (taken[a])
				continue;
			out[n_out + k] = list[a];
			with = goals_hv(g, out + n_out, k + 1, -1, ref) - hv;
			if (best < 0 || with > gain)
				gain = with, best = a;
		}
		taken[best] = 1;
		out[n_out + k] = list[best];
		hv += gain;
	}
	free(taken);
	return want;
}

/* Each good trial's weight: an infeasible one EPS; one feasible alone 1;
 * else, with c = tpe.hypervolume_weight, (1 - c) + c x its hypervolume
 * contribution among the feasible good ones (plus EPS) over the largest,
 * clipped to [0, 1]. c = 1 is Optuna's _calculate_weights_below_for_multi_
 * objective; c = 0 weighs every good trial 1, as with one objective.
 * good: entries of g, n_good of them.
 * Why 0.5 by default: Optuna's weights give the extremes of the good set's
 * front most of the weight (the reference point is 1.1x the worst there)
 * and a dominated good trial next to none, and an extreme trial is often
 * far from the front in the other parameters (on ZDT1 the one with the
 * smallest f1 may have any g), so l learns mostly from a few. Equal weights
 * converge, contributions spread along the front; half of each does both.
 * Measured (bench/search_bench hypervolume, 200 trials, seeds 21-60, which
 * the comparison with Optuna's runs does not use; median hypervolume, c =
 * 0.5 against c = 1): ZDT1 0.51 vs 0.30, ZDT3 0.75 vs 0.49, DTLZ2 0.709 vs
 * 0.693 (each rank-sum p < 0.001), ZDT2 in the box 25 of 40 runs vs 2. c = 0
 * does as well there, but on a front reached by one parameter (f1 = x,
 * f2 = 1 - x + 2y, 60 seeds) c = 1 spreads better: mean hypervolume 0.595
 * (c = 1), 0.572 (0.5), 0.565 (0) at 60 trials; 0.673, 0.670, 0.644 at 200. */
static void goals_weights(const struct goals *g, const int *good, int n_good,
			  const double *viol, double c, double *wgood)
{
	int *feas = xcalloc((size_t)n_good + 1, sizeof *feas), nf = 0;
	double ref[SPEC_MAX_OBJECTIVES], hv, *contrib, top = 0;

	for (int a = 0; a < n_good; a++) {
		wgood[g->idx[good[a]]] = TPE_EPS;
		if (viol[good[a]] == 0)
			feas[nf++] = good[a];
	}
	for (int a = 0; a < nf; a++)
		wgood[g->idx[feas[a]]] = 1;
	if (nf > 1 && c > 0) {
		goals_ref(g, feas, nf, ref);
		hv = goals_hv(g, feas, nf, -1, ref);
		contrib = xcalloc((size_t)nf, sizeof *contrib);
		for (int a = 0; a < nf; a++) {
			contrib[a] = hv - goals_hv(g, feas, nf, a, ref) + TPE_EPS;
			top = fmax(top, contrib[a]);
		}
		for (int a = 0; a < nf; a++)
			wgood[g->idx[feas[a]]] = 1 - c + c * fmin(fmax(contrib[a] / top, 0), 1);
		free(contrib);
	}
	free(feas);
}

/* Several objectives, as Optuna 3.1's TPESampler splits them: the done
 * trials by non-dominated rank (pareto_rank, Deb's rule with constraints),
 * whole ranks while they fit in n_good, then of the next rank the greedy
 * hypervolume subset when it is feasible (an infeasible one: by number);
 * weights by goals_weights. Pruned and running trials are bad (Optuna's MO
 * TPE ignores steps). Marks sp->side and fills sp->wgood. */
static void split_goals(struct split *sp, const struct spec *s, const struct tpe_history *h,
			int n_good)
{
	enum pareto_sense sense[SPEC_MAX_OBJECTIVES];
	struct goals g = {.m = h->n_goals};
	int *rank, *good, *members, filled = 0;
	double *viol;

	g.idx = xcalloc((size_t)h->n + 1, sizeof *g.idx);
	for (int i = 0; i < h->n; i++)
		if (h->state[i] == TPE_DONE)
			g.idx[g.n++] = i;
	g.v = xcalloc((size_t)g.n * (size_t)g.m + 1, sizeof *g.v);
	g.buf = xcalloc((size_t)g.n * (size_t)g.m + 1, sizeof *g.buf);
	viol = xcalloc((size_t)g.n + 1, sizeof *viol);
	for (int a = 0; a < g.n; a++) {
		for (int j = 0; j < g.m; j++) {
			double x = tpe_history_goal(h, g.idx[a], j);

			g.v[(size_t)a * (size_t)g.m + (size_t)j] = s->objectives[j].max ? -x : x;
		}
		viol[a] = tpe_history_violation(h, s, g.idx[a]);
	}
	for (int j = 0; j < g.m; j++)
		sense[j] = PARETO_MIN;
	rank = xcalloc((size_t)g.n + 1, sizeof *rank);
	pareto_rank(g.v, viol, (size_t)g.n, (size_t)g.m, sense, rank);
	n_good = n_good < g.n ? n_good : g.n;
	good = xcalloc((size_t)g.n + 1, sizeof *good);
	members = xcalloc((size_t)g.n + 1, sizeof *members);
	for (int r = 0; filled < n_good; r++) {
		int c = 0;

		for (int a = 0; a < g.n; a++)
			if (rank[a] == r)
				members[c++] = a;
		if (filled + c <= n_good) {
			memcpy(&good[filled], members, (size_t)c * sizeof *members);
			filled += c;
		} else if (viol[members[0]] == 0) {
			filled += goals_hssp(&g, members, c, n_good - filled, good, filled);
		} else {
			memcpy(&good[filled], members, (size_t)(n_good - filled) * sizeof *members);
			filled = n_good;
		}
	}
	sp->wgood = xcalloc((size_t)h->n + 1, sizeof *sp->wgood);
	for (int a = 0; a < n_good; a++)
		sp->side[g.idx[good[a]]] = SIDE_GOOD;
	goals_weights(&g, good, n_good, viol, s->tpe.hypervolume_weight, sp->wgood);
	free(g.idx);
	free(g.v);
	free(g.buf);
	free(viol);
	free(rank);
	free(good);
	free(members);
}

static void split_finish(struct split *sp)
{
	free(sp->good);
	free(sp->bad);
	free(sp->side);
	free(sp->rank);
	free(sp->wgood);
}

/* The weights given to the observations of one side (trials idx, in order)
 * where the nk params ks are all active, or NULL: by place. Only the good
 * side with several objectives has its own (split_goals). The caller frees. */
static double *given_weights(const struct split *sp, const struct tpe_history *h, int which,
			     const int *idx, int n_idx, const int *ks, int nk)
{
	double *w;
	int m = 0;

	if (which != SIDE_GOOD || !sp->wgood)
		return NULL;
	w = xcalloc((size_t)n_idx + 1, sizeof *w);
	for (int i = 0; i < n_idx; i++) {
		int ok = 1;

		for (int j = 0; j < nk; j++)
			ok &= !isnan(h->x[(size_t)idx[i] * (size_t)h->n_params + (size_t)ks[j]]);
		if (ok)
			w[m++] = sp->wgood[idx[i]];
	}
	return w;
}

/* The internal values of param k on one side where it is active: m of them. */
static double *side_values(const struct tpe_history *h, const int *idx, int n, int k, int *m)
{
	double *t = xcalloc((size_t)n + 1, sizeof *t);

	*m = 0;
	for (int i = 0; i < n; i++) {
		double x = h->x[(size_t)idx[i] * (size_t)h->n_params + (size_t)k];

		if (!isnan(x))
			t[(*m)++] = x;
	}
	return t;
}

/* ---- independent sampling ---- */

/* Param k's estimator over one side's trials (idx, chronological) where it
 * is active: tpe_pe_fit's, built from the history's order by value instead
 * of a sort. Each trial weighs by its place on its side, as in tpe_pe_fit. */
static void side_fit(struct tpe_pe *pe, const struct tpe_history *h, const struct split *sp,
		     int k, int which, const int *idx, int n_idx, struct axis ax,
		     double prior_weight)
{
	const int *order = h->by_x[k];
	double mid = 0.5 * (ax.lo + ax.hi), *w, *gw;
	struct comp *c, prior;
	int m = 0, n = 0, placed = 0;

	for (int i = 0; i < n_idx; i++)
		if (!isnan(h->x[(size_t)idx[i] * (size_t)h->n_params + (size_t)k]))
			sp->rank[idx[i]] = m++;
	gw = given_weights(sp, h, which, idx, n_idx, &k, 1);
	w = side_weights(m, prior_weight, gw);
	free(gw);
	c = xmalloc(((size_t)m + 1) * sizeof *c);
	prior = (struct comp){mid, w[m], 1, m};
	for (int j = 0; j < h->n_by_x[k]; j++) {
		int t = order[j];
		double x = h->x[(size_t)t * (size_t)h->n_params + (size_t)k];

		if (sp->side[t] != which)
			continue;
		if (!placed && x > mid) /* a stable sort puts the prior after its equals */
			c[n++] = prior, placed = 1;
		c[n++] = (struct comp){x, w[sp->rank[t]], 0, sp->rank[t]};
	}
	if (!placed)
		c[n++] = prior;
	pe_from_sorted(pe, c, n, ax.lo, ax.hi, ax.step, 1);
	free(w);
	free(c);
}

/* One param from its two estimators: the best of `candidates` draws from l. */
static cJSON *suggest_param(const struct spec *s, int k, const struct tpe_history *h,
			    const struct split *sp, struct rng *r, cJSON *why)
{
	const struct spec_param *p = &s->params[k];
	int ml, mg, K = p->kind == PARAM_CHOICE ? n_choices(p) : 0;
	double best = -INFINITY, best_l = 0, best_g = 0, best_v = 0;
	cJSON *out, *d;

	if (K > 0) {
		double *pl = xcalloc((size_t)K, sizeof *pl), *pg = xcalloc((size_t)K, sizeof *pg);
		double *tl = side_values(h, sp->good, sp->n_good, k, &ml);
		double *tg = side_values(h, sp->bad, sp->n_bad, k, &mg);
		double *gw = given_weights(sp, h, SIDE_GOOD, sp->good, sp->n_good, &k, 1);

		cat_fit(pl, K, tl, ml, s->tpe.prior_weight, gw);
		cat_fit(pg, K, tg, mg, s->tpe.prior_weight, NULL);
		free(gw);
		for (int i = 0; i < s->tpe.candidates; i++) {
			int c = cat_sample(pl, K, r);
			double ll = log(pl[c]), lg = log(pg[c]);

			if (ll - lg > best)
				best = ll - lg, best_l = ll, best_g = lg, best_v = c;
		}
		free(pl);
		free(pg);
		free(tl);
		free(tg);
		out = cJSON_Duplicate(cJSON_GetArrayItem(p->values, (int)best_v), 1);
	} else {
		struct axis ax = axis_of(p);
		struct tpe_pe l, g;

		side_fit(&l, h, sp, k, SIDE_GOOD, sp->good, sp->n_good, ax, s->tpe.prior_weight);
		side_fit(&g, h, sp, k, SIDE_BAD, sp->bad, sp->n_bad, ax, s->tpe.prior_weight);
		for (int i = 0; i < s->tpe.candidates; i++) {
			double v, t = settle(p, pe_sample(&l, r), &v);
			double ll = tpe_pe_log_pdf(&l, t), lg = tpe_pe_log_pdf(&g, t);

			if (ll - lg > best)
				best = ll - lg, best_l = ll, best_g = lg, best_v = v;
		}
		tpe_pe_finish(&l);
		tpe_pe_finish(&g);
		out = cJSON_CreateNumber(best_v);
	}
	if (why) {
		d = cJSON_AddObjectToObject(why, p->name);
		cJSON_AddNumberToObject(d, "log_l", best_l);
		cJSON_AddNumberToObject(d, "log_g", best_g);
	}
	return out;
}

/* ---- multivariate sampling ---- */

/* The joint estimator of the params in group (numeric and choice, none
 * conditional) over one side's m observations, Optuna's multivariate form:
 * one component per observation plus the prior. */
struct mpe {
	const struct spec *s;
	const int *group;
	int d, n;      /* params, components (the prior last) */
	double *w;     /* n */
	double *mu;    /* n x d: internal value; choice: the observed index */
	double *sigma; /* d: the bandwidth of observations per numeric param */
	double *logm;  /* n x d: log mass inside the bounds of each numeric component */
	double fill;   /* categorical: prior_weight / n */
};

static void mpe_fit(struct mpe *e, const struct spec *s, const int *group, int d,
		    const struct tpe_history *h, const int *idx, int n_idx, const double *given)
{
	int m = 0;

	memset(e, 0, sizeof *e);
	e->s = s;
	e->group = group;
	e->d = d;
	e->mu = xcalloc(((size_t)n_idx + 1) * (size_t)d, sizeof *e->mu);
	for (int i = 0; i < n_idx; i++) {
		const double *x = &h->x[(size_t)idx[i] * (size_t)h->n_params];
		int ok = 1;

		for (int j = 0; j < d; j++)
			ok &= !isnan(x[group[j]]);
		for (int j = 0; ok && j < d; j++)
			e->mu[(size_t)m * (size_t)d + (size_t)j] = x[group[j]];
		m += ok;
	}
	e->n = m + 1;
	e->w = side_weights(m, s->tpe.prior_weight, given);
	e->fill = s->tpe.prior_weight / (m + 1);
	e->sigma = xcalloc((size_t)d, sizeof *e->sigma);
	e->logm = xcalloc((size_t)e->n * (size_t)d, sizeof *e->logm);
	for (int j = 0; j < d; j++) {
		const struct spec_param *p = &s->params[group[j]];
		struct axis ax = axis_of(p);
		double range = ax.hi - ax.lo;
		double sig = SIGMA0_MAGNITUDE * pow(m > 1 ? m : 1, -1.0 / (d + 4)) * range;

		if (p->kind == PARAM_CHOICE)
			continue;
		e->sigma[j] = fmin(fmax(sig, range / fmin(100.0, 1.0 + e->n)), range);
		e->mu[(size_t)m * (size_t)d + (size_t)j] = 0.5 * (ax.lo + ax.hi);
		for (int c = 0; c < e->n; c++) {
			double mu = e->mu[(size_t)c * (size_t)d + (size_t)j];
			double sg = c == m ? range : e->sigma[j];

			e->logm[(size_t)c * (size_t)d + (size_t)j] =
				log(mass((ax.lo - mu) / sg, (ax.hi - mu) / sg));
		}
	}
}

static void mpe_finish(struct mpe *e)
{
	free(e->w);
	free(e->mu);
	free(e->sigma);
	free(e->logm);
}

/* log density of component c of param j at internal t. */
static double mpe_comp(const struct mpe *e, int c, int j, double t)
{
	const struct spec_param *p = &e->s->params[e->group[j]];
	double mu = e->mu[(size_t)c * (size_t)e->d + (size_t)j];
	int prior = c == e->n - 1;

	if (p->kind == PARAM_CHOICE) {
		int K = n_choices(p);

		if (prior)
			return -log((double)K);
		return log((e->fill + ((int)mu == (int)t)) / (1.0 + K * e->fill));
	} else {
		struct axis ax = axis_of(p);
		double sg = prior ? ax.hi - ax.lo : e->sigma[j], z = (t - mu) / sg;
		double lm = e->logm[(size_t)c * (size_t)e->d + (size_t)j];

		if (ax.step)
			return log(mass((fmax(t - 0.5, ax.lo) - mu) / sg,
					(fmin(t + 0.5, ax.hi) - mu) / sg)) - lm;
		return -0.5 * z * z - LOG_SQRT_2PI - lm; /* Optuna 3.1: no -log(sg) */
	}
}

/* log of the joint density at internal point t (d values). */
static double mpe_log_pdf(const struct mpe *e, const double *t)
{
	double *lp = xcalloc((size_t)e->n, sizeof *lp), mx = -INFINITY, sum = 0;

	for (int c = 0; c < e->n; c++) {
		lp[c] = log(e->w[c]);
		for (int j = 0; j < e->d && lp[c] > -INFINITY; j++)
			lp[c] += mpe_comp(e, c, j, t[j]);
		mx = fmax(mx, lp[c]);
	}
	for (int c = 0; c < e->n; c++)
		sum += exp(lp[c] - mx);
	free(lp);
	return mx + log(sum);
}

/* A draw: a component, then each param from it; values (d) and the internal
 * point the densities are evaluated at (t, d). */
static void mpe_sample(const struct mpe *e, struct rng *r, double *values, double *t)
{
	double u = rng_uniform(r), acc = 0;
	int c = 0;

	for (; c < e->n - 1; c++) {
		acc += e->w[c];
		if (u < acc)
			break;
	}
	for (int j = 0; j < e->d; j++) {
		const struct spec_param *p = &e->s->params[e->group[j]];
		double mu = e->mu[(size_t)c * (size_t)e->d + (size_t)j];

		if (p->kind == PARAM_CHOICE) {
			int K = n_choices(p);
			double *prob = xcalloc((size_t)K, sizeof *prob);

			for (int k = 0; k < K; k++)
				prob[k] = exp(mpe_comp(e, c, j, k));
			values[j] = t[j] = cat_sample(prob, K, r);
			free(prob);
		} else {
			struct axis ax = axis_of(p);
			double sg = c == e->n - 1 ? ax.hi - ax.lo : e->sigma[j];

			t[j] = settle(p, mu + sg * trunc_std(r, (ax.lo - mu) / sg, (ax.hi - mu) / sg),
				      &values[j]);
		}
	}
}

/* The jointly modelled params' values (in group order) and the why. */
static void suggest_joint(const struct spec *s, const int *group, int d,
			  const struct tpe_history *h, const struct split *sp, struct rng *r,
			  double *chosen, cJSON *why)
{
	struct mpe l, g;
	double *v = xcalloc((size_t)d, sizeof *v), *t = xcalloc((size_t)d, sizeof *t);
	double best = -INFINITY, best_l = 0, best_g = 0;
	cJSON *joint;

	double *gw = given_weights(sp, h, SIDE_GOOD, sp->good, sp->n_good, group, d);

	mpe_fit(&l, s, group, d, h, sp->good, sp->n_good, gw);
	mpe_fit(&g, s, group, d, h, sp->bad, sp->n_bad, NULL);
	free(gw);
	for (int i = 0; i < s->tpe.candidates; i++) {
		double ll, lg;

		mpe_sample(&l, r, v, t);
		ll = mpe_log_pdf(&l, t);
		lg = mpe_log_pdf(&g, t);
		if (ll - lg > best) {
			best = ll - lg, best_l = ll, best_g = lg;
			memcpy(chosen, v, (size_t)d * sizeof *v);
		}
	}
	joint = cJSON_AddObjectToObject(why, "joint");
	cJSON_AddNumberToObject(joint, "log_l", best_l);
	cJSON_AddNumberToObject(joint, "log_g", best_g);
	mpe_finish(&l);
	mpe_finish(&g);
	free(v);
	free(t);
}

/* ---- suggestions ---- */

static cJSON *startup_point(const struct spec *s, int number, int finished, cJSON **why)
{
	if (why) {
		*why = cJSON_CreateObject();
		cJSON_AddTrueToObject(*why, "startup");
		cJSON_AddNumberToObject(*why, "finished", finished);
	}
	return sample_trial(s, NULL, number);
}

/* The multivariate group: sampled params without a condition. */
static int joint_group(const struct spec *s, int *group)
{
	int d = 0;

	for (int k = 0; k < s->n_params; k++)
		if (s->params[k].kind != PARAM_FIXED && s->params[k].n_when == 0)
			group[d++] = k;
	return d;
}

/* Sums the chosen point's log densities over params into why. */
static void why_totals(cJSON *why, const cJSON *params)
{
	double ll = 0, lg = 0;
	const cJSON *d;

	cJSON_ArrayForEach(d, params) {
		ll += cJSON_GetObjectItemCaseSensitive(d, "log_l")->valuedouble;
		lg += cJSON_GetObjectItemCaseSensitive(d, "log_g")->valuedouble;
	}
	cJSON_AddNumberToObject(why, "log_l", ll);
	cJSON_AddNumberToObject(why, "log_g", lg);
}

cJSON *tpe_suggest(const struct spec *s, const struct tpe_history *h, int number, cJSON **why)
{
	struct split sp;
	struct rng r;
	int *group = xcalloc((size_t)s->n_params + 1, sizeof *group), d = 0;
	double *chosen = xcalloc((size_t)s->n_params + 1, sizeof *chosen);
	cJSON *trial, *w = cJSON_CreateObject(), *pw;

	split_init(&sp, s, h);
	if (sp.finished < s->tpe.startup || h->n_params != s->n_params) {
		trial = startup_point(s, number, sp.finished, why);
		goto out;
	}
	rng_seed(&r, rng_derive(s->tpe.seed ^ TPE_SALT, (uint64_t)number));
	cJSON_AddNumberToObject(w, "finished", sp.finished);
	cJSON_AddNumberToObject(w, "good", sp.n_good);
	cJSON_AddNumberToObject(w, "bad", sp.n_bad - sp.liars);
	cJSON_AddNumberToObject(w, "liars", sp.liars);
	if (s->tpe.multivariate && (d = joint_group(s, group)) > 0)
		suggest_joint(s, group, d, h, &sp, &r, chosen, w);
	pw = cJSON_CreateObject();
	trial = cJSON_CreateObject();
	for (int k = 0, j = 0; k < s->n_params; k++) {
		const struct spec_param *p = &s->params[k];
		cJSON *v;

		if (j < d && group[j] == k)
			v = p->kind == PARAM_CHOICE
				    ? cJSON_Duplicate(cJSON_GetArrayItem(p->values, (int)chosen[j]), 1)
				    : cJSON_CreateNumber(chosen[j]);
		else if (!sample_active(s, p, trial))
			continue;
		else if (p->kind == PARAM_FIXED)
			v = cJSON_Duplicate(p->values, 1);
		else
			v = suggest_param(s, k, h, &sp, &r, pw);
		j += j < d && group[j] == k;
		cJSON_AddItemToObject(trial, p->name, v);
	}
	if (!cJSON_GetObjectItemCaseSensitive(w, "joint"))
		why_totals(w, pw);
	cJSON_AddItemToObject(w, "params", pw);
	if (why) {
		*why = w;
		w = NULL;
	}
out:
	cJSON_Delete(w);
	split_finish(&sp);
	free(group);
	free(chosen);
	return trial;
}
