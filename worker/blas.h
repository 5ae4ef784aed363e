/* blas: the worker's one door to OpenBLAS, opened on first use. The library
 * is loaded with dlopen when a trial first needs a matrix product, so a trial
 * that never multiplies (the synthetic tasks) does not pay for loading and
 * relocating it, which was most of a short trial's start-up. Tests and the
 * trainer call the same functions. */
#ifndef CAVIAR_BLAS_H
#define CAVIAR_BLAS_H

#include <stddef.h>

#include <cblas.h>

/* Loads OpenBLAS (once). Returns 0, or -1 with the loader's message in err. */
int blas_open(char *err, size_t errlen);

/* The number of threads OpenBLAS may use (loads it). */
void blas_set_threads(int n);

/* cblas_sgemm, through the loaded library; loads it on first use (a failure
 * to load is fatal here: callers that can report it call blas_open first). */
void blas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m,
		int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
		float beta, float *c, int ldc);

#endif
