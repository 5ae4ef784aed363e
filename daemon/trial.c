/* trial: a trial's program and its pipes, from spawn to the last close
 * callback (see trial.h). */
#include "trial.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "errbuf.h"
#include "forkserver.h"
#include "exitcodes.h"
#include "hparams.h"
#include "log.h"
#include "statedir.h"
#include "trialcfg.h"
#include "worker_proto.h"
#include "xalloc.h"

#define MAX_LOGGED_REJECTS 5

/* How the reasons of failures a trial's values caused begin (see
 * trial_reason_of_values): written here, and only here. */
#define REASON_DIVERGED "diverged at "
#define REASON_TIMED_OUT "timed out after "
#define REASON_MEMORY "exceeded its memory limit "
#define N_HANDLES 6 /* in, out, err, kill_timer, stall_timer, deadline */

static void signal_group(const struct trial *t, int sig);
static void on_kill_timer(uv_timer_t *timer);
static void settle_epochs(const struct trial *t, int latest, int was_best, int ended);

static void on_close(uv_handle_t *h)
{
	struct trial *t = h->data;

	if (--t->open_handles > 0)
		return;
	linebuf_finish(&t->out_lb);
	linebuf_finish(&t->err_lb);
	strset_finish(&t->names);
	free(t->row.reason);
	free(t->row.stderr_tail);
	free(t->event_reason);
	free(t->stop_reason);
	free(t->config);
	free(t->objective);
	cJSON_Delete(t->params);
	free(t->checkpoint);
	free(t->start_error);
	if (t->cmd)
		command_run_finish(t->cmd);
	free(t->cmd);
	free(t);
}

static void close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, on_close);
}

/* Closes every handle of the trial; the last close callback frees it. */
static void close_all(struct trial *t)
{
	close_handle((uv_handle_t *)&t->in);
	close_handle((uv_handle_t *)&t->out);
	close_handle((uv_handle_t *)&t->err);
	close_handle((uv_handle_t *)&t->kill_timer);
	close_handle((uv_handle_t *)&t->stall_timer);
	close_handle((uv_handle_t *)&t->deadline);
}

/* The stderr ring, oldest first, from the start of a line when possible. */
static char *stderr_tail(const struct trial *t)
{
	const char *s = t->tail;
	size_t n = t->tail_len;
	const char *nl;

	if (n == TRIAL_TAIL && (nl = memchr(s, '\n', n)) && nl + 1 < s + n) {
		n -= (size_t)(nl + 1 - s);
		s = nl + 1;
	}
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n ? xstrndup(s, n) : NULL;
}

/* The last line of the stderr tail, for a one-line reason. */
static const char *last_line(const char *tail)
{
	const char *nl = tail ? strrchr(tail, '\n') : NULL;

	return nl ? nl + 1 : tail;
}

/* Whether a failed worker ran out of its memory limit, judging by stderr. */
static int out_of_memory(const struct trial *t)
{
	const char *tail = t->row.stderr_tail;

	return t->memory_mb > 0 && tail &&
	       (strstr(tail, "out of memory") || strstr(tail, "Cannot allocate memory") ||
		strstr(tail, "MemoryError") || strstr(tail, "bad_alloc"));
}

static void classify_exit(struct trial *t)
{
	/* the codes' meanings are the built-in worker's; a program's are its own */
	const char *why = t->spec->command ? NULL : worker_exit_reason((int)t->exit_status);
	const char *last = last_line(t->row.stderr_tail);
	int code = (int)t->exit_status;

	if (t->term_signal) {
		db_row_reason(&t->row, "killed by signal %d (SIG%s)", t->term_signal,
			   sigabbrev_np(t->term_signal) ? sigabbrev_np(t->term_signal) : "?");
		t->retryable = 1;
	} else if (code == 0 && t->n_points == 0) {
		db_row_reason(&t->row, "exited without reporting any metric");
	} else if (code == 0) {
		t->row.status = "done";
		if (t->rejected)
			db_row_reason(&t->row, "finished (%d lines rejected)", t->rejected);
		else
			db_row_reason(&t->row, "finished");
	} else {
		db_row_reason(&t->row, "exit code %d%s%s%s%s%s", code, why ? " (" : "", why ? why : "",
			   why ? ")" : "", last ? ": " : "", last ? last : "");
		t->retryable = code != WORKER_EXIT_CONFIG && code != WORKER_EXIT_DATA &&
			       code != WORKER_EXIT_DIVERGED;
	}
}

/* Decides status and reason from how the worker ended. */
static void classify(struct trial *t)
{
	t->row.status = "failed";
	t->retryable = 0;
	if (t->stop_status) {
		t->row.status = t->stop_status;
		db_row_reason(&t->row, "%s", t->stop_reason);
		t->retryable = t->stop_retryable;
	} else if (t->event_reason) {
		db_row_reason(&t->row, "%s", t->event_reason);
	} else {
		classify_exit(t);
	}
	if (strcmp(t->row.status, "failed") == 0 && !t->stop_status && out_of_memory(t)) {
		char *was = xstrdup(t->row.reason);

		db_row_reason(&t->row, REASON_MEMORY "(%d MB): %s", t->memory_mb, was);
		free(was);
		t->retryable = 0;
	}
}

