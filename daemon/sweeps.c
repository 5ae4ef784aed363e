/* sweeps: sweeps, their trial queues and rounds (see sweeps.h). */
#include "sweeps.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "changes.h"
#include "errbuf.h"
#include "log.h"
#include "pbt.h"
#include "proto.h"
#include "query.h"
#include "rng.h"
#include "search.h"
#include "xalloc.h"

/* The worker's seed for a trial: independent of the stream its params came from. */
static uint64_t trial_seed(const struct spec *s, int number)
{
	return rng_derive(rng_derive(s->seed, (uint64_t)number), 0x5eed) & ((1ull << 53) - 1);
}

/* Appends a queued trial; params (malloc'd text) is taken. */
static void queue_push(struct sweep *sw, int64_t id, int number, int attempts, uint64_t seed,
		       char *params)
{
	if (sw->n_queue == sw->cap_queue) {
		sw->cap_queue = sw->cap_queue ? 2 * sw->cap_queue : 16;
		sw->queue = xrealloc(sw->queue, (size_t)sw->cap_queue * sizeof *sw->queue);
	}
	sw->queue[sw->n_queue++] = (struct sweep_slot){
		.id = id, .number = number, .attempts = attempts, .seed = seed, .params = params};
}

static void sweep_free(struct sweep *sw)
{
	if (!sw)
		return;
	spec_finish(&sw->spec);
	sample_box_finish(&sw->box);
	stopping_finish(&sw->stopping);
	tpe_history_finish(&sw->tpe);
	for (int i = 0; i < sw->n_failures; i++)
		free(sw->failures[i].reason);
	free(sw->failures);
	for (int i = sw->q_head; i < sw->n_queue; i++)
		free(sw->queue[i].params);
	free(sw->queue);
	free(sw);
}

/* Past the trials sampled ahead: the round's end, or where the search says
 * (tpe: its startup trials; the rest are proposed one at a time, by
 * sweeps_next). */
static int fill_end(const struct sweep *sw)
{
	const struct search_ops *o = search_of(&sw->spec);

	return o->ahead ? o->ahead(&sw->spec, sw->next_number, sw->round_end) : sw->round_end;
}

/* Samples and records up to n more trials of sw's current round inside the
 * caller's transaction, and queues them. */
static int insert_trials(struct sweeps *s, struct sweep *sw, int n, char *err, size_t errlen)
{
	for (int i = 0; i < n && sw->next_number < fill_end(sw); i++) {
		int number = sw->next_number;
		uint64_t seed = trial_seed(&sw->spec, number);
		cJSON *params = sample_trial(&sw->spec, &sw->box, number);
		char *ptext = cJSON_PrintUnformatted(params);
		int64_t id;

		if (search_of(&sw->spec)->propose)
			tpe_history_add(&sw->tpe, &sw->spec, number, params);
		cJSON_Delete(params);
		if (db_insert_trial(s->db, sw->id, number, sw->round, ptext, seed, &id, err, errlen) < 0) {
			free(ptext);
			return -1;
		}
		queue_push(sw, id, number, 0, seed, ptext);
		sw->next_number++;
	}
	return 0;
}

/* Where sw's current round ends: where its search says (coarse_to_fine: a
 * round of the spec's own ends where the spec says; pbt: after the first
 * population, then forks only), else at the budget. */
static int current_round_end(const struct sweep *sw)
{
	const struct search_ops *o = search_of(&sw->spec);

	return o->round_end ? o->round_end(&sw->spec, sw->round, sw->next_number, sw->budget)
			    : sw->budget;
}

/* Records round `round` of sw (its box, then a first slice of its trials)
 * inside the caller's transaction; sweeps_fill records the rest. */
static int insert_round(struct sweeps *s, struct sweep *sw, int round, char *err, size_t errlen)
{
	cJSON *ranges = sample_box_to_json(&sw->box, &sw->spec);
	char *text = cJSON_PrintUnformatted(ranges);
	int rc;

	cJSON_Delete(ranges);
	rc = db_insert_round(s->db, sw->id, round, text, log_now(), err, errlen);
	free(text);
	if (rc < 0)
		return rc;
	sw->round = round;
	sw->round_end = current_round_end(sw);
	return insert_trials(s, sw, SWEEPS_SLICE, err, errlen);
}

/* What a transaction may change of a sweep, to undo after its rollback. */
struct sweep_mark {
	int next_number, round, round_end, n_queue;
};

static struct sweep_mark mark(const struct sweep *sw)
{
	return (struct sweep_mark){sw->next_number, sw->round, sw->round_end, sw->n_queue};
}

static void undo(struct sweep *sw, struct sweep_mark m)
{
	for (int i = m.n_queue; i < sw->n_queue; i++)
		free(sw->queue[i].params);
	sw->n_queue = m.n_queue;
	sw->next_number = m.next_number;
	sw->round = m.round;
	sw->round_end = m.round_end;
}

