/* sweeps: the bookkeeping of sweeps and their trial queues. Records a submitted
 * sweep with its sampled trials (a first slice at once, the rest in slices
 * between loop iterations, so that a sweep of a million trials never stalls
 * the daemon), hands out the next queued trial across sweeps
 * (submission order, within each sweep's `parallel` limit), takes a trial back
 * for a retry, opens coarse_to_fine rounds, feeds the early-stopping rule and
 * says when a sweep is over. It returns decisions and never acts on them: it
 * knows no process, socket or event (the hub, daemon.c, starts and stops
 * trials and tells clients). Its only neighbours are the database (db.h,
 * query.h) and the rules it applies (sample.h, stopping.h). */
#ifndef CAVIAR_SWEEPS_H
#define CAVIAR_SWEEPS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "db.h"
#include "sample.h"
#include "spec.h"
#include "stopping.h"
#include "tpe.h"

#define SWEEPS_SLICE 256 /* trials sampled and recorded in one transaction */

/* A queued trial: its params as sampled (JSON text, owned), so a trial's
 * values are read from the database once (at start-up) and never again. */
struct sweep_slot {
	int64_t id;
	int number;
	int attempts;           /* how often it was started already */
	uint64_t seed;          /* the worker's seed */
	char *params;
};

#define SWEEPS_FAILURE_KINDS 64 /* distinct failure reasons a sweep tallies for fail_fast */

/* One way trials of a sweep failed: the reason, word for word, and how many. */
struct sweep_failure {
	char *reason;
	int n;
};

struct sweep {
	struct sweep *next;
	int64_t id;
	struct spec spec;
	struct sample_box box;  /* the current round's region */
	int round;
	int paused;
	int cancelled;          /* queued trials were cancelled; ends as 'cancelled' */
	int spent;              /* its wall-clock budget is spent: nothing more starts */
	int failed;             /* it cannot succeed (sweeps_fail): it ends 'failed' */
	int budget;             /* trials in all: the spec's, plus what `extend` added */
	double created_at;      /* unix seconds: a wall-clock budget counts from here */
	char reason[512];       /* why it ended, when it says more than its status */
	struct sweep_slot *queue; /* queued trials in number order, from q_head */
	int n_queue, q_head, cap_queue;
	int running;            /* trials of this sweep running now */
	int next_number;        /* number of the next trial to sample */
	int round_end;          /* number past the current round's last trial: the
	                         * trials from next_number up to it are still to be
	                         * sampled and recorded (sweeps_fill) */
	struct stopping stopping; /* early stopping (kind NONE when the spec has none) */
	struct tpe_history tpe; /* search tpe: what the model learns from, kept as
	                         * trials start, report and end (read back at load) */
	struct sweep_failure *failures; /* fail_fast's tally, the first
	                         * SWEEPS_FAILURE_KINDS distinct reasons (owned) */
	int n_failures;
	int fork_failures;      /* forks that failed in their first epoch */
	char fork_failure[256]; /* the first one's "trial 9: reason" */
};

struct sweeps {
	struct sweep *list;     /* active (running or paused), submission order */
	struct db *db;          /* where they are recorded */
	int epoch_max;          /* a trial's epochs are at most this (TRIAL_MAX_EPOCH): it
	                         * spaces search pbt's decision seeds (sweeps_epoch) */
};

/* A trial handed out to start: the caller owns params (parsed here, once). */
struct sweep_pick {
	struct sweep *sweep;
	int64_t id;
	int number;
	int attempts;
	uint64_t seed;
	cJSON *params;
};

/* Records a new sweep for spec (taken over: s is left empty) with its first
 * round of trials, in one transaction. The caller has flushed the database
 * first. *repeats is set to the newest earlier sweep with exactly this spec
 * (and so the same trials), or 0. Returns the sweep, or NULL with err set
 * (nothing recorded). */
struct sweep *sweeps_submit(struct sweeps *s, struct spec *spec, int64_t *repeats, char *err,
			    size_t errlen);

/* Adds n trials to sweep id, recorded at once (its budget grows): an active
 * sweep samples them after its own; an ended one becomes running again and
 * active (returned in *revived, else NULL). random and sobol go on with the
 * next numbers; grid refuses to go past its grid; coarse_to_fine opens a
 * round of n around the best trials so far once its rounds are over (an
 * extension round still running grows instead). The caller has flushed.
 * Returns the sweep, or NULL with err ("no sweep 9", "sweep 3's grid ..."). */
struct sweep *sweeps_extend(struct sweeps *s, int64_t id, int n, struct sweep **revived,
			    char *err, size_t errlen);

