/* requests: the handlers of caviard's requests, in one table (see requests.h). */
#include "requests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "errbuf.h"
#include "fork.h"
#include "log.h"
#include "probe.h"
#include "program.h"
#include "query.h"
#include "statedir.h"
#include "submit.h"
#include "xalloc.h"

#define SLURM_PROBE_SECONDS 120 /* the probe step may wait in Slurm's queue */
#define SLURM_PROBE_VALID 600   /* seconds a passed probe vouches for later submits */

/* -1 from a check (err set) as the refusal code: -code. */
static int coded(int code, int rc)
{
	return rc < 0 ? -code : rc;
}

/* The database cannot be written (writer_flush failed): -PROTO_E_DB. */
static int db_failing(struct daemon *d, char *err, size_t errlen)
{
	err_set(err, errlen, "the database cannot be written: %s", d->writer.error);
	return -PROTO_E_DB;
}

/* ---- submit ---- */

/* A submit held while a Slurm step checks that the compute node can reach
 * the worker and the state directory. */
struct pending_submit {
	struct daemon *d;
	int64_t client;   /* server_find: NULL once the client is gone */
	struct spec spec; /* parsed once, at the request */
};

/* Records the sweep of spec (taken) and fills the reply. */
static int submit_now(struct daemon *d, struct spec *spec, cJSON *reply, char *err,
		      size_t errlen)
{
	struct sweep *sw;
	int64_t repeats;

	if (writer_flush(&d->writer) < 0)
		return db_failing(d, err, errlen);
	sw = sweeps_submit(&d->sweeps, spec, &repeats, err, errlen);
	if (!sw)
		return -1;
	if (repeats)
		cJSON_AddNumberToObject(reply, "repeats", (double)repeats);
	d->hub.arm_budget(d);
	log_msg("sweep %lld \"%s\" submitted: %d trials, %s search", (long long)sw->id,
		sw->spec.name, sw->spec.trials, spec_search_name(sw->spec.search));
	if (sw->spec.fork_server && sw->spec.command && d->opt.launcher != LAUNCHER_LOCAL)
		log_msg("sweep %lld: fork_server is not used with --launcher slurm: each trial is "
			"its own job step, its program started afresh", (long long)sw->id);
	d->hub.fill_soon(d);
	events_sweep(&d->events, sw->id, proto_event_name(PROTO_EV_SWEEP_STARTED), sw->spec.name,
		     "running", NULL);
	cJSON_AddNumberToObject(reply, "sweep", (double)sw->id);
	cJSON_AddStringToObject(reply, "name", sw->spec.name);
	cJSON_AddNumberToObject(reply, "trials", sw->spec.trials);
	d->hub.schedule(d);
	return 0;
}

static void on_slurm_probe(void *ctx, int ok, const char *msg)
{
	struct pending_submit *ps = ctx;
	struct daemon *d = ps->d;
	struct server_client *c = server_find(&d->server, ps->client);
	char err[ERRBUF_LEN];
	cJSON *reply;
	int rc;

	if (c && !ok) {
		snprintf(err, sizeof err,
			 "slurm: a compute node cannot run the trials (caviar-worker or the "
			 "command, and the state directory %s, must be on a filesystem the "
			 "nodes share): %s",
			 d->opt.state_dir, msg);
		server_refuse(c, PROTO_E_UNAVAILABLE, err);
	} else if (c) {
		d->slurm_checked_at = log_now();
		reply = cJSON_CreateObject();
		cJSON_AddTrueToObject(reply, "ok");
		if ((rc = submit_now(d, &ps->spec, reply, err, sizeof err)) < 0) {
			cJSON_Delete(reply);
			server_refuse(c, -rc, err);
		} else {
			server_reply(c, reply);
		}
	}
	spec_finish(&ps->spec);
	free(ps);
}

/* Starts the Slurm step that checks the program and the state directory
 * (probe_slurm); spec is taken on success. */
static int start_slurm_probe(struct daemon *d, struct server_client *c, struct spec *spec,
			     char *err, size_t errlen)
{
	const char *prog = spec->command ? cJSON_GetArrayItem(spec->command, 0)->valuestring
					 : d->opt.worker_path;
	struct pending_submit *ps = xcalloc(1, sizeof *ps);
	int rc;

	ps->d = d;
	ps->client = server_client_id(c);
	ps->spec = *spec;
	rc = probe_slurm(&d->loop, d->self_path, prog, d->opt.state_dir, spec->slurm,
			 SLURM_PROBE_SECONDS, on_slurm_probe, ps);
	if (rc < 0) {
		free(ps);
		return coded(PROTO_E_UNAVAILABLE,
			     err_set(err, errlen, "slurm: cannot run srun: %s", uv_strerror(rc)));
	}
	memset(spec, 0, sizeof *spec);
	return 0;
}

