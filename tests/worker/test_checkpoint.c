/* test_checkpoint: round trip of state and arrays, the atomic write (no .tmp
 * left), and every way a load must refuse: missing (not an error), another
 * configuration, another model shape, truncation, a flipped byte; an
 * epoch's copy kept, none of epoch 0; the curve log beside it, whose rewrite
 * on a full disk fails and leaves no half-written .tmp. */
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "exitcodes.h"
#include "report.h"
#include "wtest.h"

static char dir[PATH_MAX], path[PATH_MAX];
static float a0[5], a1[8], a2[1];

static void setup(struct ckpt_state *s, struct ckpt_array arr[3])
{
	struct rng r;

	rng_seed(&r, 77);
	wt_fill(a0, 5, &r);
	wt_fill(a1, 8, &r);
	a2[0] = 3.5f;
	memset(s, 0, sizeof *s);
	s->config_hash = 0x1234abcdull;
	s->epoch_done = 3;
	s->step = 1266;
	s->opt_t = 1266;
	s->lr = 0.001;
	s->rng = r;
	arr[0] = (struct ckpt_array){a0, 5};
	arr[1] = (struct ckpt_array){a1, 8};
	arr[2] = (struct ckpt_array){a2, 1};
}

static void save_default(void)
{
	struct ckpt_state s;
	struct ckpt_array arr[3];
	char err[256] = "";

	setup(&s, arr);
	CHECK(checkpoint_save(path, &s, arr, 3, err, sizeof err) == 0);
}

static void test_round_trip(void)
{
	struct ckpt_state s, got;
	struct ckpt_array arr[3];
	float b0[5], b1[8], b2[1];
	struct ckpt_array out[3] = {{b0, 5}, {b1, 8}, {b2, 1}};
	char err[256] = "", tmp[PATH_MAX + 64];

	setup(&s, arr);
	CHECK(checkpoint_save(path, &s, arr, 3, err, sizeof err) == 0);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	CHECK(access(tmp, F_OK) != 0);
	CHECK(checkpoint_load(path, s.config_hash, &got, out, 3, err, sizeof err) == 0);
	CHECK(got.epoch_done == 3 && got.step == 1266 && got.opt_t == 1266);
	CHECK(got.lr == 0.001 && got.config_hash == s.config_hash);
	CHECK(memcmp(got.rng.s, s.rng.s, sizeof s.rng.s) == 0);
	CHECK(memcmp(b0, a0, sizeof a0) == 0 && memcmp(b1, a1, sizeof a1) == 0 && b2[0] == 3.5f);
	/* overwriting an existing checkpoint works too */
	s.epoch_done = 4;
	CHECK(checkpoint_save(path, &s, arr, 3, err, sizeof err) == 0);
	CHECK(checkpoint_load(path, s.config_hash, &got, out, 3, err, sizeof err) == 0);
	CHECK(got.epoch_done == 4);
}

static void test_missing(void)
{
	struct ckpt_state s;
	struct ckpt_array arr[3];
	char err[256] = "", p[PATH_MAX + 64];

	setup(&s, arr);
	tmp_path(p, dir, "nothing");
	CHECK(checkpoint_load(p, 1, &s, arr, 3, err, sizeof err) ==
	      CKPT_MISSING);
	/* an unwritable place fails with an i/o error */
	CHECK(checkpoint_save("/nonexistent-dir/x.ckpt", &s, arr, 3, err, sizeof err) ==
	      WORKER_EXIT_IO);
	CHECK_CONTAINS(err, "/nonexistent-dir/x.ckpt");
}

static void test_other_config(void)
{
	struct ckpt_state s;
	struct ckpt_array arr[3];
	char err[256] = "";

	save_default();
	setup(&s, arr);
	CHECK(checkpoint_load(path, 999, &s, arr, 3, err, sizeof err) == WORKER_EXIT_CONFIG);
	CHECK_CONTAINS(err, "another configuration");
	CHECK_CONTAINS(err, path);
}

static void test_other_shape(void)
{
	struct ckpt_state s;
	struct ckpt_array arr[3];
	float big[9];
	char err[256] = "";

	save_default();
	setup(&s, arr);
	arr[1] = (struct ckpt_array){big, 9};
	CHECK(checkpoint_load(path, s.config_hash, &s, arr, 3, err, sizeof err) == WORKER_EXIT_IO);
	CHECK_CONTAINS(err, "corrupt");
}

