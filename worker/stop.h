/* stop: the worker's graceful-stop request. SIGTERM or SIGINT sets a flag that
 * the training loops poll at step boundaries; they then save a checkpoint,
 * report a "stopped" event and exit with WORKER_EXIT_STOPPED. The flag is the
 * one mutable global a signal handler needs. */
#ifndef CAVIAR_STOP_H
#define CAVIAR_STOP_H

void stop_install(void);   /* installs the SIGTERM/SIGINT handlers */
int stop_requested(void);  /* nonzero once a stop signal arrived */

#endif
