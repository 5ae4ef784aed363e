/* importance_bench: times caviar's fANOVA (common/forest + common/fanova, 64
 * trees, every pairwise interaction) on synthetic sweeps, and writes each data
 * set for bench/importance_baseline.py (Optuna's FanovaImportanceEvaluator) to
 * run on the same trials. Prints one JSON object:
 *   {"trials", "params", "fit_s", "decompose_s", "seconds", "functions": [
 *     {"name", "truth": [...] or null, "shares": [...], "file": "..."}]}
 *
 *   importance_bench [--trials N] [--seed S] [--out DIR]
 *
 * The functions (x uniform on [0, 1]^10):
 *   linear:    sum (10 - k) x_k: true shares proportional to (10 - k)^2, all distinct
 *   quadratic: 10 (x0-0.3)^2 + 5 (x1-0.5)^2 + 4 x0 x2, x3..x9 inert (tests/common/test_fanova.c)
 *   mixed:     sin(2 pi x0) + 2 x1 x2 + (x3 - 0.5)^2 + 0.1 x4, x5..x9 inert
 * Timing is of the first (the 10-parameter, N-trial case of the README). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fanova.h"
#include "forest.h"
#include "rng.h"
#include "xalloc.h"

#define D 10

static double f_linear(const double *x)
{
	double s = 0;

	for (int k = 0; k < D; k++)
		s += (D - k) * x[k];
	return s;
}

static double f_quadratic(const double *x)
{
	return 10 * (x[0] - 0.3) * (x[0] - 0.3) + 5 * (x[1] - 0.5) * (x[1] - 0.5) + 4 * x[0] * x[2];
}

static double f_mixed(const double *x)
{
	return sin(2 * M_PI * x[0]) + 2 * x[1] * x[2] + (x[3] - 0.5) * (x[3] - 0.5) + 0.1 * x[4];
}

static const struct {
	const char *name;
	double (*fn)(const double *);
} functions[] = {{"linear", f_linear}, {"quadratic", f_quadratic}, {"mixed", f_mixed}};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* one core: CPU time, not wall */
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* DIR/NAME.json: {"params": {spec params}, "trials": [caviar export --json rows]}. */
static void dump(const char *dir, const char *name, const double *x, const double *y, int n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.json", dir, name);
	if (!(f = fopen(path, "w"))) {
		perror(path);
		exit(1);
	}
	fprintf(f, "{\"params\": {");
	for (int k = 0; k < D; k++)
		fprintf(f, "%s\"x%d\": {\"uniform\": [0, 1]}", k ? ", " : "", k);
	fprintf(f, "},\n \"trials\": [\n");
	for (int i = 0; i < n; i++) {
		fprintf(f, "  {\"trial_id\": %d, \"status\": \"done\", \"objective\": %.17g, \"params\": {",
			i + 1, y[i]);
		for (int k = 0; k < D; k++)
			fprintf(f, "%s\"x%d\": %.17g", k ? ", " : "", k, x[(size_t)i * D + k]);
		fprintf(f, "}}%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, "]}\n");
	fclose(f);
}

int main(int argc, char **argv)
{
	int n = 10000;
	uint64_t seed = 1;
	const char *out = NULL;
	struct forest_dim dims[D];
	double *x, *y, fit_s = 0, dec_s = 0;
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out = argv[++i];
		else {
			fprintf(stderr, "usage: importance_bench [--trials N] [--seed S] [--out DIR]\n");
			return 2;
		}
	}
	if (n < 2)
		n = 2;
	for (int k = 0; k < D; k++)
		dims[k] = (struct forest_dim){0, 0, 1};
	x = xmalloc((size_t)n * D * sizeof *x);
	y = xmalloc((size_t)n * sizeof *y);
	printf("{\"trials\": %d, \"params\": %d, \"functions\": [", n, D);
	for (size_t fi = 0; fi < sizeof functions / sizeof functions[0]; fi++) {
		struct rng r;
		struct forest f;
		struct fanova fa;
		struct forest_opts o = {.trees = 64, .max_depth = 64, .seed = seed};
		double t0, t1, t2;

		rng_seed(&r, seed * 1000 + fi);
		for (int i = 0; i < n; i++) {
			for (int k = 0; k < D; k++)
				x[(size_t)i * D + k] = rng_uniform(&r);
			y[i] = functions[fi].fn(x + (size_t)i * D);
		}
		if (out)
			dump(out, functions[fi].name, x, y, n);
		t0 = now();
		if (forest_fit(&f, dims, D, x, y, n, &o, err, sizeof err) < 0) {
			fprintf(stderr, "importance_bench: %s\n", err);
			return 1;
		}
		t1 = now();
		if (fanova_compute(&fa, &f, 1, err, sizeof err) < 0) {
			fprintf(stderr, "importance_bench: %s\n", err);
			return 1;
		}
		t2 = now();
		if (fi == 0) {
			fit_s = t1 - t0;
			dec_s = t2 - t1;
		}
		printf("%s\n  {\"name\": \"%s\", \"seconds\": %.4f, \"shares\": [", fi ? "," : "",
		       functions[fi].name, t2 - t0);
		for (int k = 0; k < D; k++)
			printf("%s%.6f", k ? ", " : "", fa.share[k]);
		printf("]");
		if (out)
			printf(", \"file\": \"%s/%s.json\"", out, functions[fi].name);
		printf("}");
		fanova_finish(&fa);
		forest_finish(&f);
	}
	printf("],\n \"fit_s\": %.4f, \"decompose_s\": %.4f, \"seconds\": %.4f}\n", fit_s, dec_s,
	       fit_s + dec_s);
	free(x);
	free(y);
	return 0;
}
