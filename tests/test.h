/* test.h: the tiny unit-test harness every test program uses. A test program
 * lists its cases in a table and calls test_main(); each failed CHECK prints
 * file:line and the expression, and the program exits 1 if any check failed.
 *   static void test_parse(void) { CHECK(x == 1); CHECK_NEAR(y, 0.5, 1e-9); }
 *   int main(int argc, char **argv) {
 *       static const struct test_case cases[] = {{"parse", test_parse}, {0}};
 *       return test_main(argc, argv, cases);
 *   }
 * `prog NAME` runs only the case called NAME. cJSON allocates through xalloc,
 * as in the programs. */
#ifndef CAVIAR_TEST_H
#define CAVIAR_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "xalloc.h"

struct test_case {
	const char *name;
	void (*fn)(void);
};

static int test_failures;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
				#cond);                                               \
			test_failures++;                                              \
		}                                                                     \
	} while (0)

#define CHECK_NEAR(a, b, tol)                                                           \
	do {                                                                            \
		double a_ = (a), b_ = (b);                                              \
		if (!(fabs(a_ - b_) <= (tol))) {                                        \
			fprintf(stderr, "%s:%d: CHECK_NEAR(%s, %s): %.9g vs %.9g (tol %g)\n", \
				__FILE__, __LINE__, #a, #b, a_, b_, (double)(tol));     \
			test_failures++;                                                \
		}                                                                       \
	} while (0)

#define CHECK_STR(a, b)                                                                  \
	do {                                                                             \
		const char *a_ = (a), *b_ = (b);                                         \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                 \
			fprintf(stderr, "%s:%d: CHECK_STR(%s, %s): \"%s\" vs \"%s\"\n",  \
				__FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)",          \
				b_ ? b_ : "(null)");                                     \
			test_failures++;                                                 \
		}                                                                        \
	} while (0)

/* Checks that haystack contains needle (for error messages). */
#define CHECK_CONTAINS(hay, needle)                                                     \
	do {                                                                            \
		const char *h_ = (hay), *n_ = (needle);                                 \
		if (!h_ || !strstr(h_, n_)) {                                           \
			fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n",       \
				__FILE__, __LINE__, h_ ? h_ : "(null)", n_);            \
			test_failures++;                                                \
		}                                                                       \
	} while (0)

static inline int test_main(int argc, char **argv, const struct test_case *cases)
{
	int ran = 0;

	xalloc_cjson_hooks(); /* as every program's main does */
	for (const struct test_case *c = cases; c->name; c++) {
		int before = test_failures;

		if (argc > 1 && strcmp(argv[1], c->name) != 0)
			continue;
		c->fn();
		ran++;
		printf("%s %s\n", test_failures == before ? "ok  " : "FAIL", c->name);
		fflush(stdout);
	}
	if (ran == 0) {
		fprintf(stderr, "no test case matched\n");
		return 1;
	}
	return test_failures ? 1 : 0;
}

#endif
