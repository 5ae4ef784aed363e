/* test_spec: parsing, defaults, and every validation rule's message (path and
 * rule, checked by substring). A grid's budget is the sampler's check
 * (test_sample), trial configurations the daemon's (test_trialcfg). And
 * caviar-spec(5) against the parser: every top-level key, task and search
 * it accepts has its entry there ($CAVIAR_SPEC_MAN, set by meson). */
#include <stdio.h>
#include <stdlib.h>

#include "errbuf.h"
#include "hparams.h"
#include "spec.h"
#include "test.h"

static const char example[] =
	"{ \"name\": \"fmnist-random\", \"trials\": 24, \"seed\": 7, \"search\": \"random\",\n"
	"  \"objective\": {\"metric\": \"val_acc\", \"mode\": \"max\"},\n"
	"  \"data\": {\"dataset\": \"fashion-mnist\", \"train_limit\": 20000, \"val_fraction\": 0.1},\n"
	"  \"train\": {\"epochs\": 5, \"optimizer\": \"momentum\", \"batch_norm\": true},\n"
	"  \"params\": {\n"
	"    \"lr\":     {\"log\": [1e-4, 1e-1]},\n"
	"    \"beta\":   {\"reverse_log\": [0.9, 0.999], \"when\": {\"optimizer\": \"momentum\"}},\n"
	"    \"layers\": {\"int\": [2, 4]},\n"
	"    \"units\":  {\"log_int\": [32, 512]},\n"
	"    \"batch\":  {\"choice\": [32, 64, 128, 256]} } }\n";

static int parse(struct spec *s, const char *text, char *err)
{
	return spec_parse_text(s, text, strlen(text), err, ERRBUF_LEN);
}

/* Parses text, expects failure with a message containing every needle. */
static void expect_error(const char *text, const char *needle1, const char *needle2)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";
	int rc = parse(&s, text, err);

	CHECK(rc == -1);
	if (rc == 0)
		fprintf(stderr, "  accepted: %s\n", text);
	CHECK_CONTAINS(err, needle1);
	if (needle2)
		CHECK_CONTAINS(err, needle2);
	CHECK(s.params == NULL && s.name == NULL);
	spec_finish(&s);
}

static void expect_ok(const char *text)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";

	if (parse(&s, text, err) != 0) {
		fprintf(stderr, "  rejected: %s\n  error: %s\n", text, err);
		test_failures++;
	}
	spec_finish(&s);
}

static void test_example(void)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";
	int lr, beta;

	CHECK(parse(&s, example, err) == 0);
	CHECK_STR(s.name, "fmnist-random");
	CHECK(s.trials == 24 && s.seed == 7 && s.search == SEARCH_RANDOM);
	CHECK_STR(s.objective_metric, "val_acc");
	CHECK(s.objective_max == 1);
	CHECK(s.n_params == 5);
	lr = spec_param_index(&s, "lr");
	beta = spec_param_index(&s, "beta");
	CHECK(lr >= 0 && s.params[lr].kind == PARAM_LOG);
	CHECK_NEAR(s.params[lr].lo, 1e-4, 0);
	CHECK_NEAR(s.params[lr].hi, 1e-1, 0);
	CHECK(beta >= 0 && s.params[beta].kind == PARAM_REVERSE_LOG && s.params[beta].n_when == 1);
	CHECK_STR(s.params[beta].when[0].name, "optimizer");
	CHECK(cJSON_IsArray(s.params[beta].when[0].values));
	CHECK(s.params[spec_param_index(&s, "units")].kind == PARAM_LOG_INT);
	CHECK(s.params[spec_param_index(&s, "layers")].kind == PARAM_INT);
	CHECK(s.params[spec_param_index(&s, "batch")].kind == PARAM_CHOICE);
	CHECK(cJSON_IsObject(s.data) && cJSON_IsObject(s.train) && cJSON_IsObject(s.json));
	CHECK(spec_param_index(&s, "nope") == -1);
	spec_finish(&s);
	spec_finish(&s); /* twice is safe */
}

static void test_defaults(void)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";

	CHECK(parse(&s, "{}", err) == 0);
	CHECK_STR(s.name, "sweep");
	CHECK(s.trials == 20 && s.seed == 1 && s.search == SEARCH_RANDOM);
	CHECK(s.points == 5 && s.rounds == 3);
	CHECK_NEAR(s.keep, 0.25, 0);
	CHECK_NEAR(s.shrink, 0.5, 0);
	CHECK_STR(s.objective_metric, "val_acc");
	CHECK(s.objective_max == 1);
	CHECK(s.n_params == 0 && s.data == NULL && s.train == NULL);
	CHECK(s.parallel == 0 && s.retries == 0 && s.timeout == 0 && s.memory_mb == 0);
	CHECK(s.fail_fast == SPEC_FAIL_FAST && SPEC_FAIL_FAST == 3);
	CHECK(s.early_stop == EARLY_STOP_NONE);
	spec_finish(&s);

	CHECK(parse(&s, "{\"objective\": {\"metric\": \"val_loss\"}}", err) == 0);
	CHECK(s.objective_max == 0);
	spec_finish(&s);
	CHECK(parse(&s, "{\"objective\": {\"metric\": \"train_acc\", \"mode\": \"min\"}}", err) == 0);
	CHECK(s.objective_max == 0);
	spec_finish(&s);

	CHECK(parse(&s, "{\"early_stop\": {\"kind\": \"asha\", \"eta\": 4}, \"parallel\": 3, "
		       "\"retries\": 2, \"timeout\": 60, \"stall_timeout\": 5.5, \"memory_mb\": 512}",
		    err) == 0);
	CHECK(s.early_stop == EARLY_STOP_ASHA && s.es_eta == 4 && s.es_warmup == 1 &&
	      s.es_min_epochs == 1);
	CHECK(s.parallel == 3 && s.retries == 2 && s.timeout == 60 && s.stall_timeout == 5.5 &&
	      s.memory_mb == 512);
	spec_finish(&s);

	CHECK(parse(&s, "{\"search\": \"coarse_to_fine\", \"rounds\": 4, \"keep\": 0.5, "
		       "\"shrink\": 0.3}", err) == 0);
	CHECK(s.search == SEARCH_COARSE_TO_FINE && s.rounds == 4 && s.keep == 0.5 &&
	      s.shrink == 0.3);
	spec_finish(&s);
}

