/* testfn: test functions with known optima for the search strategies
 * (Branin, Hartmann-6, Rosenbrock on log axes, and a conditional space), and
 * with known Pareto fronts for several objectives (ZDT1-3, DTLZ2), each with
 * its search space as a spec's "params". The worker runs the single-objective
 * ones as synthetic tasks (worker/synth.c: the regret is the curve's target)
 * and bench/search_bench.c calls them all directly. Pure; not a sampler. */
#ifndef CAVIAR_TESTFN_H
#define CAVIAR_TESTFN_H

#include <cjson/cJSON.h>

struct testfn {
	const char *name;  /* also the synthetic task's name */
	const char *space; /* its "params" (JSON text): x1.., and optimizer for "cond" */
	double optimum;    /* the known minimum f* */
	double (*f)(const cJSON *params); /* f at params; absent ones at the space's centre */
};

extern const struct testfn testfns[];
extern const int n_testfns;

/* The function called name (NULL: none), or NULL. */
const struct testfn *testfn_find(const char *name);

/* f(params) - f*, never below 0. */
double testfn_regret(const struct testfn *t, const cJSON *params);

/* A function of several objectives, all minimised, with its true front's
 * hypervolume (pareto.h) from a reference point. */
struct testfn_mo {
	const char *name;
	const char *space; /* its "params" (JSON text): x1..x5 in [0, 1] */
	int m;             /* objectives: 2 or 3 */
	double ref[3];     /* the reference point (m entries) */
	double hv;         /* the true front's hypervolume from ref */
	void (*f)(const cJSON *params, double *out); /* out: m values; absent
	                                              * params at 0.5 */
};

extern const struct testfn_mo testfns_mo[];
extern const int n_testfns_mo;

/* The function of several objectives called name (NULL: none), or NULL. */
const struct testfn_mo *testfn_mo_find(const char *name);

#endif
