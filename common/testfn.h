/* testfn: test functions with known optima for the search strategies
 * (Branin, Hartmann-6, Rosenbrock on log axes, and a conditional space), each
 * with its search space as a spec's "params". The worker runs them as
 * synthetic tasks (worker/synth.c: the regret is the curve's target) and
 * bench/search_bench.c calls them directly. Pure; not a sampler. */
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

#endif
