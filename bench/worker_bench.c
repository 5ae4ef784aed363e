/* worker_bench: the worker's training speed on the reference workload
 * (Fashion-MNIST, 784-256-128-10, batch norm, ReLU, Adam, batch 128, one
 * OpenBLAS thread) against the sgemm-only bound (the same matrix products
 * timed alone, interleaved with it), optionally against PyTorch
 * (bench/torch_baseline.py, with its allocator setting and with glibc's
 * defaults), and optionally the test accuracy after N epochs of the real
 * trainer. Prints one JSON object: wall and CPU-time rates, the CPU, the
 * kernel set and threads of both sides (read back) and the load. Never run by
 * the unit tests.
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
	int idx[BATCH];

	for (int i = 0; i < BATCH; i++)
		idx[i] = (int)rng_below(r, (uint64_t)ds->n);
	gather_rows(xb, yb, ds->x, ds->y, idx, BATCH, ds->dim);
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

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Samples/s of the training step and of the sgemm-only bound, each the
 * median of 5 repetitions of `steps` steps (after 20 warm-up steps), the
 * two interleaved repetition by repetition so that a change of the
 * machine's load falls on both; wall time (rate[0], rate[1]) and process
 * CPU time (cpu[0], cpu[1]). */
static void time_steps(const struct opts *op, const struct dataset *ds, double rate[2],
		       double cpu[2])
{
	struct mlp m[2];
	struct optim o[2];
	struct rng r[2];
	float *xb = malloc(sizeof(float) * BATCH * (size_t)ds->dim);
	int32_t *yb = malloc(sizeof(int32_t) * BATCH);
	double wall_rate[2][5], cpu_rate[2][5];

	for (int k = 0; k < 2; k++) {
		rng_seed(&r[k], 1);
		model_init(&m[k], &o[k], ds->dim, 10, &r[k]);
	}
	for (int rep = -1; rep < 5; rep++)
		for (int k = 0; k < 2; k++) {
			int n = rep < 0 ? 20 : op->steps;
			double t0 = now(), c0 = cpu_now();
			for (int s = 0; s < n; s++) {
				if (k)
					sgemm_step(&m[k], xb);
				else
					train_step(&m[k], &o[k], ds, xb, yb, &r[k]);
			}
			if (rep >= 0) {
				wall_rate[k][rep] = (double)n * BATCH / (now() - t0);
				cpu_rate[k][rep] = (double)n * BATCH / (cpu_now() - c0);
			}
		}
	for (int k = 0; k < 2; k++) {
		qsort(wall_rate[k], 5, sizeof(double), cmp_double);
		qsort(cpu_rate[k], 5, sizeof(double), cmp_double);
		rate[k] = wall_rate[k][2];
		cpu[k] = cpu_rate[k][2];
		mlp_finish(&m[k]);
		optim_finish(&o[k]);
	}
	free(xb);
	free(yb);
}

/* Runs the torch baseline (with --malloc MODE) and returns the JSON object it
 * printed, or NULL when it fails. */
static cJSON *run_torch(const char *script, const char *data_dir, int steps, const char *malloc_mode)
{
	char cmd[4096], out[4096] = "";
	FILE *p;
	cJSON *j;

	snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' --data '%s' --steps %d --malloc %s", script,
		 data_dir, steps, malloc_mode);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	while (fgets(out, sizeof out, p) && !strchr(out, '{'))
		;
	pclose(p);
	j = cJSON_Parse(strchr(out, '{') ? strchr(out, '{') : out);
	if (j && !cJSON_IsNumber(cJSON_GetObjectItem(j, "samples_per_s"))) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

/* The CPU's model name (/proc/cpuinfo) into buf. */
static void cpu_model(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "?");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
			snprintf(buf, len, "%s", strchr(line, ':') + 2);
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
}

/* The 1-minute load average, or -1. */
static double load1(void)
{
	double l = -1.0;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f && fscanf(f, "%lf", &l) != 1)
		l = -1.0;
	if (f)
		fclose(f);
	return l;
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
	char json[1024], err[ERRBUF_LEN] = "", cpu[256];
	struct data d;
	cJSON *cfg, *out, *torch[2] = {NULL, NULL};
	double rate[2], cpu_rate[2], load0;
	char *text;
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
	load0 = load1();
	time_steps(&op, &d.train, rate, cpu_rate);
	if (op.torch) {
		torch[0] = run_torch(op.torch, op.data_dir, op.steps, "reuse");
		torch[1] = run_torch(op.torch, op.data_dir, op.steps, "glibc");
	}
	cpu_model(cpu, sizeof cpu);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "cpu", cpu);
	cJSON_AddStringToObject(out, "openblas_core", openblas_get_corename());
	cJSON_AddStringToObject(out, "openblas_config", openblas_get_config());
	cJSON_AddNumberToObject(out, "threads", openblas_get_num_threads());
	cJSON_AddNumberToObject(out, "batch", BATCH);
	cJSON_AddStringToObject(out, "model", "784-256-128-10 bn relu adam");
	cJSON_AddNumberToObject(out, "samples_per_s", round(rate[0]));
	cJSON_AddNumberToObject(out, "cpu_samples_per_s", round(cpu_rate[0]));
	cJSON_AddNumberToObject(out, "sgemm_bound_samples_per_s", round(rate[1]));
	cJSON_AddNumberToObject(out, "sgemm_bound_cpu_samples_per_s", round(cpu_rate[1]));
	cJSON_AddNumberToObject(out, "fraction_of_bound", round(rate[0] / rate[1] * 1000) / 1000);
	if (torch[0]) {
		double t = cJSON_GetObjectItem(torch[0], "samples_per_s")->valuedouble;
		cJSON *tc = cJSON_GetObjectItem(torch[0], "cpu_samples_per_s");
		cJSON_AddNumberToObject(out, "torch_samples_per_s", t);
		cJSON_AddNumberToObject(out, "speedup_vs_torch", round(rate[0] / t * 100) / 100);
		if (cJSON_IsNumber(tc) && tc->valuedouble > 0)
			cJSON_AddNumberToObject(out, "cpu_speedup_vs_torch",
						round(cpu_rate[0] / tc->valuedouble * 100) / 100);
		cJSON_AddItemToObject(out, "torch", torch[0]);
	}
	if (torch[1])
		cJSON_AddItemToObject(out, "torch_glibc_malloc", torch[1]);
	cJSON_AddNumberToObject(out, "load_start", load0);
	cJSON_AddNumberToObject(out, "load_end", load1());
	text = cJSON_PrintUnformatted(out);
	printf("%s\n", text);
	fflush(stdout);
	free(text);
	cJSON_Delete(out);
	if (op.epochs > 0)
		rc = accuracy_run(&d, op.epochs);
	data_unload(&d);
	return rc;
}