int sweeps_fill(struct sweeps *s, int max)
{
	char err[512];
	int left = 0;

	for (struct sweep *sw = s->list; sw; sw = sw->next) {
		int n = fill_end(sw) - sw->next_number < max ? fill_end(sw) - sw->next_number : max;
		struct sweep_mark m = mark(sw);

		if (n > 0 && (db_begin(s->db, err, sizeof err) < 0 ||
			      insert_trials(s, sw, n, err, sizeof err) < 0 ||
			      db_commit(s->db, err, sizeof err) < 0)) {
			db_rollback(s->db);
			undo(sw, m);
			log_msg("sweep %lld: cannot record its trials yet: %s", (long long)sw->id, err);
			return -1;
		}
		max -= n > 0 ? n : 0;
		left += fill_end(sw) - sw->next_number;
	}
	return left;
}

static void sweep_append(struct sweeps *s, struct sweep *sw)
{
	struct sweep **p = &s->list;

	while (*p)
		p = &(*p)->next;
	*p = sw;
}

/* The newest sweep recorded with exactly this spec text, or 0. */
static int64_t same_spec(struct sweeps *s, const char *text)
{
	char err[512];
	cJSON *rows = query_run(&s->db->query, err, sizeof err, QUERY_SAME_SPEC, "s", text);
	int64_t id = rows && rows->child ? query_int(cJSON_GetObjectItemCaseSensitive(rows->child, "id"), 0) : 0;

	cJSON_Delete(rows);
	return id;
}

struct sweep *sweeps_submit(struct sweeps *s, struct spec *spec, int64_t *repeats, char *err,
			    size_t errlen)
{
	struct sweep *sw = xcalloc(1, sizeof *sw);
	char *text;

	sw->spec = *spec;
	memset(spec, 0, sizeof *spec);
	sw->budget = sw->spec.trials;
	if (sw->budget < sample_round_size(&sw->spec, 0)) /* pbt's population, with */
		sw->budget = sample_round_size(&sw->spec, 0); /* "generations": forks add */
	sw->created_at = log_now();
	sample_box_init(&sw->box, &sw->spec);
	stopping_init(&sw->stopping, &sw->spec);
	tpe_history_init_goals(&sw->tpe, &sw->spec);
	text = cJSON_PrintUnformatted(sw->spec.json);
	*repeats = same_spec(s, text);
	if (db_begin(s->db, err, errlen) < 0)
		goto error;
	if (db_insert_sweep(s->db, sw->spec.name, text, spec_search_name(sw->spec.search),
			    sw->spec.seed, sw->spec.objective_metric, sw->spec.objective_max,
			    sw->budget, sw->created_at, &sw->id, err, errlen) < 0 ||
	    db_insert_goals(s->db, sw->id, &sw->spec, err, errlen) < 0 ||
	    insert_round(s, sw, 0, err, errlen) < 0 || db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		goto error;
	}
	free(text);
	sweep_append(s, sw);
	return sw;
error:
	free(text);
	sweep_free(sw);
	return NULL;
}

struct sweep *sweeps_find(const struct sweeps *s, int64_t sweep_id)
{
	for (struct sweep *sw = s->list; sw; sw = sw->next)
		if (sw->id == sweep_id)
			return sw;
	return NULL;
}

static double num(const cJSON *row, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Whether rows a and b are points of one line: one trial, epoch and step. */
static int same_line(const cJSON *a, const cJSON *b)
{
	return b && num(a, "number") == num(b, "number") && num(a, "epoch") == num(b, "epoch") &&
	       num(a, "step") == num(b, "step");
}

/* Early stopping after a restart: the rule sees again every goal value
 * recorded so far, a line at a time, without stopping anything. */
static int replay_stopping(struct sweeps *s, struct sweep *sw, char *err, size_t errlen)
{
	char reason[512];
	cJSON *rows, *row;

	if (sw->stopping.kind == EARLY_STOP_NONE)
		return 0;
	rows = query_run(&s->db->query, err, errlen, QUERY_GOAL_POINTS, "i", (long long)sw->id);
	if (!rows)
		return -1;
	cJSON_ArrayForEach(row, rows) {
		const cJSON *metric = cJSON_GetObjectItemCaseSensitive(row, "metric");
		int number = (int)num(row, "number"), epoch = (int)num(row, "epoch");

		stopping_note(&sw->stopping, number, epoch, cJSON_GetStringValue(metric),
			      num(row, "value"));
		if (!same_line(row, row->next))
			stopping_judge(&sw->stopping, number, epoch, 0, reason, sizeof reason);
	}
	cJSON_Delete(rows);
	return 0;
}

/* Search tpe with several goals after a restart: each ended trial's last
 * value of each objective and constraint (schema 008's goal_values), as
 * sweeps_trial_metric kept them before. */
static int load_tpe_goals(struct sweeps *s, struct sweep *sw, char *err, size_t errlen)
{
	cJSON *rows, *row;

	if (!spec_has_goals(&sw->spec))
		return 0;
	rows = query_run(&s->db->query, err, errlen, QUERY_GOAL_VALUES, "i", (long long)sw->id);
	if (!rows)
		return -1;
	cJSON_ArrayForEach(row, rows) {
		const char *metric = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "metric"));
		double v = num(row, "value");

		if (metric && !isnan(v))
			tpe_history_note(&sw->tpe, &sw->spec, (int)num(row, "number"), metric, v);
	}
	cJSON_Delete(rows);
	return 0;
}

/* Search tpe after a restart: the history of the trials that ended, as
 * recorded (the queued ones are added by load_queue). */
