/* tpe: search "tpe", the tree-structured Parzen estimator (Bergstra, Bardenet,
 * Bengio, Kegl 2011) as Optuna 3.1's TPESampler does it: the next trial's
 * params from a sweep's history. Pure: no I/O, no clock, no globals; the same
 * spec, seed, history and trial number give the same suggestion. It neither
 * keeps the history (its caller does: daemon/sweeps.c, bench/search_bench.c)
 * nor records anything. */
#ifndef CAVIAR_TPE_H
#define CAVIAR_TPE_H

#include <cjson/cJSON.h>

#include "spec.h"

/* What a trial of the history is to the model. */
enum tpe_state {
	TPE_NONE,    /* unknown or ignored (queued, failed, cancelled): not modelled */
	TPE_DONE,    /* finished: value is its objective */
	TPE_PRUNED,  /* stopped early: ranked by epochs reached, then value (its last) */
	TPE_RUNNING, /* running: with epochs > 0 ranked as a pruned trial (its rungs'
	              * results count at once); with none, a "constant liar": bad */
};

/* A sweep's trials by number, each param in its internal coordinate:
 * log10(x) for log and log_int, log10(1 - x) for reverse_log, x for uniform
 * and int, the value's index for choice; NAN where the param is inactive. */
struct tpe_history {
	int n_params;        /* the spec's */
	int n, cap;          /* trials 0 .. n-1 are known */
	signed char *state;  /* enum tpe_state */
	int *epochs;         /* how far it got */
	double *value;       /* objective (done) or last value (pruned, running); NAN: none */
	double *x;           /* n x n_params */
	int **by_x;          /* per param, the numbers of the trials where it has a
	                      * value, ordered by (value, number): kept as trials are
	                      * added, so that a suggestion need not sort (tpe.c) */
	int *n_by_x;         /* per param, entries in by_x */
	int n_goals;         /* objectives kept per trial: the spec's when several, else
	                      * 1 and unused (value is the objective) */
	int n_cons;          /* the spec's constraints */
	double *goals;       /* n x n_goals: each objective's last reported value */
	double *cons;        /* n x n_cons: each constraint metric's; NAN: none yet */
};

/* Memory the caller provides; finish accepts a zeroed or finished history.
 * init: one objective, no constraints; init_goals: s's objectives and
 * constraints, and s's params. */
void tpe_history_init(struct tpe_history *h, int n_params);
void tpe_history_init_goals(struct tpe_history *h, const struct spec *s);
void tpe_history_finish(struct tpe_history *h);

/* Records trial number's params (an object as sample_trial or tpe_suggest
 * returns; params not in the spec are ignored) with state TPE_NONE; grows the
 * history to include number. */
void tpe_history_add(struct tpe_history *h, const struct spec *s, int number,
		     const cJSON *params);

/* Sets how trial number stands (a number the history has; others are ignored). */
void tpe_history_set(struct tpe_history *h, int number, enum tpe_state state, int epochs,
		     double value);

/* Trial number reported metric = value: kept when it is one of several
 * objectives or a constraint's metric of s (the last report wins). A number
 * the history does not have is ignored. */
void tpe_history_note(struct tpe_history *h, const struct spec *s, int number,
		      const char *metric, double value);

/* Trial i's objective j (j < n_goals; with one, value[i]), in its own sense. */
double tpe_history_goal(const struct tpe_history *h, int i, int j);

/* Trial i's constraint violation (pareto_violation over s's constraints, its
 * last reports): 0 when feasible or without constraints. */
double tpe_history_violation(const struct tpe_history *h, const struct spec *s, int i);

/* Trials done or pruned: the model starts once there are spec->tpe.startup. */
int tpe_history_finished(const struct tpe_history *h);

/* The params of trial `number`, as sample_trial returns them (a new object,
 * one key per active param in spec order; the caller deletes it).
 * While fewer than tpe.startup trials are finished: the Sobol point `number`
 * (sample_trial). Then the model: trials ranked (done by value; then pruned
 * and running ones with results by epochs reached, more first, then by their
 * last value; then pruned ones without; then running ones without, the
 * liars); the best gamma(n) = min(ceil(gamma n), gamma_max) of the n non-liars
 * are good, the rest bad. Per param, in its internal coordinate, a Parzen
 * estimator per side over the trials where the param is active (Optuna 3.1's
 * bandwidths, magic clip, prior and weights); `candidates` draws from the good
 * density l, the one with the best l/g kept. With tpe.multivariate, the
 * params without a condition are modelled jointly.
 * With several objectives (the history's n_goals > 1), as Optuna 3.1's
 * TPESampler with several directions (its MOTPE): the good trials are the
 * gamma(n) best done ones by non-dominated rank (Deb's rule with
 * constraints), the last rank cut by greedy hypervolume subset selection;
 * each weighs (1 - c) + c x its hypervolume contribution over the largest,
 * c = tpe.hypervolume_weight (0.5; Optuna's weights are c = 1: tpe.c's
 * goals_weights says why not); pruned and running trials are bad. With one,
 * nothing of this runs.
 * *why (when why is not NULL) is set to a new object saying why: for a startup
 * point {"startup": true, "finished": k}; else {"finished", "good", "bad",
 * "liars", "log_l", "log_g", "params": {name: {"log_l", "log_g"}}}, the log
 * densities of the chosen point (joint ones under "joint" when multivariate),
 * in Optuna 3.1's form: continuous kernels not divided by their sigma (tpe.c). */
cJSON *tpe_suggest(const struct spec *s, const struct tpe_history *h, int number, cJSON **why);

/* The building block, for tests: a univariate Parzen estimator in internal
 * coordinates over [lo, hi] from m observations (chronological), fitted as
 * Optuna 3.1 does. step 1: an int param (bins of width 1 around integers). */
struct tpe_pe {
	int n;                  /* components, the prior included */
	double *mu, *sigma, *w; /* w sums to 1 */
	double *coef;           /* w / (sigma sqrt(2 pi) mass), mass: inside the
	                         * bounds; for step 1, w / mass */
	double lo, hi;
	int step;
	int prior;              /* the prior's component */
	double smax;            /* the largest sigma but the prior's */
};

void tpe_pe_fit(struct tpe_pe *pe, const double *obs, int m, double lo, double hi, int step,
		double prior_weight);
void tpe_pe_finish(struct tpe_pe *pe);
double tpe_pe_log_pdf(const struct tpe_pe *pe, double t); /* the log density (or mass) at t */

/* Optuna's default_weights(m): m ones below 25, else a ramp from 1/m for the
 * oldest m - 25 and ones for the last 25. w has m entries. */
void tpe_weights(double *w, int m);

#endif
