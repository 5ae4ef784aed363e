/* spec: parses and validates a sweep spec (the JSON a user submits) into a
 * struct the sampler and the daemon use. It does not sample (sample.h; the
 * grid's size is checked there), does not build trials' configurations
 * (daemon/trialcfg.h) nor expand commands (daemon/command.h), and never
 * touches the database.
 * Every error names the JSON path and the rule broken:
 *   "params.lr.log: expected two numbers, got 1". */
#ifndef CAVIAR_SPEC_H
#define CAVIAR_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "search.h"

#define SPEC_MAX_TRIALS 1000000 /* a sweep's budget; also caps a default grid */
#define SPEC_MAX_SECONDS 2592000 /* timeout, stall_timeout: 30 days at most */
#define SPEC_FAIL_FAST 3 /* fail_fast: trials failed the same way that end a sweep */
#define SPEC_SETUP_TIMEOUT 600 /* fork_server.setup_timeout: seconds for a server to be ready */
#define SPEC_MAX_BUDGET_MINUTES 525600 /* a wall-clock budget: at most a year */
#define SPEC_MAX_ENV 32 /* "env": variables a command spec may set */

/* "tpe": {...}: the options of search "tpe" (common/tpe.h), named after
 * Optuna's TPESampler's and with its defaults (hypervolume_weight excepted). */
struct spec_tpe {
	int startup;         /* "startup": trials before the model, from Sobol (10;
	                      * Optuna's n_startup_trials) */
	int candidates;      /* "candidates": draws from l(x) per suggestion (24;
	                      * n_ei_candidates) */
	double gamma;        /* "gamma": fraction of trials that are good (0.1) */
	int gamma_max;       /* "gamma_max": at most this many good trials (25): Optuna's
	                      * gamma(n) = min(ceil(0.1 n), 25) */
	double prior_weight; /* "prior_weight": the prior component's weight (1.0) */
	int multivariate;    /* "multivariate": model unconditional parameters jointly
	                      * (false) */
	double hypervolume_weight; /* "hypervolume_weight": with several objectives, the
	                            * share of a good trial's weight that is its
	                            * hypervolume contribution (0.5; 0: all weigh 1; 1:
	                            * Optuna 3.1's weights) */
	uint64_t seed;       /* "seed": the model's draws (default: the sweep's seed) */
};

/* "nsga2": {...}: the options of search "nsga2" (common/nsga2.h). */
struct spec_nsga2 {
	int population; /* "population": trials per generation, and the parents kept
	                 * (20); the first generation is Sobol' points */
	uint64_t seed;  /* "seed": the draws (default: the sweep's seed) */
};

/* "pbt": {...}: the options of search "pbt" (common/pbt.h). A population of
 * `population` members trains at once; every `interval` epochs a member in
 * the bottom `quantile` copies a top member's checkpoint and hyperparameters
 * (exploit: a fork) and explores them. The budget is the top-level "trials"
 * (every member started, the first population and each fork, counts one) or
 * "generations", never both. */
struct spec_pbt {
	int population;       /* "population": members alive at once (required, >= 2) */
	int interval;         /* "interval": epochs between decisions (required, >= 1) */
	double quantile;      /* "quantile": the bottom and top fraction (0.25; in (0, 0.5]) */
	double resample_probability; /* "resample_probability": an explored value is drawn
	                              * again from the spec's range (0.25; in [0, 1]),
	                              * else multiplied by a perturb factor */
	double perturb[2];    /* "perturb": the two factors, chosen at random ([0.8, 1.2]) */
	int generations;      /* "generations": decisions per lineage, the budget instead of
	                       * trials (decisions at epochs interval * 1..generations);
	                       * 0 when "trials" is the budget */
	uint64_t seed;        /* "seed": the decisions' draws (default: the sweep's seed) */
};

/* "keep_checkpoints" (any search): which per-epoch checkpoints of a trial are
 * kept once newer ones exist: "all", "best" (the best epoch's), or N (the
 * latest N and the best). Default 1: the latest and the best. The daemon
 * enforces it; spec only parses it into spec.keep_checkpoints. */
#define SPEC_KEEP_ALL 0   /* "all" */
#define SPEC_KEEP_BEST -1 /* "best" */

enum param_kind {
	PARAM_FIXED,       /* a plain value in "params" */
	PARAM_UNIFORM,     /* {"uniform": [lo, hi]} */
	PARAM_INT,         /* {"int": [lo, hi]}, inclusive */
	PARAM_LOG,         /* {"log": [lo, hi]}, 0 < lo < hi */
	PARAM_LOG_INT,     /* {"log_int": [lo, hi]}, integers, 1 <= lo < hi */
	PARAM_REVERSE_LOG, /* {"reverse_log": [lo, hi]}, 0 < lo < hi < 1: 1-x log-uniform */
	PARAM_CHOICE,      /* {"choice": [v, ...]}: numbers, strings, booleans */
};

