/* worker_bench: the worker's training speed on the reference workload
 * (Fashion-MNIST, 784-256-128-10, batch norm, ReLU, Adam, batch 128, one
 * OpenBLAS thread) against the sgemm-only bound (the same matrix products
 * timed alone), optionally against PyTorch (bench/torch_baseline.py), and
 * optionally the test accuracy after N epochs of the real trainer. Prints one
 * JSON object per measurement. Never run by the unit tests.
 *   worker_bench [--data DIR] [--steps N] [--torch SCRIPT] [--epochs N] [--native-core] */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "data.h"
#include "errbuf.h"
#include "kernels.h"
#include "mlp.h"
#include "optim.h"
#include "train.h"

#define BATCH 128

static const int hidden[] = {256, 128};

struct opts {
	const char *data_dir;
	const char *torch;  /* path of torch_baseline.py, or NULL */
	int steps;          /* timed steps per repetition */
	int epochs;         /* > 0: accuracy run */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void model_init(struct mlp *m, struct optim *o, int dim, int classes, struct rng *r)
{
	struct mlp_config mc = {dim, classes, 2, hidden, ACT_RELU, 1, 0.9f, 1e-5f, 0.0f};
	struct optim_config oc = {OPTIM_ADAM, 0.9f, 0.9f, 0.999f, 1e-8f, 0.0f};

	mlp_init(m, &mc, BATCH);
	mlp_init_weights(m, r);
	optim_init(o, &oc, m->n_params, m->n_decay);
}

/* The work of one step of train.c: gather rows (random ones here), forward,
 * backward, Adam. */
static void train_step(struct mlp *m, struct optim *o, const struct dataset *ds, float *xb,
		       int32_t *yb, struct rng *r)
{
	for (int i = 0; i < BATCH; i++) {
		int k = (int)rng_below(r, (uint64_t)ds->n);
		memcpy(xb + (size_t)i * ds->dim, ds->x + (size_t)k * ds->dim,
		       (size_t)ds->dim * sizeof(float));
		yb[i] = ds->y[k];
	}
	mlp_forward(m, xb, yb, BATCH, 1, r, NULL);
	mlp_backward(m, xb, yb, BATCH);
	optim_step(o, m->params, m->grads, 1e-3f);
}

/* The same matrix products and nothing else. */
static void sgemm_step(struct mlp *m, const float *xb)
{
	const float *in = xb;

	for (int l = 0; l < m->n_layers; l++) {
		struct mlp_layer *L = &m->layers[l];
		matmul_forward(L->z, in, L->w, NULL, BATCH, L->in, L->out);
		in = L->z;
	}
	for (int l = m->n_layers - 1; l >= 0; l--) {
		struct mlp_layer *L = &m->layers[l];
		const float *inp = l > 0 ? m->layers[l - 1].z : xb;
		float *dinp = l > 0 ? m->layers[l - 1].dh : NULL;
		matmul_backward(dinp, L->dw, NULL, L->dh, inp, L->w, BATCH, L->in, L->out);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median samples/s over 5 repetitions of `steps` steps (after 20 warm-up steps). */
static double time_steps(const struct opts *op, const struct dataset *ds, int sgemm_only)
{
	struct mlp m;
	struct optim o;
	struct rng r;
	float *xb = malloc(sizeof(float) * BATCH * (size_t)ds->dim);
	int32_t *yb = malloc(sizeof(int32_t) * BATCH);
	double rate[5];

	rng_seed(&r, 1);
	model_init(&m, &o, ds->dim, 10, &r);
	for (int rep = -1; rep < 5; rep++) {
		int n = rep < 0 ? 20 : op->steps;
		double t0 = now();
		for (int s = 0; s < n; s++) {
			if (sgemm_only)
				sgemm_step(&m, xb);
			else
				train_step(&m, &o, ds, xb, yb, &r);
		}
		if (rep >= 0)
			rate[rep] = (double)n * BATCH / (now() - t0);
	}
	qsort(rate, 5, sizeof rate[0], cmp_double);
	mlp_finish(&m);
	optim_finish(&o);
	free(xb);
	free(yb);
	return rate[2];
}

/* Runs the torch baseline and returns its samples/s (0 when it fails). */
static double run_torch(const char *script, const char *data_dir, int steps)
{
	char cmd[4096], out[4096] = "";
	FILE *p;
	double rate = 0.0;
	cJSON *j;

	snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --data '%s' --steps %d", script, data_dir,
		 steps);
	p = popen(cmd, "r");
	if (!p)
		return 0.0;
	while (fgets(out, sizeof out, p) && !strchr(out, '{'))
		;
	pclose(p);
	j = cJSON_Parse(strchr(out, '{') ? strchr(out, '{') : out);
	if (j && cJSON_IsNumber(cJSON_GetObjectItem(j, "samples_per_s")))
		rate = cJSON_GetObjectItem(j, "samples_per_s")->valuedouble;
	cJSON_Delete(j);
	return rate;
}

/* The real trainer for n epochs (Adam lr 1e-3, the reference model); its
 * JSON lines go to stdout, the test accuracy is the last line's. */
static int accuracy_run(const struct data *d, int epochs)
{
	char json[512], err[ERRBUF_LEN] = "";
	struct train_config tc;
	cJSON *cfg;
	int rc;

	snprintf(json, sizeof json, "{\"epochs\": %d, \"hidden\": [256, 128], \"batch\": %d,"
		 "\"optimizer\": \"adam\", \"lr\": 0.001, \"batch_norm\": true,"
		 "\"activation\": \"relu\", \"seed\": 1}", epochs, BATCH);
	cfg = cJSON_Parse(json);
	train_config_init(&tc, cfg);
	rc = train_run(&tc, d, NULL, err, sizeof err);
	if (rc)
		fprintf(stderr, "worker_bench: %s\n", err);
	train_config_finish(&tc);
	cJSON_Delete(cfg);
	return rc;
}

static int parse_args(struct opts *op, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--native-core") == 0) {
			/* OpenBLAS reads these when it loads: unset both, then start again */
			if (getenv("OPENBLAS_CORETYPE") || getenv("OPENBLAS_L2_SIZE")) {
				unsetenv("OPENBLAS_CORETYPE");
				unsetenv("OPENBLAS_L2_SIZE");
				execv("/proc/self/exe", argv);
			}
			continue;
		}
		if (!v) {
			fprintf(stderr, "worker_bench: option %s: unknown or missing value\n", a);
			return -1;
		}
		if (strcmp(a, "--data") == 0)
			op->data_dir = v;
		else if (strcmp(a, "--torch") == 0)
			op->torch = v;
		else if (strcmp(a, "--steps") == 0)
			op->steps = atoi(v);
		else if (strcmp(a, "--epochs") == 0)
			op->epochs = atoi(v);
		else {
			fprintf(stderr, "worker_bench: unknown option %s\n", a);
			return -1;
		}
		i++;
	}
	return op->steps > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct opts op = {"/usr/share/datasets/fashion-mnist", NULL, 300, 0};
	char json[1024], err[ERRBUF_LEN] = "";
	struct data d;
	cJSON *cfg;
	double ours, bound, torch = 0.0;
	int rc;

