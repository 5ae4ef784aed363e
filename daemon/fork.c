/* fork: planning forks, materializing their files, and a trial's start
 * overrides (see fork.h). */
#include "fork.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "changes.h"
#include "errbuf.h"
#include "hparams.h"
#include "log.h"
#include "spec.h"
#include "statedir.h"
#include "trialcfg.h"
#include "worker_proto.h"

/* Checks that trial row (QUERY_FORK_POINT) can be forked at epoch: its copy
 * of that epoch is kept (its path in plan->source). */
static int check_source(struct fork_plan *plan, const char *dir, const cJSON *row, char *err,
			size_t errlen)
{
	int epochs = (int)query_int(cJSON_GetObjectItemCaseSensitive(row, "epochs"), 0);
	char kept[256];

	if (epochs < 1)
		return err_set(err, errlen, "trial %lld has finished no epoch yet: nothing to fork",
			       (long long)plan->parent);
	if (plan->epoch > epochs)
		return err_set(err, errlen, "trial %lld has finished %d epochs: it cannot be "
			       "forked at epoch %d", (long long)plan->parent, epochs, plan->epoch);
	statedir_fork_source(dir, plan->command, plan->parent, plan->epoch, plan->source,
			     sizeof plan->source);
	if (access(plan->source, R_OK) == 0)
		return 0;
	statedir_kept_epochs(dir, plan->command, plan->parent, kept, sizeof kept);
	return err_set(err, errlen, "trial %lld keeps no checkpoint of epoch %d (kept: %s; the "
		       "sweep's \"keep_checkpoints\" says which)", (long long)plan->parent,
		       plan->epoch, kept);
}

/* The child's params: the parent's (row), with the adjustments it had made
 * by the epoch (they are in its checkpoint of that epoch, and the fork takes
 * its adjustable values from its own configuration), then set's changes,
 * recorded into plan->changes. */
static int plan_params(struct fork_plan *plan, struct query *q, const cJSON *row,
		       const struct spec *spec, const cJSON *set, int force, char *err,
		       size_t errlen)
{
	cJSON *rows = query_run(q, err, errlen, QUERY_ADJUSTMENTS, "i", (long long)plan->parent);
	const cJSON *v;

	plan->params = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(row, "params"), 1);
	if (!rows || !cJSON_IsObject(plan->params)) {
		cJSON_Delete(rows);
		return -1;
	}
	changes_values_at(plan->params, rows, 0, plan->epoch);
	cJSON_Delete(rows);
	plan->changes = cJSON_CreateObject();
	cJSON_ArrayForEach(v, set) {
		if (spec_check_change(spec, v->string, v, SPEC_CHANGE_FORK, force, err, errlen) < 0)
			return -1;
		changes_add(plan->changes, v->string,
			    cJSON_GetObjectItemCaseSensitive(plan->params, v->string), v);
		cJSON_DeleteItemFromObjectCaseSensitive(plan->params, v->string);
		cJSON_AddItemToObject(plan->params, v->string, cJSON_Duplicate(v, 1));
	}
	return 0;
}

/* A fork of epoch K trains epochs K+1 up to its configuration's "epochs". */
static int check_epochs_left(const struct fork_plan *plan, const struct spec *spec, char *err,
			     size_t errlen)
{
	cJSON *config = trialcfg_build(spec, plan->params, 0);
	int set = cJSON_HasObjectItem(config, "epochs") || !spec->command;
	int epochs = (int)HP_NUM(config, "epochs");

	cJSON_Delete(config);
	if (!set || plan->epoch < epochs) /* a command's epochs are its own unless it says */
		return 0;
	return err_set(err, errlen, "a fork of trial %lld at epoch %d would have no epoch left to "
		       "train (epochs is %d): fork an earlier epoch, or give epochs=N",
		       (long long)plan->parent, plan->epoch, epochs);
}

/* The parent's QUERY_FORK_POINT rows at plan->epoch (0: at its latest, which
 * then becomes plan->epoch). NULL with err. */
