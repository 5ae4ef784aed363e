/* mlp: layout, init, forward and backward of the worker's network (see mlp.h).
 * Forward of hidden layer l, rows of the batch in rows of every buffer:
 *   z = h_prev @ W^T (+ b)   -> BN: xhat (in z), a = act(gamma*xhat + beta)
 *                            -> no BN: a = act(z)
 *   h = a * mask (dropout)   -> the next layer's input
 * Backward walks the same buffers back; dh of a layer is written by the next
 * layer's matmul_backward and turned into dz in place. */
#include "mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Fixes layer sizes and counts parameters (weights, then vectors) and stats. */
static void mlp_layout(struct mlp *m)
{
	size_t weights = 0, vectors = 0;

	m->n_stats = 0;
	for (int l = 0; l < m->n_layers; l++) {
		struct mlp_layer *L = &m->layers[l];
		int hidden = l < m->n_layers - 1;
		L->in = l == 0 ? m->c.n_in : m->hidden[l - 1];
		L->out = hidden ? m->hidden[l] : m->c.n_out;
		L->bn = hidden && m->c.batch_norm;
		weights += (size_t)L->in * L->out;
		vectors += (L->bn ? 2 : 1) * (size_t)L->out;
		m->n_stats += L->bn ? 2 * (size_t)L->out : 0;
	}
	m->n_decay = weights;
	m->n_params = weights + vectors;
}

/* Points every layer into params, grads and stats, in mlp_layout's order. */
static void mlp_bind_params(struct mlp *m)
{
	size_t off = 0, stat = 0;

	for (int l = 0; l < m->n_layers; l++) {
		struct mlp_layer *L = &m->layers[l];
		L->w = m->params + off;
		L->dw = m->grads + off;
		off += (size_t)L->in * L->out;
	}
	for (int l = 0; l < m->n_layers; l++) {
		struct mlp_layer *L = &m->layers[l];
		if (L->bn) {
			L->gamma = m->params + off;
			L->dgamma = m->grads + off;
			L->beta = L->gamma + L->out;
			L->dbeta = L->dgamma + L->out;
			L->rmean = m->stats + stat;
			L->rvar = L->rmean + L->out;
			off += 2 * (size_t)L->out;
			stat += 2 * (size_t)L->out;
		} else {
			L->b = m->params + off;
			L->db = m->grads + off;
			off += (size_t)L->out;
		}
	}
}

/* Carves the activation arena; with fill == 0 only counts (returns floats needed). */
static size_t mlp_bind_arena(struct mlp *m, int fill)
{
	size_t off = 0, cap = (size_t)m->cap;
	int dropout = m->c.dropout > 0.0f;

#define TAKE(ptr, count)                                  \
	do {                                              \
		if (fill)                                 \
			(ptr) = m->arena + off;           \
		off += ((size_t)(count) + 15) & ~(size_t)15; \
	} while (0)
	for (int l = 0; l < m->n_layers; l++) {
		struct mlp_layer *L = &m->layers[l];
		int hidden = l < m->n_layers - 1;
		size_t n = cap * (size_t)L->out;
		TAKE(L->z, n);
		TAKE(L->a, n);
		TAKE(L->dh, n);
		L->h = L->a;
		L->mask = NULL;
		if (hidden && dropout) {
			TAKE(L->h, n);
			TAKE(L->mask, n);
		}
		L->mean = L->var = L->invstd = NULL;
		if (L->bn) {
			TAKE(L->mean, L->out);
			TAKE(L->var, L->out);
			TAKE(L->invstd, L->out);
		}
	}
#undef TAKE
	return off;
}

void mlp_init(struct mlp *m, const struct mlp_config *c, int cap)
{
	memset(m, 0, sizeof *m);
	m->c = *c;
	m->hidden = xcalloc(c->n_hidden ? (size_t)c->n_hidden : 1, sizeof(int));
	if (c->n_hidden)
		memcpy(m->hidden, c->hidden, (size_t)c->n_hidden * sizeof(int));
	m->c.hidden = m->hidden;
	m->n_layers = c->n_hidden + 1;
	m->layers = xcalloc((size_t)m->n_layers, sizeof *m->layers);
	m->cap = cap;
	mlp_layout(m);
	m->params = xcalloc(m->n_params, sizeof(float));
	m->grads = xcalloc(m->n_params, sizeof(float));
	m->stats = xcalloc(m->n_stats ? m->n_stats : 1, sizeof(float));
	mlp_bind_params(m);
	m->arena = xcalloc(mlp_bind_arena(m, 0), sizeof(float));
	mlp_bind_arena(m, 1);
}

