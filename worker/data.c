/* data: decodes IDX and CSV data sets once into a cache file that every worker
 * maps read-only, and cuts train / validation / test views out of the map
 * (see data.h).
 *
 * Cache location: data.cache_dir, else $CAVIAR_CACHE_DIR, else
 * $XDG_CACHE_HOME/caviar, else $HOME/.cache/caviar (created with mode 0700).
 * File name: "<key>.data", key = FNV-1a 64 of CACHE_VERSION, the format and, per
 * source file, its absolute path, size and mtime: a changed source gives a new
 * file. Layout, native byte order, every array 64-byte aligned:
 *   struct cache_header | train x (train_n, dim) float | train y (train_n) int32 |
 *   test x (test_n, dim) float | test y (test_n) int32
 * A missing, short or corrupt cache is rebuilt under an flock on "<key>.lock",
 * written to a mkstemp file in the same directory, fsync'd and renamed into
 * place, so racing workers build it once and never see a partial file. */
#include "data.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "errbuf.h"
#include "exitcodes.h"
#include "hparams.h"
#include "xalloc.h"

#define CACHE_MAGIC "CAVDATA\n"  /* 8 bytes, no terminator stored */
#define CACHE_VERSION 1u         /* bump when the layout or decoding changes */
#define CACHE_BYTE_ORDER 0x01020304u
#define CACHE_ALIGN 64
#define MAX_SOURCES 4
#define MAX_LABEL 65535          /* sanity bound: classes <= 65536 */
#define FMNIST_CLASSES 10
#define IDX_IMAGES 0x00000803u   /* unsigned byte, 3 dims */
#define IDX_LABELS 0x00000801u   /* unsigned byte, 1 dim */

enum format { FMT_FMNIST, FMT_IDX, FMT_CSV };

/* The files a data set is decoded from. IDX: train images, train labels, then
 * test images, test labels; CSV: train, then test. */
struct sources {
	enum format format;
	int n;        /* paths used */
	int has_test; /* test files present */
	char path[MAX_SOURCES][PATH_MAX];
};

/* One decoded part (heap memory, only while building the cache). */
struct part {
	int n, dim;
	float *x;   /* (n, dim) */
	int32_t *y; /* (n,) */
};

struct cache_header {
	char magic[8];         /* CACHE_MAGIC */
	uint32_t version;      /* CACHE_VERSION */
	uint32_t byte_order;   /* CACHE_BYTE_ORDER as this machine writes it */
	uint64_t key;          /* source hash; also the file name */
	uint64_t file_size;    /* whole file, bytes */
	int32_t train_n, test_n, dim, classes;
	uint64_t off[4];       /* train x, train y, test x, test y */
};

/* Formats the message into err and returns code (a worker exit code). */
static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static void part_free(struct part *p)
{
	free(p->x);
	free(p->y);
	memset(p, 0, sizeof *p);
}

/* ---- source files and their key ---------------------------------------- */

static int set_path(char *dst, const char *a, const char *b, char *err, size_t errlen)
{
	int n = snprintf(dst, PATH_MAX, "%s%s%s", a, b ? "/" : "", b ? b : "");

	if (n < 0 || n >= PATH_MAX)
		return err_set(err, errlen, "%s: path too long", a);
	return 0;
}

/* Fashion-MNIST file base in dir: the .gz name, or the raw one if only it exists. */
static int fmnist_path(char *dst, const char *dir, const char *base, char *err, size_t errlen)
{
	char gz[PATH_MAX];
	struct stat st;
	int n = snprintf(gz, sizeof gz, "%s.gz", base);

	if (n < 0 || (size_t)n >= sizeof gz || set_path(dst, dir, gz, err, errlen) < 0)
		return err_set(err, errlen, "%s: path too long", dir);
	if (stat(dst, &st) == 0)
		return 0;
	if (set_path(dst, dir, base, err, errlen) < 0 || stat(dst, &st) < 0)
		return err_set(err, errlen, "%s/%s: %s (nor without .gz)", dir, gz, strerror(errno));
	return 0;
}