/* "when": {"optimizer": "momentum"} or {"optimizer": ["momentum", "adam"]}:
 * the parameter exists in a trial only when every condition holds (a condition
 * on a parameter that is itself absent fails). The name must be a parameter
 * with discrete values (choice, int, log_int or a plain value) or a key of
 * "train" (compared with its fixed value); a condition that can never hold,
 * a parameter naming itself, and cycles are errors. */
struct spec_cond {
	char *name;     /* a parameter of the spec (in "train" or "params") */
	cJSON *values;  /* array of accepted values (owned) */
};

struct spec_param {
	char *name;
	enum param_kind kind;
	double lo, hi;          /* numeric kinds */
	cJSON *values;          /* PARAM_CHOICE: array; PARAM_FIXED: the value (owned) */
	struct spec_cond *when; /* n_when conditions, all must hold */
	int n_when;
	int steer;              /* adjust, fork and pbt may change it in a running trial:
	                         * "steer": false marks it structural; the built-in
	                         * worker's non-adjustable ones are, by default. */
	int explore;            /* search "pbt": perturbed at each exploit. Set on every
	                         * sampled parameter of a command trial, and on the
	                         * built-in worker's adjustable ones (spec_check_adjust);
	                         * "pbt": {"explore": [...]} names them instead. The
	                         * others are inherited unchanged by a fork. */
};

#define SPEC_MAX_OBJECTIVES 8  /* "objectives": at most this many */
#define SPEC_MAX_CONSTRAINTS 8 /* "constraints": at most this many */

/* One objective: "objective", or an entry of "objectives". */
struct spec_objective {
	char *metric;
	int max; /* 1: "max", 0: "min" (default max for *acc*, else min) */
};

/* An entry of "constraints": {"metric": M, "max": X} and/or "min": a trial
 * whose last reported value of M lies outside the bounds, or that never
 * reported M, is infeasible (pareto.h's violation measures by how much). */
struct spec_constraint {
	char *metric;
	double lo, hi; /* "min", "max"; NaN when absent (one at least is given) */
};

enum early_stop_kind { EARLY_STOP_NONE, EARLY_STOP_MEDIAN, EARLY_STOP_ASHA };

struct spec {
	char *name;
	int trials;                   /* the sweep's total budget */
	uint64_t seed;
	enum spec_search search;
	int points;                   /* grid: points per continuous parameter (default 5) */
	int rounds;                   /* coarse_to_fine (default 3) */
	double keep;                  /* coarse_to_fine: fraction kept (default 0.25) */
	double shrink;                /* coarse_to_fine: range factor per round (default 0.5) */
	struct spec_tpe tpe;          /* search "tpe" */
	struct spec_pbt pbt;          /* search "pbt" */
	struct spec_nsga2 nsga2;      /* search "nsga2" */
	int keep_checkpoints;         /* SPEC_KEEP_ALL, SPEC_KEEP_BEST, or N >= 1 (default 1) */
	char *objective_metric;       /* default "val_acc" */
	char *task;                   /* top-level "task" (a value of hparam "task"), or NULL */
	int objective_max;            /* 1: "max", 0: "min" (default max for *acc*, else min) */
	struct spec_objective *objectives; /* "objectives", or the one "objective": at least
	                               * one, and objectives[0] is objective_metric and
	                               * objective_max, which single-objective search,
	                               * early stopping and best_value use */
	int n_objectives;
	struct spec_constraint *constraints; /* "constraints"; NULL when none */
	int n_constraints;
	cJSON *data;                  /* the "data" object, checked against data_keys (owned) */
	cJSON *train;                 /* fixed hyperparameters, checked against hparams (owned) */
	struct spec_param *params;    /* sampled (and fixed) ones, in an order where a
	                               * parameter comes after every one its "when" names */
	int n_params;
	int parallel;                 /* per-sweep limit on running trials; 0: none */
	int retries;                  /* retries for crashes and stalls (default 0) */
	int fail_fast;                /* the sweep fails once this many of its trials failed
	                               * the same way (default SPEC_FAIL_FAST); 0: never */
	double timeout;               /* per-trial wall clock seconds; 0: none */
	double stall_timeout;         /* seconds without a line; 0: none */
	int memory_mb;                /* per-worker address-space limit; 0: none */
	double budget_minutes;        /* "budget": {"minutes"}: wall clock from the sweep's
	                               * creation after which no trial starts; 0: none */
	int budget_stop;              /* "budget": {"stop": true}: running trials are
	                               * stopped then too */
	enum early_stop_kind early_stop;
	int es_warmup;     /* early_stop: epochs before any trial may be stopped (default 1) */
	int es_min_epochs; /* asha: the first rung (default 1); rungs at min_epochs * eta^k */
	int es_eta;        /* asha: reduction factor (default 3) */
	int es_min_trials; /* median: other trials needed at an epoch to judge (default 3) */
	int es_objective;  /* median: "objective", the index in objectives of the one it
	                    * judges (default 0); asha ranks by all of them */
	cJSON *json;                  /* the whole spec as submitted (owned) */
	cJSON *command;               /* a command trial: ["python3", "train.py", "{lr}"];
	                               * NULL runs the built-in worker. Its params and
	                               * train take any names (identifiers). */
	char *metrics_prefix;         /* command: only lines starting with it are metrics */
	int fork_server;              /* command: "fork_server": true starts the program once
	                               * per sweep and forks a child of it per trial (local
	                               * launcher; daemon/forkserver.h) */
	double fork_server_setup_timeout; /* "fork_server": {"setup_timeout": s}: a server not
	                               * ready by then is killed and the sweep runs a process
	                               * per trial (default SPEC_SETUP_TIMEOUT) */
	char *workdir;                /* command: absolute directory relative paths start
	                               * from (`caviar submit` sets the spec file's) */
	cJSON *env;                   /* command: {"NAME": "value", ...} set for its trials
	                               * (and its fork server) over caviard's environment;
	                               * literal strings, at most SPEC_MAX_ENV; NULL: none */
	cJSON *slurm;                 /* {"partition", "time", "cpus", "mem", "args"} for
	                               * caviard --launcher slurm; NULL: none */
};

