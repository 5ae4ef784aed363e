/* sweeps: sweeps, their trial queues and rounds (see sweeps.h). */
#include "sweeps.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "errbuf.h"
#include "command.h"
#include "events.h"
#include "hparams.h"
#include "rng.h"
#include "server.h"
#include "trial.h"
#include "trialcfg.h"
#include "xalloc.h"

static const char *const search_names[] = {
	[SEARCH_RANDOM] = "random",
	[SEARCH_GRID] = "grid",
	[SEARCH_SOBOL] = "sobol",
	[SEARCH_COARSE_TO_FINE] = "coarse_to_fine",
};

/* The worker's seed for a trial: independent of the stream its params came from. */
static uint64_t trial_seed(const struct spec *s, int number)
{
	return rng_derive(rng_derive(s->seed, (uint64_t)number), 0x5eed) & ((1ull << 53) - 1);
}

static void queue_push(struct sweep *sw, int64_t id, int number, int attempts)
{
	if (sw->n_queue == sw->cap_queue) {
		size_t cap = sw->cap_queue ? 2 * (size_t)sw->cap_queue : 16;

		sw->cap_queue = (int)cap;
		sw->queue = xrealloc(sw->queue, cap * sizeof *sw->queue);
		sw->queue_number = xrealloc(sw->queue_number, cap * sizeof *sw->queue_number);
		sw->queue_attempts = xrealloc(sw->queue_attempts, cap * sizeof *sw->queue_attempts);
	}
	sw->queue[sw->n_queue] = id;
	sw->queue_number[sw->n_queue] = number;
	sw->queue_attempts[sw->n_queue++] = attempts;
}

/* Puts a trial back at the head of the queue (a retry). */
static void queue_unshift(struct sweep *sw, const struct trial *t)
{
	sw->q_head--;
	sw->queue[sw->q_head] = t->row.id;
	sw->queue_number[sw->q_head] = t->number;
	sw->queue_attempts[sw->q_head] = t->row.attempts;
}

static void sweep_free(struct sweep *sw)
{
	if (!sw)
		return;
	spec_finish(&sw->spec);
	sample_box_finish(&sw->box);
	stopper_finish(&sw->stopper);
	free(sw->queue);
	free(sw->queue_number);
	free(sw->queue_attempts);
	free(sw);
}

/* Records round `round` of sw (its box, then its trials) inside the caller's
 * transaction, and queues the trials. */
static int insert_round(struct daemon *d, struct sweep *sw, int round, char *err, size_t errlen)
{
	cJSON *ranges = sample_box_to_json(&sw->box, &sw->spec);
	char *text = cJSON_PrintUnformatted(ranges);
	int n = sample_round_size(&sw->spec, round), rc;

	cJSON_Delete(ranges);
	rc = db_insert_round(&d->db, sw->id, round, text, daemon_now(), err, errlen);
	free(text);
	for (int i = 0; rc == 0 && i < n; i++) {
		int number = sw->next_number + i;
		cJSON *params = sample_trial(&sw->spec, &sw->box, number);
		char *ptext = cJSON_PrintUnformatted(params);
		int64_t id;

		cJSON_Delete(params);
		rc = db_insert_trial(&d->db, sw->id, number, round, ptext, trial_seed(&sw->spec, number),
				     &id, err, errlen);
		free(ptext);
		if (rc == 0)
			queue_push(sw, id, number, 0);
	}
	if (rc == 0) {
		sw->next_number += n;
		sw->round = round;
	}
	return rc;
}

static void sweep_append(struct daemon *d, struct sweep *sw)
{
	struct sweep **p = &d->sweeps;

	while (*p)
		p = &(*p)->next;
	*p = sw;
}

struct sweep *sweeps_submit(struct daemon *d, const cJSON *spec_json, char *err, size_t errlen)
{
	struct sweep *sw = xcalloc(1, sizeof *sw);
	char *text = NULL;

