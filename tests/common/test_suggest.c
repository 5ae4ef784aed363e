/* test_suggest: edit distances with swaps, and the nearest name within two
 * edits (or none). */
#include "suggest.h"
#include "test.h"

static void test_distance(void)
{
	CHECK(suggest_distance("status", "status") == 0);
	CHECK(suggest_distance("stauts", "status") == 1); /* a swap is one edit */
	CHECK(suggest_distance("stats", "status") == 1);
	CHECK(suggest_distance("lss", "ls") == 1);
	CHECK(suggest_distance("kitten", "sitting") == 3);
	CHECK(suggest_distance("", "top") == 3);
	CHECK(suggest_distance("ca", "abc") == 3); /* OSA: no edit of a swapped pair */
}

static void test_nearest(void)
{
	static const char *const names[] = {"submit", "ls", "top", "status", "show", "slots"};
	const size_t n = sizeof names / sizeof names[0];

	CHECK_STR(suggest_nearest("stauts", names, n), "status");
	CHECK_STR(suggest_nearest("sumbit", names, n), "submit");
	CHECK_STR(suggest_nearest("shwo", names, n), "show");
	CHECK_STR(suggest_nearest("tpo", names, n), "top");
	CHECK(suggest_nearest("frobnicate", names, n) == NULL);
	CHECK(suggest_nearest("xy", names, n) == NULL); /* "ls" is 2 edits: all of it */
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"distance", test_distance}, {"nearest", test_nearest}, {0}};

	return test_main(argc, argv, cases);
}
