/* test_synth: the synthetic tasks: optima where synth.c's formulas put them,
 * decreasing curves that approach the target, determinism, the trivial task's
 * speed, epoch_ms, checkpoint resume and the graceful stop on SIGTERM; then
 * adjust (control lines), fork_from and keep_epochs, and task drift, where a
 * schedule beats every fixed lr. Each run happens in a forked child whose
 * stdout is captured. */
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "report.h"
#include "stop.h"
#include "synth.h"
#include "test.h"
#include "tmpdir.h"

#define MAX_RECS 2048

static char root[PATH_MAX];

/* A run with control lines: the configuration and what stdin holds. */
struct ctl_job {
	const cJSON *cfg;
	const char *control;
};

static int run_ctl_child(void *arg)
{
	struct ctl_job *j = arg;
	struct control ctl;
	char err[512] = "";
	int fds[2], rc;

	CHECK(pipe(fds) == 0);
	CHECK(write(fds[1], j->control, strlen(j->control)) == (ssize_t)strlen(j->control));
	close(fds[1]);
	control_open(&ctl, fds[0]);
	rc = synth_run(j->cfg, &ctl, err, sizeof err);
	if (err[0])
		fprintf(stderr, "synth_run: %d: %s\n", rc, err);
	control_finish(&ctl);
	close(fds[0]);
	return rc;
}

static int run_child(void *arg)
{
	char err[512] = "";
	int rc;

	stop_install();
	rc = synth_run(arg, NULL, err, sizeof err);
	if (err[0])
		fprintf(stderr, "synth_run: %d: %s\n", rc, err);
	return rc;
}

/* Runs synth_run(cfg) in a child; returns its output (malloc'd) and status. */
static char *run(const cJSON *cfg, int *status)
{
	return tmp_capture(run_child, (void *)cfg, status);
}

/* Parses out's lines into recs (caller deletes them); returns how many. */
static int parse(const char *out, cJSON **recs, int max)
{
	int n = 0;

	for (const char *p = out; p && *p && n < max;) {
		const char *nl = strchr(p, '\n');
		char *line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));

		recs[n] = cJSON_Parse(line);
		CHECK(recs[n] != NULL);
		free(line);
		if (recs[n])
			n++;
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

static void free_recs(cJSON **recs, int n)
{
	for (int i = 0; i < n; i++)
		cJSON_Delete(recs[i]);
}