	if (spec_parse(&sw->spec, spec_json, err, errlen) < 0 ||
	    sample_check_grid(&sw->spec, err, errlen) < 0 ||
	    (sw->spec.command && command_check(&sw->spec, err, errlen) < 0))
		goto error;
	sample_box_init(&sw->box, &sw->spec);
	stopper_init(&sw->stopper, &sw->spec);
	text = cJSON_PrintUnformatted(spec_json);
	if (daemon_flush(d) < 0) {
		err_set(err, errlen, "the database cannot be written: %s", d->db_error);
		goto error;
	}
	if (db_begin(&d->db, err, errlen) < 0)
		goto error;
	if (db_insert_sweep(&d->db, sw->spec.name, text, search_names[sw->spec.search],
			    sw->spec.seed, sw->spec.objective_metric, sw->spec.objective_max,
			    sw->spec.trials, daemon_now(), &sw->id, err, errlen) < 0 ||
	    insert_round(d, sw, 0, err, errlen) < 0 || db_commit(&d->db, err, errlen) < 0) {
		db_rollback(&d->db);
		goto error;
	}
	free(text);
	sweep_append(d, sw);
	daemon_log("sweep %lld \"%s\" submitted: %d trials, %s search", (long long)sw->id,
		   sw->spec.name, sw->spec.trials, search_names[sw->spec.search]);
	events_sweep(d, sw->id, "sweep_started", sw->spec.name, "running");
	return sw;
error:
	free(text);
	sweep_free(sw);
	return NULL;
}

struct sweep *sweeps_find(struct daemon *d, int64_t sweep_id)
{
	for (struct sweep *sw = d->sweeps; sw; sw = sw->next)
		if (sw->id == sweep_id)
			return sw;
	return NULL;
}

static double num(const cJSON *row, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Early stopping after a restart: the rule sees again every objective value
 * recorded so far, without stopping anything. */
static int replay_stopper(struct daemon *d, struct sweep *sw, char *err, size_t errlen)
{
	char reason[512];
	cJSON *rows, *row;

	if (sw->stopper.kind == EARLY_STOP_NONE)
		return 0;
	rows = db_query(&d->db, Q_OBJECTIVE_POINTS, &sw->id, 1, err, errlen);
	if (!rows)
		return -1;
	cJSON_ArrayForEach(row, rows)
		stopper_report(&sw->stopper, (int)num(row, "number"), (int)num(row, "epoch"), 0,
			       num(row, "value"), reason, sizeof reason);
	cJSON_Delete(rows);
	return 0;
}

/* Rebuilds one active sweep from its rows. */
static struct sweep *load_sweep(struct daemon *d, const cJSON *row, char *err, size_t errlen)
{
	struct sweep *sw = xcalloc(1, sizeof *sw);
	const cJSON *spec_text = cJSON_GetObjectItemCaseSensitive(row, "spec");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(row, "status");
	int64_t id = (int64_t)num(row, "id");
	cJSON *json = cJSON_Parse(cJSON_IsString(spec_text) ? spec_text->valuestring : "");
	cJSON *rounds = NULL, *queued = NULL, *count = NULL, *item;
	int rc = -1;

	sw->id = id;
	sw->paused = cJSON_IsString(status) && strcmp(status->valuestring, "paused") == 0;
	if (!json || spec_parse(&sw->spec, json, err, errlen) < 0 ||
	    sample_check_grid(&sw->spec, err, errlen) < 0)
		goto out;
	rounds = db_query(&d->db, Q_LAST_ROUND, &id, 1, err, errlen);
	queued = db_query(&d->db, Q_QUEUED_TRIALS, &id, 1, err, errlen);
	count = db_query(&d->db, Q_TRIAL_COUNT, &id, 1, err, errlen);
	if (!rounds || !queued || !count)
		goto out;
	sw->round = cJSON_GetArraySize(rounds) ? (int)num(rounds->child, "round") : 0;
	if (cJSON_GetArraySize(rounds) == 0)
		sample_box_init(&sw->box, &sw->spec);
	else if (sample_box_from_json(&sw->box, &sw->spec,
				      cJSON_GetObjectItemCaseSensitive(rounds->child, "ranges"), err,
				      errlen) < 0)
		goto out;
	cJSON_ArrayForEach(item, queued)
		queue_push(sw, (int64_t)num(item, "id"), (int)num(item, "number"),
			   (int)num(item, "attempts"));
	sw->next_number = (int)num(count->child, "n");
	stopper_init(&sw->stopper, &sw->spec);
	rc = replay_stopper(d, sw, err, errlen);
out:
	cJSON_Delete(json);
	cJSON_Delete(rounds);
	cJSON_Delete(queued);
	cJSON_Delete(count);
	if (rc < 0) {
		err_prefix(err, errlen, "sweep %lld", (long long)id);
		sweep_free(sw);
		return NULL;
	}
	return sw;
}

static void sweep_check_done(struct daemon *d, struct sweep *sw);

int sweeps_load(struct daemon *d, char *err, size_t errlen)
{
	cJSON *rows = db_query(&d->db, Q_ACTIVE_SWEEPS, NULL, 0, err, errlen), *row;

	if (!rows)
		return -1;
	cJSON_ArrayForEach(row, rows) {
		struct sweep *sw = load_sweep(d, row, err, errlen);

		if (!sw) {
			/* One unreadable sweep must not keep the others from running. */
			daemon_log("cannot resume: %s", err);
			continue;
		}
		sweep_append(d, sw);
		daemon_log("sweep %lld \"%s\" resumed: %d trials queued", (long long)sw->id,
			   sw->spec.name, sw->n_queue);
	}
	cJSON_Delete(rows);
	sweeps_check_all(d);
	return 0;
}

static int may_start(const struct sweep *sw)
{
	return !sw->paused && sw->q_head < sw->n_queue &&
	       (sw->spec.parallel == 0 || sw->running < sw->spec.parallel);
}

/* A built-in worker's checkpoint: STATE/checkpoints/trial-ID.ckpt. */
static void builtin_checkpoint(struct daemon *d, struct trial *t, cJSON *config)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/checkpoints/trial-%lld.ckpt", d->opt.state_dir,
		 (long long)t->row.id);
	t->checkpoint = xstrdup(path);
	cJSON_AddStringToObject(config, "checkpoint", path);
}

