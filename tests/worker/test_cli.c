/* test_cli: runs the real caviar-worker binary (argv[1]) end to end: --help,
 * --version, usage and configuration errors (message and exit code), a
 * training run on a tiny generated CSV data set through stdin and through a
 * file, a data error, divergence, a synthetic task, SIGTERM mid-run, and a
 * control line sent mid-run on the stdin caviard keeps open (task drift: the
 * lr lowered a decade midway beats every fixed lr). */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>

#include "exitcodes.h"
#include "hparams.h"
#include "wtest.h"

static const char *worker;
static char dir[128];

/* dir/name into out */
static const char *in_dir(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
	return out;
}

static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY);
	char *s = fd >= 0 ? tmp_slurp(fd) : NULL;

	if (fd >= 0)
		close(fd);
	return s;
}

/* Runs worker with args (NULL-terminated, at most 6) and stdin_text; returns
 * the exit status, stdout and stderr in *out and *err (caller frees). */
static int spawn(const char *const *args, const char *stdin_text, char **out, char **err)
{
	char pin[PATH_MAX + 16], pout[PATH_MAX + 16], perr[PATH_MAX + 16];
	const char *argv[8] = {worker};
	FILE *f;
	pid_t pid;
	int ws;

	for (int i = 0; args[i] && i < 6; i++)
		argv[i + 1] = args[i];
	f = fopen(in_dir(pin, sizeof pin, "stdin"), "w");
	fputs(stdin_text ? stdin_text : "", f);
	fclose(f);
	in_dir(pout, sizeof pout, "stdout");
	in_dir(perr, sizeof perr, "stderr");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		freopen(pin, "r", stdin);
		freopen(pout, "w", stdout);
		freopen(perr, "w", stderr);
		execv(worker, (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &ws, 0);
	*out = read_file(pout);
	*err = read_file(perr);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* Runs `--config -` with json on stdin. */
static int run_stdin(const char *json, char **out, char **err)
{
	static const char *const args[] = {"--config", "-", NULL};

	return spawn(args, json, out, err);
}

/* Writes a CSV of n rows (label, 4 features) from the blobs of wtest.h. */
static void write_csv(const char *name, int n, uint64_t seed)
{
	char path[PATH_MAX + 16];
	struct dataset ds;
	FILE *f = fopen(in_dir(path, sizeof path, name), "w");

	wt_dataset(&ds, n, 4, 3, seed);
	fprintf(f, "label,a,b,c,d\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "%d,%.6f,%.6f,%.6f,%.6f\n", ds.y[i], ds.x[i * 4], ds.x[i * 4 + 1],
			ds.x[i * 4 + 2], ds.x[i * 4 + 3]);
	fclose(f);
	wt_dataset_free(&ds);
}

/* A configuration training on the CSV files, with extra keys in front. */
static const char *csv_config(char *buf, size_t n, const char *extra)
{
	snprintf(buf, n,
		 "{%s\"hidden\": [8], \"batch\": 16, \"lr\": 0.01, \"data\": {\"dataset\": \"csv\","
		 "\"train_csv\": \"%s/train.csv\", \"test_csv\": \"%s/test.csv\","
		 "\"val_fraction\": 0.2, \"cache_dir\": \"%s/cache\"}}",
		 extra, dir, dir, dir);
	return buf;
}

static void test_help_version(void)
{
	static const char *const help[] = {"--help", NULL}, *const version[] = {"--version", NULL};
	char *out, *err;

	CHECK(spawn(help, NULL, &out, &err) == 0);
	CHECK_CONTAINS(out, "usage: caviar-worker --config FILE");
	CHECK_CONTAINS(out, "bn_momentum");
	free(out), free(err);
	CHECK(spawn(version, NULL, &out, &err) == 0);
	CHECK(strncmp(out, "caviar-worker ", 14) == 0);
	free(out), free(err);
}

static void test_usage_errors(void)
{
	static const char *const none[] = {NULL}, *const bogus[] = {"--frobnicate", NULL};
	static const char *const missing[] = {"--config", "/nonexistent/cfg.json", NULL};
	char *out, *err;

	CHECK(spawn(none, NULL, &out, &err) == WORKER_EXIT_CONFIG);
	CHECK_CONTAINS(err, "--config");
	CHECK_CONTAINS(err, "try 'caviar-worker --help'");
	free(out), free(err);
	CHECK(spawn(bogus, NULL, &out, &err) == WORKER_EXIT_CONFIG);
	CHECK_CONTAINS(err, "--frobnicate");
	free(out), free(err);
	CHECK(spawn(missing, NULL, &out, &err) == WORKER_EXIT_CONFIG);
	CHECK_CONTAINS(err, "/nonexistent/cfg.json");
	free(out), free(err);
}

static void test_config_errors(void)
{
	char *out, *err;

	CHECK(run_stdin("{\"lr\": -1}", &out, &err) == WORKER_EXIT_CONFIG);
	CHECK_STR(err, "caviar-worker: config: lr: expected a number > 0, got -1\n");
	CHECK_STR(out, "");
	free(out), free(err);
	CHECK(run_stdin("{\"epochs\": 3, \"learning_rate\": 0.1}", &out, &err) ==
	      WORKER_EXIT_CONFIG);
	CHECK_STR(err, "caviar-worker: config: learning_rate: unknown key\n");
	free(out), free(err);
	CHECK(run_stdin("{\"data\": {\"dataset\": \"parquet\"}}", &out, &err) ==
	      WORKER_EXIT_CONFIG);
	CHECK_CONTAINS(err, "caviar-worker: config: data.dataset: expected one of");
	free(out), free(err);
	CHECK(run_stdin("{\"lr\": 0.1,", &out, &err) == WORKER_EXIT_CONFIG);
	CHECK_CONTAINS(err, "invalid JSON");
	free(out), free(err);
}

/* The metrics of out's lines are exactly those hparams.h lists for task: the
 * table the spec check reads is the worker's own. */
static void check_metrics_of(const char *out, int task)
{
	unsigned seen = 0;
	const char *line = out;

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		cJSON *rec = cJSON_Parse(line), *v;

		cJSON_ArrayForEach(v, rec) {
			int m = 0;

			if (!cJSON_IsNumber(v) || !strcmp(v->string, "epoch") || !strcmp(v->string, "step"))
				continue;
			while (m < HP_N_METRIC && strcmp(v->string, hp_metric_names[m]) != 0)
				m++;
			CHECK(m < HP_N_METRIC && hp_task_reports(task, (enum hp_metric)m));
			if (m < HP_N_METRIC)
				seen |= 1u << m;
		}
		cJSON_Delete(rec);
	}
	for (int m = 0; m < HP_N_METRIC; m++)
		CHECK(!(seen & 1u << m) == !hp_task_reports(task, (enum hp_metric)m));
}

static void test_train_stdin(void)
{
	char json[PATH_MAX * 4];
	char *out, *err;

	CHECK(run_stdin(csv_config(json, sizeof json, "\"epochs\": 3, "), &out, &err) == 0);
	CHECK_STR(err, "");
	CHECK(wt_count_lines(out, "\"val_acc\"") == 3);
	CHECK(strncmp(out, "{\"epoch\":1,\"step\":", 18) == 0);
	CHECK_CONTAINS(out, "{\"epoch\":3,\"test_loss\":");
	check_metrics_of(out, HP_TASK_MLP);
	free(out), free(err);
}

static void test_train_file(void)
{
	static const char *args[3] = {"--config", NULL, NULL};
	char json[PATH_MAX * 4], path[PATH_MAX + 16];
	char *out, *err, *out2, *err2;
	FILE *f = fopen(in_dir(path, sizeof path, "cfg.json"), "w");

	fputs(csv_config(json, sizeof json, "\"epochs\": 2, \"dropout\": 0.1, "), f);
	fclose(f);
	args[1] = path;
	CHECK(spawn(args, NULL, &out, &err) == 0);
	CHECK(wt_count_lines(out, "\"train_acc\"") == 2);
	/* the same configuration on stdin gives the same curve */
	CHECK(run_stdin(json, &out2, &err2) == 0);
	wt_strip_elapsed(out);
	wt_strip_elapsed(out2);
	CHECK_STR(out, out2);
	free(out), free(err), free(out2), free(err2);
}

static void test_data_error(void)
{
	char json[PATH_MAX * 2];
	char *out, *err;

	snprintf(json, sizeof json, "{\"data\": {\"dataset\": \"csv\", \"train_csv\": "
		 "\"%s/missing.csv\", \"cache_dir\": \"%s/cache\"}}", dir, dir);
	CHECK(run_stdin(json, &out, &err) == WORKER_EXIT_DATA);
	CHECK_CONTAINS(err, "missing.csv");
	free(out), free(err);
}

static void test_diverged(void)
{
	char json[PATH_MAX * 4];
	char *out, *err;

	csv_config(json, sizeof json, "\"epochs\": 2, \"optimizer\": \"sgd\", "
		   "\"batch_norm\": false, \"lr\": 1e15, ");
	/* csv_config's own "lr" comes second: drop it to keep one lr */
	memcpy(strstr(json, "\"lr\": 0.01,"), "           ", 11);
	CHECK(run_stdin(json, &out, &err) == WORKER_EXIT_DIVERGED);
	CHECK_CONTAINS(out, "\"event\":\"diverged\"");
	free(out), free(err);
}

static void test_synthetic(void)
{
	char *out, *err;

	CHECK(run_stdin("{\"task\": \"trivial\", \"epochs\": 3}", &out, &err) == 0);
	CHECK(wt_count_lines(out, "\"epoch\"") >= 3);
	check_metrics_of(out, HP_TASK_TRIVIAL);
	free(out), free(err);
	CHECK(run_stdin("{\"task\": \"bowl\", \"epochs\": 2}", &out, &err) == 0);
	check_metrics_of(out, HP_TASK_BOWL);
	free(out), free(err);
}

/* Starts `worker --config -` with text on a stdin pipe left open (*in, as
 * caviard does) and its stdout on *out. Returns the pid, or -1. */
static pid_t start_live(const char *text, int *in, FILE **out)
{
	int inp[2], outp[2];
	pid_t pid;

	if (pipe(inp) < 0 || pipe(outp) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(inp[0], 0);
		dup2(outp[1], 1);
		close(inp[1]);
		close(outp[0]);
		execl(worker, worker, "--config", "-", (char *)NULL);
		_exit(127);
	}
	close(inp[0]);
	close(outp[1]);
	CHECK(write(inp[1], text, strlen(text)) == (ssize_t)strlen(text));
	*in = inp[1];
	*out = fdopen(outp[0], "r");
	return pid;
}

/* SIGTERM after the first epoch line: "stopped", exit 6, checkpoint resumable */
static void test_sigterm(void)
{
	char json[PATH_MAX * 4], extra[PATH_MAX + 128], line[4096];
	int in, ws;
	pid_t pid;
	FILE *f;
	char *rest;

	snprintf(extra, sizeof extra, "\"epochs\": 100000, \"checkpoint\": \"%s/sig.ckpt\", ", dir);
	csv_config(json, sizeof json, extra);
	pid = start_live(json, &in, &f);
	if (pid < 0)
		return;
	close(in);
	CHECK(fgets(line, sizeof line, f) != NULL);
	CHECK(strncmp(line, "{\"epoch\":1,", 11) == 0);
	kill(pid, SIGTERM);
	rest = tmp_slurp(fileno(f));
	fclose(f);
	waitpid(pid, &ws, 0);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == WORKER_EXIT_STOPPED);
	CHECK_CONTAINS(rest, "{\"event\":\"stopped\",\"epoch\":");
	free(rest);
	in_dir(line, sizeof line, "sig.ckpt");
	CHECK(access(line, F_OK) == 0);
}

