/* data: loads a trial's data set (Fashion-MNIST IDX files, gzipped or raw, any
 * IDX pair, or CSV), splits it into train / validation / test, and shares the
 * decoded result between workers: the first worker writes a cache file
 * (atomically), every worker maps it read-only, so N workers hold one copy and
 * a trial starts in milliseconds. It does no training. */
#ifndef CAVIAR_DATA_H
#define CAVIAR_DATA_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* A view of n examples; x and y point into the mapped cache (read-only). */
struct dataset {
	int n;            /* examples */
	int dim;          /* features per example */
	const float *x;   /* (n, dim) row-major; IDX pixels scaled to [0, 1] */
	const int32_t *y; /* (n,) labels in [0, classes) */
};

struct data {
	struct dataset train; /* first (1 - val_fraction) of the train_limit examples */
	struct dataset val;   /* the rest of them */
	struct dataset test;  /* test_limit examples; n == 0 when there is no test set */
	int classes;          /* 1 + the largest label seen */
	void *map;            /* the mapped cache file */
	size_t map_len;
};

/* Loads the data described by data_cfg (a spec's "data" object, keys in
 * hparams.h data_keys; NULL means Fashion-MNIST defaults). Returns 0, or a
 * worker exit code with a message naming the file and the problem in err:
 * WORKER_EXIT_DATA for a missing/corrupt/inconsistent file, WORKER_EXIT_IO for
 * a cache that cannot be written, WORKER_EXIT_CONFIG for a data object that
 * names no usable source (unknown dataset, missing train file). */
int data_load(struct data *d, const cJSON *data_cfg, char *err, size_t errlen);

/* Unmaps; accepts a zeroed or already-unloaded struct. */
void data_unload(struct data *d);

#endif