static void test_conditions_order(void)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";
	/* beta depends on optimizer, which depends on layers: listed backwards */
	const char *text = "{\"params\": {"
			   "\"beta\": {\"reverse_log\": [0.9, 0.999], \"when\": {\"optimizer\": \"momentum\"}},"
			   "\"optimizer\": {\"choice\": [\"sgd\", \"momentum\"], \"when\": {\"layers\": [2, 3]}},"
			   "\"lr\": {\"log\": [1e-4, 1]},"
			   "\"layers\": {\"int\": [1, 3]}}}";

	CHECK(parse(&s, text, err) == 0);
	CHECK(spec_param_index(&s, "layers") < spec_param_index(&s, "optimizer"));
	CHECK(spec_param_index(&s, "optimizer") < spec_param_index(&s, "beta"));
	CHECK(s.n_params == 4);
	spec_finish(&s);

	expect_error("{\"params\": {"
		     "\"beta\": {\"choice\": [0.9], \"when\": {\"optimizer\": \"momentum\"}},"
		     "\"optimizer\": {\"choice\": [\"sgd\", \"momentum\"], \"when\": {\"layers\": 2}},"
		     "\"layers\": {\"int\": [1, 3], \"when\": {\"beta\": 0.9}}}}",
		     "cycle", "beta -> optimizer -> layers -> beta");
	expect_error("{\"params\": {\"layers\": {\"int\": [1, 3], \"when\": {\"layers\": 2}}}}",
		     "params.layers.when.layers", "itself");
	/* a condition on a train key */
	expect_ok("{\"train\": {\"optimizer\": \"momentum\"}, \"params\": {\"beta\": "
		  "{\"reverse_log\": [0.9, 0.999], \"when\": {\"optimizer\": [\"momentum\", \"adam\"]}}}}");
	expect_error("{\"train\": {\"optimizer\": \"adam\"}, \"params\": {\"beta\": "
		     "{\"reverse_log\": [0.9, 0.999], \"when\": {\"optimizer\": \"momentum\"}}}}",
		     "params.beta.when.optimizer", "never holds");
	expect_error("{\"params\": {\"optimizer\": {\"choice\": [\"sgd\", \"adam\"]}, \"beta\": "
		     "{\"reverse_log\": [0.9, 0.999], \"when\": {\"optimizer\": \"momentum\"}}}}",
		     "params.beta.when.optimizer", "never holds");
	expect_error("{\"params\": {\"optimizer\": {\"choice\": [\"sgd\", \"momentum\"]}, \"beta\": "
		     "{\"reverse_log\": [0.9, 0.999], \"when\": {\"optimiser\": \"momentum\"}}}}",
		     "params.beta.when.optimiser: no parameter named \"optimiser\"",
		     "did you mean \"optimizer\"");
	expect_error("{\"params\": {\"optimizer\": {\"choice\": [\"sgd\", \"momentum\"]}, \"beta\": "
		     "{\"reverse_log\": [0.9, 0.999], \"when\": {\"optimizer\": \"nesterov\"}}}}",
		     "params.beta.when.optimizer[0]", "expected one of");
	expect_error("{\"params\": {\"lr\": {\"log\": [1e-4, 1]}, \"beta\": "
		     "{\"reverse_log\": [0.9, 0.999], \"when\": {\"lr\": 0.01}}}}",
		     "params.beta.when.lr", "continuous");
	expect_error("{\"params\": {\"beta\": {\"reverse_log\": [0.9, 0.999], \"when\": []}}}",
		     "params.beta.when", "expected an object");
}

static void test_syntax_errors(void)
{
	expect_error("{\n  \"trials\": 5,\n  \"seed\": ,\n}", "line 3, column", NULL);
	expect_error("{\"trials\": 5", "line 1, column", "invalid JSON");
	expect_error("{\"trials\": 5}\n  xyz", "line 2, column 3", NULL);
	expect_error("", "invalid JSON", NULL);
	expect_error("[1, 2]", "expected a JSON object", NULL);
}

static void test_top_level_errors(void)
{
	expect_error("{\"foo\": 1}", "foo: unknown key", NULL);
	expect_error("{\"trials\": 1, \"trials\": 2}", "trials: duplicate key", NULL);
	expect_error("{\"params\": {\"lr\": 0.1, \"lr\": {\"log\": [1e-4, 1]}}}",
		     "params.lr: duplicate key", NULL);
	expect_error("{\"params\": {\"beta\": {\"reverse_log\": [0.9, 0.99], \"when\": "
		     "{\"optimizer\": \"sgd\", \"optimizer\": \"adam\"}}}}",
		     "params.beta.when.optimizer: duplicate key", NULL);
	expect_error("{\"trails\": 5}", "trails: unknown key", "did you mean \"trials\"");
	expect_error("{\"trials\": 0}", "trials: expected an integer in [1, 1000000], got 0", NULL);
	expect_error("{\"trials\": 2.5}", "trials: expected an integer", NULL);
	expect_error("{\"trials\": \"5\"}", "trials: expected an integer", NULL);
	expect_error("{\"seed\": -1}", "seed:", NULL);
	expect_error("{\"name\": 3}", "name: expected a non-empty string", NULL);
	expect_error("{\"search\": \"bayes\"}", "search: expected", "coarse_to_fine");
	expect_error("{\"points\": 3}", "points: only for search \"grid\"", NULL);
	expect_error("{\"search\": \"grid\", \"points\": 1}", "points:", NULL);
	expect_error("{\"rounds\": 3}", "rounds: only for search \"coarse_to_fine\"", NULL);
	expect_error("{\"search\": \"grid\", \"keep\": 0.5}", "keep: only for", NULL);
	expect_error("{\"search\": \"coarse_to_fine\", \"keep\": 0}", "keep: expected a number in (0, 1]", NULL);
	expect_error("{\"search\": \"coarse_to_fine\", \"shrink\": 1}", "shrink: expected a number in (0, 1)", NULL);
	expect_error("{\"search\": \"coarse_to_fine\", \"rounds\": 1}", "rounds:", NULL);
	expect_error("{\"search\": \"coarse_to_fine\", \"trials\": 2}", "trials:", "per round");
	expect_error("{\"objective\": {\"metric\": \"val_acc\", \"mode\": \"maximize\"}}",
		     "objective.mode", NULL);
	expect_error("{\"objective\": {\"metrc\": \"val_acc\"}}", "objective.metrc: unknown key", NULL);
	expect_error("{\"objective\": \"val_acc\"}", "objective: expected an object", NULL);
	expect_error("{\"task\": \"cnn\"}", "task: expected one of mlp|trivial|bowl|narrow", NULL);
	expect_error("{\"task\": \"bowl\", \"train\": {\"task\": \"bowl\"}}", "train.task", NULL);
	expect_error("{\"parallel\": -1}", "parallel: expected an integer >= 0, got -1", NULL);
	expect_error("{\"retries\": 1.5}", "retries:", NULL);
	/* fail_fast: how many trials failed the same way end the sweep; 0 never */
	expect_error("{\"fail_fast\": -1}", "fail_fast: expected an integer in [0, 1000000], got -1",
		     NULL);
	expect_error("{\"fail_fast\": true}", "fail_fast: expected an integer, got a boolean", NULL);
	expect_error("{\"fail_fast\": 2.5}", "fail_fast: expected an integer, got 2.5", NULL);
	expect_error("{\"failfast\": 3}", "failfast: unknown key", "fail_fast");
	{
		struct spec s;
		char err[ERRBUF_LEN] = "";

		CHECK(parse(&s, "{\"fail_fast\": 0}", err) == 0 && s.fail_fast == 0);
		spec_finish(&s);
		CHECK(parse(&s, "{\"fail_fast\": 5}", err) == 0 && s.fail_fast == 5);
		spec_finish(&s);
	}
	expect_error("{\"timeout\": -3}", "timeout: expected seconds in (0, 2592000], got -3", NULL);
	expect_error("{\"timeout\": 0}", "timeout: expected seconds in (0, 2592000], got 0", NULL);
	/* past 30 days: 1e17 s overflowed the timer's milliseconds and fired at once */
	expect_error("{\"timeout\": 1e17}", "timeout: expected seconds in (0, 2592000], got 1e+17", NULL);
	expect_error("{\"stall_timeout\": 1e300}", "stall_timeout: expected seconds in (0, 2592000], got 1e+300", NULL);
	expect_error("{\"timeout\": 2592000.5}", "timeout:", "2592000");
	expect_ok("{\"timeout\": 2592000, \"stall_timeout\": 0.5}");
	expect_error("{\"stall_timeout\": \"1m\"}", "stall_timeout:", NULL);
	expect_error("{\"memory_mb\": -5}", "memory_mb:", NULL);
	expect_error("{\"early_stop\": {\"kind\": \"hyperband\"}}", "early_stop.kind", NULL);
	expect_error("{\"early_stop\": {\"warmup\": 2}}", "early_stop.kind: missing", NULL);
	expect_error("{\"early_stop\": {\"kind\": \"asha\", \"eta\": 1}}", "early_stop.eta", NULL);
	expect_error("{\"early_stop\": {\"kind\": \"median\", \"eta\": 3}}", "early_stop.eta",
		     "asha");
	expect_error("{\"early_stop\": {\"kind\": \"median\", \"min_epochs\": 0}}",
		     "early_stop.min_epochs", NULL);
	expect_error("{\"early_stop\": {\"kind\": \"median\", \"patience\": 3}}",
		     "early_stop.patience: unknown key", NULL);
	/* the median rule judges one objective, named among the spec's */
#define TWO "\"objectives\": [{\"metric\": \"val_acc\", \"mode\": \"max\"}, {\"metric\": \"params\", \"mode\": \"min\"}]"
	expect_error("{" TWO ", \"early_stop\": {\"kind\": \"median\", \"objective\": \"loss\"}}",
		     "early_stop.objective: \"loss\" is not one of the objectives (val_acc, params)",
		     NULL);
	expect_error("{" TWO ", \"early_stop\": {\"kind\": \"asha\", \"objective\": \"params\"}}",
		     "early_stop.objective: only for kind \"median\"", NULL);
	expect_error("{\"early_stop\": {\"kind\": \"median\", \"objective\": 1}}",
		     "early_stop.objective: expected the name", NULL);
	{
		struct spec s;
		char err[ERRBUF_LEN];

		CHECK(parse(&s, "{" TWO ", \"early_stop\": {\"objective\": \"params\", "
			       "\"kind\": \"median\"}}", err) == 0);
		CHECK(s.early_stop == EARLY_STOP_MEDIAN && s.es_objective == 1);
		spec_finish(&s);
		CHECK(parse(&s, "{" TWO ", \"early_stop\": {\"kind\": \"median\"}}", err) == 0);
		CHECK(s.es_objective == 0);
		spec_finish(&s);
	}
#undef TWO
}