static int load_tpe(struct sweeps *s, struct sweep *sw, char *err, size_t errlen)
{
	cJSON *rows, *row;

	tpe_history_init_goals(&sw->tpe, &sw->spec);
	if (!search_of(&sw->spec)->propose)
		return 0;
	rows = query_run(&s->db->query, err, errlen, QUERY_TPE_HISTORY, "i", (long long)sw->id);
	if (!rows)
		return -1;
	cJSON_ArrayForEach(row, rows) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(row, "status");
		int number = (int)num(row, "number");
		int done = cJSON_IsString(st) && strcmp(st->valuestring, "done") == 0;

		tpe_history_add(&sw->tpe, &sw->spec, number,
				cJSON_GetObjectItemCaseSensitive(row, "params"));
		tpe_history_set(&sw->tpe, number, done ? TPE_DONE : TPE_PRUNED,
				(int)num(row, "epochs"), num(row, done ? "best_value" : "last"));
	}
	cJSON_Delete(rows);
	return load_tpe_goals(s, sw, err, errlen);
}

/* Queues sw's trials recorded as queued, with their params as recorded. */
static int load_queue(struct sweeps *s, struct sweep *sw, char *err, size_t errlen)
{
	cJSON *rows = query_run(&s->db->query, err, errlen, QUERY_QUEUED_TRIALS, "i",
				(long long)sw->id), *row;

	if (!rows)
		return -1;
	cJSON_ArrayForEach(row, rows) {
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(row, "sampled");

		if (search_of(&sw->spec)->propose && cJSON_IsString(params)) {
			cJSON *p = cJSON_Parse(params->valuestring);

			tpe_history_add(&sw->tpe, &sw->spec, (int)num(row, "number"), p);
			cJSON_Delete(p);
		}
		queue_push(sw, query_int(cJSON_GetObjectItemCaseSensitive(row, "id"), 0),
			   (int)num(row, "number"), (int)num(row, "attempts"),
			   (uint64_t)query_int(cJSON_GetObjectItemCaseSensitive(row, "seed"), 0),
			   xstrdup(cJSON_IsString(params) ? params->valuestring : "{}"));
	}
	cJSON_Delete(rows);
	return 0;
}

/* Rebuilds one active sweep from its rows. */
static struct sweep *load_sweep(struct sweeps *s, const cJSON *row, char *err, size_t errlen)
{
	struct sweep *sw = xcalloc(1, sizeof *sw);
	const cJSON *json = cJSON_GetObjectItemCaseSensitive(row, "spec");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(row, "status");
	int64_t id = query_int(cJSON_GetObjectItemCaseSensitive(row, "id"), 0);
	cJSON *rounds = NULL, *count = NULL;
	int rc = -1;

	sw->id = id;
	sw->paused = cJSON_IsString(status) && strcmp(status->valuestring, "paused") == 0;
	sw->budget = (int)num(row, "budget");
	sw->created_at = num(row, "created_at");
	if (!cJSON_IsObject(json)) {
		err_set(err, errlen, "its spec is not a JSON object");
		goto out;
	}
	if (spec_parse(&sw->spec, json, err, errlen) < 0 ||
	    sample_check_grid(&sw->spec, err, errlen) < 0)
		goto out;
	rounds = query_run(&s->db->query, err, errlen, QUERY_LAST_ROUND, "i", (long long)id);
	count = query_run(&s->db->query, err, errlen, QUERY_TRIAL_COUNT, "i", (long long)id);
	if (!rounds || !count || load_tpe(s, sw, err, errlen) < 0 ||
	    load_queue(s, sw, err, errlen) < 0)
		goto out;
	sw->round = cJSON_GetArraySize(rounds) ? (int)num(rounds->child, "round") : 0;
	if (cJSON_GetArraySize(rounds) == 0)
		sample_box_init(&sw->box, &sw->spec);
	else if (sample_box_from_json(&sw->box, &sw->spec,
				      cJSON_GetObjectItemCaseSensitive(rounds->child, "ranges"), err,
				      errlen) < 0)
		goto out;
	sw->next_number = (int)num(count->child, "n");
	sw->round_end = current_round_end(sw);
	stopping_init(&sw->stopping, &sw->spec);
	rc = replay_stopping(s, sw, err, errlen);
out:
	cJSON_Delete(rounds);
	cJSON_Delete(count);
	if (rc < 0) {
		err_prefix(err, errlen, "sweep %lld", (long long)id);
		sweep_free(sw);
		return NULL;
	}
	return sw;
}

int sweeps_load(struct sweeps *s, char *err, size_t errlen)
{
	cJSON *rows = query_run(&s->db->query, err, errlen, QUERY_ACTIVE_SWEEPS, ""), *row;

	if (!rows)
		return -1;
	cJSON_ArrayForEach(row, rows) {
		struct sweep *sw = load_sweep(s, row, err, errlen);

		if (!sw) {
			/* One unreadable sweep must not keep the others from running. */
			log_msg("cannot resume: %s", err);
			continue;
		}
		sweep_append(s, sw);
		log_msg("sweep %lld \"%s\" resumed: %d trials queued", (long long)sw->id,
			sw->spec.name, sw->n_queue);
	}
	cJSON_Delete(rows);
	return 0;
}

