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
 *   drift:   the best lr falls by a decade during training, so a schedule beats
 *            every fixed lr. With x = (e - 1) / (epochs - 1) (1 when epochs = 1)
 *            the optimum is o(e) = -2 - S((x - 0.3) / 0.4), S the smoothstep
 *            3t^2 - 2t^3 clamped to [0, 1]: log10 lr = -2 for the first 30% of
 *            the epochs, -3 for the last 30%. With D = L - o(e) at epoch e,
 *            progress accumulates p(e) = p(e - 1) + exp(-(D / 0.35)^2) (p(0) = 0)
 *            and q(e) = 0.5 D^2 (the floor of a mistuned lr); the curve is the
 *            one above with q(e) and d(e) = exp(-p(e) / 3). Its target (for a
 *            fixed lr) is q at the last epoch.
 *   trivial: train_loss = val_loss = 1 / (1 + lr) at every epoch, emitted at once
 *            (epoch_ms is ignored); its target is 1 / (1 + lr).
 *   Every task but drift has p(e) = e, so d(e) = exp(-e / 3) as above.
 *
 * Adjusting (control lines, worker_proto.h): a task accepts the parameters its
 * function reads (trivial, drift: lr; bowl: lr, beta, eps; narrow: lr, beta;
 * a test function: those of its space); q is computed again from the new
 * values, from the next epoch on. fork_from starts from another trial's
 * checkpoint of the same task: its epoch, progress and seed (the noise's),
 * with the trial's own values; keep_epochs keeps CHECKPOINT.epoch-K.
 * synth_target_loss returns q (or 1 / (1 + lr)). The curve is a pure function of
 * (cfg, seed, e). A resumed run prints the records up to its checkpoint again
 * (from the curve kept beside it), then the rest: the same lines as an
 * uninterrupted run, elapsed aside.
 *
 * Checkpoint file (the `checkpoint` hyperparameter): one line
 * "caviar-synth-checkpoint 2 task T epoch E progress P seed S values {...}\n"
 * (the values: the adjustable ones, control_values_save), replaced atomically
 * after the first epoch, then at most once a second (every epoch with
 * keep_epochs), after the last epoch and at a stop. Format 1,
 * "caviar-synth-checkpoint 1 epoch E\n", is still read (p = E, the
 * configuration's values). */
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

#include "checkpoint.h"
#include "control.h"
#include "errbuf.h"
#include "exitcodes.h"
#include "hparams.h"
#include "report.h"
#include "rng.h"
#include "stop.h"
#include "testfn.h"

#define CKPT_MAGIC "caviar-synth-checkpoint"
#define SLICE_MS 10 /* sleeping granularity: how fast a stop request is seen */

struct synth {
	int task;         /* enum hp_task */
	const char *name; /* the task's name */
	const char *ckpt; /* checkpoint path or NULL */
	const char *fork_from; /* another trial's checkpoint, or NULL */
	int keep_epochs;
	double q;         /* target loss of the current values (all but drift) */
	double lr;
	double progress;  /* p(e) after the last epoch emitted */
	uint64_t seed;
	struct control *ctl;      /* control lines, or NULL */
	struct control_task ctask; /* ctask.cfg: the configuration, adjusted (owned) */
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
	       i == HP_TASK_DRIFT || testfn_find(task) != NULL;
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
	if (task == HP_TASK_DRIFT)
		return 0.5 * sq(L + 3.0);
	return 1.0 / (1.0 + HP_NUM(cfg, "lr"));
}

/* drift: log10 of the best lr at epoch e of `epochs` (see above). */
static double drift_optimum(int e, int epochs)
{
	double x = epochs > 1 ? (double)(e - 1) / (epochs - 1) : 1.0;
	double t = (x - 0.3) / 0.4;

	t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
	return -2.0 - (3.0 * t * t - 2.0 * t * t * t);
}

/* Advances to epoch e: the progress and q of that epoch; then its losses
 * (see the formulas above). */
static void synth_curve(struct synth *s, int e, double *train_loss, double *val_loss)
{
	struct rng r;
	double q = s->q, d, u1, u2;

	if (s->task == HP_TASK_TRIVIAL) {
		*train_loss = *val_loss = s->q;
		return;
	}
	if (s->task == HP_TASK_DRIFT) {
		double D = log10(s->lr) - drift_optimum(e, s->epochs);
		s->progress += exp(-sq(D / 0.35));
		q = 0.5 * sq(D);
	} else {
		s->progress += 1.0;
	}
	d = exp(-s->progress / 3.0);
	rng_seed(&r, rng_derive(s->seed, (uint64_t)e));
	u1 = 2.0 * rng_uniform(&r) - 1.0;
	u2 = 2.0 * rng_uniform(&r) - 1.0;
	*val_loss = q + (1.0 + q) * d + 0.01 * d * u1;
	*train_loss = 0.95 * (q + (1.0 + q) * d) + 0.01 * d * u2;
}

/* control_task.allowed: the parameters the task's function reads. */
static int synth_allowed(void *ctx, const char *name, char *err, size_t errlen)
{
	static const char *const bowl[] = {"lr", "beta", "eps", NULL};
	static const char *const narrow[] = {"lr", "beta", NULL};
	static const char *const lr_only[] = {"lr", NULL};
	struct synth *s = ctx;
	const struct testfn *t = testfn_find(s->name);
	const char *const *list = s->task == HP_TASK_BOWL ? bowl
				  : s->task == HP_TASK_NARROW ? narrow : lr_only;

	if (t) {
		cJSON *space = cJSON_Parse(t->space);
		int found = cJSON_GetObjectItemCaseSensitive(space, name) != NULL;
		cJSON_Delete(space);
		if (found)
			return 0;
	} else {
		for (; *list; list++)
			if (strcmp(*list, name) == 0)
				return 0;
	}
	return err_set(err, errlen, "%s: not read by task %s, cannot change while training", name,
		       s->name);
}

/* control_task.apply: q and lr of the new values, from the next epoch. */
static void synth_apply(void *ctx, const cJSON *cfg)
{
	struct synth *s = ctx;

	s->q = synth_target_loss(cfg);
	s->lr = HP_NUM(cfg, "lr");
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

/* Sleeps ms milliseconds in short slices, answering control lines (after
 * `epoch` epochs); returns 1 as soon as a stop is requested, else 0. */
static int synth_sleep(struct synth *s, int epoch, int ms)
{
	while (ms > 0) {
		int slice = ms < SLICE_MS ? ms : SLICE_MS;
		struct timespec ts = {0, slice * 1000000L};

		if (stop_requested())
			return 1;
		control_poll(s->ctl, &s->ctask, &s->log, epoch, 100L * epoch);
		nanosleep(&ts, NULL);
		ms -= slice;
	}
	control_poll(s->ctl, &s->ctask, &s->log, epoch, 100L * epoch);
	return stop_requested() != 0;
}

/* A checkpoint's contents (see the format above). */
struct synth_ckpt {
	int epoch;
	double progress;
	uint64_t seed;
	char task[32];
	char values[CKPT_VALUES_MAX]; /* "" in format 1 */
};

/* Reads path into *c (epoch 0 when the file does not exist: returns
 * CKPT_MISSING). Returns 0, CKPT_MISSING or WORKER_EXIT_IO. */
static int ckpt_load(const char *path, struct synth_ckpt *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[CKPT_VALUES_MAX + 256];
	unsigned long long seed = 0;
	int version = 0, pos = 0, ok;

	memset(c, 0, sizeof *c);
	if (!f && errno == ENOENT)
		return CKPT_MISSING;
	if (!f) {
		err_set(err, errlen, "checkpoint %s: %s", path, strerror(errno));
		return WORKER_EXIT_IO;
	}
	ok = fgets(line, sizeof line, f) != NULL &&
	     sscanf(line, CKPT_MAGIC " %d", &version) == 1;
	fclose(f);
	if (ok && version == 1) {
		ok = sscanf(line, CKPT_MAGIC " 1 epoch %d", &c->epoch) == 1;
		c->progress = c->epoch;
	} else if (ok && version == 2) {
		ok = sscanf(line,
			    CKPT_MAGIC " 2 task %31s epoch %d progress %lf seed %llu values %n",
			    c->task, &c->epoch, &c->progress, &seed, &pos) == 4 && pos > 0;
		c->seed = seed;
		if (ok)
			snprintf(c->values, sizeof c->values, "%.*s",
				 (int)strcspn(line + pos, "\n"), line + pos);
	} else {
		ok = 0;
	}
	if (!ok || c->epoch < 0) {
		err_set(err, errlen, "checkpoint %s: not a synthetic-task checkpoint", path);
		return WORKER_EXIT_IO;
	}
	return 0;
}

/* Writes the state after `epoch` to path atomically: a temporary file in the
 * same directory, renamed over path. Not fsync'd: a synthetic run is cheap to
 * redo, and the rename survives the crash that matters (the daemon's); the
 * atomic rename never leaves a torn file. Returns 0 or WORKER_EXIT_IO. */
static int ckpt_save(const struct synth *s, const char *path, int epoch, char *err, size_t errlen)
{
	char tmp[PATH_MAX], line[CKPT_VALUES_MAX + 256];
	char *values = control_values_save(&s->ctask);
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path), fd;
	int len = snprintf(line, sizeof line,
			   CKPT_MAGIC " 2 task %s epoch %d progress %.17g seed %llu values %s\n",
			   s->name, epoch, s->progress, (unsigned long long)s->seed, values);

	free(values);
	if (n < 0 || (size_t)n >= sizeof tmp || len < 0 || (size_t)len >= sizeof line) {
		err_set(err, errlen, "checkpoint %s: path or values too long", path);
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
	if (rc == 0)
		rc = ckpt_save(s, s->ckpt, epoch, err, errlen);
	if (rc == 0 && s->keep_epochs)
		rc = checkpoint_keep(s->ckpt, epoch, err, errlen);
	return rc;
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

/* Epochs start+1 .. epochs, after a resume (or with `forked`, a fork) at
 * `start` (0: a fresh run). */
static int synth_epochs(struct synth *s, int start, int forked, char *err, size_t errlen)
{
	int rc;

	if (forked) {
		cJSON *ev = report_event(WORKER_PROTO_FORKED, start);
		cJSON_AddNumberToObject(ev, WORKER_PROTO_STEP, 100.0 * start);
		report_emit(ev);
	} else if (start > 0) {
		report_emit(report_event(WORKER_PROTO_RESUMED, start));
	}
	/* a resumed run prints the curve so far again: the daemon may have
	 * missed its last lines (a fork's curve starts after `start`) */
	if (s->ckpt && (rc = report_log_open(&s->log, s->ckpt, start > 0 && !forked ? start : -1,
					     err, errlen)) != 0)
		return rc;
	s->last_save = -SAVE_EVERY;
	for (int e = start + 1; e <= s->epochs; e++) {
		if (stop_requested() || synth_sleep(s, e - 1, s->epoch_ms))
			return synth_stop(s, e - 1, err, errlen);
		synth_emit(s, e);
		if ((e == s->epochs || s->keep_epochs ||
		     elapsed(&s->t0) - s->last_save >= SAVE_EVERY) &&
		    (rc = synth_save(s, e, err, errlen)) != 0)
			return rc;
	}
	return WORKER_EXIT_OK;
}

/* Loads the trial's own checkpoint (its values too), else fork_from's (its
 * task must be ours). Sets *start and *forked. Returns 0 or an exit code. */
static int synth_resume(struct synth *s, int *start, int *forked, char *err, size_t errlen)
{
	struct synth_ckpt c;
	int rc = s->ckpt ? ckpt_load(s->ckpt, &c, err, errlen) : CKPT_MISSING;

	*start = 0;
	*forked = 0;
	if (rc == CKPT_MISSING && s->fork_from) {
		*forked = 1;
		rc = ckpt_load(s->fork_from, &c, err, errlen);
		if (rc == CKPT_MISSING)
			return err_set(err, errlen, WORKER_PROTO_FORK_FROM " %s: no such "
				       "checkpoint", s->fork_from), WORKER_EXIT_IO;
		if (rc == 0 && strcmp(c.task, s->name) != 0)
			return err_set(err, errlen, WORKER_PROTO_FORK_FROM " %s: a checkpoint "
				       "of task %s, this trial's is %s", s->fork_from,
				       c.task[0] ? c.task : "(unknown)", s->name),
			       WORKER_EXIT_CONFIG;
	}
	if (rc == CKPT_MISSING)
		return 0;
	if (rc != 0)
		return rc;
	*start = c.epoch;
	s->progress = c.progress;
	if (*forked || c.values[0]) /* format 1 had neither seed nor values */
		s->seed = c.seed;
	if (!*forked && c.values[0] && control_values_load(&s->ctask, c.values, err, errlen) < 0)
		return err_prefix(err, errlen, "checkpoint %s", s->ckpt), WORKER_EXIT_IO;
	return 0;
}

int synth_run(const cJSON *cfg, struct control *ctl, char *err, size_t errlen)
{
	const char *task = HP_STR(cfg, "task");
	struct synth s;
	int start = 0, forked = 0, rc;

	memset(&s, 0, sizeof s);
	if (!synth_is_task(task)) {
		err_set(err, errlen, "task: \"%s\" is not a synthetic task", task ? task : "");
		return WORKER_EXIT_CONFIG;
	}
	s.task = HP_CHOICE(cfg, "task");
	s.name = task;
	s.ckpt = HP_STR(cfg, "checkpoint");
	s.fork_from = HP_STR(cfg, WORKER_PROTO_FORK_FROM);
	s.keep_epochs = HP_BOOL(cfg, WORKER_PROTO_KEEP_EPOCHS) && s.ckpt;
	s.ctl = ctl;
	s.ctask = (struct control_task){cJSON_Duplicate(cfg, 1), synth_allowed, synth_apply, &s};
	s.q = synth_target_loss(cfg);
	s.lr = HP_NUM(cfg, "lr");
	s.seed = (uint64_t)HP_NUM(cfg, "seed");
	s.epochs = (int)HP_NUM(cfg, "epochs");
	s.epoch_ms = s.task == HP_TASK_TRIVIAL ? 0 : (int)HP_NUM(cfg, "epoch_ms");
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	rc = synth_resume(&s, &start, &forked, err, errlen);
	if (rc == 0)
		rc = synth_epochs(&s, start, forked, err, errlen);
	report_log_finish(&s.log);
	cJSON_Delete(s.ctask.cfg);
	return rc;
}