/* "budget": a wall-clock budget, bounded, with an optional stop. */
static void test_budget(void)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";

	CHECK(parse(&s, "{\"budget\": {\"minutes\": 30, \"stop\": true}}", err) == 0);
	CHECK_NEAR(s.budget_minutes, 30, 0);
	CHECK(s.budget_stop == 1);
	spec_finish(&s);
	CHECK(parse(&s, "{\"budget\": {\"minutes\": 0.5}}", err) == 0);
	CHECK_NEAR(s.budget_minutes, 0.5, 0);
	CHECK(s.budget_stop == 0);
	spec_finish(&s);
	CHECK(parse(&s, "{}", err) == 0);
	CHECK(s.budget_minutes == 0 && s.budget_stop == 0);
	spec_finish(&s);
	expect_ok("{\"budget\": {\"minutes\": 525600}}");
	expect_error("{\"budget\": {\"minutes\": 0}}", "budget.minutes: expected a number in (0, 525600]", NULL);
	expect_error("{\"budget\": {\"minutes\": 525601}}", "budget.minutes: expected a number in (0, 525600]", NULL);
	expect_error("{\"budget\": {\"minutes\": \"30\"}}", "budget.minutes:", NULL);
	expect_error("{\"budget\": {\"stop\": true}}", "budget.minutes: missing", NULL);
	expect_error("{\"budget\": {\"minutes\": 3, \"stop\": 1}}", "budget.stop: expected true or false", NULL);
	expect_error("{\"budget\": {\"minutes\": 3, \"hours\": 1}}", "budget.hours: unknown key", NULL);
	expect_error("{\"budget\": 30}", "budget: expected an object", NULL);
}

static void test_data_train_errors(void)
{
	expect_error("{\"data\": {\"datset\": \"idx\"}}", "data.datset: unknown key",
		     "did you mean \"dataset\"");
	expect_error("{\"data\": {\"val_fraction\": 1}}", "data.val_fraction: expected a number in [0, 1)",
		     NULL);
	expect_error("{\"data\": []}", "data: expected an object", NULL);
	expect_error("{\"train\": {\"lrr\": 0.1}}", "train.lrr: unknown hyperparameter",
		     "did you mean \"lr\"");
	expect_error("{\"train\": {\"xyzzy\": 0.1}}", "train.xyzzy: unknown hyperparameter", NULL);
	expect_error("{\"train\": {\"seed\": 3}}", "train.seed", "daemon");
	expect_error("{\"train\": {\"checkpoint\": \"x\"}}", "train.checkpoint", "daemon");
	expect_error("{\"train\": {\"epochs\": 0}}", "train.epochs: expected a number in [1", NULL);
	expect_error("{\"train\": {\"optimizer\": \"adamw\"}}", "train.optimizer: expected one of", NULL);
	expect_error("{\"train\": {\"batch_norm\": 1}}", "train.batch_norm: expected true or false",
		     NULL);
}

