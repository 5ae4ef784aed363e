/* train: the worker's training loop for task "mlp": reads a trial configuration
 * (through the hparams table), builds the model and optimizer, runs the epochs
 * over mini-batches reshuffled each epoch, and streams the learning curve through
 * report.h. It also owns divergence detection, checkpoint/resume and graceful
 * stop. It does not load data (data.h gives it a struct data) nor parse argv. */
#ifndef CAVIAR_TRAIN_H
#define CAVIAR_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "control.h"
#include "data.h"
#include "mlp.h"
#include "optim.h"

struct train_config {
	struct mlp_config model;   /* n_in and n_out are set by train_run from the data */
	int *hidden;               /* owned: model.hidden points here */
	struct optim_config opt;
	struct lr_schedule sched;
	int epochs;
	int batch;
	int report_every;          /* N > 0: also {epoch, step, train_loss} when the global
	                            * step is a multiple of N, the loss averaged since the
	                            * previous such record or the epoch's start; 0: off */
	int threads;               /* OpenBLAS threads (main sets them) */
	uint64_t seed;
	char *checkpoint;          /* owned, or NULL */
	char *fork_from;           /* owned, or NULL: start from this checkpoint of another
	                            * trial while `checkpoint` does not exist */
	int keep_epochs;           /* also keep CHECKPOINT.epoch-K after each epoch */
	uint64_t hash;             /* train_config_hash of the configuration */
	cJSON *cfg;                /* owned copy of the configuration */
};

/* Checks every key of a trial configuration against the hparams table (and
 * the "data" object against data_keys). Returns 0, or -1 with a message naming
 * the key in err: "lr: expected a number > 0, got -1", "foo: unknown key",
 * "data.dir: expected a string". JSON null counts as absent. */
int train_config_check(const cJSON *cfg, char *err, size_t errlen);

/* Reads a checked configuration into tc (defaults from the table). */
void train_config_init(struct train_config *tc, const cJSON *cfg);
/* Reads only the adjustable settings into tc: those hparam_adjust lets task
 * mlp change (common/hparams.c). */
void train_config_values(struct train_config *tc, const cJSON *cfg);
void train_config_finish(struct train_config *tc); /* accepts zeroed or finished */

/* A hash of the structural settings of cfg, those a checkpoint only fits
 * (all hyperparameters with their defaults filled in, and the data keys),
 * leaving out what may differ between a checkpoint's writer and its reader:
 * the adjustable ones (a fork takes its own; an adjusted trial resumes),
 * epochs (a trial may be resumed to run longer), checkpoint, fork_from,
 * keep_epochs, report_every, threads, epoch_ms and data.cache_dir. Key order
 * does not matter. */
uint64_t train_config_hash(const cJSON *cfg);

/* Trains on d as tc says, writing JSON lines on stdout: after each epoch
 * {epoch (1-based), step, train_loss, train_acc, val_loss, val_acc (when there
 * is a validation set; running BN statistics), lr, elapsed}, and after the last
 * one {epoch, test_loss, test_acc} when there is a test set. train_loss and
 * train_acc are the means over the epoch's training-mode batches (cross-entropy
 * only: the L2 term is not in the loss). With tc->checkpoint set, resumes from
 * the file when it exists ("resumed" event, with the adjusted values it
 * holds) and saves after every epoch (keeping CHECKPOINT.epoch-K too with
 * keep_epochs). Else with tc->fork_from set, starts from that checkpoint
 * ("forked" event) with the configuration's own adjustable values. Answers
 * the control lines of ctl (may be NULL) between steps: a change applies
 * from the next step; a new batch size cuts the rest of the epoch's shuffled
 * order into batches of the new size.
 * Non-finite loss (every step) or weights (every epoch) emit "diverged".
 * Returns WORKER_EXIT_OK,
 * or WORKER_EXIT_DIVERGED / WORKER_EXIT_STOPPED (after their event line), or
 * WORKER_EXIT_IO / WORKER_EXIT_CONFIG / WORKER_EXIT_DATA with a message in err. */
int train_run(const struct train_config *tc, const struct data *d, struct control *ctl, char *err,
	      size_t errlen);

#endif
