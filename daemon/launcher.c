/* launcher: local processes or Slurm job steps (see launcher.h). */
#include "launcher.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

int launcher_parse(const char *name)
{
	if (strcmp(name, "local") == 0)
		return LAUNCHER_LOCAL;
	if (strcmp(name, "slurm") == 0)
		return LAUNCHER_SLURM;
	return -1;
}

const char *launcher_name(enum launcher_kind kind)
{
	return kind == LAUNCHER_SLURM ? "slurm" : "local";
}

struct argv_builder {
	char **argv;
	int n, cap;
	char **owned;
	int n_owned;
};

static void push(struct argv_builder *b, char *arg)
{
	if (b->n + 2 > b->cap) {
		b->cap = b->cap ? 2 * b->cap : 32;
		b->argv = xrealloc(b->argv, (size_t)b->cap * sizeof *b->argv);
	}
	b->argv[b->n++] = arg;
	b->argv[b->n] = NULL;
}

/* Pushes a formatted argument the builder owns. */
static void pushf(struct argv_builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pushf(struct argv_builder *b, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	b->owned = xrealloc(b->owned, (size_t)(b->n_owned + 2) * sizeof *b->owned);
	b->owned[b->n_owned++] = xstrdup(buf);
	b->owned[b->n_owned] = NULL;
	push(b, b->owned[b->n_owned - 1]);
}

static const char *slurm_str(const cJSON *slurm, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(slurm, key));
}

/* srun and its options: streaming (--unbuffered: the task's stdout is a pty,
 * so it is line-buffered), no stdin, one task, a name to find it by. */
static void push_srun(struct argv_builder *b, const cJSON *slurm, int memory_mb, int64_t id)
{
	const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(slurm, "cpus"), *arg;

	push(b, "srun");
	push(b, "--unbuffered");
	push(b, "--input=none");
	push(b, "--ntasks=1");
	pushf(b, "--cpus-per-task=%d", cJSON_IsNumber(cpus) ? cpus->valueint : 1);
	pushf(b, "--job-name=caviar-trial-%lld", (long long)id);
	if (slurm_str(slurm, "partition"))
		pushf(b, "--partition=%s", slurm_str(slurm, "partition"));
	if (slurm_str(slurm, "time"))
		pushf(b, "--time=%s", slurm_str(slurm, "time"));
	if (slurm_str(slurm, "mem"))
		pushf(b, "--mem=%s", slurm_str(slurm, "mem"));
	else if (memory_mb > 0)
		pushf(b, "--mem=%dM", memory_mb);
	cJSON_ArrayForEach(arg, cJSON_GetObjectItemCaseSensitive(slurm, "args"))
		push(b, arg->valuestring);
}

char **launcher_argv(enum launcher_kind kind, const char *self, char *const *program, int wrap,
		     int memory_mb, const cJSON *slurm, int64_t trial_id, char ***owned)
{
	struct argv_builder b = {0};

	if (wrap || kind == LAUNCHER_SLURM) {
		push(&b, (char *)self);
		push(&b, "--exec-limits");
		/* Under Slurm the limit is the step's (--mem), not srun's own. */
		pushf(&b, "%d", kind == LAUNCHER_SLURM ? 0 : memory_mb);
		push(&b, "--");
	}
	if (kind == LAUNCHER_SLURM)
		push_srun(&b, slurm, memory_mb, trial_id);
	for (int i = 0; program[i]; i++)
		push(&b, program[i]);
	if (!b.owned)
		b.owned = xcalloc(1, sizeof *b.owned);
	*owned = b.owned;
	return b.argv;
}

int launcher_stop_signal(enum launcher_kind kind)
{
	return kind == LAUNCHER_SLURM ? SIGUSR1 : SIGTERM;
}

int launcher_exit_signal(enum launcher_kind kind, int64_t exit_status)
{
	if (kind == LAUNCHER_SLURM && exit_status > 128 && exit_status < 128 + 65)
		return (int)(exit_status - 128);
	return 0;
}

int launcher_queue_state(const char *line, size_t len)
{
	char buf[256];

	snprintf(buf, sizeof buf, "%.*s", (int)(len < 255 ? len : 255), line);
	if (strncmp(buf, "srun: job ", 10) != 0)
		return -1;
	if (strstr(buf, "queued and waiting for resources"))
		return 1;
	if (strstr(buf, "has been allocated resources"))
		return 0;
	return -1;
}