static void maybe_finish(struct trial *t)
{
	if (!t->exited || t->pipes_open > 0)
		return;
	uv_timer_stop(&t->kill_timer);
	uv_timer_stop(&t->stall_timer);
	uv_timer_stop(&t->deadline);
	t->row.stderr_tail = stderr_tail(t);
	t->row.pid = 0;
	t->row.ended_at = log_now();
	t->row.exit_code = t->term_signal ? -1 : (int)t->exit_status;
	t->row.exit_signal = t->term_signal;
	classify(t);
	if (strcmp(t->row.status, "queued") != 0)
		settle_epochs(t, t->row.epochs, t->row.best_epoch, 1);
	t->host->on_end(t);
	close_all(t);
}

static void program_exited(struct trial *t, int64_t status, int sig)
{
	t->exited = 1;
	t->exit_status = status;
	t->term_signal = sig ? sig : launcher_exit_signal(t->host->launcher, status);
	if (t->pipes_open > 0) {
		/* Whatever it left running is asked to go, and given the grace
		 * period to let go of the output. */
		signal_group(t, SIGTERM);
		uv_timer_start(&t->kill_timer, on_kill_timer, (uint64_t)(t->host->grace * 1000),
			       (uint64_t)(t->host->grace * 1000));
	}
	maybe_finish(t);
}

void trial_exited(struct trial *t, int status)
{
	if (t->exited)
		return;
	if (WIFEXITED(status))
		program_exited(t, WEXITSTATUS(status), 0);
	else if (WIFSIGNALED(status))
		program_exited(t, 0, WTERMSIG(status));
}

void trial_reap(struct trial *t)
{
	int status;

	if (!t->exited && t->pid > 0 && waitpid(t->pid, &status, WNOHANG) == t->pid)
		trial_exited(t, status);
}

void trial_forked(struct trial *t, pid_t pid)
{
	t->forkserver = NULL;
	t->pid = pid;
	t->row.pid = (int)pid;
	if (t->stop_status) { /* asked to stop while it was being started */
		signal_group(t, launcher_stop_signal(t->host->launcher));
		uv_timer_start(&t->kill_timer, on_kill_timer, (uint64_t)(t->host->grace * 1000), 0);
	}
}

void trial_fork_failed(struct trial *t, const char *why, int requeue)
{
	t->forkserver = NULL;
	if (t->exited)
		return;
	if (!t->stop_status) {
		t->stop_status = requeue ? "queued" : "failed";
		t->stop_reason = xstrdup(why);
	}
	t->exited = 1; /* its pipes' end of file finishes it: nobody else holds them */
	maybe_finish(t);
}

/* Trial id's copies, as the sweep's "keep_checkpoints" judges them once
 * epoch `latest` is done (its best so far: best). */
struct copies {
	const char *state_dir;
	const struct spec *spec;
	int command;
	int64_t id;
	int latest, best;
};

/* Removes the copy of epoch e unless the policy keeps it. */
static void drop_copy(int e, void *ctx)
{
	const struct copies *c = ctx;
	char err[ERRBUF_LEN];

	if (e < 1 || spec_keeps_epoch(c->spec, e, c->latest, c->best))
		return;
	if (statedir_drop_epoch(c->state_dir, c->command, c->id, e, err, sizeof err) < 0)
		log_msg("trial %lld: %s", (long long)c->id, err);
}

static void drop_epoch(const struct trial *t, int e, int latest, int best)
{
	struct copies c = {t->host->state_dir, t->spec, t->cmd != NULL, t->row.id, latest, best};

	drop_copy(e, &c);
}

void trial_settle_copies(const char *state_dir, const struct spec *spec, int command,
			 int64_t id, int latest, int best)
{
	struct copies c = {state_dir, spec, command, id, latest, best};

	if (spec->keep_checkpoints != SPEC_KEEP_ALL)
		statedir_each_epoch(state_dir, command, id, drop_copy, &c);
}

/* Epoch `latest` is done (was_best: the best epoch before it): the copies
 * the policy no longer keeps go. While the trial runs, the copy of epoch
 * latest may still be being written (the worker saves after its line): the
 * policy counts from latest - 1, whose copy is there, and keeps latest too,
 * so a fork of a running trial's newest epoch can fall back on the one
 * before; at the end (ended) it counts from latest. Each epoch's copy is
 * judged once, at one line (with keep_checkpoints 2, line L judges epoch
 * L - 3's); a trial that ran before (a restart's resume or rerun) may have
 * missed that line, the daemon gone before reading it (resumed from epoch
 * L, line L was never read), so at its end every copy it holds is judged. */
