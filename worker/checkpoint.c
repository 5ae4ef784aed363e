/* checkpoint: the checkpoint file format and its atomic write (see checkpoint.h).
 *   "CAVCKPT\0"  u32 version  u32 0x01020304 (byte order)  u64 config hash
 *   i64 epoch_done  i64 step  i64 opt_t  f64 lr  u64 rng[4]
 *   u32 length of the values text  the values text (JSON, no NUL)
 *   u32 n_arrays  u64 length of each  | the arrays' floats |  u32 crc32 of all before */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "errbuf.h"
#include "exitcodes.h"
#include "worker_proto.h"

#define CKPT_MAGIC "CAVCKPT"
#define CKPT_VERSION 2u /* 1: before the adjustable values */
#define CKPT_BOM 0x01020304u
#define CKPT_MAX_ARRAYS 16

/* Formats the message into err and returns code (a worker exit code). */
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* "checkpoint PATH: message" into err; returns WORKER_EXIT_IO. */
static int bad(char *err, size_t errlen, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	char msg[ERRBUF_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return fail(err, errlen, WORKER_EXIT_IO, "checkpoint %s: %s", path, msg);
}

/* A stream with a running CRC-32. */
struct ckpt_io {
	FILE *f;
	uLong crc;
	int failed;
};

static void io_put(struct ckpt_io *io, const void *p, size_t n)
{
	if (io->failed || n == 0)
		return;
	if (fwrite(p, 1, n, io->f) != n)
		io->failed = 1;
	io->crc = crc32_z(io->crc, p, n);
}

static int io_get(struct ckpt_io *io, void *p, size_t n)
{
	if (io->failed || n == 0)
		return io->failed ? -1 : 0;
	if (fread(p, 1, n, io->f) != n) {
		io->failed = 1;
		return -1;
	}
	io->crc = crc32_z(io->crc, p, n);
	return 0;
}

/* The fixed-size header, field by field (no struct padding in the file). */
static void put_header(struct ckpt_io *io, const struct ckpt_state *s, const struct ckpt_array *arr,
		       int n_arr)
{
	uint32_t version = CKPT_VERSION, bom = CKPT_BOM, n = (uint32_t)n_arr;
	uint32_t vlen = (uint32_t)strnlen(s->values, sizeof s->values);
	int64_t epoch = s->epoch_done, step = s->step, t = s->opt_t;

	io_put(io, CKPT_MAGIC, 8);
	io_put(io, &version, 4);
	io_put(io, &bom, 4);
	io_put(io, &s->config_hash, 8);
	io_put(io, &epoch, 8);
	io_put(io, &step, 8);
	io_put(io, &t, 8);
	io_put(io, &s->lr, 8);
	io_put(io, s->rng.s, sizeof s->rng.s);
	io_put(io, &vlen, 4);
	io_put(io, s->values, vlen);
	io_put(io, &n, 4);
	for (int i = 0; i < n_arr; i++) {
		uint64_t len = arr[i].n;
		io_put(io, &len, 8);
	}
}

/* fsyncs the directory holding path, so the rename itself is durable */
static void sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int checkpoint_save(const char *path, const struct ckpt_state *s, const struct ckpt_array *arr,
		    int n_arr, char *err, size_t errlen)
{
	char tmp[4096];
	struct ckpt_io io = {0};
	uint32_t crc;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return bad(err, errlen, path, "path too long");
	io.f = fopen(tmp, "wb");
	if (!io.f)
		return bad(err, errlen, tmp, "%s", strerror(errno));
	io.crc = crc32_z(0L, Z_NULL, 0);
	put_header(&io, s, arr, n_arr);
	for (int i = 0; i < n_arr; i++)
		io_put(&io, arr[i].data, arr[i].n * sizeof(float));
	crc = (uint32_t)io.crc;
	io_put(&io, &crc, 4);
	if (fflush(io.f) != 0 || fsync(fileno(io.f)) != 0)
		io.failed = 1;
	if (fclose(io.f) != 0 || io.failed) {
		bad(err, errlen, tmp, "write failed: %s", strerror(errno));
		unlink(tmp);
		return WORKER_EXIT_IO;
	}
	if (rename(tmp, path) != 0) {
		bad(err, errlen, path, "rename: %s", strerror(errno));
		unlink(tmp);
		return WORKER_EXIT_IO;
	}
	sync_dir(path);
	return 0;
}

/* Copies path to dst (created). Returns 0 or -1 with errno set. */
static int copy_file(const char *path, const char *dst)
{
	char buf[65536];
	int in = open(path, O_RDONLY), out = -1, rc = -1, saved;
	ssize_t n;

	if (in >= 0)
		out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	while (out >= 0 && (n = read(in, buf, sizeof buf)) >= 0) {
		if (n == 0) {
			rc = fsync(out);
			break;
		}
		if (write(out, buf, (size_t)n) != n)
			break;
	}
	saved = errno;
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = -1, saved = errno;
	if (in >= 0)
		close(in);
	errno = saved;
	return rc;
}

int checkpoint_keep(const char *path, int epoch, char *err, size_t errlen)
{
	char kept[4096], tmp[4200];

	if (epoch < 1)
		return 0; /* stopped before its first epoch: nothing a fork could start from */
	if ((size_t)snprintf(kept, sizeof kept, "%s" WORKER_PROTO_EPOCH_SUFFIX "%d", path,
				   epoch) >= sizeof kept)
		return bad(err, errlen, path, "path too long");
	snprintf(tmp, sizeof tmp, "%s.tmp", kept);
	unlink(tmp);
	if (link(path, tmp) != 0 && copy_file(path, tmp) != 0) {
		bad(err, errlen, kept, "%s", strerror(errno));
		unlink(tmp);
		return WORKER_EXIT_IO;
	}
	if (rename(tmp, kept) != 0) {
		bad(err, errlen, kept, "rename: %s", strerror(errno));
		unlink(tmp);
		return WORKER_EXIT_IO;
	}
	sync_dir(kept);
	return 0;
}

/* Bytes a file with these arrays and a values text of vlen bytes has. */
static long long ckpt_size(const struct ckpt_array *arr, int n_arr, uint32_t vlen)
{
	long long size = 8 + 4 + 4 + 8 + 3 * 8 + 8 + 32 + 4 + (long long)vlen + 4 + 8LL * n_arr + 4;

	for (int i = 0; i < n_arr; i++)
		size += (long long)arr[i].n * (long long)sizeof(float);
	return size;
}

/* Reads and checks the header; fills s. Returns 0 or an exit code with err. */
static int get_header(struct ckpt_io *io, const char *path, uint64_t expect_hash,
		      struct ckpt_state *s, const struct ckpt_array *arr, int n_arr,
		      uint32_t *vlen, char *err, size_t errlen)
{
	char magic[8];
	uint32_t version, bom, n;
	int64_t epoch, step, t;
	uint64_t len;

	if (io_get(io, magic, 8) || memcmp(magic, CKPT_MAGIC, 8) != 0)
		return bad(err, errlen, path, "truncated or not a caviar checkpoint");
	if (io_get(io, &version, 4) || io_get(io, &bom, 4) || bom != CKPT_BOM)
		return bad(err, errlen, path, "unsupported version or byte order");
	if (version == 1)
		return bad(err, errlen, path, "format 1, written by a caviar-worker before "
			   "hyperparameters could be adjusted; remove it to start the trial again");
	if (version != CKPT_VERSION)
		return bad(err, errlen, path, "unsupported version %u", version);
	io_get(io, &s->config_hash, 8);
	io_get(io, &epoch, 8);
	io_get(io, &step, 8);
	io_get(io, &t, 8);
	io_get(io, &s->lr, 8);
	io_get(io, s->rng.s, sizeof s->rng.s);
	if (io_get(io, vlen, 4) || *vlen >= sizeof s->values || io_get(io, s->values, *vlen))
		return bad(err, errlen, path, "truncated or corrupt values");
	s->values[*vlen] = '\0';
	if (io_get(io, &n, 4))
		return bad(err, errlen, path, "truncated");
	if (s->config_hash != expect_hash)
		return fail(err, errlen, WORKER_EXIT_CONFIG,
			    "checkpoint %s: written for another configuration (hash %016" PRIx64
			    ", this trial's is %016" PRIx64 "); remove it or use another path",
			    path, s->config_hash, expect_hash);
	if (n != (uint32_t)n_arr)
		return bad(err, errlen, path, "corrupt (%u arrays, expected %d)", n, n_arr);
	for (int i = 0; i < n_arr; i++)
		if (io_get(io, &len, 8) || len != arr[i].n)
			return bad(err, errlen, path, "corrupt (array %d has %" PRIu64
				   " floats, the model %zu)", i, len, arr[i].n);
	if (epoch < 0 || step < 0 || t < 0 || epoch > 1000000000)
		return bad(err, errlen, path, "corrupt counters");
	s->epoch_done = (int)epoch;
	s->step = (long)step;
	s->opt_t = (long)t;
	return 0;
}

/* Reads the arrays and the trailing CRC. */
static int get_body(struct ckpt_io *io, const char *path, struct ckpt_array *arr, int n_arr,
		    char *err, size_t errlen)
{
	uint32_t want, crc;

	for (int i = 0; i < n_arr; i++)
		if (io_get(io, arr[i].data, arr[i].n * sizeof(float)))
			return bad(err, errlen, path, "truncated");
	want = (uint32_t)io->crc;
	if (fread(&crc, 1, 4, io->f) != 4)
		return bad(err, errlen, path, "truncated");
	if (crc != want)
		return bad(err, errlen, path, "corrupt (CRC mismatch)");
	return 0;
}

int checkpoint_load(const char *path, uint64_t expect_hash, struct ckpt_state *s,
		    struct ckpt_array *arr, int n_arr, char *err, size_t errlen)
{
	struct ckpt_io io = {0};
	struct stat st;
	long long want;
	uint32_t vlen = 0;
	int rc;

	io.f = fopen(path, "rb");
	if (!io.f && errno == ENOENT)
		return CKPT_MISSING;
	if (!io.f)
		return bad(err, errlen, path, "%s", strerror(errno));
	io.crc = crc32_z(0L, Z_NULL, 0);
	rc = get_header(&io, path, expect_hash, s, arr, n_arr, &vlen, err, errlen);
	want = ckpt_size(arr, n_arr, vlen);
	if (rc == 0 && (fstat(fileno(io.f), &st) != 0 || (long long)st.st_size != want))
		rc = bad(err, errlen, path, "%s (%lld bytes, expected %lld)",
			 (long long)st.st_size < want ? "truncated" : "corrupt",
			 (long long)st.st_size, want);
	if (rc == 0)
		rc = get_body(&io, path, arr, n_arr, err, errlen);
	fclose(io.f);
	return rc;
}
