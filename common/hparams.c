/* hparams: the tables of worker hyperparameters and data keys, and typed
 * access to configurations through them (see hparams.h). */
#include "hparams.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

#define BIG 1e300

/* The choice lists, the one place their names are written (see hparams.h). */
static const char *const tasks[HP_N_TASK + 1] = {
	[HP_TASK_MLP] = "mlp", [HP_TASK_TRIVIAL] = "trivial", [HP_TASK_BOWL] = "bowl",
	[HP_TASK_NARROW] = "narrow", [HP_TASK_BRANIN] = "branin",
	[HP_TASK_HARTMANN6] = "hartmann6", [HP_TASK_ROSENBROCK] = "rosenbrock",
	[HP_TASK_COND] = "cond", [HP_TASK_DRIFT] = "drift",
};
static const char *const optimizers[HP_N_OPTIMIZER + 1] = {
	[HP_OPTIMIZER_SGD] = "sgd", [HP_OPTIMIZER_MOMENTUM] = "momentum",
	[HP_OPTIMIZER_RMSPROP] = "rmsprop", [HP_OPTIMIZER_ADAM] = "adam",
};
static const char *const activations[HP_N_ACTIVATION + 1] = {
	[HP_ACTIVATION_RELU] = "relu", [HP_ACTIVATION_TANH] = "tanh",
};
static const char *const decay_schedules[HP_N_DECAY_SCHEDULE + 1] = {
	[HP_DECAY_INVERSE_TIME] = "inverse_time", [HP_DECAY_EXPONENTIAL] = "exponential",
	[HP_DECAY_STEP] = "step",
};
static const char *const datasets[HP_N_DATASET + 1] = {
	[HP_DATASET_FASHION_MNIST] = "fashion-mnist", [HP_DATASET_IDX] = "idx",
	[HP_DATASET_CSV] = "csv",
};

