/* test_fork: a fork planned from a database made with the real schema and a
 * state directory: the parent's params with its adjustments up to the epoch
 * and the requested changes as [old, new]; each refusal (no trial, no epoch
 * done, a copy not kept, a change out of range, no epoch left); the child's
 * files (a link, or a copy of a command trial's); its start overrides. */
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "errbuf.h"
#include "fork.h"
#include "statedir.h"
#include "test.h"
#include "tmpdir.h"
#include "worker_proto.h"

static char dir[PATH_MAX], state[PATH_MAX];
static struct db db;
static int64_t parent; /* a trial with 3 epochs done, of a sweep of 4 epochs */

static const char spec[] =
	"{\"name\": \"f\", \"trials\": 2, \"task\": \"bowl\", \"train\": {\"epochs\": 4},"
	" \"params\": {\"lr\": {\"log\": [1e-4, 1e-1]}, \"beta\": {\"reverse_log\": [0.5, 0.99]}}}";

static void sql(const char *text)
{
	CHECK(sqlite3_exec(db.h, text, NULL, NULL, NULL) == SQLITE_OK);
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs("weights", f);
		fclose(f);
	}
}

/* A sweep and its trial `parent`, adjusted at epochs 1 and 3. */
static void setup(void)
{
	char path[PATH_MAX], err[ERRBUF_LEN];
	int64_t sweep;
	cJSON *c1 = cJSON_Parse("{\"beta\": [0.5, 0.7]}"),
	      *c3 = cJSON_Parse("{\"beta\": [0.7, 0.9]}");

	tmp_path(state, dir, "state");
	CHECK(statedir_make(state, err, sizeof err) == 0);
	CHECK(db_open(&db, tmp_path(path, dir, "db"), err, sizeof err) == 0);
	CHECK(db_insert_sweep(&db, "f", spec, "random", 1, "val_loss", 0, 2, 1000.0, &sweep, err,
			      sizeof err) == 0);
	CHECK(db_insert_trial(&db, sweep, 0, 0, "{\"lr\": 0.01, \"beta\": 0.5}", 9, &parent,
			      err, sizeof err) == 0);
	sql("UPDATE trials SET epochs = 3, status = 'running'");
	sql("INSERT INTO points VALUES (1, 'val_loss', 2, 40, 0.5, 0), (1, 'val_loss', 2, 60, 0.4, 0)");
	CHECK(db_insert_adjustments(&db, parent, 1, 20, c1, "user", 1.0, err, sizeof err) == 0);
	CHECK(db_insert_adjustments(&db, parent, 3, 70, c3, "user", 2.0, err, sizeof err) == 0);
	cJSON_Delete(c1);
	cJSON_Delete(c3);
}

static int plan_of(struct fork_plan *p, int64_t trial, int epoch, const char *set, char *err)
{
	cJSON *s = cJSON_Parse(set);
	int rc = fork_plan(p, &db.query, state, trial, epoch, s, 0, err, ERRBUF_LEN);

	cJSON_Delete(s);
	return rc;
}

static void test_plan(void)
{
	struct fork_plan p;
	char err[ERRBUF_LEN], path[4200], *text;

	CHECK(plan_of(&p, 99, 2, "{}", err) < 0);
	CHECK_STR(err, "no trial 99");
	fork_plan_finish(&p);
	CHECK(plan_of(&p, parent, 5, "{}", err) < 0);
	CHECK_CONTAINS(err, "has finished 3 epochs: it cannot be forked at epoch 5");
	fork_plan_finish(&p);
	CHECK(plan_of(&p, parent, 2, "{}", err) < 0);
	CHECK_CONTAINS(err, "keeps no checkpoint of epoch 2 (kept: none;");
	fork_plan_finish(&p);

	statedir_checkpoint(state, parent, 2, path, sizeof path);
	touch(path);
	CHECK(plan_of(&p, parent, 2, "{\"lr\": 0.05}", err) == 0);
	CHECK(p.parent == parent && p.epoch == 2 && p.step == 60 && p.seed == 9 && !p.command);
	CHECK_STR(p.source, path);
	text = cJSON_PrintUnformatted(p.params); /* epoch 3's adjustment is not in it */
	CHECK_STR(text, "{\"beta\":0.7,\"lr\":0.05}");
	free(text);
	text = cJSON_PrintUnformatted(p.changes);
	CHECK_STR(text, "{\"lr\":[0.01,0.05]}");
	free(text);
	fork_plan_finish(&p);

	CHECK(plan_of(&p, parent, 2, "{\"lr\": -1}", err) < 0);
	CHECK_CONTAINS(err, "lr: ");
	fork_plan_finish(&p);
	statedir_checkpoint(state, parent, 3, path, sizeof path);
	touch(path);
	CHECK(plan_of(&p, parent, 0, "{\"epochs\": 3}", err) < 0); /* 0: its latest, 3 */
	CHECK_CONTAINS(err, "at epoch 3 would have no epoch left to train (epochs is 3)");
	fork_plan_finish(&p);
	CHECK(plan_of(&p, parent, 0, "{}", err) == 0 && p.epoch == 3);
	fork_plan_finish(&p);
}