static int sources_fmnist(struct sources *src, const cJSON *cfg, char *err, size_t errlen)
{
	static const char *const base[MAX_SOURCES] = {
		"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
		"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
	const char *dir = hp_string(data_keys, n_data_keys, cfg, "dir");

	src->n = MAX_SOURCES;
	src->has_test = 1;
	for (int i = 0; i < MAX_SOURCES; i++)
		if (fmnist_path(src->path[i], dir, base[i], err, errlen) < 0)
			return WORKER_EXIT_DATA;
	return 0;
}

/* Copies the listed data keys into src->path; the first `required` must be set,
 * the others all or none. */
static int sources_keys(struct sources *src, const cJSON *cfg, const char *const *keys, int n,
			int required, char *err, size_t errlen)
{
	const char *dataset = hp_string(data_keys, n_data_keys, cfg, "dataset");
	int set = 0;

	for (int i = 0; i < n; i++) {
		const char *s = hp_string(data_keys, n_data_keys, cfg, keys[i]);

		if (!s || !*s) {
			if (i < required)
				return fail(WORKER_EXIT_CONFIG, err, errlen,
					    "data.%s: required for dataset \"%s\"", keys[i], dataset);
			continue;
		}
		if (set_path(src->path[i], s, NULL, err, errlen) < 0)
			return WORKER_EXIT_CONFIG;
		set++;
	}
	if (set != required && set != n)
		return fail(WORKER_EXIT_CONFIG, err, errlen,
			    "data.%s: set both test files or neither", keys[required]);
	src->n = set;
	src->has_test = set > required;
	return 0;
}

static int sources_find(struct sources *src, const cJSON *cfg, char *err, size_t errlen)
{
	static const char *const idx_keys[] = {"train_images", "train_labels", "test_images",
					       "test_labels"};
	static const char *const csv_keys[] = {"train_csv", "test_csv"};
	const char *dataset = hp_string(data_keys, n_data_keys, cfg, "dataset");

	memset(src, 0, sizeof *src);
	switch (hp_choice(data_keys, n_data_keys, cfg, "dataset")) {
	case HP_DATASET_FASHION_MNIST:
		src->format = FMT_FMNIST;
		return sources_fmnist(src, cfg, err, errlen);
	case HP_DATASET_IDX:
		src->format = FMT_IDX;
		return sources_keys(src, cfg, idx_keys, 4, 2, err, errlen);
	case HP_DATASET_CSV:
		src->format = FMT_CSV;
		return sources_keys(src, cfg, csv_keys, 2, 1, err, errlen);
	}
	err_set(err, errlen, "data.dataset: unknown data set \"%s\"", dataset);
	return WORKER_EXIT_CONFIG;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The cache key of src: fails (WORKER_EXIT_DATA) when a source is missing. */
static int sources_key(const struct sources *src, uint64_t *key, char *err, size_t errlen)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t version = CACHE_VERSION, format = (uint32_t)src->format;
	char abs[PATH_MAX];
	struct stat st;

	h = fnv1a(h, &version, sizeof version);
	h = fnv1a(h, &format, sizeof format);
	for (int i = 0; i < src->n; i++) {
		int64_t meta[3];

		if (stat(src->path[i], &st) < 0 || !realpath(src->path[i], abs))
			return fail(WORKER_EXIT_DATA, err, errlen, "%s: %s", src->path[i],
				    strerror(errno));
		if (!S_ISREG(st.st_mode))
			return fail(WORKER_EXIT_DATA, err, errlen, "%s: not a regular file",
				    src->path[i]);
		meta[0] = st.st_size;
		meta[1] = st.st_mtim.tv_sec;
		meta[2] = st.st_mtim.tv_nsec;
		h = fnv1a(h, abs, strlen(abs) + 1);
		h = fnv1a(h, meta, sizeof meta);
	}
	*key = h;
	return 0;
}

/* ---- IDX ---------------------------------------------------------------- */

static int gz_fail(gzFile gz, const char *path, char *err, size_t errlen)
{
	int code;
	const char *msg = gzerror(gz, &code);
	size_t len = strlen(path);

	if (code == Z_ERRNO)
		msg = strerror(errno);
	else if (code == Z_BUF_ERROR)
		msg = "truncated: the gzip stream ends early";
	else if (msg && strncmp(msg, path, len) == 0 && strncmp(msg + len, ": ", 2) == 0)
		msg += len + 2; /* zlib prefixes the path itself */
	return err_set(err, errlen, "%s: %s", path, msg && *msg ? msg : "read error");
}

static gzFile gz_open(const char *path, char *err, size_t errlen)
{
	gzFile gz;

	errno = 0;
	gz = gzopen(path, "rb");
	if (!gz)
		err_set(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot open");
	else
		gzbuffer(gz, 1 << 17);
	return gz;
}

/* Reads exactly want (> 0) bytes into a malloc'd *out (the caller frees it),
 * then checks that the stream ends there. The buffer grows as data arrives, so
 * a header announcing absurd sizes fails as truncated instead of allocating. */
static int gz_read_exact(gzFile gz, const char *path, uint64_t want, unsigned char **out,
			 char *err, size_t errlen)
{
	size_t cap = want < (1u << 16) ? (size_t)want : (1u << 16), got = 0;
	unsigned char *buf = xmalloc(cap), extra;
	int r = 0;

	while (got < want) {
		if (got == cap) {
			cap = (uint64_t)cap * 2 < want ? cap * 2 : (size_t)want;
			buf = xrealloc(buf, cap);
		}
		r = gzread(gz, buf + got, (unsigned)(cap - got < (1u << 30) ? cap - got : (1u << 30)));
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (r < 0)
		gz_fail(gz, path, err, errlen);
	else if (got < want)
		err_set(err, errlen, "%s: truncated: the header announces %llu data bytes, "
			"the file holds %zu", path, (unsigned long long)want, got);
	else if (gzread(gz, &extra, 1) != 0)
		err_set(err, errlen, "%s: trailing data after the %llu bytes the header announces",
			path, (unsigned long long)want);
	else {
		*out = buf;
		return 0;
	}
	free(buf);
	return -1;
}

/* Reads the magic and ndims big-endian dimensions of an IDX file. */
static int idx_header(gzFile gz, const char *path, uint32_t magic, int ndims, uint32_t *dims,
		      char *err, size_t errlen)
{
	unsigned char b[16];
	int want = 4 * (ndims + 1), r = gzread(gz, b, (unsigned)want);
	uint32_t got;

	if (r < 0)
		return gz_fail(gz, path, err, errlen);
	if (r < 4)
		return err_set(err, errlen, "%s: truncated: no IDX header", path);
	got = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	if (got != magic)
		return err_set(err, errlen, "%s: bad magic 0x%08x, expected 0x%08x (an IDX %s file)",
			       path, got, magic, magic == IDX_IMAGES ? "image" : "label");
	if (r < want)
		return err_set(err, errlen, "%s: truncated IDX header", path);
	for (int i = 0; i < ndims; i++) {
		const unsigned char *p = b + 4 + 4 * i;

		dims[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		if (dims[i] == 0 || dims[i] > INT_MAX)
			return err_set(err, errlen, "%s: bad dimension %u", path, dims[i]);
	}
	return 0;
}

/* Reads an IDX image file into p->x (pixels / 255), p->n and p->dim. */
static int idx_images(const char *path, struct part *p, char *err, size_t errlen)
{
	gzFile gz = gz_open(path, err, errlen);
	uint32_t dims[3];
	unsigned char *px = NULL;
	uint64_t total = 0;
	int rc;

	if (!gz)
		return -1;
	rc = idx_header(gz, path, IDX_IMAGES, 3, dims, err, errlen);
	if (rc == 0 && (uint64_t)dims[1] * dims[2] > INT_MAX)
		rc = err_set(err, errlen, "%s: images of %ux%u are too large", path, dims[1], dims[2]);
	if (rc == 0) {
		p->n = (int)dims[0];
		p->dim = (int)(dims[1] * dims[2]);
		total = (uint64_t)p->n * (uint64_t)p->dim;
		rc = gz_read_exact(gz, path, total, &px, err, errlen);
	}
	gzclose(gz);
	if (rc < 0)
		return -1;
	p->x = xmalloc((size_t)total * sizeof *p->x);
	for (size_t i = 0; i < total; i++)
		p->x[i] = (float)px[i] / 255.0f;
	free(px);
	return 0;
}

/* Reads an IDX label file into p->y; its count must match p->n (from images). */
static int idx_labels(const char *path, const char *images, struct part *p, char *err,
		      size_t errlen)
{
	gzFile gz = gz_open(path, err, errlen);
	unsigned char *lab = NULL;
	uint32_t n = 0;
	int rc;

	if (!gz)
		return -1;
	rc = idx_header(gz, path, IDX_LABELS, 1, &n, err, errlen);
	if (rc == 0 && n != (uint32_t)p->n)
		rc = err_set(err, errlen, "%s: %u labels, but %s holds %d images", path, n, images,
			     p->n);
	if (rc == 0)
		rc = gz_read_exact(gz, path, n, &lab, err, errlen);
	gzclose(gz);
	if (rc < 0)
		return -1;
	p->y = xmalloc((size_t)n * sizeof *p->y);
	for (uint32_t i = 0; i < n; i++)
		p->y[i] = lab[i];
	free(lab);
	return 0;
}

static int idx_pair(const char *images, const char *labels, struct part *p, char *err,
		    size_t errlen)
{
	if (idx_images(images, p, err, errlen) == 0 && idx_labels(labels, images, p, err, errlen) == 0)
		return 0;
	part_free(p);
	return -1;
}

/* ---- CSV ---------------------------------------------------------------- */

struct csv {
	gzFile gz;
	const char *path;
	char *line;   /* current line, no newline */
	size_t cap;
	long lineno;
	int fields;   /* per row, fixed by the first data row (0: not yet) */
	long first;   /* line number of the first data row */
	size_t rows;  /* capacity of p->x and p->y, in examples */
};

/* Reads the next line into c->line. Returns 1, 0 at end of file, -1 on error. */
static int csv_getline(struct csv *c, char *err, size_t errlen)
{
	size_t len = 0;

	for (;;) {
		if (c->cap - len < 2)
			c->line = xrealloc(c->line, c->cap = c->cap ? 2 * c->cap : 4096);
		if (!gzgets(c->gz, c->line + len, (int)(c->cap - len < INT_MAX ? c->cap - len : INT_MAX))) {
			if (!gzeof(c->gz))
				return gz_fail(c->gz, c->path, err, errlen);
			if (len == 0)
				return 0;
			break;
		}
		len += strlen(c->line + len);
		if (len > 0 && c->line[len - 1] == '\n')
			break;
	}
	c->lineno++;
	while (len > 0 && (c->line[len - 1] == '\n' || c->line[len - 1] == '\r'))
		c->line[--len] = '\0';
	return 1;
}

/* Parses field s (trimmed in place) as a finite number. */
static int csv_number(char *s, double *v)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	*v = strtod(s, &end);
	if (end == s)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	return *end == '\0' && isfinite(*v) ? 0 : -1;
}

static int csv_count(const char *line)
{
	int n = 1;

	for (; *line; line++)
		n += *line == ',';
	return n;
}

/* Appends the current row (label, then features) to p. */
static int csv_row(struct csv *c, struct part *p, char *err, size_t errlen)
{
	char *field = c->line, *next;
	int fields = csv_count(c->line);
	double v;

	if (fields != c->fields)
		return err_set(err, errlen, "%s:%ld: %d fields, expected %d like line %ld", c->path,
			       c->lineno, fields, c->fields, c->first);
	if ((size_t)p->n == c->rows) {
		c->rows = c->rows ? 2 * c->rows : 1024;
		p->y = xrealloc(p->y, c->rows * sizeof *p->y);
		p->x = xrealloc(p->x, c->rows * (size_t)p->dim * sizeof *p->x);
	}
	for (int i = 0; i < fields; i++, field = next + 1) {
		next = strchr(field, ',');
		if (next)
			*next = '\0';
		if (csv_number(field, &v) < 0)
			return err_set(err, errlen, "%s:%ld: field %d \"%.40s\" is not a number",
				       c->path, c->lineno, i + 1, field);
		if (i > 0) {
			p->x[(size_t)p->n * (size_t)p->dim + (size_t)(i - 1)] = (float)v;
		} else if (v < 0 || v > MAX_LABEL || v != floor(v)) {
			return err_set(err, errlen, "%s:%ld: label %g is not an integer in [0, %d]",
				       c->path, c->lineno, v, MAX_LABEL);
		} else {
			p->y[p->n] = (int32_t)v;
		}
		if (!next)
			break;
	}
	p->n++;
	return 0;
}

/* Handles the first non-blank line: a header (skipped) or the first row. */
static int csv_first(struct csv *c, struct part *p, int *header_seen, char *err, size_t errlen)
{
	char first[64];
	size_t len = strcspn(c->line, ",");
	double v;

	snprintf(first, sizeof first, "%.*s", (int)(len < 63 ? len : 63), c->line);
	if (!*header_seen && csv_number(first, &v) < 0) {
		*header_seen = 1;
		return 0;
	}
	c->fields = csv_count(c->line);
	c->first = c->lineno;
	if (c->fields < 2)
		return err_set(err, errlen, "%s:%ld: expected a label and at least one feature",
			       c->path, c->lineno);
	p->dim = c->fields - 1;
	return csv_row(c, p, err, errlen);
}

static int csv_read(const char *path, struct part *p, char *err, size_t errlen)
{
	struct csv c = {.path = path};
	int header = 0, r;

	memset(p, 0, sizeof *p);
	if (!(c.gz = gz_open(path, err, errlen)))
		return -1;
	while ((r = csv_getline(&c, err, errlen)) > 0) {
		if (c.line[strspn(c.line, " \t")] == '\0')
			continue; /* blank line */
		r = c.fields ? csv_row(&c, p, err, errlen)
			     : csv_first(&c, p, &header, err, errlen);
		if (r < 0)
			break;
	}
	gzclose(c.gz);
	free(c.line);
	if (r == 0 && p->n == 0)
		r = err_set(err, errlen, "%s: no data rows (empty CSV)", path);
	if (r < 0)
		part_free(p);
	return r;
}

/* ---- decoding ----------------------------------------------------------- */

/* The largest label of p, checking it against limit (0: none). */
static int check_labels(const struct part *p, const char *path, int limit, int *max, char *err,
			size_t errlen)
{
	for (int i = 0; i < p->n; i++) {
		if (limit && p->y[i] >= limit)
			return err_set(err, errlen,
				       "%s: label %d of example %d out of range (expected < %d)",
				       path, (int)p->y[i], i, limit);
		if (p->y[i] > *max)
			*max = p->y[i];
	}
	return 0;
}

/* Decodes src into train and test (test->n == 0 without test files); classes
 * is 1 + the largest label. Returns 0 or WORKER_EXIT_DATA. */
static int decode(const struct sources *src, struct part *train, struct part *test, int *classes,
		  char *err, size_t errlen)
{
	int csv = src->format == FMT_CSV, ti = csv ? 1 : 2;
	int limit = src->format == FMT_FMNIST ? FMNIST_CLASSES : 0, max = 0, rc;

	memset(train, 0, sizeof *train);
	memset(test, 0, sizeof *test);
	rc = csv ? csv_read(src->path[0], train, err, errlen)
		 : idx_pair(src->path[0], src->path[1], train, err, errlen);
	if (rc == 0 && src->has_test)
		rc = csv ? csv_read(src->path[ti], test, err, errlen)
			 : idx_pair(src->path[ti], src->path[ti + 1], test, err, errlen);
	if (rc == 0 && src->has_test && test->dim != train->dim)
		rc = err_set(err, errlen, "%s: %d features per example, but %s has %d",
			     src->path[ti], test->dim, src->path[0], train->dim);
	if (rc == 0)
		rc = check_labels(train, src->path[csv ? 0 : 1], limit, &max, err, errlen);
	if (rc == 0)
		rc = check_labels(test, src->path[csv ? 1 : 3], limit, &max, err, errlen);
	if (rc < 0) {
		part_free(train);
		part_free(test);
		return WORKER_EXIT_DATA;
	}
	*classes = max + 1;
	return 0;
}

/* ---- the cache file ----------------------------------------------------- */

static uint64_t align_up(uint64_t n)
{
	return (n + CACHE_ALIGN - 1) / CACHE_ALIGN * CACHE_ALIGN;
}

/* Offsets of the four arrays and the file size, for given counts. */
static uint64_t cache_layout(int64_t train_n, int64_t test_n, int64_t dim, uint64_t off[4])
{
	uint64_t pos = align_up(sizeof(struct cache_header));
	const uint64_t len[4] = {(uint64_t)(train_n * dim) * sizeof(float),
				 (uint64_t)train_n * sizeof(int32_t),
				 (uint64_t)(test_n * dim) * sizeof(float),
				 (uint64_t)test_n * sizeof(int32_t)};

	for (int i = 0; i < 4; i++) {
		off[i] = pos;
		pos = align_up(pos + len[i]);
	}
	return pos;
}

/* Checks a mapped cache: header fields, size, layout and labels. */
static int cache_valid(const void *map, size_t len, uint64_t key)
{
	const struct cache_header *h = map;
	const int32_t *y[2];
	uint64_t off[4];
	int n[2];

	if (len < sizeof *h || memcmp(h->magic, CACHE_MAGIC, 8) != 0 ||
	    h->version != CACHE_VERSION || h->byte_order != CACHE_BYTE_ORDER || h->key != key ||
	    h->train_n <= 0 || h->test_n < 0 || h->dim <= 0 || h->classes <= 0 ||
	    h->classes > MAX_LABEL + 1 || h->file_size != len ||
	    cache_layout(h->train_n, h->test_n, h->dim, off) != len ||
	    memcmp(off, h->off, sizeof off) != 0)
		return 0;
	n[0] = h->train_n;
	n[1] = h->test_n;
	y[0] = (const int32_t *)((const char *)map + off[1]);
	y[1] = (const int32_t *)((const char *)map + off[3]);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < n[k]; i++)
			if (y[k][i] < 0 || y[k][i] >= h->classes)
				return 0;
	return 1;
}

/* Maps path read-only into d when it is a valid cache for key. Returns 0, or
 * -1 when it is missing or invalid (d untouched). */
static int cache_map(const char *path, uint64_t key, struct data *d)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *map;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(struct cache_header)) {
		close(fd);
		return -1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	if (!cache_valid(map, (size_t)st.st_size, key)) {
		munmap(map, (size_t)st.st_size);
		return -1;
	}
	d->map = map;
	d->map_len = (size_t)st.st_size;
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Writes p's x and y arrays into fd at xoff and yoff. */
static int part_write(int fd, const struct part *p, uint64_t xoff, uint64_t yoff)
{
	if (p->n == 0)
		return 0;
	if (pwrite_all(fd, p->x, (size_t)p->n * (size_t)p->dim * sizeof *p->x, xoff) < 0)
		return -1;
	return pwrite_all(fd, p->y, (size_t)p->n * sizeof *p->y, yoff);
}

/* Writes the header and arrays into fd. */
static int cache_fill(int fd, uint64_t key, const struct part *train, const struct part *test,
		      int classes)
{
	struct cache_header h;

	memset(&h, 0, sizeof h);
	memcpy(h.magic, CACHE_MAGIC, 8);
	h.version = CACHE_VERSION;
	h.byte_order = CACHE_BYTE_ORDER;
	h.key = key;
	h.train_n = train->n;
	h.test_n = test->n;
	h.dim = train->dim;
	h.classes = classes;
	h.file_size = cache_layout(train->n, test->n, train->dim, h.off);
	if (ftruncate(fd, (off_t)h.file_size) < 0 || pwrite_all(fd, &h, sizeof h, 0) < 0 ||
	    part_write(fd, train, h.off[0], h.off[1]) < 0 ||
	    part_write(fd, test, h.off[2], h.off[3]) < 0)
		return -1;
	return fsync(fd);
}

/* Writes the cache for the decoded parts to path atomically (mkstemp in the
 * same directory, fsync, rename). Returns 0 or WORKER_EXIT_IO. */
static int cache_write(const char *path, uint64_t key, const struct part *train,
		       const struct part *test, int classes, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 16];
	int fd, n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);

	if (n < 0 || (size_t)n >= sizeof tmp)
		return fail(WORKER_EXIT_IO, err, errlen, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) < 0)
		return fail(WORKER_EXIT_IO, err, errlen, "cache %s: %s", tmp, strerror(errno));
	if (fchmod(fd, 0644) < 0 || cache_fill(fd, key, train, test, classes) < 0) {
		err_set(err, errlen, "cache %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return WORKER_EXIT_IO;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		err_set(err, errlen, "cache %s: %s", path, strerror(errno));
		unlink(tmp);
		return WORKER_EXIT_IO;
	}
	return 0;
}