static int may_start(const struct sweep *sw)
{
	return !sw->paused && sw->q_head < sw->n_queue &&
	       (sw->spec.parallel == 0 || sw->running < sw->spec.parallel);
}

/* A search that learns (tpe): proposes, records and queues sw's next trial
 * from its history (one transaction: the trial and its suggestion). Returns
 * 0, or -1 (logged; tried again at the next start). */
static int propose(struct sweeps *s, struct sweep *sw)
{
	struct sweep_mark m = mark(sw);
	int number = sw->next_number;
	uint64_t seed = trial_seed(&sw->spec, number);
	cJSON *why = NULL;
	cJSON *params = search_of(&sw->spec)->propose(&sw->spec, &sw->tpe, number, &why);
	char *ptext = cJSON_PrintUnformatted(params), *wtext = cJSON_PrintUnformatted(why);
	char err[512];
	int64_t id;

	tpe_history_add(&sw->tpe, &sw->spec, number, params);
	cJSON_Delete(params);
	cJSON_Delete(why);
	if (db_begin(s->db, err, sizeof err) < 0 ||
	    db_insert_trial(s->db, sw->id, number, sw->round, ptext, seed, &id, err, sizeof err) < 0 ||
	    db_set_suggestion(s->db, id, wtext, err, sizeof err) < 0 ||
	    db_commit(s->db, err, sizeof err) < 0) {
		db_rollback(s->db);
		undo(sw, m);
		log_msg("sweep %lld: cannot record its trial no. %d yet: %s", (long long)sw->id, number,
			err);
		free(ptext);
		free(wtext);
		return -1;
	}
	free(wtext);
	queue_push(sw, id, number, 0, seed, ptext);
	sw->next_number++;
	return 0;
}

int sweeps_next(struct sweeps *s, struct sweep_pick *pick)
{
	for (struct sweep *sw = s->list; sw; sw = sw->next) {
		struct sweep_slot *q;

		if (search_of(&sw->spec)->propose && sw->q_head == sw->n_queue && !sw->cancelled &&
		    sw->next_number < sw->round_end && !sw->paused &&
		    (sw->spec.parallel == 0 || sw->running < sw->spec.parallel))
			propose(s, sw);
		if (!may_start(sw))
			continue;
		q = &sw->queue[sw->q_head++];
		*pick = (struct sweep_pick){.sweep = sw, .id = q->id, .number = q->number,
					    .attempts = q->attempts, .seed = q->seed,
					    .params = cJSON_Parse(q->params)};
		free(q->params);
		q->params = NULL;
		if (!pick->params)
			pick->params = cJSON_CreateObject(); /* recorded by us: cannot happen */
		tpe_history_set(&sw->tpe, q->number, TPE_RUNNING, 0, NAN);
		sw->running++;
		return 1;
	}
	return 0;
}

int sweeps_trial_failed(struct sweep *sw, const char *reason, char *why, size_t whylen)
{
	struct sweep_failure *f = NULL;
	int k = sw->spec.fail_fast;

	for (int i = 0; i < sw->n_failures && !f; i++)
		if (strcmp(sw->failures[i].reason, reason) == 0)
			f = &sw->failures[i];
	if (!f && sw->n_failures == SWEEPS_FAILURE_KINDS)
		return 0;
	if (!f) {
		sw->failures = xrealloc(sw->failures, (size_t)(sw->n_failures + 1) * sizeof *f);
		f = &sw->failures[sw->n_failures++];
		*f = (struct sweep_failure){xstrdup(reason), 0};
	}
	f->n++;
	if (k == 0 || f->n < k)
		return 0;
	snprintf(why, whylen, "%d trials failed the same way: %s", f->n, reason);
	return 1;
}

void sweeps_fork_failed(struct sweep *sw, int64_t id, const char *reason)
{
	if (sw->fork_failures++ == 0)
		snprintf(sw->fork_failure, sizeof sw->fork_failure, "trial %lld: %s", (long long)id,
			 reason);
}

/* The reason of a sweep that ends "done" although forks of it failed. */
static void fork_failures_reason(struct sweep *sw)
{
	int n = sw->fork_failures, len = 0;

	if (n == 0 || sw->reason[0])
		return;
	if (search_of(&sw->spec)->forks && sw->next_number < sw->budget)
		len = snprintf(sw->reason, sizeof sw->reason, "%s ran %d of %d trials: ",
			       search_of(&sw->spec)->name, sw->next_number, sw->budget);
	snprintf(sw->reason + len, sizeof sw->reason - (size_t)len,
		 "%d fork%s failed in %s first epoch (%s)", n, n == 1 ? "" : "s",
		 n == 1 ? "its" : "their", sw->fork_failure);
}

int sweeps_may_retry(const struct sweep *sw, int attempts)
{
	return !sw->cancelled && !sw->failed && attempts <= sw->spec.retries;
}

void sweeps_trial_ended(struct sweep *sw, const struct sweep_pick *again)
{
	sw->running--;
	if (!again || sw->q_head == 0)
		return; /* a requeued trial that cannot go back now runs at the next start */
	sw->queue[--sw->q_head] = (struct sweep_slot){
		.id = again->id, .number = again->number, .attempts = again->attempts,
		.seed = again->seed, .params = cJSON_PrintUnformatted(again->params)};
}

