/* daemon: caviard's hub (see daemon.h). What is left in it: start-up and
 * recovery, the flush timer, scheduling trials into free slots, acting on
 * what trials report (trial_host) and what sweeps decide (a round, an end, a
 * member replaced: sweeps_epoch), the wall-clock budgets, the event stream,
 * steer's and the fork servers' callbacks, and an orderly shutdown. Clients
 * are answered by requests.c, which asks the hub through d->hub (set in
 * wire); control lines are steer.c's, forks' plans and files fork.c's, paths
 * under the state directory statedir.c's. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "changes.h"
#include "command.h"
#include "errbuf.h"
#include "fork.h"
#include "log.h"
#include "statedir.h"
#include "query.h"
#include "worker_proto.h"
#include "xalloc.h"

#define FLUSH_NOW 50000  /* queued writes that trigger a flush without waiting */
#define HOLD_MAX 500000  /* queued writes past which workers' pipes are no longer read */
#define RETRY_MS 1000    /* after a failed flush */

static void schedule(struct daemon *d);
static void finish_shutdown(struct daemon *d);
static void on_flush_timer(uv_timer_t *timer);
static void fill_soon(struct daemon *d);
static void arm_budget(struct daemon *d);
static void pbt_step(struct daemon *d, struct trial *t, int epoch);
static void sweep_stopping(struct daemon *d, struct sweep *sw);

/* ---- writing the database ---- */

/* While the database cannot be written and the queue is full, stop reading
 * the workers' pipes: they block on their next line instead of our memory
 * growing, and nothing is lost. */
static void hold_reads(struct daemon *d, int hold)
{
	if (d->reads_held == hold)
		return;
	d->reads_held = hold;
	log_msg(hold ? "holding %zu writes: workers' output paused until the database works"
		     : "resuming workers' output (%zu writes held)",
		db_pending(&d->db));
	for (struct trial *t = d->running; t; t = t->next)
		trial_hold_reading(t, hold);
}

/* Removes the checkpoints of trials whose end is now committed. */
static void discard_checkpoints(struct daemon *d)
{
	for (int i = 0; i < d->n_discard; i++) {
		statedir_checkpoint_remove(d->discard[i]);
		free(d->discard[i]);
	}
	d->n_discard = 0;
}

/* Writes the queued writes now. On failure they stay queued, no new trial
 * starts, the error shows in status and a retry is armed; returns -1. */
