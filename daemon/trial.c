/* trial: a worker process and its pipes, from spawn to the last close
 * callback (see trial.h). */
#include "trial.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "daemon.h"
#include "errbuf.h"
#include "events.h"
#include "exitcodes.h"
#include "line.h"
#include "sweeps.h"
#include "worker_proto.h"
#include "xalloc.h"

extern char **environ;

#define MAX_LOGGED_REJECTS 5
#define MAX_LOG_LINES 10000 /* output lines of a command trial kept per attempt */
#define N_HANDLES 6 /* in, out, err, kill_timer, stall_timer, deadline */

static void on_close(uv_handle_t *h)
{
	struct trial *t = h->data;

	if (--t->open_handles > 0)
		return;
	linebuf_finish(&t->out_lb);
	linebuf_finish(&t->err_lb);
	free(t->row.reason);
	free(t->row.stderr_tail);
	free(t->event_reason);
	free(t->stop_reason);
	free(t->config);
	free(t->params);
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

static void unlink_running(struct trial *t)
{
	for (struct trial **p = &t->d->running; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			t->d->n_running--;
			return;
		}
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
	const char *why = worker_exit_reason((int)t->exit_status);
	const char *last = last_line(t->row.stderr_tail);
	int code = (int)t->exit_status;

	if (t->term_signal) {
		trial_row_reason(&t->row, "killed by signal %d (SIG%s)", t->term_signal,
			   sigabbrev_np(t->term_signal) ? sigabbrev_np(t->term_signal) : "?");
		t->retryable = 1;
	} else if (code == 0 && t->n_points == 0) {
		trial_row_reason(&t->row, "exited without reporting any metric");
	} else if (code == 0) {
		t->row.status = "done";
		if (t->rejected)
			trial_row_reason(&t->row, "finished (%d lines rejected)", t->rejected);
		else
			trial_row_reason(&t->row, "finished");
	} else {
		trial_row_reason(&t->row, "exit code %d (%s)%s%s", code, why ? why : "unknown", last ? ": " : "",
			   last ? last : "");
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
		trial_row_reason(&t->row, "%s", t->stop_reason);
		t->retryable = t->stop_retryable;
	} else if (t->event_reason) {
		trial_row_reason(&t->row, "%s", t->event_reason);
	} else {
		classify_exit(t);
	}
	if (strcmp(t->row.status, "failed") == 0 && !t->stop_status && out_of_memory(t)) {
		char *was = xstrdup(t->row.reason);

		trial_row_reason(&t->row, "exceeded its memory limit (%d MB): %s", t->memory_mb, was);
		free(was);
		t->retryable = 0;
	}
}

static void maybe_finish(struct trial *t)
{
	struct daemon *d = t->d;

	if (!t->exited || t->pipes_open > 0)
		return;
	uv_timer_stop(&t->kill_timer);
	uv_timer_stop(&t->stall_timer);
	uv_timer_stop(&t->deadline);
	t->row.stderr_tail = stderr_tail(t);
	t->row.pid = 0;
	t->row.ended_at = daemon_now();
	t->row.exit_code = t->term_signal ? -1 : (int)t->exit_status;
	t->row.exit_signal = t->term_signal;
	classify(t);
	sweeps_trial_outcome(d, t);
	daemon_log("trial %lld (sweep %lld #%d): %s: %s", (long long)t->row.id,
		   (long long)t->sweep->id, t->number, t->row.status, t->row.reason);
	db_trial_update(&d->db, &t->row);
	daemon_dirty(d);
	events_trial_ended(d, t);
	unlink_running(t);
	d->trials_finished++;
	sweeps_trial_ended(d, t);
	close_all(t);
	daemon_schedule(d);
}

static void program_exited(struct trial *t, int64_t status, int sig)
{
	t->exited = 1;
	t->exit_status = status;
	t->term_signal = sig ? sig : launcher_exit_signal(t->d->opt.launcher, status);
	maybe_finish(t);
}

void trials_reap(struct daemon *d)
{
	struct trial *next;
	int status;

	for (struct trial *t = d->running; t; t = next) {
		next = t->next; /* program_exited may take t off the list (and start others) */
		if (t->exited || t->pid <= 0 || waitpid(t->pid, &status, WNOHANG) != t->pid)
			continue;
		if (WIFEXITED(status))
			program_exited(t, WEXITSTATUS(status), 0);
		else if (WIFSIGNALED(status))
			program_exited(t, 0, WTERMSIG(status));
	}
}

static void record_metrics(struct trial *t, const struct worker_line *l)
{
	struct daemon *d = t->d;
	const struct spec *spec = &t->sweep->spec;
	double now = daemon_now(), objective = NAN;
	char reason[512];

	for (int i = 0; i < l->n_metrics; i++) {
		const struct line_metric *m = &l->metrics[i];

		db_point_add(&d->db, t->row.id, m->name, l->epoch, l->step, m->value, now);
		t->n_points++;
		if (strcmp(m->name, spec->objective_metric) != 0)
			continue;
		objective = m->value;
		if (isnan(t->row.best_value) ||
		    (spec->objective_max ? m->value > t->row.best_value
					 : m->value < t->row.best_value)) {
			t->row.best_value = m->value;
			t->row.best_epoch = l->epoch;
		}
	}
	if (l->epoch > t->row.epochs)
		t->row.epochs = l->epoch;
	db_trial_update(&d->db, &t->row);
	daemon_dirty(d);
	events_progress(d, t, l);
	if (!isnan(objective) && sweeps_should_stop(t->sweep, t, l->epoch, objective, reason,
						    sizeof reason))
		trial_stop(t, "pruned", reason);
}

/* A trial that ran before (a restart, a retry) starts over from its
 * checkpoint, or from nothing: its curve is cut back to match. */
static void first_line(struct trial *t, const struct worker_line *l)
{
	int from = 0;

	t->first_line_seen = 1;
	if (l->kind == LINE_EVENT && strcmp(l->event, WORKER_PROTO_RESUMED) == 0 && l->epoch > 0)
		from = l->epoch;
	if (t->row.attempts > 1 || from > 0)
		sweeps_trial_resume(t->d, t, from);
}

static void record_event(struct trial *t, const struct worker_line *l)
{
	const cJSON *metric = cJSON_GetObjectItemCaseSensitive(l->json, "metric");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(l->json, "value");
	char buf[512];

	if (strcmp(l->event, WORKER_PROTO_RESUMED) == 0)
		return; /* first_line() has dealt with it */
	if (strcmp(l->event, WORKER_PROTO_DIVERGED) != 0) {
		daemon_log("trial %lld: %s at epoch %d", (long long)t->row.id, l->event, l->epoch);
		return;
	}
	if (t->event_reason)
		return; /* the first divergence is the one that counts */
	snprintf(buf, sizeof buf, "diverged at epoch %d step %lld (%s = %s)", l->epoch,
		 (long long)l->step, cJSON_IsString(metric) ? metric->valuestring : "loss",
		 cJSON_IsString(value) ? value->valuestring : "non-finite");
	t->event_reason = xstrdup(buf);
	/* The built-in worker exits by itself; a program that goes on is stopped. */
	trial_stop(t, "failed", buf);
}

/* A command trial's output line that is not for the daemon: its log. */
static void keep_log(struct trial *t, const char *text, size_t len)
{
	if (t->log_lines >= MAX_LOG_LINES) {
		if (t->log_lines++ == MAX_LOG_LINES)
			daemon_log("trial %lld: over %d lines of output; the rest is not kept",
				   (long long)t->row.id, MAX_LOG_LINES);
		return;
	}
	t->log_lines++;
	db_log_add(&t->d->db, t->row.id, t->row.attempts, t->log_lines, text, len, daemon_now());
	daemon_dirty(t->d);
}

/* The part of a line meant for the daemon: all of it from the built-in
 * worker; from a command, what follows the spec's metrics_prefix, or without
 * one a line that opens a JSON object. NULL: a log line. */
static const char *metrics_part(const struct trial *t, const char *text, size_t *len)
{
	const char *prefix = t->sweep->spec.metrics_prefix;
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

static void reject(struct trial *t, const char *why, const char *text, size_t len)
{
	t->rejected++;
	t->d->lines_rejected++;
	if (t->rejected <= MAX_LOGGED_REJECTS)
		daemon_log("trial %lld: line rejected: %s: %.60s%s", (long long)t->row.id, why,
			   text ? text : "", text && len > 60 ? "..." : "");
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
	if (!t->first_line_seen)
		first_line(t, &l);
	if (l.kind == LINE_EVENT)
		record_event(t, &l);
	else if (!t->stop_status) /* asked to stop: its curve ends where it was stopped */
		record_metrics(t, &l);
	line_finish(&l);
}

/* Every read lands in the daemon's one read buffer: libuv calls the read
 * callback right after the allocation, and lines are consumed (or carried by
 * the linebuf) before the next read. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct trial *t = h->data;

	(void)suggested;
	buf->base = t->d->readbuf;
	buf->len = sizeof t->d->readbuf;
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
	if (n < 0) {
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
		if (t->d->opt.launcher == LAUNCHER_SLURM)
			linebuf_feed(&t->err_lb, buf->base, (size_t)n, on_err_line, t);
	}
	if (n < 0)
		pipe_done(t, s);
}

static void on_written(uv_write_t *req, int status)
{
	struct trial *t = req->data;

	(void)status; /* a worker that exits before reading its config fails on its own */
	close_handle((uv_handle_t *)&t->in);
}

static void on_kill_timer(uv_timer_t *timer)
{
	struct trial *t = timer->data;

	daemon_log("trial %lld: no exit after SIGTERM, sending SIGKILL", (long long)t->row.id);
	kill(t->pid, SIGKILL);
}

static void on_stall(uv_timer_t *timer)
{
	struct trial *t = timer->data;
	char reason[128];

	if (t->d->reads_held)
		return; /* it is blocked on us, not stalled; the timer repeats */
	snprintf(reason, sizeof reason, "stalled: no output for %g s", t->sweep->spec.stall_timeout);
	uv_timer_stop(timer);
	t->stop_retryable = 1;
	trial_stop(t, "failed", reason);
}

static void on_deadline(uv_timer_t *timer)
{
	struct trial *t = timer->data;
	char reason[128];

	snprintf(reason, sizeof reason, "timed out after %g s", t->sweep->spec.timeout);
	trial_stop(t, "failed", reason);
}

/* environ plus the trial's variables; the strings in extra are owned by the caller. */
static char **trial_env(char **extra, int n_extra)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + (size_t)n_extra + 1, sizeof *env);
	for (size_t i = 0; i < n; i++) {
		int overridden = 0;

		for (int j = 0; j < n_extra; j++) {
			size_t name_len = (size_t)(strchr(extra[j], '=') - extra[j]) + 1;

			overridden |= strncmp(environ[i], extra[j], name_len) == 0;
		}
		if (!overridden)
			env[k++] = environ[i];
	}
	for (int j = 0; j < n_extra; j++)
		env[k++] = extra[j];
	return env;
}

