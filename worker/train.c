/* train: configuration, epoch loop, evaluation, divergence, checkpoints and
 * stop requests of the "mlp" task (see train.h). One trainer struct holds the
 * model, the optimizer, the trial's rng and the batch buffers; the rng is seeded
 * from `seed`, draws the initial weights, then every epoch's shuffle and every
 * dropout mask, so one seed gives one curve and a checkpoint of the rng state
 * after an epoch resumes it exactly. */
#include "train.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"
#include "errbuf.h"
#include "exitcodes.h"
#include "hparams.h"
#include "report.h"
#include "stop.h"
#include "xalloc.h"

/* ---- configuration ------------------------------------------------------------ */

/* 1 if a key before item in its object has item's name (cJSON keeps both). */
static int is_duplicate(const cJSON *item)
{
	/* the first child's prev is the last child, whose next is NULL */
	for (const cJSON *p = item->prev; p && p->next; p = p->prev)
		if (strcmp(p->string, item->string) == 0)
			return 1;
	return 0;
}

/* Checks one key of a configuration object against table; prefix ("" or
 * "data.") starts the message. */
static int check_item(const cJSON *item, const struct hparam *table, size_t n,
		      const char *prefix, char *err, size_t errlen)
{
	const struct hparam *h = hparam_find(table, n, item->string);
	char msg[ERRBUF_LEN];

	if (!h)
		return err_set(err, errlen, "%s%s: unknown key", prefix, item->string);
	if (is_duplicate(item))
		return err_set(err, errlen, "%s%s: duplicate key", prefix, item->string);
	if (!cJSON_IsNull(item) && hparam_check(h, item, msg, sizeof msg) < 0)
		return err_set(err, errlen, "%s%s: %s", prefix, item->string, msg);
	return 0;
}

int train_config_check(const cJSON *cfg, char *err, size_t errlen)
{
	const cJSON *item, *sub;

	if (!cJSON_IsObject(cfg))
		return err_set(err, errlen, "expected a JSON object");
	cJSON_ArrayForEach(item, cfg) {
		if (strcmp(item->string, "data") != 0) {
			if (check_item(item, hparams, n_hparams, "", err, errlen) < 0)
				return -1;
			continue;
		}
		if (is_duplicate(item))
			return err_set(err, errlen, "data: duplicate key");
		if (cJSON_IsNull(item))
			continue;
		if (!cJSON_IsObject(item))
			return err_set(err, errlen, "data: expected an object");
		cJSON_ArrayForEach(sub, item)
			if (check_item(sub, data_keys, n_data_keys, "data.", err, errlen) < 0)
				return -1;
	}
	for (int i = 0; i < 2; i++) {
		const char *key = i ? WORKER_PROTO_FORK_FROM : "checkpoint";
		item = cJSON_GetObjectItemCaseSensitive(cfg, key);
		if (cJSON_IsString(item) && item->valuestring[0] == '\0')
			return err_set(err, errlen, "%s: expected a file name, got \"\"", key);
	}
	return 0;
}

/* The enums of the worker's modules for the values of the choice
 * hyperparameters (hparams.h), by name, not by position. */
static const enum act activation_of[HP_N_ACTIVATION] = {
	[HP_ACTIVATION_RELU] = ACT_RELU, [HP_ACTIVATION_TANH] = ACT_TANH,
};
static const enum optim_kind optimizer_of[HP_N_OPTIMIZER] = {
	[HP_OPTIMIZER_SGD] = OPTIM_SGD, [HP_OPTIMIZER_MOMENTUM] = OPTIM_MOMENTUM,
	[HP_OPTIMIZER_RMSPROP] = OPTIM_RMSPROP, [HP_OPTIMIZER_ADAM] = OPTIM_ADAM,
};
static const enum lr_schedule_kind schedule_of[HP_N_DECAY_SCHEDULE] = {
	[HP_DECAY_INVERSE_TIME] = LR_INVERSE_TIME, [HP_DECAY_EXPONENTIAL] = LR_EXPONENTIAL,
	[HP_DECAY_STEP] = LR_STEP,
};

/* The value of a choice hyperparameter as its hparams enum; the list's first
 * when it is not one of them (a configuration train_config_check refused). */
static int choice(const cJSON *cfg, const char *name)
{
	int i = HP_CHOICE(cfg, name);

	return i < 0 ? 0 : i;
}

