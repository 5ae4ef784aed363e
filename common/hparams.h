/* hparams: the table of every hyperparameter the worker accepts and of every key
 * of a spec's "data" object, with types, valid ranges and defaults. The spec
 * validator checks names and values against it, the worker reads its trial
 * configuration through it (a missing key means the table's default), and the
 * README documents it. Adding a hyperparameter means adding one row here. */
#ifndef CAVIAR_HPARAMS_H
#define CAVIAR_HPARAMS_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum hp_type {
	HP_INT,      /* JSON number with an integral value */
	HP_FLOAT,    /* JSON number */
	HP_BOOL,     /* JSON true/false */
	HP_STRING,   /* JSON string, one of `choices` when set */
	HP_INT_LIST, /* JSON array of HP_INT, each within [min, max] */
};

enum {
	HP_MIN_OPEN = 1, /* value must be > min, not >= */
	HP_MAX_OPEN = 2, /* value must be < max, not <= */
	HP_NO_DEFAULT = 4, /* absent means "not set" (def is NULL) */
	HP_ADJUSTABLE = 8, /* may change while a trial trains (worker protocol 2's
	                    * "adjust", a fork's own value); the checkpoint hash leaves
	                    * it out. The others are structural: a fork keeps its
	                    * parent's. Read through hparam_adjust, the one list */
	HP_TESTFN = 16,    /* a test function's coordinate: task mlp does not read it */
};

/* The values of the string hyperparameters that take one of a fixed list, as
 * enums. The names are written once, in hparams.c, as each row's `choices`
 * indexed by these enums; code reads a value with hp_choice and compares
 * enums, never the names. */
enum hp_task {
	HP_TASK_MLP,
	HP_TASK_TRIVIAL,
	HP_TASK_BOWL,
	HP_TASK_NARROW,
	HP_TASK_BRANIN,     /* the test functions of common/testfn.h */
	HP_TASK_HARTMANN6,
	HP_TASK_ROSENBROCK,
	HP_TASK_COND,
	HP_TASK_DRIFT,      /* the best lr falls by a decade during training (synth.c) */
	HP_N_TASK
};
enum hp_optimizer {
	HP_OPTIMIZER_SGD,
	HP_OPTIMIZER_MOMENTUM,
	HP_OPTIMIZER_RMSPROP,
	HP_OPTIMIZER_ADAM,
	HP_N_OPTIMIZER
};
enum hp_activation { HP_ACTIVATION_RELU, HP_ACTIVATION_TANH, HP_N_ACTIVATION };
enum hp_decay_schedule {
	HP_DECAY_INVERSE_TIME,
	HP_DECAY_EXPONENTIAL,
	HP_DECAY_STEP,
	HP_N_DECAY_SCHEDULE
};
enum hp_dataset { HP_DATASET_FASHION_MNIST, HP_DATASET_IDX, HP_DATASET_CSV, HP_N_DATASET };

struct hparam {
	const char *name;
	enum hp_type type;
	const char *def;     /* default as text ("0.001", "true", "adam"); NULL with HP_NO_DEFAULT */
	double min, max;     /* numeric range (inclusive unless flags say open) */
	unsigned flags;
	const char *const *choices; /* HP_STRING: the allowed values, NULL-terminated and
	                             * indexed by the row's enum (hp_optimizer...), or NULL */
	const char *doc;     /* one line for the README and --help */
};

/* The worker's hyperparameters (keys of a spec's "train" and "params", and of a
 * trial configuration). */
extern const struct hparam hparams[];
extern const size_t n_hparams;

/* The keys of a spec's "data" object. */
extern const struct hparam data_keys[];
extern const size_t n_data_keys;

/* The course's ranking of the hyperparameters that matter (the domain notes,
 * "The hyperparameters that matter, most important first"): 1 for the
 * learning rate; 2 for momentum's beta, hidden units and mini-batch size; 3
 * for layers and learning-rate decay; 4 for Adam's beta1, beta2 and epsilon;
 * 0 for a name it does not rank. A prior to compare a sweep's importances
 * with, not a measurement. */
int hparam_course_rank(const char *name);

/* Looks name up in table (hparams or data_keys); NULL when unknown. */
const struct hparam *hparam_find(const struct hparam *table, size_t n, const char *name);

