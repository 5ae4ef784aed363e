/* test_statedir: every path under the state directory, the epochs kept for
 * forks (listed in order, whoever's they are), dropping one, and removing
 * all of a trial's files. */
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "statedir.h"
#include "test.h"
#include "tmpdir.h"

static char dir[PATH_MAX];

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f)
		fclose(f);
}

static void test_paths(void)
{
	char buf[4200];

	statedir_checkpoint("/s", 7, 0, buf, sizeof buf);
	CHECK_STR(buf, "/s/checkpoints/trial-7.ckpt");
	statedir_checkpoint("/s", 7, 3, buf, sizeof buf);
	CHECK_STR(buf, "/s/checkpoints/trial-7.ckpt.epoch-3");
	statedir_checkpoint("/s", 7, STATEDIR_FORK_SOURCE, buf, sizeof buf);
	CHECK_STR(buf, "/s/checkpoints/trial-7.ckpt.from");
	statedir_epoch_dir("/s", 7, 3, buf, sizeof buf);
	CHECK_STR(buf, "/s/trials/7/checkpoint/epoch-3");
	statedir_trial_path("/s", 7, "config.json", buf, sizeof buf);
	CHECK_STR(buf, "/s/trials/7/config.json");
	statedir_fork_source("/s", 0, 7, 2, buf, sizeof buf);
	CHECK_STR(buf, "/s/checkpoints/trial-7.ckpt.epoch-2");
	statedir_fork_source("/s", 1, 7, 2, buf, sizeof buf);
	CHECK_STR(buf, "/s/trials/7/checkpoint/epoch-2");
}

static void test_make(void)
{
	char state[PATH_MAX], path[4200], ckpt[4200], err[ERRBUF_LEN];
	struct stat st;

	tmp_path(state, dir, "state");
	CHECK(statedir_make(state, err, sizeof err) == 0);
	CHECK(statedir_make(state, err, sizeof err) == 0); /* already there: fine */
	tmp_path(path, state, "checkpoints");
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(statedir_make("/nonexistent/x/y", err, sizeof err) < 0);
	CHECK_CONTAINS(err, "/nonexistent/x/y: ");
	CHECK(statedir_command_dirs(state, 4, path, ckpt, sizeof path, err, sizeof err) == 0);
	CHECK_CONTAINS(path, "/trials/4");
	CHECK(stat(ckpt, &st) == 0 && S_ISDIR(st.st_mode));
	statedir_server_log(state, 2, path, sizeof path);
	CHECK_CONTAINS(path, "/forkservers/sweep-2.log");
}

/* Each copy kept, ascending; another trial's whose id starts alike is not. */
static void test_kept(void)
{
	char state[PATH_MAX], path[4200], err[ERRBUF_LEN];
	static const int epochs[] = {10, 2, 1};

	tmp_path(state, dir, "kept");
	CHECK(statedir_make(state, err, sizeof err) == 0);
	statedir_kept_epochs(state, 0, 3, path, sizeof path);
	CHECK_STR(path, "none");
	for (int i = 0; i < 3; i++) {
		statedir_checkpoint(state, 3, epochs[i], path, sizeof path);
		touch(path);
	}
	statedir_checkpoint(state, 30, 5, path, sizeof path);
	touch(path);
	statedir_checkpoint(state, 3, 0, path, sizeof path);
	touch(path); /* the checkpoint itself is no epoch */
	statedir_kept_epochs(state, 0, 3, path, sizeof path);
	CHECK_STR(path, "1, 2, 10");

	CHECK(statedir_command_dirs(state, 4, path, path + 2100, 2100, err, sizeof err) == 0);
	for (int e = 3; e >= 1; e -= 2) {
		statedir_epoch_dir(state, 4, e, path, sizeof path);
		CHECK(mkdir(path, 0700) == 0);
	}
	statedir_kept_epochs(state, 1, 4, path, sizeof path);
	CHECK_STR(path, "1, 3");
}

