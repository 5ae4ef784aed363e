/* test_train: the training loop on small in-memory data sets (Gaussian blobs).
 * Configuration checks and messages, the config hash, learning, the record
 * format, determinism, exact resume from a checkpoint, divergence, report_every,
 * missing splits, stop requests, and refusing foreign or corrupt checkpoints.
 * Then the panda side (worker_proto.h, version 2): control lines applied from
 * the next step and answered once, refusals, keep_epochs, forks that
 * reproduce their parent bit for bit, and adjusted values surviving a resume.
 * Each run happens in a forked child with stdout captured. */
#include "blas.h"
#include <limits.h>
#include <signal.h>

#include "errbuf.h"
#include "exitcodes.h"
#include "stop.h"
#include "train.h"
#include "wtest.h"

static struct data D;        /* 300 train, 60 val, 60 test, 8 features, 3 classes */
static char dir[128];

struct job {
	const char *json;
	const struct data *d;
	int sigterm; /* raise SIGTERM before training (a stop request) */
	const char *control; /* control lines on the trainer's control fd, or NULL */
};

static int run_job(void *arg)
{
	struct job *j = arg;
	cJSON *cfg = cJSON_Parse(j->json);
	struct train_config tc;
	char err[ERRBUF_LEN] = "";
	int rc;

	if (!cfg || train_config_check(cfg, err, sizeof err) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return WORKER_EXIT_CONFIG;
	}
	train_config_init(&tc, cfg);
	if (j->sigterm) {
		stop_install();
		raise(SIGTERM);
	}
	if (j->control) {
		struct control ctl;
		int fds[2];
		CHECK(pipe(fds) == 0);
		CHECK(write(fds[1], j->control, strlen(j->control)) == (ssize_t)strlen(j->control));
		close(fds[1]);
		control_open(&ctl, fds[0]);
		rc = train_run(&tc, j->d, &ctl, err, sizeof err);
		control_finish(&ctl);
		close(fds[0]);
	} else {
		rc = train_run(&tc, j->d, NULL, err, sizeof err);
	}
	if (rc && err[0])
		fprintf(stderr, "train: %s\n", err);
	train_config_finish(&tc);
	cJSON_Delete(cfg);
	return rc;
}

/* Trains per json on D; returns the output (caller frees), status in *rc. */
static char *run(const char *json, int *rc)
{
	struct job j = {json, &D, 0, NULL};

	return tmp_capture(run_job, &j, rc);
}

