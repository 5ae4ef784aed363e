/* test_submit: the checks a parsed spec passes before submission, made alike
 * by the CLI and caviard (submit.h). */
#include "errbuf.h"
#include "submit.h"
#include "test.h"

/* Parses text (it must parse) and validates it for submission; the message in err. */
static int validate(const char *text, char *err)
{
	struct spec s;
	int rc;

	CHECK(spec_parse_text(&s, text, strlen(text), err, ERRBUF_LEN) == 0);
	rc = spec_validate_submit(&s, err, ERRBUF_LEN);
	CHECK(rc == 0 || s.n_params == 0); /* refused: s is left finished */
	spec_finish(&s);
	return rc;
}

/* The objective check, which caviard's submit once skipped. */
static void test_objective(void)
{
	char err[ERRBUF_LEN] = "";

	CHECK(validate("{\"task\": \"bowl\", \"objective\": {\"metric\": \"test_acc\"}, "
		       "\"params\": {\"lr\": {\"log\": [1e-4, 1e-1]}}}", err) == -1);
	CHECK_STR(err, "objective.metric: \"test_acc\" is not reported by the synthetic task \"bowl\""
		       " (it reports train_loss, val_loss, val_acc, lr, elapsed)");
	CHECK(validate("{\"task\": \"bowl\", \"objective\": {\"metric\": \"val_loss\", \"mode\": "
		       "\"min\"}}", err) == 0);
}

/* The grid check: a budget larger than the grid, and absent trials set to its size. */
static void test_grid(void)
{
	char err[ERRBUF_LEN] = "";
	const char *grid = "{\"search\": \"grid\", \"params\": {\"optimizer\": {\"choice\": "
			   "[\"sgd\", \"adam\"]}}}";
	struct spec s;

	CHECK(validate("{\"search\": \"grid\", \"trials\": 5, \"params\": {\"optimizer\": "
		       "{\"choice\": [\"sgd\", \"adam\"]}}}", err) == -1);
	CHECK_STR(err, "trials: 5 exceeds the grid's 2 points");
	CHECK(spec_parse_text(&s, grid, strlen(grid), err, ERRBUF_LEN) == 0);
	CHECK(spec_validate_submit(&s, err, ERRBUF_LEN) == 0);
	CHECK(s.trials == 2);
	spec_finish(&s);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"objective", test_objective}, {"grid", test_grid}, {0}};

	return test_main(argc, argv, cases);
}
