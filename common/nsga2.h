/* nsga2: search "nsga2", NSGA-II (Deb, Pratap, Agarwal, Meyarivan 2002) over
 * one or several objectives, proposing one trial at a time from a sweep's
 * history (tpe.h's struct tpe_history, with its goals and violations) as tpe
 * does. Pure: the same spec, seed, history and number give the same trial. It
 * neither keeps the history nor records anything; the ranking rules are
 * pareto.h's, the unit-cube mapping sample.h's. */
#ifndef CAVIAR_NSGA2_H
#define CAVIAR_NSGA2_H

#include <cjson/cJSON.h>

#include "spec.h"

struct rng;
struct tpe_history;

#define NSGA2_ETA_C 20.0      /* SBX's distribution index */
#define NSGA2_ETA_M 20.0      /* polynomial mutation's */
#define NSGA2_CROSSOVER 0.9   /* a pair's crossover probability */

/* The params of trial `number` (a new object, as sample_trial returns; the
 * caller deletes it). Trial number belongs to generation number / population.
 * Generation 0, or while fewer than two trials of earlier generations are
 * done: the Sobol' point `number` (sample_trial). Else the parents are the
 * best `population` of the done trials of earlier generations, by
 * non-dominated rank (Deb's rule: infeasible ones last, by violation), then
 * crowding distance (larger first), then number; two binary tournaments pick
 * a pair; the child takes, per active param in its unit cube coordinate
 * (sample_unit_of): with probability NSGA2_CROSSOVER an SBX crossover of the
 * pair per param with probability 1/2 (a choice: uniform crossover), then
 * with probability 1/d (d sampled params) polynomial mutation (a choice: a
 * uniform draw). A param only one parent has is that parent's, one neither
 * has a uniform draw. *why (when not NULL) gets a new object: {"startup":
 * true, "finished": k}, or {"generation", "pool", "front", "parents": [a, b]}. */
cJSON *nsga2_suggest(const struct spec *s, const struct tpe_history *h, int number,
		     cJSON **why);

/* The building blocks, in [0, 1]: SBX of a and b into *c1, *c2 (bounded, Deb
 * and Agrawal 1995), and polynomial mutation of u (Deb and Goyal 1996). */
void nsga2_sbx(double a, double b, double eta, struct rng *r, double *c1, double *c2);
double nsga2_mutate(double u, double eta, struct rng *r);

#endif