static double num(const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* out without the elapsed fields, one record a line (malloc'd). */
static char *strip_elapsed(const char *out)
{
	cJSON *recs[MAX_RECS];
	int n = parse(out, recs, MAX_RECS);
	size_t cap = 64, len = 0;
	char *all = calloc(1, cap);

	for (int i = 0; i < n; i++) {
		char *line;
		size_t l;

		cJSON_DeleteItemFromObject(recs[i], "elapsed");
		line = cJSON_PrintUnformatted(recs[i]);
		l = strlen(line);
		while (cap < len + l + 2)
			all = realloc(all, cap *= 2);
		memcpy(all + len, line, l);
		len += l;
		all[len++] = '\n';
		all[len] = '\0';
		free(line);
	}
	free_recs(recs, n);
	return all;
}

static cJSON *cfg_new(const char *task, double lr, double beta, int epochs)
{
	cJSON *cfg = cJSON_CreateObject();

	cJSON_AddStringToObject(cfg, "task", task);
	cJSON_AddNumberToObject(cfg, "lr", lr);
	cJSON_AddNumberToObject(cfg, "beta", beta);
	cJSON_AddNumberToObject(cfg, "epochs", epochs);
	cJSON_AddNumberToObject(cfg, "seed", 42);
	return cfg;
}

static double target(const char *task, double lr, double beta, double eps)
{
	cJSON *cfg = cfg_new(task, lr, beta, 1);
	double q;

	cJSON_AddNumberToObject(cfg, "eps", eps);
	q = synth_target_loss(cfg);
	cJSON_Delete(cfg);
	return q;
}

static void test_is_task(void)
{
	CHECK(synth_is_task("bowl") && synth_is_task("narrow") && synth_is_task("trivial"));
	CHECK(synth_is_task("drift"));
	CHECK(!synth_is_task("mlp") && !synth_is_task("") && !synth_is_task(NULL));
}

static void test_optima(void)
{
	double lr = pow(10, -2.5), beta = 1 - pow(10, -1.5), nlr = pow(10, -3.3);
	cJSON *defaults = cJSON_CreateObject();

	CHECK_NEAR(target("bowl", lr, beta, 1e-8), 0.0, 1e-12);
	CHECK(target("bowl", lr * 1.3, beta, 1e-8) > 0.01);
	CHECK(target("bowl", lr / 1.3, beta, 1e-8) > 0.01);
	CHECK(target("bowl", lr, 0.9, 1e-8) > 0.2);
	CHECK_NEAR(target("bowl", lr, beta, 1e-6), 0.004, 1e-9); /* eps barely matters */
	CHECK_NEAR(target("bowl", 1e-3, 0.9, 1e-8), 0.5, 1e-9);
	cJSON_AddStringToObject(defaults, "task", "bowl"); /* lr 0.001, beta 0.9, eps 1e-8 */
	CHECK_NEAR(synth_target_loss(defaults), 0.5, 1e-9);
	cJSON_Delete(defaults);

	CHECK_NEAR(target("narrow", nlr, 0.9, 1e-8), 0.0, 1e-12);
	CHECK(target("narrow", nlr * 1.25, 0.9, 1e-8) > 0.6);
	CHECK(target("narrow", nlr / 1.25, 0.9, 1e-8) > 0.6);
	CHECK(target("narrow", 1e-2, 0.9, 1e-8) > 0.999);
	CHECK_NEAR(target("narrow", nlr, 0.99, 1e-8), 0.1, 1e-9);
	CHECK_NEAR(target("trivial", 0.25, 0.9, 1e-8), 0.8, 1e-12);
}

/* Runs task at (lr, beta) for epochs and checks the curve's shape. */
static void check_curve(const char *task, double lr, double beta)
{
	enum { EPOCHS = 30 };
	cJSON *cfg = cfg_new(task, lr, beta, EPOCHS), *recs[MAX_RECS];
	double q = synth_target_loss(cfg), prev_val = INFINITY, prev_train = INFINITY;
	int status, n;
	char *out = run(cfg, &status);

	CHECK(status == WORKER_EXIT_OK);
	n = parse(out, recs, MAX_RECS);
	CHECK(n == EPOCHS);
	for (int i = 0; i < n; i++) {
		double val = num(recs[i], "val_loss"), train = num(recs[i], "train_loss");

		CHECK(num(recs[i], "epoch") == i + 1 && num(recs[i], "step") == 100 * (i + 1));
		CHECK(val < prev_val && train < prev_train && train < val);
		CHECK_NEAR(num(recs[i], "val_acc"), exp(-val), 1e-12);
		CHECK_NEAR(num(recs[i], "lr"), lr, 1e-15);
		CHECK(num(recs[i], "elapsed") >= 0);
		prev_val = val;
		prev_train = train;
	}
	CHECK_NEAR(prev_val, q, 1e-3 * (1 + q));
	free_recs(recs, n);
	free(out);
	cJSON_Delete(cfg);
}

static void test_curves(void)
{
	check_curve("bowl", pow(10, -2.5), 1 - pow(10, -1.5));
	check_curve("bowl", 0.5, 0.999);
	check_curve("narrow", pow(10, -3.3), 0.9);
	check_curve("narrow", 1e-5, 0.95);
}

static void test_deterministic(void)
{
	cJSON *cfg = cfg_new("bowl", 0.01, 0.95, 20);
	int s1, s2, s3;
	char *a = run(cfg, &s1), *b = run(cfg, &s2), *c, *sa = strip_elapsed(a),
	     *sb = strip_elapsed(b), *sc;

	cJSON_ReplaceItemInObject(cfg, "seed", cJSON_CreateNumber(43));
	c = run(cfg, &s3);
	sc = strip_elapsed(c);
	CHECK(s1 == 0 && s2 == 0 && s3 == 0);
	CHECK(strlen(sa) > 100);
	CHECK_STR(sa, sb);
	CHECK(strcmp(sa, sc) != 0);
	free(a), free(b), free(c), free(sa), free(sb), free(sc);
	cJSON_Delete(cfg);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void test_trivial(void)
{
	cJSON *cfg = cfg_new("trivial", 0.25, 0.9, 1000), *recs[MAX_RECS];
	double t0 = now_s();
	int status, n;
	char *out;

	cJSON_AddNumberToObject(cfg, "epoch_ms", 1000); /* ignored by trivial */
	out = run(cfg, &status);
	CHECK(status == 0);
	CHECK(now_s() - t0 < 5.0);
	n = parse(out, recs, MAX_RECS);
	CHECK(n == 1000);
	for (int i = 0; i < n; i++)
		CHECK(num(recs[i], "val_loss") == 0.8 && num(recs[i], "epoch") == i + 1);
	free_recs(recs, n);
	free(out);
	cJSON_Delete(cfg);
}

static void test_epoch_ms(void)
{
	cJSON *cfg = cfg_new("bowl", 0.01, 0.9, 3), *recs[8];
	double t0 = now_s();
	int status, n;
	char *out;

	cJSON_AddNumberToObject(cfg, "epoch_ms", 60);
	out = run(cfg, &status);
	CHECK(status == 0 && now_s() - t0 >= 0.18);
	n = parse(out, recs, 8);
	CHECK(n == 3 && num(recs[2], "elapsed") >= 0.17);
	free_recs(recs, n);
	free(out);
	cJSON_Delete(cfg);
}

static int read_ckpt(const char *path)
{
	FILE *f = fopen(path, "r");
	int e = -1;

	if (f) {
		CHECK(fscanf(f, "caviar-synth-checkpoint 2 task %*s epoch %d", &e) == 1);
		fclose(f);
	}
	return e;
}

static void test_resume(void)
{
	char ck[PATH_MAX];
	cJSON *cfg = cfg_new("bowl", 0.02, 0.9, 5);
	int status;
	char *full, *first, *rest, *sfull, *srest;

	cJSON_AddStringToObject(cfg, "checkpoint", tmp_path(ck, root, "resume.ckpt"));
	first = run(cfg, &status);
	CHECK(status == 0 && read_ckpt(ck) == 5);
	cJSON_ReplaceItemInObject(cfg, "epochs", cJSON_CreateNumber(8));
	rest = run(cfg, &status);
	CHECK(status == 0 && read_ckpt(ck) == 8);
	cJSON_DeleteItemFromObject(cfg, "checkpoint");
	full = run(cfg, &status);
	sfull = strip_elapsed(full);
	srest = strip_elapsed(rest);
	/* the resumed run prints the event, then epochs 1..5 again (the daemon may
	 * have missed the last ones) and 6..8: exactly the full run */
	CHECK(strncmp(srest, "{\"event\":\"resumed\",\"epoch\":5}\n", 30) == 0);
	CHECK_STR(srest + 30, sfull);
	free(first), free(rest), free(full), free(sfull), free(srest);
	cJSON_Delete(cfg);
}

static void test_bad_checkpoint(void)
{
	char ck[PATH_MAX];
	cJSON *cfg = cfg_new("bowl", 0.02, 0.9, 5);
	FILE *f = fopen(tmp_path(ck, root, "bad.ckpt"), "w");
	int status;
	char *out;

	fputs("something else\n", f);
	fclose(f);
	cJSON_AddStringToObject(cfg, "checkpoint", ck);
	out = run(cfg, &status);
	CHECK(status == WORKER_EXIT_IO && out[0] == '\0');
	free(out);
	/* adjusted values the rules refuse, or of a name the task does not read */
	for (int i = 0; i < 2; i++) {
		f = fopen(ck, "w");
		fprintf(f, "caviar-synth-checkpoint 2 task bowl epoch 2 progress 2 seed 42 "
			"values %s\n", i ? "{\"units\": 5}" : "{\"lr\": -1}");
		fclose(f);
		out = run(cfg, &status);
		CHECK(status == WORKER_EXIT_IO && out[0] == '\0');
		free(out);
	}
	/* format 1 is still read: epoch 2, the configuration's values */
	f = fopen(ck, "w");
	fputs("caviar-synth-checkpoint 1 epoch 2\n", f);
	fclose(f);
	out = run(cfg, &status);
	CHECK(status == 0 && strncmp(out, "{\"event\":\"resumed\",\"epoch\":2}\n", 30) == 0);
	free(out);
	cJSON_Delete(cfg);
}

/* Starts a run, sends SIGTERM after three records, returns the output. */
static char *run_and_stop(const cJSON *cfg, int *status)
{
	int fds[2], ws = 0, lines = 0;
	char buf[4096], *out = calloc(1, 1 << 16);
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		_exit(run_child((void *)cfg));
	}
	close(fds[1]);
	while ((r = read(fds[0], buf, sizeof buf)) > 0 && len + (size_t)r < (1 << 16) - 1) {
		memcpy(out + len, buf, (size_t)r);
		len += (size_t)r;
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] == '\n' && ++lines == 3)
				kill(pid, SIGTERM);
	}
	close(fds[0]);
	waitpid(pid, &ws, 0);
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return out;
}