static void test_drop(void)
{
	char state[PATH_MAX], path[4200], file[4300], err[ERRBUF_LEN];

	tmp_path(state, dir, "drop");
	CHECK(statedir_make(state, err, sizeof err) == 0);
	statedir_checkpoint(state, 5, 2, path, sizeof path);
	touch(path);
	CHECK(statedir_drop_epoch(state, 0, 5, 2, err, sizeof err) == 0);
	CHECK(access(path, F_OK) < 0);
	CHECK(statedir_drop_epoch(state, 0, 5, 2, err, sizeof err) == 0); /* gone: fine */

	CHECK(statedir_command_dirs(state, 6, path, path + 2100, 2100, err, sizeof err) == 0);
	statedir_epoch_dir(state, 6, 1, path, sizeof path);
	CHECK(mkdir(path, 0700) == 0);
	snprintf(file, sizeof file, "%s/model.pt", path);
	touch(file);
	CHECK(statedir_drop_epoch(state, 1, 6, 1, err, sizeof err) == 0);
	CHECK(access(path, F_OK) < 0);

	statedir_checkpoint(state, 8, 0, path, sizeof path);
	touch(path);
	snprintf(file, sizeof file, "%s.curve", path);
	touch(file);
	statedir_checkpoint_remove(path);
	CHECK(access(path, F_OK) < 0 && access(file, F_OK) < 0);
}

/* Every file of a trial goes, however deep; another trial's whose id starts
 * alike stays. */
static void test_remove_trial(void)
{
	char state[PATH_MAX], path[4200], file[4300], other[4200], err[ERRBUF_LEN];

	tmp_path(state, dir, "remove");
	CHECK(statedir_make(state, err, sizeof err) == 0);
	CHECK(statedir_remove_trial(state, 5, err, sizeof err) == 0); /* nothing there: fine */
	for (int epoch = 0; epoch <= 2; epoch++) {
		statedir_checkpoint(state, 5, epoch, path, sizeof path);
		touch(path);
	}
	statedir_checkpoint(state, 5, STATEDIR_FORK_SOURCE, path, sizeof path);
	touch(path);
	statedir_checkpoint(state, 5, 0, path, sizeof path);
	snprintf(file, sizeof file, "%s.curve", path);
	touch(file);
	statedir_checkpoint(state, 50, 0, other, sizeof other);
	touch(other);
	CHECK(statedir_command_dirs(state, 5, path, path + 2100, 2100, err, sizeof err) == 0);
	statedir_epoch_dir(state, 5, 3, path, sizeof path);
	CHECK(mkdir(path, 0700) == 0);
	snprintf(file, sizeof file, "%s/model.pt", path);
	touch(file);
	CHECK(statedir_command_dirs(state, 51, path, path + 2100, 2100, err, sizeof err) == 0);

	CHECK(statedir_remove_trial(state, 5, err, sizeof err) == 0);
	snprintf(path, sizeof path, "%s/trials/5", state);
	CHECK(access(path, F_OK) < 0);
	statedir_kept_epochs(state, 0, 5, path, sizeof path);
	CHECK_STR(path, "none");
	for (int epoch = -1; epoch <= 2; epoch++) {
		statedir_checkpoint(state, 5, epoch, path, sizeof path);
		CHECK(access(path, F_OK) < 0);
	}
	CHECK(access(other, F_OK) == 0);
	snprintf(path, sizeof path, "%s/trials/51", state);
	CHECK(access(path, F_OK) == 0);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"paths", test_paths}, {"make", test_make}, {"kept", test_kept},
		{"drop", test_drop}, {"remove_trial", test_remove_trial}, {0}};
	int rc;

	tmp_make(dir, sizeof dir, "caviar-test-statedir");
	rc = test_main(argc, argv, cases);
	tmp_remove(dir);
	return rc;
}