/* A command trial's argv, directories and environment; a failure is kept as
 * the reason the trial cannot start. */
static void command_setup(struct daemon *d, struct trial *t, const cJSON *config)
{
	char err[ERRBUF_LEN];

	t->cmd = xcalloc(1, sizeof *t->cmd);
	if (command_prepare(t->cmd, &t->sweep->spec, config, t->sweep->id, t->row.id,
			    d->opt.state_dir, err, sizeof err) < 0)
		t->start_error = xstrdup(err);
}

/* The trial's configuration text, from its recorded params. */
static char *trial_config(struct daemon *d, struct trial *t, int64_t id)
{
	char err[256];
	cJSON *rows = db_query(&d->db, Q_TRIAL_START, &id, 1, err, sizeof err);
	const cJSON *threads;
	cJSON *config;
	char *text;

	if (!rows || !rows->child) {
		daemon_log("trial %lld: cannot read its params: %s", (long long)id,
			   rows ? "no such trial" : err);
		cJSON_Delete(rows);
		return NULL;
	}
	config = trialcfg_build(&t->sweep->spec,
				cJSON_GetObjectItemCaseSensitive(rows->child, "params"),
				(uint64_t)num(rows->child, "seed"));
	t->params = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(rows->child, "params"));
	threads = cJSON_GetObjectItemCaseSensitive(config, "threads");
	t->threads = cJSON_IsNumber(threads) && threads->valuedouble >= 1 ? threads->valueint : 1;
	t->epochs_total = (int)HP_NUM(config, "epochs");
	t->memory_mb = t->sweep->spec.memory_mb;
	if (t->sweep->spec.command)
		command_setup(d, t, config);
	else
		builtin_checkpoint(d, t, config);
	text = cJSON_PrintUnformatted(config);
	cJSON_Delete(config);
	cJSON_Delete(rows);
	return text;
}

struct trial *sweeps_next(struct daemon *d, char **config)
{
	for (struct sweep *sw = d->sweeps; sw; sw = sw->next) {
		struct trial *t;

		if (!may_start(sw))
			continue;
		t = xcalloc(1, sizeof *t);
		t->d = d;
		t->sweep = sw;
		t->row.id = sw->queue[sw->q_head];
		t->number = sw->queue_number[sw->q_head];
		t->row.attempts = sw->queue_attempts[sw->q_head];
		sw->q_head++;
		t->row.status = "running";
		t->row.exit_code = -1;
		t->row.best_value = NAN;
		t->row.started_at = daemon_now();
		*config = trial_config(d, t, t->row.id);
		if (!*config) {
			free(t);
			continue;
		}
		t->row.attempts++;
		sw->running++;
		return t;
	}
	return NULL;
}