static void test_param_errors(void)
{
	expect_error("{\"params\": {\"lr\": {\"log\": [0.1]}}}",
		     "params.lr.log: expected two numbers, got 1", NULL);
	expect_error("{\"params\": {\"lr\": {\"log\": 0.1}}}", "params.lr.log: expected two numbers",
		     NULL);
	expect_error("{\"params\": {\"lr\": {\"log\": [0.1, \"x\"]}}}",
		     "params.lr.log: expected two numbers", NULL);
	expect_error("{\"params\": {\"lr\": {\"log\": [0.1, 0.001]}}}",
		     "params.lr.log: bounds out of order (0.1 > 0.001)", NULL);
	expect_error("{\"params\": {\"lr\": {\"log\": [0.1, 0.1]}}}", "params.lr.log: empty range", NULL);
	expect_error("{\"params\": {\"lr\": {\"log\": [0, 1]}}}",
		     "params.lr.log: a log range must be > 0, got [0, 1]", NULL);
	expect_error("{\"params\": {\"lr\": {\"uniform\": [0, 1]}}}", "params.lr.uniform[0]",
		     "expected a number > 0, got 0");
	expect_error("{\"params\": {\"beta\": {\"reverse_log\": [0.9, 1]}}}",
		     "params.beta.reverse_log: range must lie inside (0, 1), got [0.9, 1]", NULL);
	expect_error("{\"params\": {\"beta\": {\"reverse_log\": [0, 0.9]}}}",
		     "params.beta.reverse_log: range must lie inside (0, 1)", NULL);
	expect_error("{\"params\": {\"batch\": {\"choice\": []}}}", "params.batch.choice: empty choice",
		     NULL);
	expect_error("{\"params\": {\"batch\": {\"choice\": 32}}}", "params.batch.choice: expected an array",
		     NULL);
	expect_error("{\"params\": {\"batch\": {\"choice\": [32, 64, 32]}}}",
		     "params.batch.choice[2]: duplicate", NULL);
	expect_error("{\"params\": {\"batch\": {\"uniform\": [32, 256]}}}",
		     "params.batch.uniform: batch is an integer hyperparameter: use int or log_int", NULL);
	expect_error("{\"params\": {\"batch\": {\"log\": [32, 256]}}}",
		     "params.batch.log: batch is an integer hyperparameter", NULL);
	expect_error("{\"params\": {\"layers\": {\"int\": [1.5, 4]}}}",
		     "params.layers.int: bounds must be integers", NULL);
	expect_error("{\"params\": {\"units\": {\"log_int\": [0, 4]}}}",
		     "params.units.log_int: a log_int range must be >= 1", NULL);
	expect_error("{\"params\": {\"dropout\": {\"uniform\": [0, 1.5]}}}",
		     "params.dropout.uniform[1]: expected a number in [0, 1), got 1.5", NULL);
	expect_error("{\"params\": {\"epochs\": {\"int\": [0, 5]}}}", "params.epochs.int[0]", NULL);
	expect_error("{\"params\": {\"optimizer\": {\"choice\": [\"sgd\", \"adam\", \"adamw\"]}}}",
		     "params.optimizer.choice[2]: expected one of sgd|momentum|rmsprop|adam, got \"adamw\"",
		     NULL);
	expect_error("{\"params\": {\"optimizer\": {\"uniform\": [0, 1]}}}",
		     "params.optimizer.uniform: optimizer is not a number: use choice", NULL);
	expect_error("{\"params\": {\"lr\": {\"foo\": [1, 2]}}}",
		     "params.lr.foo: unknown key (expected a kind: uniform, int, log, log_int, "
		     "reverse_log or choice; or when, steer)",
		     NULL);
	/* what an Optuna or hyperopt user writes: said in caviar's words */
	expect_error("{\"params\": {\"lr\": {\"loguniform\": [1e-4, 1e-1]}}}",
		     "params.lr.loguniform: unknown key: caviar calls this kind \"log\" "
		     "({\"log\": [lo, hi]})", NULL);
	expect_error("{\"command\": [\"train\"], \"params\": {\"act\": {\"categorical\": [\"relu\"]}}}",
		     "caviar calls this kind \"choice\" ({\"choice\": [v, ...]})", NULL);
	expect_error("{\"params\": {\"lr\": {\"logg\": [1e-4, 1e-1]}}}",
		     "params.lr.logg: unknown key (did you mean \"log\"?)", NULL);
	expect_error("{\"params\": {\"lr\": {\"log\": [1e-4, 1e-1], \"scale\": \"log\"}}}",
		     "params.lr.scale: unknown key (expected a kind", NULL);
	expect_error("{\"params\": {\"batch\": [32, 64, 128]}}",
		     "params.batch: a list is not a value: to search among them write "
		     "{\"choice\": [32,64,128]}", NULL);
	expect_error("{\"command\": [\"train\"], \"params\": {\"sizes\": [1, 2]}}",
		     "params.sizes: a list is not a value", NULL);
	expect_error("{\"early_stopping\": {}}",
		     "early_stopping: unknown key (did you mean \"early_stop\"?)", NULL);
	expect_error("{\"params\": {\"lr\": {\"log\": [1e-4, 1], \"uniform\": [0.1, 1]}}}",
		     "params.lr: more than one kind", NULL);
	expect_error("{\"params\": {\"lr\": {\"when\": {\"optimizer\": \"sgd\"}}}}",
		     "params.lr: expected one of uniform", NULL);
	expect_error("{\"params\": {\"lrr\": {\"log\": [1e-4, 1]}}}", "params.lrr: unknown hyperparameter",
		     "did you mean \"lr\"");
	expect_error("{\"train\": {\"lr\": 0.1}, \"params\": {\"lr\": {\"log\": [1e-4, 1]}}}",
		     "params.lr: also fixed in train.lr", NULL);
	expect_error("{\"params\": {\"seed\": {\"int\": [1, 5]}}}", "params.seed", "daemon");
	expect_error("{\"params\": {\"checkpoint\": \"x\"}}", "params.checkpoint", NULL);
	expect_error("{\"params\": {\"task\": {\"choice\": [\"bowl\"]}}}", "params.task", NULL);
	expect_error("{\"params\": {\"lr\": -1}}", "params.lr: expected a number > 0, got -1", NULL);
	expect_error("{\"params\": []}", "params: expected an object", NULL);
	/* plain values and int lists are fixed params */
	expect_ok("{\"params\": {\"lr\": 0.01, \"hidden\": [64, 32], \"batch_norm\": false}}");
	expect_ok("{\"params\": {\"lr_decay\": {\"uniform\": [0, 0.5]}, \"l2\": {\"log\": [1e-6, 1e-2]},"
		  " \"epochs\": {\"log_int\": [1, 64]}, \"activation\": {\"choice\": [\"relu\", \"tanh\"]}}}");
}

/* spec_check_objective on text that parses; returns its result, message in err. */
static int check_objective(const char *text, char *err)
{
	struct spec s;
	int rc;

	CHECK(parse(&s, text, err) == 0);
	rc = spec_check_objective(&s, err, ERRBUF_LEN);
	spec_finish(&s);
	return rc;
}

/* An objective no trial reports is refused where the metrics are known. */
static void test_objective_metric(void)
{
	char err[ERRBUF_LEN] = "";

	CHECK(check_objective("{\"objective\": {\"metric\": \"val_accuracy\"}}", err) == -1);
	CHECK_STR(err, "objective.metric: \"val_accuracy\" is not reported by the built-in worker"
		       " (it reports train_loss, train_acc, val_loss, val_acc, lr, elapsed, test_loss,"
		       " test_acc, params, train_seconds, infer_us)");
	CHECK(check_objective("{\"task\": \"bowl\", \"objective\": {\"metric\": \"test_acc\"}}",
			      err) == -1);
	CHECK_STR(err, "objective.metric: \"test_acc\" is not reported by the synthetic task \"bowl\""
		       " (it reports train_loss, val_loss, val_acc, lr, elapsed)");
	CHECK(check_objective("{}", err) == 0); /* val_acc */
	CHECK(check_objective("{\"objective\": {\"metric\": \"test_acc\"}}", err) == 0);
	CHECK(check_objective("{\"task\": \"narrow\", \"objective\": {\"metric\": \"val_loss\"}}",
			      err) == 0);
	/* a command's metrics are its own */
	CHECK(check_objective("{\"command\": [\"./train\"], \"objective\": {\"metric\": \"bleu\"}}",
			      err) == 0);
}

/* "objectives" and "constraints": parsed in order, the first objective
 * mirrored into objective_metric; errors name the field and the index. */
