/* reaper: collects every exited child of caviard (waitpid(-1)) when trials run
 * locally. caviard is a child subreaper there, so besides the trials it
 * spawned it becomes the parent of a fork server's trials (forkserver_proto.h)
 * and of whatever a trial's program left behind: each exit is offered to the
 * owner's claim callback (a trial's, a fork server's); one nobody claims is
 * kept a while, for a fork server's trial that ended before caviard heard its
 * pid. Under Slurm it is not used: libuv waits for the probe's process, and
 * each trial reaps its own pid (trial_reap). */
#ifndef CAVIAR_REAPER_H
#define CAVIAR_REAPER_H

#include <sys/types.h>

#define REAPER_KEEP 64 /* unclaimed exits kept, the oldest forgotten first */

struct reaper {
	struct reaper_exit {
		pid_t pid;  /* 0: an empty place */
		int status; /* as waitpid gives it */
	} kept[REAPER_KEEP];
	int next;   /* the place the next unclaimed exit takes */
};

/* Returns 1 when the exit of pid (status as waitpid gives it) was someone's. */
typedef int (*reaper_claim_fn)(void *ctx, pid_t pid, int status);

/* Makes the calling process a child subreaper. Returns 0 or a negative errno. */
int reaper_init(struct reaper *r);
/* Reaps every exited child without blocking, offering each to claim. */
void reaper_collect(struct reaper *r, reaper_claim_fn claim, void *ctx);
/* Takes pid's kept exit: 1 with *status set, or 0 when none is kept. */
int reaper_take(struct reaper *r, pid_t pid, int *status);

#endif