static int flush(struct daemon *d)
{
	char err[sizeof d->db_error];

	if (db_flush(&d->db, err, sizeof err) < 0) {
		if (!d->db_failing || strcmp(err, d->db_error) != 0)
			log_msg("cannot write the database (%zu writes held, no new trials "
				"until it works): %s",
				db_pending(&d->db), err);
		d->db_failing = 1;
		snprintf(d->db_error, sizeof d->db_error, "%s", err);
		if (!d->shutting_down)
			uv_timer_start(&d->flush_timer, on_flush_timer, RETRY_MS, 0);
		return -1;
	}
	discard_checkpoints(d);
	if (d->db_failing) {
		log_msg("database writable again");
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

/* Queues the database's pending writes for a flush soon (arms the timer). */
static void dirty(struct daemon *d)
{
	if (db_pending(&d->db) >= FLUSH_NOW && !d->db_failing) {
		flush(d);
		return;
	}
	if (d->db_failing && db_pending(&d->db) >= HOLD_MAX)
		hold_reads(d, 1);
	if (!uv_is_active((uv_handle_t *)&d->flush_timer) &&
	    !uv_is_closing((uv_handle_t *)&d->flush_timer))
		uv_timer_start(&d->flush_timer, on_flush_timer,
			       (uint64_t)(d->opt.flush_interval * 1000), 0);
}

/* ---- sweeps' decisions ---- */

/* Acts on what becomes of sw once nothing of it is queued or running: its
 * next round is scheduled, or its end told to clients. Sweeps are judged on
 * committed data: when the flush fails, this runs again once writes work. */
static void check_sweep(struct daemon *d, struct sweep *sw)
{
	const char *status = NULL;

	if (!sweeps_idle(sw) || flush(d) < 0)
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

static void on_flush_timer(uv_timer_t *timer)
{
	struct daemon *d = timer->data;

	if (flush(d) < 0 || !d->db_recovered)
		return;
	d->db_recovered = 0;
	hold_reads(d, 0);
	check_all(d);
	schedule(d);
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
		uv_timer_start(&d->fill_retry, on_fill_retry, RETRY_MS, 0);
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
	while (!d->db_failing && d->n_running < d->opt.slots && sweeps_next(&d->sweeps, &p)) {
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
		dirty(d);
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
	dirty(d);
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
	dirty(d);
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
	dirty(d);
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
	dirty(d);
	events_trial_ended(&d->events, t);
	unlink_running(d, t);
	d->trials_finished++;
	d->lines_rejected += t->rejected;
	sweeps_trial_result(sw, t->number, t->row.status, t->row.best_value);
	/* Runs again now (a retry), or at the next start (a shutdown). */
	sweeps_trial_ended(sw, queued && !d->shutting_down ? &again : NULL);
	if (!queued && t->checkpoint) {
		if (d->n_discard == d->cap_discard) {
			d->cap_discard = d->cap_discard ? 2 * d->cap_discard : 8;
			d->discard = xrealloc(d->discard, (size_t)d->cap_discard * sizeof *d->discard);
		}
		d->discard[d->n_discard++] = xstrdup(t->checkpoint);
	}
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

/* steer's adjusted: the program applied an adjustment; recorded at once,
 * published, and the client that asked (if it still waits) gets the reply. */
static void steer_adjusted(void *data, int64_t trial, int64_t client, const struct worker_line *l,
			   const cJSON *changes)
{
	struct daemon *d = data;
	struct trial *t = find_running(d, trial);
	struct server_client *c = client ? server_find(&d->server, client) : NULL;
	char err[ERRBUF_LEN];
	cJSON *reply;

	if (db_insert_adjustments(&d->db, trial, l->epoch, l->step, changes, "user", log_now(),
				  err, sizeof err) < 0) {
		log_msg("trial %lld: adjusted, but the database refused it: %s", (long long)trial,
			err);
		if (c)
			server_error(c, "applied by the trial, but it cannot be recorded: the "
					"database cannot be written");
		return;
	}
	log_msg("trial %lld: adjusted after epoch %d step %lld", (long long)trial, l->epoch,
		(long long)l->step);
	if (t)
		events_adjusted(&d->events, t, l->epoch, l->step, changes, "user");
	if (!c)
		return;
	reply = cJSON_CreateObject();
	cJSON_AddTrueToObject(reply, "ok");
	cJSON_AddNumberToObject(reply, "trial", (double)trial);
	cJSON_AddNumberToObject(reply, "epoch", l->epoch);
	cJSON_AddNumberToObject(reply, "step", (double)l->step);
	cJSON_AddItemToObject(reply, "changes", cJSON_Duplicate(changes, 1));
	server_reply(c, reply);
}

/* An "adjusted" line of the curve a resumed program prints again (the
 * helpers keep them in its curve log): a change it applied before caviard
 * stopped, whose answer caviard may never have read (kill -9). Recorded now
 * unless it is already; one of the checkpoint's own epoch may have come
 * after the checkpoint was saved, so it is sent again (applied twice, it
 * sets the same values). Returns -1 with err for one that is no change a
 * spec allows. */
static int replayed_adjust(struct daemon *d, struct trial *t, const struct worker_line *l,
			   char *err, size_t errlen)
{
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_CHANGES), *c;
	cJSON *rows, *set;
	int known;

	if (!changes_valid(changes))
		return err_set(err, errlen, "an \"adjusted\" line of its curve without its "
					    "changes: nothing recorded");
	cJSON_ArrayForEach(c, changes)
		if (spec_check_change(t->spec, c->string, cJSON_GetArrayItem(c, 1),
				      SPEC_CHANGE_RUNNING, 1, err, errlen) < 0)
			return -1;
	rows = query_run(&d->db.query, err, errlen, QUERY_ADJUSTMENTS, "i", (long long)t->row.id);
	if (!rows)
		return -1;
	known = changes_recorded(rows, l->epoch, l->step, changes);
	cJSON_Delete(rows);
	if (known)
		return 0;
	log_msg("trial %lld: its curve log holds an adjustment made before caviard stopped and "
		"never recorded: recorded now", (long long)t->row.id);
	steer_adjusted(d, t->row.id, 0, l, changes);
	if (l->epoch < t->resumed_from)
		return 0;
	set = cJSON_CreateObject();
	cJSON_ArrayForEach(c, changes)
		cJSON_AddItemToObject(set, c->string, cJSON_Duplicate(cJSON_GetArrayItem(c, 1), 1));
	if (steer_send(&d->steer, t->row.id, set, 0, err, errlen) < 0)
		log_msg("trial %lld: %s", (long long)t->row.id, err);
	cJSON_Delete(set);
	return 0;
}

/* The program's answer to one of our control lines (trial_host), or an
 * "adjusted" line of the curve it printed again at a resume. */
static int trial_control(struct trial *t, const struct worker_line *l, char *err, size_t errlen)
{
	struct daemon *d = t->host->data;

	if (steer_answer(&d->steer, t->row.id, l, err, errlen) == 0)
		return 0;
	if (t->resumed_from > 0 && l->epoch >= 0 && l->epoch <= t->resumed_from &&
	    strcmp(l->event, WORKER_PROTO_ADJUSTED) == 0)
		return replayed_adjust(d, t, l, err, errlen);
	return -1;
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
	if (flush(d) < 0)
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

/* The last flush: a database locked by a reader is waited for, up to
 * flush_wait seconds; what still cannot be written is said, and the daemon
 * then exits 1 (the trials it concerns run again at the next start). */
static void final_flush(struct daemon *d)
{
	struct timespec pause = {0, 100 * 1000 * 1000};
	double give_up = log_now() + d->opt.flush_wait;

	while (flush(d) < 0 && log_now() < give_up)
		nanosleep(&pause, NULL);
	if (!d->db_failing)
		return;
	log_msg("giving up after %g s: %zu points, %zu trial updates and %zu log lines not "
		"written: %s",
		d->opt.flush_wait, d->db.n_points, d->db.n_rows, d->db.n_logs, d->db_error);
	d->exit_code = 1;
}

static void close_handles(struct daemon *d)
{
	uv_close((uv_handle_t *)&d->flush_timer, NULL);
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
	if (uv_is_closing((uv_handle_t *)&d->flush_timer))
		return;
	forkserver_pool_finish(&d->forkservers);
	final_flush(d);
	server_drop_clients(&d->server);
	close_handles(d);
}

/* Begins a graceful stop: stop trials, flush, close handles. */
static void shutdown_daemon(struct daemon *d)
{
	if (d->shutting_down)
		return;
	d->shutting_down = 1;
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
	dirty(d);
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
	d->sweeps.epoch_max = TRIAL_MAX_EPOCH;
	d->steer.host = (struct steer_host){.data = d, .send = steer_write, .tell = steer_tell,
					    .adjusted = steer_adjusted};
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
		.flush = flush, .dirty = dirty, .schedule = schedule, .fill_soon = fill_soon,
		.arm_budget = arm_budget, .check_sweep = check_sweep,
		.sweep_stopping = sweep_stopping, .shutdown = shutdown_daemon,
		.find_running = find_running};
	d->events = (struct events){.listening = server_listening, .publish = server_publish,
				    .ctx = &d->server};
	uv_timer_init(&d->loop, &d->flush_timer);
	uv_idle_init(&d->loop, &d->fill);
	uv_timer_init(&d->loop, &d->fill_retry);
	uv_timer_init(&d->loop, &d->budget_timer);
	d->flush_timer.data = d->fill.data = d->fill_retry.data = d->budget_timer.data = d;
	steer_init(&d->steer, &d->loop);
	uv_signal_init(&d->loop, &d->sigint);
	uv_signal_init(&d->loop, &d->sigterm);
	uv_signal_init(&d->loop, &d->sigchld);
	d->sigint.data = d->sigterm.data = d->sigchld.data = d;
}

/* Holds DB.lock, so that two daemons never share one database (both would
 * run its trials on the same checkpoints); the file names the holder. */
static int lock_state(struct daemon *d, char *err, size_t errlen)
{
	char path[4200], pid[32] = "";
	ssize_t n;

	snprintf(path, sizeof path, "%s.lock", d->opt.db_path);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0)
		return err_set(err, errlen, "%s: %s", path, strerror(errno));
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(d->lock_fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return err_set(err, errlen,
			       "%s is in use by another caviard (pid %s); stop it first, or give "
			       "this one another --db",
			       d->opt.db_path, pid[0] ? pid : "unknown");
	}
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(d->lock_fd, 0) < 0 || pwrite(d->lock_fd, pid, strlen(pid), 0) < 0)
		log_msg("%s: %s", path, strerror(errno)); /* the lock holds regardless */
	return 0;
}

static int start(struct daemon *d, char *err, size_t errlen)
{
	int requeued, rc;

	/* Locally, caviard adopts its trials' orphans: a fork server's trials. */
	if (d->opt.launcher == LAUNCHER_LOCAL && (rc = reaper_init(&d->reaper)) < 0)
		return err_set(err, errlen, "prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(-rc));
	if (lock_state(d, err, errlen) < 0 || db_open(&d->db, d->opt.db_path, err, errlen) < 0)
		return -1;
	if (!realpath(d->opt.db_path, d->db_realpath))
		snprintf(d->db_realpath, sizeof d->db_realpath, "%s", d->opt.db_path);
	requeued = db_recover(&d->db, err, errlen);
	if (requeued < 0)
		return err_prefix(err, errlen, "recovering %s", d->opt.db_path);
	if (requeued > 0)
		log_msg("%d trial%s interrupted by the last stop queued again", requeued,
			requeued == 1 ? "" : "s");
	if (sweeps_load(&d->sweeps, err, errlen) < 0)
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
	for (int i = 0; i < d->n_discard; i++) /* the last flush failed: they are kept */
		free(d->discard[i]);
	free(d->discard);
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
