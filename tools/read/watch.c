/* watch: the state of `caviar watch`, from a snapshot and events (see watch.h). */
#include "watch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "errbuf.h"
#include "proto.h"
#include "store.h"
#include "xalloc.h"

#define DEFAULT_EPOCHS 10 /* the worker's default, for a spec that sets none */

static const char *const status_names[W_N_STATUS] = {"queued", "running", "done",
						     "failed", "pruned", "cancelled"};

const char *watch_status_name(enum watch_status s)
{
	return status_names[s];
}

static enum watch_status status_of(const char *name)
{
	for (int i = 0; name && i < W_N_STATUS; i++)
		if (strcmp(name, status_names[i]) == 0)
			return (enum watch_status)i;
	return W_QUEUED;
}

void watch_init(struct watch *w)
{
	memset(w, 0, sizeof *w);
}

static void trial_clear_live(struct watch_trial *t)
{
	free(t->curve);
	t->curve = NULL;
	t->n_curve = 0;
	cJSON_Delete(t->metrics);
	t->metrics = NULL;
}

void watch_finish(struct watch *w)
{
	for (int i = 0; i < w->n_sweeps; i++) {
		struct watch_sweep *sw = &w->sweeps[i];

		for (int k = 0; k < sw->n_trials; k++) {
			trial_clear_live(&sw->trials[k]);
			cJSON_Delete(sw->trials[k].params);
		}
		free(sw->trials);
		free(sw->name);
		free(sw->metric);
		free(sw->status);
		free(sw->reason);
	}
	free(w->sweeps);
	memset(w, 0, sizeof *w);
}

struct watch_sweep *watch_find(struct watch *w, long long id)
{
	for (int i = 0; i < w->n_sweeps; i++)
		if (w->sweeps[i].id == id)
			return &w->sweeps[i];
	return NULL;
}

int watch_finished(const struct watch_sweep *sw)
{
	return sw->counts[W_DONE] + sw->counts[W_FAILED] + sw->counts[W_PRUNED] +
	       sw->counts[W_CANCELLED];
}

/* The trial numbered number, growing the array (new slots are queued, unsampled). */
static struct watch_trial *trial_at(struct watch_sweep *sw, int number)
{
	if (number < 0 || number > 10000000)
		return NULL;
	if (number >= sw->n_trials) {
		sw->trials = xrealloc(sw->trials, (size_t)(number + 1) * sizeof *sw->trials);
		for (int i = sw->n_trials; i <= number; i++) {
			memset(&sw->trials[i], 0, sizeof sw->trials[i]);
			sw->trials[i].number = i;
			sw->trials[i].best = NAN;
		}
		sw->n_trials = number + 1;
	}
	return &sw->trials[number];
}

/* Moves a trial to status s, keeping the counts (queued counts the unsampled). */
static void set_status(struct watch_sweep *sw, struct watch_trial *t, enum watch_status s)
{
	sw->counts[t->status]--;
	sw->counts[s]++;
	t->status = s;
	if (s != W_RUNNING)
		trial_clear_live(t);
}

static int better(const struct watch_sweep *sw, double a, double b)
{
	return !isnan(a) && (isnan(b) || (sw->max ? a > b : a < b));
}

static void find_best(struct watch_sweep *sw)
{
	sw->best = -1;
	for (int i = 0; i < sw->n_trials; i++) {
		const struct watch_trial *t = &sw->trials[i];

		if ((t->status == W_DONE || t->status == W_PRUNED || t->status == W_RUNNING) &&
		    better(sw, t->best, sw->best < 0 ? NAN : sw->trials[sw->best].best))
			sw->best = i;
	}
}

/* Sets the objective at epoch (1-based) in the trial's curve. */
static void curve_set(struct watch_trial *t, int epoch, double v)
{
	if (epoch < 1 || epoch > 1000000)
		return;
	if (epoch > t->n_curve) {
		t->curve = xrealloc(t->curve, (size_t)epoch * sizeof *t->curve);
		for (int i = t->n_curve; i < epoch; i++)
			t->curve[i] = NAN;
		t->n_curve = epoch;
	}
	t->curve[epoch - 1] = v;
}

/* A trial's total epochs: its own "epochs" param, else the sweep's. */
static int trial_epochs(const struct watch_sweep *sw, const cJSON *params)
{
	double e = query_num(params, "epochs", 0);

	return e >= 1 ? (int)e : sw->epochs;
}

