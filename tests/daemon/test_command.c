/* test_command: expanding a command argument's {placeholders} from a trial's
 * values (the checks and directories are tested end to end, e2e_command). */
#include <stdlib.h>

#include "command.h"
#include "errbuf.h"
#include "test.h"

/* Expands arg from vars (JSON text); expects want, or NULL and a message
 * containing why. */
static void expect(const char *arg, const char *vars_json, const char *want, const char *why)
{
	cJSON *vars = cJSON_Parse(vars_json);
	char err[ERRBUF_LEN] = "";
	char *got = command_expand(arg, vars, err, sizeof err);

	if (want) {
		CHECK_STR(got, want);
	} else {
		CHECK(got == NULL);
		CHECK_CONTAINS(err, why);
	}
	free(got);
	cJSON_Delete(vars);
}

static void test_expand(void)
{
	const char *vars = "{\"lr\": 0.001, \"epochs\": 10, \"bn\": true, \"opt\": \"adam\", "
			   "\"hidden\": [64, 32], \"x\": 0.1}";

	expect("--lr={lr}", vars, "--lr=0.001", NULL);
	expect("{epochs}", vars, "10", NULL);
	expect("{x}", vars, "0.1", NULL); /* the shortest text that reads back the same */
	expect("{bn}/{opt}", vars, "true/adam", NULL);
	expect("{hidden}", vars, "[64,32]", NULL);
	expect("{{lr}} is {lr}", vars, "{lr} is 0.001", NULL);
	expect("plain", vars, "plain", NULL);
	expect("", vars, "", NULL);
	expect("{beta}", vars, NULL, "{beta}: not set in this trial");
	expect("{lr", vars, NULL, "an unclosed placeholder");
	expect("{}", vars, NULL, "an empty placeholder");
	expect("a}b", vars, NULL, "a lone '}'");
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"expand", test_expand},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
