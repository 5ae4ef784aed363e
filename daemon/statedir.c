/* statedir: the paths under the state directory and the epochs kept for
 * forks (see statedir.h). */
#include "statedir.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "worker_proto.h"

#define KEPT_MAX 64 /* epochs statedir_kept_epochs lists */

static int make_dir(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return err_set(err, errlen, "cannot make %s: %s", path, strerror(errno));
	return 0;
}

int statedir_make(const char *dir, char *err, size_t errlen)
{
	char sub[4200];

	snprintf(sub, sizeof sub, "%s/checkpoints", dir);
	if (make_dir(dir, err, errlen) < 0 || make_dir(sub, err, errlen) < 0)
		return -1;
	return 0;
}

void statedir_checkpoint(const char *dir, int64_t id, int epoch, char *buf, size_t n)
{
	if (epoch > 0)
		snprintf(buf, n, "%s/checkpoints/trial-%lld.ckpt" WORKER_PROTO_EPOCH_SUFFIX "%d",
			 dir, (long long)id, epoch);
	else if (epoch == STATEDIR_FORK_SOURCE)
		snprintf(buf, n, "%s/checkpoints/trial-%lld.ckpt.from", dir, (long long)id);
	else
		snprintf(buf, n, "%s/checkpoints/trial-%lld.ckpt", dir, (long long)id);
}

void statedir_checkpoint_remove(const char *checkpoint)
{
	char path[4200];

	snprintf(path, sizeof path, "%s.curve", checkpoint);
	unlink(checkpoint);
	unlink(path);
	snprintf(path, sizeof path, "%s.from", checkpoint);
	unlink(path); /* a fork's link to its parent's checkpoint */
}

int statedir_trial_dir(const char *dir, int64_t id, char *buf, size_t n, char *err,
		       size_t errlen)
{
	snprintf(buf, n, "%s/trials", dir);
	if (make_dir(buf, err, errlen) < 0)
		return -1;
	snprintf(buf, n, "%s/trials/%lld", dir, (long long)id);
	return make_dir(buf, err, errlen);
}

int statedir_command_dirs(const char *dir, int64_t id, char *trial_dir, char *checkpoint_dir,
			  size_t n, char *err, size_t errlen)
{
	if (statedir_trial_dir(dir, id, trial_dir, n, err, errlen) < 0)
		return -1;
	statedir_trial_path(dir, id, "checkpoint", checkpoint_dir, n);
	return make_dir(checkpoint_dir, err, errlen);
}

void statedir_trial_path(const char *dir, int64_t id, const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s/trials/%lld/%s", dir, (long long)id, name);
}

void statedir_epoch_dir(const char *dir, int64_t id, int epoch, char *buf, size_t n)
{
	snprintf(buf, n, "%s/trials/%lld/checkpoint/" WORKER_PROTO_EPOCH_DIR "%d", dir,
		 (long long)id, epoch);
}

static void server_log_path(const char *dir, int64_t sweep_id, char *buf, size_t n)
{
	snprintf(buf, n, "%s/forkservers/sweep-%lld.log", dir, (long long)sweep_id);
}

void statedir_server_log(const char *dir, int64_t sweep_id, char *buf, size_t n)
{
	snprintf(buf, n, "%s/forkservers", dir);
	mkdir(buf, 0700);
	server_log_path(dir, sweep_id, buf, n);
}

void statedir_remove_server_log(const char *dir, int64_t sweep_id)
{
	char path[4200];

	server_log_path(dir, sweep_id, path, sizeof path);
	unlink(path);
}

void statedir_fork_source(const char *dir, int command, int64_t id, int epoch, char *buf,
			  size_t n)
{
	if (command)
		statedir_epoch_dir(dir, id, epoch, buf, n);
	else
		statedir_checkpoint(dir, id, epoch, buf, n);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT;
}

int statedir_remove_tree(const char *path)
{
	return access(path, F_OK) == 0 && nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0
		       ? -1 : 0;
}

int statedir_drop_epoch(const char *dir, int command, int64_t id, int epoch, char *err,
			size_t errlen)
{
	char path[4200];

	statedir_fork_source(dir, command, id, epoch, path, sizeof path);
	if (command) {
		if (statedir_remove_tree(path) < 0)
			return err_set(err, errlen, "cannot remove %s: %s", path, strerror(errno));
	} else if (unlink(path) < 0 && errno != ENOENT)
		return err_set(err, errlen, "cannot remove %s: %s", path, strerror(errno));
	return 0;
}

static void sort_epochs(int *epochs, int k)
{
	for (int i = 1; i < k; i++) /* few: insertion sort */
		for (int j = i; j > 0 && epochs[j - 1] > epochs[j]; j--) {
			int x = epochs[j];

			epochs[j] = epochs[j - 1];
			epochs[j - 1] = x;
		}
}

void statedir_each_epoch(const char *dir, int command, int64_t id,
			 void (*each)(int epoch, void *ctx), void *ctx)
{
	char path[4200], *prefix, *end;
	size_t plen;
	struct dirent *e;
	DIR *dh;

	statedir_fork_source(dir, command, id, 1, path, sizeof path); /* DIR/PREFIX1 */
	prefix = strrchr(path, '/');
	*prefix++ = '\0';
	plen = strlen(prefix) - 1;
	dh = opendir(path);
	while (dh && (e = readdir(dh))) {
		long epoch = strncmp(e->d_name, prefix, plen) == 0
				     ? strtol(e->d_name + plen, &end, 10) : 0;

		if (epoch > 0 && epoch <= INT_MAX && *end == '\0')
			each((int)epoch, ctx);
	}
	if (dh)
		closedir(dh);
}

struct kept {
	int epochs[KEPT_MAX], k;
};

static void keep_one(int epoch, void *ctx)
{
	struct kept *kp = ctx;

	if (kp->k < KEPT_MAX)
		kp->epochs[kp->k++] = epoch;
}

void statedir_kept_epochs(const char *dir, int command, int64_t id, char *buf, size_t n)
{
	struct kept kp = {.k = 0};
	size_t used = 0;

	statedir_each_epoch(dir, command, id, keep_one, &kp);
	sort_epochs(kp.epochs, kp.k);
	snprintf(buf, n, "none");
	for (int i = 0; i < kp.k && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%d", i ? ", " : "", kp.epochs[i]);
}


int statedir_remove_trial(const char *dir, int64_t id, char *err, size_t errlen)
{
	char path[4200], prefix[64];
	struct dirent *e;
	DIR *dh;
	int failed = 0;

	snprintf(path, sizeof path, "%s/trials/%lld", dir, (long long)id);
	if (statedir_remove_tree(path) < 0) {
		err_set(err, errlen, "cannot remove %s: %s", path, strerror(errno));
		failed = -1;
	}
	/* trial-ID.ckpt and every file beside it: .curve, .from, .epoch-K */
	snprintf(prefix, sizeof prefix, "trial-%lld.ckpt", (long long)id);
	snprintf(path, sizeof path, "%s/checkpoints", dir);
	if (!(dh = opendir(path)))
		return failed;
	while ((e = readdir(dh))) {
		size_t n = strlen(prefix);

		if (strncmp(e->d_name, prefix, n) != 0 || (e->d_name[n] && e->d_name[n] != '.'))
			continue;
		snprintf(path, sizeof path, "%s/checkpoints/%s", dir, e->d_name);
		if (unlink(path) < 0 && errno != ENOENT && !failed) {
			err_set(err, errlen, "cannot remove %s: %s", path, strerror(errno));
			failed = -1;
		}
	}
	closedir(dh);
	return failed;
}
