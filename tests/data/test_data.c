/* test_data: the data module on small IDX and CSV files generated in a
 * temporary directory: decoding, splits and limits, every error path, and the
 * shared cache (reused, rebuilt when a source changes or the file is corrupt,
 * built once by racing processes, an unwritable directory reported). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include "data.h"
#include "exitcodes.h"
#include "test.h"
#include "tmpdir.h"

#define W 4 /* generated images are H x W */
#define H 3
#define DIM (W * H)
#define IDX_IMAGES 0x00000803u
#define IDX_LABELS 0x00000801u

static char root[PATH_MAX]; /* this program's scratch directory */

/* ---- generated files ---------------------------------------------------- */

static unsigned char pixel(int i, int j, int salt)
{
	return (unsigned char)((i * 31 + j * 7 + salt) & 0xff);
}

static int label(int i, int classes)
{
	return (i * 3 + 1) % classes;
}

static void write_bytes(const char *path, const void *buf, size_t len, int gz)
{
	if (gz) {
		gzFile f = gzopen(path, "wb");

		CHECK(f != NULL);
		CHECK(len == 0 || gzwrite(f, buf, (unsigned)len) == (int)len);
		gzclose(f);
	} else {
		FILE *f = fopen(path, "wb");

		CHECK(f != NULL);
		CHECK(fwrite(buf, 1, len, f) == len);
		fclose(f);
	}
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* An IDX file: magic, ndims big-endian dims, then len bytes of data. */
static void write_idx(const char *path, int gz, uint32_t magic, const uint32_t *dims, int ndims,
		      const unsigned char *data, size_t len)
{
	size_t head = 4 + 4 * (size_t)ndims;
	unsigned char *buf = malloc(head + len);

	put32(buf, magic);
	for (int i = 0; i < ndims; i++)
		put32(buf + 4 + 4 * i, dims[i]);
	memcpy(buf + head, data, len);
	write_bytes(path, buf, head + len, gz);
	free(buf);
}

/* n images of h x w with pixel(i, j, salt); extra bytes more (> 0) or fewer
 * (< 0) than the header announces. */
static void make_images_hw(const char *path, int gz, int n, int h, int w, int salt, int extra)
{
	uint32_t dims[3] = {(uint32_t)n, (uint32_t)h, (uint32_t)w};
	size_t len = (size_t)n * (size_t)(h * w);
	unsigned char *px = malloc(len + 16);

	for (int i = 0; i < n; i++)
		for (int j = 0; j < h * w; j++)
			px[(size_t)i * (size_t)(h * w) + (size_t)j] = pixel(i, j, salt);
	memset(px + len, 0xab, 16);
	write_idx(path, gz, IDX_IMAGES, dims, 3, px, (size_t)((long)len + extra));
	free(px);
}

static void make_images(const char *path, int gz, int n, int salt, int extra)
{
	make_images_hw(path, gz, n, H, W, salt, extra);
}

static void make_labels(const char *path, int gz, int n, int classes)
{
	uint32_t dims[1] = {(uint32_t)n};
	unsigned char *lab = malloc((size_t)n);

	for (int i = 0; i < n; i++)
		lab[i] = (unsigned char)label(i, classes);
	write_idx(path, gz, IDX_LABELS, dims, 1, lab, (size_t)n);
	free(lab);
}

static void write_text(const char *path, const char *text)
{
	write_bytes(path, text, strlen(text), 0);
}

/* A fresh directory root/name into out. */
static const char *subdir(char *out, const char *name)
{
	tmp_path(out, root, name);
	CHECK(mkdir(out, 0755) == 0);
	return out;
}

/* The standard IDX set in dir: 50 train / 20 test images, 7 classes. */
static void make_set(const char *dir, int gz)
{
	const char *ext = gz ? ".gz" : "";
	char p[PATH_MAX], name[64];

	snprintf(name, sizeof name, "train-images%s", ext);
	make_images(tmp_path(p, dir, name), gz, 50, 0, 0);
	snprintf(name, sizeof name, "train-labels%s", ext);
	make_labels(tmp_path(p, dir, name), gz, 50, 7);
	snprintf(name, sizeof name, "test-images%s", ext);
	make_images(tmp_path(p, dir, name), gz, 20, 100, 0);
	snprintf(name, sizeof name, "test-labels%s", ext);
	make_labels(tmp_path(p, dir, name), gz, 20, 7);
}

/* ---- configurations ----------------------------------------------------- */

static void cfg_path(cJSON *cfg, const char *key, const char *dir, const char *name)
{
	char p[PATH_MAX];

	cJSON_AddStringToObject(cfg, key, tmp_path(p, dir, name));
}

/* dataset "idx" over make_set's files in dir (gz names when gz), cache in
 * dir/cache; test files only when with_test. */
static cJSON *cfg_idx(const char *dir, int gz, int with_test)
{
	cJSON *cfg = cJSON_CreateObject();
	const char *ext = gz ? ".gz" : "";
	char name[64];

	cJSON_AddStringToObject(cfg, "dataset", "idx");
	snprintf(name, sizeof name, "train-images%s", ext);
	cfg_path(cfg, "train_images", dir, name);
	snprintf(name, sizeof name, "train-labels%s", ext);
	cfg_path(cfg, "train_labels", dir, name);
	if (with_test) {
		snprintf(name, sizeof name, "test-images%s", ext);
		cfg_path(cfg, "test_images", dir, name);
		snprintf(name, sizeof name, "test-labels%s", ext);
		cfg_path(cfg, "test_labels", dir, name);
	}
	cfg_path(cfg, "cache_dir", dir, "cache");
	return cfg;
}

static cJSON *cfg_csv(const char *dir, const char *train, const char *test)
{
	cJSON *cfg = cJSON_CreateObject();

	cJSON_AddStringToObject(cfg, "dataset", "csv");
	cfg_path(cfg, "train_csv", dir, train);
	if (test)
		cfg_path(cfg, "test_csv", dir, test);
	cfg_path(cfg, "cache_dir", dir, "cache");
	return cfg;
}

static void set_str(cJSON *cfg, const char *key, const char *value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cfg, key);
	cJSON_AddStringToObject(cfg, key, value);
}

