/* mlp: the worker's model, a fully connected network with optional batch norm
 * and dropout on its hidden layers and a softmax cross-entropy output. Parameters
 * live in one flat buffer (weights of every layer first, then the vectors:
 * biases, BN gammas and betas) with a same-layout gradient buffer, so the
 * optimizer is one loop; BN running statistics live in a second flat buffer.
 * Activations are allocated once for batches of up to `cap` rows. It does not
 * update parameters (optim.h) nor iterate over data (train.h). */
#ifndef CAVIAR_MLP_H
#define CAVIAR_MLP_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "rng.h"

struct mlp_config {
	int n_in;          /* features per example */
	int n_out;         /* classes */
	int n_hidden;      /* hidden layers (0: softmax regression) */
	const int *hidden; /* n_hidden sizes; copied by mlp_init */
	enum act act;
	int batch_norm;    /* 1: BN before each hidden activation, no bias there */
	float bn_momentum; /* running stats: r = m * r + (1 - m) * batch */
	float bn_eps;
	float dropout;     /* inverted dropout rate on hidden activations, in [0, 1) */
};

/* One layer's views into the flat buffers and the activation arena. */
struct mlp_layer {
	int in, out;
	int bn;             /* batch norm on this layer (hidden layers only) */
	float *w, *dw;      /* (out, in) */
	float *b, *db;      /* (out) or NULL with BN */
	float *gamma, *dgamma, *beta, *dbeta; /* (out) with BN, else NULL */
	float *rmean, *rvar; /* (out) running statistics with BN, else NULL */
	/* activations for cap rows */
	float *z;           /* (cap, out) pre-activation; xhat in place with BN */
	float *a;           /* (cap, out) after the activation (hidden) / probs (output) */
	float *h;           /* (cap, out) after dropout: == a without dropout */
	float *mask;        /* (cap, out) dropout scales, or NULL */
	float *dh;          /* (cap, out) gradient at h, turned into dz in place */
	float *mean, *var, *invstd; /* (out) batch statistics with BN */
};

struct mlp {
	struct mlp_config c;
	int *hidden;            /* owned copy of c.hidden */
	int n_layers;           /* n_hidden + 1 */
	struct mlp_layer *layers;
	float *params, *grads;  /* n_params each */
	size_t n_params;
	size_t n_decay;         /* params[0, n_decay) are the weights (L2 applies) */
	float *stats;           /* n_stats: running means and variances */
	size_t n_stats;
	int cap;                /* largest batch the arena holds */
	float *arena;           /* all activations */
};

/* Allocates the model for batches of up to cap rows; parameters are zero until
 * mlp_init_weights. Aborts on out of memory (xalloc). */
void mlp_init(struct mlp *m, const struct mlp_config *c, int cap);
/* Takes a new batch capacity and dropout rate while training (both may be
 * adjusted): the activation arena is carved again, larger or with dropout
 * masks when needed; parameters and statistics are kept. */
void mlp_reshape(struct mlp *m, int cap, float dropout);
/* Frees what m owns; accepts a zeroed or finished struct. */
void mlp_finish(struct mlp *m);

/* He (relu) or Xavier (tanh) normal init of the hidden weights, Xavier for the
 * output layer; biases and betas 0, gammas 1, running mean 0 and variance 1. */
void mlp_init_weights(struct mlp *m, struct rng *r);

/* Forward pass on B <= cap rows x (B, n_in) with labels y (B). train = 1: batch
 * statistics (and running-stat update), dropout masks drawn from r; train = 0:
 * running statistics, no dropout (r unused). Returns the sum of the B losses;
 * *correct (may be NULL) receives the number of argmax hits. */
double mlp_forward(struct mlp *m, const float *x, const int32_t *y, int B, int train,
		   struct rng *r, int *correct);

/* Backward pass of the last training forward (same x, y, B): fills m->grads
 * with the gradient of the mean loss over the B rows (no L2 term: optim adds it). */
void mlp_backward(struct mlp *m, const float *x, const int32_t *y, int B);

/* Index of the first non-finite parameter, or -1. */
long mlp_find_nonfinite(const struct mlp *m);

#endif
