/* probe: runs a short command on the side of the event loop with a time
 * limit, and reports once whether it exited 0, with the last line it wrote to
 * stderr; and the one such command caviard runs, the Slurm reachability check
 * of a submit (probe_slurm: what a compute node must be able to do). */
#ifndef CAVIAR_PROBE_H
#define CAVIAR_PROBE_H

#include <cjson/cJSON.h>
#include <uv.h>

/* Called exactly once: ok 1 when the command exited 0; msg is its last
 * stderr line, or why it failed to run (valid during the call only). */
typedef void (*probe_cb)(void *ctx, int ok, const char *msg);

/* Starts argv (argv[0] found in PATH) with a limit of `seconds`. Returns 0;
 * or a negative libuv error, in which case cb is never called. The probe
 * frees itself after calling cb. */
int probe_start(uv_loop_t *loop, char *const *argv, double seconds, probe_cb cb, void *ctx);

/* Starts, as probe_start does, a one-task Slurm step (srun with the sweep's
 * options, slurm: may be NULL) that checks that program (a path, or a name
 * in the node's PATH) can run there and that dir is a writable directory
 * there; msg then says which failed ("cannot write DIR on node3"). self is
 * caviard (launcher_argv's). */
int probe_slurm(uv_loop_t *loop, const char *self, const char *program, const char *dir,
		const cJSON *slurm, double seconds, probe_cb cb, void *ctx);

#endif
