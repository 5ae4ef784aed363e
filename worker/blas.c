/* blas: OpenBLAS through dlopen (see blas.h). */
#include "blas.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "errbuf.h"

typedef void (*sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, int, int,
			 int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*threads_fn)(int);

/* Resolved once per process; a signal handler never touches them. */
static sgemm_fn sgemm;
static threads_fn set_threads;

int blas_open(char *err, size_t errlen)
{
	static const char *const names[] = {"libopenblas.so.0", "libopenblas.so"};
	void *lib = NULL;

	if (sgemm)
		return 0;
	for (size_t i = 0; !lib && i < sizeof names / sizeof names[0]; i++)
		lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return err_set(err, errlen, "cannot load OpenBLAS: %s", dlerror());
	*(void **)&sgemm = dlsym(lib, "cblas_sgemm");
	*(void **)&set_threads = dlsym(lib, "openblas_set_num_threads");
	if (!sgemm || !set_threads) {
		sgemm = NULL;
		return err_set(err, errlen, "cannot load OpenBLAS: %s has no cblas_sgemm",
			       names[0]);
	}
	return 0;
}

static void open_or_die(void)
{
	char err[512];

	if (blas_open(err, sizeof err) < 0) {
		fprintf(stderr, "caviar-worker: %s\n", err);
		exit(70); /* WORKER_EXIT_INTERNAL */
	}
}

void blas_set_threads(int n)
{
	open_or_die();
	set_threads(n);
}

void blas_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb, int m,
		int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
		float beta, float *c, int ldc)
{
	if (!sgemm)
		open_or_die();
	sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
