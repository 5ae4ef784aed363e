/* events: building the events of the live stream (see events.h); the
 * publisher the hub hands over delivers them. */
#include "events.h"

#include <math.h>

#include <cjson/cJSON.h>

#include "line.h"
#include "proto.h"
#include "trial.h"

static cJSON *trial_event(enum proto_event ev, const struct trial *t)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "event", proto_event_name(ev));
	cJSON_AddNumberToObject(e, "sweep", (double)t->sweep_id);
	cJSON_AddNumberToObject(e, "trial", (double)t->row.id);
	cJSON_AddNumberToObject(e, "number", t->number);
	return e;
}

static void add_best(cJSON *e, const struct trial *t)
{
	if (!isnan(t->row.best_value))
		cJSON_AddNumberToObject(e, "best", t->row.best_value);
}

cJSON *events_running_json(const struct trial *t)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "sweep", (double)t->sweep_id);
	cJSON_AddNumberToObject(o, "trial", (double)t->row.id);
	cJSON_AddNumberToObject(o, "number", t->number);
	cJSON_AddNumberToObject(o, "pid", t->row.pid);
	cJSON_AddNumberToObject(o, "epoch", t->row.epochs);
	cJSON_AddNumberToObject(o, "epochs", t->epochs_total);
	cJSON_AddStringToObject(o, "state", t->slurm_queued ? "queued in Slurm" : "running");
	add_best(o, t);
	cJSON_AddNumberToObject(o, "started_at", t->row.started_at);
	cJSON_AddItemToObject(o, "params", cJSON_Duplicate(t->params, 1));
	return o;
}

void events_trial_started(const struct events *ev, const struct trial *t)
{
	cJSON *e, *o;

	if (!ev->listening(ev->ctx, t->sweep_id))
		return;
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "event", proto_event_name(PROTO_EV_TRIAL_STARTED));
	o = events_running_json(t);
	while (o->child) { /* the event's name first, then the trial's fields */
		cJSON *item = cJSON_DetachItemViaPointer(o, o->child);

		cJSON_AddItemToObject(e, item->string, item);
	}
	cJSON_Delete(o);
	ev->publish(ev->ctx, t->sweep_id, e);
}

void events_progress(const struct events *ev, const struct trial *t, const struct worker_line *l)
{
	cJSON *e, *metrics;

	if (!ev->listening(ev->ctx, t->sweep_id))
		return;
	e = trial_event(PROTO_EV_PROGRESS, t);
	cJSON_AddNumberToObject(e, "epoch", l->epoch);
	cJSON_AddNumberToObject(e, "step", (double)l->step);
	cJSON_AddNumberToObject(e, "epochs", t->epochs_total);
	metrics = cJSON_AddObjectToObject(e, "metrics");
	for (int i = 0; i < l->n_metrics; i++)
		cJSON_AddNumberToObject(metrics, l->metrics[i].name, l->metrics[i].value);
	add_best(e, t);
	ev->publish(ev->ctx, t->sweep_id, e);
}

void events_trial_ended(const struct events *ev, const struct trial *t)
{
	cJSON *e;

	if (!ev->listening(ev->ctx, t->sweep_id))
		return;
	e = trial_event(PROTO_EV_TRIAL_ENDED, t);
	cJSON_AddStringToObject(e, "status", t->row.status);
	cJSON_AddStringToObject(e, "reason", t->row.reason ? t->row.reason : "");
	cJSON_AddNumberToObject(e, "epochs", t->row.epochs);
	add_best(e, t);
	if (t->row.ended_at > 0)
		cJSON_AddNumberToObject(e, "ended_at", t->row.ended_at);
	else
		cJSON_AddNullToObject(e, "ended_at");
	ev->publish(ev->ctx, t->sweep_id, e);
}

void events_adjusted(const struct events *ev, const struct trial *t, int epoch, int64_t step,
		     const cJSON *changes, const char *source)
{
	cJSON *e;

	if (!ev->listening(ev->ctx, t->sweep_id))
		return;
	e = trial_event(PROTO_EV_ADJUSTED, t);
	cJSON_AddNumberToObject(e, "epoch", epoch);
	cJSON_AddNumberToObject(e, "step", (double)step);
	cJSON_AddItemToObject(e, "changes", cJSON_Duplicate(changes, 1));
	cJSON_AddStringToObject(e, "source", source);
	ev->publish(ev->ctx, t->sweep_id, e);
}

void events_note(const struct events *ev, int64_t sweep_id, int64_t trial_id, const char *text)
{
	cJSON *e;

	if (!ev->listening(ev->ctx, sweep_id))
		return;
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "event", proto_event_name(PROTO_EV_NOTE));
	cJSON_AddNumberToObject(e, "sweep", (double)sweep_id);
	if (trial_id)
		cJSON_AddNumberToObject(e, "trial", (double)trial_id);
	else
		cJSON_AddNullToObject(e, "trial");
	cJSON_AddStringToObject(e, "text", text);
	ev->publish(ev->ctx, sweep_id, e);
}

void events_sweep(const struct events *ev, int64_t sweep_id, const char *event, const char *name,
		  const char *status, const char *reason)
{
	cJSON *e;

	if (!ev->listening(ev->ctx, sweep_id))
		return;
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "event", event);
	cJSON_AddNumberToObject(e, "sweep", (double)sweep_id);
	cJSON_AddStringToObject(e, "name", name);
	cJSON_AddStringToObject(e, "status", status);
	if (reason)
		cJSON_AddStringToObject(e, "reason", reason);
	ev->publish(ev->ctx, sweep_id, e);
}
