/* events: the live event stream of `caviar watch`. A client subscribes
 * ({"cmd": "subscribe", "sweep": ID} or all sweeps without "sweep") and then
 * receives one JSON line per event, as it happens:
 *   {"event": "trial_started", RUNNING...}
 *   {"event": "progress", "sweep": 1, "trial": 7, "epoch": 3, "step": 1266,
 *    "metrics": {"val_acc": 0.86, ...}, "best": 0.86}
 *   {"event": "trial_ended", "sweep": 1, "trial": 7, "status": "done", "reason": "finished",
 *    "best": 0.87, "epochs": 10, "ended_at": 1795820314.2}
 *   (ended_at: unix seconds, null for a trial queued again to be retried)
 *   {"event": "adjusted", "sweep": 1, "trial": 7, "number": 6, "epoch": 4, "step": 1876,
 *    "changes": {"lr": [0.02, 0.01]}, "source": "user"}
 *   {"event": "sweep_started" | "sweep_paused" | "sweep_resumed" | "sweep_stopping" |
 *    "sweep_ended", "sweep": 1, "name": "...", "status": "done", "reason": "..."}
 *   (reason: why it ends, with sweep_stopping and sweep_ended, when there is one)
 *   {"event": "note", "sweep": 1, "trial": 7 (null: the sweep's), "text": "..." ("": cleared)}
 * The first line after the subscribe's reply is a snapshot of the trials
 * running then, built by the hub (daemon.c, the server's on_subscribe):
 *   {"event": "snapshot", "sweep": 1 (null: all), "running": [RUNNING, ...]}
 * RUNNING is a running trial as events_running_json says it, the one
 * encoder of it (status's "running" is a list of them too). 
 * This module builds the events; it is handed its publisher (the server's
 * subscribers, by the hub) and knows nothing of sockets. Building an event
 * costs nothing when nobody listens. */
#ifndef CAVIAR_EVENTS_H
#define CAVIAR_EVENTS_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct trial;
struct worker_line;

struct events {
	/* 1 when someone listens to events of this sweep. */
	int (*listening)(void *ctx, int64_t sweep_id);
	/* Delivers event (taken) to those listening to its sweep. */
	void (*publish)(void *ctx, int64_t sweep_id, cJSON *event);
	void *ctx;
};

/* A running trial: {"sweep", "trial", "number", "pid", "epoch" (epochs
 * recorded), "epochs" (to run), "state" ("running", or "queued in Slurm"
 * before srun starts it), "best" (once it has one), "started_at" (unix
 * seconds), "params"}. The caller frees it. */
cJSON *events_running_json(const struct trial *t);

void events_trial_started(const struct events *ev, const struct trial *t);
void events_progress(const struct events *ev, const struct trial *t, const struct worker_line *l);
void events_trial_ended(const struct events *ev, const struct trial *t);
/* A running trial's program applied changes ({"lr": [old, new]}) after epoch
 * and step; source "user" (`caviar adjust`) or "pbt". */
void events_adjusted(const struct events *ev, const struct trial *t, int epoch, int64_t step,
		     const cJSON *changes, const char *source);
/* A sweep event (event: proto_event_name's, one of the sweep_ kinds); reason
 * (why it ends, when it says more than status) is added when not NULL. */
void events_sweep(const struct events *ev, int64_t sweep_id, const char *event, const char *name,
		  const char *status, const char *reason);
/* The note of a sweep (trial_id 0) or of one of its trials is now text. */
void events_note(const struct events *ev, int64_t sweep_id, int64_t trial_id, const char *text);

#endif
