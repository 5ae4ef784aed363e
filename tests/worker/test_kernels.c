/* test_kernels: the MLP's building blocks. sgemm-based matmuls against the
 * naive loops (with the transposes the model uses), finite-difference gradient
 * checks of every backward kernel, and the fused kernels against the
 * composition of the reference ones. */
#include <stdlib.h>

#include "kernels.h"
#include "wtest.h"

#define GRAD_TOL 2e-2

/* ---- linear --------------------------------------------------------------------- */

struct lin {
	int B, NI, O;
	float *inp, *w, *bias, *R, *out;
};

static void lin_alloc(struct lin *c, int B, int NI, int O, struct rng *r)
{
	c->B = B;
	c->NI = NI;
	c->O = O;
	c->inp = malloc(sizeof(float) * (size_t)B * NI);
	c->w = malloc(sizeof(float) * (size_t)O * NI);
	c->bias = malloc(sizeof(float) * (size_t)O);
	c->R = malloc(sizeof(float) * (size_t)B * O);
	c->out = malloc(sizeof(float) * (size_t)B * O);
	wt_fill(c->inp, (size_t)B * NI, r);
	wt_fill(c->w, (size_t)O * NI, r);
	wt_fill(c->bias, (size_t)O, r);
	wt_fill(c->R, (size_t)B * O, r);
}

static void lin_free(struct lin *c)
{
	free(c->inp);
	free(c->w);
	free(c->bias);
	free(c->R);
	free(c->out);
}

static double dot(const float *a, const float *b, size_t n)
{
	double s = 0.0;

	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

static double lin_loss(void *ctx)
{
	struct lin *c = ctx;

	matmul_forward(c->out, c->inp, c->w, c->bias, c->B, c->NI, c->O);
	return dot(c->out, c->R, (size_t)c->B * c->O);
}

static void test_matmul_vs_naive(void)
{
	static const int shapes[][3] = {{7, 13, 5}, {1, 31, 3}, {16, 8, 10}, {33, 1, 17}};
	struct rng r;

	rng_seed(&r, 7);
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		struct lin c;
		int B = shapes[s][0], NI = shapes[s][1], O = shapes[s][2];
		size_t nbo = (size_t)B * O, nbi = (size_t)B * NI, noi = (size_t)O * NI;
		float *o2 = malloc(4 * nbo), *di = malloc(4 * nbi), *di2 = malloc(4 * nbi);
		float *dw = malloc(4 * noi), *dw2 = malloc(4 * noi), *db = malloc(4 * O),
		      *db2 = malloc(4 * O);
		lin_alloc(&c, B, NI, O, &r);
		matmul_forward(c.out, c.inp, c.w, c.bias, B, NI, O);
		matmul_forward_naive(o2, c.inp, c.w, c.bias, B, NI, O);
		for (size_t i = 0; i < nbo; i++)
			CHECK_NEAR(c.out[i], o2[i], 1e-5 * (1 + fabs(o2[i])));
		matmul_forward(c.out, c.inp, c.w, NULL, B, NI, O);
		matmul_forward_naive(o2, c.inp, c.w, NULL, B, NI, O);
		for (size_t i = 0; i < nbo; i++)
			CHECK_NEAR(c.out[i], o2[i], 1e-5 * (1 + fabs(o2[i])));
		matmul_backward(di, dw, db, c.R, c.inp, c.w, B, NI, O);
		matmul_backward_naive(di2, dw2, db2, c.R, c.inp, c.w, B, NI, O);
		for (size_t i = 0; i < nbi; i++)
			CHECK_NEAR(di[i], di2[i], 1e-5 * (1 + fabs(di2[i])));
		for (size_t i = 0; i < noi; i++)
			CHECK_NEAR(dw[i], dw2[i], 1e-5 * (1 + fabs(dw2[i])));
		for (int i = 0; i < O; i++)
			CHECK_NEAR(db[i], db2[i], 1e-5 * (1 + fabs(db2[i])));
		/* the first layer skips dinp and a BN layer dbias: dw must not change */
		matmul_backward(NULL, dw, NULL, c.R, c.inp, c.w, B, NI, O);
		for (size_t i = 0; i < noi; i++)
			CHECK_NEAR(dw[i], dw2[i], 1e-5 * (1 + fabs(dw2[i])));
		lin_free(&c);
		free(o2), free(di), free(di2), free(dw), free(dw2), free(db), free(db2);
	}
}