/* A trial forked from another's checkpoint (`caviar fork`, search pbt). */
struct sweeps_fork {
	int64_t sweep_id;      /* the parent's sweep */
	int64_t parent;        /* the parent trial */
	int epoch;             /* the parent's epoch it starts after */
	int64_t step;          /* the parent's optimizer steps then; 0 if unknown */
	const char *params;    /* its params (JSON text): the parent's values with changes */
	uint64_t seed;         /* the parent's worker seed */
	const cJSON *changes;  /* {"lr": [parent's value, new value], ...} */
	const char *source;    /* "user" or "pbt" */
	int within_budget;     /* PBT: takes a trial of the budget while one is left */
	int64_t replaces;      /* PBT: the member it replaces (recorded pruned with reason,
	                        * in the same transaction, so that a restart neither runs
	                        * both nor loses either); 0: none */
	char reason[64];       /* set by sweeps_fork: "pbt: replaced by trial N" */
};
/* Records a fork as a new trial of its sweep (its budget grows by one, but
 * for a fork within_budget while the budget has a trial left), with
 * its parent and its changes as adjustments (schema/006-panda.sql), in one
 * transaction, and queues it to start first. A sweep that ended becomes
 * running again and active (*revived; else NULL), even when the fork then
 * fails: the caller checks it (sweeps_advance ends it again). The caller has
 * flushed. Returns the sweep with *child set, or NULL with err. */
struct sweep *sweeps_fork(struct sweeps *s, struct sweeps_fork *f, struct sweep **revived,
			  int64_t *child, char *err, size_t errlen);
/* Why sweep id takes no request for an active sweep: "no sweep 9" (returns
 * -PROTO_E_NOT_FOUND) or "sweep 9 is already done" (returns -1, a refusal),
 * err set in every case. */
int sweeps_not_active(struct sweeps *s, int64_t id, char *err, size_t errlen);

/* When sw's wall-clock budget runs out (unix seconds), or 0: none, or spent. */
double sweeps_deadline(const struct sweep *sw);

/* sw's wall-clock budget is spent: its queued trials are cancelled (recorded
 * at once), nothing more is sampled, and it ends "done" with sw->reason. The
 * caller stops its running trials when the spec says "stop". Returns 0 or -1. */
int sweeps_spend(struct sweeps *s, struct sweep *sw, char *err, size_t errlen);

/* sw cannot succeed (its trials do not report its objective, say): its
 * queued trials are cancelled with why (recorded at once), nothing more is
 * sampled, and it ends "failed" with why as its reason; the caller stops its
 * running trials. */
int sweeps_fail(struct sweeps *s, struct sweep *sw, const char *why, char *err, size_t errlen);

/* Samples and records up to max more trials of the rounds still being
 * filled, each sweep's slice in one transaction. Returns how many remain
 * (> 0: call again soon), or -1 when the database refused (logged). */
int sweeps_fill(struct sweeps *s, int max);

/* Loads the sweeps still running or paused (at start). A sweep that cannot
 * be read is logged and left out; -1 only when the database cannot be read. */
int sweeps_load(struct sweeps *s, char *err, size_t errlen);

/* Takes the next trial that may start now into pick (counted as running in
 * its sweep). Returns 1, or 0 when none may start. A tpe sweep past its
 * startup trials has none queued: its next trial is proposed by the model
 * from the history at that moment (running trials count as bad), and
 * recorded with its suggestion in one transaction, here. */
int sweeps_next(struct sweeps *s, struct sweep_pick *pick);

/* fail_fast: a trial of sw failed for good with reason, word for word
 * (the hub leaves out what its values caused: a divergence, a limit). When
 * they make the spec's fail_fast of one reason, returns 1 with why set
 * ("3 trials failed the same way: exit code 1: KeyError: 'x'") for the caller
 * to sweeps_fail; else 0. Reasons past the first SWEEPS_FAILURE_KINDS
 * distinct ones are not counted. The tally is kept while the sweep is
 * active here: a restart of caviard, or `extend` of an ended sweep (its
 * program fixed, say), starts it afresh. */
int sweeps_trial_failed(struct sweep *sw, const char *reason, char *why, size_t whylen);

/* Trial id, a fork, failed in its first epoch with reason: if sw then ends
 * "done", its reason says so (how many forks, the first one's reason, and
 * for search pbt the trials it ran of its budget). */
void sweeps_fork_failed(struct sweep *sw, int64_t id, const char *reason);

/* Whether a failed attempt (attempts so far) of sw's trial may run again. */
int sweeps_may_retry(const struct sweep *sw, int attempts);

/* A trial of sw is no longer running. requeue: it runs again (its slot goes
 * back to the head of the queue; with pick's fields). */
void sweeps_trial_ended(struct sweep *sw, const struct sweep_pick *again);

/* How a trial of sw ended, for search tpe's history: status "done" (its
 * objective best_value), "pruned" (its reports count), anything else is left
 * out of the model. Call before sweeps_trial_ended. */
void sweeps_trial_result(struct sweep *sw, int number, const char *status, double best_value);