static void test_objectives(void)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";
	cJSON *g;
	char *text;

	CHECK(parse(&s, "{\"objectives\": [{\"metric\": \"val_loss\", \"mode\": \"min\"}, "
		       "{\"metric\": \"params\", \"mode\": \"min\"}], \"constraints\": "
		       "[{\"metric\": \"infer_us\", \"max\": 5}, {\"metric\": \"train_seconds\", "
		       "\"min\": 1, \"max\": 9}]}", err) == 0);
	CHECK(s.n_objectives == 2 && s.n_constraints == 2);
	CHECK_STR(s.objective_metric, "val_loss");
	CHECK(s.objective_max == 0);
	CHECK_STR(s.objectives[1].metric, "params");
	CHECK(isnan(s.constraints[0].lo) && s.constraints[0].hi == 5);
	CHECK(s.constraints[1].lo == 1 && s.constraints[1].hi == 9);
	CHECK(spec_check_objective(&s, err, ERRBUF_LEN) == 0);
	g = spec_goals_json(&s);
	text = cJSON_PrintUnformatted(g);
	CHECK_STR(text, "{\"objectives\":[{\"metric\":\"val_loss\",\"mode\":\"min\"},"
		  "{\"metric\":\"params\",\"mode\":\"min\"}],\"constraints\":[{\"metric\":"
		  "\"infer_us\",\"max\":5},{\"metric\":\"train_seconds\",\"max\":9,\"min\":1}]}");
	free(text);
	cJSON_Delete(g);
	spec_finish(&s);

	/* one objective reads as today, and is objectives[0] */
	CHECK(parse(&s, "{\"objective\": {\"metric\": \"val_loss\"}}", err) == 0);
	CHECK(s.n_objectives == 1 && s.n_constraints == 0);
	CHECK_STR(s.objectives[0].metric, "val_loss");
	CHECK(s.objectives[0].max == 0);
	spec_finish(&s);

	expect_error("{\"objective\": {\"metric\": \"val_acc\"}, \"objectives\": "
		     "[{\"metric\": \"val_acc\", \"mode\": \"max\"}]}", "objective, objectives:",
		     "not both");
	expect_error("{\"objectives\": [{\"metric\": \"val_acc\", \"mode\": \"max\"}, "
		     "{\"metric\": \"params\", \"mode\": \"maximize\"}]}",
		     "objectives[1].mode: \"maximize\" is not max or min", NULL);
	expect_error("{\"objectives\": [{\"metric\": \"val_acc\"}]}",
		     "objectives[0].mode: expected", NULL);
	expect_error("{\"objectives\": []}", "objectives: expected an array of 1 to 8", NULL);
	expect_error("{\"objectives\": [{\"metric\": \"a\", \"mode\": \"max\"}, "
		     "{\"metric\": \"a\", \"mode\": \"min\"}]}",
		     "objectives[1].metric: \"a\" is objectives[0] already", NULL);
	expect_error("{\"objectives\": [{\"metric\": \"a\", \"mode\": \"max\", \"w\": 1}]}",
		     "objectives[0].w: unknown key", NULL);
	expect_error("{\"constraints\": [{\"metric\": \"latency_ms\"}]}",
		     "constraints[0]: expected \"max\" or \"min\"", NULL);
	expect_error("{\"constraints\": [{\"metric\": \"x\", \"max\": 1}, {\"max\": 1}]}",
		     "constraints[1].metric: missing", NULL);
	expect_error("{\"constraints\": [{\"metric\": \"x\", \"max\": \"5\"}]}",
		     "constraints[0].max: expected a number", NULL);
	expect_error("{\"constraints\": [{\"metric\": \"x\", \"min\": 6, \"max\": 5}]}",
		     "constraints[0]: min 6 is above max 5", NULL);
	expect_error("{\"constraints\": {\"metric\": \"x\"}}", "constraints: expected an array",
		     NULL);
	CHECK(check_objective("{\"objectives\": [{\"metric\": \"val_acc\", \"mode\": \"max\"}, "
			      "{\"metric\": \"latency_ms\", \"mode\": \"min\"}]}", err) == -1);
	CHECK_CONTAINS(err, "objectives[1].metric: \"latency_ms\" is not reported by the built-in");
	CHECK(check_objective("{\"objectives\": [{\"metric\": \"val_accuracy\", \"mode\": "
			      "\"max\"}]}", err) == -1);
	CHECK_CONTAINS(err, "objectives[0].metric: \"val_accuracy\"");
	CHECK(check_objective("{\"constraints\": [{\"metric\": \"latency_ms\", \"max\": 5}]}",
			      err) == -1);
	CHECK_CONTAINS(err, "constraints[0].metric: \"latency_ms\"");
	CHECK(check_objective("{\"command\": [\"true\"], \"objectives\": [{\"metric\": \"a\", "
			      "\"mode\": \"max\"}, {\"metric\": \"b\", \"mode\": \"min\"}], "
			      "\"constraints\": [{\"metric\": \"c\", \"max\": 5}]}", err) == 0);
}


/* A pbt spec on the synthetic task bowl: pbt's keys, then extra top-level keys. */
#define PBT(pbt, extra)                                                                    \
	"{\"search\": \"pbt\", \"task\": \"bowl\", \"train\": {\"epochs\": 8}, "             \
	"\"pbt\": {" pbt "}, \"params\": {\"lr\": {\"log\": [1e-4, 1e-1]}, "                  \
	"\"layers\": {\"int\": [1, 3]}, \"beta\": 0.9}" extra "}"

static void test_pbt(void)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";
	int running, ended;

	CHECK(parse(&s, PBT("\"population\": 4, \"interval\": 2", ""), err) == 0);
	CHECK(s.search == SEARCH_PBT && s.pbt.population == 4 && s.pbt.interval == 2);
	CHECK_NEAR(s.pbt.quantile, 0.25, 0);
	CHECK_NEAR(s.pbt.resample_probability, 0.25, 0);
	CHECK_NEAR(s.pbt.perturb[0], 0.8, 0);
	CHECK_NEAR(s.pbt.perturb[1], 1.2, 0);
	CHECK(s.trials == 20 && s.pbt.generations == 0 && s.pbt.seed == s.seed);
	CHECK(s.keep_checkpoints == 1);
	/* lr is adjustable, layers structural, beta a plain value */
	CHECK(s.params[spec_param_index(&s, "lr")].explore == 1);
	CHECK(s.params[spec_param_index(&s, "layers")].explore == 0);
	CHECK(s.params[spec_param_index(&s, "beta")].explore == 0);
	spec_finish(&s);

	CHECK(parse(&s, PBT("\"population\": 3, \"interval\": 1, \"quantile\": 0.5, "
			    "\"resample_probability\": 0, \"perturb\": [0.5, 2], "
			    "\"generations\": 5, \"seed\": 9", ", \"keep_checkpoints\": \"all\""),
		    err) == 0);
	CHECK(s.pbt.quantile == 0.5 && s.pbt.resample_probability == 0 &&
	      s.pbt.perturb[0] == 0.5 && s.pbt.perturb[1] == 2 && s.pbt.generations == 5 &&
	      s.pbt.seed == 9 && s.trials == 0 && s.keep_checkpoints == SPEC_KEEP_ALL);
	spec_finish(&s);
	CHECK(parse(&s, PBT("\"population\": 2, \"interval\": 2, \"resample_probability\": 1",
			    ", \"keep_checkpoints\": \"best\", \"trials\": 2"), err) == 0);
	CHECK(s.keep_checkpoints == SPEC_KEEP_BEST && s.trials == 2);
	spec_finish(&s);
	CHECK(parse(&s, "{\"keep_checkpoints\": 3}", err) == 0);
	CHECK(s.keep_checkpoints == 3);
	spec_checkpoints_kept(&s, &running, &ended);
	CHECK(running == 5 && ended == 4); /* the latest 3, the best, the one being saved */
	s.keep_checkpoints = SPEC_KEEP_BEST;
	spec_checkpoints_kept(&s, &running, &ended);
	CHECK(running == 3 && ended == 1);
	s.keep_checkpoints = SPEC_KEEP_ALL;
	spec_checkpoints_kept(&s, &running, &ended);
	CHECK(running == 0 && ended == 0);
	spec_finish(&s);

	/* a command explores every sampled parameter, or the ones named */
	CHECK(parse(&s, "{\"search\": \"pbt\", \"command\": [\"t\", \"{a}\", \"{b}\"], "
			"\"pbt\": {\"population\": 2, \"interval\": 1}, "
			"\"params\": {\"a\": {\"int\": [1, 4]}, \"b\": {\"choice\": [1, 2]}}}",
		    err) == 0);
	CHECK(s.params[0].explore && s.params[1].explore);
	spec_finish(&s);
	CHECK(parse(&s, "{\"search\": \"pbt\", \"command\": [\"t\", \"{a}\", \"{b}\"], "
			"\"pbt\": {\"population\": 2, \"interval\": 1, \"explore\": [\"b\"]}, "
			"\"params\": {\"a\": {\"int\": [1, 4]}, \"b\": {\"choice\": [1, 2]}}}",
		    err) == 0);
	CHECK(!s.params[spec_param_index(&s, "a")].explore &&
	      s.params[spec_param_index(&s, "b")].explore);
	spec_finish(&s);
}