/* The curve and latest metrics of a running trial, from the database. */
static void load_live(struct watch_sweep *sw, struct watch_trial *t, struct store *st)
{
	char err[ERRBUF_LEN];
	cJSON *rows = query_run(&st->query, err, sizeof err, QUERY_TRIAL_METRIC, "is", t->id, sw->metric);
	const cJSON *r;

	cJSON_ArrayForEach(r, rows)
		curve_set(t, (int)query_num(r, "epoch", 0), query_num(r, "value", NAN));
	cJSON_Delete(rows);
	t->metrics = cJSON_CreateObject();
	rows = query_run(&st->query, err, sizeof err, QUERY_LAST, "i", t->id);
	cJSON_ArrayForEach(r, rows) {
		cJSON_AddNumberToObject(t->metrics, cJSON_GetStringValue(query_get(r, "metric")),
					query_num(r, "value", NAN));
		if ((int)query_num(r, "epoch", 0) > t->epoch)
			t->epoch = (int)query_num(r, "epoch", 0);
	}
	cJSON_Delete(rows);
}

static void load_trials(struct watch_sweep *sw, const cJSON *rows, struct store *st)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, rows) {
		struct watch_trial *t = trial_at(sw, (int)query_num(r, "number", -1));

		if (!t)
			continue;
		trial_clear_live(t);
		cJSON_Delete(t->params);
		t->id = (long long)query_num(r, "id", 0);
		t->best = query_num(r, "best_value", NAN);
		t->epoch = (int)query_num(r, "epochs", 0);
		t->started = query_num(r, "started_at", 0);
		t->params = cJSON_Duplicate(query_get(r, "params"), 1);
		t->epochs = trial_epochs(sw, t->params);
		set_status(sw, t, status_of(cJSON_GetStringValue(query_get(r, "status"))));
		if (t->status == W_RUNNING)
			load_live(sw, t, st);
	}
}

/* The final word on a sweep's trials is the database's: trials that ended
 * without an event (a worker that could not start) are counted too. */
static void refresh(struct watch_sweep *sw, struct store *st)
{
	char err[ERRBUF_LEN];
	cJSON *trials = query_run(&st->query, err, sizeof err, QUERY_TRIALS, "i", sw->id);

	if (!trials)
		return;
	load_trials(sw, trials, st);
	find_best(sw);
	cJSON_Delete(trials);
}

static struct watch_sweep *add_sweep(struct watch *w, const cJSON *row)
{
	const cJSON *spec = query_get(row, "spec");
	struct watch_sweep *sw;

	w->sweeps = xrealloc(w->sweeps, (size_t)(w->n_sweeps + 1) * sizeof *w->sweeps);
	sw = &w->sweeps[w->n_sweeps++];
	memset(sw, 0, sizeof *sw);
	sw->id = (long long)query_num(row, "id", 0);
	sw->name = xstrdup(cJSON_GetStringValue(query_get(row, "name")));
	sw->metric = xstrdup(cJSON_GetStringValue(query_get(row, "metric")));
	sw->status = xstrdup(cJSON_GetStringValue(query_get(row, "status")));
	if (cJSON_GetStringValue(query_get(row, "ended_reason")))
		sw->reason = xstrdup(cJSON_GetStringValue(query_get(row, "ended_reason")));
	sw->max = strcmp(cJSON_GetStringValue(query_get(row, "mode")), "max") == 0;
	sw->budget = (int)query_num(row, "budget", 0);
	sw->epochs = (int)query_num(query_get(spec, "train"), "epochs", DEFAULT_EPOCHS);
	sw->counts[W_QUEUED] = sw->budget;
	sw->ended = strcmp(sw->status, "running") != 0 && strcmp(sw->status, "paused") != 0;
	sw->best = -1;
	return sw;
}

struct watch_sweep *watch_load(struct watch *w, struct store *st, long long id, char *err,
			       size_t errlen)
{
	struct watch_sweep *sw = watch_find(w, id);
	cJSON *rows, *trials;

	if (sw)
		return sw;
	if (!(rows = query_run(&st->query, err, errlen, QUERY_SWEEP, "i", id)))
		return NULL;
	if (!rows->child) {
		cJSON_Delete(rows);
		err_set(err, errlen, "no sweep %lld", id);
		return NULL;
	}
	if (!(trials = query_run(&st->query, err, errlen, QUERY_TRIALS, "i", id))) {
		cJSON_Delete(rows);
		return NULL;
	}
	sw = add_sweep(w, rows->child);
	load_trials(sw, trials, st);
	find_best(sw);
	cJSON_Delete(rows);
	cJSON_Delete(trials);
	return sw;
}