static void set_num(cJSON *cfg, const char *key, double value)
{
	cJSON_DeleteItemFromObjectCaseSensitive(cfg, key);
	cJSON_AddNumberToObject(cfg, key, value);
}

/* ---- checks ------------------------------------------------------------- */

/* Examples of s are make_images/make_labels examples first.. with salt. */
static int bad_examples(const struct dataset *s, int first, int salt, int classes)
{
	int bad = 0;

	for (int i = 0; i < s->n; i++) {
		for (int j = 0; j < s->dim; j++)
			bad += s->x[(size_t)i * (size_t)s->dim + (size_t)j] !=
			       (float)pixel(first + i, j, salt) / 255.0f;
		bad += s->y[i] != label(first + i, classes);
	}
	return bad;
}

/* Loads cfg expecting success; the caller unloads. Deletes cfg. */
static int load_ok(struct data *d, cJSON *cfg)
{
	char err[512] = "";
	int rc = data_load(d, cfg, err, sizeof err);

	if (rc != 0)
		fprintf(stderr, "data_load: %d: %s\n", rc, err);
	cJSON_Delete(cfg);
	return rc;
}

/* Loads cfg expecting code and a message containing file and problem. Deletes cfg. */
static void load_fails(cJSON *cfg, int code, const char *file, const char *problem)
{
	struct data d;
	char err[512] = "";
	int rc = data_load(&d, cfg, err, sizeof err);

	CHECK(rc == code);
	if (getenv("SHOW_ERRORS"))
		printf("# %d: %s\n", rc, err);
	CHECK_CONTAINS(err, file);
	CHECK_CONTAINS(err, problem);
	CHECK(d.map == NULL);
	if (rc == 0)
		data_unload(&d);
	cJSON_Delete(cfg);
}

/* Counts dir's cache files; the last one's path goes to path. */
static int cache_files(const char *dir, char *path)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (dp && (e = readdir(dp))) {
		size_t len = strlen(e->d_name);

		if (len > 5 && strcmp(e->d_name + len - 5, ".data") == 0) {
			tmp_path(path, dir, e->d_name);
			n++;
		}
	}
	if (dp)
		closedir(dp);
	return n;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t data_hash(const struct data *d)
{
	const struct dataset *s[3] = {&d->train, &d->val, &d->test};
	uint64_t h = 0xcbf29ce484222325ull;

	for (int k = 0; k < 3; k++) {
		h = fnv(h, &s[k]->n, sizeof s[k]->n);
		h = fnv(h, s[k]->x, (size_t)s[k]->n * (size_t)s[k]->dim * sizeof(float));
		h = fnv(h, s[k]->y, (size_t)s[k]->n * sizeof(int32_t));
	}
	return fnv(h, &d->classes, sizeof d->classes);
}

