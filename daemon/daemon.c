/* daemon: caviard's hub (see daemon.h). What is left in it: wiring the
 * spokes (wire), start-up and recovery (start), sampling the sweeps' trials
 * a slice per loop iteration and scheduling them into free slots, acting on
 * what trials report (trial_host: metrics, logs, control lines, an end and
 * what follows it: a retry, a failed fork, a sweep failed), on what sweeps
 * decide (a round, an end, a pbt member replaced: sweeps_epoch) and on what
 * the writer says (hold reads, writes work again), the wall-clock budgets,
 * steer's and the fork servers' callbacks, signals and children's exits,
 * and an orderly shutdown. Clients are answered by requests.c, which asks
 * the hub through d->hub (set in wire); when the database is written is
 * writer.c's, control lines and replayed adjustments steer.c's, forks'
 * plans and files fork.c's, DB.lock db.c's. */
#include "daemon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "errbuf.h"
#include "fork.h"
#include "log.h"
#include "query.h"
#include "worker_proto.h"
#include "xalloc.h"

static void schedule(struct daemon *d);
static void finish_shutdown(struct daemon *d);
static void fill_soon(struct daemon *d);
static void arm_budget(struct daemon *d);
static void pbt_step(struct daemon *d, struct trial *t, int epoch);
static void sweep_stopping(struct daemon *d, struct sweep *sw);

/* ---- sweeps' decisions ---- */

/* Acts on what becomes of sw once nothing of it is queued or running: its
 * next round is scheduled, or its end told to clients. Sweeps are judged on
 * committed data: when the flush fails, this runs again once writes work. */
static void check_sweep(struct daemon *d, struct sweep *sw)
{
	const char *status = NULL;

	if (!sweeps_idle(sw) || writer_flush(&d->writer) < 0)
		return;
	switch (sweeps_advance(&d->sweeps, sw, &status)) {
	case SWEEP_ROUND:
		fill_soon(d);
		schedule(d);
		break;
	case SWEEP_ENDED: {
		int64_t id = sw->id;

		forkserver_drop(&d->forkservers, id);
		server_sweep_ended(&d->server, id, status, sw->reason[0] ? sw->reason : NULL);
		events_sweep(&d->events, id, proto_event_name(PROTO_EV_SWEEP_ENDED), sw->spec.name,
			     status, sw->reason[0] ? sw->reason : NULL);
		sweeps_remove(&d->sweeps, sw);
		requests_sweep_ended(d, id);
		break;
	}
	case SWEEP_BUSY:
	case SWEEP_STUCK:
		break;
	}
}

static void check_all(struct daemon *d)
{
	struct sweep *next;

	for (struct sweep *sw = d->sweeps.list; sw; sw = next) {
		next = sw->next;
		check_sweep(d, sw);
	}
}

/* writer's hold: every running trial's pipe is read (0) or not (1). */
static void hold_reads(void *data, int hold)
{
	struct daemon *d = data;

	for (struct trial *t = d->running; t; t = t->next)
		trial_hold_reading(t, hold);
}

/* writer's recovered: the sweeps and the slots that waited on the database. */
static void writes_recovered(void *data)
{
	check_all(data);
	schedule(data);
}

static void on_fill_retry(uv_timer_t *timer);

/* Samples and records a slice of the trials still to be recorded, once per
 * loop iteration, until none is left. */
static void on_fill(uv_idle_t *idle)
{
	struct daemon *d = idle->data;
	int left = d->shutting_down ? 0 : sweeps_fill(&d->sweeps, SWEEPS_SLICE);

	if (left <= 0)
		uv_idle_stop(idle);
	if (left < 0)
		uv_timer_start(&d->fill_retry, on_fill_retry, WRITER_RETRY_MS, 0);
	schedule(d);
}

static void fill_soon(struct daemon *d)
{
	if (!d->shutting_down)
		uv_idle_start(&d->fill, on_fill);
}

static void on_fill_retry(uv_timer_t *timer)
{
	fill_soon(timer->data);
}