static cJSON *fork_point(struct fork_plan *plan, struct query *q, char *err, size_t errlen)
{
	cJSON *rows = query_run(q, err, errlen, QUERY_FORK_POINT, "ii", (long long)plan->parent,
				(long long)plan->epoch);

	if (rows && !rows->child)
		err_set(err, errlen, "no trial %lld", (long long)plan->parent);
	if (rows && rows->child && plan->epoch == 0) { /* its latest */
		plan->epoch =
			(int)query_int(cJSON_GetObjectItemCaseSensitive(rows->child, "epochs"), 0);
		cJSON_Delete(rows);
		rows = query_run(q, err, errlen, QUERY_FORK_POINT, "ii", (long long)plan->parent,
				 (long long)plan->epoch);
	}
	if (rows && !rows->child) {
		cJSON_Delete(rows);
		return NULL;
	}
	return rows;
}

int fork_plan(struct fork_plan *plan, struct query *q, const char *dir, int64_t parent,
	      int epoch, const cJSON *set, int force, char *err, size_t errlen)
{
	struct spec spec = {0};
	cJSON *rows;
	const cJSON *row;
	int rc = -1;

	memset(plan, 0, sizeof *plan);
	plan->parent = parent;
	plan->epoch = epoch;
	if (!(rows = fork_point(plan, q, err, errlen)))
		return -1;
	row = rows->child;
	if (spec_parse(&spec, cJSON_GetObjectItemCaseSensitive(row, "spec"), err, errlen) < 0)
		goto out;
	plan->command = spec.command != NULL;
	plan->sweep_id = query_int(cJSON_GetObjectItemCaseSensitive(row, "sweep_id"), 0);
	plan->step = query_int(cJSON_GetObjectItemCaseSensitive(row, "step"), 0);
	plan->seed = (uint64_t)query_int(cJSON_GetObjectItemCaseSensitive(row, "seed"), 0);
	if (check_source(plan, dir, row, err, errlen) < 0 ||
	    plan_params(plan, q, row, &spec, set, force, err, errlen) < 0 ||
	    check_epochs_left(plan, &spec, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	spec_finish(&spec);
	cJSON_Delete(rows);
	return rc;
}

void fork_plan_finish(struct fork_plan *plan)
{
	cJSON_Delete(plan->params);
	cJSON_Delete(plan->changes);
	plan->params = plan->changes = NULL;
}

/* Copies the regular files of directory from into directory to. */
static int copy_files(const char *from, const char *to, char *err, size_t errlen)
{
	char src[4500], dst[4500], buf[1 << 16];
	struct dirent *e;
	DIR *dh = opendir(from);
	int rc = 0;

	if (!dh)
		return err_set(err, errlen, "%s: %s", from, strerror(errno));
	while (rc == 0 && (e = readdir(dh))) {
		struct stat st;
		FILE *in, *out;
		size_t n;

		snprintf(src, sizeof src, "%s/%s", from, e->d_name);
		snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
		if (stat(src, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		in = fopen(src, "rb");
		out = in ? fopen(dst, "wb") : NULL;
		while (out && (n = fread(buf, 1, sizeof buf, in)) > 0)
			if (fwrite(buf, 1, n, out) != n)
				break;
		if (!in || !out || ferror(in) || ferror(out))
			rc = err_set(err, errlen, "copying %s to %s: %s", src, dst,
				     strerror(errno));
		if (in)
			fclose(in);
		if (out && fclose(out) != 0 && rc == 0)
			rc = err_set(err, errlen, "%s: %s", dst, strerror(errno));
	}
	closedir(dh);
	return rc;
}

/* Where a command trial's fork of parent is staged: STATE/trials/PARENT/fork.tmp. */
static void staging_dir(const char *dir, int64_t parent, char *buf, size_t n)
{
	statedir_trial_path(dir, parent, "fork.tmp", buf, n);
}

int fork_stage(const char *dir, int command, int64_t parent, int epoch, char *err,
	       size_t errlen)
{
	char from[4200], staged[4200];

	if (!command)
		return 0; /* a link, made whole or not at all */
	statedir_epoch_dir(dir, parent, epoch, from, sizeof from);
	staging_dir(dir, parent, staged, sizeof staged);
	statedir_remove_tree(staged); /* a crash's leftover */
	if (mkdir(staged, 0700) < 0)
		return err_set(err, errlen, "%s: %s", staged, strerror(errno));
	if (copy_files(from, staged, err, errlen) == 0)
		return 0;
	statedir_remove_tree(staged);
	return -1;
}

void fork_materialize(const char *dir, int command, const char *source, int64_t parent,
		      int64_t child)
{
	char dst[4200], staged[4200], trial_dir[4200], err[ERRBUF_LEN];

	if (command) {
		staging_dir(dir, parent, staged, sizeof staged);
		if (statedir_command_dirs(dir, child, trial_dir, dst, sizeof dst, err,
					  sizeof err) < 0)
			log_msg("trial %lld: %s", (long long)child, err);
		else if (rename(staged, dst) < 0) /* over the empty directory just made */
			log_msg("trial %lld: cannot move %s to %s: %s", (long long)child, staged,
				dst, strerror(errno));
		statedir_remove_tree(staged);
		return;
	}
	statedir_checkpoint(dir, child, STATEDIR_FORK_SOURCE, dst, sizeof dst);
	unlink(dst);
	if (link(source, dst) < 0)
		log_msg("trial %lld: cannot link %s to %s: %s", (long long)child, source, dst,
			strerror(errno));
}

int fork_newest_source(const char *dir, int command, int64_t id, int epochs, int epochs_total,
		       char *buf, size_t n)
{
	/* before its last epoch: a fork must have one left to train */
	int newest = epochs < epochs_total ? epochs : epochs_total - 1;

	for (int e = newest; e >= 1 && e >= epochs - 1; e--) {
		statedir_fork_source(dir, command, id, e, buf, n);
		if (access(buf, R_OK) == 0)
			return e;
	}
	return 0;
}

int64_t fork_step_at(struct query *q, int64_t id, int epoch)
{
	char err[ERRBUF_LEN];
	cJSON *rows = query_run(q, err, sizeof err, QUERY_FORK_POINT, "ii", (long long)id,
				(long long)epoch);
	int64_t step = rows && rows->child
			       ? query_int(cJSON_GetObjectItemCaseSensitive(rows->child, "step"), 0)
			       : 0;

	cJSON_Delete(rows);
	return step;
}

/* A fork recorded just before caviard was killed may lack its link to the
 * parent's copy (fork_materialize comes after the commit): made again from
 * the parent's copy, if the parent still keeps it. */
static void relink_source(const char *dir, int64_t parent, int epoch, int64_t child,
			  const char *link_path)
{
	char source[4200];

	if (access(link_path, F_OK) == 0 || errno != ENOENT)
		return;
	statedir_checkpoint(dir, parent, epoch, source, sizeof source);
	if (access(source, R_OK) == 0)
		fork_materialize(dir, 0, source, parent, child);
}

cJSON *fork_start_overrides(struct query *q, const char *dir, int64_t id, int attempts,
			    int command, int64_t *parent_id, int *fork_epoch)
{
	cJSON *o = cJSON_CreateObject(), *rows;
	char err[ERRBUF_LEN], path[4200];
	const cJSON *parent;

	*fork_epoch = 0;
	*parent_id = 0;
	if (attempts > 0) { /* never started: nobody adjusted it (a fork's changes are
			       recorded as adjustments, but they are its params already) */
		rows = query_run(q, err, sizeof err, QUERY_ADJUSTMENTS, "i", (long long)id);
		changes_values_at(o, rows, 0, INT_MAX);
		cJSON_Delete(rows);
	}
	rows = query_run(q, err, sizeof err, QUERY_PARENT, "i", (long long)id);
	parent = rows && rows->child ? cJSON_GetObjectItemCaseSensitive(rows->child,
									  "parent_trial_id")
				     : NULL;
	if (cJSON_IsNumber(parent)) {
		*parent_id = query_int(parent, 0);
		*fork_epoch = (int)query_int(cJSON_GetObjectItemCaseSensitive(rows->child,
									      "parent_epoch"), 0);
	}
	if (cJSON_IsNumber(parent) && !command) {
		statedir_checkpoint(dir, id, STATEDIR_FORK_SOURCE, path, sizeof path);
		relink_source(dir, *parent_id, *fork_epoch, id, path);
		cJSON_AddStringToObject(o, WORKER_PROTO_FORK_FROM, path);
	}
	cJSON_Delete(rows);
	if (!o->child) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