/* Parses and validates json (not taken over: copied). On success fills s and
 * returns 0; on failure returns -1 with a path-naming message in err and s left
 * empty (spec_finish is still safe). Duplicate keys anywhere are errors. When
 * "trials" is absent it is 20 (or `rounds` when more, for coarse_to_fine);
 * given, it must be in [1, SPEC_MAX_TRIALS] and at least `rounds` for
 * coarse_to_fine. For search "grid", absent trials are 0 and the budget is
 * not checked against the grid: sample_check_grid does both, and whoever
 * validates a whole spec calls it next. For search "pbt", trials must be at
 * least the population, and are 0 when pbt.generations is the budget. */
int spec_parse(struct spec *s, const cJSON *json, char *err, size_t errlen);

/* The same from text, reporting JSON syntax errors with line and column
 * ("spec: invalid JSON at line 3, column 11"), and text after the value. */
int spec_parse_text(struct spec *s, const char *text, size_t len, char *err, size_t errlen);

/* Checks that the objective metric is one the trials report, where that is
 * known: the built-in worker's and the synthetic tasks' metrics (hparams.h);
 * a command's are its own (always 0). Returns 0, or -1 with
 * "objective.metric: \"val_accuracy\" is not reported by the built-in worker
 * (it reports ...)". Whoever validates a whole spec for submission calls it,
 * like sample_check_grid; spec_parse does not (a recorded sweep stays readable). */
int spec_check_objective(const struct spec *s, char *err, size_t errlen);

/* The bound keep_checkpoints puts on a trial's per-epoch checkpoint copies
 * (the ones a fork starts from), as the daemon keeps them (daemon/trial.c):
 * while it runs, the latest N, the best, and the one being saved (N + 2;
 * "best": the best, the newest and the one being saved, 3); once it has
 * ended, N + 1 ("best": 1). Both 0 for "all": one per epoch it trains. */
void spec_checkpoints_kept(const struct spec *s, int *running, int *ended);
/* Whether keep_checkpoints keeps a trial's copy of epoch e once epoch latest
 * is done and best is its best: "all" every one, "best" the best, N the
 * latest N and the best. */
int spec_keeps_epoch(const struct spec *s, int e, int latest, int best);
/* 1 when s has goals beyond the one objective: several objectives or a
 * constraint, so its trials are ranked by common/pareto.h. */
int spec_has_goals(const struct spec *s);

/* s's objectives and constraints as JSON, the spec's own shape:
 * {"objectives": [{"metric", "mode"}, ...], "constraints": [{"metric", "max",
 * "min"}, ...]} (a bound absent when not given). The caller deletes it. */
cJSON *spec_goals_json(const struct spec *s);

