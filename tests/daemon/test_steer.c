/* test_steer: control lines through a fake host: what is written, who is
 * told when an answer comes (applied, refused, malformed, unknown, a
 * replay's), when a deadline passes (the clock is given, not waited for)
 * and when a trial ends first; a resume sends the later adjustments again,
 * and an adjustment its curve log replays is recorded unless it is already. */
#include <stdlib.h>

#include "errbuf.h"
#include "log.h"
#include "steer.h"
#include "test.h"
#include "worker_proto.h"

/* What the fake host was asked. */
static struct {
	char sent[512];
	int64_t sent_trial;
	int n_sent, fail_send;
	char told[512];
	int64_t told_client;
	int n_told;
	int64_t adjusted_trial, adjusted_client;
	char changes[256];
	int n_adjusted;
} h;

static int fake_send(void *data, int64_t trial, const char *text, char *err, size_t errlen)
{
	(void)data;
	if (h.fail_send)
		return err_set(err, errlen, "trial %lld is not running", (long long)trial);
	snprintf(h.sent, sizeof h.sent, "%s", text);
	h.sent_trial = trial;
	h.n_sent++;
	return 0;
}

static void fake_tell(void *data, int64_t client, const char *msg)
{
	(void)data;
	snprintf(h.told, sizeof h.told, "%s", msg);
	h.told_client = client;
	h.n_told++;
}

static void fake_adjusted(void *data, int64_t trial, int64_t client, const struct worker_line *l,
			  const cJSON *changes)
{
	char *text = cJSON_PrintUnformatted(changes);

	(void)data;
	(void)l;
	snprintf(h.changes, sizeof h.changes, "%s", text);
	free(text);
	h.adjusted_trial = trial;
	h.adjusted_client = client;
	h.n_adjusted++;
}

static uv_loop_t loop;

static void start(struct steer *s)
{
	memset(&h, 0, sizeof h);
	memset(s, 0, sizeof *s);
	s->host = (struct steer_host){.send = fake_send, .tell = fake_tell,
				      .adjusted = fake_adjusted};
	s->answer_wait = 5;
	uv_loop_init(&loop);
	steer_init(s, &loop);
}

