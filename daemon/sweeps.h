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
	int n_queue, q_head, cap_queue;
	int running;            /* trials of this sweep running now */
	int next_number;        /* number of the next trial to sample */
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

/* Called when a trial has ended (row final) and before it is freed. */
void sweeps_trial_ended(struct daemon *d, struct trial *t);

/* Cancels a sweep (queued trials cancelled, running ones stopped). */
int sweeps_cancel_sweep(struct daemon *d, int64_t sweep_id, char *err, size_t errlen);
int sweeps_cancel_trial(struct daemon *d, int64_t trial_id, char *err, size_t errlen);

/* Pauses (no new trials start) or resumes a sweep. */
int sweeps_pause(struct daemon *d, int64_t sweep_id, int paused, char *err, size_t errlen);

struct sweep *sweeps_find(struct daemon *d, int64_t sweep_id);
void sweeps_free_all(struct daemon *d);

#endif