static void test_truncated(void)
{
	struct ckpt_state s;
	struct ckpt_array arr[3];
	char err[256] = "";
	struct stat st;

	save_default();
	stat(path, &st);
	CHECK(truncate(path, st.st_size - 6) == 0);
	setup(&s, arr);
	CHECK(checkpoint_load(path, s.config_hash, &s, arr, 3, err, sizeof err) == WORKER_EXIT_IO);
	CHECK_CONTAINS(err, "truncated");
	CHECK(truncate(path, 10) == 0);
	CHECK(checkpoint_load(path, s.config_hash, &s, arr, 3, err, sizeof err) == WORKER_EXIT_IO);
	CHECK(truncate(path, 0) == 0);
	CHECK(checkpoint_load(path, s.config_hash, &s, arr, 3, err, sizeof err) == WORKER_EXIT_IO);
	CHECK_CONTAINS(err, "truncated");
}

static void test_flipped_byte(void)
{
	struct ckpt_state s;
	struct ckpt_array arr[3];
	char err[256] = "";
	struct stat st;
	FILE *f;

	save_default();
	stat(path, &st);
	f = fopen(path, "r+b");
	fseek(f, st.st_size - 12, SEEK_SET); /* inside the last float array */
	fputc(0x5a, f);
	fclose(f);
	setup(&s, arr);
	CHECK(checkpoint_load(path, s.config_hash, &s, arr, 3, err, sizeof err) == WORKER_EXIT_IO);
	CHECK_CONTAINS(err, "CRC");
	f = fopen(path, "r+b"); /* and garbage instead of the magic */
	fputc('X', f);
	fclose(f);
	CHECK(checkpoint_load(path, s.config_hash, &s, arr, 3, err, sizeof err) == WORKER_EXIT_IO);
	CHECK_CONTAINS(err, "not a caviar checkpoint");
}

/* An epoch's copy is kept beside the checkpoint; none of epoch 0. */
static void test_keep(void)
{
	char err[256] = "", kept[PATH_MAX + 16];

	save_default();
	CHECK(checkpoint_keep(path, 3, err, sizeof err) == 0);
	snprintf(kept, sizeof kept, "%s.epoch-3", path);
	CHECK(access(kept, R_OK) == 0);
	CHECK(checkpoint_keep(path, 0, err, sizeof err) == 0);
	snprintf(kept, sizeof kept, "%s.epoch-0", path);
	CHECK(access(kept, F_OK) != 0);
}

/* A resumed trial rewrites its curve log through CURVE.tmp; on a full disk
 * (the .tmp is /dev/full here) it fails naming the log and removes the .tmp,
 * which a sweep's checkpoint directory would otherwise keep (e2e_disk saw one
 * under load). */
static void test_curve_full(void)
{
	char curve[PATH_MAX + 16], tmp[PATH_MAX + 32], err[256] = "";
	struct report_log log;
	struct stat st;
	FILE *f;

	snprintf(curve, sizeof curve, "%s.curve", path);
	snprintf(tmp, sizeof tmp, "%s.tmp", curve);
	f = fopen(curve, "w");
	CHECK(f != NULL);
	fputs("{\"epoch\": 1, \"val_loss\": 0.5}\n", f);
	fclose(f);
	CHECK(symlink("/dev/full", tmp) == 0);
	CHECK(report_log_open(&log, path, 1, err, sizeof err) == WORKER_EXIT_IO);
	CHECK_CONTAINS(err, "No space left on device");
	CHECK(lstat(tmp, &st) != 0);
	unlink(tmp);
	unlink(curve);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"round_trip", test_round_trip},
		{"missing", test_missing},
		{"other_config", test_other_config},
		{"other_shape", test_other_shape},
		{"truncated", test_truncated},
		{"flipped_byte", test_flipped_byte},
		{"keep", test_keep},
		{"curve_full", test_curve_full},
		{0},
	};
	int rc;

	tmp_make(dir, sizeof dir, "caviar-ckpt");
	tmp_path(path, dir, "trial.ckpt");
	rc = test_main(argc, argv, cases);
	tmp_remove(dir);
	return rc;
}