static void settle_epochs(const struct trial *t, int latest, int was_best, int ended)
{
	int best = t->row.best_epoch, policy = t->spec->keep_checkpoints;
	int newest = ended ? latest : latest - 1;
	int drop[4] = {newest - 1, was_best != best ? was_best : 0,
		       policy > 1 ? newest - policy : 0, ended ? latest : 0};

	if ((!t->checkpoint && !t->cmd) || policy == SPEC_KEEP_ALL || latest < 1)
		return;
	for (int i = 0; i < 4; i++)
		if (ended || drop[i] != latest)
			drop_epoch(t, drop[i], newest, best);
	if (ended && (t->row.attempts > 1 || t->resumed_from > 0))
		trial_settle_copies(t->host->state_dir, t->spec, t->cmd != NULL, t->row.id, newest,
				    best);
}

/* The row takes the line in (points, best value, epochs); the owner records it. */
static void record_metrics(struct trial *t, const struct worker_line *l)
{
	const struct spec *spec = t->spec;
	double objective = NAN;
	int was_best = t->row.best_epoch;

	for (int i = 0; i < l->n_metrics; i++) {
		const struct line_metric *m = &l->metrics[i];

		t->n_points++;
		if (strcmp(m->name, spec->objective_metric) != 0)
			continue;
		objective = m->value;
		t->last_objective = m->value;
		if (l->epoch >= t->n_objective) {
			int n = l->epoch + 16;

			t->objective = xrealloc(t->objective, (size_t)n * sizeof *t->objective);
			for (int e = t->n_objective; e < n; e++)
				t->objective[e] = NAN;
			t->n_objective = n;
		}
		t->objective[l->epoch] = m->value;
		if (isnan(t->row.best_value) ||
		    (spec->objective_max ? m->value > t->row.best_value
					 : m->value < t->row.best_value)) {
			t->row.best_value = m->value;
			t->row.best_epoch = l->epoch;
		}
	}
	if (l->epoch > t->row.epochs)
		t->row.epochs = l->epoch;
	settle_epochs(t, l->epoch, was_best, 0);
	t->host->on_metrics(t, l, objective);
}

/* A trial that ran before (a restart, a retry) starts over from its
 * checkpoint, or from nothing: its curve is cut back to match. */
static void first_line(struct trial *t, const struct worker_line *l)
{
	int from = 0;

	t->first_line_seen = 1;
	if (l->kind == LINE_EVENT && l->epoch > 0 &&
	    (strcmp(l->event, WORKER_PROTO_RESUMED) == 0 ||
	     strcmp(l->event, WORKER_PROTO_FORKED) == 0))
		from = l->epoch;
	t->resumed_from = from;
	if (t->row.attempts > 1 || from > 0)
		t->host->on_resume(t, from);
}

/* metric became value (NaN or infinite) at the line's epoch and step: the
 * trial fails, not ranked, never retried. */
static void diverged(struct trial *t, const struct worker_line *l, const char *metric,
		     const char *value)
{
	char buf[512];

	if (t->event_reason)
		return; /* the first divergence is the one that counts */
	snprintf(buf, sizeof buf, REASON_DIVERGED "epoch %d step %lld (%s = %s)", l->epoch,
		 (long long)l->step, metric, value);
	t->event_reason = xstrdup(buf);
	/* The built-in worker exits by itself; a program that goes on is stopped. */
	trial_stop(t, "failed", buf);
}

static void reject(struct trial *t, const char *why, const char *text, size_t len)
{
	t->rejected++;
	if (t->rejected <= MAX_LOGGED_REJECTS) /* text is not NUL-terminated */
		log_msg("trial %lld: line rejected: %s: %.*s%s", (long long)t->row.id, why,
			text ? (int)(len < 60 ? len : 60) : 0, text ? text : "",
			text && len > 60 ? "..." : "");
}

static void record_event(struct trial *t, const struct worker_line *l, const char *text,
			 size_t len)
{
	const cJSON *metric = cJSON_GetObjectItemCaseSensitive(l->json, "metric");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(l->json, "value");
	char err[ERRBUF_LEN];

	if (strcmp(l->event, WORKER_PROTO_RESUMED) == 0 ||
	    strcmp(l->event, WORKER_PROTO_FORKED) == 0)
		return; /* first_line() has dealt with it */
	if (strcmp(l->event, WORKER_PROTO_ADJUSTED) == 0 ||
	    strcmp(l->event, WORKER_PROTO_ADJUST_REFUSED) == 0) {
		if (t->host->on_control(t, l, err, sizeof err) < 0)
			reject(t, err, text, len);
		return;
	}
	if (strcmp(l->event, WORKER_PROTO_DIVERGED) != 0) {
		log_msg("trial %lld: %s at epoch %d", (long long)t->row.id, l->event, l->epoch);
		return;
	}
	diverged(t, l, cJSON_IsString(metric) ? metric->valuestring : "loss",
		 cJSON_IsString(value) ? value->valuestring : "non-finite");
}

/* A command trial's output line that is not for the daemon: its log, up to
 * TRIAL_MAX_LOG_LINES lines and TRIAL_MAX_LOG_BYTES bytes an attempt; the
 * log then says where it was cut. */
