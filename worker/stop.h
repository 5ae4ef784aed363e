/* stop: the worker's graceful-stop request. SIGTERM, SIGINT or SIGUSR1 (which
 * srun forwards to a Slurm step) sets a flag that
 * the training loops poll at step boundaries; they then save a checkpoint,
 * report a "stopped" event and exit with WORKER_EXIT_STOPPED. The flag is the
 * one mutable global a signal handler needs. */
#ifndef CAVIAR_STOP_H
#define CAVIAR_STOP_H

void stop_install(void);   /* installs the SIGTERM/SIGINT/SIGUSR1 handlers */
int stop_requested(void);  /* nonzero once a stop signal arrived */

/* When $CAVIAR_PARENT_PID names our parent (the daemon sets it), asks the
 * kernel for SIGTERM when that parent dies, so a worker of a dead daemon stops
 * (checkpointed) instead of training unobserved. Returns 0. */
int stop_follow_parent(void);

#endif
