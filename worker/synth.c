/* synth: synthetic tasks with known optima that emit learning curves like a
 * real training run (see synth.h).
 *
 * For epoch e = 1..epochs every task emits one record
 *   {"epoch": e, "step": 100 e, "train_loss", "val_loss", "val_acc", "lr", "elapsed"}
 * with val_acc = exp(-val_loss), lr the configured lr and elapsed the seconds
 * since synth_run started. Let L = log10(lr), B = log10(1 - beta) and
 * E = log10(eps), absent keys taking the hparams defaults (lr 0.001, beta 0.9,
 * eps 1e-8); every other hyperparameter is ignored.
 *
 *   bowl:    q = (L + 2.5)^2 + (B + 1.5)^2 + 0.001 (E + 8)^2
 *            optimum q = 0 at lr = 10^-2.5 ~ 0.00316, beta = 1 - 10^-1.5 ~ 0.9684,
 *            eps = 1e-8 (eps barely matters).
 *   narrow:  q = 1 - exp(-((L + 3.3) / 0.08)^2) + 0.1 (B + 1)^2
 *            optimum q = 0 at lr = 10^-3.3 ~ 0.000501, beta = 0.9; wherever
 *            |L + 3.3| > 0.08 (lr off by more than ~20%), q > 0.63.
 *   branin, hartmann6, rosenbrock, cond: q = f(x1..x6, optimizer) - f*, the
 *            regret of the test function of common/testfn.h at the trial's
 *            params (the formulas and optima are there).
 *   bowl, narrow and the test functions share the curve, with d(e) = exp(-e / 3):
 *            val_loss(e)   = q + (1 + q) d(e) + 0.01 d(e) u1
 *            train_loss(e) = 0.95 (q + (1 + q) d(e)) + 0.01 d(e) u2
 *            u1, u2 uniform in [-1, 1), the first two draws of rng_seed(rng_derive(seed, e)).
 *            The noise is smaller than the epoch-to-epoch decrease, so both curves
 *            decrease strictly, train_loss < val_loss, and val_loss -> q.
 *   trivial: train_loss = val_loss = 1 / (1 + lr) at every epoch, emitted at once
 *            (epoch_ms is ignored); its target is 1 / (1 + lr).
 * synth_target_loss returns q (or 1 / (1 + lr)). The curve is a pure function of
 * (cfg, seed, e). A resumed run prints the records up to its checkpoint again
 * (from the curve kept beside it), then the rest: the same lines as an
 * uninterrupted run, elapsed aside.
 *
 * Checkpoint file (the `checkpoint` hyperparameter): one line
 * "caviar-synth-checkpoint 1 epoch E\n", replaced atomically after the first
 * epoch, then at most once a second, after the last epoch and at a stop. */
#include "synth.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errbuf.h"
#include "exitcodes.h"
#include "hparams.h"
#include "report.h"
#include "rng.h"
#include "stop.h"
#include "testfn.h"

#define CKPT_FORMAT "caviar-synth-checkpoint 1 epoch %d\n"
#define SLICE_MS 10 /* sleeping granularity: how fast a stop request is seen */

struct synth {
	int task;         /* enum hp_task */
	const char *ckpt; /* checkpoint path or NULL */
	double q;         /* target loss */
	double lr;
	uint64_t seed;
	int epochs;
	int epoch_ms;
	struct timespec t0;
	struct report_log log; /* the records so far, saved beside the checkpoint */
	double last_save;      /* when the checkpoint was last saved (monotonic) */
};

#define SAVE_EVERY 1.0 /* seconds between checkpoints (and at the end, and at a stop) */

int synth_is_task(const char *task)
{
	int i = hparam_choice(hparam_find(hparams, n_hparams, "task"), task);

	return i == HP_TASK_TRIVIAL || i == HP_TASK_BOWL || i == HP_TASK_NARROW ||
	       testfn_find(task) != NULL;
}