/* Starts as many queued trials as free slots allow. */
static void schedule(struct daemon *d)
{
	char err[ERRBUF_LEN];
	struct sweep_pick p;

	if (d->shutting_down) {
		if (d->n_running == 0)
			finish_shutdown(d);
		return;
	}
	if (d->scheduling)
		return; /* a trial that failed to start ends inside the loop below */
	d->scheduling = 1;
	while (!d->writer.failing && d->n_running < d->opt.slots && sweeps_next(&d->sweeps, &p)) {
		int fork_epoch;
		int64_t parent;
		cJSON *overrides = fork_start_overrides(&d->db.query, d->opt.state_dir, p.id,
							p.attempts, p.sweep->spec.command != NULL,
							&parent, &fork_epoch);
		struct trial *t = trial_create(&d->host, &p.sweep->spec, p.sweep->id, p.id, p.number,
					       p.attempts, p.params, p.seed, overrides);
		char k[16];

		cJSON_Delete(overrides);
		if (t->cmd && p.sweep->spec.fork_server && d->opt.launcher == LAUNCHER_LOCAL)
			t->forkserver = forkserver_get(&d->forkservers, p.sweep->id,
						       &p.sweep->spec, t->threads);
		snprintf(k, sizeof k, "%d", fork_epoch);
		if (t->cmd && fork_epoch > 0) /* a command trial's fork (worker_proto.h) */
			command_env_add(t->cmd, WORKER_PROTO_ENV_FORK_EPOCH, k);

		t->owner = p.sweep;
		t->fork_parent = parent;
		t->fork_epoch = fork_epoch;
		t->next = d->running;
		d->running = t;
		d->n_running++;
		if (trial_start(t, err, sizeof err) < 0)
			continue; /* recorded as failed by trial_ended */
		d->trials_started++;
		db_trial_update(&d->db, &t->row);
		writer_dirty(&d->writer);
		events_trial_started(&d->events, t);
	}
	d->scheduling = 0;
}

/* ---- what trials report (trial_host callbacks) ---- */

static void trial_resumed(struct trial *t, int from)
{
	struct daemon *d = t->host->data;
	char err[ERRBUF_LEN];
	cJSON *rows;

	/* the adjustments made after its checkpoint are sent again */
	sweeps_trial_resume(&d->sweeps, t->owner, &t->row, from);
	if (from <= 0)
		return;
	rows = query_run(&d->db.query, err, sizeof err, QUERY_ADJUSTMENTS, "i",
			 (long long)t->row.id);
	steer_replay(&d->steer, t->row.id, rows, from);
	cJSON_Delete(rows);
}

static void trial_metrics(struct trial *t, const struct worker_line *l, double objective)
{
	struct daemon *d = t->host->data;
	double now = log_now();
	char reason[512];

	for (int i = 0; i < l->n_metrics; i++) {
		db_point_add(&d->db, t->row.id, l->metrics[i].name, l->epoch, l->step,
			     l->metrics[i].value, now);
		sweeps_trial_metric(t->owner, t->number, l->epoch, l->metrics[i].name,
				    l->metrics[i].value);
	}
	db_trial_update(&d->db, &t->row);
	writer_dirty(&d->writer);
	events_progress(&d->events, t, l);
	if (sweeps_should_stop(t->owner, t->number, l->epoch, t->epochs_total, objective, reason,
			       sizeof reason))
		trial_stop(t, "pruned", reason);
	else if (!isnan(objective))
		pbt_step(d, t, l->epoch);
}

static void trial_log(struct trial *t, const char *text, size_t len)
{
	struct daemon *d = t->host->data;

	db_log_add(&d->db, t->row.id, t->row.attempts, t->log_lines, text, len, log_now());
	writer_dirty(&d->writer);
}

/* A crash or stall within the sweep's `retries` runs again. */
static int retry(struct daemon *d, struct trial *t)
{
	char *why;

	if (strcmp(t->row.status, "failed") != 0 || !t->retryable || d->shutting_down ||
	    !sweeps_may_retry(t->owner, t->row.attempts))
		return 0;
	why = t->row.reason;
	t->row.reason = NULL;
	t->row.status = "queued";
	t->row.ended_at = 0;
	db_row_reason(&t->row, "attempt %d failed (%s); retrying", t->row.attempts, why);
	free(why);
	return 1;
}

static void unlink_running(struct daemon *d, struct trial *t)
{
	for (struct trial **p = &d->running; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			d->n_running--;
			return;
		}
}

/* sw cannot succeed (why): its queued trials are cancelled, its running ones
 * but `except` (the trial that tells) stopped, and it ends failed. */