/* The lowest "val_loss" in out. */
static double best_val_loss(const char *out)
{
	double best = INFINITY;

	for (const char *p = out; (p = strstr(p, "\"val_loss\":")) != NULL; p++)
		best = fmin(best, strtod(p + 11, NULL));
	return best;
}

/* Task drift with its config as the first line of a stdin left open: after
 * epoch 10 the test sends {"adjust": {"lr": 0.001}}. The answer comes once,
 * at the epoch training had reached, every later record has the new lr, and
 * the run beats every fixed lr of a grid at the same 20 epochs. */
static void test_adjust_live(void)
{
	char json[256], line[4096], *out, *err, *rest, *ev;
	double best_fixed = INFINITY;
	int in, ws, at = -1;
	pid_t pid;
	FILE *f;

	for (int i = 0; i <= 20; i++) {
		snprintf(json, sizeof json, "{\"task\": \"drift\", \"epochs\": 20, \"lr\": %.17g}",
			 pow(10.0, -1.5 - 0.1 * i));
		CHECK(run_stdin(json, &out, &err) == 0);
		best_fixed = fmin(best_fixed, best_val_loss(out));
		free(out), free(err);
	}
	pid = start_live("{\"task\": \"drift\", \"epochs\": 20, \"lr\": 0.01, \"epoch_ms\": 30}\n",
			 &in, &f);
	if (pid < 0)
		return;
	while (fgets(line, sizeof line, f) && strncmp(line, "{\"epoch\":10,", 12) != 0)
		;
	CHECK(strncmp(line, "{\"epoch\":10,", 12) == 0);
	CHECK(best_val_loss(line) > 0.0);
	snprintf(json, sizeof json, "{\"adjust\": {\"lr\": 0.001}, \"id\": 9}\n");
	CHECK(write(in, json, strlen(json)) == (ssize_t)strlen(json));
	rest = tmp_slurp(fileno(f));
	fclose(f);
	close(in);
	waitpid(pid, &ws, 0);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	CHECK(wt_count_lines(rest, "\"adjusted\"") == 1);
	ev = strstr(rest, "{\"event\":\"adjusted\",\"id\":9,\"epoch\":");
	CHECK(ev != NULL);
	if (ev) {
		at = atoi(ev + strlen("{\"event\":\"adjusted\",\"id\":9,\"epoch\":"));
		CHECK_CONTAINS(ev, "\"changes\":{\"lr\":[0.01,0.001]}}\n");
		/* every record after the answer has the new lr */
		CHECK(strstr(ev, "\"lr\":0.01,") == NULL);
		CHECK(wt_count_lines(ev, "\"lr\":0.001,") == 20 - at);
	}
	CHECK(at >= 10 && at < 20);
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "drift: adjusted after epoch %d; best %.4f, best fixed %.4f\n", at,
			best_val_loss(rest), best_fixed);
	/* the adjust may land an epoch or two late on a loaded machine: still ahead */
	CHECK(at > 12 || best_val_loss(rest) < 0.5 * best_fixed);
	free(rest);
}