static void test_stop(void)
{
	char ck[PATH_MAX];
	cJSON *cfg = cfg_new("bowl", 0.02, 0.9, 100), *recs[MAX_RECS];
	int status, n, e;
	char *out;

	cJSON_AddNumberToObject(cfg, "epoch_ms", 30);
	cJSON_AddStringToObject(cfg, "checkpoint", tmp_path(ck, root, "stop.ckpt"));
	out = run_and_stop(cfg, &status);
	CHECK(status == WORKER_EXIT_STOPPED);
	n = parse(out, recs, MAX_RECS);
	CHECK(n >= 4 && n < 100);
	e = n >= 2 ? (int)num(recs[n - 2], "epoch") : -1;
	CHECK(n >= 1 && str(recs[n - 1], "event") && strcmp(str(recs[n - 1], "event"), "stopped") == 0);
	CHECK(n >= 1 && num(recs[n - 1], "epoch") == e);
	CHECK(read_ckpt(ck) == e);
	free_recs(recs, n);
	free(out);

	cJSON_ReplaceItemInObject(cfg, "epoch_ms", cJSON_CreateNumber(0));
	out = run(cfg, &status);
	CHECK(status == 0);
	n = parse(out, recs, MAX_RECS);
	CHECK(n == 1 + 100); /* the event, the e epochs again, the rest */
	CHECK(n > 1 && str(recs[0], "event") && num(recs[0], "epoch") == e);
	CHECK(n > e + 1 && num(recs[1], "epoch") == 1 && num(recs[e + 1], "epoch") == e + 1);
	free_recs(recs, n);
	free(out);
	cJSON_Delete(cfg);
}