static void fail_sweep(struct daemon *d, struct sweep *sw, const char *why,
		       const struct trial *except)
{
	char err[ERRBUF_LEN];

	if (sweeps_fail(&d->sweeps, sw, why, err, sizeof err) < 0) {
		log_msg("sweep %lld: %s", (long long)sw->id, err);
		return;
	}
	writer_dirty(&d->writer);
	for (struct trial *o = d->running; o; o = o->next)
		if (o->owner == sw && o != except)
			trial_stop(o, "cancelled", why);
	sweep_stopping(d, sw);
}

/* A command trial that finished without ever reporting the sweep's objective
 * (a misspelt metric, say): no trial of that sweep can be ranked, so the sweep
 * fails at once, loudly, naming what the program did report. */
static void check_objective(struct daemon *d, struct trial *t)
{
	struct sweep *sw = t->owner;
	char names[256], why[sizeof sw->reason];

	if (!t->cmd || strcmp(t->row.status, "done") != 0 || !isnan(t->row.best_value) ||
	    sw->failed)
		return;
	snprintf(why, sizeof why,
		 "trial %lld finished without ever reporting the objective \"%s\"; it reported %s",
		 (long long)t->row.id, sw->spec.objective_metric,
		 strset_join(&t->names, ", ", names, sizeof names));
	t->row.status = "failed";
	db_row_reason(&t->row, "%s", why);
	fail_sweep(d, sw, why, t);
}

/* A fork that failed before an epoch of its own says so (the trial's reason,
 * and the sweep's if it ends "done": a pbt sweep then tells why it ran fewer
 * trials than asked). */
static void check_fork(struct trial *t)
{
	char *was;

	if (!t->fork_parent || strcmp(t->row.status, "failed") != 0 ||
	    t->row.epochs > t->fork_epoch)
		return;
	was = t->row.reason;
	t->row.reason = NULL;
	db_row_reason(&t->row, "fork of trial %lld at epoch %d failed in its first epoch: %s",
		      (long long)t->fork_parent, t->fork_epoch, was ? was : "no reason given");
	sweeps_fork_failed(t->owner, t->row.id, was ? was : "no reason given");
	free(was);
}

/* fail_fast: the spec's number of trials failed the same way (the same
 * recorded reason; not what the values caused, trial_reason_of_values): the
 * sweep fails at once, quoting the reason. */
static void check_failures(struct daemon *d, struct trial *t)
{
	struct sweep *sw = t->owner;
	char why[sizeof sw->reason];

	if (strcmp(t->row.status, "failed") != 0 || !t->row.reason || sw->failed ||
	    sw->cancelled || sw->spent || d->shutting_down ||
	    trial_reason_of_values(t->row.reason) ||
	    !sweeps_trial_failed(sw, t->row.reason, why, sizeof why))
		return;
	fail_sweep(d, sw, why, t);
}

static void trial_ended(struct trial *t)
{
	struct daemon *d = t->host->data;
	struct sweep *sw = t->owner;
	struct sweep_pick again = {.sweep = sw, .id = t->row.id, .number = t->number,
				   .attempts = t->row.attempts, .seed = t->seed,
				   .params = t->params};
	int queued;

	check_objective(d, t);
	steer_trial_ended(&d->steer, t->row.id, t->row.status);
	retry(d, t);
	check_failures(d, t);
	check_fork(t);
	queued = strcmp(t->row.status, "queued") == 0;
	log_msg("trial %lld (sweep %lld no. %d): %s: %s", (long long)t->row.id, (long long)sw->id,
		t->number, t->row.status, t->row.reason);
	db_trial_update(&d->db, &t->row);
	if (spec_has_goals(&sw->spec) &&
	    (strcmp(t->row.status, "done") == 0 || strcmp(t->row.status, "pruned") == 0))
		db_rank_queue(&d->db, sw->id);
	writer_dirty(&d->writer);
	events_trial_ended(&d->events, t);
	unlink_running(d, t);
	d->trials_finished++;
	d->lines_rejected += t->rejected;
	sweeps_trial_result(sw, t->number, t->row.status, t->row.best_value);
	/* Runs again now (a retry), or at the next start (a shutdown). */
	sweeps_trial_ended(sw, queued && !d->shutting_down ? &again : NULL);
	if (!queued && t->checkpoint)
		writer_discard(&d->writer, t->checkpoint);
	if (!queued && !d->shutting_down)
		check_sweep(d, sw);
	schedule(d);
}