/* program_check in caviard: a program not found is looked for in caviard's
 * PATH, which is not the client's (a daemon started by systemd has its own). */
static int program_check_here(const struct spec *spec, char *err, size_t errlen)
{
	size_t len;

	if (program_check(spec, err, errlen) == 0)
		return 0;
	len = strlen(err);
	if (strstr(err, "not found in PATH") && len < errlen)
		snprintf(err + len, errlen - len, " (caviard's PATH: %s; its trials get the same)",
			 getenv("PATH") ? getenv("PATH") : "unset");
	return -1;
}

static int do_submit(struct daemon *d, struct server_client *c, const struct request *req,
		     cJSON *reply, char *err, size_t errlen)
{
	struct spec spec;
	int rc;

	if (spec_parse(&spec, req->spec, err, errlen) < 0 ||
	    spec_validate_submit(&spec, err, errlen) < 0) {
		spec_finish(&spec);
		return -PROTO_E_BAD_SPEC;
	}
	if (d->opt.launcher != LAUNCHER_SLURM || log_now() - d->slurm_checked_at < SLURM_PROBE_VALID)
		rc = spec.command && program_check_here(&spec, err, errlen) < 0
			     ? -PROTO_E_BAD_SPEC
			     : submit_now(d, &spec, reply, err, errlen);
	else if ((rc = start_slurm_probe(d, c, &spec, err, errlen)) == 0)
		rc = 1; /* under Slurm: the probe first, then the reply */
	spec_finish(&spec);
	return rc;
}

/* ---- reads: ls, top, status, wait ---- */

/* Reads run on committed data: flush what is queued first so a reply is
 * fresh (a failure is handled by flush; the reply then lags). */
static void flush_for_read(struct daemon *d)
{
	if (db_pending(&d->db))
		writer_flush(&d->writer);
}

/* What the database cannot say: a sweep whose trials are being stopped
 * shows as "stopping", and nothing of it is queued (query_queued). */
static void stopping_rows(struct daemon *d, cJSON *rows)
{
	cJSON *row;

	cJSON_ArrayForEach(row, rows) {
		const struct sweep *sw = sweeps_find(
			&d->sweeps, query_int(cJSON_GetObjectItemCaseSensitive(row, "sweep_id"), 0));

		if (!sw || strcmp(sweeps_state(sw), "stopping") != 0)
			continue;
		cJSON_ReplaceItemInObjectCaseSensitive(row, "status", cJSON_CreateString("stopping"));
		cJSON_ReplaceItemInObjectCaseSensitive(row, "queued", cJSON_CreateNumber(0));
	}
}

static int do_ls(struct daemon *d, struct server_client *c, const struct request *req,
		 cJSON *reply, char *err, size_t errlen)
{
	cJSON *rows;

	(void)c;
	(void)req;
	flush_for_read(d);
	rows = query_ls(&d->db.query, err, errlen);
	if (!rows)
		return -1;
	stopping_rows(d, rows);
	cJSON_AddItemToObject(reply, "sweeps", rows);
	return 0;
}

static int do_pareto(struct daemon *d, struct server_client *c, const struct request *req,
		     cJSON *reply, char *err, size_t errlen)
{
	(void)c;
	flush_for_read(d);
	return query_pareto(&d->db.query, req->sweep, reply, err, errlen);
}

static int do_top(struct daemon *d, struct server_client *c, const struct request *req,
		  cJSON *reply, char *err, size_t errlen)
{
	(void)c;
	flush_for_read(d);
	return query_top(&d->db.query, req->sweep, req->n ? req->n : 10, reply, err, errlen);
}

