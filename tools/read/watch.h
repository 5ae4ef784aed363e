/* watch: the state `caviar watch` shows: sweeps, each with its trials' status,
 * counts and best trial, and for the running trials their progress, latest
 * metrics and objective curve. It starts from a snapshot of the database
 * (store.h) and is then kept current by the daemon's events (daemon/events.h);
 * applying an event twice, or one the snapshot already holds, changes nothing
 * twice. A sweep_paused or sweep_resumed event sets the sweep's status; the
 * snapshot event (the trials running when the client subscribed) is what the
 * database snapshot holds already. It does not talk to the daemon nor draw
 * (cmd_watch.c does). */
#ifndef CAVIAR_WATCH_H
#define CAVIAR_WATCH_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct store;

enum watch_status { W_QUEUED, W_RUNNING, W_DONE, W_FAILED, W_PRUNED, W_CANCELLED, W_N_STATUS };

struct watch_trial {
	long long id;             /* 0: not sampled yet */
	int number;
	enum watch_status status;
	int epoch, epochs;        /* last epoch reported, of how many */
	double started;           /* unix seconds */
	double best;              /* best objective so far; NaN when none */
	double *curve;            /* running trials: objective by epoch (curve[e-1]), NaN gaps */
	int n_curve;
	cJSON *metrics;           /* running trials: the latest value of each metric */
	cJSON *params;            /* the sampled values (owned) */
};

struct watch_sweep {
	long long id;
	char *name, *metric, *status;
	char *reason;             /* why it ends or ended (ended_reason); NULL: none said */
	int max;                  /* objective mode: 1 max, 0 min */
	int budget;
	int epochs;               /* a trial's epochs when not told (spec's train.epochs) */
	int counts[W_N_STATUS];   /* trials in each status; W_QUEUED also counts unsampled */
	struct watch_trial *trials; /* indexed by number */
	int n_trials;
	int best;                 /* index of the best trial (done, pruned or running); -1 */
	int ended;                /* sweep_ended seen, or over in the snapshot */
};

struct watch {
	struct watch_sweep *sweeps;
	int n_sweeps;
};

/* What an event changed, for the caller to report. */
struct watch_change {
	struct watch_sweep *sweep; /* NULL: the event was not for a known sweep */
	struct watch_trial *trial; /* NULL for sweep events */
	const char *event;         /* the event's name */
	int kind;                  /* its enum proto_event; -1: not one caviar knows */
};

void watch_init(struct watch *w);
void watch_finish(struct watch *w);

/* Loads sweep id from the database (its trials, counts, best; the curves and
 * latest metrics of running trials). Returns the sweep, or NULL with err set
 * ("no sweep 42" when it does not exist). A sweep already loaded is returned
 * as is. */
struct watch_sweep *watch_load(struct watch *w, struct store *st, long long id, char *err,
			       size_t errlen);

struct watch_sweep *watch_find(struct watch *w, long long id);

/* Applies one event; sweeps not loaded yet are loaded from st when load_new
 * is set, else the event is ignored. now: unix seconds. */
struct watch_change watch_apply(struct watch *w, struct store *st, const cJSON *event,
				int load_new, double now);

/* Trials neither queued nor running, i.e. done, failed, pruned or cancelled. */
int watch_finished(const struct watch_sweep *sw);

/* The name of a status ("done"). */
const char *watch_status_name(enum watch_status s);

#endif
