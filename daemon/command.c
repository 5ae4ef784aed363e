/* command: checking and preparing command trials, and expanding their
 * arguments' {placeholders} (see command.h). */
#include "command.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "forkserver_proto.h"
#include "program.h"
#include "statedir.h"
#include "worker_proto.h"
#include "xalloc.h"

static void env_add(struct command_run *r, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;
	char *kv = xmalloc(n);

	snprintf(kv, n, "%s=%s", name, value);
	r->env = xrealloc(r->env, (size_t)(r->n_env + 2) * sizeof *r->env);
	r->env[r->n_env++] = kv;
	r->env[r->n_env] = NULL;
}

/* The trial's directories: STATE/trials/ID and its checkpoint/ inside. */
static int make_dirs(struct command_run *r, const char *state_dir, int64_t trial_id, char *err,
		     size_t errlen)
{
	char trial_dir[4200] = "", checkpoint_dir[4200] = "";
	int rc = statedir_command_dirs(state_dir, trial_id, trial_dir, checkpoint_dir,
				       sizeof trial_dir, err, errlen);

	r->trial_dir = xstrdup(trial_dir);
	r->checkpoint_dir = xstrdup(checkpoint_dir);
	return rc;
}

/* The placeholders' values: the trial's own, then the builtins. */
static cJSON *variables(const struct command_run *r, const struct spec *s, const cJSON *config,
			int64_t trial_id)
{
	cJSON *vars = cJSON_Duplicate(config, 1);

	cJSON_AddNumberToObject(vars, "trial_id", (double)trial_id);
	cJSON_AddStringToObject(vars, "trial_dir", r->trial_dir);
	cJSON_AddStringToObject(vars, "checkpoint_dir", r->checkpoint_dir);
	cJSON_AddStringToObject(vars, "workdir", s->workdir ? s->workdir : r->trial_dir);
	return vars;
}

/* ---- placeholders: the syntax is the spec's (spec_walk_placeholders) ---- */

struct expansion {
	const cJSON *vars;
	char *out;
	size_t len, cap;
	const char *arg;
	char *err;
	size_t errlen;
};

static void expand_literal(void *ctx, const char *text, size_t len)
{
	struct expansion *e = ctx;

	if (e->len + len + 1 > e->cap) {
		e->cap = 2 * (e->len + len + 1);
		e->out = xrealloc(e->out, e->cap);
	}
	memcpy(e->out + e->len, text, len);
	e->len += len;
	e->out[e->len] = '\0';
}