void mlp_reshape(struct mlp *m, int cap, float dropout)
{
	int relayout = cap != m->cap || (dropout > 0.0f) != (m->c.dropout > 0.0f);

	m->c.dropout = dropout;
	if (!relayout)
		return;
	m->cap = cap;
	free(m->arena);
	m->arena = xcalloc(mlp_bind_arena(m, 0), sizeof(float));
	mlp_bind_arena(m, 1);
}

void mlp_finish(struct mlp *m)
{
	if (!m)
		return;
	free(m->hidden);
	free(m->layers);
	free(m->params);
	free(m->grads);
	free(m->stats);
	free(m->arena);
	memset(m, 0, sizeof *m);
}

void mlp_init_weights(struct mlp *m, struct rng *r)
{
	for (int l = 0; l < m->n_layers; l++) {
		struct mlp_layer *L = &m->layers[l];
		int hidden = l < m->n_layers - 1;
		/* He: var 2/fan_in (relu); Xavier: var 1/fan_in (tanh, and the linear output) */
		double std = sqrt((hidden && m->c.act == ACT_RELU ? 2.0 : 1.0) / L->in);
		size_t n = (size_t)L->in * L->out;
		for (size_t i = 0; i < n; i++)
			L->w[i] = (float)(std * rng_normal(r));
		for (int j = 0; j < L->out; j++) {
			if (L->bn) {
				L->gamma[j] = 1.0f;
				L->beta[j] = 0.0f;
				L->rmean[j] = 0.0f;
				L->rvar[j] = 1.0f;
			} else {
				L->b[j] = 0.0f;
			}
		}
	}
}

/* Hidden layer L on its z (already x @ W^T (+ b)): activation, BN, dropout. */
static void hidden_forward(struct mlp *m, struct mlp_layer *L, int B, int train, struct rng *r)
{
	int n = B * L->out;
	const float *mask = NULL;

	if (train && L->mask) {
		dropout_mask(L->mask, n, m->c.dropout, r);
		mask = L->mask;
	}
	if (L->bn && train) {
		bn_act_forward(L->z, L->a, L->h, L->mean, L->var, L->invstd, L->z, L->gamma,
			       L->beta, mask, B, L->out, m->c.bn_eps, m->c.act);
		batchnorm_running_update(L->rmean, L->rvar, L->mean, L->var, L->out,
					 m->c.bn_momentum);
	} else if (L->bn) {
		bn_act_infer(L->h, L->z, L->gamma, L->beta, L->rmean, L->rvar, B, L->out,
			     m->c.bn_eps, m->c.act);
	} else if (train) {
		act_dropout_forward(L->a, L->h, L->z, mask, n, m->c.act);
	} else {
		act_dropout_forward(L->h, NULL, L->z, NULL, n, m->c.act);
	}
}

double mlp_forward(struct mlp *m, const float *x, const int32_t *y, int B, int train,
		   struct rng *r, int *correct)
{
	const float *in = x; /* (B, L->in) */
	struct mlp_layer *out = &m->layers[m->n_layers - 1];

	for (int l = 0; l < m->n_layers - 1; l++) {
		struct mlp_layer *L = &m->layers[l];
		matmul_forward(L->z, in, L->w, L->b, B, L->in, L->out);
		hidden_forward(m, L, B, train, r);
		in = L->h;
	}
	matmul_forward(out->z, in, out->w, out->b, B, out->in, out->out);
	return softmax_xent_forward(out->a, correct, out->z, y, B, out->out);
}

void mlp_backward(struct mlp *m, const float *x, const int32_t *y, int B)
{
	struct mlp_layer *out = &m->layers[m->n_layers - 1];

	softmax_xent_backward(out->dh, out->a, y, B, out->out, 1.0f / (float)B);
	for (int l = m->n_layers - 1; l >= 0; l--) {
		struct mlp_layer *L = &m->layers[l];
		const float *in = l > 0 ? m->layers[l - 1].h : x;
		float *dinp = l > 0 ? m->layers[l - 1].dh : NULL;
		if (l < m->n_layers - 1) {
			if (L->bn)
				bn_act_backward(L->dh, L->dgamma, L->dbeta, L->dh, L->a, L->z,
						L->gamma, L->invstd, L->mask, B, L->out, m->c.act);
			else
				act_dropout_backward(L->dh, L->dh, L->a, L->mask, B * L->out,
						     m->c.act);
		}
		matmul_backward(dinp, L->dw, L->db, L->dh, in, L->w, B, L->in, L->out);
	}
}

long mlp_find_nonfinite(const struct mlp *m)
{
	for (size_t i = 0; i < m->n_params; i++)
		if (!isfinite(m->params[i]))
			return (long)i;
	return -1;
}