static void stop(struct steer *s)
{
	steer_close(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	CHECK(uv_loop_close(&loop) == 0);
	steer_finish(s);
}

static char answer_err[ERRBUF_LEN]; /* why the last answer() was no answer */

/* The program's answer: event, the id it answers (as written), and more
 * JSON fields; steer_answer's code. */
static int answer_id(struct steer *s, int64_t trial, const char *event, const char *id,
		     const char *more)
{
	char text[512];
	struct worker_line l = {.event = event, .epoch = 3, .step = 120};
	int rc;

	snprintf(text, sizeof text, "{\"event\": \"%s\", \"id\": %s%s}", event, id, more);
	l.json = cJSON_Parse(text);
	answer_err[0] = 0;
	rc = steer_answer(s, trial, &l, answer_err, sizeof answer_err);
	cJSON_Delete(l.json);
	return rc;
}

static int answer(struct steer *s, int64_t trial, const char *event, int id, const char *more)
{
	char text[32];

	snprintf(text, sizeof text, "%d", id);
	return answer_id(s, trial, event, text, more);
}

static void test_send_and_answer(void)
{
	struct steer s;
	char err[ERRBUF_LEN];
	cJSON *set = cJSON_Parse("{\"lr\": 0.01}");

	start(&s);
	CHECK(steer_send(&s, 7, set, 42, err, sizeof err) == 0);
	CHECK_STR(h.sent, "{\"adjust\":{\"lr\":0.01},\"id\":1}");
	CHECK(h.sent_trial == 7 && s.n_controls == 1);
	/* another trial's line: not this one */
	CHECK(answer(&s, 8, WORKER_PROTO_ADJUSTED, 1, ", \"changes\": {\"lr\": [0.1, 0.01]}") < 0);
	CHECK(h.n_adjusted == 0 && s.n_controls == 1);
	CHECK_CONTAINS(answer_err, "answers no control line sent to it");
	CHECK(answer(&s, 7, WORKER_PROTO_ADJUSTED, 1, ", \"changes\": {\"lr\": [0.1, 0.01]}") == 0);
	CHECK(h.n_adjusted == 1 && h.adjusted_trial == 7 && h.adjusted_client == 42);
	CHECK_STR(h.changes, "{\"lr\":[0.1,0.01]}");
	CHECK(s.n_controls == 0);
	/* answered already: no answer */
	CHECK(answer(&s, 7, WORKER_PROTO_ADJUSTED, 1, ", \"changes\": {\"lr\": [0.1, 0.01]}") < 0);
	CHECK(h.n_adjusted == 1 && h.n_told == 0);

	h.fail_send = 1;
	CHECK(steer_send(&s, 7, set, 42, err, sizeof err) < 0);
	CHECK_CONTAINS(err, "not running");
	CHECK(s.n_controls == 0);
	cJSON_Delete(set);
	stop(&s);
}

static void test_refused_and_malformed(void)
{
	struct steer s;
	char err[ERRBUF_LEN];
	cJSON *set = cJSON_Parse("{\"lr\": 0.01}");

	start(&s);
	CHECK(steer_send(&s, 7, set, 42, err, sizeof err) == 0);
	answer(&s, 7, WORKER_PROTO_ADJUST_REFUSED, 1, ", \"error\": \"lr: no such parameter\"");
	CHECK(h.n_told == 1 && h.told_client == 42);
	CHECK_STR(h.told, "trial 7 refused: lr: no such parameter");
	CHECK(steer_send(&s, 7, set, 43, err, sizeof err) == 0);
	CHECK(answer(&s, 7, WORKER_PROTO_ADJUSTED, 2, ", \"changes\": {\"lr\": 0.01}") < 0);
	CHECK(h.n_told == 2 && h.told_client == 43 && h.n_adjusted == 0);
	CHECK_CONTAINS(h.told, "without its changes");
	/* a replay's answer (client 0) is nobody's to hear */
	CHECK(steer_send(&s, 7, set, 0, err, sizeof err) == 0);
	answer(&s, 7, WORKER_PROTO_ADJUSTED, 3, ", \"changes\": {\"lr\": [0.1, 0.01]}");
	CHECK(h.n_told == 2 && h.n_adjusted == 0 && s.n_controls == 0);
	cJSON_Delete(set);
	stop(&s);
}

/* Ids that are none of ours (not whole, huge, a string, never sent) and
 * changes of parameters not asked for record nothing; the line sent stays
 * until its own answer. */
static void test_bogus_answers(void)
{
	struct steer s;
	char err[ERRBUF_LEN];
	cJSON *set = cJSON_Parse("{\"lr\": 0.01}");
	const char *lr = ", \"changes\": {\"lr\": [0.1, 0.01]}";
	const char *ids[] = {"1e300", "-1e300", "1.5", "0", "-1", "2", "\"1\"", "null", "true"};

	start(&s);
	CHECK(steer_send(&s, 7, set, 42, err, sizeof err) == 0);
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
		CHECK(answer_id(&s, 7, WORKER_PROTO_ADJUSTED, ids[i], lr) < 0);
	CHECK(h.n_adjusted == 0 && h.n_told == 0 && s.n_controls == 1);
	CHECK(answer(&s, 7, WORKER_PROTO_ADJUSTED, 1,
		     ", \"changes\": {\"layers\": [1, 8]}") < 0);
	CHECK_CONTAINS(answer_err, "not the names control line 1 asked for");
	CHECK(h.n_adjusted == 0 && h.n_told == 1 && h.told_client == 42 && s.n_controls == 0);
	CHECK(steer_send(&s, 7, set, 43, err, sizeof err) == 0);
	CHECK(answer(&s, 7, WORKER_PROTO_ADJUSTED, 2,
		     ", \"changes\": {\"lr\": [0.1, 0.01], \"layers\": [1, 8]}") < 0);
	CHECK(h.n_adjusted == 0 && h.n_told == 2 && h.told_client == 43);
	CHECK(steer_send(&s, 7, set, 44, err, sizeof err) == 0);
	CHECK(answer(&s, 7, WORKER_PROTO_ADJUSTED, 3, lr) == 0);
	CHECK(h.n_adjusted == 1 && h.adjusted_client == 44);
	cJSON_Delete(set);
	stop(&s);
}

/* A client whose deadline passed is told; a late answer is still recorded. */
static void test_deadline(void)
{
	struct steer s;
	char err[ERRBUF_LEN];
	cJSON *set = cJSON_Parse("{\"lr\": 0.01}");

	start(&s);
	CHECK(steer_send(&s, 7, set, 42, err, sizeof err) == 0);
	steer_expire(&s, log_now() - 1); /* not yet */
	CHECK(h.n_told == 0);
	steer_expire(&s, log_now() + 10);
	CHECK(h.n_told == 1 && h.told_client == 42);
	CHECK_CONTAINS(h.told, "trial 7 did not answer within 5 s");
	steer_expire(&s, log_now() + 20);
	CHECK(h.n_told == 1); /* told once */
	/* a program that answers nothing gets STEER_MAX_WAITING lines, no more */
	for (int i = 1; i < STEER_MAX_WAITING; i++)
		CHECK(steer_send(&s, 7, set, 42, err, sizeof err) == 0);
	CHECK(steer_send(&s, 7, set, 42, err, sizeof err) < 0);
	CHECK_CONTAINS(err, "trial 7 has not answered its last 64 control lines");
	CHECK(s.n_controls == STEER_MAX_WAITING && h.n_sent == STEER_MAX_WAITING);
	CHECK(steer_send(&s, 8, set, 42, err, sizeof err) == 0); /* another trial's are its own */
	steer_trial_ended(&s, 8, "done");
	answer(&s, 7, WORKER_PROTO_ADJUSTED, 1, ", \"changes\": {\"lr\": [0.1, 0.01]}");
	CHECK(h.n_adjusted == 1 && h.adjusted_client == 0);
	cJSON_Delete(set);
	stop(&s);
}

static void test_trial_ended(void)
{
	struct steer s;
	char err[ERRBUF_LEN];
	cJSON *set = cJSON_Parse("{\"lr\": 0.01}");

	start(&s);
	CHECK(steer_send(&s, 7, set, 42, err, sizeof err) == 0);
	CHECK(steer_send(&s, 8, set, 43, err, sizeof err) == 0);
	steer_trial_ended(&s, 7, "failed");
	CHECK(h.n_told == 1 && h.told_client == 42 && s.n_controls == 1);
	CHECK_STR(h.told, "trial 7 ended (failed) before its program answered");
	cJSON_Delete(set);
	stop(&s);
}

/* A resume from epoch 2 sends what was adjusted at epoch 2 and later, the
 * last value of each name. */
static void test_replay(void)
{
	struct steer s;
	cJSON *rows = cJSON_Parse(
		"[{\"epoch\": 1, \"name\": \"lr\", \"new_value\": 0.5},"
		" {\"epoch\": 2, \"name\": \"lr\", \"new_value\": 0.2},"
		" {\"epoch\": 3, \"name\": \"beta\", \"new_value\": 0.8},"
		" {\"epoch\": 4, \"name\": \"lr\", \"new_value\": 0.1}]");

	start(&s);
	steer_replay(&s, 7, rows, 2);
	CHECK(h.n_sent == 1);
	CHECK_STR(h.sent, "{\"adjust\":{\"beta\":0.8,\"lr\":0.1},\"id\":1}");
	CHECK(s.n_controls == 1 && s.controls[0].replay);
	steer_replay(&s, 7, rows, 5); /* nothing after epoch 5: nothing sent */
	CHECK(h.n_sent == 1);
	cJSON_Delete(rows);
	stop(&s);
}

/* Replayed "adjusted" lines of a program resumed from epoch 3's checkpoint. */
static int replayed(struct steer *s, const struct spec *spec, const cJSON *rows, int epoch,
		    const char *changes)
{
	char text[256];
	struct worker_line l = {.event = WORKER_PROTO_ADJUSTED, .epoch = epoch, .step = 10 * epoch};
	int rc;

	snprintf(text, sizeof text, "{\"event\": \"adjusted\", \"changes\": %s}", changes);
	l.json = cJSON_Parse(text);
	answer_err[0] = 0;
	rc = steer_replayed(s, 7, spec, rows, 3, &l, answer_err, sizeof answer_err);
	cJSON_Delete(l.json);
	return rc;
}

/* One recorded already (the same name, epoch, step and value) is left; one
 * never recorded goes to adjusted with no client, and is sent again when it
 * is of the checkpoint's epoch or later; a malformed one, or one the spec
 * refuses, is rejected with nothing recorded. */
static void test_replayed(void)
{
	static const char text[] =
		"{\"name\": \"s\", \"trials\": 1, \"task\": \"bowl\", \"train\": {\"epochs\": 6},"
		" \"params\": {\"lr\": {\"log\": [1e-4, 1e-1]}}}";
	char err[ERRBUF_LEN];
	struct spec spec;
	struct steer s;
	cJSON *rows = cJSON_Parse("[{\"name\": \"lr\", \"epoch\": 2, \"step\": 20,"
				  " \"old_value\": 0.1, \"new_value\": 0.01}]");

	CHECK(spec_parse_text(&spec, text, strlen(text), err, sizeof err) == 0);
	start(&s);
	CHECK(replayed(&s, &spec, rows, 2, "{\"lr\": [0.1, 0.01]}") == 0);
	CHECK(h.n_adjusted == 0 && h.n_sent == 0); /* recorded already */
	CHECK(replayed(&s, &spec, rows, 2, "{\"lr\": [0.1, 0.02]}") == 0);
	CHECK(h.n_adjusted == 1 && h.adjusted_trial == 7 && h.adjusted_client == 0);
	CHECK_STR(h.changes, "{\"lr\":[0.1,0.02]}");
	CHECK(h.n_sent == 0); /* before the checkpoint: the program has it */
	CHECK(replayed(&s, &spec, rows, 3, "{\"lr\": [0.02, 0.03]}") == 0);
	CHECK(h.n_adjusted == 2);
	CHECK(h.n_sent == 1 && h.sent_trial == 7);
	CHECK_STR(h.sent, "{\"adjust\":{\"lr\":0.03},\"id\":1}");
	CHECK(s.n_controls == 1 && s.controls[0].replay);
	CHECK(replayed(&s, &spec, rows, 3, "{\"lr\": 0.03}") < 0);
	CHECK_CONTAINS(answer_err, "without its changes");
	CHECK(replayed(&s, &spec, rows, 3, "{\"lr\": [0.03, -1]}") < 0);
	CHECK_CONTAINS(answer_err, "lr:");
	CHECK(h.n_adjusted == 2 && h.n_sent == 1);
	cJSON_Delete(rows);
	spec_finish(&spec);
	stop(&s);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"send_and_answer", test_send_and_answer},
		{"refused_and_malformed", test_refused_and_malformed},
		{"bogus_answers", test_bogus_answers},
		{"deadline", test_deadline}, {"trial_ended", test_trial_ended},
		{"replay", test_replay}, {"replayed", test_replayed}, {0}};

	return test_main(argc, argv, cases);
}