static void keep_log(struct trial *t, const char *text, size_t len)
{
	char note[160];

	if (t->log_cut)
		return;
	if (t->log_lines < TRIAL_MAX_LOG_LINES && t->log_bytes + len <= TRIAL_MAX_LOG_BYTES) {
		t->log_lines++;
		t->log_bytes += len;
		t->host->on_log(t, text, len);
		return;
	}
	t->log_cut = 1;
	snprintf(note, sizeof note, "[caviard: output past %d lines or %u MiB not kept]",
		 TRIAL_MAX_LOG_LINES, TRIAL_MAX_LOG_BYTES >> 20);
	log_msg("trial %lld: %s", (long long)t->row.id, note);
	t->log_lines++;
	t->host->on_log(t, note, strlen(note));
}

/* The part of a line meant for the daemon: all of it from the built-in
 * worker; from a command, what follows the spec's metrics_prefix, or without
 * one a line that opens a JSON object. NULL: a log line. */
static const char *metrics_part(const struct trial *t, const char *text, size_t *len)
{
	const char *prefix = t->spec->metrics_prefix;
	size_t skip = 0, n;

	if (!t->cmd)
		return text;
	if (prefix) {
		n = strlen(prefix);
		if (*len < n || memcmp(text, prefix, n) != 0)
			return NULL;
		*len -= n;
		return text + n;
	}
	while (skip < *len && (text[skip] == ' ' || text[skip] == '\t'))
		skip++;
	return skip < *len && text[skip] == '{' ? text : NULL;
}

/* A metrics line's NaN and infinite values are no points: the objective's is
 * a divergence (as the "diverged" event), another metric's makes the line
 * count as rejected though its finite metrics are kept. */
static void record_nonfinite(struct trial *t, const struct worker_line *l, const char *text,
			     size_t len)
{
	const struct line_nonfinite *other = NULL;
	char why[256];

	for (int i = 0; i < l->n_nonfinite; i++) {
		if (strcmp(l->nonfinite[i].name, t->spec->objective_metric) == 0)
			diverged(t, l, l->nonfinite[i].name, l->nonfinite[i].value);
		else if (!other)
			other = &l->nonfinite[i];
	}
	if (!other)
		return;
	snprintf(why, sizeof why, "%s = %s is not a number; the line's other metrics are kept",
		 other->name, other->value);
	reject(t, why, text, len);
}

/* Keeps the line's metrics whose names the trial has used before, or new
 * ones up to TRIAL_MAX_METRIC_NAMES distinct names; the others are rejected. */
static void known_metrics(struct trial *t, struct worker_line *l, const char *text, size_t len)
{
	int k = 0, dropped = 0;
	char why[128];

	for (int i = 0; i < l->n_metrics; i++) {
		const char *name = l->metrics[i].name;

		if (!strset_find(&t->names, name) && t->names.n >= TRIAL_MAX_METRIC_NAMES) {
			dropped++;
			continue;
		}
		strset_add(&t->names, name);
		l->metrics[k++] = l->metrics[i];
	}
	l->n_metrics = k;
	if (dropped) {
		snprintf(why, sizeof why, "%d new metric name%s past the trial's %d distinct ones",
			 dropped, dropped == 1 ? "" : "s", TRIAL_MAX_METRIC_NAMES);
		reject(t, why, text, len);
	}
}

/* Whether the program's metrics lines are still recorded. A trial asked to
 * stop has a curve that ends where it was stopped (one pruned at epoch 3 has
 * no epoch 4), but not one stopped to run again ("queued": a daemon
 * shutdown): its program saves the epochs it printed before it saw the
 * signal in its checkpoint and resumes after them, so those lines, read
 * after the stop, are its curve too. */
static int curve_open(const struct trial *t)
{
	return !t->stop_status || strcmp(t->stop_status, "queued") == 0;
}

static void on_line(void *ctx, const char *text, size_t len)
{
	struct trial *t = ctx;
	struct worker_line l;
	size_t body_len = len;
	const char *body;
	char err[256];

	if (uv_is_active((uv_handle_t *)&t->stall_timer))
		uv_timer_again(&t->stall_timer);
	if (!text) {
		snprintf(err, sizeof err, "line of %zu bytes exceeds %u", len,
			 WORKER_PROTO_MAX_LINE);
		reject(t, err, NULL, 0);
		return;
	}
	body = metrics_part(t, text, &body_len);
	if (!body) {
		keep_log(t, text, len);
		return;
	}
	if (line_parse(&l, body, body_len, err, sizeof err) < 0) {
		line_finish(&l);
		reject(t, err, text, len);
		if (t->cmd)
			keep_log(t, text, len);
		return;
	}
	if (l.epoch > t->max_epoch) {
		snprintf(err, sizeof err, "epoch %d is past the trial's %d", l.epoch, t->max_epoch);
		line_finish(&l);
		reject(t, err, text, len);
		return;
	}
	if (!t->first_line_seen)
		first_line(t, &l);
	if (l.kind == LINE_EVENT) {
		record_event(t, &l, text, len);
	} else if (curve_open(t)) {
		known_metrics(t, &l, text, len);
		if (l.n_metrics)
			record_metrics(t, &l);
		record_nonfinite(t, &l, text, len);
	}
	line_finish(&l);
}