/* Removes "<path>.tmp.*" files that a killed builder left behind; called with
 * the lock held, so no live builder of this cache owns one. */
static void cache_sweep(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], prefix[NAME_MAX + 8], tmp[PATH_MAX];
	struct dirent *e;
	DIR *dp;

	if (!slash)
		return;
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	snprintf(prefix, sizeof prefix, "%.*s.tmp.", NAME_MAX, slash + 1);
	if (!(dp = opendir(dir)))
		return;
	while ((e = readdir(dp)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
		    snprintf(tmp, sizeof tmp, "%s/%s", dir, e->d_name) < (int)sizeof tmp)
			unlink(tmp);
	closedir(dp);
}

/* Under an exclusive lock on "<path>.lock": maps the cache if another worker
 * built it meanwhile, else decodes src, writes the cache and maps it. */
static int cache_build(const struct sources *src, const char *path, uint64_t key, struct data *d,
		       char *err, size_t errlen)
{
	char lock[PATH_MAX + 8];
	struct part train, test;
	int fd, classes = 0, rc;

	snprintf(lock, sizeof lock, "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		err_set(err, errlen, "cache %s: %s", lock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return WORKER_EXIT_IO;
	}
	rc = 0;
	if (cache_map(path, key, d) != 0) {
		cache_sweep(path);
		rc = decode(src, &train, &test, &classes, err, errlen);
		if (rc == 0)
			rc = cache_write(path, key, &train, &test, classes, err, errlen);
		if (rc == 0 && cache_map(path, key, d) != 0)
			rc = fail(WORKER_EXIT_IO, err, errlen,
				  "cache %s: unreadable right after writing it", path);
		part_free(&train);
		part_free(&test);
	}
	close(fd); /* releases the lock */
	return rc;
}

