/* optim: update rules and learning-rate schedules (see optim.h). Each rule is
 * one fused pass over the flat buffers, run twice: over the weights with the
 * L2 term, then over the vectors without it. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#include "hot.h"

void optim_init(struct optim *o, const struct optim_config *c, size_t n, size_t n_decay)
{
	memset(o, 0, sizeof *o);
	o->c = *c;
	o->n = n;
	o->n_decay = n_decay;
	o->state = xcalloc(n ? 2 * n : 1, sizeof(float));
	o->m = o->state;
	o->v = o->state + n;
}

void optim_finish(struct optim *o)
{
	if (!o)
		return;
	free(o->state);
	memset(o, 0, sizeof *o);
}

SIMD_HOT static void sgd_pass(float *restrict p, const float *restrict g, size_t n, float lr,
			      float l2)
{
	for (size_t i = 0; i < n; i++)
		p[i] -= lr * (g[i] + l2 * p[i]);
}

SIMD_HOT static void momentum_pass(float *restrict p, const float *restrict g,
				   float *restrict m, size_t n, float lr, float l2, float beta)
{
	for (size_t i = 0; i < n; i++) {
		float gi = g[i] + l2 * p[i];
		m[i] = beta * m[i] + (1.0f - beta) * gi;
		p[i] -= lr * m[i];
	}
}

SIMD_HOT static void rmsprop_pass(float *restrict p, const float *restrict g,
				  float *restrict v, size_t n, float lr, float l2, float beta2,
				  float eps)
{
	for (size_t i = 0; i < n; i++) {
		float gi = g[i] + l2 * p[i];
		v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
		p[i] -= lr * gi / (sqrtf(v[i]) + eps);
	}
}

/* bc1 = 1 - beta1^t, bc2 = 1 - beta2^t. p -= lr * (m / bc1) / (sqrt(v / bc2) + eps),
 * with the bias corrections taken out of the loop as PyTorch does (step size
 * lr / bc1, sqrt(v) scaled by 1 / sqrt(bc2)): one division and one square
 * root per element instead of three divisions and a root. */
SIMD_HOT static void adam_pass(float *restrict p, const float *restrict g, float *restrict m,
			       float *restrict v, size_t n, float lr, float l2,
			       const struct optim_config *c, float bc1, float bc2)
{
	float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
	float step = lr / bc1, rs = 1.0f / sqrtf(bc2);

	for (size_t i = 0; i < n; i++) {
		float gi = g[i] + l2 * p[i];
		float mi = b1 * m[i] + (1.0f - b1) * gi;
		float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		p[i] -= step * mi / (sqrtf(vi) * rs + eps);
	}
}

/* One rule over params[lo, hi) with weight decay l2. */
static void step_range(struct optim *o, float *params, const float *grads, size_t lo,
		       size_t hi, float lr, float l2, float bc1, float bc2)
{
	float *p = params + lo, *m = o->m + lo, *v = o->v + lo;
	const float *g = grads + lo;
	size_t n = hi - lo;

	switch (o->c.kind) {
	case OPTIM_SGD:
		sgd_pass(p, g, n, lr, l2);
		break;
	case OPTIM_MOMENTUM:
		momentum_pass(p, g, m, n, lr, l2, o->c.beta);
		break;
	case OPTIM_RMSPROP:
		rmsprop_pass(p, g, v, n, lr, l2, o->c.beta2, o->c.eps);
		break;
	case OPTIM_ADAM:
		adam_pass(p, g, m, v, n, lr, l2, &o->c, bc1, bc2);
		break;
	}
}

void optim_step(struct optim *o, float *params, const float *grads, float lr)
{
	float bc1, bc2;

	o->t++;
	bc1 = (float)(1.0 - pow(o->c.beta1, (double)o->t));
	bc2 = (float)(1.0 - pow(o->c.beta2, (double)o->t));
	step_range(o, params, grads, 0, o->n_decay, lr, o->c.l2, bc1, bc2);
	step_range(o, params, grads, o->n_decay, o->n, lr, 0.0f, bc1, bc2);
}

double lr_at(const struct lr_schedule *s, int epoch)
{
	if (s->decay == 0.0)
		return s->lr0;
	switch (s->kind) {
	case LR_INVERSE_TIME:
		return s->lr0 / (1.0 + s->decay * epoch);
	case LR_EXPONENTIAL:
		return s->lr0 * pow(s->decay, epoch);
	case LR_STEP:
		return s->lr0 * pow(s->decay, epoch / s->decay_steps);
	}
	return s->lr0;
}
