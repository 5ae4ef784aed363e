/* test_rng: determinism (a sweep's seed must reproduce its trials on any
 * platform), distributions, and independent derived streams. */
#include <stdlib.h>

#include "rng.h"
#include "test.h"

static void test_deterministic(void)
{
	struct rng a, b, saved;
	uint64_t first;

	rng_seed(&a, 7);
	rng_seed(&b, 7);
	first = rng_next(&a);
	CHECK(first == rng_next(&b));
	for (int i = 0; i < 100; i++)
		CHECK(rng_next(&a) == rng_next(&b));
	rng_seed(&b, 8);
	rng_seed(&a, 7);
	CHECK(rng_next(&b) != first);
	/* state is plain data: a copy resumes the same stream */
	saved = a;
	uint64_t x = rng_next(&a), y = rng_next(&a);
	CHECK(rng_next(&saved) == x && rng_next(&saved) == y);
	/* pinned values: a change of generator would silently change every sweep */
	rng_seed(&a, 0);
	CHECK(rng_next(&a) == UINT64_C(0x99ec5f36cb75f2b4));
	CHECK(rng_derive(1, 0) == rng_derive(1, 0));
}

static void test_uniform(void)
{
	struct rng r;
	int bins[10] = {0};
	double mean = 0, c = 0;
	const int n = 100000;

	rng_seed(&r, 1);
	for (int i = 0; i < n; i++) {
		double u = rng_uniform(&r);

		CHECK(u >= 0 && u < 1);
		mean += u / n;
		bins[(int)(u * 10)]++;
	}
	CHECK_NEAR(mean, 0.5, 0.005);
	for (int i = 0; i < 10; i++)
		c += (bins[i] - n / 10.0) * (bins[i] - n / 10.0) / (n / 10.0);
	CHECK(c < 27.9); /* 9 degrees of freedom, p = 0.001 */
}

static void test_below(void)
{
	struct rng r;
	int bins[7] = {0};
	double c = 0;
	const int n = 70000;

	rng_seed(&r, 2);
	for (int i = 0; i < 100; i++)
		CHECK(rng_below(&r, 1) == 0);
	for (int i = 0; i < n; i++) {
		uint64_t x = rng_below(&r, 7);

		CHECK(x < 7);
		if (x < 7)
			bins[x]++;
	}
	for (int i = 0; i < 7; i++)
		c += (bins[i] - n / 7.0) * (bins[i] - n / 7.0) / (n / 7.0);
	CHECK(c < 22.5); /* 6 degrees of freedom, p = 0.001 */
	/* a bound above 2^63: the rejection must still work */
	for (int i = 0; i < 100; i++)
		CHECK(rng_below(&r, (UINT64_C(1) << 63) + 1) <= (UINT64_C(1) << 63));
}

static void test_normal(void)
{
	struct rng r;
	double mean = 0, var = 0, within = 0;
	const int n = 100000;

	rng_seed(&r, 3);
	for (int i = 0; i < n; i++) {
		double z = rng_normal(&r);

		CHECK(isfinite(z));
		mean += z / n;
		var += z * z / n;
		within += fabs(z) < 1;
	}
	CHECK_NEAR(mean, 0, 0.015);
	CHECK_NEAR(var, 1, 0.02);
	CHECK_NEAR(within / n, 0.6827, 0.005);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_derive(void)
{
	enum { M = 10000 };
	static uint64_t d[2 * M];
	struct rng a, b;
	int dups = 0, same = 0;

	for (int i = 0; i < M; i++) {
		d[i] = rng_derive(1, (uint64_t)i);
		d[M + i] = rng_derive(2, (uint64_t)i);
	}
	qsort(d, 2 * M, sizeof *d, cmp_u64);
	for (int i = 1; i < 2 * M; i++)
		dups += d[i] == d[i - 1];
	CHECK(dups == 0);
	CHECK(rng_derive(0, 0) != 0);
	/* neighbouring streams are not shifted copies of each other */
	rng_seed(&a, rng_derive(5, 0));
	rng_seed(&b, rng_derive(5, 1));
	for (int i = 0; i < 1000; i++)
		same += (rng_next(&a) >> 60) == (rng_next(&b) >> 60);
	CHECK(same < 150); /* about 1000/16 by chance */
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"deterministic", test_deterministic},
		{"uniform", test_uniform},
		{"below", test_below},
		{"normal", test_normal},
		{"derive", test_derive},
		{0},
	};

	return test_main(argc, argv, cases);
}