static int do_status(struct daemon *d, struct server_client *c, const struct request *req,
		     cJSON *reply, char *err, size_t errlen)
{
	static const char *const shown[] = {"PATH", "PYTHONPATH"};
	cJSON *running = cJSON_CreateArray(), *active = cJSON_CreateArray(), *trial_env;
	int64_t rejected = d->lines_rejected;
	int sweeps = 0;

	(void)c;
	(void)req;
	(void)err;
	(void)errlen;
	for (struct trial *t = d->running; t; t = t->next) {
		cJSON_AddItemToArray(running, events_running_json(t));
		rejected += t->rejected;
	}
	for (struct sweep *sw = d->sweeps.list; sw; sw = sw->next) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "sweep", (double)sw->id);
		cJSON_AddStringToObject(o, "name", sw->spec.name);
		cJSON_AddStringToObject(o, "state", sweeps_state(sw));
		cJSON_AddNumberToObject(o, "running", sw->running);
		cJSON_AddNumberToObject(o, "queued", (double)sweeps_queued(&d->sweeps, sw));
		cJSON_AddNumberToObject(o, "budget", sw->budget);
		if (sweeps_deadline(sw) > 0)
			cJSON_AddNumberToObject(o, "deadline", sweeps_deadline(sw));
		cJSON_AddItemToArray(active, o);
		sweeps++;
	}
	cJSON_AddStringToObject(reply, "version", CAVIAR_VERSION);
	cJSON_AddNumberToObject(reply, "pid", (double)getpid());
	cJSON_AddStringToObject(reply, "db", d->db_realpath);
	trial_env = cJSON_AddObjectToObject(reply, "trial_env"); /* what trials inherit */
	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
		if (getenv(shown[i]))
			cJSON_AddStringToObject(trial_env, shown[i], getenv(shown[i]));
		else
			cJSON_AddNullToObject(trial_env, shown[i]);
	cJSON_AddNumberToObject(reply, "slots", d->opt.slots);
	cJSON_AddStringToObject(reply, "launcher", launcher_name(d->opt.launcher));
	cJSON_AddNumberToObject(reply, "active_sweeps", sweeps);
	cJSON_AddItemToObject(reply, "sweeps", active);
	cJSON_AddNumberToObject(reply, "queued", (double)sweeps_queued(&d->sweeps, NULL));
	cJSON_AddItemToObject(reply, "running", running);
	cJSON_AddNumberToObject(reply, "trials_started", (double)d->trials_started);
	cJSON_AddNumberToObject(reply, "points_written", (double)d->db.points_written);
	cJSON_AddNumberToObject(reply, "lines_rejected", (double)rejected);
	if (d->writer.failing)
		cJSON_AddStringToObject(reply, "db_error", d->writer.error);
	return 0;
}

/* Replies at once for a sweep already over; otherwise the reply comes from
 * server_sweep_ended. Returns 1 when the reply is deferred. */
static int do_wait(struct daemon *d, struct server_client *c, const struct request *req,
		   cJSON *reply, char *err, size_t errlen)
{
	int64_t id = req->sweep;
	cJSON *rows;
	const cJSON *status;

	if (sweeps_find(&d->sweeps, id)) {
		server_wait(c, id);
		return 1;
	}
	rows = query_run(&d->db.query, err, errlen, QUERY_SWEEP_BRIEF, "i", (long long)id);
	if (!rows)
		return -1;
	if (!rows->child) {
		cJSON_Delete(rows);
		return coded(PROTO_E_NOT_FOUND, err_set(err, errlen, "no sweep %lld", (long long)id));
	}
	status = cJSON_GetObjectItemCaseSensitive(rows->child, "status");
	cJSON_AddNumberToObject(reply, "sweep", (double)id);
	cJSON_AddStringToObject(reply, "status", status->valuestring);
	cJSON_AddItemToObject(reply, "reason",
			      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rows->child,
									       "ended_reason"), 1));
	cJSON_Delete(rows);
	return 0;
}

/* ---- a sweep's course: cancel, pause, extend, rm ---- */

/* Cancels a sweep: its queued trials at once (*dequeued), its running ones
 * stopped (*stopping: all of them still stopping, also those an earlier
 * cancel asked). Returns the trials this cancel dequeued or asked to stop,
 * or a negated proto_error with err. */
