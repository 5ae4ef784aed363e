/* sobol: Sobol' low-discrepancy points in [0,1)^d, for search "sobol".
 * Direction numbers are Joe and Kuo's (2008, new-joe-kuo-6.21201) for the first
 * 32 dimensions; scrambling is Burley's hash-based Owen (nested uniform)
 * scrambling, so each seed gives a different randomized net with the same
 * balance. Stateless: a point is a pure function of (index, dim, seed). */
#ifndef CAVIAR_SOBOL_H
#define CAVIAR_SOBOL_H

#include <stdint.h>

/* Number of dimensions with direction numbers (32). */
int sobol_max_dims(void);

/* Coordinate dim (0-based, < sobol_max_dims()) of point index of the plain
 * Sobol' sequence, as a 32-bit binary fraction (natural, not Gray-code, order:
 * point 0 is all zeros). */
uint32_t sobol_bits(uint32_t index, int dim);

/* The same point, Owen-scrambled with seed (one seed per dimension), in [0, 1). */
double sobol_point(uint32_t index, int dim, uint32_t seed);

#endif