/* The built-in worker mid-run: {"batch": 32} sent while it trains with batch
 * 1 is answered with the epoch and step it applies after, and the rest of
 * that epoch is cut into batches of 32 from the very next step: the epoch
 * ends ceil(rows left / 32) steps later. The new lr shows in its record. */
static void test_adjust_mlp(void)
{
	char json[PATH_MAX * 4], line[4096], *ev;
	int in, ws, epoch = -1;
	long step = -1, end = -1;
	pid_t pid;
	FILE *f;
	const int rows = 160; /* 200 rows, val_fraction 0.2 */

	csv_config(json, sizeof json, "\"epochs\": 100000, ");
	memcpy(strstr(json, "\"batch\": 16,"), "\"batch\":  1,", 12);
	strcat(json, "\n");
	pid = start_live(json, &in, &f);
	if (pid < 0)
		return;
	CHECK(fgets(line, sizeof line, f) != NULL);
	snprintf(line, sizeof line, "{\"adjust\": {\"batch\": 32, \"lr\": 0.002}, \"id\": 1}\n");
	CHECK(write(in, line, strlen(line)) == (ssize_t)strlen(line));
	while (fgets(line, sizeof line, f)) {
		if ((ev = strstr(line, "{\"event\":\"adjusted\",\"id\":1,")) != NULL)
			CHECK(sscanf(ev, "{\"event\":\"adjusted\",\"id\":1,\"epoch\":%d,"
				     "\"step\":%ld", &epoch, &step) == 2);
		else if (step >= 0 && sscanf(line, "{\"epoch\":%*d,\"step\":%ld", &end) == 1)
			break;
	}
	kill(pid, SIGTERM);
	close(in);
	free(tmp_slurp(fileno(f)));
	fclose(f);
	waitpid(pid, &ws, 0);
	/* the change came within epoch + 1: its steps so far, then batches of 32 */
	CHECK(epoch >= 1 && step - (long)epoch * rows >= 0 && step - (long)epoch * rows < rows);
	CHECK(end == step + (rows - (step - (long)epoch * rows) + 31) / 32);
	CHECK_CONTAINS(line, "\"lr\":0.002,");
}

