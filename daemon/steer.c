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
	free(s->controls);
	s->controls = NULL;
	s->n_controls = s->cap_controls = 0;
}

int steer_send(struct steer *s, int64_t trial, const cJSON *set, int64_t client, char *err,
	       size_t errlen)
{
	cJSON *line = cJSON_CreateObject();
	char *text;
	int rc;

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
		.deadline = log_now() + s->answer_wait};
	arm(s);
	return 0;
}

/* The index of trial's line that l answers, or -1. */
static int find_line(const struct steer *s, int64_t trial, const struct worker_line *l)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_ID);

	for (int i = 0; i < s->n_controls; i++)
		if (s->controls[i].trial == trial && cJSON_IsNumber(id) &&
		    s->controls[i].id == (int64_t)id->valuedouble)
			return i;
	return -1;
}

/* An "adjusted" answer for client: its changes to the host, checked first. */
static void applied(struct steer *s, int64_t trial, int64_t client, const struct worker_line *l)
{
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_CHANGES);

	if (!changes_valid(changes)) {
		log_msg("trial %lld: an \"adjusted\" line without its changes: ignored",
			(long long)trial);
		if (client)
			s->host.tell(s->host.data, client, "the trial's program answered without "
							   "saying what it changed");
		return;
	}
	s->host.adjusted(s->host.data, trial, client, l, changes);
}

void steer_answer(struct steer *s, int64_t trial, const struct worker_line *l)
{
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_ERROR);
	int i = find_line(s, trial, l);
	int64_t client;
	char msg[512];

	if (i < 0) {
		log_msg("trial %lld: \"%s\" answers no control line of ours: ignored",
			(long long)trial, l->event);
		return;
	}
	client = s->controls[i].client;
	if (s->controls[i].replay) {
		remove_control(s, i);
		log_msg("trial %lld: adjustments made after its checkpoint %s", (long long)trial,
			strcmp(l->event, WORKER_PROTO_ADJUSTED) == 0 ? "applied again" : "refused");
		return;
	}
	remove_control(s, i);
	if (strcmp(l->event, WORKER_PROTO_ADJUSTED) == 0) {
		applied(s, trial, client, l);
		return;
	}
	snprintf(msg, sizeof msg, "trial %lld refused: %s", (long long)trial,
		 cJSON_IsString(why) ? why->valuestring : "no reason given");
	log_msg("%s", msg);
	if (client)
		s->host.tell(s->host.data, client, msg);
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
