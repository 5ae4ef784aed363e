/* test_optim: known answers for the first steps of every update rule (Adam's
 * bias correction included), L2 decay on weights only, and every learning-rate
 * schedule. Expected values come from the formulas in double precision. */
#include "optim.h"
#include "wtest.h"

enum { N = 3, NDECAY = 2 };

/* The rule written out in double for one parameter; m, v, t carried by the caller. */
static double ref_step(const struct optim_config *c, double p, double g, double *m, double *v,
		       int t, double lr, int decays)
{
	if (decays)
		g += c->l2 * p;
	switch (c->kind) {
	case OPTIM_SGD:
		return p - lr * g;
	case OPTIM_MOMENTUM:
		*m = c->beta * *m + (1 - c->beta) * g;
		return p - lr * *m;
	case OPTIM_RMSPROP:
		*v = c->beta2 * *v + (1 - c->beta2) * g * g;
		return p - lr * g / (sqrt(*v) + c->eps);
	case OPTIM_ADAM:
		*m = c->beta1 * *m + (1 - c->beta1) * g;
		*v = c->beta2 * *v + (1 - c->beta2) * g * g;
		return p - lr * (*m / (1 - pow(c->beta1, t))) / (sqrt(*v / (1 - pow(c->beta2, t))) +
							       c->eps);
	}
	return p;
}

static void check_rule(enum optim_kind kind, float l2)
{
	struct optim_config c = {kind, 0.9f, 0.9f, 0.999f, 1e-8f, l2};
	static const float grads[3][N] = {{0.5f, -0.2f, 0.1f}, {0.3f, 0.1f, -0.4f},
					  {-0.1f, 0.05f, 0.2f}};
	float p[N] = {1.0f, -0.5f, 0.25f};
	double rp[N] = {1.0, -0.5, 0.25}, rm[N] = {0}, rv[N] = {0};
	struct optim o;

	optim_init(&o, &c, N, NDECAY);
	for (int t = 1; t <= 3; t++) {
		double lr = 0.01 * t;
		optim_step(&o, p, grads[t - 1], (float)lr);
		CHECK(o.t == t);
		for (int i = 0; i < N; i++) {
			rp[i] = ref_step(&c, rp[i], grads[t - 1][i], &rm[i], &rv[i], t, (float)lr,
					 i < NDECAY);
			CHECK_NEAR(p[i], rp[i], 1e-6 * (1 + fabs(rp[i])));
		}
	}
	optim_finish(&o);
}

static void test_sgd(void)
{
	check_rule(OPTIM_SGD, 0.0f);
	check_rule(OPTIM_SGD, 0.1f);
}

static void test_momentum(void)
{
	check_rule(OPTIM_MOMENTUM, 0.0f);
	check_rule(OPTIM_MOMENTUM, 0.1f);
}

static void test_rmsprop(void)
{
	check_rule(OPTIM_RMSPROP, 0.0f);
	check_rule(OPTIM_RMSPROP, 0.1f);
}

static void test_adam(void)
{
	check_rule(OPTIM_ADAM, 0.0f);
	check_rule(OPTIM_ADAM, 0.1f);
}

/* Hand-computed first steps. */
static void test_known_numbers(void)
{
	struct optim_config c = {OPTIM_ADAM, 0.9f, 0.9f, 0.999f, 1e-8f, 0.0f};
	float p[1] = {1.0f}, g[1] = {0.5f};
	struct optim o;

	/* adam with a constant gradient: mhat = g, vhat = g^2, so each step is lr */
	optim_init(&o, &c, 1, 0);
	optim_step(&o, p, g, 0.1f);
	CHECK_NEAR(p[0], 0.9, 1e-6);
	optim_step(&o, p, g, 0.1f);
	CHECK_NEAR(p[0], 0.8, 1e-6);
	CHECK_NEAR(o.m[0], 0.095, 1e-7); /* 0.9 * 0.05 + 0.1 * 0.5 */
	/* 0.999 * 0.00025 + 0.001 * 0.25, give or take: 1 - 0.999f is 0.00100005 */
	CHECK_NEAR(o.v[0], 0.00049975, 2e-8);
	optim_finish(&o);
	/* momentum: v1 = 0.1 g = 0.05, p = 1 - 0.1 * 0.05 */
	c.kind = OPTIM_MOMENTUM;
	p[0] = 1.0f;
	optim_init(&o, &c, 1, 0);
	optim_step(&o, p, g, 0.1f);
	CHECK_NEAR(p[0], 0.995, 1e-7);
	optim_finish(&o);
	/* rmsprop: s1 = 0.001 * 0.25, p = 1 - 0.1 * 0.5 / sqrt(0.00025) */
	c.kind = OPTIM_RMSPROP;
	p[0] = 1.0f;
	optim_init(&o, &c, 1, 0);
	optim_step(&o, p, g, 0.1f);
	CHECK_NEAR(p[0], 1.0 - 0.05 / sqrt(0.00025), 1e-4); /* 1 - 0.999f is not 0.001 exactly */
	optim_finish(&o);
	/* sgd with l2 on a weight: p = 1 - 0.1 * (0.5 + 0.2 * 1) */
	c.kind = OPTIM_SGD;
	c.l2 = 0.2f;
	p[0] = 1.0f;
	optim_init(&o, &c, 1, 1);
	optim_step(&o, p, g, 0.1f);
	CHECK_NEAR(p[0], 0.93, 1e-7);
	optim_finish(&o);
	optim_finish(&o);
}

static void test_schedules(void)
{
	struct lr_schedule s = {0.1, 0.5, LR_INVERSE_TIME, 2};
	static const double inv[] = {0.1, 0.1 / 1.5, 0.05, 0.04};
	static const double expo[] = {0.1, 0.05, 0.025, 0.0125};
	static const double step[] = {0.1, 0.1, 0.05, 0.05, 0.025};

	for (int e = 0; e < 4; e++)
		CHECK_NEAR(lr_at(&s, e), inv[e], 1e-12);
	s.kind = LR_EXPONENTIAL;
	for (int e = 0; e < 4; e++)
		CHECK_NEAR(lr_at(&s, e), expo[e], 1e-12);
	s.kind = LR_STEP;
	for (int e = 0; e < 5; e++)
		CHECK_NEAR(lr_at(&s, e), step[e], 1e-12);
	s.decay_steps = 1;
	CHECK_NEAR(lr_at(&s, 3), 0.0125, 1e-12);
	s.decay = 0.0; /* decay 0 keeps the rate constant, whatever the schedule */
	for (int k = LR_INVERSE_TIME; k <= LR_STEP; k++) {
		s.kind = (enum lr_schedule_kind)k;
		CHECK(lr_at(&s, 0) == 0.1 && lr_at(&s, 7) == 0.1);
	}
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"sgd", test_sgd},
		{"momentum", test_momentum},
		{"rmsprop", test_rmsprop},
		{"adam", test_adam},
		{"known_numbers", test_known_numbers},
		{"schedules", test_schedules},
		{0},
	};
	return test_main(argc, argv, cases);
}
