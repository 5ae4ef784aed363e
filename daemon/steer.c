/* steer: the registry of control lines and their deadlines (see steer.h). */
#include "steer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "errbuf.h"
#include "log.h"
#include "worker_proto.h"
#include "xalloc.h"

static void on_timer(uv_timer_t *timer);

/* Arms the timer for the nearest deadline of a line whose client still waits. */
static void arm(struct steer *s)
{
	double next = 0, now = log_now();

	for (int i = 0; i < s->n_controls; i++)
		if (s->controls[i].client && (next == 0 || s->controls[i].deadline < next))
			next = s->controls[i].deadline;
	if (next == 0 || s->stopped) {
		uv_timer_stop(&s->timer);
		return;
	}
	uv_timer_start(&s->timer, on_timer, next > now ? (uint64_t)((next - now) * 1000) + 1 : 0,
		       0);
}

static void on_timer(uv_timer_t *timer)
{
	steer_expire(timer->data, log_now());
}

static void remove_control(struct steer *s, int i)
{
	cJSON_Delete(s->controls[i].set);
	s->controls[i] = s->controls[--s->n_controls];
	arm(s);
}

void steer_init(struct steer *s, uv_loop_t *loop)
{
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
}

void steer_stop(struct steer *s)
{
	s->stopped = 1; /* the timer stops at its next arming */
}

void steer_close(struct steer *s)
{
	s->stopped = 1;
	uv_close((uv_handle_t *)&s->timer, NULL);
}

void steer_finish(struct steer *s)
{
	for (int i = 0; i < s->n_controls; i++)
		cJSON_Delete(s->controls[i].set);
	free(s->controls);
	s->controls = NULL;
	s->n_controls = s->cap_controls = 0;
}

int steer_send(struct steer *s, int64_t trial, const cJSON *set, int64_t client, char *err,
	       size_t errlen)
{
	cJSON *line;
	char *text;
	int rc, waiting = 0;

	for (int i = 0; i < s->n_controls; i++)
		waiting += s->controls[i].trial == trial;
	if (waiting >= STEER_MAX_WAITING) /* a program that reads none: bounded */
		return err_set(err, errlen, "trial %lld has not answered its last %d control lines: "
			       "no more are sent until it does", (long long)trial, waiting);
	line = cJSON_CreateObject();
	cJSON_AddItemToObject(line, WORKER_PROTO_ADJUST, cJSON_Duplicate(set, 1));
	cJSON_AddNumberToObject(line, WORKER_PROTO_ID, (double)++s->next_id);
	text = cJSON_PrintUnformatted(line);
	cJSON_Delete(line);
	rc = s->host.send(s->host.data, trial, text, err, errlen);
	free(text);
	if (rc < 0)
		return -1;
	if (s->n_controls == s->cap_controls) {
		s->cap_controls = s->cap_controls ? 2 * s->cap_controls : 8;
		s->controls = xrealloc(s->controls, (size_t)s->cap_controls * sizeof *s->controls);
	}
	s->controls[s->n_controls++] = (struct steer_control){
		.id = s->next_id, .trial = trial, .client = client, .replay = !client,
		.deadline = log_now() + s->answer_wait, .set = cJSON_Duplicate(set, 1)};
	arm(s);
	return 0;
}

/* The index of trial's line that l answers, or -1: its "id" is one of ours
 * (a whole number we sent; any other, 1e300 or 2.5, answers none). */
static int find_line(const struct steer *s, int64_t trial, const struct worker_line *l)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_ID);

	if (!cJSON_IsNumber(id) || !(id->valuedouble >= 1 && id->valuedouble <= s->next_id) ||
	    id->valuedouble != (double)(int64_t)id->valuedouble)
		return -1;
	for (int i = 0; i < s->n_controls; i++)
		if (s->controls[i].trial == trial && s->controls[i].id == (int64_t)id->valuedouble)
			return i;
	return -1;
}

/* Whether changes names exactly the parameters set asked for: the program
 * answers a control line all or nothing, and says nothing of others. */
static int names_asked(const cJSON *changes, const cJSON *set)
{
	const cJSON *c;

	if (cJSON_GetArraySize(changes) != cJSON_GetArraySize(set))
		return 0;
	cJSON_ArrayForEach(c, changes)
		if (!cJSON_GetObjectItemCaseSensitive(set, c->string))
			return 0;
	return 1;
}

/* An "adjusted" answer to k (removed by the caller after): its changes to
 * the host, checked first; -1 with err when they are not what k asked. */