/* ---- for the request handlers (requests.c, through struct requests_hub) ---- */

/* Tells watchers that sw's running trials are being stopped (it ends once
 * they are). */
static void sweep_stopping(struct daemon *d, struct sweep *sw)
{
	if (sw->running > 0)
		events_sweep(&d->events, sw->id, proto_event_name(PROTO_EV_SWEEP_STOPPING),
			     sw->spec.name, "stopping", sw->reason[0] ? sw->reason : NULL);
}

/* ---- steering trials: steer's seams (adjust and fork are requests.c's) ---- */

static struct trial *find_running(struct daemon *d, int64_t id)
{
	for (struct trial *t = d->running; t; t = t->next)
		if (t->row.id == id)
			return t;
	return NULL;
}

/* steer's send: a control line to a running trial's program. */
static int steer_write(void *data, int64_t trial, const char *text, char *err, size_t errlen)
{
	struct trial *t = find_running(data, trial);

	if (!t)
		return err_set(err, errlen, "trial %lld is not running", (long long)trial);
	return trial_send(t, text, err, errlen);
}

/* steer's tell: the client still connected (if it is) gets msg as an error. */
static void steer_tell(void *data, int64_t client, const char *msg)
{
	struct daemon *d = data;
	struct server_client *c = server_find(&d->server, client);

	if (c)
		server_error(c, msg);
}

/* The program's answer to one of our control lines (trial_host), or an
 * "adjusted" line of the curve it printed again at a resume (steer_replayed). */
static int trial_control(struct trial *t, const struct worker_line *l, char *err, size_t errlen)
{
	struct daemon *d = t->host->data;
	cJSON *rows;
	int rc;

	if (steer_answer(&d->steer, t->row.id, l, err, errlen) == 0)
		return 0;
	if (t->resumed_from <= 0 || l->epoch < 0 || l->epoch > t->resumed_from ||
	    strcmp(l->event, WORKER_PROTO_ADJUSTED) != 0)
		return -1;
	rows = query_run(&d->db.query, err, errlen, QUERY_ADJUSTMENTS, "i", (long long)t->row.id);
	if (!rows)
		return -1;
	rc = steer_replayed(&d->steer, t->row.id, t->spec, rows, t->resumed_from, l, err, errlen);
	cJSON_Delete(rows);
	return rc;
}

/* ---- search pbt: the hub acts on sweeps_epoch ---- */

/* Exploit: member is replaced by a fork of src's newest checkpoint with the
 * explored params, recorded in one transaction (the fork, its changes as
 * 'pbt' adjustments, the member pruned); then the member is stopped. */
static void pbt_exploit(struct daemon *d, struct trial *member, const struct trial *src,
			const struct sweeps_replace *rep)
{
	struct sweeps_fork f = {.sweep_id = member->sweep_id, .parent = src->row.id,
				.seed = src->seed, .source = "pbt", .within_budget = 1,
				.replaces = member->row.id, .changes = rep->changes};
	char src_path[4200], err[ERRBUF_LEN];
	struct sweep *revived;
	int64_t child;

	if (!(f.epoch = fork_newest_source(d->opt.state_dir, src->cmd != NULL, src->row.id,
					   src->row.epochs, src->epochs_total, src_path,
					   sizeof src_path))) {
		log_msg("trial %lld: pbt: trial %lld has no checkpoint to copy yet; it trains on",
			(long long)member->row.id, (long long)src->row.id);
		return;
	}
	if (writer_flush(&d->writer) < 0)
		return; /* decided again at its next interval */
	if (fork_stage(d->opt.state_dir, src->cmd != NULL, src->row.id, f.epoch, err,
		       sizeof err) < 0) {
		log_msg("trial %lld: pbt: %s; it trains on", (long long)member->row.id, err);
		return;
	}
	f.step = fork_step_at(&d->db.query, src->row.id, f.epoch);
	f.params = cJSON_PrintUnformatted(rep->params);
	if (!sweeps_fork(&d->sweeps, &f, &revived, &child, err, sizeof err)) {
		log_msg("trial %lld: pbt: %s; it trains on", (long long)member->row.id, err);
	} else {
		fork_materialize(d->opt.state_dir, src->cmd != NULL, src_path, src->row.id, child);
		log_msg("trial %lld: %s (a fork of trial %lld at epoch %d)",
			(long long)member->row.id, f.reason, (long long)src->row.id, f.epoch);
		trial_stop(member, "pruned", f.reason);
	}
	free((char *)f.params);
}