static int cancel_sweep(struct daemon *d, int64_t id, int *dequeued, int *stopping, char *err,
			size_t errlen)
{
	struct sweep *sw = sweeps_find(&d->sweeps, id);
	int n, asked = 0;

	*dequeued = *stopping = 0;
	if (!sw)
		return sweeps_not_active(&d->sweeps, id, err, errlen);
	n = sweeps_cancel(&d->sweeps, sw, err, errlen);
	if (n < 0)
		return -1;
	*dequeued = n;
	for (struct trial *t = d->running; t; t = t->next)
		if (t->owner == sw) {
			asked += !t->stop_status && !t->exited;
			trial_stop(t, "cancelled", "cancelled");
			(*stopping)++;
		}
	d->hub.sweep_stopping(d, sw);
	d->hub.check_sweep(d, sw);
	return n + asked;
}

static int cancel_trial(struct daemon *d, int64_t id, char *err, size_t errlen)
{
	struct sweep *sw;

	for (struct trial *t = d->running; t; t = t->next)
		if (t->row.id == id) {
			trial_stop(t, "cancelled", "cancelled");
			return 1;
		}
	sw = sweeps_cancel_queued(&d->sweeps, id);
	if (!sw)
		return err_set(err, errlen, "trial %lld is neither running nor queued", (long long)id);
	writer_dirty(&d->writer);
	d->hub.check_sweep(d, sw);
	return 1;
}

static int do_cancel(struct daemon *d, struct server_client *c, const struct request *req,
		     cJSON *reply, char *err, size_t errlen)
{
	int dequeued, stopping;
	int n = req->trial ? cancel_trial(d, req->trial, err, errlen)
			   : cancel_sweep(d, req->sweep, &dequeued, &stopping, err, errlen);

	(void)c;
	if (n < 0)
		return n;
	cJSON_AddNumberToObject(reply, "cancelled", n);
	if (!req->trial) {
		cJSON_AddNumberToObject(reply, "dequeued", dequeued);
		cJSON_AddNumberToObject(reply, "stopping", stopping);
		cJSON_AddNumberToObject(reply, "grace", d->opt.grace);
	}
	return 0;
}

/* pause and resume. */
static int do_pause(struct daemon *d, struct server_client *c, const struct request *req,
		    cJSON *reply, char *err, size_t errlen)
{
	struct sweep *sw = sweeps_find(&d->sweeps, req->sweep);
	int paused = req->cmd == PROTO_PAUSE;

	(void)c;
	(void)reply;
	if (!sw)
		return sweeps_not_active(&d->sweeps, req->sweep, err, errlen);
	if (sweeps_pause(&d->sweeps, sw, paused, err, errlen) < 0)
		return -1;
	log_msg("sweep %lld %s", (long long)sw->id, paused ? "paused" : "resumed");
	events_sweep(&d->events, sw->id,
		     proto_event_name(paused ? PROTO_EV_SWEEP_PAUSED : PROTO_EV_SWEEP_RESUMED),
		     sw->spec.name, paused ? "paused" : "running", NULL);
	if (!paused)
		d->hub.schedule(d);
	return 0;
}

/* n more trials for a sweep, running, paused or over (it runs again). */
static int do_extend(struct daemon *d, struct server_client *c, const struct request *req,
		     cJSON *reply, char *err, size_t errlen)
{
	struct sweep *revived, *sw;

	(void)c;
	if (req->n > SPEC_MAX_TRIALS)
		return coded(PROTO_E_BAD_REQUEST,
			     err_set(err, errlen, "\"n\": at most %d trials", SPEC_MAX_TRIALS));
	if (writer_flush(&d->writer) < 0)
		return db_failing(d, err, errlen);
	sw = sweeps_extend(&d->sweeps, req->sweep, (int)req->n, &revived, err, errlen);
	if (!sw)
		return -1;
	if (revived)
		events_sweep(&d->events, sw->id, proto_event_name(PROTO_EV_SWEEP_STARTED),
			     sw->spec.name, "running", NULL);
	cJSON_AddNumberToObject(reply, "sweep", (double)sw->id);
	cJSON_AddNumberToObject(reply, "added", (double)req->n);
	cJSON_AddNumberToObject(reply, "trials", sw->budget);
	cJSON_AddStringToObject(reply, "status", sw->paused ? "paused" : "running");
	d->hub.arm_budget(d);
	d->hub.fill_soon(d);
	d->hub.check_sweep(d, sw); /* coarse_to_fine over its rounds: opens the new one */
	d->hub.schedule(d);
	return 0;
}

