/* wtest: helpers shared by the worker's test programs: tiny in-memory data sets
 * (Gaussian blobs, one per class), finite-difference gradient comparison, a
 * scratch directory, and running a function in a forked child with its stdout
 * captured (the trainer reports on stdout and returns exit codes). */
#ifndef CAVIAR_TESTS_WTEST_H
#define CAVIAR_TESTS_WTEST_H

#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data.h"
#include "rng.h"
#include "test.h"
#include "tmpdir.h"

/* ---- data ------------------------------------------------------------------- */

/* Fills ds with n examples of dim features around class centres (one centre
 * per class, drawn from seed 1234 so every split shares them). Malloc'd; free
 * with wt_dataset_free. */
static inline void wt_dataset(struct dataset *ds, int n, int dim, int classes, uint64_t seed)
{
	struct rng r, rc;
	float *x = malloc((size_t)n * dim * sizeof(float) + 1);
	int32_t *y = malloc((size_t)n * sizeof(int32_t) + 1);

	rng_seed(&r, seed);
	for (int i = 0; i < n; i++) {
		y[i] = (int32_t)rng_below(&r, (uint64_t)classes);
		rng_seed(&rc, 1234 + (uint64_t)y[i]);
		for (int k = 0; k < dim; k++)
			x[(size_t)i * dim + k] = (float)(1.5 * rng_normal(&rc) + rng_normal(&r));
	}
	ds->n = n;
	ds->dim = dim;
	ds->x = x;
	ds->y = y;
}

static inline void wt_dataset_free(struct dataset *ds)
{
	free((void *)ds->x);
	free((void *)ds->y);
	memset(ds, 0, sizeof *ds);
}

/* A struct data with train/val/test splits of the given sizes. */
static inline void wt_data(struct data *d, int ntrain, int nval, int ntest, int dim, int classes)
{
	memset(d, 0, sizeof *d);
	wt_dataset(&d->train, ntrain, dim, classes, 1);
	wt_dataset(&d->val, nval, dim, classes, 2);
	wt_dataset(&d->test, ntest, dim, classes, 3);
	d->classes = classes;
}

static inline void wt_data_free(struct data *d)
{
	wt_dataset_free(&d->train);
	wt_dataset_free(&d->val);
	wt_dataset_free(&d->test);
}

/* ---- gradient checks ------------------------------------------------------------ */

/* Largest |a - n| / max(1e-2, |a| + |n|) over k entries of the analytic and the
 * numeric gradient: a relative error that ignores noise on tiny entries. */
static inline double wt_rel_err(const double *analytic, const double *numeric, int k)
{
	double worst = 0.0;

	for (int i = 0; i < k; i++) {
		double den = fabs(analytic[i]) + fabs(numeric[i]);
		double e = fabs(analytic[i] - numeric[i]) / (den > 1e-2 ? den : 1e-2);
		if (e > worst)
			worst = e;
	}
	return worst;
}

/* A scalar loss of the parameters the check perturbs (computed in double). */
typedef double (*wt_loss_fn)(void *ctx);

/* Central differences of f with respect to p[0..k) (every entry when k is
 * small, else `limit` entries spread over it) against the analytic gradient g;
 * returns the worst wt_rel_err. f must not change g. */
static inline double wt_gradcheck(wt_loss_fn f, void *ctx, float *p, const float *g, int k,
				  float h, int limit)
{
	int stride = k > limit ? k / limit : 1, m = 0;
	double *an = malloc(sizeof(double) * (size_t)(k + 1));
	double *nu = malloc(sizeof(double) * (size_t)(k + 1));
	double worst;

	for (int i = 0; i < k; i += stride, m++) {
		float save = p[i], up = save + h, down = save - h;
		double lp, lm;
		p[i] = up;
		lp = f(ctx);
		p[i] = down;
		lm = f(ctx);
		p[i] = save;
		an[m] = g[i];
		nu[m] = (lp - lm) / ((double)up - (double)down);
	}
	worst = wt_rel_err(an, nu, m);
	if (getenv("WT_VERBOSE"))
		fprintf(stderr, "gradcheck: worst relative error %.3g over %d entries\n", worst, m);
	free(an);
	free(nu);
	return worst;
}

/* Random floats in [-1, 1). */
static inline void wt_fill(float *p, size_t n, struct rng *r)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (float)(2.0 * rng_uniform(r) - 1.0);
}

/* Scratch directories and captured children: tmp_make, tmp_remove, tmp_capture
 * and tmp_slurp from tests/tmpdir.h. */

/* Removes every ,"elapsed":NUMBER from JSON lines in place, and the other
 * wall-clock fields, "train_seconds" and "infer_us": the ones that differ
 * between identical runs. */
static inline void wt_strip_elapsed(char *s)
{
	static const char *const keys[] = {",\"elapsed\":", ",\"train_seconds\":",
					   ",\"infer_us\":"};
	char *p;

	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		while ((p = strstr(s, keys[k])) != NULL) {
			char *end = p + strlen(keys[k]);
			while (*end && *end != ',' && *end != '}')
				end++;
			memmove(p, end, strlen(end) + 1);
		}
}

/* Number of lines of s containing needle. */
static inline int wt_count_lines(const char *s, const char *needle)
{
	int n = 0;

	for (const char *line = s; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *hit = strstr(line, needle);
		if (hit && (size_t)(hit - line) < len)
			n++;
		line = nl ? nl + 1 : NULL;
	}
	return n;
}

#endif
