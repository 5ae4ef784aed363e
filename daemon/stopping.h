/* stopping: early stopping rules, the "pick the best curve" part automated.
 * Pure bookkeeping over the objective values trials report, one rule per
 * sweep; it decides, the caller stops the trial (status 'pruned').
 *   median: after `warmup` epochs, a trial whose best value so far is worse
 *           than the median of the other trials' running averages at the same
 *           epoch is stopped (at least `min_trials` others must have reached
 *           that epoch).
 *   asha:   (warmup does not apply) rungs at min_epochs * eta^k epochs; a trial reaching a rung
 *           continues only if it is among the top max(1, floor(n / eta)) of
 *           the n trials that have reached that rung so far (its best value
 *           up to the rung), asynchronous successive halving as in Li et al.
 * A trial that reports an epoch again (it restarted) replaces its old entries. */
#ifndef CAVIAR_STOPPING_H
#define CAVIAR_STOPPING_H

#include <stddef.h>

#include "spec.h"

struct stop_entry {
	int number;   /* trial number within the sweep */
	double value; /* median: running average; asha: best value up to the rung */
};

struct stop_list {
	struct stop_entry *e;
	int n, cap;
};

struct stop_trial {
	double *values; /* values[e - 1]: the objective at epoch e */
	int n;
};

struct stopping {
	enum early_stop_kind kind;
	int maximize;
	int warmup, min_epochs, eta, min_trials;
	struct stop_list *at;     /* median: per epoch; asha: per rung */
	int n_at;
	struct stop_trial *trials; /* by trial number */
	int n_trials;
};

/* Sets up the rule the spec asks for (EARLY_STOP_NONE: never stops). */
void stopping_init(struct stopping *s, const struct spec *spec);
void stopping_finish(struct stopping *s); /* accepts a zeroed struct */

/* Records trial `number`'s objective `value` at `epoch` (1-based) of its
 * `last` epochs (0: unknown). Returns 1 when the trial should stop now, with
 * the reason in reason ("pruned at epoch 3: best 0.71 is worse than the median
 * 0.80 of 5 trials"), else 0. A trial at its last epoch has nothing left to
 * save: it is recorded, never stopped. */
int stopping_report(struct stopping *s, int number, int epoch, int last, double value,
		   char *reason, size_t n);

#endif