/* Every read lands in the daemon's one read buffer: libuv calls the read
 * callback right after the allocation, and lines are consumed (or carried by
 * the linebuf) before the next read. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct trial *t = h->data;

	(void)suggested;
	buf->base = t->host->readbuf;
	buf->len = t->host->readbuf_len;
}

static void pipe_done(struct trial *t, uv_stream_t *s)
{
	uv_read_stop(s);
	t->pipes_open--;
	maybe_finish(t);
}

static void on_out(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct trial *t = s->data;

	if (n > 0)
		linebuf_feed(&t->out_lb, buf->base, (size_t)n, on_line, t);
	if (n < 0 && !t->out_eof) {
		linebuf_eof(&t->out_lb, on_line, t);
		t->out_eof = 1;
		pipe_done(t, s);
	}
}

static void tail_append(struct trial *t, const char *data, size_t n)
{
	if (n >= TRIAL_TAIL) {
		memcpy(t->tail, data + n - TRIAL_TAIL, TRIAL_TAIL);
		t->tail_len = TRIAL_TAIL;
		return;
	}
	if (t->tail_len + n > TRIAL_TAIL) {
		size_t drop = t->tail_len + n - TRIAL_TAIL;

		memmove(t->tail, t->tail + drop, t->tail_len - drop);
		t->tail_len -= drop;
	}
	memcpy(t->tail + t->tail_len, data, n);
	t->tail_len += n;
}

/* What srun says on stderr about the step's place in Slurm's queue. */
static void on_err_line(void *ctx, const char *line, size_t len)
{
	struct trial *t = ctx;
	int queued = line ? launcher_queue_state(line, len) : -1;

	if (queued >= 0)
		t->slurm_queued = queued;
}

static void on_err(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct trial *t = s->data;

	if (n > 0) {
		tail_append(t, buf->base, (size_t)n);
		if (t->host->launcher == LAUNCHER_SLURM)
			linebuf_feed(&t->err_lb, buf->base, (size_t)n, on_err_line, t);
	}
	if (n < 0 && !t->err_eof) {
		t->err_eof = 1;
		pipe_done(t, s);
	}
}

/* A write to the program's stdin is done. A program that closed its end
 * (or exited) gets no more control lines; a worker that exits before reading
 * its config fails on its own. */
static void on_written(uv_write_t *req, int status)
{
	struct trial *t = req->data;

	if (status < 0 && t->in_open) {
		if (status != UV_ECANCELED)
			log_msg("trial %lld: its stdin is closed: %s", (long long)t->row.id,
				uv_strerror(status));
		t->in_open = 0;
	}
	if (req != &t->write_req)
		free(req);
}

/* Why t's program takes no control line now, or NULL. */
static const char *no_input(const struct trial *t)
{
	if (t->host->launcher == LAUNCHER_SLURM)
		return "takes no control lines under Slurm";
	if (t->exited || t->stop_status)
		return "has ended or is being stopped";
	return t->in_open ? NULL : "closed its stdin: it reads no control lines";
}

int trial_send(struct trial *t, const char *text, char *err, size_t errlen)
{
	size_t len = strlen(text);
	uv_write_t *req;
	uv_buf_t buf;
	const char *why = no_input(t);
	int n = 0;

	if (why)
		return err_set(err, errlen, "trial %lld's program %s", (long long)t->row.id, why);
	/* the request, then the line and its newline: freed together */
	req = xmalloc(sizeof *req + len + 1);
	memcpy((char *)(req + 1), text, len);
	((char *)(req + 1))[len] = '\n';
	req->data = t;
	buf = uv_buf_init((char *)(req + 1), (unsigned)(len + 1));
	/* Written now when the pipe takes it, so that a program that closed its
	 * stdin is said to at once; the rest, if any, queued. */
	if (t->in.write_queue_size == 0)
		n = uv_try_write((uv_stream_t *)&t->in, &buf, 1);
	if (n == UV_EAGAIN)
		n = 0;
	if (n >= 0 && (size_t)n < len + 1) {
		buf = uv_buf_init(buf.base + n, buf.len - (unsigned)n);
		n = uv_write(req, (uv_stream_t *)&t->in, &buf, 1, on_written);
		if (n == 0)
			return 0;
	}
	free(req);
	if (n >= 0)
		return 0; /* all written at once */
	t->in_open = 0;
	log_msg("trial %lld: its stdin is closed: %s", (long long)t->row.id, uv_strerror(n));
	return err_set(err, errlen, "trial %lld's program %s", (long long)t->row.id, no_input(t));
}

/* Signals the program's process group (see child.h); the program alone when
 * the group is gone but it is not (it cannot be: it leads the group). */
static void signal_group(const struct trial *t, int sig)
{
	if (t->pid > 0 && kill(-t->pid, sig) < 0 && errno == ESRCH && !t->exited)
		kill(t->pid, sig);
}