void sweeps_trial_resume(struct sweeps *s, const struct sweep *sw, struct trial_row *row,
			 int from)
{
	const struct spec *spec = &sw->spec;
	char err[512];

	if (db_trial_truncate(s->db, row->id, from, spec->objective_metric, spec->objective_max,
			      &row->best_value, &row->best_epoch, err, sizeof err) < 0) {
		log_msg("trial %lld: cannot cut its curve back to epoch %d: %s", (long long)row->id,
			from, err);
		return;
	}
	row->epochs = from;
	if (from > 0)
		log_msg("trial %lld: resumed from its checkpoint at epoch %d", (long long)row->id,
			from);
}

void sweeps_trial_result(struct sweep *sw, int number, const char *status, double best_value)
{
	const struct tpe_history *h = &sw->tpe;
	int epochs = number >= 0 && number < h->n ? h->epochs[number] : 0;
	double last = number >= 0 && number < h->n ? h->value[number] : NAN;

	if (strcmp(status, "done") == 0)
		tpe_history_set(&sw->tpe, number, TPE_DONE, epochs, best_value);
	else if (strcmp(status, "pruned") == 0)
		tpe_history_set(&sw->tpe, number, TPE_PRUNED, epochs, last);
	else
		tpe_history_set(&sw->tpe, number, TPE_NONE, 0, NAN);
}

void sweeps_trial_metric(struct sweep *sw, int number, int epoch, const char *metric,
			 double value)
{
	tpe_history_note(&sw->tpe, &sw->spec, number, metric, value);
	stopping_note(&sw->stopping, number, epoch, metric, value);
}

int sweeps_should_stop(struct sweep *sw, int number, int epoch, int last, double value,
		       char *reason, size_t n)
{
	if (!isnan(value) && number >= 0 && number < sw->tpe.n &&
	    sw->tpe.state[number] == TPE_RUNNING && epoch >= sw->tpe.epochs[number])
		tpe_history_set(&sw->tpe, number, TPE_RUNNING, epoch, value);
	return stopping_judge(&sw->stopping, number, epoch, last, reason, n);
}

/* The results the next round narrows around: the last round's, or for a
 * round `extend` added, every trial's so far. */
static cJSON *round_results(struct sweeps *s, struct sweep *sw, char *err, size_t errlen)
{
	if (sw->round + 1 < sw->spec.rounds)
		return query_run(&s->db->query, err, errlen, QUERY_ROUND_RESULTS, "ii",
				 (long long)sw->id, (long long)sw->round);
	return query_run(&s->db->query, err, errlen, QUERY_SWEEP_RESULTS, "i", (long long)sw->id);
}

/* Opens the next coarse_to_fine round around the best trials of the last
 * (or, past the spec's rounds, of all). */
static int next_round(struct sweeps *s, struct sweep *sw, char *err, size_t errlen)
{
	cJSON *rows = round_results(s, sw, err, errlen), *row;
	int n = cJSON_GetArraySize(rows), i = 0, rc = -1;
	const cJSON **params = xcalloc((size_t)n + 1, sizeof *params);
	double *values = xcalloc((size_t)n + 1, sizeof *values);
	struct sample_box next = {0}, was;
	struct sweep_mark m = mark(sw);

	if (!rows)
		goto out;
	cJSON_ArrayForEach(row, rows) {
		params[i] = cJSON_GetObjectItemCaseSensitive(row, "params");
		values[i++] = num(row, "best_value");
	}
	if (search_of(&sw->spec)->narrow(&sw->spec, &sw->box, params, values, n, &next, err,
					 errlen) < 0) {
		log_msg("sweep %lld: round %d not narrowed (%s); keeping its region",
			(long long)sw->id, sw->round + 1, err);
		sample_box_copy(&next, &sw->box);
	}
	was = sw->box;
	sw->box = next;
	if (db_begin(s->db, err, errlen) == 0) {
		rc = insert_round(s, sw, sw->round + 1, err, errlen);
		if (rc == 0)
			rc = db_commit(s->db, err, errlen);
		if (rc < 0)
			db_rollback(s->db);
	}
	if (rc < 0) { /* as it was: the round is opened again from the same results */
		undo(sw, m);
		sample_box_finish(&sw->box);
		sw->box = was;
	} else {
		sample_box_finish(&was);
	}
out:
	free(params);
	free(values);
	cJSON_Delete(rows);
	return rc;
}

int sweeps_idle(const struct sweep *sw)
{
	return sw->running == 0 && sw->q_head == sw->n_queue && sw->next_number >= sw->round_end;
}

/* Whether every trial of sw failed (sw->reason then says so). */
static int all_failed(struct sweeps *s, struct sweep *sw)
{
	char err[512];
	cJSON *rows = query_run(&s->db->query, err, sizeof err, QUERY_SWEEP_OUTCOME, "i",
				(long long)sw->id);
	int n = rows && rows->child ? (int)num(rows->child, "n") : 0;
	int failed = n > 0 && (int)num(rows->child, "failed") == n;

	if (!rows)
		log_msg("sweep %lld: cannot count its failed trials: %s", (long long)sw->id, err);
	cJSON_Delete(rows);
	if (failed)
		snprintf(sw->reason, sizeof sw->reason, "all %d trial%s failed", n, n == 1 ? "" : "s");
	return failed;
}