static double sq(double x)
{
	return x * x;
}

double synth_target_loss(const cJSON *cfg)
{
	int task = HP_CHOICE(cfg, "task");
	double L = log10(HP_NUM(cfg, "lr"));
	double B = log10(1.0 - HP_NUM(cfg, "beta"));
	double E = log10(HP_NUM(cfg, "eps"));
	const struct testfn *t = testfn_find(HP_STR(cfg, "task"));

	if (t)
		return testfn_regret(t, cfg);
	if (task == HP_TASK_BOWL)
		return sq(L + 2.5) + sq(B + 1.5) + 0.001 * sq(E + 8.0);
	if (task == HP_TASK_NARROW)
		return 1.0 - exp(-sq((L + 3.3) / 0.08)) + 0.1 * sq(B + 1.0);
	return 1.0 / (1.0 + HP_NUM(cfg, "lr"));
}

/* The losses of epoch e (see the formulas above). */
static void synth_curve(const struct synth *s, int e, double *train_loss, double *val_loss)
{
	struct rng r;
	double d = exp(-e / 3.0), u1, u2;

	if (s->task == HP_TASK_TRIVIAL) {
		*train_loss = *val_loss = s->q;
		return;
	}
	rng_seed(&r, rng_derive(s->seed, (uint64_t)e));
	u1 = 2.0 * rng_uniform(&r) - 1.0;
	u2 = 2.0 * rng_uniform(&r) - 1.0;
	*val_loss = s->q + (1.0 + s->q) * d + 0.01 * d * u1;
	*train_loss = 0.95 * (s->q + (1.0 + s->q) * d) + 0.01 * d * u2;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void synth_emit(struct synth *s, int e)
{
	cJSON *rec = report_record(e, 100L * e);
	double train_loss, val_loss;

	synth_curve(s, e, &train_loss, &val_loss);
	report_add(rec, hp_metric_names[HP_METRIC_TRAIN_LOSS], train_loss);
	report_add(rec, hp_metric_names[HP_METRIC_VAL_LOSS], val_loss);
	report_add(rec, hp_metric_names[HP_METRIC_VAL_ACC], exp(-val_loss));
	report_add(rec, hp_metric_names[HP_METRIC_LR], s->lr);
	report_add(rec, hp_metric_names[HP_METRIC_ELAPSED], elapsed(&s->t0));
	report_emit_logged(&s->log, rec);
}

/* Sleeps ms milliseconds in short slices; returns 1 as soon as a stop is
 * requested, else 0. */
static int synth_sleep(int ms)
{
	while (ms > 0) {
		int slice = ms < SLICE_MS ? ms : SLICE_MS;
		struct timespec ts = {0, slice * 1000000L};

		if (stop_requested())
			return 1;
		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return stop_requested() != 0;
}

/* Reads the last finished epoch from path into *epoch (0 when the file does
 * not exist). Returns 0 or WORKER_EXIT_IO. */
static int ckpt_load(const char *path, int *epoch, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int ok;

	*epoch = 0;
	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		err_set(err, errlen, "checkpoint %s: %s", path, strerror(errno));
		return WORKER_EXIT_IO;
	}
	ok = fscanf(f, "caviar-synth-checkpoint 1 epoch %d", epoch) == 1 && *epoch >= 0;
	fclose(f);
	if (!ok) {
		err_set(err, errlen, "checkpoint %s: not a synthetic-task checkpoint", path);
		return WORKER_EXIT_IO;
	}
	return 0;
}

/* Writes epoch to path atomically: a temporary file in the same directory,
 * renamed over path. Not fsync'd: a synthetic run is cheap to redo, and the
 * rename survives the crash that matters (the daemon's); the atomic rename
 * never leaves a torn file. Returns 0 or WORKER_EXIT_IO. */
static int ckpt_save(const char *path, int epoch, char *err, size_t errlen)
{
	char tmp[PATH_MAX], line[64];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path), fd;
	int len = snprintf(line, sizeof line, CKPT_FORMAT, epoch);

	if (n < 0 || (size_t)n >= sizeof tmp) {
		err_set(err, errlen, "checkpoint %s: path too long", path);
		return WORKER_EXIT_IO;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		err_set(err, errlen, "checkpoint %s: %s", tmp, strerror(errno));
		return WORKER_EXIT_IO;
	}
	errno = 0;
	if (write(fd, line, (size_t)len) != len) {
		err_set(err, errlen, "checkpoint %s: %s", tmp, strerror(errno ? errno : EIO));
		close(fd);
		unlink(tmp);
		return WORKER_EXIT_IO;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		err_set(err, errlen, "checkpoint %s: %s", path, strerror(errno));
		unlink(tmp);
		return WORKER_EXIT_IO;
	}
	return 0;
}

