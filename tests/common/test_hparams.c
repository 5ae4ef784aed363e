/* test_hparams: the tables are consistent (unique names, every default valid),
 * hparam_check's messages, typed reads with defaults, and the choice lists
 * read as their enums. */
#include <stdlib.h>

#include "errbuf.h"
#include "hparams.h"
#include "test.h"

/* A default given as text, as the JSON value it stands for. */
static cJSON *default_value(const struct hparam *h)
{
	if (h->type == HP_STRING)
		return cJSON_CreateString(h->def);
	return cJSON_Parse(h->def);
}

static void check_table(const struct hparam *table, size_t n)
{
	char err[ERRBUF_LEN];

	for (size_t i = 0; i < n; i++) {
		const struct hparam *h = &table[i];

		CHECK(h->doc && h->doc[0]);
		CHECK(hparam_find(table, n, h->name) == h); /* names unique */
		CHECK((h->def == NULL) == ((h->flags & HP_NO_DEFAULT) != 0));
		if (h->def) {
			cJSON *v = default_value(h);
			int rc = hparam_check(h, v, err, sizeof err);

			if (rc != 0)
				fprintf(stderr, "  default of %s: %s\n", h->name, err);
			CHECK(rc == 0);
			cJSON_Delete(v);
		}
	}
}

static void test_tables(void)
{
	check_table(hparams, n_hparams);
	check_table(data_keys, n_data_keys);
	CHECK(hparam_find(hparams, n_hparams, "lr") != NULL);
	CHECK(hparam_find(hparams, n_hparams, "alpha") == NULL);
	CHECK(hparam_find(data_keys, n_data_keys, "dataset") != NULL);
	CHECK(hparam_find(data_keys, n_data_keys, "lr") == NULL);
}

/* hparam_check of name on JSON text: expect ok (needle NULL) or a message. */
static void check(const char *name, const char *json, const char *needle)
{
	const struct hparam *h = hparam_find(hparams, n_hparams, name);
	cJSON *v = cJSON_Parse(json);
	char err[ERRBUF_LEN] = "";
	int rc = hparam_check(h, v, err, sizeof err);

	if (!needle) {
		if (rc != 0)
			fprintf(stderr, "  %s = %s rejected: %s\n", name, json, err);
		CHECK(rc == 0);
	} else {
		CHECK(rc == -1);
		CHECK_CONTAINS(err, needle);
	}
	cJSON_Delete(v);
}

static void test_check(void)
{
	check("lr", "0.01", NULL);
	check("lr", "0", "expected a number > 0, got 0");
	check("lr", "-1", "expected a number > 0, got -1");
	check("lr", "\"0.1\"", "expected a number");
	check("layers", "2.5", "expected an integer, got 2.5");
	check("layers", "0", NULL);
	check("epochs", "0", "expected a number in [1, 100000], got 0");
	check("beta", "1", "expected a number in [0, 1), got 1");
	check("beta", "0.999", NULL);
	check("dropout", "0", NULL);
	check("batch_norm", "false", NULL);
	check("batch_norm", "\"yes\"", "expected true or false");
	check("optimizer", "\"adam\"", NULL);
	check("optimizer", "\"sgd\"", NULL);
	check("optimizer", "\"ada\"", "expected one of sgd|momentum|rmsprop|adam, got \"ada\"");
	check("optimizer", "\"adamw\"", "expected one of");
	check("optimizer", "3", "expected a string");
	check("checkpoint", "\"/tmp/x\"", NULL);
	check("hidden", "[256, 128]", NULL);
	check("hidden", "[]", "expected a non-empty array");
	check("hidden", "[64, 0]", "expected a number in [1, 1e+06], got 0");
	check("hidden", "64", "expected a non-empty array");
}

static void test_reads(void)
{
	cJSON *cfg = cJSON_Parse("{\"lr\": 0.5, \"batch_norm\": false, \"optimizer\": \"sgd\", "
				 "\"epochs\": null}");

	CHECK(HP_NUM(NULL, "lr") == 0.001);
	CHECK(HP_NUM(cfg, "lr") == 0.5);
	CHECK(HP_NUM(cfg, "epochs") == 10); /* null means the default */
	CHECK(HP_NUM(cfg, "eps") == 1e-8);
	CHECK(HP_BOOL(NULL, "batch_norm") == 1);
	CHECK(HP_BOOL(cfg, "batch_norm") == 0);
	CHECK_STR(HP_STR(NULL, "optimizer"), "adam");
	CHECK_STR(HP_STR(cfg, "optimizer"), "sgd");
	CHECK(HP_STR(cfg, "checkpoint") == NULL);
	CHECK_STR(hp_string(data_keys, n_data_keys, NULL, "dataset"), "fashion-mnist");
	CHECK(hp_number(data_keys, n_data_keys, NULL, "val_fraction") == 0.1);
	cJSON_Delete(cfg);
}

/* Every choice row lists as many names as its enum has values, none twice,
 * and its default among them. */