/* ---- loading ------------------------------------------------------------ */

static void check_standard(const struct data *d)
{
	CHECK(d->classes == 7);
	CHECK(d->train.n == 45 && d->val.n == 5 && d->test.n == 20);
	CHECK(d->train.dim == DIM && d->val.dim == DIM && d->test.dim == DIM);
	CHECK(bad_examples(&d->train, 0, 0, 7) == 0);
	CHECK(bad_examples(&d->val, 45, 0, 7) == 0);
	CHECK(bad_examples(&d->test, 0, 100, 7) == 0);
	/* views into one map: val follows train */
	CHECK(d->val.x == d->train.x + 45 * DIM && d->val.y == d->train.y + 45);
}

static void test_idx_gz(void)
{
	char dir[PATH_MAX];
	struct data d;

	make_set(subdir(dir, "idx_gz"), 1);
	if (load_ok(&d, cfg_idx(dir, 1, 1)) == 0) {
		check_standard(&d);
		data_unload(&d);
	}
	CHECK(d.map == NULL && d.train.n == 0);
}

static void test_idx_raw(void)
{
	char dir[PATH_MAX];
	struct data d;

	make_set(subdir(dir, "idx_raw"), 0);
	if (load_ok(&d, cfg_idx(dir, 0, 1)) == 0) {
		check_standard(&d);
		data_unload(&d);
	}
}

static void test_limits(void)
{
	char dir[PATH_MAX];
	struct data d;
	cJSON *cfg;

	make_set(subdir(dir, "limits"), 1);
	cfg = cfg_idx(dir, 1, 1);
	set_num(cfg, "train_limit", 30);
	set_num(cfg, "val_fraction", 0.25); /* round(7.5) = 8 */
	set_num(cfg, "test_limit", 5);
	if (load_ok(&d, cfg) == 0) {
		CHECK(d.train.n == 22 && d.val.n == 8 && d.test.n == 5);
		CHECK(bad_examples(&d.val, 22, 0, 7) == 0);
		CHECK(bad_examples(&d.test, 0, 100, 7) == 0);
		data_unload(&d);
	}
	cfg = cfg_idx(dir, 1, 0); /* no test files; limits beyond the data */
	set_num(cfg, "train_limit", 1000);
	set_num(cfg, "val_fraction", 0);
	set_num(cfg, "test_limit", 1000);
	if (load_ok(&d, cfg) == 0) {
		CHECK(d.train.n == 50 && d.val.n == 0 && d.test.n == 0);
		CHECK(bad_examples(&d.train, 0, 0, 7) == 0);
		data_unload(&d);
	}
}

static void test_fmnist_layout(void)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct data d;
	cJSON *cfg = cJSON_CreateObject();

	subdir(dir, "fmnist");
	/* mixed: .gz for the training files, raw names for the test files */
	make_images(tmp_path(p, dir, "train-images-idx3-ubyte.gz"), 1, 30, 0, 0);
	make_labels(tmp_path(p, dir, "train-labels-idx1-ubyte.gz"), 1, 30, 10);
	make_images(tmp_path(p, dir, "t10k-images-idx3-ubyte"), 0, 10, 100, 0);
	make_labels(tmp_path(p, dir, "t10k-labels-idx1-ubyte"), 0, 10, 10);
	cJSON_AddStringToObject(cfg, "dir", dir);
	cfg_path(cfg, "cache_dir", dir, "cache");
	if (load_ok(&d, cfg) == 0) {
		CHECK(d.classes == 10 && d.train.n == 27 && d.val.n == 3 && d.test.n == 10);
		CHECK(bad_examples(&d.test, 0, 100, 10) == 0);
		data_unload(&d);
	}
}

