/* kernels: the numeric building blocks of the worker's MLP, as forward/backward
 * pairs on row-major batches (one example per row). Matrix products go through
 * cblas_sgemm; a naive loop version of each sits beside it for the tests. The
 * elementwise layers exist twice too: simple one-job kernels (the reference the
 * gradient checks use) and fused ones (BN + activation + dropout in two passes)
 * that the model runs. No allocation, no state: the caller owns every buffer. */
#ifndef CAVIAR_KERNELS_H
#define CAVIAR_KERNELS_H

#include <stdint.h>

#include "rng.h"

enum act { ACT_RELU, ACT_TANH };

/* ---- linear: out = inp @ w^T + bias ----------------------------------------
 * out (B,O), inp (B,NI), w (O,NI) (PyTorch's layout), bias (O) or NULL. */
void matmul_forward(float *out, const float *inp, const float *w, const float *bias, int B,
		    int NI, int O);
void matmul_forward_naive(float *out, const float *inp, const float *w, const float *bias,
			  int B, int NI, int O);
/* dinp (B,NI) = dout @ w, skipped when dinp is NULL (the first layer);
 * dw (O,NI) = dout^T @ inp, overwritten (not accumulated);
 * dbias (O) = column sums of dout, skipped when NULL. dout is (B,O). */
void matmul_backward(float *dinp, float *dw, float *dbias, const float *dout, const float *inp,
		     const float *w, int B, int NI, int O);
void matmul_backward_naive(float *dinp, float *dw, float *dbias, const float *dout,
			   const float *inp, const float *w, int B, int NI, int O);

/* ---- batch norm, training mode (reference kernels) ---------------------------
 * z (B,O) -> y = gamma * xhat + beta, xhat = (z - mean) / sqrt(var + eps), with
 * the mini-batch mean and biased variance. Writes xhat (B,O), y (B,O), mean,
 * var, invstd (O). */
void batchnorm_forward(float *y, float *xhat, float *mean, float *var, float *invstd,
		       const float *z, const float *gamma, const float *beta, int B, int O,
		       float eps);
/* dz (B,O), dgamma, dbeta (O, overwritten) from dy (B,O). */
void batchnorm_backward(float *dz, float *dgamma, float *dbeta, const float *dy,
			const float *xhat, const float *gamma, const float *invstd, int B, int O);
/* r = momentum * r + (1 - momentum) * batch, for the mean and the variance (O). */
void batchnorm_running_update(float *rmean, float *rvar, const float *mean, const float *var,
			      int O, float momentum);

/* ---- activations and dropout (reference kernels), n elements --------------- */
void act_forward(float *a, const float *z, int n, enum act act);
/* dz from da and the forward's output a (relu: a > 0; tanh: 1 - a^2). */
void act_backward(float *dz, const float *da, const float *a, int n, enum act act);
/* mask[i] = 0 with probability p, else 1/(1-p) (inverted dropout). */
void dropout_mask(float *mask, int n, float p, struct rng *r);
void dropout_forward(float *h, const float *a, const float *mask, int n);
void dropout_backward(float *da, const float *dh, const float *mask, int n);

/* ---- fused hidden-layer kernels (what the model runs) ------------------------
 * Training with BN: z (B,O) -> xhat (may be z itself), a = act(gamma*xhat + beta)
 * (B,O), and h = a * mask (B,O) when mask is not NULL (else h is unused).
 * mean, var, invstd (O) receive the batch statistics. */
void bn_act_forward(float *xhat, float *a, float *h, float *mean, float *var, float *invstd,
		    const float *z, const float *gamma, const float *beta, const float *mask,
		    int B, int O, float eps, enum act act);
/* Backward of bn_act_forward: dh (B,O) is the gradient at h (at a without
 * dropout); writes dz (B,O) (dz may be dh itself) and dgamma, dbeta (O). */
void bn_act_backward(float *dz, float *dgamma, float *dbeta, const float *dh, const float *a,
		     const float *xhat, const float *gamma, const float *invstd,
		     const float *mask, int B, int O, enum act act);
/* Inference with running statistics: h = act(gamma * (z - rmean) / sqrt(rvar + eps)
 * + beta), z and h (B,O) (h may be z). */
void bn_act_infer(float *h, const float *z, const float *gamma, const float *beta,
		  const float *rmean, const float *rvar, int B, int O, float eps, enum act act);
/* Without BN (the bias is already in z): a = act(z), h = a * mask when mask. */
void act_dropout_forward(float *a, float *h, const float *z, const float *mask, int n,
			 enum act act);
/* dz (may be dh) from dh, a and mask (or NULL). */
void act_dropout_backward(float *dz, const float *dh, const float *a, const float *mask, int n,
			  enum act act);

/* ---- softmax cross-entropy --------------------------------------------------
 * logits, probs (B,C), y (B,) in [0, C). Numerically stable. Returns the sum of
 * the B examples' losses; *correct (when not NULL) receives how many rows have
 * their argmax at y. */
double softmax_xent_forward(float *probs, int *correct, const float *logits, const int32_t *y,
			    int B, int C);
/* dlogits (B,C) = (probs - onehot(y)) * scale; scale = 1/B for a mean loss. */
void softmax_xent_backward(float *dlogits, const float *probs, const int32_t *y, int B, int C,
			   float scale);

/* ---- mini-batches ---- */

/* Copies rows idx[0..b) of x (rows of dim floats) into xb and their labels
 * from y into yb. The rows of a shuffled order lie anywhere in a data set much
 * larger than the caches, so each starts with a miss to memory: the rows a few
 * places ahead are prefetched while the current one is copied. */
void gather_rows(float *xb, int32_t *yb, const float *x, const int32_t *y, const int *idx, int b,
		 int dim);

#endif
