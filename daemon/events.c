/* events: building the events of the live stream (see events.h); server.c
 * delivers them to subscribers. */
#include "events.h"

#include <math.h>

#include <cjson/cJSON.h>

#include "daemon.h"
#include "line.h"
#include "server.h"
#include "sweeps.h"
#include "trial.h"

static cJSON *trial_event(const char *name, const struct trial *t)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "event", name);
	cJSON_AddNumberToObject(e, "sweep", (double)t->sweep->id);
	cJSON_AddNumberToObject(e, "trial", (double)t->row.id);
	cJSON_AddNumberToObject(e, "number", t->number);
	return e;
}

static void add_best(cJSON *e, const struct trial *t)
{
	if (!isnan(t->row.best_value))
		cJSON_AddNumberToObject(e, "best", t->row.best_value);
}

void events_trial_started(struct daemon *d, const struct trial *t, const char *params_json)
{
	cJSON *e;

	if (!server_listening(d, t->sweep->id))
		return;
	e = trial_event("trial_started", t);
	cJSON_AddNumberToObject(e, "epochs", t->epochs_total);
	cJSON_AddItemToObject(e, "params", cJSON_Parse(params_json ? params_json : "{}"));
	server_publish(d, t->sweep->id, e);
}

void events_progress(struct daemon *d, const struct trial *t, const struct worker_line *l)
{
	cJSON *e, *metrics;

	if (!server_listening(d, t->sweep->id))
		return;
	e = trial_event("progress", t);
	cJSON_AddNumberToObject(e, "epoch", l->epoch);
	cJSON_AddNumberToObject(e, "step", (double)l->step);
	cJSON_AddNumberToObject(e, "epochs", t->epochs_total);
	metrics = cJSON_AddObjectToObject(e, "metrics");
	for (int i = 0; i < l->n_metrics; i++)
		cJSON_AddNumberToObject(metrics, l->metrics[i].name, l->metrics[i].value);
	add_best(e, t);
	server_publish(d, t->sweep->id, e);
}

void events_trial_ended(struct daemon *d, const struct trial *t)
{
	cJSON *e;

	if (!server_listening(d, t->sweep->id))
		return;
	e = trial_event("trial_ended", t);
	cJSON_AddStringToObject(e, "status", t->row.status);
	cJSON_AddStringToObject(e, "reason", t->row.reason ? t->row.reason : "");
	cJSON_AddNumberToObject(e, "epochs", t->row.epochs);
	add_best(e, t);
	server_publish(d, t->sweep->id, e);
}

void events_sweep(struct daemon *d, int64_t sweep_id, const char *event, const char *name,
		  const char *status)
{
	cJSON *e;

	if (!server_listening(d, sweep_id))
		return;
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "event", event);
	cJSON_AddNumberToObject(e, "sweep", (double)sweep_id);
	cJSON_AddStringToObject(e, "name", name);
	cJSON_AddStringToObject(e, "status", status);
	server_publish(d, sweep_id, e);
}