/* Whether the built-in worker running task (enum hp_task) may change h while
 * it trains: the one list of what can change, the rows flagged HP_ADJUSTABLE
 * (and for task mlp, not a test function's coordinate). Task mlp's control
 * lines (worker/train.c) and caviard's adjust, fork and pbt
 * (spec_check_adjust) both ask it; a synthetic task reads fewer still
 * (worker/synth.c). h may be NULL (structural). */
enum hp_adjust {
	HP_ADJUST_OK,
	HP_ADJUST_STRUCTURAL, /* not adjustable: the model or the run is built with it */
	HP_ADJUST_NOT_READ,   /* adjustable, but not read by this task */
};
enum hp_adjust hparam_adjust(const struct hparam *h, int task);

/* Checks that value has h's type and lies in its range / choices.
 * Returns 0, or -1 with a message like "expected a number > 0, got -1". */
int hparam_check(const struct hparam *h, const cJSON *value, char *err, size_t errlen);

/* Index of s in h's choices, which is the value of the row's enum (enum
 * hp_optimizer for "optimizer", ...); -1 when h has no choices or s is not one
 * of them. */
int hparam_choice(const struct hparam *h, const char *s);

/* The metrics the built-in worker reports, named once: the worker writes its
 * records with hp_metric_names (worker/train.c, worker/synth.c) and the spec
 * check accepts an objective only among those its task reports. A command
 * trial's metrics are its own and not listed here. */
enum hp_metric {
	HP_METRIC_TRAIN_LOSS,
	HP_METRIC_TRAIN_ACC,
	HP_METRIC_VAL_LOSS,
	HP_METRIC_VAL_ACC,
	HP_METRIC_LR,
	HP_METRIC_ELAPSED,
	HP_METRIC_TEST_LOSS,
	HP_METRIC_TEST_ACC,
	HP_METRIC_PARAMS,        /* trainable parameters (weights, biases, BN's gamma, beta) */
	HP_METRIC_TRAIN_SECONDS, /* wall seconds spent in optimizer steps, summed over the
	                          * epochs this process ran (a resumed trial counts from
	                          * its resume) */
	HP_METRIC_INFER_US,      /* microseconds per example of the validation pass (the
	                          * forward pass alone, in evaluation's batches) */
	HP_N_METRIC
};
extern const char *const hp_metric_names[HP_N_METRIC];

/* Whether the built-in worker running task (enum hp_task) reports metric m:
 * mlp reports them all (val_* and infer_us with a validation set, test_* with a
 * test set),
 * the synthetic tasks train_loss, val_loss, val_acc, lr and elapsed. */
int hp_task_reports(int task, enum hp_metric m);

/* Checks that the built-in worker running task reports a metric called name.
 * Returns 0, or -1 with "\"val_accuracy\" is not reported by the built-in
 * worker (it reports train_loss, ...)" (or "by the synthetic task \"bowl\""). */
int hp_metric_check(int task, const char *name, char *err, size_t errlen);

/* Typed reads of a configuration object (a trial configuration, or a "data"
 * object), falling back to the table's default when the key is absent. The
 * value is assumed already checked (hparam_check); the name must be in the
 * table. hp_string returns a pointer into cfg or into the table (static),
 * NULL for an absent key without default. */
double hp_number(const struct hparam *table, size_t n, const cJSON *cfg, const char *name);
int hp_bool(const struct hparam *table, size_t n, const cJSON *cfg, const char *name);
const char *hp_string(const struct hparam *table, size_t n, const cJSON *cfg, const char *name);
/* hp_string as an index into the row's choices (its enum); -1 when the value
 * is absent without default or not one of them. */
int hp_choice(const struct hparam *table, size_t n, const cJSON *cfg, const char *name);

/* Shorthands for the worker's hyperparameter table. */
#define HP_NUM(cfg, name) hp_number(hparams, n_hparams, (cfg), (name))
#define HP_BOOL(cfg, name) hp_bool(hparams, n_hparams, (cfg), (name))
#define HP_STR(cfg, name) hp_string(hparams, n_hparams, (cfg), (name))
#define HP_CHOICE(cfg, name) hp_choice(hparams, n_hparams, (cfg), (name))

#endif