static void init_handles(struct trial *t)
{
	uv_loop_t *loop = &t->d->loop;

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

/* The trial failed to start: recorded as failed with why (and told to
 * subscribers), then freed through its handles. Returns -1 with err set. */
static int start_failed(struct trial *t, const char *why, char *err, size_t errlen)
{
	struct daemon *d = t->d;

	err_set(err, errlen, "trial %lld: %s", (long long)t->row.id, why);
	daemon_log("%s", err);
	t->row.status = "failed";
	t->row.reason = xstrdup(why);
	t->row.ended_at = daemon_now();
	db_trial_update(&d->db, &t->row);
	daemon_dirty(d);
	events_trial_ended(d, t);
	sweeps_trial_ended(d, t); /* may end the sweep: t->sweep is not used after */
	close_all(t);
	return -1;
}

/* Under Slurm the built-in worker cannot read its configuration from stdin
 * (srun's stdin is /dev/null): it goes to STATE/trials/ID/config.json, on the
 * filesystem the compute nodes share. Returns the path, or NULL with err. */
static char *config_file(struct trial *t, const char *config, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof path, "%s/trials", t->d->opt.state_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/trials/%lld", t->d->opt.state_dir, (long long)t->row.id);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/trials/%lld/config.json", t->d->opt.state_dir,
		 (long long)t->row.id);
	f = fopen(path, "w");
	ok = f && fputs(config, f) >= 0;
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

static int spawn(struct trial *t, const char *config_path)
{
	struct daemon *d = t->d;
	char threads[64], omp[64], trial_id[64], parent[64];
	char *extra[64] = {threads, omp, trial_id, parent};
	/* Under Slurm the task's parent is slurmstepd, not us: srun itself dies
	 * with the daemon (--exec-limits), so the task must not follow a parent. */
	int n_extra = d->opt.launcher == LAUNCHER_SLURM ? 3 : 4, rc, child[3];
	char *worker[] = {(char *)d->opt.worker_path, "--config", (char *)config_path, NULL};
	char **owned, **argv, **env;

	snprintf(threads, sizeof threads, "OPENBLAS_NUM_THREADS=%d", t->threads);
	snprintf(omp, sizeof omp, "OMP_NUM_THREADS=%d", t->threads);
	snprintf(trial_id, sizeof trial_id, "CAVIAR_TRIAL_ID=%lld", (long long)t->row.id);
	snprintf(parent, sizeof parent, "CAVIAR_PARENT_PID=%ld", (long)getpid());
	for (int i = 0; t->cmd && i < t->cmd->n_env && n_extra < 63; i++)
		extra[n_extra++] = t->cmd->env[i];
	rc = make_pipes(t, strcmp(config_path, "-") == 0, child);
	if (rc < 0)
		return rc;
	argv = launcher_argv(d->opt.launcher, d->self_path, t->cmd ? t->cmd->argv : worker,
			     t->cmd || t->memory_mb > 0, t->memory_mb, t->sweep->spec.slurm,
			     t->row.id, &owned);
	env = trial_env(extra, n_extra);
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
	const struct spec *spec = &t->sweep->spec;

	if (spec->stall_timeout > 0) {
		uint64_t ms = (uint64_t)(spec->stall_timeout * 1000);

		uv_timer_start(&t->stall_timer, on_stall, ms, ms);
	}
	if (spec->timeout > 0)
		uv_timer_start(&t->deadline, on_deadline, (uint64_t)(spec->timeout * 1000), 0);
}

int trial_start(struct trial *t, const char *config, char *err, size_t errlen)
{
	struct daemon *d = t->d;
	size_t len = strlen(config);
	char *config_path = NULL, why[512];
	uv_buf_t buf;
	int rc;

	init_handles(t);
	if (t->start_error)
		return start_failed(t, t->start_error, err, errlen);
	if (!t->cmd && d->opt.launcher == LAUNCHER_SLURM &&
	    !(config_path = config_file(t, config, why, sizeof why)))
		return start_failed(t, why, err, errlen);
	rc = spawn(t, config_path ? config_path : "-");
	free(config_path);
	if (rc < 0) {
		snprintf(why, sizeof why, "cannot start %s: %s",
			 t->cmd ? t->cmd->argv[0] : d->opt.worker_path, uv_strerror(rc));
		return start_failed(t, why, err, errlen);
	}
	if (t->cmd || d->opt.launcher == LAUNCHER_SLURM) {
		close_handle((uv_handle_t *)&t->in); /* no configuration on stdin */
	} else {
		t->config = xmalloc(len + 2);
		memcpy(t->config, config, len);
		memcpy(t->config + len, "\n", 2);
		buf = uv_buf_init(t->config, (unsigned)(len + 1));
		if (uv_write(&t->write_req, (uv_stream_t *)&t->in, &buf, 1, on_written) < 0)
			close_handle((uv_handle_t *)&t->in);
	}
	t->pipes_open = 2;
	if (!d->reads_held)
		uv_read_start((uv_stream_t *)&t->out, on_alloc, on_out);
	uv_read_start((uv_stream_t *)&t->err, on_alloc, on_err);
	start_timers(t);
	t->row.pid = (int)t->pid;
	t->next = d->running;
	d->running = t;
	d->n_running++;
	d->trials_started++;
	events_trial_started(d, t, t->params);
	return 0;
}

void trial_hold_reading(struct trial *t, int hold)
{
	if (t->out_eof)
		return;
	if (hold)
		uv_read_stop((uv_stream_t *)&t->out);
	else
		uv_read_start((uv_stream_t *)&t->out, on_alloc, on_out);
}

void trial_stop(struct trial *t, const char *status, const char *reason)
{
	if (t->stop_status || t->exited)
		return;
	t->stop_status = status;
	t->stop_reason = xstrdup(reason);
	kill(t->pid, launcher_stop_signal(t->d->opt.launcher));
	uv_timer_start(&t->kill_timer, on_kill_timer, (uint64_t)(t->d->opt.grace * 1000), 0);
}