/* Stops reading a pipe something left over still holds open: for the trial
 * it is at its end. */
static void force_eof(struct trial *t)
{
	if (!t->out_eof) {
		linebuf_eof(&t->out_lb, on_line, t);
		t->out_eof = 1;
		pipe_done(t, (uv_stream_t *)&t->out);
	}
	if (!t->err_eof) {
		t->err_eof = 1;
		pipe_done(t, (uv_stream_t *)&t->err);
	}
}

static void on_kill_timer(uv_timer_t *timer)
{
	struct trial *t = timer->data;

	if (!t->exited) {
		log_msg("trial %lld: no exit %g s after its stop signal, sending SIGKILL",
			(long long)t->row.id, t->host->grace);
		signal_group(t, SIGKILL);
		return;
	}
	if (t->held) { /* its output waits for us, not the other way round */
		uv_timer_again(timer);
		return;
	}
	log_msg("trial %lld: its program exited but what it started still holds its output "
		"after %g s: SIGKILL to its process group, output closed",
		(long long)t->row.id, t->host->grace);
	signal_group(t, SIGKILL);
	force_eof(t);
}

static void on_stall(uv_timer_t *timer)
{
	struct trial *t = timer->data;
	char reason[128];

	if (t->held)
		return; /* it is blocked on us, not stalled; the timer repeats */
	snprintf(reason, sizeof reason, "stalled: no output for %g s", t->spec->stall_timeout);
	uv_timer_stop(timer);
	t->stop_retryable = 1;
	trial_stop(t, "failed", reason);
}

static void on_deadline(uv_timer_t *timer)
{
	struct trial *t = timer->data;
	char reason[128];

	snprintf(reason, sizeof reason, REASON_TIMED_OUT "%g s", t->spec->timeout);
	trial_stop(t, "failed", reason);
}

static void init_handles(struct trial *t)
{
	uv_loop_t *loop = t->host->loop;

	uv_pipe_init(loop, &t->in, 0);
	uv_pipe_init(loop, &t->out, 0);
	uv_pipe_init(loop, &t->err, 0);
	uv_timer_init(loop, &t->kill_timer);
	uv_timer_init(loop, &t->stall_timer);
	uv_timer_init(loop, &t->deadline);
	t->in.data = t->out.data = t->err.data = t;
	t->kill_timer.data = t->stall_timer.data = t->deadline.data = t;
	t->write_req.data = t;
	t->open_handles = N_HANDLES;
	linebuf_init(&t->out_lb, WORKER_PROTO_MAX_LINE);
	linebuf_init(&t->err_lb, 1024);
}

/* The trial failed to start: it ends as failed with why, then is freed
 * through its handles. Returns -1 with err set. */
static int start_failed(struct trial *t, const char *why, char *err, size_t errlen)
{
	err_set(err, errlen, "trial %lld: %s", (long long)t->row.id, why);
	log_msg("%s", err);
	t->row.status = "failed";
	t->row.reason = xstrdup(why);
	t->row.ended_at = log_now();
	t->host->on_end(t);
	close_all(t);
	return -1;
}

/* Under Slurm the built-in worker cannot read its configuration from stdin
 * (srun's stdin is /dev/null): it goes to STATE/trials/ID/config.json, on the
 * filesystem the compute nodes share. Returns the path, or NULL with err. */
