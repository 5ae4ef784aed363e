/* exitcodes: descriptions of the worker's exit codes (see exitcodes.h). */
#include "exitcodes.h"

#include <stddef.h>

const char *worker_exit_reason(int code)
{
	switch (code) {
	case WORKER_EXIT_OK: return "finished";
	case WORKER_EXIT_CONFIG: return "bad trial configuration";
	case WORKER_EXIT_DATA: return "bad input data";
	case WORKER_EXIT_DIVERGED: return "diverged";
	case WORKER_EXIT_IO: return "checkpoint or cache i/o error";
	case WORKER_EXIT_STOPPED: return "stopped on request";
	case WORKER_EXIT_INTERNAL: return "internal error";
	}
	return NULL;
}