/* hidden sizes: the "hidden" list, else `layers` copies of `units` */
static void read_hidden(struct train_config *tc, const cJSON *cfg)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(cfg, "hidden");
	int n = 0;

	if (cJSON_IsArray(list) && cJSON_GetArraySize(list) > 0) {
		const cJSON *item;
		tc->hidden = xcalloc((size_t)cJSON_GetArraySize(list), sizeof(int));
		cJSON_ArrayForEach(item, list)
			tc->hidden[n++] = (int)item->valuedouble;
	} else {
		int layers = (int)HP_NUM(cfg, "layers"), units = (int)HP_NUM(cfg, "units");
		tc->hidden = xcalloc(layers ? (size_t)layers : 1, sizeof(int));
		for (; n < layers; n++)
			tc->hidden[n] = units;
	}
	tc->model.n_hidden = n;
	tc->model.hidden = tc->hidden;
}

void train_config_values(struct train_config *tc, const cJSON *cfg)
{
	tc->model.dropout = (float)HP_NUM(cfg, "dropout");
	tc->opt.beta = (float)HP_NUM(cfg, "beta");
	tc->opt.beta1 = (float)HP_NUM(cfg, "beta1");
	tc->opt.beta2 = (float)HP_NUM(cfg, "beta2");
	tc->opt.eps = (float)HP_NUM(cfg, "eps");
	tc->opt.l2 = (float)HP_NUM(cfg, "l2");
	tc->sched.lr0 = HP_NUM(cfg, "lr");
	tc->sched.decay = HP_NUM(cfg, "lr_decay");
	tc->batch = (int)HP_NUM(cfg, "batch");
}

void train_config_init(struct train_config *tc, const cJSON *cfg)
{
	const char *ckpt = HP_STR(cfg, "checkpoint");
	const char *fork = HP_STR(cfg, WORKER_PROTO_FORK_FROM);

	memset(tc, 0, sizeof *tc);
	read_hidden(tc, cfg);
	tc->model.act = activation_of[choice(cfg, "activation")];
	tc->model.batch_norm = HP_BOOL(cfg, "batch_norm");
	tc->model.bn_momentum = (float)HP_NUM(cfg, "bn_momentum");
	tc->model.bn_eps = (float)HP_NUM(cfg, "bn_eps");
	tc->opt.kind = optimizer_of[choice(cfg, "optimizer")];
	tc->sched.kind = schedule_of[choice(cfg, "decay_schedule")];
	tc->sched.decay_steps = (int)HP_NUM(cfg, "decay_steps");
	train_config_values(tc, cfg);
	tc->epochs = (int)HP_NUM(cfg, "epochs");
	tc->report_every = (int)HP_NUM(cfg, "report_every");
	tc->threads = (int)HP_NUM(cfg, "threads");
	tc->seed = (uint64_t)HP_NUM(cfg, "seed");
	tc->checkpoint = ckpt ? xstrdup(ckpt) : NULL;
	tc->fork_from = fork ? xstrdup(fork) : NULL;
	tc->keep_epochs = HP_BOOL(cfg, WORKER_PROTO_KEEP_EPOCHS);
	tc->hash = train_config_hash(cfg);
	tc->cfg = cJSON_Duplicate(cfg, 1);
}

void train_config_finish(struct train_config *tc)
{
	if (!tc)
		return;
	free(tc->hidden);
	free(tc->checkpoint);
	free(tc->fork_from);
	cJSON_Delete(tc->cfg);
	memset(tc, 0, sizeof *tc);
}

static void fnv_add(uint64_t *h, const char *s)
{
	for (; *s; s++) {
		*h ^= (unsigned char)*s;
		*h *= 0x100000001b3ull;
	}
	*h ^= 0xff; /* field separator */
	*h *= 0x100000001b3ull;
}

/* Adds "name=value" of every key of table (defaults filled in) except skip and
 * the adjustable ones. */
