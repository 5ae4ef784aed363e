/* test_fmnist: loads the real Fashion-MNIST (Debian's dataset-fashion-mnist)
 * through a fresh cache: 60000 + 10000 examples of 784 pixels in [0, 1], 10
 * balanced classes; then loads it again from the cache. Exits 77 (meson's
 * "skipped") when the data set is not installed. */
#include <sys/stat.h>
#include <time.h>

#include "data.h"
#include "test.h"
#include "tmpdir.h"

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

static char root[PATH_MAX];

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int load(struct data *d, double *ms)
{
	cJSON *cfg = cJSON_CreateObject();
	char err[512] = "", cache[PATH_MAX];
	double t0 = now_ms();
	int rc;

	cJSON_AddStringToObject(cfg, "cache_dir", tmp_path(cache, root, "cache"));
	rc = data_load(d, cfg, err, sizeof err);
	*ms = now_ms() - t0;
	if (rc != 0)
		fprintf(stderr, "data_load: %d: %s\n", rc, err);
	cJSON_Delete(cfg);
	return rc;
}

/* Pixels out of [0, 1] or labels out of [0, 10) in s; per-class counts added to count. */
static int bad_values(const struct dataset *s, int *count)
{
	int bad = 0;

	for (size_t i = 0; i < (size_t)s->n * (size_t)s->dim; i++)
		bad += !(s->x[i] >= 0.0f && s->x[i] <= 1.0f);
	for (int i = 0; i < s->n; i++) {
		if (s->y[i] < 0 || s->y[i] >= 10)
			bad++;
		else
			count[s->y[i]]++;
	}
	return bad;
}

static void test_fashion_mnist(void)
{
	int train_count[10] = {0}, test_count[10] = {0};
	struct data d;
	double first, second;

	if (load(&d, &first) != 0) {
		CHECK(!"Fashion-MNIST loads");
		return;
	}
	CHECK(d.classes == 10);
	CHECK(d.train.n == 54000 && d.val.n == 6000 && d.test.n == 10000);
	CHECK(d.train.dim == 784 && d.test.dim == 784);
	CHECK(bad_values(&d.train, train_count) == 0 && bad_values(&d.val, train_count) == 0);
	CHECK(bad_values(&d.test, test_count) == 0);
	for (int c = 0; c < 10; c++)
		CHECK(train_count[c] == 6000 && test_count[c] == 1000);
	CHECK(d.train.y[0] == 9); /* the first training image is an ankle boot */
	data_unload(&d);
	if (load(&d, &second) == 0) {
		CHECK(d.train.n == 54000 && d.test.n == 10000);
		data_unload(&d);
	}
	printf("# decode + cache: %.0f ms, from the cache: %.1f ms\n", first, second);
	CHECK(second < first);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"fashion_mnist", test_fashion_mnist},
		{0},
	};
	struct stat st;
	int rc;

	if (stat(FMNIST_DIR, &st) != 0) {
		printf("skip: %s not installed (apt-get install dataset-fashion-mnist)\n",
		       FMNIST_DIR);
		return 77;
	}
	tmp_make(root, sizeof root, "caviar-test-fmnist");
	rc = test_main(argc, argv, cases);
	tmp_remove(root);
	return rc;
}
