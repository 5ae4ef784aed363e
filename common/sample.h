/* sample: turns a parsed spec into trial parameters, for every search
 * strategy (random, grid, sobol, coarse_to_fine; tpe's startup trials, the
 * rest being common/tpe.h's), reproducibly: trial number i
 * of a sweep is a pure function of (spec, seed, box, i), so the daemon can
 * sample any trial again after a restart. It never touches the database; the
 * daemon records what it returns. */
#ifndef CAVIAR_SAMPLE_H
#define CAVIAR_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "rng.h"
#include "spec.h"

/* The search region of one coarse_to_fine round: for each parameter of the
 * spec (same index as spec->params), the range sampled in that round. Round 0
 * is the spec's own ranges; later rounds are narrowed around the best trials.
 * Other strategies use round 0 only. */
struct sample_box {
	int n;
	double *lo, *hi; /* n entries; meaningful for numeric kinds only */
	uint64_t *excluded; /* n entries: for a choice, bit i set when value i is not
	                     * sampled (coarse_to_fine narrows to the values its kept
	                     * trials used; values past the 64th are never excluded) */
};

void sample_box_init(struct sample_box *b, const struct spec *s);  /* the spec's ranges */
void sample_box_finish(struct sample_box *b);                       /* accepts zeroed */
void sample_box_copy(struct sample_box *to, const struct sample_box *from); /* to: uninitialized */

/* {"lr": {"log": [1e-3, 1e-2]}, ...} for numeric params, and {"opt":
 * {"choice": [...]}} for a choice narrowed to some of its values: recorded
 * per round. */
cJSON *sample_box_to_json(const struct sample_box *b, const struct spec *s);
/* The inverse, for a daemon restarting mid-sweep. Returns 0 or -1 with err. */
int sample_box_from_json(struct sample_box *b, const struct spec *s, const cJSON *json,
			 char *err, size_t errlen);

/* Number of trials in round r (0-based): all of them for single-round
 * strategies; the budget split over `rounds` for coarse_to_fine (the first
 * rounds get the remainder); the first population for pbt, whose later
 * members are forks (common/pbt.h). */
int sample_round_size(const struct spec *s, int round);

int sample_rounds(const struct spec *s); /* 1, or spec->rounds for coarse_to_fine */

/* Where round r ends: past its trials and those of the rounds before. */
int sample_round_end(const struct spec *s, int round);

/* Number of distinct grid points (for validation: trials must not exceed it);
 * LONG_MAX when the product overflows. Computed for any strategy. */
long sample_grid_size(const struct spec *s);

/* The check of a parsed spec that needs the sampler, made after spec_parse by
 * whoever validates a whole spec (its search's fit, search.h): for search
 * "grid", sets absent trials (0) to the grid's size, an error above
 * SPEC_MAX_TRIALS points, and refuses a budget larger than the grid. Other
 * strategies pass. Returns 0, or -1 with err and s finished (empty), as
 * spec_parse leaves it on failure. */
int sample_check_grid(struct spec *s, char *err, size_t errlen);

/* The params of trial `number` (0-based within the sweep; for coarse_to_fine,
 * numbering runs on across rounds) sampled in box (NULL: the spec's ranges).
 * Returns a new object with one key per active parameter (conditions applied),
 * in the spec's (dependency) order; the caller deletes it.
 *
 * Every numeric parameter has a scale: linear (uniform, int), log10(x) (log,
 * log_int), log10(1-x) (reverse_log).
 * - random, coarse_to_fine: parameter k of trial i draws from its own stream,
 *   rng_derive(rng_derive(seed, i), k), a u uniform in [0,1) mapped linearly
 *   into the box in the parameter's scale (int and choice: uniform over the
 *   integers / values; log_int: floor(exp(U[ln lo, ln(hi+1)))), so every
 *   octave gets the same share). Full double precision, no rounding.
 * - grid: `points` values per continuous parameter, evenly spaced in its scale,
 *   endpoints included; int/log_int: the same values rounded, duplicates
 *   dropped; choice: every value; plain values: one. Trial i is point i of the
 *   product in mixed radix (the last parameter varies fastest); when trials <
 *   grid size, point P(i) of a seeded random permutation P of the grid (a keyed
 *   bijection with cycle walking: still a pure function of i). Conditions: the
 *   parameters some condition names ("controllers") are enumerated first; each
 *   combination of their values activates some other parameters, whose product
 *   it contributes. An inactive parameter takes no value, so the grid lists
 *   every distinct combination of active values exactly once (optimizer
 *   {sgd, momentum} x 5 lrs x beta only with momentum: 5 + 25 = 30 points).
 * - sobol: sampled (non-fixed) parameter j is dimension j of a Sobol' sequence
 *   (Joe-Kuo direction numbers, up to 32 dimensions) with Owen scrambling
 *   seeded per dimension from the sweep's seed; u maps through the scale as
 *   for random (choice and int: floor(u * count)). Trial i is point i: the
 *   scrambled point 0 is not the origin, and keeping it keeps every 2^m prefix
 *   a balanced net. An inactive parameter's dimension is simply unused.
 * - tpe: as sobol. These are its startup trials; later ones come from the
 *   model (tpe_suggest), which needs the sweep's history.
 * - pbt: as random. These are its first population (numbers below
 *   pbt.population); later members are forks whose params pbt_decide gives. */
