/* test_events: a running trial is written by one encoder, events_running_json,
 * and trial_started carries exactly its fields after the event's name; an
 * event nobody listens to is not built. The publisher is a fake that keeps
 * what it is handed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "events.h"
#include "test.h"
#include "trial.h"

/* What the fake publisher was handed. */
static struct {
	int listening;
	int n_published;
	char text[1024];
} h;

static int fake_listening(void *ctx, int64_t sweep_id)
{
	(void)ctx;
	(void)sweep_id;
	return h.listening;
}

static void fake_publish(void *ctx, int64_t sweep_id, cJSON *event)
{
	char *text = cJSON_PrintUnformatted(event);

	(void)ctx;
	(void)sweep_id;
	snprintf(h.text, sizeof h.text, "%s", text);
	h.n_published++;
	free(text);
	cJSON_Delete(event);
}

/* Trial 7 of sweep 2, its third, running with pid 4242 at epoch 1 of 10. */
static void make_trial(struct trial *t)
{
	memset(t, 0, sizeof *t);
	t->sweep_id = 2;
	t->row.id = 7;
	t->number = 3;
	t->row.pid = 4242;
	t->row.epochs = 1;
	t->epochs_total = 10;
	t->row.best_value = NAN;
	t->row.started_at = 1795820313.5;
	t->params = cJSON_Parse("{\"lr\":0.01}");
}

static void test_running(void)
{
	struct trial t;
	cJSON *o;
	char *text;

	make_trial(&t);
	o = events_running_json(&t);
	text = cJSON_PrintUnformatted(o);
	CHECK_STR(text, "{\"sweep\":2,\"trial\":7,\"number\":3,\"pid\":4242,\"epoch\":1,\"epochs\":10,"
			"\"state\":\"running\",\"started_at\":1795820313.5,\"params\":{\"lr\":0.01}}");
	free(text);
	cJSON_Delete(o);
	/* a best value once there is one; a step srun has not started yet */
	t.row.best_value = 0.25;
	t.slurm_queued = 1;
	o = events_running_json(&t);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "best")) == 0.25);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "state")),
		  "queued in Slurm");
	cJSON_Delete(o);
	cJSON_Delete(t.params);
}

static void test_trial_started(void)
{
	struct events ev = {fake_listening, fake_publish, NULL};
	struct trial t;
	cJSON *o;
	char *text, want[1024];

	make_trial(&t);
	h.listening = 0;
	events_trial_started(&ev, &t);
	CHECK(h.n_published == 0);
	h.listening = 1;
	events_trial_started(&ev, &t);
	CHECK(h.n_published == 1);
	o = events_running_json(&t);
	text = cJSON_PrintUnformatted(o);
	snprintf(want, sizeof want, "{\"event\":\"trial_started\",%s", text + 1);
	CHECK_STR(h.text, want);
	free(text);
	cJSON_Delete(o);
	cJSON_Delete(t.params);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"running", test_running},
		{"trial_started", test_trial_started},
		{0},
	};

	return test_main(argc, argv, cases);
}