#define ADJUSTED_1 "{\"event\":\"adjusted\",\"id\":1,\"epoch\":0,"

/* A configuration over two lines, then control lines: the lines after it
 * are answered at epoch 0; an invalid one ends where its brackets balance. */
static void test_stdin_lines(void)
{
	char *out, *err, *rest, path[PATH_MAX + 256];
	int in, ws;
	pid_t pid;
	FILE *f;

	CHECK(run_stdin("{\"task\": \"bowl\",\n \"epochs\": 2}\n{\"adjust\": {\"beta\": 0.99}, "
			"\"id\": 1}\n{\"adjust\": {\"layers\": 1}, \"id\": 2}\n", &out, &err) == 0);
	CHECK(strncmp(out, "{\"event\":\"adjusted\",\"id\":1,\"epoch\":0,\"step\":0,\"changes\":"
		      "{\"beta\":[0.9,0.99]}}\n", 77) == 0);
	CHECK_CONTAINS(out, "{\"event\":\"adjust_refused\",\"id\":2,\"error\":\"layers: not read "
		       "by task bowl, cannot change while training\"}");
	CHECK_STR(err, "");
	free(out), free(err);
	/* with a checkpoint, the change applied is kept in its curve log with the
	 * metrics (printed again at a resume, for a caviard that missed it) */
	snprintf(path, sizeof path, "{\"task\": \"bowl\", \"epochs\": 2, \"checkpoint\": "
		 "\"%s/adj.ckpt\"}\n{\"adjust\": {\"beta\": 0.99}, \"id\": 1}\n"
		 "{\"adjust\": {\"layers\": 1}, \"id\": 2}\n", dir);
	CHECK(run_stdin(path, &out, &err) == 0);
	free(out), free(err);
	snprintf(path, sizeof path, "%s/adj.ckpt.curve", dir);
	out = read_file(path);
	CHECK(out && strncmp(out, ADJUSTED_1, strlen(ADJUSTED_1)) == 0);
	CHECK(out && !strstr(out, "adjust_refused") && wt_count_lines(out, "\"epoch\":") == 3);
	free(out);
	/* an invalid configuration on a stdin left open: an error at once, not a
	 * wait for more */
	pid = start_live("{\"task\": \"bowl\", \"note\": \"}{\", \"epochs\": x}\n", &in, &f);
	if (pid < 0)
		return;
	rest = tmp_slurp(fileno(f));
	fclose(f);
	waitpid(pid, &ws, 0);
	close(in);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == WORKER_EXIT_CONFIG);
	CHECK_STR(rest, "");
	free(rest);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"help_version", test_help_version},
		{"usage_errors", test_usage_errors},
		{"config_errors", test_config_errors},
		{"train_stdin", test_train_stdin},
		{"train_file", test_train_file},
		{"data_error", test_data_error},
		{"diverged", test_diverged},
		{"synthetic", test_synthetic},
		{"sigterm", test_sigterm},
		{"adjust_live", test_adjust_live},
		{"adjust_mlp", test_adjust_mlp},
		{"stdin_lines", test_stdin_lines},
		{0},
	};
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: test_cli PATH-TO-caviar-worker [CASE]\n");
		return 1;
	}
	worker = argv[1];
	tmp_make(dir, sizeof dir, "caviar-cli");
	write_csv("train.csv", 200, 1);
	write_csv("test.csv", 50, 3);
	rc = test_main(argc - 1, argv + 1, cases);
	tmp_remove(dir);
	return rc;
}
