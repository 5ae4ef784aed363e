/* checkpoint: saves and restores a trial's complete training state (parameters,
 * optimizer moments and step count, BN running statistics, rng, epoch and step
 * counters, learning rate, the adjustable hyperparameters' current values) so
 * a resumed trial continues bit for bit. Files are
 * written to PATH.tmp, fsynced and renamed (atomic), and carry a CRC-32 and the
 * hash of the configuration they belong to. Byte order is the host's: a file is
 * for the machine that wrote it. It knows nothing about models or training. */
#ifndef CAVIAR_CHECKPOINT_H
#define CAVIAR_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define CKPT_VALUES_MAX 2048 /* bytes of JSON text for the adjustable values */

/* The scalar state; the float arrays are passed alongside. */
struct ckpt_state {
	uint64_t config_hash; /* of the settings that shape training (train_config_hash) */
	int epoch_done;       /* epochs completed (the next one has index epoch_done) */
	long step;            /* optimizer steps taken */
	long opt_t;           /* the optimizer's step count (adam's t) */
	double lr;            /* learning rate of the last completed epoch */
	struct rng rng;       /* the trial's rng after that epoch */
	char values[CKPT_VALUES_MAX]; /* the adjustable values, a JSON object
	                               * (control_values_save), NUL-terminated */
};

/* A float array saved or restored as is. */
struct ckpt_array {
	float *data;
	size_t n;
};

enum { CKPT_MISSING = 1 }; /* checkpoint_load: no file at path (not an error) */

/* Writes state and the arrays to path atomically. Returns 0, or
 * WORKER_EXIT_IO with "checkpoint PATH: ..." in err. */
int checkpoint_save(const char *path, const struct ckpt_state *s, const struct ckpt_array *arr,
		    int n_arr, char *err, size_t errlen);

/* Keeps the checkpoint file path (just saved after epoch) as
 * PATH.epoch-EPOCH too (worker_proto.h, keep_epochs): a hard link, else a
 * copy, created under a temporary name and renamed; none of epoch 0 (a
 * trial stopped before its first epoch), which no fork starts from and
 * caviard's keep_checkpoints never removes. Returns 0, or
 * WORKER_EXIT_IO with the message in err. Works on any file. */
int checkpoint_keep(const char *path, int epoch, char *err, size_t errlen);

/* Reads path into *s and the arrays, whose sizes must match the file's.
 * Returns 0; CKPT_MISSING when path does not exist; WORKER_EXIT_IO for an
 * unreadable, truncated or corrupt file or one of another model shape; or
 * WORKER_EXIT_CONFIG when it was written for another configuration
 * (expect_hash differs). A file of format 1 (written before the adjustable
 * values were kept) is refused with a message saying so. On error the arrays
 * may be partly overwritten. */
int checkpoint_load(const char *path, uint64_t expect_hash, struct ckpt_state *s,
		    struct ckpt_array *arr, int n_arr, char *err, size_t errlen);

#endif