static void test_csv(void)
{
	char dir[PATH_MAX], p[PATH_MAX];
	struct data d;
	cJSON *cfg;

	subdir(dir, "csv");
	write_text(tmp_path(p, dir, "train.csv"),
		   "label,f1,f2,f3\r\n0,1.5,2,3\r\n2, -1 ,0.25,1e3\n\n1,0,0,0\n");
	write_text(tmp_path(p, dir, "test.csv"), "3,1,1,1\n1,2,2,2");
	cfg = cfg_csv(dir, "train.csv", "test.csv");
	set_num(cfg, "val_fraction", 0);
	if (load_ok(&d, cfg) == 0) {
		CHECK(d.classes == 4 && d.train.n == 3 && d.val.n == 0 && d.test.n == 2);
		CHECK(d.train.dim == 3 && d.test.dim == 3);
		CHECK(d.train.y[0] == 0 && d.train.y[1] == 2 && d.train.y[2] == 1);
		CHECK(d.train.x[0] == 1.5f && d.train.x[3] == -1.0f && d.train.x[5] == 1000.0f);
		CHECK(d.test.y[0] == 3 && d.test.x[5] == 2.0f);
		data_unload(&d);
	}
	/* no header, no test file, gzipped */
	write_bytes(tmp_path(p, dir, "plain.csv.gz"), "1,0.5\n0,0.25\n", 13, 1);
	if (load_ok(&d, cfg_csv(dir, "plain.csv.gz", NULL)) == 0) {
		CHECK(d.classes == 2 && d.train.n + d.val.n == 2 && d.test.n == 0);
		CHECK(d.train.dim == 1 && d.train.x[0] == 0.5f);
		data_unload(&d);
	}
}

/* ---- errors ------------------------------------------------------------- */

static void test_idx_errors(void)
{
	char dir[PATH_MAX], p[PATH_MAX];
	cJSON *cfg;

	make_set(subdir(dir, "idx_err"), 1);
	make_images(tmp_path(p, dir, "short.gz"), 1, 50, 0, -5);
	make_images(tmp_path(p, dir, "short"), 0, 50, 0, -5);
	make_images(tmp_path(p, dir, "long.gz"), 1, 50, 0, 3);
	make_labels(tmp_path(p, dir, "labels49.gz"), 1, 49, 7);
	make_images_hw(tmp_path(p, dir, "test5x5.gz"), 1, 20, 5, 5, 0, 0);
	write_bytes(tmp_path(p, dir, "tiny"), "\0\0", 2, 0);

	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "train_images", tmp_path(p, dir, "short.gz"));
	load_fails(cfg, WORKER_EXIT_DATA, "short.gz", "truncated");

	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "train_images", tmp_path(p, dir, "short"));
	load_fails(cfg, WORKER_EXIT_DATA, "short", "truncated");

	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "train_images", tmp_path(p, dir, "tiny"));
	load_fails(cfg, WORKER_EXIT_DATA, "tiny", "truncated");

	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "train_images", tmp_path(p, dir, "long.gz"));
	load_fails(cfg, WORKER_EXIT_DATA, "long.gz", "trailing data");

	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "train_images", tmp_path(p, dir, "train-labels.gz"));
	load_fails(cfg, WORKER_EXIT_DATA, "train-labels.gz",
		   "bad magic 0x00000801, expected 0x00000803 (an IDX image file)");

	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "test_labels", tmp_path(p, dir, "test-images.gz"));
	load_fails(cfg, WORKER_EXIT_DATA, "test-images.gz",
		   "bad magic 0x00000803, expected 0x00000801 (an IDX label file)");

	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "train_labels", tmp_path(p, dir, "labels49.gz"));
	load_fails(cfg, WORKER_EXIT_DATA, "labels49.gz", "49 labels, but");

	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "test_images", tmp_path(p, dir, "test5x5.gz"));
	load_fails(cfg, WORKER_EXIT_DATA, "test5x5.gz", "25 features per example");

	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "train_images", tmp_path(p, dir, "nonexistent.gz"));
	load_fails(cfg, WORKER_EXIT_DATA, "nonexistent.gz", "No such file or directory");
}

static void test_corrupt_gzip(void)
{
	char dir[PATH_MAX], p[PATH_MAX];
	cJSON *cfg;
	int fd;

	make_set(subdir(dir, "gz_err"), 1);
	make_images(tmp_path(p, dir, "big.gz"), 1, 2000, 0, 0);
	fd = open(p, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "garbage!garbage!", 16, 200) == 16);
	close(fd);
	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "train_images", p);
	load_fails(cfg, WORKER_EXIT_DATA, "big.gz: ", ""); /* zlib's message varies */

	make_images(tmp_path(p, dir, "cut.gz"), 1, 2000, 0, 0);
	CHECK(truncate(p, 300) == 0);
	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "train_images", p);
	load_fails(cfg, WORKER_EXIT_DATA, "cut.gz: ", "truncated");
}

