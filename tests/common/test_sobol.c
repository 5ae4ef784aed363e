/* test_sobol: the plain sequence's known first points, the net properties that
 * wrong direction numbers would break, and that scrambling keeps them. (The
 * first 1024 points of all 32 dimensions were also checked once against a
 * port of Joe and Kuo's own generator.) */
#include <stdlib.h>

#include "sobol.h"
#include "test.h"

static void test_known_points(void)
{
	static const double vdc[8] = {0, 0.5, 0.25, 0.75, 0.125, 0.625, 0.375, 0.875};
	/* dimension 2: m = 1, 3, 5, 15, ... (x^1 + 1) */
	static const double d2[4] = {0, 0.5, 0.75, 0.25};

	CHECK(sobol_max_dims() >= 16);
	for (unsigned i = 0; i < 8; i++)
		CHECK(sobol_bits(i, 0) * 0x1.0p-32 == vdc[i]);
	for (unsigned i = 0; i < 4; i++)
		CHECK(sobol_bits(i, 1) * 0x1.0p-32 == d2[i]);
	for (int d = 0; d < sobol_max_dims(); d++)
		CHECK(sobol_bits(0, d) == 0);
	CHECK(sobol_bits(5, sobol_max_dims()) == 0); /* out of range */
}

/* Do the first 2^(a+b) points put exactly one point in each of the 2^a x 2^b
 * elementary boxes of dims (d1, d2)? */
static int net_ok(int d1, int d2, int a, int b, uint32_t seed1, uint32_t seed2, int scrambled)
{
	int n = 1 << (a + b), ok = 1;
	char *seen = calloc((size_t)n, 1);

	for (int i = 0; i < n; i++) {
		double x = scrambled ? sobol_point((uint32_t)i, d1, seed1) : sobol_bits((uint32_t)i, d1) * 0x1.0p-32;
		double y = scrambled ? sobol_point((uint32_t)i, d2, seed2) : sobol_bits((uint32_t)i, d2) * 0x1.0p-32;
		int cell = ((int)(x * (1 << a)) << b) | (int)(y * (1 << b));

		if (x < 0 || x >= 1 || y < 0 || y >= 1 || seen[cell])
			ok = 0;
		else
			seen[cell] = 1;
	}
	free(seen);
	return ok;
}

static void test_net_properties(void)
{
	/* every dimension alone: 1024 points in 1024 distinct bins */
	for (int d = 0; d < sobol_max_dims(); d++) {
		CHECK(net_ok(d, d, 10, 0, 0, 0, 0));
		CHECK(net_ok(d, d, 10, 0, 7u * (unsigned)d + 1, 0, 1));
	}
	/* dims 1 and 2 form a (0, m, 2)-net: every elementary box of area 1/256 */
	for (int a = 0; a <= 8; a++) {
		CHECK(net_ok(0, 1, a, 8 - a, 0, 0, 0));
		CHECK(net_ok(0, 1, a, 8 - a, 12345, 678, 1)); /* Owen scrambling keeps it */
	}
}

static void test_scrambling(void)
{
	int differ = 0;
	double mean = 0;

	for (uint32_t i = 0; i < 256; i++) {
		double a = sobol_point(i, 3, 1), b = sobol_point(i, 3, 2);

		differ += a != b;
		mean += a / 256;
		CHECK(a == sobol_point(i, 3, 1)); /* pure */
	}
	CHECK(differ > 250);
	CHECK_NEAR(mean, 0.5, 0.01);
	CHECK(sobol_point(0, 0, 99) != 0); /* the first point is no longer the origin */
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"known_points", test_known_points},
		{"net_properties", test_net_properties},
		{"scrambling", test_scrambling},
		{0},
	};

	return test_main(argc, argv, cases);
}
