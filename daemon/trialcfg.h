/* trialcfg: the configuration caviard hands a trial's worker (on its stdin, or
 * as a command's CAVIAR_PARAMS): what the spec fixes plus what the sampler
 * drew for this trial. It neither parses specs (spec.h) nor samples (sample.h). */
#ifndef CAVIAR_TRIALCFG_H
#define CAVIAR_TRIALCFG_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "spec.h"

/* Builds one trial's configuration: the spec's "train" values, overridden by
 * the trial's sampled params, plus "task" (when the spec sets it), "seed"
 * (trial_seed cut to its low 53 bits, so the JSON number is exact) and "data"
 * (when present). Returns a new object; the caller deletes it. */
cJSON *trialcfg_build(const struct spec *s, const cJSON *params, uint64_t trial_seed);

#endif
