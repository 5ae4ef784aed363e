/* test_request: client requests are parsed into commands with checked fields,
 * and every malformed one is refused with a reason. */
#include "request.h"
#include "test.h"

static int parse(struct request *r, const char *text, char *err)
{
	return request_parse(r, text, strlen(text), err, 256);
}

static void test_valid(void)
{
	struct request r;
	char err[256];

	CHECK(parse(&r, "{\"cmd\": \"top\", \"sweep\": 3, \"n\": 5, \"v\": 1}", err) == 0);
	CHECK(r.cmd == PROTO_TOP && r.sweep == 3 && r.n == 5);
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"top\", \"sweep\": 3}", err) == 0);
	CHECK(r.n == 0); /* the handler's default applies */
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"cancel\", \"trial\": 12}", err) == 0);
	CHECK(r.cmd == PROTO_CANCEL && r.trial == 12 && r.sweep == 0);
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"subscribe\"}", err) == 0);
	CHECK(r.cmd == PROTO_SUBSCRIBE && r.sweep == 0);
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"submit\", \"spec\": {\"trials\": 2}}", err) == 0);
	CHECK(cJSON_IsObject(r.spec));
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"ls\"} \r", err) == 0); /* trailing blanks are fine */
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"slots\", \"n\": 8}", err) == 0);
	CHECK(r.cmd == PROTO_SLOTS && r.n == 8);
	CHECK_STR(proto_cmd_name(r.cmd), "slots");
	request_finish(&r);
}

/* The requests of a sweep's life: extend, rm, note, tag, untag. */
static void test_lifecycle(void)
{
	struct request r;
	char err[256];

	CHECK(parse(&r, "{\"cmd\": \"extend\", \"sweep\": 2, \"n\": 10}", err) == 0);
	CHECK(r.cmd == PROTO_EXTEND && r.sweep == 2 && r.n == 10);
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"rm\", \"sweep\": 2}", err) == 0);
	CHECK(r.cmd == PROTO_RM && r.force == 0);
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"rm\", \"sweep\": 2, \"force\": true}", err) == 0);
	CHECK(r.force == 1);
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"note\", \"sweep\": 2, \"text\": \"lr too high\"}", err) == 0);
	CHECK(r.cmd == PROTO_NOTE);
	CHECK_STR(r.text, "lr too high");
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"note\", \"trial\": 7, \"text\": \"\"}", err) == 0);
	CHECK(r.cmd == PROTO_NOTE && r.trial == 7 && r.sweep == 0);
	CHECK_STR(r.text, "");
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"tag\", \"sweep\": 2, \"tags\": [\"baseline\", \"v2\"]}", err) == 0);
	CHECK(r.cmd == PROTO_TAG && cJSON_GetArraySize(r.tags) == 2);
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"untag\", \"sweep\": 2, \"tags\": [\"v2\"]}", err) == 0);
	CHECK(r.cmd == PROTO_UNTAG);
	request_finish(&r);
}

/* Steering a trial: adjust and fork, with their "set" of changes. */
static void test_steer(void)
{
	struct request r;
	char err[256];

	CHECK(parse(&r, "{\"cmd\": \"adjust\", \"trial\": 4, \"set\": {\"lr\": 0.01, "
			"\"optimizer\": \"adam\"}}", err) == 0);
	CHECK(r.cmd == PROTO_ADJUST && r.trial == 4 && cJSON_GetArraySize(r.set) == 2);
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"fork\", \"trial\": 4}", err) == 0);
	CHECK(r.cmd == PROTO_FORK && r.trial == 4 && r.epoch == 0 && r.set == NULL);
	request_finish(&r);
	CHECK(parse(&r, "{\"cmd\": \"fork\", \"trial\": 4, \"epoch\": 3, \"set\": {}}", err) == 0);
	CHECK(r.epoch == 3 && r.set == NULL); /* an empty set is no change */
	request_finish(&r);
}

static void refused(const char *text, const char *why)
{
	struct request r;
	char err[256] = "";

	CHECK(parse(&r, text, err) < 0);
	CHECK_CONTAINS(err, why);
	request_finish(&r);
}