static void check_choices(const struct hparam *table, size_t n, const char *name, int count)
{
	const struct hparam *h = hparam_find(table, n, name);
	int i = 0;

	CHECK(h && h->type == HP_STRING && h->choices);
	if (!h || !h->choices)
		return;
	for (; h->choices[i]; i++)
		CHECK(hparam_choice(h, h->choices[i]) == i);
	CHECK(i == count);
	CHECK(hparam_choice(h, h->def) >= 0);
}

static void test_choices(void)
{
	const struct hparam *opt = hparam_find(hparams, n_hparams, "optimizer");
	cJSON *cfg = cJSON_Parse("{\"optimizer\": \"rmsprop\", \"activation\": \"tanh\", "
				 "\"decay_schedule\": \"step\", \"task\": \"bowl\", "
				 "\"data\": {\"dataset\": \"csv\"}}");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(cfg, "data");

	check_choices(hparams, n_hparams, "task", HP_N_TASK);
	check_choices(hparams, n_hparams, "optimizer", HP_N_OPTIMIZER);
	check_choices(hparams, n_hparams, "activation", HP_N_ACTIVATION);
	check_choices(hparams, n_hparams, "decay_schedule", HP_N_DECAY_SCHEDULE);
	check_choices(data_keys, n_data_keys, "dataset", HP_N_DATASET);
	/* the enums name the values they stand for */
	CHECK(hparam_choice(opt, "sgd") == HP_OPTIMIZER_SGD);
	CHECK(hparam_choice(opt, "momentum") == HP_OPTIMIZER_MOMENTUM);
	CHECK(hparam_choice(opt, "adam") == HP_OPTIMIZER_ADAM);
	CHECK(HP_CHOICE(cfg, "optimizer") == HP_OPTIMIZER_RMSPROP);
	CHECK(HP_CHOICE(cfg, "activation") == HP_ACTIVATION_TANH);
	CHECK(HP_CHOICE(NULL, "activation") == HP_ACTIVATION_RELU);
	CHECK(HP_CHOICE(cfg, "decay_schedule") == HP_DECAY_STEP);
	CHECK(HP_CHOICE(NULL, "decay_schedule") == HP_DECAY_INVERSE_TIME);
	CHECK(HP_CHOICE(cfg, "task") == HP_TASK_BOWL);
	CHECK(HP_CHOICE(NULL, "task") == HP_TASK_MLP);
	CHECK(hp_choice(data_keys, n_data_keys, data, "dataset") == HP_DATASET_CSV);
	CHECK(hp_choice(data_keys, n_data_keys, NULL, "dataset") == HP_DATASET_FASHION_MNIST);
	/* not a value of the list, or not a list */
	CHECK(hparam_choice(opt, "adamw") == -1);
	CHECK(hparam_choice(opt, "sgd|momentum") == -1);
	CHECK(hparam_choice(opt, "") == -1);
	CHECK(hparam_choice(opt, NULL) == -1);
	CHECK(HP_CHOICE(cfg, "lr") == -1);
	CHECK(HP_CHOICE(cfg, "checkpoint") == -1);
	check("optimizer", "\"sgd|momentum\"", "expected one of sgd|momentum|rmsprop|adam");
	check("decay_schedule", "\"linear\"",
	      "expected one of inverse_time|exponential|step, got \"linear\"");
	cJSON_Delete(cfg);
}

/* The one list of what may change while training: task mlp reads the
 * adjustable rows but the test functions' coordinates, which a test
 * function reads; the rest (and an unknown name) are structural. */
static void test_adjust(void)
{
	static const char *const mlp_reads[] = {"lr", "lr_decay", "beta", "beta1", "beta2",
						"eps", "l2", "dropout", "batch"};
	int n = 0;

	for (size_t i = 0; i < n_hparams; i++)
		n += hparam_adjust(&hparams[i], HP_TASK_MLP) == HP_ADJUST_OK;
	CHECK(n == (int)(sizeof mlp_reads / sizeof mlp_reads[0]));
	for (size_t i = 0; i < sizeof mlp_reads / sizeof mlp_reads[0]; i++)
		CHECK(hparam_adjust(hparam_find(hparams, n_hparams, mlp_reads[i]), HP_TASK_MLP) ==
		      HP_ADJUST_OK);
	CHECK(hparam_adjust(hparam_find(hparams, n_hparams, "x1"), HP_TASK_MLP) ==
	      HP_ADJUST_NOT_READ);
	CHECK(hparam_adjust(hparam_find(hparams, n_hparams, "x1"), HP_TASK_BRANIN) == HP_ADJUST_OK);
	CHECK(hparam_adjust(hparam_find(hparams, n_hparams, "units"), HP_TASK_MLP) ==
	      HP_ADJUST_STRUCTURAL);
	CHECK(hparam_adjust(hparam_find(hparams, n_hparams, "epochs"), HP_TASK_BOWL) ==
	      HP_ADJUST_STRUCTURAL);
	CHECK(hparam_adjust(NULL, HP_TASK_MLP) == HP_ADJUST_STRUCTURAL);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"tables", test_tables},
		{"check", test_check},
		{"reads", test_reads},
		{"choices", test_choices},
		{"adjust", test_adjust},
		{0},
	};

	return test_main(argc, argv, cases);
}