/* Creates dir and its missing parents with mode 0700. */
static int mkdir_p(const char *dir, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof p, "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return err_set(err, errlen, "cache directory %s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return err_set(err, errlen, "cache directory %s: %s", p, strerror(errno));
	if (stat(p, &st) < 0)
		return err_set(err, errlen, "cache directory %s: %s", p, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, errlen, "cache directory %s: not a directory", p);
	return 0;
}

/* The cache file's path for key; creates its directory. */
static int cache_path(const cJSON *cfg, uint64_t key, char *path, size_t len, char *err,
		      size_t errlen)
{
	const char *dir = hp_string(data_keys, n_data_keys, cfg, "cache_dir"), *env;
	char d[PATH_MAX];
	int n;

	if (dir && *dir)
		n = snprintf(d, sizeof d, "%s", dir);
	else if ((env = getenv("CAVIAR_CACHE_DIR")) && *env)
		n = snprintf(d, sizeof d, "%s", env);
	else if ((env = getenv("XDG_CACHE_HOME")) && *env)
		n = snprintf(d, sizeof d, "%s/caviar", env);
	else if ((env = getenv("HOME")) && *env)
		n = snprintf(d, sizeof d, "%s/.cache/caviar", env);
	else
		return fail(WORKER_EXIT_IO, err, errlen,
			    "no cache directory: set data.cache_dir, $CAVIAR_CACHE_DIR or $HOME");
	if (n < 0 || (size_t)n >= sizeof d)
		return fail(WORKER_EXIT_IO, err, errlen, "cache directory path too long");
	if (mkdir_p(d, err, errlen) < 0)
		return WORKER_EXIT_IO;
	n = snprintf(path, len, "%s/%016llx.data", d, (unsigned long long)key);
	if (n < 0 || (size_t)n >= len)
		return fail(WORKER_EXIT_IO, err, errlen, "cache directory path too long");
	return 0;
}