static void sweep_remove(struct daemon *d, struct sweep *sw)
{
	for (struct sweep **p = &d->sweeps; *p; p = &(*p)->next)
		if (*p == sw) {
			*p = sw->next;
			break;
		}
	sweep_free(sw);
}

/* Opens the next coarse_to_fine round around the best trials of the last. */
static int next_round(struct daemon *d, struct sweep *sw, char *err, size_t errlen)
{
	int64_t args[2] = {sw->id, sw->round};
	cJSON *rows = db_query(&d->db, Q_ROUND_RESULTS, args, 2, err, errlen), *row;
	int n = cJSON_GetArraySize(rows), i = 0, rc = -1;
	const cJSON **params = xcalloc((size_t)n + 1, sizeof *params);
	double *values = xcalloc((size_t)n + 1, sizeof *values);
	struct sample_box next = {0};

	if (!rows)
		goto out;
	cJSON_ArrayForEach(row, rows) {
		params[i] = cJSON_GetObjectItemCaseSensitive(row, "params");
		values[i++] = num(row, "best_value");
	}
	if (sample_narrow(&sw->spec, &sw->box, params, values, n, &next, err, errlen) < 0) {
		daemon_log("sweep %lld: round %d not narrowed (%s); keeping its region",
			   (long long)sw->id, sw->round + 1, err);
	} else {
		sample_box_finish(&sw->box);
		sw->box = next;
	}
	if (db_begin(&d->db, err, errlen) == 0) {
		rc = insert_round(d, sw, sw->round + 1, err, errlen);
		if (rc == 0)
			rc = db_commit(&d->db, err, errlen);
		if (rc < 0)
			db_rollback(&d->db);
	}
out:
	free(params);
	free(values);
	cJSON_Delete(rows);
	return rc;
}

/* Ends the sweep, or opens its next round, once nothing is queued or running. */
static void sweep_check_done(struct daemon *d, struct sweep *sw)
{
	char err[512];
	const char *status = "done";

	if (sw->running > 0 || sw->q_head < sw->n_queue)
		return;
	if (daemon_flush(d) < 0)
		return; /* checked again once writes work (daemon.c) */
	if (sw->round + 1 < sample_rounds(&sw->spec) && !sw->cancelled) {
		if (next_round(d, sw, err, sizeof err) < 0)
			daemon_log("sweep %lld: cannot open round %d: %s", (long long)sw->id,
				   sw->round + 1, err);
		else
			daemon_log("sweep %lld: round %d opened", (long long)sw->id, sw->round);
		return;
	}
	if (sw->cancelled)
		status = "cancelled";
	if (db_set_sweep_status(&d->db, sw->id, status, daemon_now(), err, sizeof err) < 0) {
		daemon_log("sweep %lld: %s", (long long)sw->id, err);
		return;
	}
	daemon_log("sweep %lld \"%s\" %s", (long long)sw->id, sw->spec.name, status);
	server_sweep_ended(d, sw->id, status);
	events_sweep(d, sw->id, "sweep_ended", sw->spec.name, status);
	sweep_remove(d, sw);
}

void sweeps_check_all(struct daemon *d)
{
	struct sweep *next;

	for (struct sweep *sw = d->sweeps; sw; sw = next) {
		next = sw->next;
		sweep_check_done(d, sw);
	}
}

void sweeps_trial_outcome(struct daemon *d, struct trial *t)
{
	const struct sweep *sw = t->sweep;
	char *why;

	if (strcmp(t->row.status, "failed") != 0 || !t->retryable || sw->cancelled ||
	    d->shutting_down || t->row.attempts > sw->spec.retries)
		return;
	why = t->row.reason;
	t->row.reason = NULL;
	t->row.status = "queued";
	t->row.ended_at = 0;
	trial_row_reason(&t->row, "attempt %d failed (%s); retrying", t->row.attempts, why);
	free(why);
}

void sweeps_trial_ended(struct daemon *d, struct trial *t)
{
	struct sweep *sw = t->sweep;

	sw->running--;
	if (strcmp(t->row.status, "queued") == 0) {
		/* Runs again: now (a retry), or at the next start (a shutdown). */
		if (!d->shutting_down && sw->q_head > 0)
			queue_unshift(sw, t);
		return;
	}
	if (t->checkpoint) {
		char curve[4200];

		snprintf(curve, sizeof curve, "%s.curve", t->checkpoint);
		unlink(t->checkpoint);
		unlink(curve);
	}
	if (!d->shutting_down)
		sweep_check_done(d, sw);
}