/* A test function's coordinate xN: adjustable, read by the test functions only. */
#define TESTFN_COORD(n)                                                                  \
	{"x" #n, HP_FLOAT, "0", -BIG, BIG, HP_ADJUSTABLE | HP_TESTFN, NULL,                \
	 "test-function tasks: coordinate " #n}

const struct hparam hparams[] = {
	{"task", HP_STRING, "mlp", 0, 0, 0, tasks,
	 "what to train: the MLP on the data set, or a synthetic task with a known optimum"},
	{"epochs", HP_INT, "10", 1, 100000, 0, NULL, "passes over the training set"},
	{"batch", HP_INT, "64", 1, 1e9, HP_ADJUSTABLE, NULL,
	 "mini-batch size; the last partial batch is used"},
	{"lr", HP_FLOAT, "0.001", 0, BIG, HP_MIN_OPEN | HP_ADJUSTABLE, NULL,
	 "initial learning rate alpha0"},
	{"optimizer", HP_STRING, "adam", 0, 0, 0, optimizers,
	 "update rule"},
	{"beta", HP_FLOAT, "0.9", 0, 1, HP_MAX_OPEN | HP_ADJUSTABLE, NULL,
	 "momentum: v = beta*v + (1-beta)*dW"},
	{"beta1", HP_FLOAT, "0.9", 0, 1, HP_MAX_OPEN | HP_ADJUSTABLE, NULL,
	 "adam: first-moment decay"},
	{"beta2", HP_FLOAT, "0.999", 0, 1, HP_MAX_OPEN | HP_ADJUSTABLE, NULL,
	 "adam and rmsprop: second-moment decay"},
	{"eps", HP_FLOAT, "1e-8", 0, BIG, HP_MIN_OPEN | HP_ADJUSTABLE, NULL,
	 "adam and rmsprop: epsilon"},
	{"layers", HP_INT, "2", 0, 1000, 0, NULL, "number of hidden layers (with units)"},
	{"units", HP_INT, "128", 1, 1e6, 0, NULL, "units per hidden layer (with layers)"},
	{"hidden", HP_INT_LIST, NULL, 1, 1e6, HP_NO_DEFAULT, NULL,
	 "explicit hidden layer sizes, e.g. [256, 128]; overrides layers and units"},
	{"activation", HP_STRING, "relu", 0, 0, 0, activations,
	 "hidden activation; He init for relu, Xavier for tanh"},
	{"batch_norm", HP_BOOL, "true", 0, 0, 0, NULL,
	 "batch normalization before each hidden activation (layers then have no bias)"},
	{"bn_momentum", HP_FLOAT, "0.9", 0, 1, HP_MAX_OPEN, NULL,
	 "running mean/var: r = m*r + (1-m)*batch (PyTorch's momentum 0.1)"},
	{"bn_eps", HP_FLOAT, "1e-5", 0, BIG, HP_MIN_OPEN, NULL, "batch norm epsilon"},
	{"l2", HP_FLOAT, "0", 0, BIG, HP_ADJUSTABLE, NULL,
	 "L2 weight decay on weights (not on biases, gamma, beta)"},
	{"dropout", HP_FLOAT, "0", 0, 1, HP_MAX_OPEN | HP_ADJUSTABLE, NULL,
	 "inverted dropout rate on hidden activations"},
	{"lr_decay", HP_FLOAT, "0", 0, BIG, HP_ADJUSTABLE, NULL,
	 "decay rate; 0 keeps the learning rate constant"},
	{"decay_schedule", HP_STRING, "inverse_time", 0, 0, 0,
	 decay_schedules,
	 "inverse_time: lr0/(1+d*epoch); exponential: lr0*d^epoch; step: lr0*d^floor(epoch/decay_steps)"},
	{"decay_steps", HP_INT, "1", 1, 1e9, 0, NULL, "step schedule: epochs between decays"},
	{"report_every", HP_INT, "0", 0, 1e9, 0, NULL,
	 "also report train_loss every N steps between epoch records (0: epochs only)"},
	{"threads", HP_INT, "1", 1, 1024, 0, NULL, "OpenBLAS threads for this trial"},
	{"seed", HP_INT, "0", 0, 9007199254740991.0, 0, NULL,
	 "trial seed (set by the daemon from the sweep's seed)"},
	{"epoch_ms", HP_INT, "0", 0, 3600000, 0, NULL,
	 "synthetic tasks: milliseconds each epoch takes"},
	TESTFN_COORD(1), TESTFN_COORD(2), TESTFN_COORD(3),
	TESTFN_COORD(4), TESTFN_COORD(5), TESTFN_COORD(6),
	{"checkpoint", HP_STRING, NULL, 0, 0, HP_NO_DEFAULT, NULL,
	 "checkpoint file: saved after every epoch, resumed from when present"},
	{"fork_from", HP_STRING, NULL, 0, 0, HP_NO_DEFAULT, NULL,
	 "another trial's checkpoint file to start from while `checkpoint` does not exist"},
	{"keep_epochs", HP_BOOL, "false", 0, 0, 0, NULL,
	 "also keep each epoch's checkpoint as CHECKPOINT.epoch-K"},
};
const size_t n_hparams = sizeof hparams / sizeof hparams[0];

const struct hparam data_keys[] = {
	{"dataset", HP_STRING, "fashion-mnist", 0, 0, 0, datasets,
	 "fashion-mnist (Debian's dataset-fashion-mnist), any IDX pair, or CSV"},
	{"dir", HP_STRING, "/usr/share/datasets/fashion-mnist", 0, 0, 0, NULL,
	 "fashion-mnist: directory of the four IDX files (.gz or raw)"},
	{"train_images", HP_STRING, NULL, 0, 0, HP_NO_DEFAULT, NULL, "idx: training images file"},
	{"train_labels", HP_STRING, NULL, 0, 0, HP_NO_DEFAULT, NULL, "idx: training labels file"},
	{"test_images", HP_STRING, NULL, 0, 0, HP_NO_DEFAULT, NULL, "idx: test images file"},
	{"test_labels", HP_STRING, NULL, 0, 0, HP_NO_DEFAULT, NULL, "idx: test labels file"},
	{"train_csv", HP_STRING, NULL, 0, 0, HP_NO_DEFAULT, NULL,
	 "csv: training file, label in the first column, numeric features after"},
	{"test_csv", HP_STRING, NULL, 0, 0, HP_NO_DEFAULT, NULL, "csv: test file (optional)"},
	{"train_limit", HP_INT, "0", 0, 1e9, 0, NULL,
	 "use only the first N training examples (0: all)"},
	{"test_limit", HP_INT, "0", 0, 1e9, 0, NULL, "use only the first N test examples (0: all)"},
	{"val_fraction", HP_FLOAT, "0.1", 0, 1, HP_MAX_OPEN, NULL,
	 "fraction of the training set held out for validation"},
	{"cache_dir", HP_STRING, NULL, 0, 0, HP_NO_DEFAULT, NULL,
	 "where the decoded data set is cached (default $CAVIAR_CACHE_DIR or ~/.cache/caviar)"},
};
const size_t n_data_keys = sizeof data_keys / sizeof data_keys[0];

const struct hparam *hparam_find(const struct hparam *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

enum hp_adjust hparam_adjust(const struct hparam *h, int task)
{
	if (!h || !(h->flags & HP_ADJUSTABLE))
		return HP_ADJUST_STRUCTURAL;
	if (task == HP_TASK_MLP && (h->flags & HP_TESTFN))
		return HP_ADJUST_NOT_READ;
	return HP_ADJUST_OK;
}

int hparam_course_rank(const char *name)
{
	static const struct {
		const char *name;
		int rank;
	} course[] = {
		{"lr", 1},     {"beta", 2},     {"units", 2}, {"hidden", 2}, {"batch", 2},
		{"layers", 3}, {"lr_decay", 3}, {"beta1", 4}, {"beta2", 4},  {"eps", 4},
	};

	for (size_t i = 0; i < sizeof course / sizeof course[0]; i++)
		if (strcmp(course[i].name, name) == 0)
			return course[i].rank;
	return 0;
}

int hparam_choice(const struct hparam *h, const char *s)
{
	if (!h || !h->choices || !s)
		return -1;
	for (int i = 0; h->choices[i]; i++)
		if (strcmp(h->choices[i], s) == 0)
			return i;
	return -1;
}

/* The choices as one text, "sgd|momentum|rmsprop|adam", for messages. */
static void choices_text(const char *const *choices, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; choices[i] && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? "|" : "", choices[i]);
}

static int check_number(const struct hparam *h, const cJSON *v, char *err, size_t errlen)
{
	double x;
	int lo_bad, hi_bad;

	if (!cJSON_IsNumber(v))
		return err_set(err, errlen, "expected a number");
	x = v->valuedouble;
	if (!isfinite(x))
		return err_set(err, errlen, "expected a finite number");
	if ((h->type == HP_INT || h->type == HP_INT_LIST) && x != floor(x))
		return err_set(err, errlen, "expected an integer, got %g", x);
	lo_bad = (h->flags & HP_MIN_OPEN) ? x <= h->min : x < h->min;
	hi_bad = (h->flags & HP_MAX_OPEN) ? x >= h->max : x > h->max;
	if (lo_bad || hi_bad) {
		if (h->max >= BIG)
			return err_set(err, errlen, "expected a number %s %g, got %g",
				       (h->flags & HP_MIN_OPEN) ? ">" : ">=", h->min, x);
		return err_set(err, errlen, "expected a number in %c%g, %g%c, got %g",
			       (h->flags & HP_MIN_OPEN) ? '(' : '[', h->min, h->max,
			       (h->flags & HP_MAX_OPEN) ? ')' : ']', x);
	}
	return 0;
}

int hparam_check(const struct hparam *h, const cJSON *v, char *err, size_t errlen)
{
	const cJSON *item;

	switch (h->type) {
	case HP_INT:
	case HP_FLOAT:
		return check_number(h, v, err, errlen);
	case HP_BOOL:
		return cJSON_IsBool(v) ? 0 : err_set(err, errlen, "expected true or false");
	case HP_STRING:
		if (!cJSON_IsString(v))
			return err_set(err, errlen, "expected a string");
		if (h->choices && hparam_choice(h, v->valuestring) < 0) {
			char list[256];

			choices_text(h->choices, list, sizeof list);
			return err_set(err, errlen, "expected one of %s, got \"%s\"", list,
				       v->valuestring);
		}
		return 0;
	case HP_INT_LIST:
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
			return err_set(err, errlen, "expected a non-empty array of integers");
		cJSON_ArrayForEach(item, v)
			if (check_number(h, item, err, errlen) < 0)
				return -1;
		return 0;
	}
	return err_set(err, errlen, "unknown type");
}

static const cJSON *lookup(const cJSON *cfg, const char *name)
{
	const cJSON *v = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, name) : NULL;

	return (v && !cJSON_IsNull(v)) ? v : NULL;
}