static void test_label_range(void)
{
	char dir[PATH_MAX], p[PATH_MAX];
	cJSON *cfg = cJSON_CreateObject();

	subdir(dir, "fmnist11");
	make_images(tmp_path(p, dir, "train-images-idx3-ubyte"), 0, 30, 0, 0);
	make_labels(tmp_path(p, dir, "train-labels-idx1-ubyte"), 0, 30, 11);
	make_images(tmp_path(p, dir, "t10k-images-idx3-ubyte"), 0, 10, 0, 0);
	make_labels(tmp_path(p, dir, "t10k-labels-idx1-ubyte"), 0, 10, 10);
	cJSON_AddStringToObject(cfg, "dir", dir);
	cfg_path(cfg, "cache_dir", dir, "cache");
	load_fails(cfg, WORKER_EXIT_DATA, "train-labels-idx1-ubyte", "label 10 of example 3 out of range");

	cfg = cJSON_CreateObject();
	cJSON_AddStringToObject(cfg, "dataset", "fashion-mnist");
	cJSON_AddStringToObject(cfg, "dir", tmp_path(p, root, "no-such-dir"));
	load_fails(cfg, WORKER_EXIT_DATA, "no-such-dir/train-images-idx3-ubyte.gz",
		   "No such file or directory");
}

/* Writes text as name in dir and expects loading it as the training CSV to fail. */
static void csv_fails(const char *dir, const char *name, const char *text, const char *problem)
{
	char p[PATH_MAX];

	write_text(tmp_path(p, dir, name), text);
	load_fails(cfg_csv(dir, name, NULL), WORKER_EXIT_DATA, name, problem);
}

static void test_csv_errors(void)
{
	char dir[PATH_MAX], p[PATH_MAX];

	subdir(dir, "csv_err");
	csv_fails(dir, "empty.csv", "", "no data rows");
	csv_fails(dir, "header.csv", "label,a,b\n", "no data rows");
	csv_fails(dir, "ragged.csv", "0,1,2\n1,2,3\n1,2\n", "ragged.csv:3: 2 fields, expected 3");
	csv_fails(dir, "text.csv", "y,a,b\n0,1,2\n1,x,3\n", "text.csv:3: field 2 \"x\" is not a number");
	csv_fails(dir, "neg.csv", "0,1\n-1,2\n", "neg.csv:2: label -1 is not an integer");
	csv_fails(dir, "frac.csv", "1.5,2\n", "frac.csv:1: label 1.5");
	csv_fails(dir, "nofeat.csv", "1\n2\n", "at least one feature");
	csv_fails(dir, "nan.csv", "1,nan\n", "is not a number");
	write_text(tmp_path(p, dir, "ok.csv"), "0,1,2\n1,2,3\n");
	write_text(tmp_path(p, dir, "wide.csv"), "0,1,2,3\n");
	load_fails(cfg_csv(dir, "ok.csv", "wide.csv"), WORKER_EXIT_DATA, "wide.csv",
		   "3 features per example, but");
	load_fails(cfg_csv(dir, "missing.csv", NULL), WORKER_EXIT_DATA, "missing.csv",
		   "No such file or directory");
}

static void test_config_errors(void)
{
	char dir[PATH_MAX];
	cJSON *cfg;

	make_set(subdir(dir, "cfg_err"), 1);
	cfg = cfg_idx(dir, 1, 0);
	cJSON_DeleteItemFromObject(cfg, "train_labels");
	load_fails(cfg, WORKER_EXIT_CONFIG, "data.train_labels", "required");

	cfg = cfg_idx(dir, 1, 1);
	cJSON_DeleteItemFromObject(cfg, "test_labels");
	load_fails(cfg, WORKER_EXIT_CONFIG, "test_images", "both test files or neither");

	cfg = cfg_idx(dir, 1, 1);
	set_num(cfg, "train_limit", 1);
	set_num(cfg, "val_fraction", 0.9);
	load_fails(cfg, WORKER_EXIT_CONFIG, "val_fraction", "none to train on");
}

/* ---- the cache ---------------------------------------------------------- */

