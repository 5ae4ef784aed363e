/* pbt: the rule of Population Based Training (Jaderberg et al. 2017), pure:
 * given a population at a decision point, which members are replaced
 * (exploit: the bottom quantile copies a top member's checkpoint and params)
 * and with which explored params. Deterministic for a given rng, no I/O: the
 * daemon gathers the members, starts the forks and records the changes. */
#ifndef CAVIAR_PBT_H
#define CAVIAR_PBT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "rng.h"
#include "spec.h"

/* One member of the population at a decision point. */
struct pbt_member {
	int64_t trial_id; /* the trial (ranks ties: the lower id ranks better) */
	double value;     /* its objective at the decision epoch; NAN: none (ranks last) */
	const cJSON *params; /* its current params, adjustments applied, as sample_trial
	                      * gives them ({"lr": 0.01, "optimizer": "adam"}); not owned */
};

/* One explored value: what a fork changes against its source's params.
 * how: "resample" (drawn again from the spec's range), "x0.8" (the perturb
 * factor applied in the parameter's scale), "prev"/"next" (a choice moved to
 * a neighbouring value), or "resample" for a parameter a condition newly
 * activates. A parameter a condition deactivates is left out of the child's
 * params and listed here with new_value NULL and how "inactive". Values the
 * explore leaves equal to the source's are not listed. */
struct pbt_change {
	char *name;        /* the parameter (owned) */
	cJSON *old_value;  /* the source's value; NULL when it had none (owned) */
	cJSON *new_value;  /* the child's value; NULL when inactive (owned) */
	char how[16];
};

/* One exploit: members[member] stops and is replaced by a fork of
 * members[source]'s checkpoint at the decision epoch, with params. */
struct pbt_exploit {
	int member;        /* index into the members given: the one replaced */
	int source;        /* index of the top member it copies */
	cJSON *params;     /* the fork's params: the source's, explored (owned) */
	struct pbt_change *changes; /* n_changes, in the spec's parameter order (owned) */
	int n_changes;
};

/* Every exploit of one synchronous decision: members (n of them, all at the
 * same decision epoch) are ranked by spec->objective_max (NAN last, ties by
 * trial id); with q = ceil(spec->pbt.quantile * n), at most n/2, the worst q
 * form the bottom quantile and the best q the top one. Each bottom member
 * whose value is worse than the worst top member's (NAN always is; an equal
 * one is not, there is nothing to gain) copies a top member chosen uniformly
 * at random with a finite value, then explores (pbt_explore). Draws from r
 * in a fixed order, so a seed gives the same decisions.
 * Fills *out with a malloc'd array (NULL when none) and returns its length;
 * the caller frees it with pbt_exploits_free. */
int pbt_decide(const struct spec *spec, const struct pbt_member *members, int n, struct rng *r,
	       struct pbt_exploit **out);

/* The same for one member that reached a decision epoch while the others
 * train on (asynchronous PBT, as Ray Tune's): members[who] is compared with
 * the others' latest values. Returns 1 and fills *out when it exploits, 0
 * when it trains on (out untouched). The caller frees out with
 * pbt_exploit_finish. */
int pbt_decide_member(const struct spec *spec, const struct pbt_member *members, int n,
		      int who, struct rng *r, struct pbt_exploit *out);

/* The explore step alone: a new params object (the caller deletes it) from
 * params, walking spec->params in order (dependencies first): a parameter
 * whose conditions fail on the new params is left out; a plain value is the
 * spec's; one not marked explore keeps params' value; an explored one is,
 * with probability spec->pbt.resample_probability, drawn again from its spec
 * range as random search draws it (sample_draw), else perturbed by a factor f
 * chosen at random among spec->pbt.perturb, in its own scale: uniform and
 * log: x * f; reverse_log: 1 - (1 - x) * f; int and log_int: round(x * f),
 * and one step towards f when that rounds back to x; then clamped into the
 * spec's range. A choice moves to the previous or next value at random (the
 * only neighbour at either end; a single value stays). A parameter active
 * now but absent from params is drawn. Lists what changed in *changes
 * (malloc'd, *n_changes entries, NULL when none; free with
 * pbt_changes_free). */
cJSON *pbt_explore(const struct spec *spec, const cJSON *params, struct rng *r,
		   struct pbt_change **changes, int *n_changes);

/* The rng of decision number `decision` of a sweep (0, 1, ... as the daemon
 * counts them): seeded from spec->pbt.seed, so a restarted daemon can draw
 * the same decisions again. */
void pbt_rng(const struct spec *spec, uint64_t decision, struct rng *r);

void pbt_changes_free(struct pbt_change *changes, int n);    /* accepts NULL */
void pbt_exploit_finish(struct pbt_exploit *e);              /* accepts zeroed */
void pbt_exploits_free(struct pbt_exploit *e, int n);        /* accepts NULL */

#endif