static void test_not_synth(void)
{
	cJSON *cfg = cfg_new("mlp", 0.01, 0.9, 3);
	char err[256] = "";

	CHECK(synth_run(cfg, NULL, err, sizeof err) == WORKER_EXIT_CONFIG);
	CHECK_CONTAINS(err, "mlp");
	cJSON_Delete(cfg);
}

/* The lowest val_loss of the records in out. */
static double best_val_loss(const char *out)
{
	cJSON *recs[MAX_RECS];
	int n = parse(out, recs, MAX_RECS);
	double best = INFINITY;

	for (int i = 0; i < n; i++)
		if (num(recs[i], "val_loss") < best)
			best = num(recs[i], "val_loss");
	free_recs(recs, n);
	return best;
}

#define ADJUSTED_4 "{\"event\":\"adjusted\",\"id\":4,\"epoch\":0,\"step\":0," \
		   "\"changes\":{\"lr\":[0.02,0.003]}}\n"

/* A line given before the first epoch is answered once, at epoch 0, with
 * [old, new]; a name the task does not read is refused. The adjusted values
 * are in the checkpoint: the resumed run is the one configured with them,
 * after the change it prints again from its curve log. */
static void test_adjust(void)
{
	char ck[PATH_MAX];
	cJSON *cfg = cfg_new("bowl", 0.02, 0.9, 3), *ref = cfg_new("bowl", 0.003, 0.9, 6);
	struct ctl_job j = {cfg, "{\"adjust\": {\"lr\": 0.003}, \"id\": 4}\n"
				 "{\"adjust\": {\"units\": 5}, \"id\": 5}\n"};
	int status;
	char *first, *rest, *full, *srest, *sfull;

	cJSON_AddStringToObject(cfg, "checkpoint", tmp_path(ck, root, "adjust.ckpt"));
	first = tmp_capture(run_ctl_child, &j, &status);
	CHECK(status == 0);
	CHECK(strncmp(first, ADJUSTED_4, strlen(ADJUSTED_4)) == 0);
	CHECK_CONTAINS(first, "{\"event\":\"adjust_refused\",\"id\":5,\"error\":\"units: not "
		       "read by task bowl, cannot change while training\"}\n");
	CHECK_CONTAINS(first, "\"lr\":0.003,");
	cJSON_ReplaceItemInObject(cfg, "epochs", cJSON_CreateNumber(6));
	rest = run(cfg, &status);
	CHECK(status == 0);
	full = run(ref, &status);
	srest = strip_elapsed(rest);
	sfull = strip_elapsed(full);
	CHECK(strncmp(srest, "{\"event\":\"resumed\",\"epoch\":3}\n", 30) == 0);
	/* then the change, printed again from the curve log, and the curve */
	CHECK(strncmp(srest + 30, ADJUSTED_4, strlen(ADJUSTED_4)) == 0);
	if (strlen(srest) > 30 + strlen(ADJUSTED_4))
		CHECK_STR(srest + 30 + strlen(ADJUSTED_4), sfull);
	free(first), free(rest), free(full), free(srest), free(sfull);
	cJSON_Delete(cfg);
	cJSON_Delete(ref);
}

