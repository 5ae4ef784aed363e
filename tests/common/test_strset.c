/* test_strset: each string kept once and found again, across growth; a
 * finished set is empty and can be used again. */
#include <stdio.h>

#include "strset.h"
#include "test.h"

static void test_add_find(void)
{
	struct strset s = {0};
	char name[32];
	const char *first;

	CHECK(strset_find(&s, "val_acc") == NULL);
	first = strset_add(&s, "val_acc");
	CHECK_STR(first, "val_acc");
	CHECK(strset_add(&s, "val_acc") == first); /* the same copy */
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "m%d", i);
		strset_add(&s, name);
	}
	CHECK(s.n == 5001);
	CHECK(strset_find(&s, "val_acc") == first); /* found again after growing */
	CHECK_STR(strset_find(&s, "m4999"), "m4999");
	CHECK(strset_find(&s, "m5000") == NULL);
	CHECK(2 * s.n <= s.cap); /* never more than half full */
	strset_finish(&s);
	CHECK(s.n == 0 && strset_find(&s, "m1") == NULL);
	CHECK_STR(strset_add(&s, "again"), "again");
	strset_finish(&s);
}

static void test_join(void)
{
	struct strset s = {0};
	char buf[64], small[12];

	CHECK_STR(strset_join(&s, ", ", buf, sizeof buf), "");
	strset_add(&s, "val_loss");
	strset_add(&s, "train_loss");
	strset_add(&s, "val_acc");
	CHECK_STR(strset_join(&s, ", ", buf, sizeof buf), "train_loss, val_acc, val_loss");
	CHECK_STR(strset_join(&s, ", ", small, sizeof small), "train_lo...");
	strset_finish(&s);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"add_find", test_add_find},
		{"join", test_join},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