static void test_refused(void)
{
	refused("{\"cmd\": \"adjust\", \"trial\": 4}", "\"set\": expected an object");
	refused("{\"cmd\": \"adjust\", \"trial\": 4, \"set\": {}}", "not empty");
	refused("{\"cmd\": \"adjust\", \"set\": {\"lr\": 1}}", "\"trial\": expected a positive");
	refused("{\"cmd\": \"adjust\", \"trial\": 4, \"set\": {\"lr\": [1]}}",
		"\"set\".lr: expected a number, a string or a boolean");
	refused("{\"cmd\": \"adjust\", \"trial\": 4, \"set\": {\"\": 1}}", "a name is empty");
	refused("{\"cmd\": \"fork\", \"trial\": 4, \"epoch\": 0}",
		"\"epoch\": expected a positive");
	refused("{\"cmd\": \"fork\", \"trial\": 4, \"set\": 3}", "\"set\": expected an object");
	refused("", "not valid JSON");
	refused("{\"cmd\": \"ls\"", "not valid JSON");
	refused("[\"ls\"]", "not a JSON object");
	refused("{\"cmd\": 3}", "\"cmd\": expected a string");
	refused("{}", "\"cmd\": expected a string");
	refused("{\"cmd\": \"frobnicate\"}", "unknown command \"frobnicate\"");
	refused("{\"cmd\": \"ls\", \"v\": 2}", "protocol version 2 not supported");
	refused("{\"cmd\": \"top\"}", "\"sweep\": expected a positive integer");
	refused("{\"cmd\": \"top\", \"sweep\": 0}", "\"sweep\": expected a positive integer");
	refused("{\"cmd\": \"top\", \"sweep\": 1.5}", "\"sweep\"");
	refused("{\"cmd\": \"top\", \"sweep\": \"1\"}", "\"sweep\"");
	refused("{\"cmd\": \"top\", \"sweep\": 1, \"n\": -2}", "\"n\"");
	refused("{\"cmd\": \"top\", \"sweep\": 1e300}", "\"sweep\"");
	refused("{\"cmd\": \"wait\"}", "\"sweep\"");
	refused("{\"cmd\": \"cancel\"}", "\"sweep\"");
	refused("{\"cmd\": \"cancel\", \"trial\": null}", "\"trial\"");
	refused("{\"cmd\": \"submit\"}", "\"spec\": expected a JSON object");
	refused("{\"cmd\": \"submit\", \"spec\": [1]}", "\"spec\"");
	refused("{\"cmd\": \"slots\"}", "\"n\"");
	refused("{\"cmd\": \"subscribe\", \"sweep\": -1}", "\"sweep\"");
	refused("{\"cmd\": \"extend\", \"sweep\": 1}", "\"n\"");
	refused("{\"cmd\": \"extend\", \"n\": 3}", "\"sweep\"");
	refused("{\"cmd\": \"rm\", \"sweep\": 1, \"force\": 1}", "\"force\": expected true or false");
	refused("{\"cmd\": \"note\", \"sweep\": 1}", "\"text\": expected a string");
	refused("{\"cmd\": \"note\", \"text\": \"x\"}", "\"sweep\": expected a positive integer");
	refused("{\"cmd\": \"note\", \"trial\": 0, \"text\": \"x\"}", "\"trial\"");
	refused("{\"cmd\": \"tag\", \"sweep\": 1, \"tags\": []}", "\"tags\": expected a non-empty array");
	refused("{\"cmd\": \"tag\", \"sweep\": 1, \"tags\": \"a\"}", "\"tags\"");
	refused("{\"cmd\": \"untag\", \"sweep\": 1, \"tags\": [\"a b\"]}", "without spaces");
	refused("{\"cmd\": \"tag\", \"sweep\": 1, \"tags\": [\"\"]}", "\"tags\"");
	/* a request followed by anything but blanks is not one request */
	refused("{\"cmd\": \"ls\"} {\"cmd\": \"shutdown\"}", "text after its JSON object, at byte 14");
	refused("{\"cmd\": \"ls\"}x", "at byte 13");
}

/* Each refusal says why as a code: a malformed request, another version, an
 * unknown command. */
static void refused_as(const char *text, enum proto_error code)
{
	struct request r;
	char err[256] = "";

	CHECK(parse(&r, text, err) == -(int)code);
	request_finish(&r);
}

static void test_codes(void)
{
	refused_as("", PROTO_E_BAD_REQUEST);
	refused_as("{\"cmd\": \"ls\"} x", PROTO_E_BAD_REQUEST);
	refused_as("{\"cmd\": 3}", PROTO_E_BAD_REQUEST);
	refused_as("{\"cmd\": \"top\"}", PROTO_E_BAD_REQUEST);
	refused_as("{\"cmd\": \"adjust\", \"trial\": 4, \"set\": {}}", PROTO_E_BAD_REQUEST);
	refused_as("{\"cmd\": \"ls\", \"v\": 2}", PROTO_E_BAD_VERSION);
	refused_as("{\"cmd\": \"frobnicate\"}", PROTO_E_UNKNOWN_CMD);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"valid", test_valid},
		{"lifecycle", test_lifecycle},
		{"steer", test_steer},
		{"refused", test_refused},
		{"codes", test_codes},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
