/* stopping: early stopping rules, the "pick the best curve" part automated.
 * Pure bookkeeping over the goal values trials report, one rule per sweep;
 * it decides, the caller stops the trial (status 'pruned').
 *   median: after `warmup` epochs, a trial whose best value so far is worse
 *           than the median of the other trials' running averages at the same
 *           epoch is stopped (at least `min_trials` others must have reached
 *           that epoch). It judges one objective: early_stop.objective, by
 *           default the first.
 *   asha:   (warmup does not apply) rungs at min_epochs * eta^k epochs; a trial reaching a rung
 *           continues only if it is among the top max(1, floor(n / eta)) of
 *           the n trials that have reached that rung so far, asynchronous
 *           successive halving as in Li et al. With one objective, by its best
 *           value up to the rung. With several objectives or constraints
 *           (MO-ASHA, Schmucker et al. 2021), by non-dominated rank, then
 *           crowding distance, over the trials' goal vectors at the rung
 *           (common/pareto.h: infeasible trials rank after feasible ones).
 * A goal's value at an epoch is its metric's last value reported at that
 * epoch or before (a metric reported once, as `params` may be, carries
 * forward). A trial is judged when it reports the judged objective at an
 * epoch (asha: the first objective at a rung); MO-ASHA waits, within that
 * epoch, until each of the trial's goals has a value (a trial that never
 * reports one is never judged, nor counted at the rung).
 * A trial that reports an epoch again (it restarted) replaces its old entries. */
#ifndef CAVIAR_STOPPING_H
#define CAVIAR_STOPPING_H

#include <stddef.h>

#include "pareto.h"
#include "spec.h"

struct stop_entry {
	int number;   /* trial number within the sweep */
	double value; /* median: running average; asha: best value up to the rung;
	               * MO-ASHA: unused (the vectors are read at each judgement) */
};

struct stop_list {
	struct stop_entry *e;
	int n, cap;
};

struct stop_trial {
	double *values; /* n x n_goals: values[(e - 1) * n_goals + j], goal j at epoch e;
	                 * NAN: not reported at that epoch */
	int n;
	int due;        /* the epoch whose judged objective arrived, not judged yet; 0: none */
};

struct stopping {
	enum early_stop_kind kind;
	int warmup, min_epochs, eta, min_trials;
	int n_goals;              /* goals kept per trial: 1, or MO-ASHA's m + k */
	int m;                    /* of them objectives (the rest are constraints) */
	char **metric;            /* n_goals metric names (owned); metric[0] is judged
	                           * first (median's objective, asha's first) */
	int of_several;           /* median: the spec has several objectives (the reason
	                           * names the one judged) */
	enum pareto_sense sense[SPEC_MAX_OBJECTIVES];
	double lo[SPEC_MAX_CONSTRAINTS], hi[SPEC_MAX_CONSTRAINTS]; /* constraints' bounds */
	struct stop_list *at;     /* median: per epoch; asha: per rung */
	int n_at;
	struct stop_trial *trials; /* by trial number */
	int n_trials;
};

/* Sets up the rule the spec asks for (EARLY_STOP_NONE: never stops). Copies
 * what it needs: spec may go first. */
void stopping_init(struct stopping *s, const struct spec *spec);
void stopping_finish(struct stopping *s); /* accepts a zeroed struct */

/* Trial `number` reported metric = value at epoch (1-based): kept when the
 * rule reads that metric; a non-finite value is ignored. */
void stopping_note(struct stopping *s, int number, int epoch, const char *metric, double value);

/* Trial `number`'s line at epoch of its `last` epochs (0: unknown) was noted.
 * Returns 1 when the trial should stop now, with the reason in reason
 * ("pruned at epoch 3: best 0.71 is worse than the median 0.80 of 5 trials"),
 * else 0 (also when the line did not report the judged objective). A trial
 * at its last epoch has nothing left to save: it is recorded, never stopped. */
int stopping_judge(struct stopping *s, int number, int epoch, int last, char *reason, size_t n);

/* stopping_note of the judged objective's value, then stopping_judge. */
int stopping_report(struct stopping *s, int number, int epoch, int last, double value,
		   char *reason, size_t n);

#endif