/* The table's default for name as a number (HP_INT, HP_FLOAT, HP_BOOL as 0/1). */
static double default_number(const struct hparam *table, size_t n, const char *name)
{
	const struct hparam *h = hparam_find(table, n, name);

	if (!h || !h->def)
		return 0.0;
	if (h->type == HP_BOOL)
		return strcmp(h->def, "true") == 0;
	return strtod(h->def, NULL);
}

double hp_number(const struct hparam *table, size_t n, const cJSON *cfg, const char *name)
{
	const cJSON *v = lookup(cfg, name);

	return cJSON_IsNumber(v) ? v->valuedouble : default_number(table, n, name);
}

int hp_bool(const struct hparam *table, size_t n, const cJSON *cfg, const char *name)
{
	const cJSON *v = lookup(cfg, name);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : default_number(table, n, name) != 0.0;
}

const char *hp_string(const struct hparam *table, size_t n, const cJSON *cfg, const char *name)
{
	const cJSON *v = lookup(cfg, name);
	const struct hparam *h;

	if (cJSON_IsString(v))
		return v->valuestring;
	h = hparam_find(table, n, name);
	return h ? h->def : NULL;
}

int hp_choice(const struct hparam *table, size_t n, const cJSON *cfg, const char *name)
{
	return hparam_choice(hparam_find(table, n, name), hp_string(table, n, cfg, name));
}

