/* rng: the project's random number generator (xoshiro256**, seeded through
 * splitmix64). Deterministic across platforms, so a sweep's seed reproduces its
 * trials and a trial's seed reproduces its curve. State is plain data: it can be
 * copied into a checkpoint and restored. Not for cryptography. */
#ifndef CAVIAR_RNG_H
#define CAVIAR_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_uniform(struct rng *r);             /* in [0, 1), 53 random bits */
uint64_t rng_below(struct rng *r, uint64_t n); /* uniform in [0, n), n > 0, unbiased */
double rng_normal(struct rng *r);              /* standard normal (Box-Muller) */

/* Derives an independent seed from a parent seed and an index (a trial's seed
 * from its sweep's seed and number). Pure function. */
uint64_t rng_derive(uint64_t seed, uint64_t index);

#endif