static void test_nsga2(void)
{
	struct spec s;
	char err[ERRBUF_LEN] = "";

	CHECK(parse(&s, "{\"search\": \"nsga2\", \"seed\": 5, \"params\": {}}", err) == 0);
	CHECK(s.search == SEARCH_NSGA2 && s.nsga2.population == 20 && s.nsga2.seed == 5);
	spec_finish(&s);
	CHECK(parse(&s, "{\"search\": \"nsga2\", \"nsga2\": {\"population\": 8, \"seed\": 2}, "
			"\"params\": {}}", err) == 0);
	CHECK(s.nsga2.population == 8 && s.nsga2.seed == 2);
	spec_finish(&s);
	expect_error("{\"search\": \"nsga2\", \"nsga2\": {\"population\": 1}}",
		     "nsga2.population", NULL);
	expect_error("{\"search\": \"nsga2\", \"nsga2\": {\"size\": 4}}",
		     "nsga2.size: unknown key", NULL);
	expect_error("{\"nsga2\": {}}", "nsga2: only for search \"nsga2\"", NULL);
}

static void test_pbt_errors(void)
{
	expect_error("{\"search\": \"pbt\"}", "pbt: missing", "population");
	expect_error("{\"pbt\": {\"population\": 4}}", "pbt: only for search \"pbt\"", "random");
	expect_error("{\"search\": \"pbt\", \"tpe\": {}}", "tpe: only for search \"tpe\"", NULL);
	expect_error("{\"search\": \"pbt\", \"pbt\": 4}", "pbt: expected an object", NULL);
	expect_error(PBT("\"interval\": 2", ""), "pbt.population: missing", NULL);
	expect_error(PBT("\"population\": 4", ""), "pbt.interval: missing", NULL);
	expect_error(PBT("\"population\": 1, \"interval\": 2", ""),
		     "pbt.population: expected an integer in [2, 100000], got 1", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 0", ""),
		     "pbt.interval: expected an integer in [1, 100000], got 0", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 1.5", ""),
		     "pbt.interval: expected an integer, got 1.5", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"quantile\": 0.6", ""),
		     "pbt.quantile: expected a number in (0, 0.5]", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"quantile\": 0", ""),
		     "pbt.quantile: expected a number in (0, 0.5]", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"resample_probability\": 1.1", ""),
		     "pbt.resample_probability: expected a number in [0, 1]", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"perturb\": [0.8]", ""),
		     "pbt.perturb: expected two factors", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"perturb\": [0.8, -1]", ""),
		     "pbt.perturb[1]: expected a number > 0", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"perturb\": \"x\"", ""),
		     "pbt.perturb: expected two factors", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"mutate\": 1", ""),
		     "pbt.mutate: unknown key", "population, interval");
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"seed\": -1", ""),
		     "pbt.seed: expected an integer", NULL);
	/* the budget */
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"generations\": 2",
			 ", \"trials\": 9"),
		     "pbt.generations: the budget is trials or pbt.generations, not both", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2", ", \"trials\": 3"),
		     "trials: 3 is fewer than the population (4)", NULL);
	expect_error(PBT("\"population\": 30, \"interval\": 2", ""),
		     "trials: the default 20 is fewer than the population (30)", NULL);
	/* epochs */
	expect_error(PBT("\"population\": 4, \"interval\": 8", ""),
		     "pbt.interval: 8 leaves no decision before the last epoch (epochs is 8)", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"generations\": 4", ""),
		     "pbt.generations: 4 decisions every 2 epochs reach epoch 8, the last", NULL);
	expect_error("{\"search\": \"pbt\", \"task\": \"bowl\", \"pbt\": {\"population\": 2, "
		     "\"interval\": 1}, \"params\": {\"lr\": {\"log\": [1e-4, 1]}, "
		     "\"epochs\": {\"int\": [5, 9]}}}",
		     "params.epochs: every member of a pbt population trains the same epochs", NULL);
	/* explore */
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"explore\": [\"layers\"]", ""),
		     "pbt.explore[0]: layers: structural (the model is built with it): a running "
		     "trial or a fork keeps its value (adjustable: batch, lr, ", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"explore\": [\"beta\"]", ""),
		     "pbt.explore[0]: params.beta is a plain value: nothing to explore", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"explore\": [\"lrr\"]", ""),
		     "pbt.explore[0]: no parameter named \"lrr\"", "did you mean \"lr\"");
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"explore\": []", ""),
		     "pbt.explore: expected a non-empty array", NULL);
	expect_error(PBT("\"population\": 4, \"interval\": 2, \"explore\": [3]", ""),
		     "pbt.explore[0]: expected a parameter name", NULL);
	expect_error("{\"search\": \"pbt\", \"task\": \"bowl\", \"pbt\": {\"population\": 2, "
		     "\"interval\": 1}, \"params\": {\"layers\": {\"int\": [1, 3]}}}",
		     "pbt: no parameter to explore: sample one in params among the adjustable",
		     "lr");
	/* keep_checkpoints, for any search */
	expect_error("{\"keep_checkpoints\": 0}", "keep_checkpoints: expected \"all\", \"best\"",
		     NULL);
	expect_error("{\"keep_checkpoints\": \"latest\"}", "keep_checkpoints: expected", NULL);
	expect_error("{\"keep_checkpoints\": 1.5}", "keep_checkpoints: expected", NULL);
	expect_error("{\"search\": \"bayes\"}", "search: expected \"random\", \"grid\"",
		     "\"pbt\" or \"nsga2\"");
}

/* Which names adjust, fork and pbt may change: caviard refuses what the
 * built-in worker's task would refuse, a name at a time, before any trial
 * hears of it. */
static void test_check_adjust(void)
{
	struct spec s;
	char err[ERRBUF_LEN];

	CHECK(parse(&s, "{\"params\": {\"lr\": {\"log\": [1e-4, 1e-1]}, \"x1\": "
			"{\"uniform\": [0, 1]}, \"units\": {\"int\": [8, 64]}}}", err) == 0);
	CHECK(spec_task(&s) == HP_TASK_MLP);
	CHECK(spec_check_adjust(&s, "lr", SPEC_CHANGE_RUNNING, err, sizeof err) == 0);
	CHECK(spec_check_adjust(&s, "units", SPEC_CHANGE_RUNNING, err, sizeof err) < 0);
	CHECK_STR(err, "units: structural (the model is built with it): a running trial or a "
		  "fork keeps its value");
	CHECK(spec_check_adjust(&s, "units", SPEC_CHANGE_FORK, err, sizeof err) < 0);
	CHECK(spec_check_adjust(&s, "x1", SPEC_CHANGE_RUNNING, err, sizeof err) < 0);
	CHECK_STR(err, "x1: not read by task mlp: a running trial or a fork keeps its value");
	CHECK(spec_check_adjust(&s, "epochs", SPEC_CHANGE_FORK, err, sizeof err) == 0);
	CHECK(spec_check_adjust(&s, "epochs", SPEC_CHANGE_RUNNING, err, sizeof err) < 0);
	CHECK(spec_check_adjust(&s, "frobs", SPEC_CHANGE_FORK, err, sizeof err) < 0);
	CHECK_STR(err, "frobs: not a hyperparameter of the built-in worker");
	spec_finish(&s);

	/* a test function reads its coordinates */
	CHECK(parse(&s, "{\"task\": \"branin\", \"objective\": {\"metric\": \"val_loss\"}, "
			"\"params\": {\"x1\": {\"uniform\": [-5, 10]}}}", err) == 0);
	CHECK(spec_task(&s) == HP_TASK_BRANIN);
	CHECK(spec_check_adjust(&s, "x1", SPEC_CHANGE_RUNNING, err, sizeof err) == 0);
	spec_finish(&s);

	/* a command's: "steer" alone decides, a name it does not sample is its own */
	CHECK(parse(&s, "{\"command\": [\"train\"], \"params\": {\"units\": {\"int\": [1, 9]}, "
			"\"width\": {\"choice\": [64, 128], \"steer\": false}}}", err) == 0);
	CHECK(spec_check_adjust(&s, "units", SPEC_CHANGE_RUNNING, err, sizeof err) == 0);
	CHECK(spec_check_adjust(&s, "anything", SPEC_CHANGE_RUNNING, err, sizeof err) == 0);
	CHECK(spec_check_adjust(&s, "width", SPEC_CHANGE_FORK, err, sizeof err) < 0);
	CHECK_STR(err, "width: \"steer\": false in the spec (structural): a running trial or a "
		  "fork keeps its value");
	spec_finish(&s);
}