static void test_linear_grad(void)
{
	struct lin c;
	struct rng r;
	float *di, *dw, *db;

	rng_seed(&r, 1);
	lin_alloc(&c, 4, 6, 3, &r);
	di = malloc(4 * 24), dw = malloc(4 * 18), db = malloc(4 * 3);
	matmul_backward(di, dw, db, c.R, c.inp, c.w, 4, 6, 3);
	CHECK(wt_gradcheck(lin_loss, &c, c.inp, di, 24, 1e-2f, 100) < GRAD_TOL);
	CHECK(wt_gradcheck(lin_loss, &c, c.w, dw, 18, 1e-2f, 100) < GRAD_TOL);
	CHECK(wt_gradcheck(lin_loss, &c, c.bias, db, 3, 1e-2f, 100) < GRAD_TOL);
	lin_free(&c);
	free(di), free(dw), free(db);
}

/* ---- batch norm, activations, dropout --------------------------------------------- */

enum { BN_B = 6, BN_O = 5, BN_N = BN_B * BN_O };

struct elt {
	float z[BN_N], gamma[BN_O], beta[BN_O], R[BN_N], mask[BN_N];
	float y[BN_N], xhat[BN_N], a[BN_N], h[BN_N];
	float mean[BN_O], var[BN_O], invstd[BN_O];
	enum act act;
	int fused;      /* bn_act_forward instead of batchnorm_forward */
	int use_mask;
};

static void elt_fill(struct elt *c, uint64_t seed)
{
	struct rng r;

	rng_seed(&r, seed);
	wt_fill(c->z, BN_N, &r);
	wt_fill(c->R, BN_N, &r);
	for (int j = 0; j < BN_O; j++) {
		c->gamma[j] = 0.5f + (float)rng_uniform(&r);
		c->beta[j] = (float)rng_uniform(&r) - 0.5f;
	}
	for (int i = 0; i < BN_N; i++) {
		c->z[i] *= 2.0f;
		c->mask[i] = rng_uniform(&r) < 0.3 ? 0.0f : 1.0f / 0.7f;
	}
}

static double bn_loss(void *ctx)
{
	struct elt *c = ctx;

	batchnorm_forward(c->y, c->xhat, c->mean, c->var, c->invstd, c->z, c->gamma, c->beta,
			  BN_B, BN_O, 1e-5f);
	return dot(c->y, c->R, BN_N);
}

static void test_batchnorm_grad(void)
{
	struct elt c;
	float dz[BN_N], dgamma[BN_O], dbeta[BN_O];

	elt_fill(&c, 2);
	bn_loss(&c);
	batchnorm_backward(dz, dgamma, dbeta, c.R, c.xhat, c.gamma, c.invstd, BN_B, BN_O);
	CHECK(wt_gradcheck(bn_loss, &c, c.z, dz, BN_N, 1e-2f, 100) < GRAD_TOL);
	CHECK(wt_gradcheck(bn_loss, &c, c.gamma, dgamma, BN_O, 1e-2f, 100) < GRAD_TOL);
	CHECK(wt_gradcheck(bn_loss, &c, c.beta, dbeta, BN_O, 1e-2f, 100) < GRAD_TOL);
	/* the batch statistics are the mini-batch mean and the biased variance */
	for (int j = 0; j < BN_O; j++) {
		double m = 0, v = 0;
		for (int i = 0; i < BN_B; i++)
			m += c.z[i * BN_O + j];
		m /= BN_B;
		for (int i = 0; i < BN_B; i++)
			v += (c.z[i * BN_O + j] - m) * (c.z[i * BN_O + j] - m);
		CHECK_NEAR(c.mean[j], m, 1e-6);
		CHECK_NEAR(c.var[j], v / BN_B, 1e-5);
	}
}

static double act_loss(void *ctx)
{
	struct elt *c = ctx;

	act_forward(c->a, c->z, BN_N, c->act);
	return dot(c->a, c->R, BN_N);
}

static void check_act_grad(enum act act)
{
	struct elt c;
	float dz[BN_N];

	elt_fill(&c, 3);
	c.act = act;
	for (int i = 0; i < BN_N; i++) /* keep relu's kink out of the finite differences */
		if (fabsf(c.z[i]) < 0.1f)
			c.z[i] = 0.5f;
	act_loss(&c);
	act_backward(dz, c.R, c.a, BN_N, act);
	CHECK(wt_gradcheck(act_loss, &c, c.z, dz, BN_N, 1e-3f, 100) < GRAD_TOL);
}

static void test_relu_grad(void)
{
	check_act_grad(ACT_RELU);
}

static void test_tanh_grad(void)
{
	check_act_grad(ACT_TANH);
}

static double dropout_loss(void *ctx)
{
	struct elt *c = ctx;

	dropout_forward(c->h, c->z, c->mask, BN_N);
	return dot(c->h, c->R, BN_N);
}

