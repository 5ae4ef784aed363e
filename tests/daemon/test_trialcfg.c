/* test_trialcfg: a trial's worker configuration from its spec and params:
 * params override train, task and data come from the spec, the seed is cut
 * to 53 bits. */
#include <stdint.h>

#include "errbuf.h"
#include "spec.h"
#include "test.h"
#include "trialcfg.h"

static int parse(struct spec *s, const char *text, char *err)
{
	return spec_parse_text(s, text, strlen(text), err, ERRBUF_LEN);
}

static void test_build(void)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";
	cJSON *params = cJSON_Parse("{\"lr\": 0.01, \"epochs\": 7}"), *cfg;

	CHECK(parse(&s, "{\"task\": \"bowl\", \"train\": {\"epochs\": 5, \"optimizer\": \"sgd\"},"
		       "\"data\": {\"train_limit\": 100}, \"params\": {\"lr\": {\"log\": [1e-4, 1]}}}",
		    err) == 0);
	CHECK_STR(s.task, "bowl");
	cfg = trialcfg_build(&s, params, 12345);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "task")), "bowl");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "optimizer")), "sgd");
	CHECK(cJSON_GetObjectItem(cfg, "epochs")->valuedouble == 7); /* params override */
	CHECK(cJSON_GetObjectItem(cfg, "lr")->valuedouble == 0.01);
	CHECK(cJSON_GetObjectItem(cfg, "seed")->valuedouble == 12345);
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "data"), "train_limit")->valuedouble == 100);
	cJSON_Delete(cfg);
	/* seeds are cut to 53 bits so the JSON number is exact */
	cfg = trialcfg_build(&s, params, UINT64_MAX);
	CHECK(cJSON_GetObjectItem(cfg, "seed")->valuedouble == 9007199254740991.0);
	cJSON_Delete(cfg);
	spec_finish(&s);

	CHECK(parse(&s, "{}", err) == 0);
	CHECK(s.task == NULL);
	cfg = trialcfg_build(&s, params, 1);
	CHECK(cJSON_GetObjectItem(cfg, "data") == NULL && cJSON_GetObjectItem(cfg, "task") == NULL);
	CHECK(cJSON_GetArraySize(cfg) == 3);
	cJSON_Delete(cfg);
	spec_finish(&s);
	cJSON_Delete(params);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"build", test_build},
		{NULL, NULL},
	};
	return test_main(argc, argv, cases);
}