static void hash_table(uint64_t *h, const struct hparam *table, size_t n, const cJSON *obj,
		       const char *const *skip)
{
	char buf[64];

	for (size_t i = 0; i < n; i++) {
		const struct hparam *p = &table[i];
		const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, p->name) : NULL;
		const char *s;
		int skipped = (p->flags & HP_ADJUSTABLE) != 0;
		for (const char *const *k = skip; *k; k++)
			skipped |= strcmp(*k, p->name) == 0;
		if (skipped)
			continue;
		fnv_add(h, p->name);
		if (p->type == HP_STRING) {
			s = hp_string(table, n, obj, p->name);
			fnv_add(h, s ? s : "(none)");
		} else if (p->type == HP_INT_LIST) {
			const cJSON *item;
			const cJSON *list = cJSON_IsArray(v) ? v : NULL;
			cJSON_ArrayForEach(item, list) {
				snprintf(buf, sizeof buf, "%.17g", item->valuedouble);
				fnv_add(h, buf);
			}
		} else {
			snprintf(buf, sizeof buf, "%.17g", hp_number(table, n, obj, p->name));
			fnv_add(h, buf);
		}
	}
}

uint64_t train_config_hash(const cJSON *cfg)
{
	static const char *const skip_hp[] = {"epochs", "checkpoint", WORKER_PROTO_FORK_FROM,
					      WORKER_PROTO_KEEP_EPOCHS, "report_every", "threads",
					      "epoch_ms", NULL};
	static const char *const skip_data[] = {"cache_dir", NULL};
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(cfg, "data");
	uint64_t h = 0xcbf29ce484222325ull;

	hash_table(&h, hparams, n_hparams, cfg, skip_hp);
	hash_table(&h, data_keys, n_data_keys, cJSON_IsObject(data) ? data : NULL, skip_data);
	return h;
}

/* ---- the trainer ----------------------------------------------------------------- */

struct trainer {
	const struct train_config *tc; /* == &cur */
	struct train_config cur;       /* the configuration with the adjusted values
	                                * (a shallow copy: the pointers are the caller's) */
	struct control *ctl;           /* control lines, or NULL */
	struct control_task task;      /* task.cfg: the configuration, adjusted (owned) */
	const struct data *d;
	struct mlp m;
	struct optim o;
	struct rng rng;
	int bmax;            /* training batch size: min(batch, train.n) */
	float *xb;           /* (bmax, dim) gathered batch */
	int32_t *yb;         /* (bmax) */
	int *perm;           /* (train.n) this epoch's order */
	int epoch_done;      /* completed epochs */
	long step;           /* optimizer steps so far */
	double lr;           /* learning rate of the current epoch */
	double t0;           /* monotonic start time */
	double train_seconds; /* time in run_epoch, summed over this process's epochs */
	struct report_log log; /* the records so far, saved beside the checkpoint */
	double win_loss;     /* report_every window (since the last record or the
	                      * epoch's start): summed loss and examples */
	long win_n;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The training batch size, the arena's capacity and the batch buffers for
 * the current batch and dropout (at the start, and after an adjustment). */
static void trainer_size(struct trainer *t)
{
	const struct data *d = t->d;
	int eval_n = d->val.n > d->test.n ? d->val.n : d->test.n;
	int cap;

	t->bmax = t->tc->batch < d->train.n ? t->tc->batch : d->train.n;
	/* evaluation reuses the arena: let it take at least 256 rows at a time */
	cap = t->bmax;
	if (cap < 256)
		cap = eval_n < 256 ? (eval_n > cap ? eval_n : cap) : 256;
	mlp_reshape(&t->m, cap, t->tc->model.dropout);
	t->xb = xrealloc(t->xb, (size_t)t->bmax * (size_t)d->train.dim * sizeof(float));
	t->yb = xrealloc(t->yb, (size_t)t->bmax * sizeof(int32_t));
}

/* control_task.allowed of task "mlp": hparam_adjust's list for it, which
 * train_config_values reads. */
static int mlp_allowed(void *ctx, const char *name, char *err, size_t errlen)
{
	(void)ctx;
	switch (hparam_adjust(hparam_find(hparams, n_hparams, name), HP_TASK_MLP)) {
	case HP_ADJUST_OK:
		return 0;
	case HP_ADJUST_NOT_READ:
		return err_set(err, errlen, "%s: not read by task mlp, cannot change while "
			       "training", name);
	default:
		return err_set(err, errlen, "%s: structural, cannot change while training", name);
	}
}

/* control_task.apply: the adjusted values from the next step on. */
static void trainer_apply(void *ctx, const cJSON *cfg)
{
	struct trainer *t = ctx;

	train_config_values(&t->cur, cfg);
	t->o.c = t->cur.opt;
	t->lr = lr_at(&t->cur.sched, t->epoch_done);
	trainer_size(t);
}

static void trainer_init(struct trainer *t, const struct train_config *tc, const struct data *d,
			 struct control *ctl)
{
	struct mlp_config mc = tc->model;