/* Frees what s owns; s may be zeroed or already finished. */
void spec_finish(struct spec *s);

/* The {name} placeholders of a command argument ({{ and }} are literal
 * braces): calls fn for each placeholder's name (len bytes at name) and lit
 * for each run of literal text, braces unescaped, in order. Returns 0, -1 when
 * fn does, or -1 with err for an unclosed, empty or lone brace. The daemon
 * expands them with it (command.h); validation checks the names. */
typedef int (*spec_placeholder_fn)(void *ctx, const char *name, size_t len);
typedef void (*spec_literal_fn)(void *ctx, const char *text, size_t len);
int spec_walk_placeholders(const char *arg, spec_placeholder_fn fn, spec_literal_fn lit,
			   void *ctx, char *err, size_t errlen);

/* Index of the parameter called name in s->params, or -1. */
int spec_param_index(const struct spec *s, const char *name);

/* A parameter kind's key as a spec writes it ("log", "reverse_log", "choice"),
 * "fixed" for a plain value: the one list of the kind names, which the spec's
 * parsing reads too, and the dashboard's KINDS copies (tests/e2e/test_vocab.sh
 * compares them). A static string; NULL past the last kind. */
const char *spec_kind_name(enum param_kind kind);

/* The scale a kind's axis is drawn on, as plots name it: "linear" (uniform,
 * fixed), "int", "log" (log and log_int), "reverse_log" or "choice". A static
 * string; NULL past the last kind. */
const char *spec_kind_scale(enum param_kind kind);

/* A search's name as a spec writes it ("random", "coarse_to_fine"); NULL
 * past the last search (search.h: the table). */
const char *spec_search_name(enum spec_search search);

/* Readers of one option at path, with spec_parse's messages, for the search
 * table's rows (search.h): an integer in [min, max]; a number in (0, 1), or
 * (0, 1] when closed_hi; a seed, an integer in [0, 2^53). Each returns 0, or
 * -1 with "path: expected ..." in err. spec_path_join writes "a.b" into buf,
 * cut with "..." to fit. */
int spec_get_int(const cJSON *v, const char *path, int min, int max, int *out, char *err,
		 size_t errlen);
int spec_get_fraction(const cJSON *v, const char *path, int closed_hi, double *out, char *err,
		      size_t errlen);
int spec_get_seed(const cJSON *v, const char *path, uint64_t *out, char *err, size_t errlen);
void spec_path_join(char *buf, size_t n, const char *a, const char *b);

/* Search pbt's checks that need the parsed params (its row's check,
 * search.h): what "pbt": {"explore"} names (by default every explorable
 * parameter), and for the built-in worker, decisions before the last epoch.
 * json is the whole spec. Returns 0, or -1 with err. */
int spec_check_pbt(struct spec *s, const cJSON *json, char *err, size_t errlen);

/* The top-level keys a spec may have, NULL-terminated: the parser's own list
 * (a static array; the caller does not free it). */
const char *const *spec_top_keys(void);

/* Index of v among a choice parameter's values (compared as JSON), or -1
 * (v absent, or not one of them). */
int spec_choice_index(const struct spec_param *p, const cJSON *v);
/* The built-in worker's task of s (enum hp_task; mlp when s names none). */
int spec_task(const struct spec *s);

/* Where a change goes: a running trial (`caviar adjust`, and pbt's explored
 * parameters) or a fork's start (`caviar fork`, which may also set epochs). */
enum spec_change { SPEC_CHANGE_RUNNING, SPEC_CHANGE_FORK };

/* Whether parameter name of s may change at all, the one check adjust, fork
 * and pbt make, so caviard refuses what the built-in worker would, without
 * asking it: for the built-in worker, a hyperparameter its task may change
 * (hparam_adjust: "units: structural (the model is built with it): ...",
 * "x1: not read by task mlp: ..."; epochs only in a fork); for any, not a
 * "steer": false parameter. Returns 0, or -1 with the reason in err. */
int spec_check_adjust(const struct spec *s, const char *name, enum spec_change when, char *err,
		      size_t errlen);

/* Whether v may become parameter name's value when: spec_check_adjust, then
 * for the built-in worker its table's rules for the value (hparams.h); for
 * any, one of a choice's values, and a value of a numeric parameter's kind
 * (int: whole, log: > 0, reverse_log: in (0, 1)) within its range unless
 * force. A name the spec does not sample is the program's to refuse. Returns
 * 0, or -1 with "lr: expected a number > 0, got -1". */
int spec_check_change(const struct spec *s, const char *name, const cJSON *v,
		      enum spec_change when, int force, char *err, size_t errlen);

#endif