/* drift: every fixed lr of a fine grid against the schedule that lowers lr
 * by a decade midway, here through a fork of epoch 10 (what PBT does; the
 * worker test does it by adjust). keep_epochs keeps every epoch; a fork with
 * no change reproduces the parent's epochs 11.. exactly. */
#define FORKED_10 "{\"event\":\"forked\",\"epoch\":10,\"step\":1000}\n"

static void test_drift(void)
{
	char ck[PATH_MAX], kept[PATH_MAX + 32];
	cJSON *parent = cfg_new("drift", 0.01, 0.9, 20), *child;
	double best_fixed = INFINITY, best_schedule;
	struct stat st;
	int status;
	char *pout, *cout, *spout, *scout, *p11;

	for (int i = 0; i <= 40; i++) {
		cJSON *cfg = cfg_new("drift", pow(10.0, -1.5 - 0.05 * i), 0.9, 20);
		char *out = run(cfg, &status);
		double b = best_val_loss(out);
		CHECK(status == 0);
		if (b < best_fixed)
			best_fixed = b;
		free(out);
		cJSON_Delete(cfg);
	}
	cJSON_AddStringToObject(parent, "checkpoint", tmp_path(ck, root, "drift.ckpt"));
	cJSON_AddTrueToObject(parent, "keep_epochs");
	pout = run(parent, &status);
	CHECK(status == 0);
	for (int k = 1; k <= 20; k++) {
		snprintf(kept, sizeof kept, "%s.epoch-%d", ck, k);
		CHECK(stat(kept, &st) == 0);
	}
	snprintf(kept, sizeof kept, "%s.epoch-10", ck);
	child = cfg_new("drift", 0.01, 0.9, 20);
	cJSON_AddStringToObject(child, "fork_from", kept);
	cout = run(child, &status);
	CHECK(status == 0);
	spout = strip_elapsed(pout);
	scout = strip_elapsed(cout);
	p11 = strstr(spout, "{\"epoch\":11,");
	CHECK(strncmp(scout, FORKED_10, strlen(FORKED_10)) == 0);
	CHECK(p11 != NULL);
	if (p11)
		CHECK_STR(scout + strlen(FORKED_10), p11);
	free(cout), free(scout);
	/* the schedule: epochs 1..10 at 10^-2, then 10^-3 */
	cJSON_ReplaceItemInObject(child, "lr", cJSON_CreateNumber(0.001));
	cout = run(child, &status);
	CHECK(status == 0);
	if (p11)
		*p11 = '\0';
	best_schedule = fmin(best_val_loss(spout), best_val_loss(cout));
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "drift: best fixed lr %.4f, schedule %.4f\n", best_fixed,
			best_schedule);
	CHECK(best_schedule < 0.5 * best_fixed);
	free(cout);
	/* a checkpoint of another task is no start for a fork */
	cJSON_ReplaceItemInObject(child, "task", cJSON_CreateString("bowl"));
	cout = run(child, &status);
	CHECK(status == WORKER_EXIT_CONFIG && cout[0] == '\0');
	free(cout), free(pout), free(spout);
	cJSON_Delete(parent);
	cJSON_Delete(child);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"is_task", test_is_task},
		{"optima", test_optima},
		{"curves", test_curves},
		{"deterministic", test_deterministic},
		{"trivial", test_trivial},
		{"epoch_ms", test_epoch_ms},
		{"resume", test_resume},
		{"bad_checkpoint", test_bad_checkpoint},
		{"stop", test_stop},
		{"not_synth", test_not_synth},
		{"adjust", test_adjust},
		{"drift", test_drift},
		{0},
	};
	int rc;

	tmp_make(root, sizeof root, "caviar-test-synth");
	rc = test_main(argc, argv, cases);
	tmp_remove(root);
	return rc;
}