/* ---- views -------------------------------------------------------------- */

static struct dataset view(const struct cache_header *h, uint64_t xoff, uint64_t yoff, int from,
			   int n)
{
	const char *base = (const char *)h;
	struct dataset s;

	s.n = n;
	s.dim = h->dim;
	s.x = (const float *)(base + xoff) + (size_t)from * (size_t)h->dim;
	s.y = (const int32_t *)(base + yoff) + from;
	return s;
}

/* Cuts train / val / test views out of the map by train_limit, val_fraction
 * and test_limit. */
static int data_split(struct data *d, const cJSON *cfg, char *err, size_t errlen)
{
	const struct cache_header *h = d->map;
	double train_limit = hp_number(data_keys, n_data_keys, cfg, "train_limit");
	double test_limit = hp_number(data_keys, n_data_keys, cfg, "test_limit");
	double frac = hp_number(data_keys, n_data_keys, cfg, "val_fraction");
	int n = h->train_n, m = h->test_n, nval;

	if (train_limit >= 1 && train_limit < n)
		n = (int)train_limit;
	if (test_limit >= 1 && test_limit < m)
		m = (int)test_limit;
	nval = (int)lround(frac * n);
	if (nval < 0 || nval >= n)
		return fail(WORKER_EXIT_CONFIG, err, errlen,
			    "data.val_fraction: %g of %d examples leaves none to train on", frac, n);
	d->train = view(h, h->off[0], h->off[1], 0, n - nval);
	d->val = view(h, h->off[0], h->off[1], n - nval, nval);
	d->test = view(h, h->off[2], h->off[3], 0, m);
	d->classes = h->classes;
	return 0;
}

int data_load(struct data *d, const cJSON *data_cfg, char *err, size_t errlen)
{
	struct sources src;
	char path[PATH_MAX];
	uint64_t key = 0;
	int rc;

	memset(d, 0, sizeof *d);
	if ((rc = sources_find(&src, data_cfg, err, errlen)) != 0 ||
	    (rc = sources_key(&src, &key, err, errlen)) != 0 ||
	    (rc = cache_path(data_cfg, key, path, sizeof path, err, errlen)) != 0)
		return rc;
	if (cache_map(path, key, d) != 0 &&
	    (rc = cache_build(&src, path, key, d, err, errlen)) != 0)
		return rc;
	if ((rc = data_split(d, data_cfg, err, errlen)) != 0)
		data_unload(d);
	return rc;
}

void data_unload(struct data *d)
{
	if (!d)
		return;
	if (d->map)
		munmap(d->map, d->map_len);
	memset(d, 0, sizeof *d);
}
