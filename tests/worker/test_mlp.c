/* test_mlp: the whole network. Parameter layout, init, a finite-difference
 * gradient check of every parameter of tiny networks (BN or bias, relu or tanh,
 * with and without dropout), and BN at test time: one example alone gives the
 * same output as inside a batch, both using the running statistics. */
#include <stdlib.h>

#include "mlp.h"
#include "wtest.h"

enum { NIN = 5, NOUT = 3, B = 6 };

struct net {
	struct mlp m;
	float x[B * NIN];
	int32_t y[B];
	struct rng r0; /* dropout rng state, restored before each forward */
};

static void net_init(struct net *n, int bn, enum act act, float dropout, uint64_t seed)
{
	static const int hidden[] = {6, 4};
	struct mlp_config c = {NIN, NOUT, 2, hidden, act, bn, 0.9f, 1e-5f, dropout};
	struct rng r;

	rng_seed(&r, seed);
	mlp_init(&n->m, &c, B);
	mlp_init_weights(&n->m, &r);
	/* make biases, gammas and betas non-trivial so their gradients are too */
	for (size_t i = n->m.n_decay; i < n->m.n_params; i++)
		n->m.params[i] += (float)(0.3 * rng_normal(&r));
	wt_fill(n->x, B * NIN, &r);
	for (int i = 0; i < B; i++)
		n->y[i] = (int32_t)rng_below(&r, NOUT);
	rng_seed(&n->r0, seed + 100);
}

static double net_loss(void *ctx)
{
	struct net *n = ctx;
	struct rng r = n->r0; /* the same dropout masks every time */

	return mlp_forward(&n->m, n->x, n->y, B, 1, &r, NULL) / B;
}

static void check_net_grad(int bn, enum act act, float dropout)
{
	struct net n;
	double worst;

	net_init(&n, bn, act, dropout, 42);
	net_loss(&n);
	mlp_backward(&n.m, n.x, n.y, B);
	worst = wt_gradcheck(net_loss, &n, n.m.params, n.m.grads, (int)n.m.n_params, 1e-3f, 1000);
	if (!(worst < 3e-2))
		fprintf(stderr, "bn %d act %d dropout %g: worst %g\n", bn, act, dropout, worst);
	CHECK(worst < 3e-2);
	mlp_finish(&n.m);
}

static void test_grad_bn_relu(void)
{
	check_net_grad(1, ACT_RELU, 0.0f);
}

static void test_grad_bn_tanh_dropout(void)
{
	check_net_grad(1, ACT_TANH, 0.3f);
}

static void test_grad_bias_tanh(void)
{
	check_net_grad(0, ACT_TANH, 0.0f);
}

static void test_grad_bias_relu_dropout(void)
{
	check_net_grad(0, ACT_RELU, 0.25f);
}

static void test_layout(void)
{
	static const int hidden[] = {6, 4};
	struct mlp_config c = {NIN, NOUT, 2, hidden, ACT_RELU, 1, 0.9f, 1e-5f, 0.0f};
	struct mlp m;
	struct rng r;

	mlp_init(&m, &c, 8);
	CHECK(m.n_decay == 5 * 6 + 6 * 4 + 4 * 3);
	CHECK(m.n_params == m.n_decay + 2 * 6 + 2 * 4 + 3); /* gamma, beta; output bias */
	CHECK(m.n_stats == 2 * 6 + 2 * 4);
	CHECK(m.layers[0].b == NULL && m.layers[0].gamma != NULL);
	CHECK(m.layers[2].b != NULL && m.layers[2].gamma == NULL);
	rng_seed(&r, 1);
	mlp_init_weights(&m, &r);
	CHECK(m.layers[1].gamma[3] == 1.0f && m.layers[1].beta[3] == 0.0f);
	CHECK(m.layers[0].rmean[0] == 0.0f && m.layers[0].rvar[0] == 1.0f);
	CHECK(mlp_find_nonfinite(&m) == -1);
	m.params[7] = NAN;
	CHECK(mlp_find_nonfinite(&m) == 7);
	mlp_finish(&m);
	mlp_finish(&m); /* finish twice is safe */
}

