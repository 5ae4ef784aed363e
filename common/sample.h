/* sample: turns a parsed spec into trial parameters, for every search
 * strategy (random, grid, sobol, coarse_to_fine), reproducibly: trial number i
 * of a sweep is a pure function of (spec, seed, box, i), so the daemon can
 * sample any trial again after a restart. It never touches the database; the
 * daemon records what it returns. */
#ifndef CAVIAR_SAMPLE_H
#define CAVIAR_SAMPLE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "spec.h"

/* The search region of one coarse_to_fine round: for each parameter of the
 * spec (same index as spec->params), the range sampled in that round. Round 0
 * is the spec's own ranges; later rounds are narrowed around the best trials.
 * Other strategies use round 0 only. */
struct sample_box {
	int n;
	double *lo, *hi; /* n entries; meaningful for numeric kinds only */
};

void sample_box_init(struct sample_box *b, const struct spec *s);  /* the spec's ranges */
void sample_box_finish(struct sample_box *b);                       /* accepts zeroed */

/* {"lr": {"log": [1e-3, 1e-2]}, ...} for numeric params: recorded per round. */
cJSON *sample_box_to_json(const struct sample_box *b, const struct spec *s);
/* The inverse, for a daemon restarting mid-sweep. Returns 0 or -1 with err. */
int sample_box_from_json(struct sample_box *b, const struct spec *s, const cJSON *json,
			 char *err, size_t errlen);

/* Number of trials in round r (0-based): all of them for single-round
 * strategies; the budget split over `rounds` for coarse_to_fine (the first
 * rounds get the remainder). */
int sample_round_size(const struct spec *s, int round);
int sample_rounds(const struct spec *s); /* 1, or spec->rounds for coarse_to_fine */

/* Number of distinct grid points (for validation: trials must not exceed it). */
long sample_grid_size(const struct spec *s);

/* The params of trial `number` (0-based within the sweep; for coarse_to_fine,
 * numbering runs on across rounds) sampled in box. Returns a new object with
 * one key per active parameter (conditions applied); the caller deletes it. */
cJSON *sample_trial(const struct spec *s, const struct sample_box *box, int number);

/* coarse_to_fine: from the previous round's box and its finished trials'
 * params and objective values (n of them; values NAN for trials with no
 * result), computes the next round's box: keep the best ceil(keep*n) trials,
 * and around them narrow each numeric range in that parameter's own scale
 * (log10 for log, log10(1-x) for reverse_log), to at most `shrink` times the
 * previous width, clamped inside the spec's range. Returns 0, or -1 with err
 * when no trial has a result. */
int sample_narrow(const struct spec *s, const struct sample_box *prev,
		  const cJSON *const *params, const double *values, int n,
		  struct sample_box *next, char *err, size_t errlen);

/* Star discrepancy proxy used by tests (L2-star discrepancy of n points in d dims,
 * points row-major in [0,1)^d). */
double sample_l2_discrepancy(const double *pts, int n, int d);

#endif
