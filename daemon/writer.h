/* writer: when caviard writes its database, and what waits while it cannot.
 * The writes db.c queues are flushed on a timer, at once past a high-water
 * mark, and after a failed flush retried until one works; while it fails
 * with the queue full, the owner is told to stop reading the workers'
 * pipes, and told again when writes work. The checkpoints of ended trials
 * are removed once their end is committed. It knows no trial, sweep nor
 * daemon: it tells its owner through its host's callbacks. */
#ifndef CAVIAR_WRITER_H
#define CAVIAR_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "db.h"

#define WRITER_FLUSH_NOW 50000 /* queued writes that trigger a flush without waiting */
#define WRITER_HOLD_MAX 500000 /* queued writes past which workers' pipes are no longer read */
#define WRITER_RETRY_MS 1000   /* after a failed flush */

/* What the writer is handed by its owner. */
struct writer_host {
	void *data; /* the first argument of every callback */
	/* hold 1: stop reading every running trial's pipe (they block on their
	 * next line, nothing is lost); 0: read them again. */
	void (*hold)(void *data, int hold);
	/* A flush worked after failing: what waited on the database resumes.
	 * Called from the timer, never inside a caller of writer_flush. */
	void (*recovered)(void *data);
};

struct writer {
	struct writer_host host;
	struct db *db;
	double interval;        /* seconds queued writes may wait before a flush */
	size_t flush_now;       /* WRITER_FLUSH_NOW (writer_init; a test may lower it) */
	size_t hold_max;        /* WRITER_HOLD_MAX, likewise */
	uint64_t retry_ms;      /* WRITER_RETRY_MS, likewise */
	uv_timer_t timer;       /* armed while writes are queued, or to retry */
	int failing;            /* the last flush failed: no new trials until one works */
	char error[512];        /* why */
	int held;               /* the owner was told to hold reads */
	int recovered;          /* writes work again: the timer resumes what waited */
	int stopped;            /* writer_stop: no retry is armed any more */
	char **discard;         /* checkpoints of ended trials, removed once their end is
	                         * committed (a crash before that resumes from them) */
	int n_discard, cap_discard;
};

/* Memory the caller provides, host, db and interval already set: the
 * thresholds get their defaults, the timer is initialised on loop.
 * writer_close closes it; writer_finish frees the rest, after the close. */
void writer_init(struct writer *w, uv_loop_t *loop);
void writer_stop(struct writer *w); /* at shutdown: a failed flush arms no retry */
void writer_close(struct writer *w);
void writer_finish(struct writer *w); /* the checkpoints not yet removed are kept */

/* Writes the queued writes now. On failure they stay queued, failing and
 * error say why, and a retry is armed; returns -1. */
int writer_flush(struct writer *w);
/* Writes were queued: a flush soon (the timer), or now past flush_now;
 * reads are held past hold_max while flushes fail. */
void writer_dirty(struct writer *w);
/* Checkpoint (a statedir_checkpoint path; copied) is removed after the next
 * flush that works. */
void writer_discard(struct writer *w, const char *checkpoint);
/* The last flush: a database locked by a reader is waited for, up to wait
 * seconds. Returns 0, or -1 when writes were given up (logged, saying what
 * is left unwritten). */
int writer_final(struct writer *w, double wait);

#endif