/* What adjust and fork may set: the worker's rules for the built-in worker;
 * for any trial, the spec's kinds, ranges (unless forced) and "steer". */
static void test_check_change(void)
{
	struct spec s;
	char err[ERRBUF_LEN];
	cJSON *v;

	CHECK(parse(&s, "{\"params\": {\"lr\": {\"log\": [1e-4, 1e-1]}, \"optimizer\": "
			"{\"choice\": [\"adam\", \"sgd\"]}, \"batch\": {\"int\": [16, 256]}, "
			"\"layers\": {\"int\": [1, 4]}}}",
		    err) == 0);
	v = cJSON_CreateNumber(0.5);
	CHECK(spec_check_change(&s, "lr", v, SPEC_CHANGE_RUNNING, 0, err, sizeof err) < 0);
	CHECK_STR(err, "lr: 0.5 is outside the spec's range [0.0001, 0.1] (--force to set it "
		  "anyway)");
	CHECK(spec_check_change(&s, "lr", v, SPEC_CHANGE_RUNNING, 1, err, sizeof err) == 0);
	CHECK(spec_check_change(&s, "frobs", v, SPEC_CHANGE_RUNNING, 0, err, sizeof err) < 0);
	CHECK_STR(err, "frobs: not a hyperparameter of the built-in worker");
	CHECK(spec_check_change(&s, "batch", v, SPEC_CHANGE_RUNNING, 0, err, sizeof err) < 0);
	CHECK_CONTAINS(err, "batch: ");
	cJSON_SetNumberValue(v, 2);
	CHECK(spec_check_change(&s, "layers", v, SPEC_CHANGE_RUNNING, 1, err, sizeof err) < 0);
	CHECK_STR(err, "layers: structural (the model is built with it): a running trial or a "
		  "fork keeps its value");
	CHECK(spec_check_change(&s, "epochs", v, SPEC_CHANGE_FORK, 0, err, sizeof err) == 0);
	/* a fork's length, not a running trial's */
	CHECK(spec_check_change(&s, "epochs", v, SPEC_CHANGE_RUNNING, 0, err, sizeof err) < 0);
	CHECK_STR(err, "epochs: a running trial trains as long as it started to (a fork may set "
		  "its own)");
	cJSON_SetNumberValue(v, -1);
	CHECK(spec_check_change(&s, "lr", v, SPEC_CHANGE_RUNNING, 1, err, sizeof err) < 0);
	CHECK_STR(err, "lr: expected a number > 0, got -1");
	cJSON_Delete(v);
	v = cJSON_CreateString("momentum");
	CHECK(spec_check_change(&s, "optimizer", v, SPEC_CHANGE_RUNNING, 0, err, sizeof err) < 0);
	CHECK_STR(err, "optimizer: structural (the model is built with it): a running trial or "
		  "a fork keeps its value");
	cJSON_Delete(v);
	spec_finish(&s);
	expect_error("{\"params\": {\"layers\": {\"int\": [1, 4], \"steer\": true}}}",
		     "params.layers.steer: layers is structural in the built-in worker", "");

	/* a command's parameters: the same checks, from the spec alone */
	CHECK(parse(&s, "{\"command\": [\"train\"], \"params\": {\"x\": {\"int\": [1, 9]}, "
			"\"lr\": {\"log\": [1e-4, 1e-1]}, \"mom\": {\"reverse_log\": [0.5, 0.99]}, "
			"\"width\": {\"choice\": [64, 128], \"steer\": false}, "
			"\"act\": {\"choice\": [\"relu\", \"tanh\"]}}}", err) == 0);
	v = cJSON_CreateString("gelu");
	CHECK(spec_check_change(&s, "act", v, SPEC_CHANGE_RUNNING, 1, err, sizeof err) < 0);
	CHECK_STR(err, "act: not one of the spec's choices");
	cJSON_Delete(v);
	v = cJSON_CreateNumber(2.5);
	CHECK(spec_check_change(&s, "x", v, SPEC_CHANGE_RUNNING, 0, err, sizeof err) < 0);
	CHECK_STR(err, "x: expected a whole number");
	/* a name the spec does not know is the program's to refuse */
	CHECK(spec_check_change(&s, "anything", v, SPEC_CHANGE_RUNNING, 0, err, sizeof err) == 0);
	cJSON_SetNumberValue(v, -1);
	CHECK(spec_check_change(&s, "lr", v, SPEC_CHANGE_RUNNING, 1, err, sizeof err) < 0);
	CHECK_STR(err, "lr: expected a number > 0 (a log parameter), got -1");
	CHECK(spec_check_change(&s, "mom", v, SPEC_CHANGE_RUNNING, 1, err, sizeof err) < 0);
	CHECK_STR(err, "mom: expected a number in (0, 1) (a reverse_log parameter), got -1");
	cJSON_SetNumberValue(v, 0.2);
	CHECK(spec_check_change(&s, "lr", v, SPEC_CHANGE_RUNNING, 0, err, sizeof err) < 0);
	CHECK_CONTAINS(err, "lr: 0.2 is outside the spec's range");
	CHECK(spec_check_change(&s, "lr", v, SPEC_CHANGE_RUNNING, 1, err, sizeof err) == 0);
	cJSON_SetNumberValue(v, 128);
	CHECK(spec_check_change(&s, "width", v, SPEC_CHANGE_RUNNING, 1, err, sizeof err) < 0);
	CHECK_STR(err, "width: \"steer\": false in the spec (structural): a running trial or a "
		  "fork keeps its value");
	cJSON_Delete(v);
	v = cJSON_CreateString("fast");
	CHECK(spec_check_change(&s, "x", v, SPEC_CHANGE_RUNNING, 1, err, sizeof err) < 0);
	CHECK_STR(err, "x: expected a number (a int parameter)");
	cJSON_Delete(v);
	spec_finish(&s);
}

/* The pbt spec text parses, and by default explores yes but not no. */
static void check_explored(const char *text, const char *yes, const char *no)
{
	struct spec s;
	char err[ERRBUF_LEN];

	CHECK(parse(&s, text, err) == 0);
	CHECK(s.params[spec_param_index(&s, yes)].explore == 1);
	CHECK(s.params[spec_param_index(&s, no)].explore == 0);
	spec_finish(&s);
}

/* pbt explores the steerable parameters only: by default, and when named;
 * for the built-in worker, what a running trial may change (not x1 of mlp). */
static void test_explore_steer(void)
{
	check_explored("{\"command\": [\"train\"], \"search\": \"pbt\", \"trials\": 8, "
		       "\"pbt\": {\"population\": 4, \"interval\": 2}, \"params\": {"
		       "\"lr\": {\"log\": [1e-4, 1e-1]}, "
		       "\"width\": {\"choice\": [64, 128], \"steer\": false}}}", "lr", "width");
	check_explored("{\"search\": \"pbt\", \"trials\": 8, \"train\": {\"epochs\": 8}, "
		       "\"pbt\": {\"population\": 4, \"interval\": 2}, \"params\": {\"lr\": "
		       "{\"log\": [1e-4, 1e-1]}, \"x1\": {\"uniform\": [0, 1]}}}", "lr", "x1");
	expect_error("{\"command\": [\"train\"], \"search\": \"pbt\", \"trials\": 8, "
		     "\"pbt\": {\"population\": 4, \"interval\": 2, \"explore\": [\"width\"]}, "
		     "\"params\": {\"width\": {\"choice\": [64, 128], \"steer\": false}}}",
		     "pbt.explore[0]: width: \"steer\": false in the spec (structural): a running "
		     "trial or a fork keeps its value", "");
}

