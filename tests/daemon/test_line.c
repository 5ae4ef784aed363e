/* test_line: the worker-line parser accepts the protocol and rejects the rest
 * with a reason. */
#include "line.h"
#include "test.h"

static int parse(struct worker_line *l, const char *text, char *err)
{
	return line_parse(l, text, strlen(text), err, 128);
}

static void test_metrics(void)
{
	struct worker_line l;
	char err[128];

	CHECK(parse(&l, "{\"epoch\": 3, \"step\": 1266, \"train_loss\": 0.41, \"val_acc\": 0.86,"
			" \"phase\": \"train\"}", err) == 0);
	CHECK(l.kind == LINE_METRICS);
	CHECK(l.epoch == 3);
	CHECK(l.step == 1266);
	CHECK(l.n_metrics == 2);
	CHECK_STR(l.metrics[0].name, "train_loss");
	CHECK_NEAR(l.metrics[1].value, 0.86, 0);
	line_finish(&l);

	CHECK(parse(&l, "{\"epoch\": 0, \"val_loss\": 2}", err) == 0);
	CHECK(l.step == 0);
	line_finish(&l);
}

static void test_event(void)
{
	struct worker_line l;
	char err[128];

	CHECK(parse(&l, "{\"event\": \"diverged\", \"epoch\": 2, \"step\": 9, \"value\": \"nan\"}", err) == 0);
	CHECK(l.kind == LINE_EVENT);
	CHECK_STR(l.event, "diverged");
	CHECK(l.epoch == 2);
	line_finish(&l);
	CHECK(parse(&l, "{\"event\": \"started\"}", err) == 0);
	CHECK(l.epoch == -1);
	line_finish(&l);
}

static void expect_error(const char *text, const char *why)
{
	struct worker_line l;
	char err[128] = "";

	CHECK(parse(&l, text, err) < 0);
	CHECK_CONTAINS(err, why);
	line_finish(&l);
}

static void test_rejects(void)
{
	char many[4096] = "{\"epoch\": 1";

	expect_error("", "not JSON");
	expect_error("hello", "not JSON");
	expect_error("{\"epoch\": 1, ", "not JSON");
	expect_error("[1, 2]", "not a JSON object");
	expect_error("{\"val_loss\": 0.5}", "no \"epoch\"");
	expect_error("{\"epoch\": -1, \"val_loss\": 0.5}", "\"epoch\" must be");
	expect_error("{\"epoch\": 1.5, \"val_loss\": 0.5}", "\"epoch\" must be");
	expect_error("{\"epoch\": \"1\", \"val_loss\": 0.5}", "\"epoch\" must be");
	expect_error("{\"epoch\": 1, \"step\": -3, \"val_loss\": 0.5}", "\"step\" must be");
	expect_error("{\"epoch\": 1}", "no numeric metric");
	expect_error("{\"epoch\": 1, \"val_loss\": \"nan\"}", "no numeric metric");
	expect_error("{\"event\": 3}", "\"event\" must be");
	for (int i = 0; i < LINE_MAX_METRICS + 1; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), ", \"m%d\": %d", i, i);
	strcat(many, "}");
	expect_error(many, "more than");
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"metrics", test_metrics},
		{"event", test_event},
		{"rejects", test_rejects},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