cJSON *sample_trial(const struct spec *s, const struct sample_box *box, int number);

/* The samplers the search table's rows name (search.h), as sample_trial
 * describes them, for a box of s's (not NULL): random (coarse_to_fine, pbt),
 * grid, sobol (tpe). Call sample_trial instead. */
cJSON *sample_random(const struct spec *s, const struct sample_box *box, int number);
cJSON *sample_grid(const struct spec *s, const struct sample_box *box, int number);
cJSON *sample_sobol(const struct spec *s, const struct sample_box *box, int number);

/* Parameter k of s (active or not) drawn from r over its spec range, as
 * random search draws it: a new value the caller deletes. pbt's resample. */
cJSON *sample_draw(const struct spec *s, int k, struct rng *r);

/* coarse_to_fine: from the previous round's box and its finished trials'
 * params and objective values (n of them; values NAN for trials with no
 * result), computes the next round's box: keep the best ceil(keep*n) trials,
 * and around them narrow each numeric range in that parameter's own scale
 * (log10 for log, log10(1-x) for reverse_log), to at most `shrink` times the
 * previous width, clamped inside the spec's range; a choice keeps the values
 * the kept trials used. Returns 0, or -1 with err
 * when no trial has a result.
 * Exactly: n counts trials with a finite value and params an object; best is
 * by the spec's objective mode (ties: lower index). In each numeric parameter's
 * scale, with W the previous width and w = shrink * W: the centre is the mean
 * of the kept trials' values, moved if needed to within w/4 of the best
 * trial's value (so the best lies in the middle half); the interval
 * [centre - w/2, centre + w/2] is shifted (not cut) to lie inside the spec's
 * range, then mapped back. int/log_int: lo = ceil, hi = floor, which always
 * keeps the best trial's integer. A parameter no kept trial has (inactive)
 * keeps its range (a choice, its values). next is initialized by the call
 * (the caller finishes it, also after an error). */
int sample_narrow(const struct spec *s, const struct sample_box *prev,
		  const cJSON *const *params, const double *values, int n,
		  struct sample_box *next, char *err, size_t errlen);

/* A numeric kind's scale, the one place it is written: log10(x) for log and
 * log_int, log10(1 - x) for reverse_log, x for uniform and int; and back. */
double sample_to_scale(enum param_kind k, double x);
double sample_from_scale(enum param_kind k, double t);

/* A param's place in the unit cube, the one every sampler maps from: for a
 * sampled p (numeric or choice), u in [0, 1] for its value t in the internal
 * coordinate tpe's history keeps (tpe.h: the scale, a choice's index), the
 * middle of the cell of u's that sample_value_at maps to it; NAN for NAN. */
double sample_unit_of(const struct spec_param *p, double t);
/* p's value at u in [0, 1] over its spec range, as random search maps its
 * draws (a new value the caller deletes). */
cJSON *sample_value_at(const struct spec_param *p, double u);

/* Whether p's every "when" condition holds, given the trial's params so far
 * (trial: an object of the params sampled before p; a condition on a train
 * key compares the spec's fixed value). */
int sample_active(const struct spec *s, const struct spec_param *p, const cJSON *trial);

/* Star discrepancy proxy used by tests (L2-star discrepancy of n points in d dims,
 * points row-major in [0,1)^d). */
double sample_l2_discrepancy(const double *pts, int n, int d);

#endif
