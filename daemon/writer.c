/* writer: the database writes' timer, back-pressure and retries (see writer.h). */
#include "writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "statedir.h"
#include "xalloc.h"

static void on_timer(uv_timer_t *timer);

void writer_init(struct writer *w, uv_loop_t *loop)
{
	w->flush_now = WRITER_FLUSH_NOW;
	w->hold_max = WRITER_HOLD_MAX;
	w->retry_ms = WRITER_RETRY_MS;
	uv_timer_init(loop, &w->timer);
	w->timer.data = w;
}

void writer_stop(struct writer *w)
{
	w->stopped = 1;
}

void writer_close(struct writer *w)
{
	w->stopped = 1;
	uv_close((uv_handle_t *)&w->timer, NULL);
}

void writer_finish(struct writer *w)
{
	for (int i = 0; i < w->n_discard; i++)
		free(w->discard[i]);
	free(w->discard);
	w->discard = NULL;
	w->n_discard = w->cap_discard = 0;
}

/* While the database cannot be written and the queue is full, the workers'
 * pipes are not read: they block on their next line instead of our memory
 * growing, and nothing is lost. */
static void hold(struct writer *w, int held)
{
	if (w->held == held)
		return;
	w->held = held;
	log_msg(held ? "holding %zu writes: workers' output paused until the database works"
		     : "resuming workers' output (%zu writes held)",
		db_pending(w->db));
	w->host.hold(w->host.data, held);
}

/* Removes the checkpoints of trials whose end is now committed. */
static void discard_checkpoints(struct writer *w)
{
	for (int i = 0; i < w->n_discard; i++) {
		statedir_checkpoint_remove(w->discard[i]);
		free(w->discard[i]);
	}
	w->n_discard = 0;
}

int writer_flush(struct writer *w)
{
	char err[sizeof w->error];

	if (db_flush(w->db, err, sizeof err) < 0) {
		if (!w->failing || strcmp(err, w->error) != 0)
			log_msg("cannot write the database (%zu writes held, no new trials "
				"until it works): %s",
				db_pending(w->db), err);
		w->failing = 1;
		snprintf(w->error, sizeof w->error, "%s", err);
		if (!w->stopped)
			uv_timer_start(&w->timer, on_timer, w->retry_ms, 0);
		return -1;
	}
	discard_checkpoints(w);
	if (w->failing) {
		log_msg("database writable again");
		w->failing = 0;
		w->error[0] = '\0';
		/* What waited on the database resumes from the timer, never inside
		 * a caller of this function (a sweep being checked, a request). */
		w->recovered = 1;
		if (!w->stopped)
			uv_timer_start(&w->timer, on_timer, 0, 0);
	}
	return 0;
}

void writer_dirty(struct writer *w)
{
	if (db_pending(w->db) >= w->flush_now && !w->failing) {
		writer_flush(w);
		return;
	}
	if (w->failing && db_pending(w->db) >= w->hold_max)
		hold(w, 1);
	if (!uv_is_active((uv_handle_t *)&w->timer) && !uv_is_closing((uv_handle_t *)&w->timer))
		uv_timer_start(&w->timer, on_timer, (uint64_t)(w->interval * 1000), 0);
}

static void on_timer(uv_timer_t *timer)
{
	struct writer *w = timer->data;

	if (writer_flush(w) < 0 || !w->recovered)
		return;
	w->recovered = 0;
	hold(w, 0);
	w->host.recovered(w->host.data);
}

void writer_discard(struct writer *w, const char *checkpoint)
{
	if (w->n_discard == w->cap_discard) {
		w->cap_discard = w->cap_discard ? 2 * w->cap_discard : 8;
		w->discard = xrealloc(w->discard, (size_t)w->cap_discard * sizeof *w->discard);
	}
	w->discard[w->n_discard++] = xstrdup(checkpoint);
}

int writer_final(struct writer *w, double wait)
{
	struct timespec pause = {0, 100 * 1000 * 1000};
	double give_up = log_now() + wait;

	while (writer_flush(w) < 0 && log_now() < give_up)
		nanosleep(&pause, NULL);
	if (!w->failing)
		return 0;
	log_msg("giving up after %g s: %zu points, %zu trial updates and %zu log lines not "
		"written: %s",
		wait, w->db->n_points, w->db->n_rows, w->db->n_logs, w->error);
	return -1;
}
