/* steer: the control lines caviard sends a running trial's program
 * (`caviar adjust`, and the adjustments sent again at a resume) until their
 * answer comes, the client's deadline passes or the trial ends, and what
 * becomes of an adjustment a resumed program's curve log replays. It knows
 * no server, no database and no trial struct: it writes through its host's
 * send, and tells its owner through the host's callbacks who waits on what
 * (a client by its server id) and what is to be recorded. */
#ifndef CAVIAR_STEER_H
#define CAVIAR_STEER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "line.h"
#include "spec.h"

/* The most control lines a trial may leave unanswered: more are refused. */
#define STEER_MAX_WAITING 64

/* What steer is handed by its owner. */
struct steer_host {
	void *data; /* the first argument of every callback */
	/* Writes text (one JSON line, no newline) to trial's program: 0, or -1
	 * with err (the trial is not running, its stdin is closed). */
	int (*send)(void *data, int64_t trial, const char *text, char *err, size_t errlen);
	/* client (a server id) waits no more: msg says why. */
	void (*tell)(void *data, int64_t client, const char *msg);
	/* trial's program applied changes ({"lr": [old, new]}, checked to be
	 * pairs) with its "adjusted" line l; client asked (0: nobody waits). */
	void (*adjusted)(void *data, int64_t trial, int64_t client, const struct worker_line *l,
			 const cJSON *changes);
};

/* A control line sent, until its answer comes or its trial ends. */
struct steer_control {
	int64_t id;      /* the line's "id", unique in the registry's life */
	int64_t trial;
	int64_t client;  /* who waits for the answer; 0: told it timed out */
	double deadline; /* when the client is told there was no answer */
	int replay;      /* adjustments sent again at a resume: not recorded */
	cJSON *set;      /* what was asked, name -> value (owned): an answer names these */
};

struct steer {
	struct steer_host host;
	double answer_wait; /* seconds a client waits for an answer */
	uv_timer_t timer;   /* armed for the nearest deadline of a waiting client */
	struct steer_control *controls;
	int n_controls, cap_controls;
	int64_t next_id;    /* the last id used: its owner starts it past every earlier
			     * life's (a resumed program's curve log echoes them) */
	int stopped;        /* steer_stop: the timer is no longer armed */
};

/* Memory the caller provides, host and answer_wait already set: the timer is
 * initialised on loop. steer_close closes it (the loop then frees nothing of
 * ours); steer_finish frees the registry, after the close. */
void steer_init(struct steer *s, uv_loop_t *loop);
void steer_stop(struct steer *s);  /* at shutdown: the timer is armed no more */
void steer_close(struct steer *s);
void steer_finish(struct steer *s);

/* Writes {"adjust": set, "id": N} to trial's program and remembers it until
 * its answer, for client (0: a replay, whose answer is not recorded).
 * Returns 0, or -1 with err (from the host's send, or STEER_MAX_WAITING
 * lines of trial's wait already). */
int steer_send(struct steer *s, int64_t trial, const cJSON *set, int64_t client, char *err,
	       size_t errlen);
/* The program's answer l ("adjusted" or "adjust_refused") to a line of ours:
 * an applied change goes to the host's adjusted, a refusal to the waiting
 * client's tell, a replay's answer to the log. Returns 0, or -1 with err
 * for a line that is no answer of ours (no id of a line sent to trial and
 * not yet answered) or an "adjusted" whose changes are not the names asked
 * (the waiting client is told): nothing is recorded, the caller rejects it. */
int steer_answer(struct steer *s, int64_t trial, const struct worker_line *l, char *err,
		 size_t errlen);
/* Trial ended (status): the clients waiting on its answers are told. */
void steer_trial_ended(struct steer *s, int64_t trial, const char *status);
/* Trial resumed from its checkpoint of epoch from: the adjustments rows
 * (QUERY_ADJUSTMENTS) made after it (the checkpoint may be older than they
 * are: the worker was killed) are sent again; their answer is not recorded
 * again. */
void steer_replay(struct steer *s, int64_t trial, const cJSON *rows, int from);
/* An "adjusted" line l of the curve a program resumed from its checkpoint
 * of epoch from prints again (the helpers keep them in its curve log): a
 * change it applied before caviard stopped, whose answer caviard may never
 * have read (kill -9). Unless rows (trial's QUERY_ADJUSTMENTS) hold it
 * already, it goes to the host's adjusted (no client waits), and one of the
 * checkpoint's own epoch or later, which may have come after the checkpoint
 * was saved, is sent again (applied twice, it sets the same values).
 * Returns 0, or -1 with err for one that is no change spec allows. */
int steer_replayed(struct steer *s, int64_t trial, const struct spec *spec, const cJSON *rows,
		   int from, const struct worker_line *l, char *err, size_t errlen);
/* The clients whose deadline is past now are told; their lines stay known,
 * so that a late answer is still recorded. The timer calls it. */
void steer_expire(struct steer *s, double now);

#endif
