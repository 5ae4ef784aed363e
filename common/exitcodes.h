/* exitcodes: the worker's exit codes, shared by the worker (which exits with
 * them) and the daemon (which turns them into a trial's recorded reason).
 * Stable: command trials may use them too. */
#ifndef CAVIAR_EXITCODES_H
#define CAVIAR_EXITCODES_H

enum worker_exit {
	WORKER_EXIT_OK = 0,
	WORKER_EXIT_CONFIG = 2,   /* bad trial configuration or usage */
	WORKER_EXIT_DATA = 3,     /* dataset missing, truncated or corrupt */
	WORKER_EXIT_DIVERGED = 4, /* loss or weights became NaN/Inf */
	WORKER_EXIT_IO = 5,       /* checkpoint or cache could not be read/written */
	WORKER_EXIT_STOPPED = 6,  /* asked to stop (SIGTERM); checkpoint saved */
	WORKER_EXIT_INTERNAL = 70,
};

/* A short static description of a worker exit code ("bad input data", ...);
 * "exit code N" style text for unknown codes is the caller's job (NULL here). */
const char *worker_exit_reason(int code);

#endif