enum sweep_state sweeps_advance(struct sweeps *s, struct sweep *sw, const char **status)
{
	char err[512];

	if (!sweeps_idle(sw))
		return SWEEP_BUSY;
	if (!sw->cancelled && !sw->spent &&
	    (sw->round + 1 < sample_rounds(&sw->spec) ||
	     (search_of(&sw->spec)->narrow && sw->next_number < sw->budget))) {
		if (next_round(s, sw, err, sizeof err) < 0) {
			log_msg("sweep %lld: cannot open round %d: %s", (long long)sw->id,
				sw->round + 1, err);
			return SWEEP_STUCK;
		}
		log_msg("sweep %lld: round %d opened", (long long)sw->id, sw->round);
		return SWEEP_ROUND;
	}
	*status = sw->cancelled ? "cancelled" : sw->failed || all_failed(s, sw) ? "failed" : "done";
	if (strcmp(*status, "done") == 0)
		fork_failures_reason(sw);
	if (db_end_sweep(s->db, sw->id, *status, sw->reason[0] ? sw->reason : NULL, log_now(), err,
			 sizeof err) < 0) {
		log_msg("sweep %lld: %s", (long long)sw->id, err);
		return SWEEP_STUCK;
	}
	log_msg("sweep %lld \"%s\" %s", (long long)sw->id, sw->spec.name, *status);
	return SWEEP_ENDED;
}

/* Cancels sw's queued trials (with reason) and samples no more. Returns how
 * many were queued, or -1. */
static int drop_queued(struct sweeps *s, struct sweep *sw, const char *reason, char *err,
		       size_t errlen)
{
	int n = sw->n_queue - sw->q_head;

	if (db_cancel_queued(s->db, sw->id, reason, err, errlen) < 0)
		return -1;
	for (int i = sw->q_head; i < sw->n_queue; i++) {
		free(sw->queue[i].params);
		sw->queue[i].params = NULL;
	}
	sw->q_head = sw->n_queue;
	sw->round_end = sw->next_number; /* nothing more is sampled */
	return n;
}

int sweeps_cancel(struct sweeps *s, struct sweep *sw, char *err, size_t errlen)
{
	int n = drop_queued(s, sw, "cancelled", err, errlen);

	if (n >= 0)
		sw->cancelled = 1;
	return n;
}

double sweeps_deadline(const struct sweep *sw)
{
	if (sw->spec.budget_minutes <= 0 || sw->spent || sw->cancelled)
		return 0;
	return sw->created_at + sw->spec.budget_minutes * 60;
}

/* Ends sw early for why: its queued trials cancelled, the reason kept and
 * logged, *flag set (spent or failed). */
static int end_early(struct sweeps *s, struct sweep *sw, const char *why, int *flag, char *err,
		     size_t errlen)
{
	if (drop_queued(s, sw, why, err, errlen) < 0)
		return -1;
	snprintf(sw->reason, sizeof sw->reason, "%s", why);
	*flag = 1;
	log_msg("sweep %lld: %s", (long long)sw->id, why);
	return 0;
}

int sweeps_spend(struct sweeps *s, struct sweep *sw, char *err, size_t errlen)
{
	char reason[sizeof sw->reason];

	snprintf(reason, sizeof reason, "the sweep's budget of %g min is spent",
		 sw->spec.budget_minutes);
	return end_early(s, sw, reason, &sw->spent, err, errlen);
}

int sweeps_fail(struct sweeps *s, struct sweep *sw, const char *why, char *err, size_t errlen)
{
	return end_early(s, sw, why, &sw->failed, err, errlen);
}

int sweeps_not_active(struct sweeps *s, int64_t id, char *err, size_t errlen)
{
	cJSON *rows = query_run(&s->db->query, err, errlen, QUERY_SWEEP_BRIEF, "i", (long long)id);
	const cJSON *status = rows && rows->child
				      ? cJSON_GetObjectItemCaseSensitive(rows->child, "status")
				      : NULL;

	int rc = rows && !rows->child ? -PROTO_E_NOT_FOUND : -1;

	if (rows && !rows->child)
		err_set(err, errlen, "no sweep %lld", (long long)id);
	else if (rows)
		err_set(err, errlen, "sweep %lld is already %s", (long long)id,
			cJSON_IsString(status) ? status->valuestring : "over");
	cJSON_Delete(rows);
	return rc;
}

/* Refuses n more trials when sw's search cannot take them. */
static int check_extend(const struct sweep *sw, int n, char *err, size_t errlen)
{
	const struct search_ops *o = search_of(&sw->spec);
	long most = o->max_trials ? o->max_trials(&sw->spec) : LONG_MAX;

	if ((long long)sw->budget + n > SPEC_MAX_TRIALS)
		return err_set(err, errlen, "sweep %lld: %d more trials would pass %d in all",
			       (long long)sw->id, n, SPEC_MAX_TRIALS);
	if (sw->budget + (long)n > most)
		return err_set(err, errlen,
			       "sweep %lld is a %s search of %ld points and has %d: at most "
			       "%ld more trials",
			       (long long)sw->id, o->name, most, sw->budget, most - sw->budget);
	if (sw->cancelled || sw->spent)
		return err_set(err, errlen, "sweep %lld is ending; extend it once it has ended",
			       (long long)sw->id);
	return 0;
}