static int applied(struct steer *s, const struct steer_control *k, const struct worker_line *l,
		   char *err, size_t errlen)
{
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_CHANGES);

	if (!changes_valid(changes))
		err_set(err, errlen, "an \"adjusted\" line without its changes ({\"name\": "
				     "[old, new]}): nothing recorded");
	else if (!names_asked(changes, k->set))
		err_set(err, errlen, "an \"adjusted\" line whose changes are not the names "
				     "control line %lld asked for: nothing recorded", (long long)k->id);
	else {
		s->host.adjusted(s->host.data, k->trial, k->client, l, changes);
		return 0;
	}
	if (k->client)
		s->host.tell(s->host.data, k->client, err);
	return -1;
}

int steer_answer(struct steer *s, int64_t trial, const struct worker_line *l, char *err,
		 size_t errlen)
{
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_ERROR);
	int i = find_line(s, trial, l), rc;
	struct steer_control k;
	char msg[512];

	if (i < 0)
		return err_set(err, errlen, "\"%s\" answers no control line sent to it: nothing "
					    "recorded", l->event);
	k = s->controls[i];
	s->controls[i].set = NULL; /* k's now, freed below */
	remove_control(s, i);
	if (k.replay) {
		log_msg("trial %lld: adjustments made after its checkpoint %s", (long long)trial,
			strcmp(l->event, WORKER_PROTO_ADJUSTED) == 0 ? "applied again" : "refused");
		cJSON_Delete(k.set);
		return 0;
	}
	if (strcmp(l->event, WORKER_PROTO_ADJUSTED) == 0) {
		rc = applied(s, &k, l, err, errlen);
		cJSON_Delete(k.set);
		return rc;
	}
	cJSON_Delete(k.set);
	snprintf(msg, sizeof msg, "trial %lld refused: %s", (long long)trial,
		 cJSON_IsString(why) ? why->valuestring : "no reason given");
	log_msg("%s", msg);
	if (k.client)
		s->host.tell(s->host.data, k.client, msg);
	return 0;
}

void steer_trial_ended(struct steer *s, int64_t trial, const char *status)
{
	char msg[256];

	for (int i = s->n_controls - 1; i >= 0; i--) {
		int64_t client = s->controls[i].client;

		if (s->controls[i].trial != trial)
			continue;
		snprintf(msg, sizeof msg, "trial %lld ended (%s) before its program answered",
			 (long long)trial, status);
		if (client)
			s->host.tell(s->host.data, client, msg);
		remove_control(s, i);
	}
}

void steer_replay(struct steer *s, int64_t trial, const cJSON *rows, int from)
{
	char err[ERRBUF_LEN];
	cJSON *set = cJSON_CreateObject();

	changes_values_at(set, rows, from, INT_MAX);
	if (set->child && steer_send(s, trial, set, 0, err, sizeof err) < 0)
		log_msg("trial %lld: %s", (long long)trial, err);
	cJSON_Delete(set);
}

int steer_replayed(struct steer *s, int64_t trial, const struct spec *spec, const cJSON *rows,
		   int from, const struct worker_line *l, char *err, size_t errlen)
{
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_CHANGES), *c;
	cJSON *set;

	if (!changes_valid(changes))
		return err_set(err, errlen, "an \"adjusted\" line of its curve without its "
					    "changes: nothing recorded");
	cJSON_ArrayForEach(c, changes)
		if (spec_check_change(spec, c->string, cJSON_GetArrayItem(c, 1),
				      SPEC_CHANGE_RUNNING, 1, err, errlen) < 0)
			return -1;
	if (changes_recorded(rows, l->epoch, l->step, changes))
		return 0;
	log_msg("trial %lld: its curve log holds an adjustment made before caviard stopped and "
		"never recorded: recorded now", (long long)trial);
	s->host.adjusted(s->host.data, trial, 0, l, changes);
	if (l->epoch < from)
		return 0;
	set = cJSON_CreateObject();
	cJSON_ArrayForEach(c, changes)
		cJSON_AddItemToObject(set, c->string, cJSON_Duplicate(cJSON_GetArrayItem(c, 1), 1));
	if (steer_send(s, trial, set, 0, err, errlen) < 0)
		log_msg("trial %lld: %s", (long long)trial, err);
	cJSON_Delete(set);
	return 0;
}

void steer_expire(struct steer *s, double now)
{
	char msg[256];

	for (int i = 0; i < s->n_controls; i++) {
		struct steer_control *k = &s->controls[i];
		int64_t client = k->client;

		if (!client || k->deadline > now)
			continue;
		k->client = 0;
		snprintf(msg, sizeof msg,
			 "trial %lld did not answer within %g s (its program reads control lines "
			 "while it trains; a command trial through caviar.adjustments()); if it "
			 "applies the change later, the change is recorded then",
			 (long long)k->trial, s->answer_wait);
		s->host.tell(s->host.data, client, msg);
	}
	arm(s);
}
