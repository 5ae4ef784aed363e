/* test_changes: the [old, new] pair, what counts as a valid set of changes,
 * and the values an adjustment history gives between two epochs. */
#include <stdlib.h>

#include "changes.h"
#include "test.h"

static void test_pairs(void)
{
	cJSON *c = cJSON_CreateObject(), *old = cJSON_CreateNumber(0.1), *v = cJSON_CreateNumber(0.2);
	char *text;

	CHECK(!changes_valid(c)); /* no name */
	changes_add(c, "lr", old, v);
	changes_add(c, "beta", NULL, v); /* it had none */
	text = cJSON_PrintUnformatted(c);
	CHECK_STR(text, "{\"lr\":[0.1,0.2],\"beta\":[null,0.2]}");
	free(text);
	CHECK(changes_valid(c));
	cJSON_AddNumberToObject(c, "x", 1);
	CHECK(!changes_valid(c)); /* a value that is no pair */
	CHECK(!changes_valid(NULL));
	cJSON_Delete(c);
	cJSON_Delete(old);
	cJSON_Delete(v);
}

static void test_values_at(void)
{
	cJSON *rows = cJSON_Parse("[{\"epoch\": 1, \"name\": \"lr\", \"new_value\": 0.5},"
				  " {\"epoch\": 2, \"name\": \"lr\", \"new_value\": 0.2},"
				  " {\"epoch\": 3, \"name\": \"beta\", \"new_value\": 0.8},"
				  " {\"epoch\": 2, \"new_value\": 9}]");
	cJSON *into = cJSON_Parse("{\"lr\": 0.01, \"beta\": 0.9}");
	const cJSON *v;
	char *text;
	int epoch;

	changes_values_at(into, rows, 0, 2); /* the last one up to epoch 2 wins */
	text = cJSON_PrintUnformatted(into);
	CHECK_STR(text, "{\"beta\":0.9,\"lr\":0.2}");
	free(text);
	CHECK_STR(changes_row(rows->child->next->next, &epoch, &v), "beta");
	CHECK(epoch == 3 && cJSON_GetNumberValue(v) == 0.8);
	CHECK(changes_row(cJSON_GetArrayItem(rows, 3), &epoch, &v) == NULL);
	cJSON_Delete(into);
	cJSON_Delete(rows);
}

static void test_recorded(void)
{
	cJSON *rows = cJSON_Parse("[{\"epoch\": 3, \"step\": 0, \"name\": \"lr\", \"new_value\": 0.5},"
				  " {\"epoch\": 3, \"step\": 0, \"name\": \"beta\", \"new_value\": 0.8}]");
	cJSON *both = cJSON_Parse("{\"lr\": [0.1, 0.5], \"beta\": [0.9, 0.8]}");
	cJSON *other = cJSON_Parse("{\"lr\": [0.1, 0.4]}");

	CHECK(changes_recorded(rows, 3, 0, both));
	CHECK(!changes_recorded(rows, 3, 1, both)); /* another step */
	CHECK(!changes_recorded(rows, 2, 0, both)); /* another epoch */
	CHECK(!changes_recorded(rows, 3, 0, other)); /* another value */
	cJSON_Delete(rows);
	cJSON_Delete(both);
	cJSON_Delete(other);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"pairs", test_pairs}, {"values_at", test_values_at}, {"recorded", test_recorded},
		{0}};

	return test_main(argc, argv, cases);
}