/* "env": literal strings for a command's trials; caviard's own names refused. */
static void test_env(void)
{
	struct spec s;
	char err[ERRBUF_LEN];

	CHECK(parse(&s, "{\"command\": [\"train\"], \"env\": {\"PYTHONPATH\": \"/src\", "
			"\"_X1\": \"{not a placeholder}\"}}", err) == 0);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(s.env, "PYTHONPATH")->valuestring, "/src");
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(s.env, "_X1")->valuestring, "{not a placeholder}");
	spec_finish(&s);
	expect_error("{\"command\": [\"train\"], \"env\": [\"A=1\"]}", "env: expected an object", NULL);
	expect_error("{\"command\": [\"train\"], \"env\": {\"A\": 1}}", "env.A: expected a string", NULL);
	expect_error("{\"command\": [\"train\"], \"env\": {\"1A\": \"x\"}}",
		     "env: \"1A\": not a variable name", NULL);
	expect_error("{\"command\": [\"train\"], \"env\": {\"A=B\": \"x\"}}",
		     "env: \"A=B\": not a variable name", NULL);
	expect_error("{\"command\": [\"train\"], \"env\": {\"CAVIAR_PARAMS\": \"{}\"}}",
		     "env.CAVIAR_PARAMS: set by caviard for every trial", NULL);
	expect_error("{\"command\": [\"train\"], \"env\": {\"OMP_NUM_THREADS\": \"4\"}}",
		     "env.OMP_NUM_THREADS: set by caviard", "threads");
	expect_error("{\"env\": {\"A\": \"x\"}}", "env: only for a command trial", NULL);
	expect_error("{\"command\": [\"train\"], \"envs\": {}}", "did you mean \"env\"", NULL);
}

/* The man page's text (malloc'd), or NULL. */
static char *read_man(void)
{
	const char *path = getenv("CAVIAR_SPEC_MAN");
	FILE *f = path ? fopen(path, "r") : NULL;
	char *text = NULL;
	long n;

	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		text = xmalloc((size_t)n + 1);
		text[fread(text, 1, (size_t)n, f)] = '\0';
	}
	if (f)
		fclose(f);
	return text;
}

/* The entry headings of the page's section "# NAME": the lines in it that
 * start with '*' at column 0, joined (malloc'd; empty when there is none). */
static char *man_headings(const char *page, const char *name)
{
	char mark[64], *out = xcalloc(strlen(page) + 1, 1);
	const char *p, *end;

	snprintf(mark, sizeof mark, "\n# %s\n", name);
	if (!(p = strstr(page, mark)))
		return out;
	p += strlen(mark);
	end = strstr(p, "\n# ");
	for (; p && *p && (!end || p < end); p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (*p == '*')
			strncat(out, p, strcspn(p, "\n") + 1);
	return out;
}

/* The body of the entry whose heading line is exactly "*name*": its indented
 * lines (malloc'd; empty when there is no such entry). */
static char *man_entry(const char *page, const char *name)
{
	char mark[64];
	const char *p, *q;

	snprintf(mark, sizeof mark, "\n*%s*\n", name);
	if (!(p = strstr(page, mark)))
		return xstrdup("");
	p += strlen(mark);
	for (q = p; *q == '\t'; q = strchr(q, '\n'), q = q ? q + 1 : p + strlen(p))
		;
	return xstrndup(p, (size_t)(q - p));
}

/* Whether "*word*" (scdoc's bold) appears in text. */
static int bold(const char *text, const char *word)
{
	char mark[64];

	snprintf(mark, sizeof mark, "*%s*", word);
	return strstr(text, mark) != NULL;
}

static void test_man_page(void)
{
	const struct hparam *task = hparam_find(hparams, n_hparams, "task");
	char *page = read_man(), *keys, *searches, *tasks;

	CHECK(page != NULL);
	if (!page)
		return;
	keys = man_headings(page, "KEYS");
	searches = man_headings(page, "SEARCH");
	tasks = man_entry(page, "task");
	for (const char *const *k = spec_top_keys(); *k; k++)
		if (!bold(keys, *k)) {
			fprintf(stderr, "caviar-spec(5) KEYS: no entry for \"%s\"\n", *k);
			CHECK(bold(keys, *k));
		}
	for (int i = 0; spec_search_name((enum spec_search)i); i++)
		if (!bold(searches, spec_search_name((enum spec_search)i))) {
			fprintf(stderr, "caviar-spec(5) SEARCH: no entry for \"%s\"\n",
				spec_search_name((enum spec_search)i));
			CHECK(bold(searches, spec_search_name((enum spec_search)i)));
		}
	CHECK(task && task->choices);
	for (const char *const *t = task ? task->choices : NULL; t && *t; t++)
		if (!bold(tasks, *t)) {
			fprintf(stderr, "caviar-spec(5) *task*: does not name \"%s\"\n", *t);
			CHECK(bold(tasks, *t));
		}
	free(keys);
	free(searches);
	free(tasks);
	free(page);
}

/* Each parameter of the example is named by the key it was written with:
 * spec_kind_name is the list the parsing reads. */
static void test_kind_names(void)
{
	static const char *const written[] = {"log", "reverse_log", "int", "log_int", "choice"};
	struct spec s;
	char err[ERRBUF_LEN] = "";

	CHECK(parse(&s, example, err) == 0);
	for (int i = 0; i < 5; i++) {
		int k = spec_param_index(&s, (const char *[]){"lr", "beta", "layers", "units",
							     "batch"}[i]);

		CHECK(k >= 0);
		if (k >= 0)
			CHECK_STR(spec_kind_name(s.params[k].kind), written[i]);
	}
	CHECK_STR(spec_kind_name(PARAM_UNIFORM), "uniform");
	CHECK_STR(spec_kind_name(PARAM_FIXED), "fixed");
	CHECK(spec_kind_name(PARAM_CHOICE + 1) == NULL);
	spec_finish(&s);
}

/* The axis each kind is drawn on: log_int on a log axis like log, a plain
 * value and a uniform one on a linear one. */
static void test_kind_scales(void)
{
	static const char *const drawn[] = {"linear", "linear", "int", "log", "log", "reverse_log",
					    "choice"};

	for (int k = PARAM_FIXED; k <= PARAM_CHOICE; k++)
		CHECK_STR(spec_kind_scale((enum param_kind)k), drawn[k]);
	CHECK(spec_kind_scale(PARAM_CHOICE + 1) == NULL);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"example", test_example},
		{"kind_scales", test_kind_scales},
		{"defaults", test_defaults},
		{"conditions_order", test_conditions_order},
		{"syntax_errors", test_syntax_errors},
		{"top_level_errors", test_top_level_errors},
		{"budget", test_budget},
		{"data_train_errors", test_data_train_errors},
		{"param_errors", test_param_errors},
		{"objective_metric", test_objective_metric},
		{"objectives", test_objectives},
		{"pbt", test_pbt},
		{"pbt_errors", test_pbt_errors},
		{"check_adjust", test_check_adjust},
		{"nsga2", test_nsga2},
		{"check_change", test_check_change},
		{"explore_steer", test_explore_steer},
		{"env", test_env},
		{"man_page", test_man_page},
		{"kind_names", test_kind_names},
		{0},
	};

	return test_main(argc, argv, cases);
}
