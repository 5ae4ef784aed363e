/* optim: the update rules (sgd, momentum, rmsprop, adam) over one flat parameter
 * buffer, and the per-epoch learning-rate schedules. The state (momentum /
 * first moment m, second moment v, step count t) shares the parameters' layout
 * and is allocated once; a step allocates nothing. L2 weight decay adds l2 * p
 * to the gradient of the first n_decay parameters (the weights). */
#ifndef CAVIAR_OPTIM_H
#define CAVIAR_OPTIM_H

#include <stddef.h>

enum optim_kind { OPTIM_SGD, OPTIM_MOMENTUM, OPTIM_RMSPROP, OPTIM_ADAM };

struct optim_config {
	enum optim_kind kind;
	float beta;  /* momentum: v = beta v + (1 - beta) g */
	float beta1; /* adam: m = beta1 m + (1 - beta1) g */
	float beta2; /* adam and rmsprop: v = beta2 v + (1 - beta2) g^2 */
	float eps;   /* adam and rmsprop: added to sqrt(v) */
	float l2;    /* weight decay on params[0, n_decay) */
};

struct optim {
	struct optim_config c;
	size_t n, n_decay;
	float *state; /* 2n: m then v (one allocation, saved as is by checkpoints) */
	float *m, *v; /* views into state */
	long t;       /* steps taken so far (adam's bias correction uses t after ++) */
};

/* Allocates zeroed state for n parameters of which the first n_decay decay. */
void optim_init(struct optim *o, const struct optim_config *c, size_t n, size_t n_decay);
void optim_finish(struct optim *o); /* accepts zeroed or finished */

/* One update of params (n) with grads (n) at learning rate lr; t += 1 first.
 *   sgd:      p -= lr g
 *   momentum: m = beta m + (1-beta) g;        p -= lr m
 *   rmsprop:  v = beta2 v + (1-beta2) g^2;    p -= lr g / (sqrt(v) + eps)
 *   adam:     m, v as above with beta1/beta2; p -= lr mhat / (sqrt(vhat) + eps),
 *             mhat = m / (1 - beta1^t), vhat = v / (1 - beta2^t)
 * with g = grad + l2 * p for the weights. */
void optim_step(struct optim *o, float *params, const float *grads, float lr);

enum lr_schedule_kind { LR_INVERSE_TIME, LR_EXPONENTIAL, LR_STEP };

struct lr_schedule {
	double lr0;     /* initial learning rate */
	double decay;   /* 0: constant */
	enum lr_schedule_kind kind;
	int decay_steps; /* LR_STEP: epochs between decays (>= 1) */
};

/* The learning rate of epoch (0 for the first epoch):
 * inverse_time lr0/(1+d*epoch), exponential lr0*d^epoch, step lr0*d^floor(epoch/steps). */
double lr_at(const struct lr_schedule *s, int epoch);

#endif