/* Trial number of sw reported metric = value at epoch: with several
 * objectives or constraints, the history keeps each one's last value for the
 * search (nsga2's ranks, its violation); the early-stopping rule keeps the
 * values it judges. Call for each metric of a line, then sweeps_should_stop. */
void sweeps_trial_metric(struct sweep *sw, int number, int epoch, const char *metric,
			 double value);

/* A trial that ran before starts over from epoch `from` (its checkpoint; 0:
 * from nothing): its recorded curve is cut back to match, and row's best
 * value and epochs with it. */
void sweeps_trial_resume(struct sweeps *s, const struct sweep *sw, struct trial_row *row,
			 int from);

/* Trial `number`'s line at epoch (of last) was noted (sweeps_trial_metric),
 * with value its objective (NAN: the line has none): the early-stopping rule
 * judges it; 1 when the trial should stop (reason set). Call for every line. */
int sweeps_should_stop(struct sweep *sw, int number, int epoch, int last, double value,
		       char *reason, size_t n);

/* 1 when nothing of sw is queued, running or still to be sampled: time to
 * sweeps_advance it. */
int sweeps_idle(const struct sweep *sw);

enum sweep_state {
	SWEEP_BUSY,   /* trials queued or running */
	SWEEP_ROUND,  /* its next coarse_to_fine round was opened: schedule it */
	SWEEP_ENDED,  /* over and recorded: *status says how ("done", "cancelled",
	               * or "failed" when every trial failed); the caller tells
	               * clients, then sweeps_remove */
	SWEEP_STUCK,  /* over, but it could not be recorded (logged): check later */
};

/* What happens to sw now: nothing while trials are queued or running; else
 * its next round opens or it ends. The caller has flushed the database. */
enum sweep_state sweeps_advance(struct sweeps *s, struct sweep *sw, const char **status);

/* Cancels sw's queued trials (recorded at once) and marks it cancelled; the
 * caller stops its running ones. Returns how many were queued, or -1. */
int sweeps_cancel(struct sweeps *s, struct sweep *sw, char *err, size_t errlen);

/* Cancels one queued trial (its row queued for writing). Returns its sweep,
 * or NULL when no sweep has it queued. */
struct sweep *sweeps_cancel_queued(struct sweeps *s, int64_t trial_id);

/* Pauses (no new trials start) or resumes sw, recorded at once. */
int sweeps_pause(struct sweeps *s, struct sweep *sw, int paused, char *err, size_t errlen);

/* What sw is doing: "running", "paused", or "stopping" once it was
 * cancelled, failed or spent its time while trials of it still stop. */
const char *sweeps_state(const struct sweep *sw);

/* sw's queued trials (query_queued: the trials it will still start); with
 * sw NULL, those of every active sweep. */
long long sweeps_queued(const struct sweeps *s, const struct sweep *sw);

/* A running member of a sweep, as the hub sees it when one reaches an epoch. */
struct sweeps_member {
	int64_t trial;
	double value_at;     /* its objective at that epoch; NAN: it has not reached it */
	double latest;       /* its latest objective; NAN: none yet */
	const cJSON *params; /* its params, adjustments applied (not owned) */
	int stopping;        /* asked to stop */
	int resumed_from;    /* the epoch it resumed or forked from */
	int epochs_total;    /* its configuration's epochs */
};

/* What becomes of a member at an epoch (sweeps_epoch). */
enum sweeps_epoch_kind {
	SWEEPS_KEEP,    /* it trains on */
	SWEEPS_REPLACE, /* search pbt's exploit: it is replaced by a fork */
};
struct sweeps_replace {
	int source;     /* the member (an index of those given) whose checkpoint it copies */
	cJSON *params;  /* the fork's: the source's, explored (owned) */
	cJSON *changes; /* {"lr": [source's value, new], ...} of the explored ones (owned) */
};

/* members[self] of sw (n members: the running trials of sw) reached epoch
 * (its objective there is known). Search pbt decides every interval epochs
 * before its last (not again at an epoch a resumed member prints again), up
 * to `generations` decisions per lineage, or while the budget has a trial
 * left, and not once sw is cancelled, spent, failed or paused: asynchronous
 * PBT, against the other members not stopping, each at this epoch if it
 * reached it, else at its latest (one with none yet is left out). The draws
 * depend on the member and epoch alone, so a restarted daemon decides the
 * same. SWEEPS_REPLACE fills *out (free with sweeps_replace_finish). */
enum sweeps_epoch_kind sweeps_epoch(const struct sweeps *s, const struct sweep *sw,
				    const struct sweeps_member *members, int n, int self,
				    int epoch, struct sweeps_replace *out);
void sweeps_replace_finish(struct sweeps_replace *r); /* accepts a zeroed one */

struct sweep *sweeps_find(const struct sweeps *s, int64_t sweep_id);
void sweeps_remove(struct sweeps *s, struct sweep *sw);
void sweeps_free_all(struct sweeps *s);

#endif