static void test_cache_reuse(void)
{
	char dir[PATH_MAX], cache[PATH_MAX], path[PATH_MAX];
	struct stat a, b;
	struct data d;

	make_set(subdir(dir, "reuse"), 1);
	CHECK(load_ok(&d, cfg_idx(dir, 1, 1)) == 0);
	data_unload(&d);
	CHECK(cache_files(tmp_path(cache, dir, "cache"), path) == 1);
	CHECK(stat(path, &a) == 0);
	CHECK((a.st_size % 64) == 0);
	CHECK(stat(cache, &b) == 0 && (b.st_mode & 0777) == 0700);
	if (load_ok(&d, cfg_idx(dir, 1, 1)) == 0) {
		check_standard(&d);
		data_unload(&d);
	}
	CHECK(stat(path, &b) == 0);
	CHECK(a.st_ino == b.st_ino);
	CHECK(a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);
	CHECK(cache_files(cache, path) == 1);
}

static void test_cache_source_change(void)
{
	char dir[PATH_MAX], cache[PATH_MAX], path[PATH_MAX], p[PATH_MAX];
	struct timespec later[2];
	struct data d;

	make_set(subdir(dir, "change"), 1);
	CHECK(load_ok(&d, cfg_idx(dir, 1, 1)) == 0);
	data_unload(&d);
	/* same size, new pixels, a later mtime */
	make_images(tmp_path(p, dir, "train-images.gz"), 1, 50, 9, 0);
	clock_gettime(CLOCK_REALTIME, &later[0]);
	later[0].tv_sec += 10;
	later[1] = later[0];
	CHECK(utimensat(AT_FDCWD, p, later, 0) == 0);
	if (load_ok(&d, cfg_idx(dir, 1, 1)) == 0) {
		CHECK(bad_examples(&d.train, 0, 9, 7) == 0);
		data_unload(&d);
	}
	CHECK(cache_files(tmp_path(cache, dir, "cache"), path) == 2);
}

/* Corrupts the cache file with fn, then expects a rebuild with the right data. */
static void corrupt_and_reload(const char *dir, void (*fn)(const char *path))
{
	char cache[PATH_MAX], path[PATH_MAX];
	struct stat a, b;
	struct data d;

	CHECK(cache_files(tmp_path(cache, dir, "cache"), path) == 1);
	CHECK(stat(path, &a) == 0);
	fn(path);
	if (load_ok(&d, cfg_idx(dir, 1, 1)) == 0) {
		check_standard(&d);
		data_unload(&d);
	}
	CHECK(stat(path, &b) == 0 && b.st_ino != a.st_ino && b.st_size == a.st_size);
}

static void smash_magic(const char *path)
{
	int fd = open(path, O_WRONLY);

	CHECK(fd >= 0 && pwrite(fd, "XXXX", 4, 0) == 4);
	close(fd);
}

static void smash_label(const char *path)
{
	int fd = open(path, O_RDWR);
	int32_t bad = 99;
	uint64_t off[4];

	/* the header's offsets start at byte 48: train x, train y, ... */
	CHECK(fd >= 0 && pread(fd, off, sizeof off, 48) == (ssize_t)sizeof off);
	CHECK(pwrite(fd, &bad, sizeof bad, (off_t)off[1]) == (ssize_t)sizeof bad);
	close(fd);
}

static void cut_in_half(const char *path)
{
	struct stat st;

	CHECK(stat(path, &st) == 0 && truncate(path, st.st_size / 2) == 0);
}

static void test_cache_corrupt(void)
{
	char dir[PATH_MAX], cache[PATH_MAX], path[PATH_MAX], stale[PATH_MAX + 16];
	struct data d;

	make_set(subdir(dir, "corrupt"), 1);
	CHECK(load_ok(&d, cfg_idx(dir, 1, 1)) == 0);
	data_unload(&d);
	/* a temporary file left by a killed builder goes with the next rebuild */
	CHECK(cache_files(tmp_path(cache, dir, "cache"), path) == 1);
	snprintf(stale, sizeof stale, "%s.tmp.dead01", path);
	write_text(stale, "partial");
	corrupt_and_reload(dir, smash_magic);
	CHECK(access(stale, F_OK) != 0);
	corrupt_and_reload(dir, smash_label);
	corrupt_and_reload(dir, cut_in_half);
}