/* Saves the curve so far, then the checkpoint of `epoch` (in that order: a
 * curve may run ahead of its checkpoint, never behind). */
static int synth_save(struct synth *s, int epoch, char *err, size_t errlen)
{
	int rc;

	if (!s->ckpt)
		return 0;
	s->last_save = elapsed(&s->t0);
	rc = report_log_save(&s->log, 0, err, errlen);
	return rc ? rc : ckpt_save(s->ckpt, epoch, err, errlen);
}

/* The stop path: saves the last finished epoch, reports "stopped". */
static int synth_stop(struct synth *s, int epoch, char *err, size_t errlen)
{
	int rc = synth_save(s, epoch, err, errlen);

	if (rc != 0)
		return rc;
	report_emit(report_event(WORKER_PROTO_STOPPED, epoch));
	return WORKER_EXIT_STOPPED;
}

/* Epochs start+1 .. epochs, after a resume at `start` (0: a fresh run). */
static int synth_epochs(struct synth *s, int start, char *err, size_t errlen)
{
	int rc;

	if (start > 0)
		report_emit(report_event(WORKER_PROTO_RESUMED, start));
	/* a resumed run prints the curve so far again: the daemon may have
	 * missed its last lines */
	if (s->ckpt && (rc = report_log_open(&s->log, s->ckpt, start > 0 ? start : -1, err,
					     errlen)) != 0)
		return rc;
	s->last_save = -SAVE_EVERY;
	for (int e = start + 1; e <= s->epochs; e++) {
		if (stop_requested() || synth_sleep(s->epoch_ms))
			return synth_stop(s, e - 1, err, errlen);
		synth_emit(s, e);
		if ((e == s->epochs || elapsed(&s->t0) - s->last_save >= SAVE_EVERY) &&
		    (rc = synth_save(s, e, err, errlen)) != 0)
			return rc;
	}
	return WORKER_EXIT_OK;
}

int synth_run(const cJSON *cfg, char *err, size_t errlen)
{
	const char *task = HP_STR(cfg, "task");
	struct synth s;
	int start = 0, rc;

	memset(&s, 0, sizeof s);
	if (!synth_is_task(task)) {
		err_set(err, errlen, "task: \"%s\" is not a synthetic task", task ? task : "");
		return WORKER_EXIT_CONFIG;
	}
	s.task = HP_CHOICE(cfg, "task");
	s.ckpt = HP_STR(cfg, "checkpoint");
	s.q = synth_target_loss(cfg);
	s.lr = HP_NUM(cfg, "lr");
	s.seed = (uint64_t)HP_NUM(cfg, "seed");
	s.epochs = (int)HP_NUM(cfg, "epochs");
	s.epoch_ms = s.task == HP_TASK_TRIVIAL ? 0 : (int)HP_NUM(cfg, "epoch_ms");
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	if (s.ckpt && (rc = ckpt_load(s.ckpt, &start, err, errlen)) != 0)
		return rc;
	rc = synth_epochs(&s, start, err, errlen);
	report_log_finish(&s.log);
	return rc;
}