static void test_init_scale(void)
{
	static const int hidden[] = {400};
	struct mlp_config c = {300, 10, 1, hidden, ACT_RELU, 0, 0.9f, 1e-5f, 0.0f};
	struct mlp m;
	struct rng r;
	double s = 0.0;
	size_t n = 300 * 400;

	for (int act = ACT_RELU; act <= ACT_TANH; act++) {
		c.act = (enum act)act;
		mlp_init(&m, &c, 1);
		rng_seed(&r, 3);
		mlp_init_weights(&m, &r);
		s = 0.0;
		for (size_t i = 0; i < n; i++)
			s += (double)m.layers[0].w[i] * m.layers[0].w[i];
		/* He: variance 2/fan_in; Xavier: 1/fan_in */
		CHECK_NEAR(s / n, (act == ACT_RELU ? 2.0 : 1.0) / 300, 0.05 / 300);
		mlp_finish(&m);
	}
}

/* BN at test time: running statistics, and each row independent of the batch */
static void test_bn_inference(void)
{
	enum { N = 5 };
	struct net n;
	struct rng r;
	float batch_probs[N * NOUT];

	net_init(&n, 1, ACT_RELU, 0.2f, 7);
	rng_seed(&r, 9);
	mlp_forward(&n.m, n.x, n.y, B, 1, &r, NULL); /* one training batch */
	for (int j = 0; j < 6; j++) {
		CHECK_NEAR(n.m.layers[0].rmean[j], 0.1 * n.m.layers[0].mean[j], 1e-6);
		CHECK_NEAR(n.m.layers[0].rvar[j], 0.9 + 0.1 * n.m.layers[0].var[j], 1e-6);
	}
	for (int k = 0; k < 3; k++) /* a few more, with other inputs */
		for (int i = 0; i < B * NIN; i++)
			n.x[i] += 0.1f * (float)rng_normal(&r);
	mlp_forward(&n.m, n.x, n.y, B, 1, &r, NULL);
	mlp_forward(&n.m, n.x, n.y, N, 0, NULL, NULL);
	memcpy(batch_probs, n.m.layers[2].a, sizeof batch_probs);
	for (int i = 0; i < N; i++) {
		mlp_forward(&n.m, n.x + i * NIN, n.y + i, 1, 0, NULL, NULL);
		for (int k = 0; k < NOUT; k++)
			CHECK_NEAR(n.m.layers[2].a[k], batch_probs[i * NOUT + k], 1e-5);
	}
	mlp_finish(&n.m);
}

/* BN with a batch of one: variance 0, output beta, finite thanks to eps */
static void test_bn_batch_one(void)
{
	struct net n;
	struct rng r;
	double loss;

	net_init(&n, 1, ACT_TANH, 0.0f, 11);
	rng_seed(&r, 1);
	loss = mlp_forward(&n.m, n.x, n.y, 1, 1, &r, NULL);
	CHECK(isfinite(loss));
	mlp_backward(&n.m, n.x, n.y, 1);
	CHECK(n.m.layers[0].var[0] == 0.0f);
	for (size_t i = 0; i < n.m.n_params; i++)
		CHECK(isfinite(n.m.grads[i]));
	mlp_finish(&n.m);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"layout", test_layout},
		{"init_scale", test_init_scale},
		{"grad_bn_relu", test_grad_bn_relu},
		{"grad_bn_tanh_dropout", test_grad_bn_tanh_dropout},
		{"grad_bias_tanh", test_grad_bias_tanh},
		{"grad_bias_relu_dropout", test_grad_bias_relu_dropout},
		{"bn_inference", test_bn_inference},
		{"bn_batch_one", test_bn_batch_one},
		{0},
	};
	return test_main(argc, argv, cases);
}