static void test_materialize(void)
{
	char src[4200], dst[4200], file[4300], err[ERRBUF_LEN];
	struct stat a, b;

	statedir_checkpoint(state, parent, 1, src, sizeof src);
	touch(src);
	CHECK(fork_stage(state, 0, parent, 1, file, sizeof file) == 0);
	fork_materialize(state, 0, src, parent, 50);
	statedir_checkpoint(state, 50, STATEDIR_FORK_SOURCE, dst, sizeof dst);
	CHECK(stat(src, &a) == 0 && stat(dst, &b) == 0 && a.st_ino == b.st_ino); /* a link */

	statedir_epoch_dir(state, 7, 2, src, sizeof src);
	CHECK(statedir_command_dirs(state, 7, dst, file, sizeof dst, file, sizeof file) == 0);
	CHECK(mkdir(src, 0700) == 0);
	snprintf(file, sizeof file, "%s/model.pt", src);
	touch(file);
	CHECK(fork_stage(state, 1, 7, 2, file, sizeof file) == 0);
	fork_materialize(state, 1, src, 7, 51);
	statedir_trial_path(state, 51, "checkpoint/model.pt", dst, sizeof dst);
	CHECK(stat(dst, &b) == 0 && b.st_size == 7);
	statedir_trial_path(state, 7, "fork.tmp", dst, sizeof dst);
	CHECK(access(dst, F_OK) < 0); /* moved into place */

	/* a file that cannot be read (as a failing disk): refused, nothing left */
	snprintf(file, sizeof file, "%s/unreadable", src);
	CHECK(symlink("/proc/self/mem", file) == 0);
	CHECK(fork_stage(state, 1, 7, 2, err, sizeof err) < 0);
	CHECK_CONTAINS(err, "unreadable");
	CHECK(access(dst, F_OK) < 0);
}

static void test_newest_source(void)
{
	char path[4200];

	/* trial 60 of 5 epochs kept 1 and 2, and has done 3: the newest is 2 */
	statedir_checkpoint(state, 60, 1, path, sizeof path);
	touch(path);
	statedir_checkpoint(state, 60, 2, path, sizeof path);
	touch(path);
	CHECK(fork_newest_source(state, 0, 60, 3, 5, path, sizeof path) == 2);
	CHECK(fork_newest_source(state, 0, 60, 2, 2, path, sizeof path) == 1); /* before its last */
	CHECK(fork_newest_source(state, 0, 60, 5, 5, path, sizeof path) == 0);
	CHECK(fork_step_at(&db.query, parent, 2) == 60);
	CHECK(fork_step_at(&db.query, parent, 1) == 0);
}

static void test_overrides(void)
{
	char err[ERRBUF_LEN], path[4200], source[4200], *text;
	struct stat a, b;
	int64_t child, p;
	int epoch;
	cJSON *o;

	CHECK(fork_start_overrides(&db.query, state, parent, 0, 0, &p, &epoch) == NULL);
	CHECK(p == 0 && epoch == 0);
	o = fork_start_overrides(&db.query, state, parent, 1, 0, &p, &epoch);
	text = cJSON_PrintUnformatted(o); /* started before: its adjustments' last values */
	CHECK_STR(text, "{\"beta\":0.9}");
	free(text);
	cJSON_Delete(o);

	CHECK(db_insert_trial(&db, 1, 1, 0, "{\"lr\": 0.02}", 9, &child, err, sizeof err) == 0);
	CHECK(db_set_parent(&db, child, parent, 2, err, sizeof err) == 0);
	o = fork_start_overrides(&db.query, state, child, 0, 0, &p, &epoch);
	statedir_checkpoint(state, child, STATEDIR_FORK_SOURCE, path, sizeof path);
	CHECK(p == parent && epoch == 2);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, WORKER_PROTO_FORK_FROM)), path);
	cJSON_Delete(o);
	/* killed between the fork's commit and its link: made again at its start */
	statedir_checkpoint(state, parent, 2, source, sizeof source);
	touch(source);
	unlink(path);
	cJSON_Delete(fork_start_overrides(&db.query, state, child, 0, 0, &p, &epoch));
	CHECK(stat(source, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino);
	CHECK(fork_start_overrides(&db.query, state, child, 0, 1, &p, &epoch) == NULL);
	CHECK(p == parent && epoch == 2); /* a command trial's: CAVIAR_FORK_EPOCH only */
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"plan", test_plan}, {"materialize", test_materialize},
		{"newest_source", test_newest_source}, {"overrides", test_overrides}, {0}};
	int rc;

	tmp_make(dir, sizeof dir, "caviar-test-fork");
	setup();
	rc = test_main(argc, argv, cases);
	db_close(&db);
	tmp_remove(dir);
	return rc;
}
