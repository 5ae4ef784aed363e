/* sobol: Sobol' points with Joe-Kuo direction numbers and hash-based Owen
 * scrambling (see sobol.h). References: S. Joe and F. Y. Kuo, "Constructing
 * Sobol sequences with better two-dimensional projections", SIAM J. Sci.
 * Comput. 30 (2008); B. Burley, "Practical Hash-based Owen Scrambling", JCGT 9
 * (2020). Direction numbers are recomputed per call (a few hundred operations)
 * rather than cached, so there is no global state. */
#include "sobol.h"

#define SOBOL_DIMS 32
#define MAX_DEGREE 7

/* Dimensions 2..32 of new-joe-kuo-6.21201: degree s, coefficients a, and the
 * initial m_1..m_s. Dimension 1 is the van der Corput sequence (all m = 1). */
static const struct {
	unsigned char s;
	unsigned char a;
	unsigned char m[MAX_DEGREE];
} joe_kuo[SOBOL_DIMS - 1] = {
	{1, 0, {1}},
	{2, 1, {1, 3}},
	{3, 1, {1, 3, 1}},
	{3, 2, {1, 1, 1}},
	{4, 1, {1, 1, 3, 3}},
	{4, 4, {1, 3, 5, 13}},
	{5, 2, {1, 1, 5, 5, 17}},
	{5, 4, {1, 1, 5, 5, 5}},
	{5, 7, {1, 1, 7, 11, 19}},
	{5, 11, {1, 1, 5, 1, 1}},
	{5, 13, {1, 1, 1, 3, 11}},
	{5, 14, {1, 3, 5, 5, 31}},
	{6, 1, {1, 3, 3, 9, 7, 49}},
	{6, 13, {1, 1, 1, 15, 21, 21}},
	{6, 16, {1, 3, 1, 13, 27, 49}},
	{6, 19, {1, 1, 1, 15, 7, 5}},
	{6, 22, {1, 3, 1, 15, 13, 25}},
	{6, 25, {1, 1, 5, 5, 19, 61}},
	{7, 1, {1, 3, 7, 11, 23, 15, 103}},
	{7, 4, {1, 3, 7, 13, 13, 15, 69}},
	{7, 7, {1, 1, 3, 13, 7, 35, 63}},
	{7, 8, {1, 3, 5, 9, 1, 25, 53}},
	{7, 14, {1, 3, 1, 13, 9, 35, 107}},
	{7, 19, {1, 3, 1, 5, 27, 61, 31}},
	{7, 21, {1, 1, 5, 11, 19, 41, 61}},
	{7, 28, {1, 3, 5, 3, 3, 13, 69}},
	{7, 31, {1, 1, 7, 13, 1, 19, 1}},
	{7, 32, {1, 3, 7, 5, 13, 19, 59}},
	{7, 37, {1, 1, 3, 9, 25, 29, 41}},
	{7, 41, {1, 3, 5, 13, 23, 1, 55}},
	{7, 42, {1, 3, 7, 3, 13, 59, 17}},
};

int sobol_max_dims(void)
{
	return SOBOL_DIMS;
}

/* v[k] = m_{k+1} << (31 - k), k = 0..31, with the recurrence
 * m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^s m_{k-s} ^ m_{k-s}. */
static void directions(int dim, uint32_t v[32])
{
	uint32_t m[32];
	int s, a;

	if (dim == 0) {
		for (int k = 0; k < 32; k++)
			v[k] = 1u << (31 - k);
		return;
	}
	s = joe_kuo[dim - 1].s;
	a = joe_kuo[dim - 1].a;
	for (int k = 0; k < s; k++)
		m[k] = joe_kuo[dim - 1].m[k];
	for (int k = s; k < 32; k++) {
		m[k] = m[k - s] ^ (m[k - s] << s);
		for (int j = 1; j < s; j++)
			if ((a >> (s - 1 - j)) & 1)
				m[k] ^= m[k - j] << j;
	}
	for (int k = 0; k < 32; k++)
		v[k] = m[k] << (31 - k);
}

uint32_t sobol_bits(uint32_t index, int dim)
{
	uint32_t v[32], x = 0;

	if (dim < 0 || dim >= SOBOL_DIMS)
		return 0;
	directions(dim, v);
	for (int k = 0; index; k++, index >>= 1)
		if (index & 1)
			x ^= v[k];
	return x;
}

static uint32_t reverse_bits(uint32_t x)
{
	x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
	x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
	x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
	x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
	return (x >> 16) | (x << 16);
}

/* Laine-Karras hash: each output bit depends only on the same and lower input
 * bits, so on bit-reversed values it is a nested uniform (Owen) scramble. */
static uint32_t laine_karras(uint32_t x, uint32_t seed)
{
	x += seed;
	x ^= x * 0x6c50b47cu;
	x ^= x * 0xb82f1e52u;
	x ^= x * 0xc7afe638u;
	x ^= x * 0x8d22f6e6u;
	return x;
}

double sobol_point(uint32_t index, int dim, uint32_t seed)
{
	uint32_t x = reverse_bits(laine_karras(reverse_bits(sobol_bits(index, dim)), seed));

	return (double)x * 0x1.0p-32;
}