/* The budget of an active sweep grows; its current round ends later (or,
 * for coarse_to_fine within its own rounds, a round opens after them). */
static int extend_active(struct sweeps *s, struct sweep *sw, int n, char *err, size_t errlen)
{
	if (check_extend(sw, n, err, errlen) < 0 ||
	    db_set_sweep_budget(s->db, sw->id, sw->budget + n, sw->paused ? "paused" : "running",
				err, errlen) < 0)
		return -1;
	sw->budget += n;
	sw->round_end = current_round_end(sw);
	return 0;
}

/* An ended sweep, read back and made active with n more trials. */
static struct sweep *revive(struct sweeps *s, int64_t id, int n, char *err, size_t errlen)
{
	cJSON *rows = query_run(&s->db->query, err, errlen, QUERY_SWEEP, "i", (long long)id);
	struct sweep *sw = NULL;

	if (rows && !rows->child)
		err_set(err, errlen, "no sweep %lld", (long long)id);
	else if (rows && (sw = load_sweep(s, rows->child, err, errlen)) &&
		 extend_active(s, sw, n, err, errlen) < 0) {
		sweep_free(sw);
		sw = NULL;
	}
	cJSON_Delete(rows);
	if (sw)
		sweep_append(s, sw);
	return sw;
}

struct sweep *sweeps_extend(struct sweeps *s, int64_t id, int n, struct sweep **revived,
			    char *err, size_t errlen)
{
	struct sweep *sw = sweeps_find(s, id);

	*revived = NULL;
	if (sw)
		return extend_active(s, sw, n, err, errlen) < 0 ? NULL : sw;
	sw = *revived = revive(s, id, n, err, errlen);
	if (sw)
		log_msg("sweep %lld \"%s\" running again: %d more trials", (long long)id,
			sw->spec.name, n);
	return sw;
}

/* Queues a trial to start before the others of sw; params (text) is taken. */
static void queue_push_front(struct sweep *sw, int64_t id, int number, uint64_t seed,
			     char *params)
{
	struct sweep_slot slot;

	queue_push(sw, id, number, 0, seed, params);
	if (sw->n_queue - 1 == sw->q_head)
		return;
	slot = sw->queue[sw->n_queue - 1];
	memmove(&sw->queue[sw->q_head + 1], &sw->queue[sw->q_head],
		(size_t)(sw->n_queue - 1 - sw->q_head) * sizeof *sw->queue);
	sw->queue[sw->q_head] = slot;
}

/* The rows of fork f as trial `number` of sw, inside the caller's
 * transaction: the trial, its parent, its changes, the member it replaces,
 * the budget when it grows. */
static int record_fork(struct sweeps *s, struct sweep *sw, struct sweeps_fork *f, int number,
		       int grow, int64_t *child, char *err, size_t errlen)
{
	if (db_insert_trial(s->db, sw->id, number, sw->round, f->params, f->seed, child, err,
			    errlen) < 0 ||
	    db_set_parent(s->db, *child, f->parent, f->epoch, err, errlen) < 0 ||
	    db_insert_adjustments(s->db, *child, f->epoch, f->step, f->changes, f->source,
				  log_now(), err, errlen) < 0)
		return -1;
	if (f->replaces) {
		snprintf(f->reason, sizeof f->reason, "pbt: replaced by trial %lld",
			 (long long)*child);
		if (db_set_replaced(s->db, f->replaces, f->reason, err, errlen) < 0)
			return -1;
	}
	return grow ? db_set_sweep_budget(s->db, sw->id, sw->budget + 1,
					  sw->paused ? "paused" : "running", err, errlen)
		    : 0;
}

struct sweep *sweeps_fork(struct sweeps *s, struct sweeps_fork *f, struct sweep **revived,
			  int64_t *child, char *err, size_t errlen)
{
	struct sweep *sw = sweeps_find(s, f->sweep_id);
	int number, grow;

	*revived = NULL;
	if (!sw && !(sw = *revived = revive(s, f->sweep_id, 0, err, errlen)))
		return NULL;
	if (sw->cancelled || sw->spent || sw->failed) {
		err_set(err, errlen, "sweep %lld is ending; fork its trial once it has ended",
			(long long)sw->id);
		return NULL; /* a sweep revived for it ends again (sweeps_advance) */
	}
	number = sw->next_number;
	grow = !f->within_budget || number >= sw->budget;
	if (db_begin(s->db, err, errlen) < 0 ||
	    record_fork(s, sw, f, number, grow, child, err, errlen) < 0 ||
	    db_commit(s->db, err, errlen) < 0) {
		db_rollback(s->db);
		return NULL;
	}
	/* It takes the next number, so the trials still to be sampled keep theirs. */
	sw->budget += grow;
	sw->next_number++;
	sw->round_end = current_round_end(sw);
	queue_push_front(sw, *child, number, f->seed, xstrdup(f->params));
	if (search_of(&sw->spec)->propose) {
		cJSON *p = cJSON_Parse(f->params);

		tpe_history_add(&sw->tpe, &sw->spec, number, p);
		cJSON_Delete(p);
	}
	return sw;
}