	if (parse_args(&op, argc, argv) < 0)
		return 2;
	openblas_set_num_threads(1);
	snprintf(json, sizeof json, "{\"dataset\": \"fashion-mnist\", \"dir\": \"%s\"}",
		 op.data_dir);
	cfg = cJSON_Parse(json);
	memset(&d, 0, sizeof d);
	rc = data_load(&d, cfg, err, sizeof err);
	cJSON_Delete(cfg);
	if (rc) {
		fprintf(stderr, "worker_bench: %s\n", err);
		return rc;
	}
	ours = time_steps(&op, &d.train, 0);
	bound = time_steps(&op, &d.train, 1);
	if (op.torch)
		torch = run_torch(op.torch, op.data_dir, op.steps);
	printf("{\"openblas_core\": \"%s\", \"threads\": %d, \"batch\": %d,"
	       " \"model\": \"784-256-128-10 bn relu adam\", \"samples_per_s\": %.0f,"
	       " \"sgemm_bound_samples_per_s\": %.0f, \"fraction_of_bound\": %.3f",
	       openblas_get_corename(), openblas_get_num_threads(), BATCH, ours, bound,
	       ours / bound);
	if (torch > 0)
		printf(", \"torch_samples_per_s\": %.0f, \"speedup_vs_torch\": %.2f", torch,
		       ours / torch);
	printf("}\n");
	fflush(stdout);
	if (op.epochs > 0)
		rc = accuracy_run(&d, op.epochs);
	data_unload(&d);
	return rc;
}