static void test_dropout_grad(void)
{
	struct elt c;
	float dz[BN_N];
	int zeros = 0;

	elt_fill(&c, 4);
	dropout_backward(dz, c.R, c.mask, BN_N);
	CHECK(wt_gradcheck(dropout_loss, &c, c.z, dz, BN_N, 1e-2f, 100) < GRAD_TOL);
	for (int i = 0; i < BN_N; i++)
		zeros += dz[i] == 0.0f;
	CHECK(zeros > 0);
}

static void test_dropout_mask(void)
{
	enum { N = 20000 };
	static float mask[N];
	struct rng r;
	int zeros = 0;

	rng_seed(&r, 5);
	dropout_mask(mask, N, 0.3f, &r);
	for (int i = 0; i < N; i++) {
		zeros += mask[i] == 0.0f;
		CHECK(mask[i] == 0.0f || fabsf(mask[i] - 1.0f / 0.7f) < 1e-6f);
	}
	CHECK_NEAR(zeros / (double)N, 0.3, 0.015);
	dropout_mask(mask, 7, 0.0f, &r); /* odd length, rate 0: all kept at scale 1 */
	for (int i = 0; i < 7; i++)
		CHECK(mask[i] == 1.0f);
}

/* ---- fused kernels ----------------------------------------------------------------- */

static double fused_loss(void *ctx)
{
	struct elt *c = ctx;
	float z[BN_N];

	memcpy(z, c->z, sizeof z);
	bn_act_forward(z, c->a, c->h, c->mean, c->var, c->invstd, z, c->gamma, c->beta,
		       c->use_mask ? c->mask : NULL, BN_B, BN_O, 1e-5f, c->act);
	memcpy(c->xhat, z, sizeof z);
	return dot(c->use_mask ? c->h : c->a, c->R, BN_N);
}

/* fused BN + act (+ dropout) against batchnorm_* + act_* + dropout_*, and its gradient */
static void check_fused(enum act act, int use_mask)
{
	struct elt c, ref;
	float dz[BN_N], dg[BN_O], db[BN_O], t1[BN_N], t2[BN_N], rdz[BN_N], rdg[BN_O], rdb[BN_O];

	elt_fill(&c, 6);
	c.act = act;
	c.use_mask = use_mask;
	ref = c;
	fused_loss(&c);
	batchnorm_forward(ref.y, ref.xhat, ref.mean, ref.var, ref.invstd, ref.z, ref.gamma,
			  ref.beta, BN_B, BN_O, 1e-5f);
	act_forward(ref.a, ref.y, BN_N, act);
	dropout_forward(ref.h, ref.a, ref.mask, BN_N);
	for (int i = 0; i < BN_N; i++) {
		CHECK_NEAR(c.xhat[i], ref.xhat[i], 1e-5);
		CHECK_NEAR(c.a[i], ref.a[i], 1e-5);
		if (use_mask)
			CHECK_NEAR(c.h[i], ref.h[i], 1e-5);
	}
	memcpy(dz, c.R, sizeof dz); /* in place: dz starts as dh */
	bn_act_backward(dz, dg, db, dz, c.a, c.xhat, c.gamma, c.invstd, use_mask ? c.mask : NULL,
			BN_B, BN_O, act);
	if (use_mask)
		dropout_backward(t1, ref.R, ref.mask, BN_N);
	else
		memcpy(t1, ref.R, sizeof t1);
	act_backward(t2, t1, ref.a, BN_N, act);
	batchnorm_backward(rdz, rdg, rdb, t2, ref.xhat, ref.gamma, ref.invstd, BN_B, BN_O);
	for (int i = 0; i < BN_N; i++)
		CHECK_NEAR(dz[i], rdz[i], 1e-4 * (1 + fabs(rdz[i])));
	for (int j = 0; j < BN_O; j++) {
		CHECK_NEAR(dg[j], rdg[j], 1e-4 * (1 + fabs(rdg[j])));
		CHECK_NEAR(db[j], rdb[j], 1e-4 * (1 + fabs(rdb[j])));
	}
	if (act == ACT_TANH) { /* relu's kinks make finite differences of z unreliable */
		CHECK(wt_gradcheck(fused_loss, &c, c.z, dz, BN_N, 1e-2f, 100) < GRAD_TOL);
	}
	CHECK(wt_gradcheck(fused_loss, &c, c.gamma, dg, BN_O, 1e-3f, 100) < GRAD_TOL);
	CHECK(wt_gradcheck(fused_loss, &c, c.beta, db, BN_O, 1e-3f, 100) < GRAD_TOL);
}

static void test_fused_bn(void)
{
	check_fused(ACT_RELU, 0);
	check_fused(ACT_RELU, 1);
	check_fused(ACT_TANH, 0);
	check_fused(ACT_TANH, 1);
}