struct sweep *sweeps_cancel_queued(struct sweeps *s, int64_t trial_id)
{
	for (struct sweep *sw = s->list; sw; sw = sw->next)
		for (int i = sw->q_head; i < sw->n_queue; i++) {
			struct trial_row row = {.id = trial_id, .status = "cancelled",
						.exit_code = -1, .ended_at = log_now(),
						.reason = "cancelled", .best_value = NAN};

			if (sw->queue[i].id != trial_id)
				continue;
			free(sw->queue[i].params);
			memmove(&sw->queue[i], &sw->queue[i + 1],
				(size_t)(sw->n_queue - i - 1) * sizeof *sw->queue);
			sw->n_queue--;
			db_trial_update(s->db, &row);
			return sw;
		}
	return NULL;
}

int sweeps_pause(struct sweeps *s, struct sweep *sw, int paused, char *err, size_t errlen)
{
	if (db_set_sweep_status(s->db, sw->id, paused ? "paused" : "running", 0, err, errlen) < 0)
		return -1;
	sw->paused = paused;
	return 0;
}

const char *sweeps_state(const struct sweep *sw)
{
	return sw->cancelled || sw->spent || sw->failed ? "stopping"
	       : sw->paused				  ? "paused"
							  : "running";
}

long long sweeps_queued(const struct sweeps *s, const struct sweep *sw)
{
	long long n = 0;

	if (sw) /* ended: the trials sampled that are neither queued nor running */
		return query_queued(sweeps_state(sw), sw->budget, sw->running,
				    sw->next_number - sw->running - (sw->n_queue - sw->q_head));
	for (const struct sweep *o = s->list; o; o = o->next)
		n += sweeps_queued(s, o);
	return n;
}

void sweeps_remove(struct sweeps *s, struct sweep *sw)
{
	for (struct sweep **p = &s->list; *p; p = &(*p)->next)
		if (*p == sw) {
			*p = sw->next;
			break;
		}
	sweep_free(sw);
}

void sweeps_free_all(struct sweeps *s)
{
	struct sweep *next;

	for (struct sweep *sw = s->list; sw; sw = next) {
		next = sw->next;
		sweep_free(sw);
	}
	s->list = NULL;
}

/* ---- search pbt: when a member is replaced (common/pbt's rule) ---- */

/* Whether member m of sw decides at epoch (sweeps_epoch). */
static int pbt_due(const struct sweep *sw, const struct sweeps_member *m, int epoch)
{
	const struct spec_pbt *p = &sw->spec.pbt;

	if (!search_of(&sw->spec)->forks || epoch <= m->resumed_from ||
	    epoch % p->interval != 0 || epoch >= m->epochs_total || m->stopping ||
	    sw->cancelled || sw->spent || sw->failed || sw->paused)
		return 0;
	if (p->generations > 0)
		return epoch / p->interval <= p->generations;
	return sw->next_number < sw->budget;
}

/* {"lr": [old, new], ...} of an exploit's explored values (a parameter a
 * condition switched off has no new value: the child's params show it). */
static cJSON *pbt_changes(const struct pbt_exploit *ex)
{
	cJSON *changes = cJSON_CreateObject();

	for (int i = 0; i < ex->n_changes; i++)
		if (ex->changes[i].new_value)
			changes_add(changes, ex->changes[i].name, ex->changes[i].old_value,
				    ex->changes[i].new_value);
	return changes;
}

enum sweeps_epoch_kind sweeps_epoch(const struct sweeps *s, const struct sweep *sw,
				    const struct sweeps_member *members, int n, int self,
				    int epoch, struct sweeps_replace *out)
{
	struct pbt_member *pop;
	struct pbt_exploit ex = {0};
	struct rng r;
	int *index, k = 0, me = -1, kind = SWEEPS_KEEP;

	if (!pbt_due(sw, &members[self], epoch))
		return SWEEPS_KEEP;
	pop = xcalloc((size_t)n, sizeof *pop);
	index = xcalloc((size_t)n, sizeof *index);
	for (int i = 0; i < n; i++) {
		/* each member's value at this epoch when it got there (losses fall
		 * with epochs: one further on would look better for that alone),
		 * else its latest; one with none yet (a fork that has not reported)
		 * would fill the bottom quantile with nothing to compare */
		double v = isnan(members[i].value_at) ? members[i].latest : members[i].value_at;

		if (members[i].stopping || (i != self && isnan(v)))
			continue;
		if (i == self)
			me = k;
		index[k] = i;
		pop[k++] = (struct pbt_member){members[i].trial, v, members[i].params};
	}
	pbt_rng(&sw->spec, (uint64_t)members[self].trial * (uint64_t)s->epoch_max +
				   (uint64_t)epoch, &r);
	if (k >= 2 && me >= 0 && pbt_decide_member(&sw->spec, pop, k, me, &r, &ex)) {
		out->source = index[ex.source];
		out->params = ex.params;
		ex.params = NULL;
		out->changes = pbt_changes(&ex);
		pbt_exploit_finish(&ex);
		kind = SWEEPS_REPLACE;
	}
	free(pop);
	free(index);
	return kind;
}

void sweeps_replace_finish(struct sweeps_replace *r)
{
	cJSON_Delete(r->params);
	cJSON_Delete(r->changes);
	r->params = r->changes = NULL;
}
