/* launcher: where a trial's program runs. `local` (the default) forks it on
 * this machine; `slurm` runs it as a Slurm job step through srun, whose stdout
 * streams back over the same pipe, so curves, early stopping, faults and cancel
 * work unchanged. This module knows the differences: the argv to spawn, the
 * signal that asks for a graceful stop, how an exit status reads, and what
 * srun says on stderr. Facts it relies on, measured with slurm-wlm 22.05 on a
 * one-node cluster (scripts/slurm-cluster.sh brings one up): without
 * --unbuffered a task's stdout is a pipe that glibc fully buffers, so curves
 * would arrive at exit, while with it the task writes to a pty and lines
 * stream; SIGTERM to srun kills the task at once, SIGUSR1 is forwarded to it;
 * srun exits 128 + N for a task killed by signal N; a step waiting for
 * resources makes srun print "queued and waiting for resources". */
#ifndef CAVIAR_LAUNCHER_H
#define CAVIAR_LAUNCHER_H

#include <stdint.h>

#include <cjson/cJSON.h>

enum launcher_kind { LAUNCHER_LOCAL, LAUNCHER_SLURM };

/* "local" or "slurm" to a kind; -1 when unknown. */
int launcher_parse(const char *name);
const char *launcher_name(enum launcher_kind kind);

/* The full argv for a trial (NULL-terminated, malloc'd array; the strings it
 * adds are malloc'd too and listed in *owned, NULL-terminated, for the caller
 * to free). `self` is caviard (its --exec-limits wrapper: a memory limit, and
 * death with the daemon), `program` the trial's own argv, `wrap` whether it
 * needs the wrapper, `slurm` the sweep's options (may be NULL). */
char **launcher_argv(enum launcher_kind kind, const char *self, char *const *program, int wrap,
		     int memory_mb, const cJSON *slurm, int64_t trial_id, char ***owned);

/* The signal asking a trial to stop gracefully: SIGTERM locally; SIGUSR1 to
 * srun, which forwards it to the task (SIGTERM to srun would kill the task). */
int launcher_stop_signal(enum launcher_kind kind);

/* srun reports a task killed by a signal as exit 128 + N: the signal, or 0. */
int launcher_exit_signal(enum launcher_kind kind, int64_t exit_status);

/* What an srun stderr line says about the trial's place in Slurm's queue:
 * 1 queued, 0 running, -1 nothing. */
int launcher_queue_state(const char *line, size_t len);

#endif