static void test_fused_act_dropout(void)
{
	struct elt c;
	float dz[BN_N], t[BN_N], rdz[BN_N];

	elt_fill(&c, 8);
	for (int act = ACT_RELU; act <= ACT_TANH; act++) {
		act_dropout_forward(c.a, c.h, c.z, c.mask, BN_N, (enum act)act);
		act_forward(t, c.z, BN_N, (enum act)act);
		for (int i = 0; i < BN_N; i++) {
			CHECK(c.a[i] == t[i]);
			CHECK(c.h[i] == t[i] * c.mask[i]);
		}
		act_dropout_backward(dz, c.R, c.a, c.mask, BN_N, (enum act)act);
		dropout_backward(t, c.R, c.mask, BN_N);
		act_backward(rdz, t, c.a, BN_N, (enum act)act);
		for (int i = 0; i < BN_N; i++)
			CHECK_NEAR(dz[i], rdz[i], 1e-6);
	}
}

static void test_bn_infer(void)
{
	struct elt c;
	float rmean[BN_O], rvar[BN_O], h[BN_N];

	elt_fill(&c, 9);
	for (int j = 0; j < BN_O; j++) {
		rmean[j] = 0.1f * (float)j;
		rvar[j] = 0.5f + 0.2f * (float)j;
	}
	bn_act_infer(h, c.z, c.gamma, c.beta, rmean, rvar, BN_B, BN_O, 1e-5f, ACT_TANH);
	for (int i = 0; i < BN_B; i++)
		for (int j = 0; j < BN_O; j++) {
			double zn = (c.z[i * BN_O + j] - rmean[j]) / sqrt(rvar[j] + 1e-5);
			double y = c.gamma[j] * zn + c.beta[j];
			CHECK_NEAR(h[i * BN_O + j], tanh(y), 1e-5);
		}
	/* running update: r = m r + (1 - m) batch */
	batchnorm_running_update(rmean, rvar, c.gamma, c.beta, BN_O, 0.9f);
	CHECK_NEAR(rmean[2], 0.9 * 0.2 + 0.1 * c.gamma[2], 1e-6);
	CHECK_NEAR(rvar[2], 0.9 * 0.9 + 0.1 * c.beta[2], 1e-6);
}

/* ---- softmax cross-entropy -------------------------------------------------------- */

struct sm {
	float logits[12], probs[12];
	int32_t y[3];
};

static double sm_loss(void *ctx)
{
	struct sm *c = ctx;

	return softmax_xent_forward(c->probs, NULL, c->logits, c->y, 3, 4) / 3.0;
}

static void test_softmax_grad(void)
{
	struct sm c = {.y = {2, 0, 3}};
	struct rng r;
	float d[12];
	int correct;

	rng_seed(&r, 10);
	wt_fill(c.logits, 12, &r);
	softmax_xent_forward(c.probs, &correct, c.logits, c.y, 3, 4);
	softmax_xent_backward(d, c.probs, c.y, 3, 4, 1.0f / 3.0f);
	CHECK(wt_gradcheck(sm_loss, &c, c.logits, d, 12, 1e-2f, 100) < GRAD_TOL);
	for (int i = 0; i < 3; i++) {
		double s = 0;
		for (int k = 0; k < 4; k++)
			s += c.probs[i * 4 + k];
		CHECK_NEAR(s, 1.0, 1e-6);
	}
}

static void test_softmax_stable(void)
{
	float logits[4] = {1000.0f, 0.0f, -1000.0f, 999.0f}, probs[4];
	int32_t y = 3;
	int correct;
	double loss = softmax_xent_forward(probs, &correct, logits, &y, 1, 4);

	CHECK_NEAR(loss, log(1.0 + exp(1.0)), 1e-5); /* -log(e^999 / (e^1000 + e^999)) */
	CHECK(correct == 0);
	logits[0] = INFINITY;
	CHECK(!isfinite(softmax_xent_forward(probs, &correct, logits, &y, 1, 4)));
	logits[0] = NAN;
	CHECK(!isfinite(softmax_xent_forward(probs, &correct, logits, &y, 1, 4)));
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"matmul_vs_naive", test_matmul_vs_naive},
		{"linear_grad", test_linear_grad},
		{"batchnorm_grad", test_batchnorm_grad},
		{"relu_grad", test_relu_grad},
		{"tanh_grad", test_tanh_grad},
		{"dropout_grad", test_dropout_grad},
		{"dropout_mask", test_dropout_mask},
		{"fused_bn", test_fused_bn},
		{"fused_act_dropout", test_fused_act_dropout},
		{"bn_infer", test_bn_infer},
		{"softmax_grad", test_softmax_grad},
		{"softmax_stable", test_softmax_stable},
		{0},
	};
	return test_main(argc, argv, cases);
}
