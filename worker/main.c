/* caviar-worker: trains one trial and streams its learning curve as JSON lines
 * on stdout (report.h). The daemon forks it with the trial configuration as
 * the first line of stdin (--config -) and keeps stdin open for control lines
 * (control.h); errors go to stderr and the exit code says what happened
 * (exitcodes.h). Task "mlp" trains the network on the data set (train.h); the
 * synthetic tasks run synth.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "blas.h"
#include "control.h"
#include "data.h"
#include "errbuf.h"
#include "exitcodes.h"
#include "hparams.h"
#include "stop.h"
#include "synth.h"
#include "train.h"
#include "xalloc.h"

#ifndef CAVIAR_VERSION /* meson passes the project version */
#define CAVIAR_VERSION "unknown"
#endif
#define PROG "caviar-worker"

static void print_table(FILE *f, const struct hparam *table, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %s%-16s %-14s %s\n", prefix, table[i].name,
			table[i].def ? table[i].def : "(unset)", table[i].doc);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " --config FILE   (FILE '-' reads standard input)\n"
		   "       " PROG " --help | --version\n\n"
		   "Trains one trial described by a JSON object of hyperparameters plus a\n"
		   "\"data\" object, printing one JSON line per epoch.\n\n"
		   "hyperparameters (name, default, meaning):\n");
	print_table(f, hparams, n_hparams, "");
	fprintf(f, "\ndata keys:\n");
	print_table(f, data_keys, n_data_keys, "");
	fprintf(f, "\nexit codes: 0 ok, %d config, %d data, %d diverged, %d i/o, %d stopped\n",
		WORKER_EXIT_CONFIG, WORKER_EXIT_DATA, WORKER_EXIT_DIVERGED, WORKER_EXIT_IO,
		WORKER_EXIT_STOPPED);
}

/* Reads all of f into a malloc'd NUL-terminated string (the caller frees). */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0, got;
	char *buf = xmalloc(cap);

	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parses and checks the configuration at path ("-": the first JSON object on
 * stdin) and opens ctl on stdin for the control lines after it. Returns the
 * object (the caller deletes it) or NULL with a message in err. */
static cJSON *load_config(const char *path, struct control *ctl, char *err, size_t errlen)
{
	int from_stdin = strcmp(path, "-") == 0;
	FILE *f = from_stdin ? NULL : fopen(path, "rb");
	size_t len = 0;
	const char *end = NULL;
	char *text;
	cJSON *cfg;

	if (!from_stdin && !f) {
		err_set(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (from_stdin) {
		text = control_read_config(ctl, STDIN_FILENO, &len);
	} else {
		text = read_all(f, &len);
		fclose(f);
		control_open(ctl, STDIN_FILENO);
	}
	if (!text) {
		err_set(err, errlen, "%s: read error", path);
		return NULL;
	}
	/* the error position comes back through `end`: cJSON_GetErrorPtr is a
	 * global, not thread-safe */
	cfg = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!cfg) {
		err_set(err, errlen, "%s: invalid JSON at byte %ld", path,
			end ? (long)(end - text) : -1L);
	} else if (train_config_check(cfg, err, errlen) < 0) {
		cJSON_Delete(cfg);
		cfg = NULL;
	}
	free(text);
	return cfg;
}

/* Task "mlp": data, then training. */
static int run_mlp(const cJSON *cfg, struct control *ctl, char *err, size_t errlen)
{
	struct train_config tc;
	struct data d;
	int rc;

	memset(&d, 0, sizeof d);
	train_config_init(&tc, cfg);
	if (blas_open(err, errlen) < 0)
		return WORKER_EXIT_INTERNAL;
	blas_set_threads(tc.threads);
	rc = data_load(&d, cJSON_GetObjectItemCaseSensitive(cfg, "data"), err, errlen);
	if (rc == 0)
		rc = train_run(&tc, &d, ctl, err, errlen);
	data_unload(&d);
	train_config_finish(&tc);
	return rc;
}

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, PROG ": %s%s\ntry '" PROG " --help'\n", msg, arg ? arg : "");
	return WORKER_EXIT_CONFIG;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	char err[ERRBUF_LEN] = "";
	struct control ctl = {.fd = -1};
	cJSON *cfg;
	int rc;

	xalloc_cjson_hooks();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return WORKER_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf(PROG " " CAVIAR_VERSION "\n");
			return WORKER_EXIT_OK;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			path = argv[i] + 9;
		} else {
			return bad_usage("unknown option or missing value: ", argv[i]);
		}
	}
	if (!path)
		return bad_usage("option --config: expected a file name or '-'", NULL);
	stop_install();
	stop_follow_parent();
	cfg = load_config(path, &ctl, err, sizeof err);
	if (!cfg) {
		fprintf(stderr, PROG ": config: %s\n", err);
		control_finish(&ctl);
		return WORKER_EXIT_CONFIG;
	}
	if (synth_is_task(HP_STR(cfg, "task")))
		rc = synth_run(cfg, &ctl, err, sizeof err);
	else
		rc = run_mlp(cfg, &ctl, err, sizeof err);
	if (rc != WORKER_EXIT_OK && err[0])
		fprintf(stderr, PROG ": %s\n", err);
	control_finish(&ctl);
	cJSON_Delete(cfg);
	return rc;
}
