/* probe: runs a short command on the side of the event loop (the Slurm
 * reachability check at submit time) with a time limit, and reports once
 * whether it exited 0, with the last line it wrote to stderr. */
#ifndef CAVIAR_PROBE_H
#define CAVIAR_PROBE_H

#include <uv.h>

/* Called exactly once: ok 1 when the command exited 0; msg is its last
 * stderr line, or why it failed to run (valid during the call only). */
typedef void (*probe_cb)(void *ctx, int ok, const char *msg);

/* Starts argv (argv[0] found in PATH) with a limit of `seconds`. Returns 0;
 * or a negative libuv error, in which case cb is never called. The probe
 * frees itself after calling cb. */
int probe_start(uv_loop_t *loop, char *const *argv, double seconds, probe_cb cb, void *ctx);

#endif