	memset(t, 0, sizeof *t);
	t->cur = *tc;
	t->tc = &t->cur;
	t->ctl = ctl;
	t->task = (struct control_task){cJSON_Duplicate(tc->cfg, 1), mlp_allowed, trainer_apply, t};
	t->d = d;
	mc.n_in = d->train.dim;
	mc.n_out = d->classes;
	mlp_init(&t->m, &mc, 1);
	trainer_size(t);
	optim_init(&t->o, &tc->opt, t->m.n_params, t->m.n_decay);
	rng_seed(&t->rng, tc->seed);
	mlp_init_weights(&t->m, &t->rng);
	t->perm = xmalloc((size_t)d->train.n * sizeof(int));
}

static void trainer_finish(struct trainer *t)
{
	mlp_finish(&t->m);
	report_log_finish(&t->log);
	optim_finish(&t->o);
	free(t->xb);
	free(t->yb);
	free(t->perm);
	cJSON_Delete(t->task.cfg);
}

/* The arrays a checkpoint holds, in file order. */
static int ckpt_arrays(struct trainer *t, struct ckpt_array arr[3])
{
	arr[0] = (struct ckpt_array){t->m.params, t->m.n_params};
	arr[1] = (struct ckpt_array){t->o.state, 2 * t->o.n};
	arr[2] = (struct ckpt_array){t->m.stats, t->m.n_stats};
	return 3;
}

static int trainer_save(struct trainer *t, char *err, size_t errlen)
{
	struct ckpt_array arr[3];
	struct ckpt_state s = {t->tc->hash, t->epoch_done, t->step, t->o.t, t->lr, t->rng, ""};
	int n = ckpt_arrays(t, arr);
	char *values = control_values_save(&t->task);
	int rc = report_log_save(&t->log, 1, err, errlen);

	snprintf(s.values, sizeof s.values, "%s", values);
	free(values);
	if (rc == 0)
		rc = checkpoint_save(t->tc->checkpoint, &s, arr, n, err, errlen);
	if (rc == 0 && t->tc->keep_epochs)
		rc = checkpoint_keep(t->tc->checkpoint, t->epoch_done, err, errlen);
	return rc;
}

/* Loads the trial's own checkpoint when there is one ("resumed", with the
 * adjusted values it holds), else the one of fork_from when set ("forked",
 * with the configuration's values), and opens the curve log. */
static int trainer_resume(struct trainer *t, char *err, size_t errlen)
{
	const char *path = t->tc->checkpoint;
	struct ckpt_array arr[3];
	struct ckpt_state s;
	int n = ckpt_arrays(t, arr), forked = 0;
	int rc = path ? checkpoint_load(path, t->tc->hash, &s, arr, n, err, errlen) : CKPT_MISSING;
	cJSON *ev;

	if (rc == CKPT_MISSING && t->tc->fork_from) {
		forked = 1;
		rc = checkpoint_load(t->tc->fork_from, t->tc->hash, &s, arr, n, err, errlen);
		if (rc == CKPT_MISSING)
			return err_set(err, errlen, WORKER_PROTO_FORK_FROM " %s: no such "
				       "checkpoint", t->tc->fork_from), WORKER_EXIT_IO;
	}
	if (rc == CKPT_MISSING)
		return path ? report_log_open(&t->log, path, -1, err, errlen) : 0;
	if (rc != 0)
		return rc;
	t->epoch_done = s.epoch_done;
	t->step = s.step;
	t->o.t = s.opt_t;
	t->lr = s.lr;
	t->rng = s.rng;
	if (forked) {
		ev = report_event(WORKER_PROTO_FORKED, t->epoch_done);
		cJSON_AddNumberToObject(ev, WORKER_PROTO_STEP, (double)t->step);
		report_emit(ev);
		return path ? report_log_open(&t->log, path, -1, err, errlen) : 0;
	}
	if (control_values_load(&t->task, s.values, err, errlen) < 0)
		return err_prefix(err, errlen, "checkpoint %s", path), WORKER_EXIT_IO;
	report_emit(report_event(WORKER_PROTO_RESUMED, t->epoch_done));
	return report_log_open(&t->log, path, t->epoch_done, err, errlen);
}

/* Emits the "diverged" event; returns WORKER_EXIT_DIVERGED. */
static int trainer_diverged(struct trainer *t, const char *metric, double value)
{
	cJSON *ev = report_event(WORKER_PROTO_DIVERGED, t->epoch_done + 1);

	cJSON_AddNumberToObject(ev, WORKER_PROTO_STEP, (double)t->step);
	cJSON_AddStringToObject(ev, WORKER_PROTO_METRIC, metric);
	report_add(ev, WORKER_PROTO_VALUE, value);
	report_emit(ev);
	return WORKER_EXIT_DIVERGED;
}

/* The stop request: the checkpoint on disk already holds the last complete
 * epoch (it is written after each one), so only the event remains. */
static int trainer_stopped(struct trainer *t)
{
	report_emit(report_event(WORKER_PROTO_STOPPED, t->epoch_done));
	return WORKER_EXIT_STOPPED;
}

/* Mean loss and accuracy of ds in evaluation mode (running BN statistics). */
static void evaluate(struct trainer *t, const struct dataset *ds, double *loss, double *acc)
{
	double sum = 0.0;
	long right = 0;

	for (int off = 0; off < ds->n; off += t->m.cap) {
		int b = ds->n - off < t->m.cap ? ds->n - off : t->m.cap, correct;
		sum += mlp_forward(&t->m, ds->x + (size_t)off * ds->dim, ds->y + off, b, 0, NULL,
				   &correct);
		right += correct;
	}
	*loss = sum / ds->n;
	*acc = (double)right / ds->n;
}

/* Fisher-Yates over the identity, so the order depends on the rng state only. */
static void shuffle(int *perm, int n, struct rng *r)
{
	for (int i = 0; i < n; i++)
		perm[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)rng_below(r, (uint64_t)i + 1);
		int tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
}

static void report_window(struct trainer *t, double loss, int b)
{
	cJSON *rec;

	t->win_loss += loss;
	t->win_n += b;
	if (t->tc->report_every <= 0 || t->step % t->tc->report_every != 0)
		return;
	rec = report_record(t->epoch_done + 1, t->step);
	report_add(rec, hp_metric_names[HP_METRIC_TRAIN_LOSS], t->win_loss / (double)t->win_n);
	report_emit_logged(&t->log, rec);
	t->win_loss = 0.0;
	t->win_n = 0;
}

/* One epoch of optimizer steps; sums the loss and hits into *loss, *right. */
static int run_epoch(struct trainer *t, double *loss, long *right)
{
	int n = t->d->train.n;

	*loss = 0.0;
	*right = 0;
	t->win_loss = 0.0; /* report_every windows do not span epochs (exact resume) */
	t->win_n = 0;
	shuffle(t->perm, n, &t->rng);
	for (int off = 0; off < n; off += t->bmax) {
		int b = n - off < t->bmax ? n - off : t->bmax, correct;
		double l;
		if (stop_requested())
			return trainer_stopped(t);
		if (control_poll(t->ctl, &t->task, &t->log, t->epoch_done, t->step) > 0)
			b = n - off < t->bmax ? n - off : t->bmax;
		gather_rows(t->xb, t->yb, t->d->train.x, t->d->train.y, t->perm + off, b,
			    t->d->train.dim);
		l = mlp_forward(&t->m, t->xb, t->yb, b, 1, &t->rng, &correct);
		if (!isfinite(l))
			return trainer_diverged(t, hp_metric_names[HP_METRIC_TRAIN_LOSS], l);
		mlp_backward(&t->m, t->xb, t->yb, b);
		optim_step(&t->o, t->m.params, t->m.grads, (float)t->lr);
		t->step++;
		*loss += l;
		*right += correct;
		report_window(t, l, b);
	}
	return 0;
}

/* The epoch record: train metrics, validation metrics and the time per
 * validation example (when there is a validation set), lr, elapsed seconds,
 * the parameter count and the training seconds. */
static void report_epoch(struct trainer *t, double loss, long right)
{
	const struct data *d = t->d;
	cJSON *rec = report_record(t->epoch_done, t->step);
	double vloss, vacc;

	report_add(rec, hp_metric_names[HP_METRIC_TRAIN_LOSS], loss / d->train.n);
	report_add(rec, hp_metric_names[HP_METRIC_TRAIN_ACC], (double)right / d->train.n);
	if (d->val.n > 0) {
		double t1 = now_seconds();
		evaluate(t, &d->val, &vloss, &vacc);
		report_add(rec, hp_metric_names[HP_METRIC_INFER_US],
			   (now_seconds() - t1) * 1e6 / d->val.n);
		report_add(rec, hp_metric_names[HP_METRIC_VAL_LOSS], vloss);
		report_add(rec, hp_metric_names[HP_METRIC_VAL_ACC], vacc);
	}
	report_add(rec, hp_metric_names[HP_METRIC_LR], t->lr);
	report_add(rec, hp_metric_names[HP_METRIC_ELAPSED], now_seconds() - t->t0);
	report_add(rec, hp_metric_names[HP_METRIC_PARAMS], (double)t->m.n_params);
	report_add(rec, hp_metric_names[HP_METRIC_TRAIN_SECONDS], t->train_seconds);
	report_emit_logged(&t->log, rec);
}

static void report_test(struct trainer *t)
{
	cJSON *rec;
	double loss, acc;

	if (t->d->test.n <= 0)
		return;
	evaluate(t, &t->d->test, &loss, &acc);
	rec = report_record(t->epoch_done, -1);
	report_add(rec, hp_metric_names[HP_METRIC_TEST_LOSS], loss);
	report_add(rec, hp_metric_names[HP_METRIC_TEST_ACC], acc);
	report_emit(rec);
}

/* The epochs after setup and resume. */
static int train_epochs(struct trainer *t, char *err, size_t errlen)
{
	while (t->epoch_done < t->tc->epochs) {
		double loss, t1 = now_seconds();
		long right, bad;
		int rc;
		t->lr = lr_at(&t->tc->sched, t->epoch_done);
		rc = run_epoch(t, &loss, &right);
		t->train_seconds += now_seconds() - t1;
		if (rc != 0)
			return rc;
		bad = mlp_find_nonfinite(&t->m);
		if (bad >= 0)
			return trainer_diverged(t, "weights", t->m.params[bad]);
		t->epoch_done++;
		report_epoch(t, loss, right);
		if (t->tc->checkpoint && (rc = trainer_save(t, err, errlen)) != 0)
			return rc;
	}
	report_test(t);
	return WORKER_EXIT_OK;
}

/* Kernels index with int: every (batch, width) buffer and every weight matrix
 * must stay below INT_MAX elements. */
static int check_sizes(const struct train_config *tc, const struct data *d, char *err,
		       size_t errlen)
{
	double rows = tc->batch < d->train.n ? tc->batch : d->train.n;
	int prev = d->train.dim;

	if (rows < 256)
		rows = 256;
	for (int l = 0; l <= tc->model.n_hidden; l++) {
		int width = l < tc->model.n_hidden ? tc->model.hidden[l] : d->classes;
		if (rows * d->train.dim >= INT_MAX || rows * width >= INT_MAX ||
		    (double)prev * width >= INT_MAX)
			return err_set(err, errlen, "config: the model or batch is too large "
				       "(over 2^31 elements in one buffer)");
		prev = width;
	}
	return 0;
}

int train_run(const struct train_config *tc, const struct data *d, struct control *ctl, char *err,
	      size_t errlen)
{
	struct trainer t;
	int rc = 0;

	if (d->train.n <= 0 || d->train.dim <= 0 || d->classes <= 0) {
		err_set(err, errlen, "data: no training examples");
		return WORKER_EXIT_DATA;
	}
	if ((d->val.n > 0 && d->val.dim != d->train.dim) ||
	    (d->test.n > 0 && d->test.dim != d->train.dim)) {
		err_set(err, errlen, "data: feature counts differ between splits");
		return WORKER_EXIT_DATA;
	}
	if (check_sizes(tc, d, err, errlen) < 0)
		return WORKER_EXIT_CONFIG;
	trainer_init(&t, tc, d, ctl);
	rc = trainer_resume(&t, err, errlen);
	t.t0 = now_seconds();
	if (rc == 0)
		rc = train_epochs(&t, err, errlen);
	trainer_finish(&t);
	return rc;
}
