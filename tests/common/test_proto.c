/* test_proto: the socket vocabulary (proto.h): every name is found again,
 * names are unique, and each request's fields name their keys. */
#include "proto.h"
#include "test.h"

static void test_commands(void)
{
	for (int i = 0; i < PROTO_CMD_COUNT; i++) {
		CHECK(proto_cmd_find(proto_cmd_name((enum proto_cmd)i)) == i);
		for (unsigned f = 1; f <= PROTO_FIELD_LAST; f <<= 1)
			if (proto_cmd_fields((enum proto_cmd)i) & f)
				CHECK(strcmp(proto_field_key((enum proto_field)f), "?") != 0);
	}
	CHECK_STR(proto_cmd_name(PROTO_SUBMIT), "submit");
	CHECK_STR(proto_cmd_name(PROTO_CMD_COUNT), "?");
	CHECK(proto_cmd_find("frobnicate") == -1);
	CHECK(proto_cmd_fields(PROTO_TOP) == (PROTO_NEED_SWEEP | PROTO_OPT_N));
	CHECK(proto_field_required(PROTO_NEED_SWEEP) && !proto_field_required(PROTO_OPT_N));
	CHECK_STR(proto_field_key(PROTO_SWEEP_OR_TRIAL), "sweep|trial");
}

static void test_events(void)
{
	for (int i = 0; i < PROTO_EV_COUNT; i++)
		CHECK(proto_event_find(proto_event_name((enum proto_event)i)) == i);
	CHECK_STR(proto_event_name(PROTO_EV_SWEEP_ENDED), "sweep_ended");
	CHECK(proto_event_find("sweep_exploded") == -1);
}

static void test_errors(void)
{
	for (int i = PROTO_E_REFUSED; i < PROTO_E_COUNT; i++)
		for (int j = PROTO_E_REFUSED; j < i; j++)
			CHECK(strcmp(proto_error_name(i), proto_error_name(j)) != 0);
	CHECK_STR(proto_error_name(PROTO_E_NOT_FOUND), "not_found");
	CHECK_STR(proto_error_name(0), "refused");    /* not a code: the default */
	CHECK_STR(proto_error_name(999), "refused");
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"commands", test_commands}, {"events", test_events}, {"errors", test_errors}, {0}};

	return test_main(argc, argv, cases);
}