/* A number as the shortest text that reads back the same. */
static void format_number(double x, char *buf, size_t n)
{
	if (x == floor(x) && fabs(x) < 1e15) {
		snprintf(buf, n, "%.0f", x);
		return;
	}
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

static int expand_var(void *ctx, const char *name, size_t len)
{
	struct expansion *e = ctx;
	char key[128], num[64];
	const cJSON *v;
	char *text;

	snprintf(key, sizeof key, "%.*s", (int)len, name);
	v = cJSON_GetObjectItemCaseSensitive(e->vars, key);
	if (cJSON_IsString(v)) {
		expand_literal(e, v->valuestring, strlen(v->valuestring));
	} else if (cJSON_IsNumber(v)) {
		format_number(v->valuedouble, num, sizeof num);
		expand_literal(e, num, strlen(num));
	} else if (cJSON_IsBool(v)) {
		expand_literal(e, cJSON_IsTrue(v) ? "true" : "false", cJSON_IsTrue(v) ? 4 : 5);
	} else if (v) {
		text = cJSON_PrintUnformatted(v);
		expand_literal(e, text, strlen(text));
		free(text);
	} else {
		return err_set(e->err, e->errlen, "{%s}: not set in this trial (a condition on it "
			       "does not hold; read CAVIAR_PARAMS instead)", key);
	}
	return 0;
}

char *command_expand(const char *arg, const cJSON *vars, char *err, size_t errlen)
{
	struct expansion e = {vars, NULL, 0, 0, arg, err, errlen};

	expand_literal(&e, "", 0);
	if (spec_walk_placeholders(arg, expand_var, expand_literal, &e, err, errlen) < 0) {
		free(e.out);
		return NULL;
	}
	return e.out;
}

static int expand_argv(struct command_run *r, const struct spec *s, const cJSON *vars,
		       char *err, size_t errlen)
{
	int n = cJSON_GetArraySize(s->command), i = 0;
	const cJSON *arg;

	r->argv = xcalloc((size_t)n + 1, sizeof *r->argv);
	cJSON_ArrayForEach(arg, s->command) {
		char *resolved = program_resolve(s, arg->valuestring);

		r->argv[i] = command_expand(resolved, vars, err, errlen);
		free(resolved);
		if (!r->argv[i])
			return err_prefix(err, errlen, "command[%d]", i);
		i++;
	}
	return 0;
}

/* What every process of sweep sweep_id gets in its environment: the spec's
 * "env" and caviar's own variables (spec_parse refuses the names of these). */
static void sweep_env(struct command_run *r, const struct spec *s, int64_t sweep_id)
{
	const cJSON *var;
	char num[32];

	cJSON_ArrayForEach(var, s->env)
		env_add(r, var->string, var->valuestring);

	snprintf(num, sizeof num, "%lld", (long long)sweep_id);
	env_add(r, "CAVIAR_SWEEP_ID", num);
	if (s->metrics_prefix)
		env_add(r, "CAVIAR_METRICS_PREFIX", s->metrics_prefix);
	env_add(r, "PYTHONUNBUFFERED", "1"); /* Python's stdout is block-buffered on a pipe */
}

int command_prepare(struct command_run *r, const struct spec *s, const cJSON *config,
		    int64_t sweep_id, int64_t trial_id, const char *state_dir, char *err,
		    size_t errlen)
{
	char num[32], *params;
	cJSON *vars;
	int rc;

	memset(r, 0, sizeof *r);
	if (make_dirs(r, state_dir, trial_id, err, errlen) < 0)
		return -1;
	vars = variables(r, s, config, trial_id);
	rc = expand_argv(r, s, vars, err, errlen);
	cJSON_Delete(vars);
	if (rc < 0)
		return -1;
	params = cJSON_PrintUnformatted(config);
	env_add(r, "CAVIAR_PARAMS", params);
	free(params);
	sweep_env(r, s, sweep_id);
	env_add(r, "CAVIAR_TRIAL_DIR", r->trial_dir);
	env_add(r, "CAVIAR_CHECKPOINT_DIR", r->checkpoint_dir);
	env_add(r, WORKER_PROTO_ENV_KEEP_EPOCHS, "1"); /* for forks (statedir_drop_epoch) */
	snprintf(num, sizeof num, "%.0f",
		 cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(config, "seed")));
	env_add(r, "CAVIAR_SEED", num);
	return 0;
}

int command_server_prepare(struct command_run *r, const struct spec *s, int64_t sweep_id,
			   const char *state_dir, int threads, char *err, size_t errlen)
{
	cJSON *vars = cJSON_CreateObject();
	char num[64];
	int rc;

	memset(r, 0, sizeof *r);
	r->trial_dir = xstrdup(s->workdir ? s->workdir : state_dir);
	cJSON_AddStringToObject(vars, "workdir", r->trial_dir);
	rc = expand_argv(r, s, vars, err, errlen);
	cJSON_Delete(vars);
	if (rc < 0)
		return -1;
	sweep_env(r, s, sweep_id);
	env_add(r, FORKSERVER_ENV, "1");
	snprintf(num, sizeof num, "%d", threads);
	env_add(r, "OPENBLAS_NUM_THREADS", num);
	env_add(r, "OMP_NUM_THREADS", num);
	snprintf(num, sizeof num, "%ld", (long)getpid());
	env_add(r, "CAVIAR_PARENT_PID", num);
	return 0;
}

void command_run_finish(struct command_run *r)
{
	for (int i = 0; r->argv && r->argv[i]; i++)
		free(r->argv[i]);
	for (int i = 0; i < r->n_env; i++)
		free(r->env[i]);
	free(r->argv);
	free(r->env);
	free(r->trial_dir);
	free(r->checkpoint_dir);
	memset(r, 0, sizeof *r);
}

void command_env_add(struct command_run *r, const char *name, const char *value)
{
	env_add(r, name, value);
}