static char *config_file(struct trial *t, char *err, size_t errlen)
{
	char path[4200];
	FILE *f;
	int ok;

	if (statedir_trial_dir(t->host->state_dir, t->row.id, path, sizeof path, err, errlen) < 0)
		return NULL;
	statedir_trial_path(t->host->state_dir, t->row.id, "config.json", path, sizeof path);
	f = fopen(path, "w");
	ok = f && fputs(t->config, f) >= 0;
	if (f)
		ok = (fclose(f) == 0) & ok;
	if (!ok) {
		err_set(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return xstrdup(path);
}

/* Spawns the trial's program through its launcher: the built-in worker (its
 * configuration on stdin, or in a file under Slurm) or a command, which runs
 * in its own directory with its values in its environment. The --exec-limits
 * wrapper (caviard itself) sets a memory limit and makes the program die with
 * the daemon; every command trial and every Slurm step goes through it. */
/* Its pipes: for each of stdin, stdout, stderr the child's end in child[i]
 * (-1: /dev/null) and ours opened in the libuv handle. Returns 0 or a
 * negative libuv error (every descriptor made is closed). */
static int make_pipes(struct trial *t, int want_stdin, int child[3])
{
	uv_pipe_t *ours[3] = {&t->in, &t->out, &t->err};
	int fds[2], rc = 0;

	child[0] = child[1] = child[2] = -1;
	for (int i = want_stdin ? 0 : 1; i < 3 && rc == 0; i++) {
		rc = uv_pipe(fds, i ? UV_NONBLOCK_PIPE : 0, i ? 0 : UV_NONBLOCK_PIPE);
		if (rc < 0)
			break;
		child[i] = fds[i ? 1 : 0];
		rc = uv_pipe_open(ours[i], fds[i ? 0 : 1]);
		if (rc < 0)
			close(fds[i ? 0 : 1]);
	}
	if (rc < 0)
		for (int i = 0; i < 3; i++)
			if (child[i] >= 0)
				close(child[i]);
	return rc;
}

/* Asks the sweep's fork server for the program (t->pid comes with
 * trial_forked). Returns 0, or -1 when the server cannot take it: then the
 * program is spawned as ever. Our ends of the child's pipes are closed
 * either way (the server has its own). */
static int fork_through_server(struct trial *t, char **extra, int n_extra, int child[3])
{
	char err[256];
	int rc = forkserver_fork(t->forkserver, t->row.id, extra, n_extra, t->cmd->trial_dir,
				 t->memory_mb, child, err, sizeof err);

	if (rc < 0) {
		log_msg("trial %lld: %s; spawning it instead", (long long)t->row.id, err);
		t->forkserver = NULL;
		return -1;
	}
	for (int i = 0; i < 3; i++)
		if (child[i] >= 0)
			close(child[i]);
	return 0;
}

static int spawn(struct trial *t, const char *config_path)
{
	const struct trial_host *h = t->host;
	char threads[64], omp[64], trial_id[64], parent[64];
	char *extra[64] = {threads, omp, trial_id, parent};
	/* Under Slurm the task's parent is slurmstepd, not us: srun itself dies
	 * with the daemon (--exec-limits), so the task must not follow a parent. */
	int n_extra = h->launcher == LAUNCHER_SLURM ? 3 : 4, rc, child[3];
	char *worker[] = {(char *)h->worker_path, "--config", (char *)config_path, NULL};
	char **owned, **argv, **env;

	snprintf(threads, sizeof threads, "OPENBLAS_NUM_THREADS=%d", t->threads);
	snprintf(omp, sizeof omp, "OMP_NUM_THREADS=%d", t->threads);
	snprintf(trial_id, sizeof trial_id, "CAVIAR_TRIAL_ID=%lld", (long long)t->row.id);
	snprintf(parent, sizeof parent, "CAVIAR_PARENT_PID=%ld", (long)getpid());
	for (int i = 0; t->cmd && i < t->cmd->n_env && n_extra < 63; i++)
		extra[n_extra++] = t->cmd->env[i];
	rc = make_pipes(t, h->launcher == LAUNCHER_LOCAL, child);
	if (rc < 0)
		return rc;
	if (t->forkserver && fork_through_server(t, extra, n_extra, child) == 0)
		return 0;
	argv = launcher_argv(h->launcher, h->self_path, t->cmd ? t->cmd->argv : worker,
			     t->cmd || t->memory_mb > 0, t->memory_mb, t->spec->slurm,
			     t->row.id, &owned);
	env = child_env(extra, n_extra);
	rc = child_spawn(argv[0], argv, env, t->cmd ? t->cmd->trial_dir : NULL, child, &t->pid);
	for (int i = 0; i < 3; i++)
		if (child[i] >= 0)
			close(child[i]);
	free(env);
	free(argv);
	for (int i = 0; owned[i]; i++)
		free(owned[i]);
	free(owned);
	return rc;
}

static void start_timers(struct trial *t)
{
	const struct spec *spec = t->spec;

	if (spec->stall_timeout > 0) {
		uint64_t ms = (uint64_t)(fmin(spec->stall_timeout, SPEC_MAX_SECONDS) * 1000);

		uv_timer_start(&t->stall_timer, on_stall, ms, ms);
	}
	if (spec->timeout > 0)
		uv_timer_start(&t->deadline, on_deadline,
			       (uint64_t)(fmin(spec->timeout, SPEC_MAX_SECONDS) * 1000), 0);
}

int trial_start(struct trial *t, char *err, size_t errlen)
{
	const struct trial_host *h = t->host;
	char *config_path = NULL, why[512];
	uv_buf_t buf;
	int rc;

	init_handles(t);
	if (t->start_error)
		return start_failed(t, t->start_error, err, errlen);
	if (!t->cmd && h->launcher == LAUNCHER_SLURM && !(config_path = config_file(t, why, sizeof why)))
		return start_failed(t, why, err, errlen);
	rc = spawn(t, config_path ? config_path : "-");
	free(config_path);
	if (rc < 0) {
		snprintf(why, sizeof why, "cannot start %s: %s",
			 t->cmd ? t->cmd->argv[0] : h->worker_path, uv_strerror(rc));
		return start_failed(t, why, err, errlen);
	}
	/* A local program's stdin stays open for control lines (trial_send);
	 * the built-in worker's configuration comes first, on its first line. */
	if (h->launcher == LAUNCHER_SLURM) {
		close_handle((uv_handle_t *)&t->in); /* srun's stdin is /dev/null */
	} else if (t->cmd) {
		t->in_open = 1;
	} else {
		buf = uv_buf_init(t->config, (unsigned)strlen(t->config));
		t->in_open = uv_write(&t->write_req, (uv_stream_t *)&t->in, &buf, 1,
				      on_written) == 0;
	}
	t->pipes_open = 2;
	if ((rc = uv_read_start((uv_stream_t *)&t->out, on_alloc, on_out)) < 0) {
		log_msg("trial %lld: cannot read its output: %s", (long long)t->row.id, uv_strerror(rc));
		t->out_eof = 1;
		t->pipes_open--;
	}
	if ((rc = uv_read_start((uv_stream_t *)&t->err, on_alloc, on_err)) < 0) {
		t->err_eof = 1;
		t->pipes_open--;
	}
	start_timers(t);
	t->row.pid = (int)t->pid;
	return 0;
}

void trial_hold_reading(struct trial *t, int hold)
{
	t->held = hold;
	if (t->out_eof)
		return;
	if (hold)
		uv_read_stop((uv_stream_t *)&t->out);
	else
		uv_read_start((uv_stream_t *)&t->out, on_alloc, on_out);
}

int trial_reason_of_values(const char *reason)
{
	static const char *const of_values[] = {REASON_DIVERGED, REASON_TIMED_OUT, REASON_MEMORY};

	for (size_t i = 0; reason && i < sizeof of_values / sizeof of_values[0]; i++)
		if (strncmp(reason, of_values[i], strlen(of_values[i])) == 0)
			return 1;
	return 0;
}

void trial_stop(struct trial *t, const char *status, const char *reason)
{
	if (t->stop_status || t->exited)
		return;
	t->stop_status = status;
	t->stop_reason = xstrdup(reason);
	if (t->forkserver && forkserver_withdraw(t->forkserver, t->row.id)) {
		trial_fork_failed(t, reason, 0); /* never sent: it ends as asked */
		return;
	}
	signal_group(t, launcher_stop_signal(t->host->launcher));
	uv_timer_start(&t->kill_timer, on_kill_timer, (uint64_t)(t->host->grace * 1000), 0);
}

double trial_objective_at(const struct trial *t, int epoch)
{
	return epoch >= 0 && epoch < t->n_objective ? t->objective[epoch] : NAN;
}

/* A built-in worker's checkpoint: STATE/checkpoints/trial-ID.ckpt. */
static void builtin_checkpoint(struct trial *t, cJSON *config)
{
	char path[4200];

	statedir_checkpoint(t->host->state_dir, t->row.id, 0, path, sizeof path);
	t->checkpoint = xstrdup(path);
	cJSON_AddStringToObject(config, "checkpoint", path);
	cJSON_AddBoolToObject(config, WORKER_PROTO_KEEP_EPOCHS, 1); /* for forks (settle_epochs) */
}

/* A command trial's argv, directories and environment; a failure is kept as
 * the reason the trial cannot start. */
static void command_setup(struct trial *t, const cJSON *config)
{
	char err[ERRBUF_LEN];

	t->cmd = xcalloc(1, sizeof *t->cmd);
	if (command_prepare(t->cmd, t->spec, config, t->sweep_id, t->row.id, t->host->state_dir,
			    err, sizeof err) < 0)
		t->start_error = xstrdup(err);
}

struct trial *trial_create(struct trial_host *host, const struct spec *spec, int64_t sweep_id,
			   int64_t id, int number, int attempts, cJSON *params, uint64_t seed,
			   const cJSON *overrides)
{
	struct trial *t = xcalloc(1, sizeof *t);
	cJSON *config = trialcfg_build(spec, params, seed);
	const cJSON *o;

	cJSON_ArrayForEach(o, overrides) {
		cJSON_DeleteItemFromObjectCaseSensitive(config, o->string);
		cJSON_AddItemToObject(config, o->string, cJSON_Duplicate(o, 1));
	}
	const cJSON *threads = cJSON_GetObjectItemCaseSensitive(config, "threads");
	char *text;
	size_t len;

	t->host = host;
	t->spec = spec;
	t->sweep_id = sweep_id;
	t->number = number;
	t->seed = seed;
	t->params = params;
	t->row.id = id;
	t->row.attempts = attempts + 1;
	t->row.status = "running";
	t->row.exit_code = -1;
	t->row.best_value = NAN;
	t->last_objective = NAN;
	t->row.started_at = log_now();
	t->threads = cJSON_IsNumber(threads) && threads->valuedouble >= 1 ? threads->valueint : 1;
	t->epochs_total = (int)HP_NUM(config, "epochs");
	t->max_epoch = t->epochs_total > TRIAL_MAX_EPOCH ? t->epochs_total : TRIAL_MAX_EPOCH;
	t->memory_mb = spec->memory_mb;
	if (spec->command)
		command_setup(t, config);
	else
		builtin_checkpoint(t, config);
	text = cJSON_PrintUnformatted(config);
	len = strlen(text);
	t->config = xrealloc(text, len + 2); /* one line on the worker's stdin */
	memcpy(t->config + len, "\n", 2);
	cJSON_Delete(config);
	return t;
}