/* Removes an ended sweep's rows now. Returns 0, or a negated proto_error with err. */
static int remove_sweep(struct daemon *d, int64_t id, char *err, size_t errlen)
{
	int64_t *trials;
	size_t n, kept = 0;
	char why[ERRBUF_LEN];

	if (writer_flush(&d->writer) < 0)
		return db_failing(d, err, errlen);
	if (db_delete_sweep(&d->db, id, &trials, &n, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) /* its trials' directories and checkpoints */
		if (statedir_remove_trial(d->opt.state_dir, trials[i], why, sizeof why) < 0 &&
		    kept++ == 0)
			log_msg("sweep %lld: %s", (long long)id, why);
	free(trials);
	statedir_remove_server_log(d->opt.state_dir, id);
	if (kept)
		log_msg("sweep %lld removed; the files of %zu of its %zu trials could not be",
			(long long)id, kept, n);
	else
		log_msg("sweep %lld removed, with its %zu trials' files", (long long)id, n);
	return 0;
}

void requests_sweep_ended(struct daemon *d, int64_t sweep_id)
{
	char err[ERRBUF_LEN];

	for (int i = 0; i < d->n_rms; i++) {
		struct server_client *c;
		cJSON *reply;

		if (d->rms[i].sweep != sweep_id)
			continue;
		c = server_find(&d->server, d->rms[i].client);
		d->rms[i--] = d->rms[--d->n_rms];
		int rc = remove_sweep(d, sweep_id, err, sizeof err);

		if (rc < 0) {
			log_msg("sweep %lld: cannot remove it: %s", (long long)sweep_id, err);
			if (c)
				server_refuse(c, -rc, err);
			continue;
		}
		if (!c)
			continue;
		reply = cJSON_CreateObject();
		cJSON_AddTrueToObject(reply, "ok");
		cJSON_AddNumberToObject(reply, "removed", (double)sweep_id);
		server_reply(c, reply);
	}
}

/* Deletes a sweep and its rows; an active one only with force, which cancels
 * it first and replies once its trials have stopped (requests_sweep_ended). */
static int do_rm(struct daemon *d, struct server_client *c, const struct request *req,
		 cJSON *reply, char *err, size_t errlen)
{
	struct sweep *sw = sweeps_find(&d->sweeps, req->sweep);
	cJSON *rows;
	int rc;

	if (sw && !req->force)
		return coded(PROTO_E_BUSY,
			     err_set(err, errlen, "sweep %lld is %s; cancel it first, or rm --force",
				     (long long)req->sweep, sw->paused ? "paused" : "running"));
	if (sw) {
		int dequeued, stopping;

		d->rms = xrealloc(d->rms, (size_t)(d->n_rms + 1) * sizeof *d->rms);
		d->rms[d->n_rms++] = (struct daemon_rm){req->sweep, server_client_id(c)};
		if (!sw->cancelled &&
		    (rc = cancel_sweep(d, req->sweep, &dequeued, &stopping, err, errlen)) < 0) {
			d->n_rms--;
			return rc;
		}
		return 1; /* requests_sweep_ended replies once its trials have stopped */
	}
	rows = query_run(&d->db.query, err, errlen, QUERY_SWEEP_BRIEF, "i", (long long)req->sweep);
	if (!rows)
		return -1;
	if (!rows->child) {
		cJSON_Delete(rows);
		return coded(PROTO_E_NOT_FOUND,
			     err_set(err, errlen, "no sweep %lld", (long long)req->sweep));
	}
	cJSON_Delete(rows);
	if ((rc = remove_sweep(d, req->sweep, err, errlen)) < 0)
		return rc;
	cJSON_AddNumberToObject(reply, "removed", (double)req->sweep);
	return 0;
}

/* ---- labels: note, tag, untag ---- */

/* The sweep exists (any status), else err "no sweep N" (-PROTO_E_NOT_FOUND). */
static int sweep_exists(struct daemon *d, int64_t id, char *err, size_t errlen)
{
	cJSON *rows = query_run(&d->db.query, err, errlen, QUERY_SWEEP_BRIEF, "i", (long long)id);
	int found = rows && rows->child;

	if (rows && !found)
		err_set(err, errlen, "no sweep %lld", (long long)id);
	cJSON_Delete(rows);
	return found ? 0 : rows ? -PROTO_E_NOT_FOUND : -1;
}

/* note: a sweep's or a trial's, written at once, then told to subscribers
 * (the dashboard's other pages). */
static int do_note(struct daemon *d, struct server_client *c, const struct request *req,
		   cJSON *reply, char *err, size_t errlen)
{
	int64_t sweep = req->sweep;
	cJSON *rows;
	int rc;

	(void)c;
	(void)reply;
	if (req->trial) {
		if (!(rows = query_run(&d->db.query, err, errlen, QUERY_TRIAL, "i",
				       (long long)req->trial)))
			return -1;
		sweep = query_int(cJSON_GetObjectItemCaseSensitive(rows->child, "sweep_id"), 0);
		cJSON_Delete(rows);
		if (!sweep)
			return coded(PROTO_E_NOT_FOUND,
				     err_set(err, errlen, "no trial %lld", (long long)req->trial));
	} else if ((rc = sweep_exists(d, sweep, err, errlen)) < 0) {
		return rc;
	}
	if (db_set_note(&d->db, req->trial != 0, req->trial ? req->trial : sweep,
			req->text[0] ? req->text : NULL, err, errlen) < 0)
		return -1;
	events_note(&d->events, sweep, req->trial, req->text);
	return 0;
}

/* tag, untag: a sweep's labels, written at once. */
static int do_label(struct daemon *d, struct server_client *c, const struct request *req,
		    cJSON *reply, char *err, size_t errlen)
{
	const cJSON *t;
	int rc;

	(void)c;
	if ((rc = sweep_exists(d, req->sweep, err, errlen)) < 0)
		return rc;
	if (db_begin(&d->db, err, errlen) < 0)
		return -1;
	cJSON_ArrayForEach(t, req->tags)
		if (db_tag(&d->db, req->sweep, t->valuestring, req->cmd == PROTO_TAG, err, errlen) < 0) {
			db_rollback(&d->db);
			return -1;
		}
	return db_commit(&d->db, err, errlen);
}
/* ---- the event stream, slots ---- */

void requests_subscribed(void *ctx, struct server_client *c, int64_t sweep_id)
{
	struct daemon *d = ctx;
	cJSON *e = cJSON_CreateObject(), *running;

	cJSON_AddStringToObject(e, "event", proto_event_name(PROTO_EV_SNAPSHOT));
	if (sweep_id)
		cJSON_AddNumberToObject(e, "sweep", (double)sweep_id);
	else
		cJSON_AddNullToObject(e, "sweep");
	running = cJSON_AddArrayToObject(e, "running");
	for (struct trial *t = d->running; t; t = t->next)
		if (!sweep_id || t->sweep_id == sweep_id)
			cJSON_AddItemToArray(running, events_running_json(t));
	server_reply(c, e);
}

static int do_slots(struct daemon *d, struct server_client *c, const struct request *req,
		    cJSON *reply, char *err, size_t errlen)
{
	(void)c;
	if (req->n > 100000)
		return coded(PROTO_E_BAD_REQUEST, err_set(err, errlen, "\"n\": at most 100000 slots"));
	log_msg("slots: %d -> %lld", d->opt.slots, (long long)req->n);
	d->opt.slots = (int)req->n;
	cJSON_AddNumberToObject(reply, "slots", (double)req->n);
	d->hub.schedule(d);
	return 0;
}

/* ---- steering: adjust (steer.c) and fork (fork.c); shutdown ---- */

/* `caviar adjust`: checked against the spec, sent to the program as a
 * control line; the reply waits for its answer (steer_answer). */
static int do_adjust(struct daemon *d, struct server_client *c, const struct request *req,
		     cJSON *reply, char *err, size_t errlen)
{
	struct trial *t = d->hub.find_running(d, req->trial);
	const cJSON *v;

	(void)reply;
	if (!t)
		return err_set(err, errlen, "trial %lld is not running", (long long)req->trial);
	cJSON_ArrayForEach(v, req->set)
		if (spec_check_change(t->spec, v->string, v, SPEC_CHANGE_RUNNING, req->force, err,
				      errlen) < 0)
			return -1;
	return steer_send(&d->steer, t->row.id, req->set, server_client_id(c), err, errlen) < 0
		       ? -1 : 1;
}

/* The answer a `caviar adjust` waits for, or a replayed adjustment (steer's
 * adjusted: see requests.h). */
void requests_adjusted(void *ctx, int64_t trial, int64_t client, const struct worker_line *l,
		       const cJSON *changes)
{
	struct daemon *d = ctx;
	struct trial *t = d->hub.find_running(d, trial);
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

/* `caviar fork`: a new trial of the parent's sweep, started from the
 * parent's checkpoint of an epoch with the given changes (fork_plan). */
static int do_fork(struct daemon *d, struct server_client *c, const struct request *req,
		   cJSON *reply, char *err, size_t errlen)
{
	struct fork_plan plan = {0};
	struct sweep *sw = NULL, *revived = NULL;
	char *ptext = NULL;
	int64_t child = 0;
	int rc = -1;

	(void)c;
	if (writer_flush(&d->writer) < 0)
		return db_failing(d, err, errlen);
	if (fork_plan(&plan, &d->db.query, d->opt.state_dir, req->trial, (int)req->epoch,
		      req->set, req->force, err, errlen) < 0)
		goto out;
	if (fork_stage(d->opt.state_dir, plan.command, req->trial, plan.epoch, err, errlen) < 0)
		goto out;
	ptext = cJSON_PrintUnformatted(plan.params);
	sw = sweeps_fork(&d->sweeps, &(struct sweeps_fork){
		.sweep_id = plan.sweep_id, .parent = req->trial, .epoch = plan.epoch,
		.step = plan.step, .params = ptext, .seed = plan.seed, .changes = plan.changes,
		.source = "user"}, &revived, &child, err, errlen);
	if (revived)
		events_sweep(&d->events, revived->id, proto_event_name(PROTO_EV_SWEEP_STARTED),
			     revived->spec.name,
			     "running", NULL);
	if (!sw) {
		if (revived)
			d->hub.check_sweep(d, revived);
		goto out;
	}
	fork_materialize(d->opt.state_dir, plan.command, plan.source, req->trial, child);
	log_msg("trial %lld forked from trial %lld at epoch %d", (long long)child,
		(long long)req->trial, plan.epoch);
	cJSON_AddNumberToObject(reply, "trial", (double)child);
	cJSON_AddNumberToObject(reply, "sweep", (double)sw->id);
	cJSON_AddNumberToObject(reply, "parent", (double)req->trial);
	cJSON_AddNumberToObject(reply, "epoch", plan.epoch);
	cJSON_AddItemToObject(reply, "params", plan.params);
	plan.params = NULL;
	rc = 0;
	d->hub.arm_budget(d);
	d->hub.schedule(d);
out:
	fork_plan_finish(&plan);
	free(ptext);
	return rc;
}

static int do_shutdown(struct daemon *d, struct server_client *c, const struct request *req,
		       cJSON *reply, char *err, size_t errlen)
{
	(void)req;
	(void)err;
	(void)errlen;
	/* Replies first: shutting down closes this very client. */
	server_reply(c, cJSON_Duplicate(reply, 1));
	d->hub.shutdown(d);
	return 1;
}

/* ---- the table ---- */

/* A handler: the server_handler's contract (0, -1 with err, or 1: it replies). */
typedef int (*request_fn)(struct daemon *d, struct server_client *c, const struct request *req,
			  cJSON *reply, char *err, size_t errlen);

/* Every request of the vocabulary but subscribe (the server's own). */
static const request_fn handlers[PROTO_CMD_COUNT] = {
	[PROTO_SUBMIT] = do_submit,     [PROTO_LS] = do_ls,         [PROTO_TOP] = do_top,
	[PROTO_STATUS] = do_status,     [PROTO_WAIT] = do_wait,     [PROTO_CANCEL] = do_cancel,
	[PROTO_PAUSE] = do_pause,       [PROTO_RESUME] = do_pause,  [PROTO_SHUTDOWN] = do_shutdown,
	[PROTO_SLOTS] = do_slots,       [PROTO_EXTEND] = do_extend, [PROTO_RM] = do_rm,
	[PROTO_NOTE] = do_note,         [PROTO_TAG] = do_label,     [PROTO_UNTAG] = do_label,
	[PROTO_ADJUST] = do_adjust,     [PROTO_FORK] = do_fork,     [PROTO_PARETO] = do_pareto,
};

int requests_handle(void *ctx, struct server_client *c, const struct request *req,
		    cJSON *reply, char *err, size_t errlen)
{
	if (req->cmd < PROTO_CMD_COUNT && handlers[req->cmd])
		return handlers[req->cmd](ctx, c, req, reply, err, errlen);
	return coded(PROTO_E_BAD_REQUEST, err_set(err, errlen, "\"%s\" is not the daemon's to answer",
						  proto_cmd_name(req->cmd)));
}
