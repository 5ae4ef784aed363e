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
};

struct hparam {
	const char *name;
	enum hp_type type;
	const char *def;     /* default as text ("0.001", "true", "adam"); NULL with HP_NO_DEFAULT */
	double min, max;     /* numeric range (inclusive unless flags say open) */
	unsigned flags;
	const char *choices; /* HP_STRING: allowed values separated by '|', or NULL */
	const char *doc;     /* one line for the README and --help */
};

/* The worker's hyperparameters (keys of a spec's "train" and "params", and of a
 * trial configuration). */
extern const struct hparam hparams[];
extern const size_t n_hparams;

/* The keys of a spec's "data" object. */
extern const struct hparam data_keys[];
extern const size_t n_data_keys;

/* Looks name up in table (hparams or data_keys); NULL when unknown. */
const struct hparam *hparam_find(const struct hparam *table, size_t n, const char *name);

/* Checks that value has h's type and lies in its range / choices.
 * Returns 0, or -1 with a message like "expected a number > 0, got -1". */
int hparam_check(const struct hparam *h, const cJSON *value, char *err, size_t errlen);

/* Typed reads of a configuration object (a trial configuration, or a "data"
 * object), falling back to the table's default when the key is absent. The
 * value is assumed already checked (hparam_check); the name must be in the
 * table. hp_string returns a pointer into cfg or into the table (static),
 * NULL for an absent key without default. */
double hp_number(const struct hparam *table, size_t n, const cJSON *cfg, const char *name);
int hp_bool(const struct hparam *table, size_t n, const cJSON *cfg, const char *name);
const char *hp_string(const struct hparam *table, size_t n, const cJSON *cfg, const char *name);

/* Shorthands for the worker's hyperparameter table. */
#define HP_NUM(cfg, name) hp_number(hparams, n_hparams, (cfg), (name))
#define HP_BOOL(cfg, name) hp_bool(hparams, n_hparams, (cfg), (name))
#define HP_STR(cfg, name) hp_string(hparams, n_hparams, (cfg), (name))

#endif