void sweeps_trial_resume(struct daemon *d, struct trial *t, int from)
{
	const struct spec *spec = &t->sweep->spec;
	char err[512];

	if (db_trial_truncate(&d->db, t->row.id, from, spec->objective_metric, spec->objective_max,
			      &t->row.best_value, &t->row.best_epoch, err, sizeof err) < 0) {
		daemon_log("trial %lld: cannot cut its curve back to epoch %d: %s",
			   (long long)t->row.id, from, err);
		return;
	}
	t->row.epochs = from;
	if (from > 0)
		daemon_log("trial %lld: resumed from its checkpoint at epoch %d", (long long)t->row.id,
			   from);
}

int sweeps_should_stop(struct sweep *sw, const struct trial *t, int epoch, double value,
		       char *reason, size_t n)
{
	return stopper_report(&sw->stopper, t->number, epoch, t->epochs_total, value, reason, n);
}

int sweeps_cancel_sweep(struct daemon *d, int64_t sweep_id, char *err, size_t errlen)
{
	struct sweep *sw = sweeps_find(d, sweep_id);
	cJSON *res;
	int n = 0;

	if (!sw)
		return err_set(err, errlen, "sweep %lld is not running", (long long)sweep_id);
	res = db_query(&d->db, Q_CANCEL_QUEUED, &sweep_id, 1, err, errlen);
	if (!res)
		return -1;
	cJSON_Delete(res);
	n = sw->n_queue - sw->q_head;
	sw->q_head = sw->n_queue;
	sw->cancelled = 1;
	for (struct trial *t = d->running; t; t = t->next)
		if (t->sweep == sw) {
			trial_stop(t, "cancelled", "cancelled");
			n++;
		}
	sweep_check_done(d, sw);
	return n;
}

/* Takes a queued trial out of its sweep's queue and records it cancelled. */
static int cancel_queued(struct daemon *d, struct sweep *sw, int i)
{
	struct trial_row row = {.id = sw->queue[i], .status = "cancelled", .exit_code = -1,
				.ended_at = daemon_now(), .reason = "cancelled", .best_value = NAN};

	memmove(&sw->queue[i], &sw->queue[i + 1], (size_t)(sw->n_queue - i - 1) * sizeof *sw->queue);
	memmove(&sw->queue_number[i], &sw->queue_number[i + 1],
		(size_t)(sw->n_queue - i - 1) * sizeof *sw->queue_number);
	memmove(&sw->queue_attempts[i], &sw->queue_attempts[i + 1],
		(size_t)(sw->n_queue - i - 1) * sizeof *sw->queue_attempts);
	sw->n_queue--;
	db_trial_update(&d->db, &row);
	daemon_dirty(d);
	sweep_check_done(d, sw);
	return 1;
}

int sweeps_cancel_trial(struct daemon *d, int64_t trial_id, char *err, size_t errlen)
{
	for (struct trial *t = d->running; t; t = t->next)
		if (t->row.id == trial_id) {
			trial_stop(t, "cancelled", "cancelled");
			return 1;
		}
	for (struct sweep *sw = d->sweeps; sw; sw = sw->next)
		for (int i = sw->q_head; i < sw->n_queue; i++)
			if (sw->queue[i] == trial_id)
				return cancel_queued(d, sw, i);
	return err_set(err, errlen, "trial %lld is neither running nor queued", (long long)trial_id);
}

int sweeps_pause(struct daemon *d, int64_t sweep_id, int paused, char *err, size_t errlen)
{
	struct sweep *sw = sweeps_find(d, sweep_id);

	if (!sw)
		return err_set(err, errlen, "sweep %lld is not running", (long long)sweep_id);
	if (db_set_sweep_status(&d->db, sweep_id, paused ? "paused" : "running", 0, err, errlen) < 0)
		return -1;
	sw->paused = paused;
	return 0;
}

void sweeps_free_all(struct daemon *d)
{
	struct sweep *next;

	for (struct sweep *sw = d->sweeps; sw; sw = next) {
		next = sw->next;
		sweep_free(sw);
	}
	d->sweeps = NULL;
}
