/* sweeps: sweeps and the trial queue. Turns a submitted spec into a sweep with
 * its sampled trials (recorded at once), hands out the next queued trial across
 * sweeps in submission order within each sweep's `parallel` limit, records how
 * trials end, opens coarse_to_fine rounds when the previous one is over, and
 * marks sweeps done. Knows nothing of processes (trial.h) or sockets. */
#ifndef CAVIAR_SWEEPS_H
#define CAVIAR_SWEEPS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sample.h"
#include "spec.h"
#include "stopping.h"

struct daemon;
struct trial;

struct sweep {
	struct sweep *next;
	int64_t id;
	struct spec spec;
	struct sample_box box;  /* the current round's region */
	int round;
	int paused;
	int cancelled;          /* queued trials were cancelled; ends as 'cancelled' */
	int64_t *queue;         /* queued trial ids, in number order */
	int *queue_number;      /* their numbers */
	int *queue_attempts;    /* and how often each was started already */
	int n_queue, q_head, cap_queue;
	int running;            /* trials of this sweep running now */
	int next_number;        /* number of the next trial to sample */
	struct stopper stopper; /* early stopping (kind NONE when the spec has none) */
};

/* Validates spec_json, records a new sweep with its first round of trials and
 * adds it to the daemon. Returns the sweep, or NULL with err set (nothing
 * recorded). */
struct sweep *sweeps_submit(struct daemon *d, const cJSON *spec_json, char *err, size_t errlen);

/* Loads the sweeps still running or paused from the database (at start). */
int sweeps_load(struct daemon *d, char *err, size_t errlen);

/* The next trial to start, created but not started, or NULL when none may
 * start now. The caller starts it with trial_start. */
struct trial *sweeps_next(struct daemon *d, char **config);

/* Called when a trial's worker is gone and its status classified: a crash or
 * stall within the sweep's `retries` turns into 'queued' (to run again). */
void sweeps_trial_outcome(struct daemon *d, struct trial *t);

/* Called when a trial has ended (row final and queued for writing) and before
 * it is freed: requeues it or retires it, and ends the sweep when it was the
 * last. */
void sweeps_trial_ended(struct daemon *d, struct trial *t);

/* A trial that ran before starts over from epoch `from` (its checkpoint; 0:
 * from nothing): its recorded curve is cut back to match. */
void sweeps_trial_resume(struct daemon *d, struct trial *t, int from);

/* Feeds the early-stopping rule; 1 when the trial should stop (reason set). */
int sweeps_should_stop(struct sweep *sw, const struct trial *t, int epoch, double value,
		       char *reason, size_t n);

/* Ends (or opens the next round of) every sweep with nothing left to run:
 * after a flush that follows failed ones. */
void sweeps_check_all(struct daemon *d);

/* Cancels a sweep (queued trials cancelled, running ones stopped). */
int sweeps_cancel_sweep(struct daemon *d, int64_t sweep_id, char *err, size_t errlen);
int sweeps_cancel_trial(struct daemon *d, int64_t trial_id, char *err, size_t errlen);

/* Pauses (no new trials start) or resumes a sweep. */
int sweeps_pause(struct daemon *d, int64_t sweep_id, int paused, char *err, size_t errlen);

struct sweep *sweeps_find(struct daemon *d, int64_t sweep_id);
void sweeps_free_all(struct daemon *d);

#endif