/* Member t reached epoch: its sweep's running trials, as sweeps_epoch sees
 * them, into d->members; returns how many, t's index in *self. */
static int gather_members(struct daemon *d, const struct trial *t, int epoch, int *self)
{
	int n = 0;

	if (d->cap_members < d->n_running) {
		d->cap_members = d->n_running;
		d->members = xrealloc(d->members, (size_t)d->cap_members * sizeof *d->members);
	}
	for (struct trial *o = d->running; o; o = o->next) {
		if (o->owner != t->owner)
			continue;
		if (o == t)
			*self = n;
		d->members[n++] = (struct sweeps_member){
			.trial = o->row.id, .value_at = trial_objective_at(o, epoch),
			.latest = o->last_objective, .params = o->params,
			.stopping = o->stop_status != NULL, .resumed_from = o->resumed_from,
			.epochs_total = o->epochs_total};
	}
	return n;
}

/* Member t of a sweep reached epoch: sweeps_epoch says whether it goes on
 * or is replaced. */
static void pbt_step(struct daemon *d, struct trial *t, int epoch)
{
	struct sweeps_replace rep = {0};
	int self = -1, n = gather_members(d, t, epoch, &self);

	if (self >= 0 && sweeps_epoch(&d->sweeps, t->owner, d->members, n, self, epoch, &rep) ==
	    SWEEPS_REPLACE) {
		pbt_exploit(d, t, find_running(d, d->members[rep.source].trial), &rep);
		sweeps_replace_finish(&rep);
	}
}

/* ---- wall-clock budgets ---- */

static void on_budget(uv_timer_t *timer)
{
	struct daemon *d = timer->data;
	char err[ERRBUF_LEN];
	double now = log_now();
	struct sweep *next;

	for (struct sweep *sw = d->sweeps.list; sw; sw = next) {
		double deadline = sweeps_deadline(sw);

		next = sw->next;
		if (deadline <= 0 || deadline > now)
			continue;
		if (sweeps_spend(&d->sweeps, sw, err, sizeof err) < 0) {
			log_msg("sweep %lld: %s", (long long)sw->id, err);
			continue; /* tried again at the next arm */
		}
		for (struct trial *t = d->running; sw->spec.budget_stop && t; t = t->next)
			if (t->owner == sw)
				trial_stop(t, "cancelled", sw->reason);
		if (sw->spec.budget_stop)
			sweep_stopping(d, sw);
		check_sweep(d, sw);
	}
	arm_budget(d);
}

/* Arms the budget timer for the nearest deadline of the active sweeps. */
static void arm_budget(struct daemon *d)
{
	double nearest = 0;

	if (d->shutting_down)
		return;
	for (struct sweep *sw = d->sweeps.list; sw; sw = sw->next) {
		double deadline = sweeps_deadline(sw);

		if (deadline > 0 && (nearest == 0 || deadline < nearest))
			nearest = deadline;
	}
	if (nearest == 0) {
		uv_timer_stop(&d->budget_timer);
		return;
	}
	nearest -= log_now();
	uv_timer_start(&d->budget_timer, on_budget,
		       nearest <= 0 ? 0 : (uint64_t)(fmin(nearest, 86400.0) * 1000) + 1, 0);
}

/* ---- start and stop ---- */

static void close_handles(struct daemon *d)
{
	writer_close(&d->writer);
	uv_close((uv_handle_t *)&d->fill, NULL);
	uv_close((uv_handle_t *)&d->fill_retry, NULL);
	uv_close((uv_handle_t *)&d->budget_timer, NULL);
	steer_close(&d->steer);
	uv_close((uv_handle_t *)&d->sigint, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigchld, NULL);
}

static void finish_shutdown(struct daemon *d)
{
	if (uv_is_closing((uv_handle_t *)&d->writer.timer))
		return;
	forkserver_pool_finish(&d->forkservers);
	if (writer_final(&d->writer, d->opt.flush_wait) < 0)
		d->exit_code = 1;
	server_drop_clients(&d->server);
	close_handles(d);
}