const char *const hp_metric_names[HP_N_METRIC] = {
	[HP_METRIC_TRAIN_LOSS] = "train_loss", [HP_METRIC_TRAIN_ACC] = "train_acc",
	[HP_METRIC_VAL_LOSS] = "val_loss",     [HP_METRIC_VAL_ACC] = "val_acc",
	[HP_METRIC_LR] = "lr",                 [HP_METRIC_ELAPSED] = "elapsed",
	[HP_METRIC_TEST_LOSS] = "test_loss",   [HP_METRIC_TEST_ACC] = "test_acc",
	[HP_METRIC_PARAMS] = "params",         [HP_METRIC_TRAIN_SECONDS] = "train_seconds",
	[HP_METRIC_INFER_US] = "infer_us",
};

#define BIT(m) (1u << (m))
#define SYNTH_METRICS                                                                    \
	(BIT(HP_METRIC_TRAIN_LOSS) | BIT(HP_METRIC_VAL_LOSS) | BIT(HP_METRIC_VAL_ACC) |  \
	 BIT(HP_METRIC_LR) | BIT(HP_METRIC_ELAPSED))

/* The metrics of each task, as bits of enum hp_metric. */
static const unsigned task_metrics[HP_N_TASK] = {
	[HP_TASK_MLP] = BIT(HP_N_METRIC) - 1,
	[HP_TASK_TRIVIAL] = SYNTH_METRICS,
	[HP_TASK_BOWL] = SYNTH_METRICS,
	[HP_TASK_NARROW] = SYNTH_METRICS,
	[HP_TASK_BRANIN] = SYNTH_METRICS,
	[HP_TASK_HARTMANN6] = SYNTH_METRICS,
	[HP_TASK_ROSENBROCK] = SYNTH_METRICS,
	[HP_TASK_COND] = SYNTH_METRICS,
	[HP_TASK_DRIFT] = SYNTH_METRICS,
};

int hp_task_reports(int task, enum hp_metric m)
{
	return task >= 0 && task < HP_N_TASK && (task_metrics[task] & BIT(m)) != 0;
}

int hp_metric_check(int task, const char *name, char *err, size_t errlen)
{
	char list[256] = "";
	size_t len;

	for (int m = 0; m < HP_N_METRIC; m++) {
		if (!hp_task_reports(task, (enum hp_metric)m))
			continue;
		if (strcmp(name, hp_metric_names[m]) == 0)
			return 0;
		len = strlen(list);
		snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", hp_metric_names[m]);
	}
	if (task == HP_TASK_MLP)
		return err_set(err, errlen, "\"%s\" is not reported by the built-in worker (it reports %s)",
			       name, list);
	return err_set(err, errlen, "\"%s\" is not reported by the synthetic task \"%s\" (it reports %s)",
		       name, task >= 0 && task < HP_N_TASK ? tasks[task] : "?", list);
}
