/* daemon: caviard's loop: start-up and recovery, the flush timer, the
 * scheduling of trials into free slots, and an orderly shutdown (see daemon.h). */
#include "daemon.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "errbuf.h"
#include "sweeps.h"
#include "server.h"
#include "trial.h"
#include "xalloc.h"

#define FLUSH_NOW 50000  /* queued writes that trigger a flush without waiting */
#define HOLD_MAX 500000  /* queued writes past which workers' pipes are no longer read */
#define RETRY_MS 1000    /* after a failed flush */

/* While the database cannot be written and the queue is full, stop reading
 * the workers' pipes: they block on their next line instead of our memory
 * growing, and nothing is lost. */
static void hold_reads(struct daemon *d, int hold)
{
	if (d->reads_held == hold)
		return;
	d->reads_held = hold;
	daemon_log(hold ? "holding %zu writes: workers' output paused until the database works"
			: "resuming workers' output (%zu writes held)",
		   db_pending(&d->db));
	for (struct trial *t = d->running; t; t = t->next)
		trial_hold_reading(t, hold);
}

double daemon_now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void daemon_log(const char *fmt, ...)
{
	char stamp[32] = "";
	va_list ap;

	/* Under systemd the journal stamps lines itself. */
	if (!getenv("JOURNAL_STREAM")) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	fprintf(stderr, "%scaviard: ", stamp);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void finish_shutdown(struct daemon *d);
static void on_flush_timer(uv_timer_t *timer);

int daemon_flush(struct daemon *d)
{
	char err[sizeof d->db_error];

	if (db_flush(&d->db, err, sizeof err) < 0) {
		if (!d->db_failing || strcmp(err, d->db_error) != 0)
			daemon_log("cannot write the database (%zu writes held, no new trials "
				   "until it works): %s",
				   db_pending(&d->db), err);
		d->db_failing = 1;
		snprintf(d->db_error, sizeof d->db_error, "%s", err);
		if (!d->shutting_down)
			uv_timer_start(&d->flush_timer, on_flush_timer, RETRY_MS, 0);
		return -1;
	}
	if (d->db_failing) {
		daemon_log("database writable again");
		d->db_failing = 0;
		d->db_error[0] = '\0';
		/* What waited on the database resumes from the timer, never inside
		 * a caller of this function (a sweep being checked, a request). */
		d->db_recovered = 1;
		if (!d->shutting_down)
			uv_timer_start(&d->flush_timer, on_flush_timer, 0, 0);
	}
	return 0;
}

static void on_flush_timer(uv_timer_t *timer)
{
	struct daemon *d = timer->data;

	if (daemon_flush(d) < 0 || !d->db_recovered)
		return;
	d->db_recovered = 0;
	hold_reads(d, 0);
	sweeps_check_all(d);
	daemon_schedule(d);
}

void daemon_dirty(struct daemon *d)
{
	if (db_pending(&d->db) >= FLUSH_NOW && !d->db_failing) {
		daemon_flush(d);
		return;
	}
	if (d->db_failing && db_pending(&d->db) >= HOLD_MAX)
		hold_reads(d, 1);
	if (!uv_is_active((uv_handle_t *)&d->flush_timer) &&
	    !uv_is_closing((uv_handle_t *)&d->flush_timer))
		uv_timer_start(&d->flush_timer, on_flush_timer,
			       (uint64_t)(d->opt.flush_interval * 1000), 0);
}

void daemon_schedule(struct daemon *d)
{
	char err[ERRBUF_LEN];

	if (d->shutting_down) {
		if (d->n_running == 0)
			finish_shutdown(d);
		return;
	}
	while (!d->db_failing && d->n_running < d->opt.slots) {
		char *config = NULL;
		struct trial *t = sweeps_next(d, &config);

		if (!t)
			break;
		if (trial_start(t, config, err, sizeof err) == 0) { /* else logged and recorded */
			db_trial_update(&d->db, &t->row);
			daemon_dirty(d);
		}
		free(config);
	}
}

static void finish_shutdown(struct daemon *d)
{
	if (uv_is_closing((uv_handle_t *)&d->flush_timer))
		return;
	daemon_flush(d);
	server_drop_clients(d);
	uv_close((uv_handle_t *)&d->flush_timer, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigchld, NULL);
}

void daemon_shutdown(struct daemon *d)
{
	if (d->shutting_down)
		return;
	d->shutting_down = 1;
	daemon_log("shutting down: stopping %d running trial%s", d->n_running,
		   d->n_running == 1 ? "" : "s");
	server_stop(d);
	for (struct trial *t = d->running; t; t = t->next)
		trial_stop(t, "queued", "interrupted by daemon shutdown");
	daemon_schedule(d);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;

	daemon_log("signal %d received", signum);
	daemon_shutdown(d);
}

static void on_sigchld(uv_signal_t *s, int signum)
{
	(void)signum;
	trials_reap(s->data);
}

static int start(struct daemon *d, char *err, size_t errlen)
{
	int requeued;

	if (db_open(&d->db, d->opt.db_path, err, errlen) < 0)
		return -1;
	if (!realpath(d->opt.db_path, d->db_realpath))
		snprintf(d->db_realpath, sizeof d->db_realpath, "%s", d->opt.db_path);
	requeued = db_recover(&d->db, err, errlen);
	if (requeued < 0)
		return err_prefix(err, errlen, "recovering %s", d->opt.db_path);
	if (requeued > 0)
		daemon_log("%d trial%s interrupted by the last stop queued again", requeued,
			   requeued == 1 ? "" : "s");
	if (sweeps_load(d, err, errlen) < 0 || server_start(d, err, errlen) < 0)
		return -1;
	uv_timer_init(&d->loop, &d->flush_timer);
	d->flush_timer.data = d;
	uv_signal_init(&d->loop, &d->sigint);
	uv_signal_init(&d->loop, &d->sigterm);
	uv_signal_init(&d->loop, &d->sigchld);
	d->sigint.data = d->sigterm.data = d->sigchld.data = d;
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigchld, on_sigchld, SIGCHLD);
	daemon_log("listening on %s, database %s, %d slot%s, worker %s", d->opt.socket_path,
		   d->opt.db_path, d->opt.slots, d->opt.slots == 1 ? "" : "s", d->opt.worker_path);
	return 0;
}

int daemon_run(const struct daemon_options *opt)
{
	struct daemon *d = xcalloc(1, sizeof *d);
	char err[ERRBUF_LEN];
	size_t len;
	int rc = 1;

	d->opt = *opt;
	len = sizeof d->self_path;
	if (uv_exepath(d->self_path, &len) < 0)
		snprintf(d->self_path, sizeof d->self_path, "caviard");
	uv_loop_init(&d->loop);
	if (start(d, err, sizeof err) < 0) {
		fprintf(stderr, "caviard: %s\n", err);
		goto out;
	}
	daemon_schedule(d);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	rc = 0;
out:
	db_close(&d->db);
	sweeps_free_all(d);
	uv_run(&d->loop, UV_RUN_DEFAULT); /* let close callbacks run */
	if (uv_loop_close(&d->loop) != 0) {
		daemon_log("internal error: handles left open at exit");
		rc = 1;
	}
	if (rc == 0)
		daemon_log("stopped");
	free(d);
	return rc;
}