/* Begins a graceful stop: stop trials, flush, close handles. */
static void shutdown_daemon(struct daemon *d)
{
	if (d->shutting_down)
		return;
	d->shutting_down = 1;
	writer_stop(&d->writer);
	uv_timer_stop(&d->budget_timer);
	steer_stop(&d->steer);
	log_msg("shutting down: stopping %d running trial%s", d->n_running,
		d->n_running == 1 ? "" : "s");
	server_stop(&d->server);
	for (struct trial *t = d->running; t; t = t->next)
		trial_stop(t, "queued", "interrupted by daemon shutdown");
	schedule(d);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;

	log_msg("signal %d received", signum);
	shutdown_daemon(d);
}

/* A child's exit, reaped (local trials): a trial's, a fork server's, or
 * nobody's yet (the reaper keeps it). */
static int claim_child(void *ctx, pid_t pid, int status)
{
	struct daemon *d = ctx;

	for (struct trial *t = d->running; t; t = t->next)
		if (t->pid == pid) {
			trial_exited(t, status); /* may end t and start others */
			return 1;
		}
	return forkserver_exited(&d->forkservers, pid, status);
}

static void on_sigchld(uv_signal_t *s, int signum)
{
	struct daemon *d = s->data;
	struct trial *next;

	(void)signum;
	if (d->opt.launcher == LAUNCHER_LOCAL) {
		reaper_collect(&d->reaper, claim_child, d);
		return;
	}
	for (struct trial *t = d->running; t; t = next) {
		next = t->next; /* an exit takes t off the list (and may start others) */
		trial_reap(t);
	}
}

/* ---- what fork servers report (forkserver_host callbacks) ---- */

static void forkserver_started(void *data, int64_t trial, pid_t pid)
{
	struct daemon *d = data;
	struct trial *t = find_running(d, trial);
	int status;

	if (!t) { /* cannot be: a trial waiting for its server stays running */
		log_msg("trial %lld: started by its fork server but not running: killed",
			(long long)trial);
		kill(-pid, SIGKILL);
		return;
	}
	trial_forked(t, pid);
	db_trial_update(&d->db, &t->row);
	writer_dirty(&d->writer);
	if (reaper_take(&d->reaper, pid, &status)) /* it ended before we heard of it */
		trial_exited(t, status);
}

static void forkserver_failed(void *data, int64_t trial, const char *why, int server_gone)
{
	struct trial *t = find_running(data, trial);

	if (t)
		trial_fork_failed(t, why, server_gone);
}

/* Hands every spoke what it needs of the daemon. */
static void wire(struct daemon *d)
{
	d->sweeps.db = &d->db;
	d->writer = (struct writer){.host = {.data = d, .hold = hold_reads,
					     .recovered = writes_recovered},
				    .db = &d->db, .interval = d->opt.flush_interval};
	writer_init(&d->writer, &d->loop);
	d->sweeps.epoch_max = TRIAL_MAX_EPOCH;
	d->steer.host = (struct steer_host){.data = d, .send = steer_write, .tell = steer_tell,
					    .adjusted = requests_adjusted};
	d->steer.answer_wait = d->opt.answer_wait;
	/* past every id of an earlier life, which a resumed program's curve log
	 * may echo (10,000 a second; under 2^53, and printed as an integer) */
	d->steer.next_id = (int64_t)time(NULL) * 10000;
	d->host = (struct trial_host){
		.loop = &d->loop, .launcher = d->opt.launcher, .worker_path = d->opt.worker_path,
		.self_path = d->self_path, .state_dir = d->opt.state_dir, .grace = d->opt.grace,
		.readbuf = d->readbuf, .readbuf_len = sizeof d->readbuf, .data = d,
		.on_resume = trial_resumed, .on_metrics = trial_metrics, .on_log = trial_log,
		.on_control = trial_control, .on_end = trial_ended};
	d->forkservers.host = (struct forkserver_host){
		.loop = &d->loop, .self_path = d->self_path, .state_dir = d->opt.state_dir,
		.data = d, .on_started = forkserver_started, .on_failed = forkserver_failed};
	d->server = (struct server){.loop = &d->loop, .path = d->opt.socket_path,
				    .readbuf = d->readbuf, .readbuf_len = sizeof d->readbuf,
				    .handler = requests_handle, .ctx = d,
				    .on_subscribe = requests_subscribed};
	d->hub = (struct requests_hub){
		.schedule = schedule, .fill_soon = fill_soon,
		.arm_budget = arm_budget, .check_sweep = check_sweep,
		.sweep_stopping = sweep_stopping, .shutdown = shutdown_daemon,
		.find_running = find_running};
	d->events = (struct events){.listening = server_listening, .publish = server_publish,
				    .ctx = &d->server};
	uv_idle_init(&d->loop, &d->fill);
	uv_timer_init(&d->loop, &d->fill_retry);
	uv_timer_init(&d->loop, &d->budget_timer);
	d->fill.data = d->fill_retry.data = d->budget_timer.data = d;
	steer_init(&d->steer, &d->loop);
	uv_signal_init(&d->loop, &d->sigint);
	uv_signal_init(&d->loop, &d->sigterm);
	uv_signal_init(&d->loop, &d->sigchld);
	d->sigint.data = d->sigterm.data = d->sigchld.data = d;
}