static void on_trial_started(struct watch_sweep *sw, struct watch_trial *t, const cJSON *e,
			     double now)
{
	if (cJSON_IsObject(query_get(e, "params"))) {
		cJSON_Delete(t->params);
		t->params = cJSON_Duplicate(query_get(e, "params"), 1);
	}
	set_status(sw, t, W_QUEUED); /* a restart begins afresh */
	set_status(sw, t, W_RUNNING);
	t->metrics = cJSON_CreateObject();
	t->epochs = (int)query_num(e, "epochs", trial_epochs(sw, t->params));
	t->epoch = 0;
	t->started = now;
	t->best = NAN;
}

static void on_progress(struct watch_sweep *sw, struct watch_trial *t, const cJSON *e,
			double now)
{
	const cJSON *m, *metrics = query_get(e, "metrics");
	int epoch = (int)query_num(e, "epoch", 0);

	if (t->status != W_RUNNING) {
		set_status(sw, t, W_RUNNING);
		t->metrics = cJSON_CreateObject();
		t->started = now;
	}
	if (epoch > t->epoch)
		t->epoch = epoch;
	t->epochs = (int)query_num(e, "epochs", t->epochs);
	cJSON_ArrayForEach(m, metrics) {
		cJSON_DeleteItemFromObjectCaseSensitive(t->metrics, m->string);
		cJSON_AddItemToObject(t->metrics, m->string, cJSON_Duplicate(m, 1));
	}
	if (cJSON_IsNumber(query_get(metrics, sw->metric)))
		curve_set(t, epoch, query_num(metrics, sw->metric, NAN));
	t->best = query_num(e, "best", t->best);
	if (better(sw, t->best, sw->best < 0 ? NAN : sw->trials[sw->best].best))
		sw->best = t->number;
}

static void on_trial_ended(struct watch_sweep *sw, struct watch_trial *t, const cJSON *e)
{
	set_status(sw, t, status_of(cJSON_GetStringValue(query_get(e, "status"))));
	t->best = query_num(e, "best", t->best);
	t->epoch = (int)query_num(e, "epochs", t->epoch);
	find_best(sw);
}

struct watch_change watch_apply(struct watch *w, struct store *st, const cJSON *e,
				int load_new, double now)
{
	char err[ERRBUF_LEN];
	struct watch_change ch = {NULL, NULL, cJSON_GetStringValue(query_get(e, "event")), -1};
	long long id = (long long)query_num(e, "sweep", 0);
	struct watch_sweep *sw = load_new ? watch_load(w, st, id, err, sizeof err)
					  : watch_find(w, id);

	if (!sw || !ch.event)
		return ch;
	ch.sweep = sw;
	ch.kind = proto_event_find(ch.event);
	if (PROTO_EV_IS_SWEEP(ch.kind)) { /* started, paused, resumed, stopping, ended */
		free(sw->status);
		sw->status = xstrdup(cJSON_IsString(query_get(e, "status"))
					     ? query_get(e, "status")->valuestring
					     : "?");
		sw->ended = ch.kind == PROTO_EV_SWEEP_ENDED;
		if (cJSON_GetStringValue(query_get(e, "reason"))) {
			free(sw->reason);
			sw->reason = xstrdup(cJSON_GetStringValue(query_get(e, "reason")));
		}
		if (sw->ended)
			refresh(sw, st);
		return ch;
	}
	if (ch.kind == PROTO_EV_SNAPSHOT) /* what the database gave already */
		return ch;
	if (!(ch.trial = trial_at(sw, (int)query_num(e, "number", -1))))
		return ch;
	ch.trial->id = (long long)query_num(e, "trial", (double)ch.trial->id);
	if (ch.kind == PROTO_EV_TRIAL_STARTED)
		on_trial_started(sw, ch.trial, e, now);
	else if (ch.kind == PROTO_EV_PROGRESS)
		on_progress(sw, ch.trial, e, now);
	else if (ch.kind == PROTO_EV_TRIAL_ENDED)
		on_trial_ended(sw, ch.trial, e);
	return ch;
}