/* Child of test_cache_race: waits for the start signal, loads, writes the hash. */
static void race_child(const char *dir, int go, int out)
{
	struct data d;
	char buf;
	uint64_t h = 0;
	cJSON *cfg = cfg_idx(dir, 1, 1);
	int rc;

	CHECK(read(go, &buf, 1) == 0);
	rc = data_load(&d, cfg, NULL, 0);
	if (rc == 0)
		h = data_hash(&d);
	CHECK(write(out, &h, sizeof h) == (ssize_t)sizeof h);
	data_unload(&d);
	cJSON_Delete(cfg);
	_exit(rc ? rc : test_failures ? 1 : 0);
}

static void test_cache_race(void)
{
	enum { N = 4 };
	char dir[PATH_MAX], path[PATH_MAX];
	int go[2], out[N][2], status;
	pid_t pid[N];
	uint64_t h[N], mine = 1;
	struct data d;

	make_set(subdir(dir, "race"), 1);
	CHECK(pipe(go) == 0);
	for (int i = 0; i < N; i++) {
		CHECK(pipe(out[i]) == 0);
		fflush(stdout);
		if ((pid[i] = fork()) == 0) {
			close(go[1]);
			race_child(dir, go[0], out[i][1]);
		}
		close(out[i][1]);
	}
	close(go[1]); /* all start at once */
	close(go[0]);
	for (int i = 0; i < N; i++) {
		CHECK(read(out[i][0], &h[i], sizeof h[i]) == (ssize_t)sizeof h[i]);
		close(out[i][0]);
		CHECK(waitpid(pid[i], &status, 0) == pid[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	if (load_ok(&d, cfg_idx(dir, 1, 1)) == 0) {
		mine = data_hash(&d);
		data_unload(&d);
	}
	for (int i = 0; i < N; i++)
		CHECK(h[i] == mine);
	CHECK(cache_files(tmp_path(path, dir, "cache"), path) == 1);
}

static void test_cache_unwritable(void)
{
	char dir[PATH_MAX], p[PATH_MAX];
	cJSON *cfg;

	make_set(subdir(dir, "unwritable"), 1);
	write_text(tmp_path(p, dir, "afile"), "not a directory\n");
	cfg = cfg_idx(dir, 1, 1);
	set_str(cfg, "cache_dir", tmp_path(p, dir, "afile/sub"));
	load_fails(cfg, WORKER_EXIT_IO, "afile/sub", "Not a directory");
}

static void test_cache_dir_env(void)
{
	char dir[PATH_MAX], p[PATH_MAX], path[PATH_MAX];
	struct data d;
	cJSON *cfg;

	make_set(subdir(dir, "env"), 1);
	setenv("CAVIAR_CACHE_DIR", tmp_path(p, dir, "from-env"), 1);
	cfg = cfg_idx(dir, 1, 1);
	cJSON_DeleteItemFromObject(cfg, "cache_dir");
	if (load_ok(&d, cfg) == 0)
		data_unload(&d);
	CHECK(cache_files(p, path) == 1);
	unsetenv("CAVIAR_CACHE_DIR");
	setenv("XDG_CACHE_HOME", tmp_path(p, dir, "xdg"), 1);
	cfg = cfg_idx(dir, 1, 1);
	cJSON_DeleteItemFromObject(cfg, "cache_dir");
	if (load_ok(&d, cfg) == 0)
		data_unload(&d);
	CHECK(cache_files(tmp_path(p, dir, "xdg/caviar"), path) == 1);
	unsetenv("XDG_CACHE_HOME");
}

static void test_unload(void)
{
	struct data d;

	memset(&d, 0, sizeof d);
	data_unload(&d);
	data_unload(&d);
	data_unload(NULL);
	CHECK(d.map == NULL);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"idx_gz", test_idx_gz},
		{"idx_raw", test_idx_raw},
		{"limits", test_limits},
		{"fmnist_layout", test_fmnist_layout},
		{"csv", test_csv},
		{"idx_errors", test_idx_errors},
		{"corrupt_gzip", test_corrupt_gzip},
		{"label_range", test_label_range},
		{"csv_errors", test_csv_errors},
		{"config_errors", test_config_errors},
		{"cache_reuse", test_cache_reuse},
		{"cache_source_change", test_cache_source_change},
		{"cache_corrupt", test_cache_corrupt},
		{"cache_race", test_cache_race},
		{"cache_unwritable", test_cache_unwritable},
		{"cache_dir_env", test_cache_dir_env},
		{"unload", test_unload},
		{0},
	};
	int rc;

	tmp_make(root, sizeof root, "caviar-test-data");
	rc = test_main(argc, argv, cases);
	tmp_remove(root);
	return rc;
}