/* db_unfinished's each: the trial's copies judged as at its end. */
static void settle_unfinished(int64_t id, int64_t sweep_id, int epochs, int best, void *ctx)
{
	const struct daemon *d = ctx;
	const struct sweep *sw = sweeps_find(&d->sweeps, sweep_id);

	if (sw)
		trial_settle_copies(d->opt.state_dir, &sw->spec, sw->spec.command != NULL, id, epochs,
				    best);
}

static int start(struct daemon *d, char *err, size_t errlen)
{
	int requeued, rc;

	/* Locally, caviard adopts its trials' orphans: a fork server's trials. */
	if (d->opt.launcher == LAUNCHER_LOCAL && (rc = reaper_init(&d->reaper)) < 0)
		return err_set(err, errlen, "prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(-rc));
	if ((d->lock_fd = db_lock(d->opt.db_path, err, errlen)) < 0 ||
	    db_open(&d->db, d->opt.db_path, err, errlen) < 0)
		return -1;
	if (!realpath(d->opt.db_path, d->db_realpath))
		snprintf(d->db_realpath, sizeof d->db_realpath, "%s", d->opt.db_path);
	requeued = db_recover(&d->db, err, errlen);
	if (requeued < 0)
		return err_prefix(err, errlen, "recovering %s", d->opt.db_path);
	if (requeued > 0)
		log_msg("%d trial%s interrupted by the last stop queued again", requeued,
			requeued == 1 ? "" : "s");
	if (sweeps_load(&d->sweeps, err, errlen) < 0 ||
	    db_unfinished(&d->db, settle_unfinished, d, err, errlen) < 0)
		return -1;
	check_all(d);
	fill_soon(d);
	arm_budget(d);
	if (server_start(&d->server, err, errlen) < 0)
		return -1;
	uv_signal_start(&d->sigint, on_signal, SIGINT);
	uv_signal_start(&d->sigterm, on_signal, SIGTERM);
	uv_signal_start(&d->sigchld, on_sigchld, SIGCHLD);
	log_msg("listening on %s, database %s, %d slot%s, worker %s", d->opt.socket_path,
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
	d->lock_fd = -1;
	len = sizeof d->self_path;
	if (uv_exepath(d->self_path, &len) < 0)
		snprintf(d->self_path, sizeof d->self_path, "caviard");
	uv_loop_init(&d->loop);
	wire(d);
	if (start(d, err, sizeof err) < 0) {
		fprintf(stderr, "caviard: %s\n", err);
		close_handles(d);
		goto out;
	}
	schedule(d);
	uv_run(&d->loop, UV_RUN_DEFAULT);
	rc = d->exit_code;
out:
	db_close(&d->db);
	sweeps_free_all(&d->sweeps);
	writer_finish(&d->writer); /* the last flush failed: its checkpoints are kept */
	free(d->rms);
	steer_finish(&d->steer);
	free(d->members);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	uv_run(&d->loop, UV_RUN_DEFAULT); /* let close callbacks run */
	if (uv_loop_close(&d->loop) != 0) {
		log_msg("internal error: handles left open at exit");
		rc = 1;
	}
	if (rc == 0)
		log_msg("stopped");
	free(d);
	return rc;
}