/* A json configuration with the checkpoint at dir/name, from fmt with one %s. */
static const char *with_ckpt(char *buf, size_t n, const char *fmt, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(buf, n, fmt, path);
	return buf;
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- configuration ---------------------------------------------------------------- */

static void expect_error(const char *json, const char *msg)
{
	cJSON *cfg = cJSON_Parse(json);
	char err[ERRBUF_LEN] = "";

	CHECK(cfg != NULL);
	CHECK(train_config_check(cfg, err, sizeof err) == -1);
	CHECK_CONTAINS(err, msg);
	cJSON_Delete(cfg);
}

static void test_config_errors(void)
{
	expect_error("{\"lr\": -1}", "lr: expected a number > 0, got -1");
	expect_error("{\"epochs\": 2, \"lrr\": 0.1}", "lrr: unknown key");
	expect_error("{\"optimizer\": \"adagrad\"}", "optimizer: expected one of");
	expect_error("{\"batch\": 0.5}", "batch: expected an integer");
	expect_error("{\"hidden\": []}", "hidden: expected a non-empty array");
	expect_error("{\"hidden\": [8, -1]}", "hidden:");
	expect_error("{\"batch_norm\": 1}", "batch_norm: expected true or false");
	expect_error("{\"data\": 5}", "data: expected an object");
	expect_error("{\"data\": {\"bogus\": 1}}", "data.bogus: unknown key");
	expect_error("{\"data\": {\"val_fraction\": 1}}", "data.val_fraction:");
	expect_error("[1, 2]", "expected a JSON object");
	expect_error("{\"checkpoint\": \"\"}", "checkpoint: expected a file name");
	expect_error("{\"fork_from\": \"\"}", "fork_from: expected a file name");
	expect_error("{\"lr\": 0.1, \"batch\": 8, \"lr\": 0.2}", "lr: duplicate key");
}

static void test_config_read(void)
{
	cJSON *cfg = cJSON_Parse("{\"hidden\": [7, 5, 3], \"optimizer\": \"rmsprop\","
				 "\"activation\": \"tanh\", \"decay_schedule\": \"step\","
				 "\"checkpoint\": \"/x/y\", \"seed\": 12, \"dropout\": null}");
	struct train_config tc;
	char err[ERRBUF_LEN];

	CHECK(train_config_check(cfg, err, sizeof err) == 0); /* null means absent */
	train_config_init(&tc, cfg);
	CHECK(tc.model.n_hidden == 3 && tc.hidden[0] == 7 && tc.hidden[2] == 3);
	CHECK(tc.opt.kind == OPTIM_RMSPROP && tc.model.act == ACT_TANH);
	CHECK(tc.sched.kind == LR_STEP && tc.seed == 12);
	CHECK_STR(tc.checkpoint, "/x/y");
	/* defaults from the hparams table */
	CHECK(tc.epochs == 10 && tc.batch == 64 && tc.model.batch_norm == 1);
	CHECK(tc.sched.lr0 == 0.001 && tc.model.dropout == 0.0f && tc.threads == 1);
	train_config_finish(&tc);
	train_config_finish(&tc);
	cJSON_Delete(cfg);
	cfg = cJSON_Parse("{\"layers\": 3, \"units\": 9, \"optimizer\": \"momentum\"}");
	train_config_init(&tc, cfg);
	CHECK(tc.model.n_hidden == 3 && tc.hidden[1] == 9 && tc.opt.kind == OPTIM_MOMENTUM);
	CHECK(tc.checkpoint == NULL && tc.opt.kind == OPTIM_MOMENTUM);
	train_config_finish(&tc);
	cJSON_Delete(cfg);
}

static uint64_t hash_of(const char *json)
{
	cJSON *cfg = cJSON_Parse(json);
	uint64_t h = train_config_hash(cfg);

	cJSON_Delete(cfg);
	return h;
}

static void test_config_hash(void)
{
	uint64_t h = hash_of("{\"lr\": 0.01, \"batch\": 32, \"data\": {\"train_limit\": 5}}");

	CHECK(h == hash_of("{\"data\": {\"train_limit\": 5}, \"batch\": 32, \"lr\": 0.01}"));
	CHECK(h == hash_of("{\"lr\": 0.01, \"batch\": 32, \"epochs\": 99, \"threads\": 2,"
			   "\"report_every\": 5, \"checkpoint\": \"a\","
			   "\"data\": {\"train_limit\": 5, \"cache_dir\": \"/c\"}}"));
	CHECK(h == hash_of("{\"lr\": 0.01, \"batch\": 32, \"optimizer\": \"adam\","
			   "\"data\": {\"train_limit\": 5, \"dataset\": \"fashion-mnist\"}}"));
	/* the adjustable settings are not structural: a fork takes its own */
	CHECK(h == hash_of("{\"lr\": 0.02, \"batch\": 64, \"dropout\": 0.5, \"l2\": 1,"
			   "\"beta\": 0.5, \"beta1\": 0.5, \"beta2\": 0.5, \"eps\": 1,"
			   "\"lr_decay\": 1, \"fork_from\": \"f\", \"keep_epochs\": true,"
			   "\"data\": {\"train_limit\": 5}}"));
	CHECK(h != hash_of("{\"lr\": 0.01, \"batch\": 32, \"optimizer\": \"sgd\","
			   "\"data\": {\"train_limit\": 5}}"));
	CHECK(h != hash_of("{\"lr\": 0.01, \"batch\": 32, \"data\": {\"train_limit\": 6}}"));
	CHECK(h != hash_of("{\"lr\": 0.01, \"batch\": 32, \"seed\": 1,"
			   "\"data\": {\"train_limit\": 5}}"));
	CHECK(hash_of("{\"hidden\": [4, 3]}") != hash_of("{\"hidden\": [3, 4]}"));
}

/* ---- training ----------------------------------------------------------------------- */

#define BASE0 "\"hidden\": [16, 8], \"seed\": 5"
#define BASE BASE0 ", \"batch\": 32, \"lr\": 0.01"

static void test_learns(void)
{
	int rc;
	char *out = run("{" BASE ", \"epochs\": 5, \"lr_decay\": 0.5,"
			"\"decay_schedule\": \"exponential\"}", &rc);
	const char *last;

	CHECK(rc == WORKER_EXIT_OK);
	CHECK(wt_count_lines(out, "\"train_acc\"") == 5);
	CHECK(wt_count_lines(out, "\"test_acc\"") == 1);
	CHECK(strncmp(out, "{\"epoch\":1,\"step\":10,\"train_loss\":", 34) == 0);
	CHECK_CONTAINS(out, "{\"epoch\":5,\"step\":50,");
	CHECK_CONTAINS(out, "\"lr\":0.01,"); /* epoch 1: lr0 */
	CHECK_CONTAINS(out, "\"lr\":0.000625,"); /* epoch 5: 0.01 * 0.5^4 */
	CHECK_CONTAINS(out, "\"val_loss\":");
	CHECK_CONTAINS(out, "\"elapsed\":");
	CHECK(wt_count_lines(out, "\"params\":") == 5);
	CHECK(wt_count_lines(out, "\"train_seconds\":") == 5);
	CHECK(wt_count_lines(out, "\"infer_us\":") == 5);
	last = strstr(out, "{\"epoch\":5,\"test_loss\":");
	CHECK(last != NULL);
	if (last) {
		double acc = strtod(strstr(last, "\"test_acc\":") + 11, NULL);
		CHECK(acc > 0.8); /* three well-separated blobs */
	}
	free(out);
}

static void check_deterministic(const char *json)
{
	int rc1, rc2;
	char *a = run(json, &rc1), *b = run(json, &rc2);

	CHECK(rc1 == 0 && rc2 == 0);
	wt_strip_elapsed(a);
	wt_strip_elapsed(b);
	CHECK_STR(a, b);
	CHECK(wt_count_lines(a, "\"epoch\"") >= 3);
	free(a);
	free(b);
}

static void test_deterministic(void)
{
	check_deterministic("{" BASE ", \"epochs\": 3}");
	check_deterministic("{" BASE ", \"epochs\": 3, \"dropout\": 0.3, \"activation\": \"tanh\","
			    "\"optimizer\": \"momentum\", \"batch_norm\": false, \"l2\": 0.01}");
}

/* Removes the line containing needle (the "resumed" event) from s. */
static void drop_line(char *s, const char *needle)
{
	char *hit = strstr(s, needle), *start, *end;

	if (!hit)
		return;
	start = hit;
	while (start > s && start[-1] != '\n')
		start--;
	end = strchr(hit, '\n');
	end = end ? end + 1 : hit + strlen(hit);
	memmove(start, end, strlen(end) + 1);
}

static void check_resume(const char *extra, const char *name)
{
	char fmt[1024], json[8192];
	int rc;
	char *straight, *part1, *part2;

	snprintf(fmt, sizeof fmt, "{" BASE ", %s, \"epochs\": 4}", extra);
	straight = run(fmt, &rc);
	CHECK(rc == 0);
	snprintf(fmt, sizeof fmt, "{" BASE ", %s, \"epochs\": 2, \"checkpoint\": \"%%s\"}", extra);
	part1 = run(with_ckpt(json, sizeof json, fmt, name), &rc);
	CHECK(rc == 0);
	snprintf(fmt, sizeof fmt, "{" BASE ", %s, \"epochs\": 4, \"checkpoint\": \"%%s\"}", extra);
	part2 = run(with_ckpt(json, sizeof json, fmt, name), &rc);
	CHECK(rc == 0);
	CHECK(starts_with(part2, "{\"event\":\"resumed\",\"epoch\":2}\n"));
	drop_line(part1, "\"test_loss\""); /* the 2-epoch run's test record */
	drop_line(part2, "\"resumed\"");
	wt_strip_elapsed(straight);
	wt_strip_elapsed(part1);
	wt_strip_elapsed(part2);
	/* The first run is the straight run's beginning; the resumed one prints the
	 * records of its checkpoint again, then the rest: the whole straight run. */
	CHECK(strncmp(part1, straight, strlen(part1)) == 0);
	CHECK_STR(part2, straight);
	free(straight), free(part1), free(part2);
}

static void test_resume_exact(void)
{
	check_resume("\"optimizer\": \"adam\", \"dropout\": 0.2, \"lr_decay\": 0.3", "adam.ckpt");
	check_resume("\"optimizer\": \"rmsprop\", \"report_every\": 3, \"batch_norm\": false,"
		     "\"decay_schedule\": \"step\", \"lr_decay\": 0.5", "rms.ckpt");
	check_resume("\"optimizer\": \"momentum\", \"activation\": \"tanh\", \"l2\": 0.001",
		     "mom.ckpt");
}

static void test_diverged(void)
{
	int rc;
	char *out = run("{" BASE0 ", \"batch\": 32, \"epochs\": 3, \"lr\": 1e12,"
			"\"optimizer\": \"sgd\","
			"\"batch_norm\": false}", &rc);

	CHECK(rc == WORKER_EXIT_DIVERGED);
	CHECK_CONTAINS(out, "{\"event\":\"diverged\",\"epoch\":");
	CHECK_CONTAINS(out, "\"metric\":\"train_loss\"");
	CHECK(strstr(out, "\"value\":\"nan\"") || strstr(out, "\"value\":\"inf\""));
	CHECK(wt_count_lines(out, "\"test_acc\"") == 0);
	free(out);
}

static void test_report_every(void)
{
	int rc;
	char *out = run("{" BASE ", \"epochs\": 2, \"report_every\": 3}", &rc);

	CHECK(rc == 0);
	/* 10 steps per epoch: steps 3, 6, 9 in epoch 1 and 12, 15, 18 in epoch 2 */
	CHECK(wt_count_lines(out, "\"train_loss\"") == 2 + 6);
	CHECK_CONTAINS(out, "{\"epoch\":1,\"step\":3,\"train_loss\":");
	CHECK_CONTAINS(out, "{\"epoch\":2,\"step\":12,\"train_loss\":");
	CHECK(strstr(out, "{\"epoch\":2,\"step\":21,") == NULL);
	free(out);
}

static void test_splits_missing(void)
{
	struct data d = D;
	struct job j = {"{" BASE ", \"epochs\": 2}", &d, 0, NULL};
	int rc;
	char *out;

	d.val.n = 0;
	d.test.n = 0;
	out = tmp_capture(run_job, &j, &rc);
	CHECK(rc == 0);
	CHECK(wt_count_lines(out, "\"train_acc\"") == 2);
	CHECK(strstr(out, "val_") == NULL && strstr(out, "test_") == NULL);
	free(out);
	d.train.n = 0;
	out = tmp_capture(run_job, &j, &rc);
	CHECK(rc == WORKER_EXIT_DATA);
	free(out);
}

static void test_odd_batches(void)
{
	int rc;
	/* BN on one example */
	char *out = run("{" BASE0 ", \"lr\": 0.01, \"epochs\": 1, \"batch\": 1}", &rc);

	CHECK(rc == 0);
	CHECK_CONTAINS(out, "{\"epoch\":1,\"step\":300,");
	free(out);
	/* one batch of everything */
	out = run("{" BASE0 ", \"lr\": 0.01, \"epochs\": 2, \"batch\": 100000}", &rc);
	CHECK(rc == 0);
	CHECK_CONTAINS(out, "{\"epoch\":2,\"step\":2,");
	free(out);
	/* softmax regression, 300 = 42 * 7 + 6: the partial batch counts as a step */
	out = run("{\"seed\": 5, \"lr\": 0.01, \"epochs\": 1, \"batch\": 7, \"layers\": 0}",
		  &rc);
	CHECK(rc == 0);
	CHECK_CONTAINS(out, "{\"epoch\":1,\"step\":43,");
	free(out);
}

static void test_stop(void)
{
	char json[8192];
	struct job j = {"{" BASE ", \"epochs\": 3}", &D, 1, NULL};
	int rc;
	char *out = tmp_capture(run_job, &j, &rc);

	CHECK(rc == WORKER_EXIT_STOPPED);
	CHECK_STR(out, "{\"event\":\"stopped\",\"epoch\":0}\n");
	free(out);
	/* one epoch saved, then a stop request: resumed at 1, stopped at 1 */
	out = run(with_ckpt(json, sizeof json, "{" BASE ", \"epochs\": 1, \"checkpoint\": \"%s\"}",
			    "stop.ckpt"), &rc);
	CHECK(rc == 0);
	free(out);
	j.json = with_ckpt(json, sizeof json, "{" BASE ", \"epochs\": 3, \"checkpoint\": \"%s\"}",
			   "stop.ckpt");
	out = tmp_capture(run_job, &j, &rc);
	CHECK(rc == WORKER_EXIT_STOPPED);
	/* resumed, epoch 1's record again (the curve so far), stopped */
	CHECK(wt_count_lines(out, "") == 3);
	CHECK(strncmp(out, "{\"event\":\"resumed\",\"epoch\":1}\n{\"epoch\":1,", 39) == 0);
	CHECK_CONTAINS(out, "\n{\"event\":\"stopped\",\"epoch\":1}\n");
	free(out);
	out = run(json, &rc); /* and it continues from there */
	CHECK(rc == 0);
	CHECK(strncmp(out, "{\"event\":\"resumed\",\"epoch\":1}\n{\"epoch\":1,", 39) == 0);
	CHECK_CONTAINS(out, "\n{\"epoch\":2,");
	free(out);
}

static void test_bad_checkpoint(void)
{
	char json[8192], path[PATH_MAX + 64];
	int rc;
	char *out;
	FILE *f;

	out = run(with_ckpt(json, sizeof json, "{" BASE ", \"epochs\": 1, \"checkpoint\": \"%s\"}",
			    "other.ckpt"), &rc);
	CHECK(rc == 0);
	free(out);
	out = run(with_ckpt(json, sizeof json, "{" BASE0 ", \"batch\": 32, \"epochs\": 2,"
			    "\"lr\": 0.02, \"optimizer\": \"sgd\","
			    "\"checkpoint\": \"%s\"}", "other.ckpt"), &rc);
	CHECK(rc == WORKER_EXIT_CONFIG);
	CHECK(out[0] == '\0');
	free(out);
	tmp_path(path, dir, "garbage.ckpt");
	f = fopen(path, "wb");
	fputs("this is not a checkpoint, just some text long enough to look like one", f);
	fclose(f);
	out = run(with_ckpt(json, sizeof json, "{" BASE ", \"epochs\": 2, \"checkpoint\": \"%s\"}",
			    "garbage.ckpt"), &rc);
	CHECK(rc == WORKER_EXIT_IO);
	free(out);
}

/* ---- adjust, fork, keep_epochs --------------------------------------------------------- */

/* Trains per json with the control lines `control`; output as run. */
static char *run_ctl(const char *json, const char *control, int *rc)
{
	struct job j = {json, &D, 0, control};

	return tmp_capture(run_job, &j, rc);
}

/* The output from the line starting with needle on (NULL when absent). */
static char *from_line(char *out, const char *needle)
{
	char *p = strstr(out, needle);

	while (p && p != out && p[-1] != '\n')
		p = strstr(p + 1, needle);
	return p;
}

/* A line given before training starts is answered at step 0, once, and the
 * run is exactly the one configured with the new values from the start. */
static void check_adjust_first(const char *adjust, const char *changes, const char *configured)
{
	char control[512], want[512], json[1024];
	int rc;
	char *out, *ref, *curve;

	snprintf(control, sizeof control, "{\"adjust\": %s, \"id\": 7}\n", adjust);
	out = run_ctl("{" BASE ", \"epochs\": 2}", control, &rc);
	CHECK(rc == 0);
	snprintf(want, sizeof want, "{\"event\":\"adjusted\",\"id\":7,\"epoch\":0,\"step\":0,"
		 "\"changes\":%s}\n", changes);
	CHECK(strncmp(out, want, strlen(want)) == 0);
	CHECK(wt_count_lines(out, "\"adjusted\"") == 1);
	snprintf(json, sizeof json, "{" BASE0 ", \"epochs\": 2, %s}", configured);
	ref = run(json, &rc);
	CHECK(rc == 0);
	curve = strchr(out, '\n');
	if (curve) {
		wt_strip_elapsed(curve + 1);
		wt_strip_elapsed(ref);
		CHECK_STR(curve + 1, ref);
	}
	free(out);
	free(ref);
}

static void test_adjust_next_step(void)
{
	check_adjust_first("{\"lr\": 0.03}", "{\"lr\":[0.01,0.03]}",
			   "\"lr\": 0.03, \"batch\": 32");
	/* batch and dropout re-carve the model's arena; momentum's beta, l2 */
	check_adjust_first("{\"batch\": 50, \"dropout\": 0.25}",
			   "{\"batch\":[32,50],\"dropout\":[0,0.25]}",
			   "\"lr\": 0.01, \"batch\": 50, \"dropout\": 0.25");
	check_adjust_first("{\"l2\": 0.01, \"lr_decay\": 0.5, \"beta1\": 0.8}",
			   "{\"l2\":[0,0.01],\"lr_decay\":[0,0.5],\"beta1\":[0.9,0.8]}",
			   "\"lr\": 0.01, \"batch\": 32, \"l2\": 0.01, \"lr_decay\": 0.5,"
			   "\"beta1\": 0.8");
}

/* Every refusal names what and why, and nothing of a refused line applies. */
static void test_adjust_refused(void)
{
	static const char *const lines =
		"{\"adjust\": {\"foo\": 1}, \"id\": 1}\n"
		"{\"adjust\": {\"lr\": 0.05, \"layers\": 3}, \"id\": 2}\n"
		"{\"adjust\": {\"lr\": -1}, \"id\": 3}\n"
		"{\"adjust\": {\"optimizer\": \"sgd\"}, \"id\": 4}\n"
		"{\"adjust\": {\"dropout\": 1}, \"id\": 5}\n"
		"{\"adjust\": {}, \"id\": 6}\n"
		"{\"adjust\": {\"x1\": 1}, \"id\": 10}\n"
		"{\"adjust\": {\"lr\": 0.05}}\n"
		"not json\n"
		"\n";
	int rc;
	char *out = run_ctl("{" BASE ", \"epochs\": 2}", lines, &rc);
	char *ref = run("{" BASE ", \"epochs\": 2}", &rc);

	CHECK(rc == 0);
	CHECK_CONTAINS(out, "{\"event\":\"adjust_refused\",\"id\":1,"
		       "\"error\":\"foo: unknown hyperparameter\"}\n");
	CHECK_CONTAINS(out, "{\"event\":\"adjust_refused\",\"id\":2,"
		       "\"error\":\"layers: structural, cannot change while training\"}\n");
	CHECK_CONTAINS(out, "{\"event\":\"adjust_refused\",\"id\":3,"
		       "\"error\":\"lr: expected a number > 0, got -1\"}\n");
	CHECK_CONTAINS(out, "\"id\":4,\"error\":\"optimizer: structural, cannot change");
	CHECK_CONTAINS(out, "\"id\":5,\"error\":\"dropout: expected a number in [0, 1), got 1\"");
	CHECK_CONTAINS(out, "\"id\":6,\"error\":\"adjust: expected an object");
	CHECK_CONTAINS(out, "{\"event\":\"adjust_refused\",\"error\":\"id: expected a positive "
		       "integer\"}\n");
	CHECK_CONTAINS(out, "{\"event\":\"adjust_refused\",\"error\":\"control line: expected a "
		       "JSON object\"}\n");
	CHECK_CONTAINS(out, "\"id\":10,\"error\":\"x1: not read by task mlp, cannot change");
	CHECK(wt_count_lines(out, "\"adjust_refused\"") == 9);
	CHECK(wt_count_lines(out, "\"adjusted\"") == 0);
	/* nothing applied: the curve is the unadjusted one */
	wt_strip_elapsed(out);
	wt_strip_elapsed(ref);
	CHECK(from_line(out, "{\"epoch\":1,") != NULL);
	if (from_line(out, "{\"epoch\":1,"))
		CHECK_STR(from_line(out, "{\"epoch\":1,"), ref);
	free(out);
	free(ref);
}

/* keep_epochs keeps every epoch's checkpoint; a fork of epoch 2 with no change
 * prints the parent's epochs 3 and 4 bit for bit; with a new lr it differs. */
static void test_fork(void)
{
	char json[16384], parent[PATH_MAX + 64], kept[PATH_MAX + 80], fmt[PATH_MAX + 512];
	struct stat st;
	int rc;
	char *pout, *cout, *lout;

	pout = run(with_ckpt(json, sizeof json, "{" BASE ", \"epochs\": 4, \"dropout\": 0.1,"
			     "\"keep_epochs\": true, \"checkpoint\": \"%s\"}", "parent.ckpt"), &rc);
	CHECK(rc == 0);
	tmp_path(parent, dir, "parent.ckpt");
	for (int k = 1; k <= 4; k++) {
		snprintf(kept, sizeof kept, "%s.epoch-%d", parent, k);
		CHECK(stat(kept, &st) == 0 && st.st_size > 0);
	}
	snprintf(kept, sizeof kept, "%s.epoch-2", parent);
	snprintf(fmt, sizeof fmt, "{" BASE ", \"epochs\": 4, \"dropout\": 0.1, \"fork_from\": "
		 "\"%s\", \"checkpoint\": \"%%s\"}", kept);
	cout = run(with_ckpt(json, sizeof json, fmt, "child.ckpt"), &rc);
	CHECK(rc == 0);
	CHECK(starts_with(cout, "{\"event\":\"forked\",\"epoch\":2,\"step\":20}\n"));
	CHECK(wt_count_lines(cout, "\"train_acc\"") == 2);
	wt_strip_elapsed(pout);
	wt_strip_elapsed(cout);
	CHECK(from_line(pout, "{\"epoch\":3,") && strchr(cout, '\n'));
	if (from_line(pout, "{\"epoch\":3,") && strchr(cout, '\n'))
		CHECK_STR(strchr(cout, '\n') + 1, from_line(pout, "{\"epoch\":3,"));
	/* the fork's own checkpoint wins once it exists: a restart resumes it */
	free(cout);
	cout = run(with_ckpt(json, sizeof json, fmt, "child.ckpt"), &rc);
	CHECK(rc == 0 && starts_with(cout, "{\"event\":\"resumed\",\"epoch\":4}\n"));
	/* a new lr: the same start, another continuation */
	snprintf(fmt, sizeof fmt, "{" BASE0 ", \"batch\": 32, \"lr\": 0.05, \"epochs\": 4,"
		 "\"dropout\": 0.1, \"fork_from\": \"%s\"}", kept);
	lout = run(fmt, &rc);
	CHECK(rc == 0);
	CHECK(starts_with(lout, "{\"event\":\"forked\",\"epoch\":2,"));
	CHECK(strstr(lout, "\"lr\":0.05,") != NULL);
	wt_strip_elapsed(lout);
	CHECK(strchr(lout, '\n') &&
	      strcmp(strchr(lout, '\n') + 1, from_line(pout, "{\"epoch\":3,")) != 0);
	free(lout);
	/* a structural change cannot fork, nor can a missing file */
	snprintf(fmt, sizeof fmt, "{\"hidden\": [16, 9], \"seed\": 5, \"epochs\": 4,"
		 "\"dropout\": 0.1, \"fork_from\": \"%s\"}", kept);
	lout = run(fmt, &rc);
	CHECK(rc == WORKER_EXIT_CONFIG && lout[0] == '\0');
	free(lout);
	lout = run("{" BASE ", \"fork_from\": \"/nonexistent/ckpt\"}", &rc);
	CHECK(rc == WORKER_EXIT_IO && lout[0] == '\0');
	free(lout);
	free(pout);
	free(cout);
}

/* An adjusted trial stopped and resumed keeps its adjusted values: its curve
 * is the one of a trial configured with them, after the change it prints
 * again. */
static void test_adjust_resume(void)
{
	char json[8192];
	int rc;
	char *part1, *part2, *straight, *adj;

	part1 = run_ctl(with_ckpt(json, sizeof json, "{" BASE ", \"epochs\": 2, \"checkpoint\": "
				  "\"%s\"}", "adj.ckpt"),
			"{\"adjust\": {\"lr\": 0.004, \"batch\": 40}, \"id\": 1}\n", &rc);
	CHECK(rc == 0);
	CHECK_CONTAINS(part1, "\"adjusted\"");
	part2 = run(with_ckpt(json, sizeof json,
			      "{" BASE ", \"epochs\": 4, \"checkpoint\": \"%s\"}", "adj.ckpt"),
		    &rc);
	CHECK(rc == 0);
	CHECK(strncmp(part2, "{\"event\":\"resumed\",\"epoch\":2}\n", 30) == 0);
	straight = run("{" BASE0 ", \"lr\": 0.004, \"batch\": 40, \"epochs\": 4}", &rc);
	CHECK(rc == 0);
	wt_strip_elapsed(part2);
	wt_strip_elapsed(straight);
	/* after "resumed", the change printed again from its curve log (for a
	 * caviard that missed it), then the straight run's curve */
	adj = strchr(part2, '\n');
	CHECK(adj && strncmp(adj + 1, "{\"event\":\"adjusted\",\"id\":1,", 27) == 0);
	if (adj && strchr(adj + 1, '\n'))
		CHECK_STR(strchr(adj + 1, '\n') + 1, straight);
	free(part1);
	free(part2);
	free(straight);
}

/* A checkpoint of format 1 is refused with a message that says so. */
static void test_old_checkpoint(void)
{
	char path[PATH_MAX + 64], json[8192];
	uint32_t v1[2] = {1, 0x01020304u};
	int rc;
	char *out;
	FILE *f;

	tmp_path(path, dir, "v1.ckpt");
	f = fopen(path, "wb");
	fwrite("CAVCKPT", 1, 8, f);
	fwrite(v1, 4, 2, f);
	fclose(f);
	out = run(with_ckpt(json, sizeof json, "{" BASE ", \"checkpoint\": \"%s\"}", "v1.ckpt"),
		  &rc);
	CHECK(rc == WORKER_EXIT_IO && out[0] == '\0');
	free(out);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"config_errors", test_config_errors},
		{"config_read", test_config_read},
		{"config_hash", test_config_hash},
		{"learns", test_learns},
		{"deterministic", test_deterministic},
		{"resume_exact", test_resume_exact},
		{"diverged", test_diverged},
		{"report_every", test_report_every},
		{"splits_missing", test_splits_missing},
		{"odd_batches", test_odd_batches},
		{"stop", test_stop},
		{"bad_checkpoint", test_bad_checkpoint},
		{"adjust_next_step", test_adjust_next_step},
		{"adjust_refused", test_adjust_refused},
		{"fork", test_fork},
		{"adjust_resume", test_adjust_resume},
		{"old_checkpoint", test_old_checkpoint},
		{0},
	};
	int rc;

	blas_set_threads(1);
	wt_data(&D, 300, 60, 60, 8, 3);
	tmp_make(dir, sizeof dir, "caviar-train");
	rc = test_main(argc, argv, cases);
	tmp_remove(dir);
	wt_data_free(&D);
	return rc;
}
