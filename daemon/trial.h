/* trial: one running trial: its worker process (uv_spawn), the stdin pipe that
 * carries its configuration, the stdout pipe its curve arrives on and the
 * stderr pipe whose tail is kept for the record. A trial ends only after its
 * exit callback AND the EOF of both pipes, in either order; its memory is
 * freed in the last close callback. */
#ifndef CAVIAR_TRIAL_H
#define CAVIAR_TRIAL_H

#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "db.h"
#include "command.h"
#include "linebuf.h"

struct daemon;
struct sweep;

#define TRIAL_TAIL 2048 /* bytes of stderr kept */

struct trial {
	struct daemon *d;
	struct sweep *sweep;
	struct trial *next;       /* in d->running */
	struct trial_row row;     /* the database state, written through db_trial_update */
	int number;
	int threads;              /* OPENBLAS_NUM_THREADS for the worker */
	int epochs_total;         /* epochs the configuration asks for */
	int memory_mb;            /* address-space limit for the worker; 0: none */
	char *checkpoint;         /* the built-in worker's checkpoint file, or NULL */
	struct command_run *cmd;  /* a command trial's argv, dirs, environment; or NULL */
	char *start_error;        /* why it cannot start (a bad placeholder...), or NULL */
	int log_lines;            /* output lines of a command trial kept as its log */
	int slurm_queued;         /* srun said the step waits in Slurm's queue */
	struct linebuf err_lb;    /* stderr lines, for what srun says */
	pid_t pid;                /* the program, started by child.c; 0 before */
	uv_pipe_t in, out, err;
	uv_timer_t kill_timer;    /* SIGKILL after the grace period */
	uv_timer_t stall_timer;   /* restarted by every line: fires after stall_timeout */
	uv_timer_t deadline;      /* fires after the sweep's per-trial timeout */
	int first_line_seen;      /* the first line tells a resume from a fresh start */
	uv_write_t write_req;
	char *config;             /* the configuration text written to stdin */
	char *params;             /* the trial's params as JSON text */
	struct linebuf out_lb;
	char tail[TRIAL_TAIL];    /* stderr ring */
	size_t tail_len;
	int open_handles;         /* closes still to come before free */
	int pipes_open;           /* stdout and stderr not yet at EOF */
	int out_eof;              /* stdout is at EOF */
	int exited;
	int64_t exit_status;
	int term_signal;
	const char *stop_status;  /* set when we asked it to stop: "cancelled", "queued", ... */
	char *stop_reason;        /* why we asked */
	int retryable;            /* classify: a crash or stall that `retries` may repeat */
	int stop_retryable;       /* the stop we asked for (a stall) may be retried */
	char *event_reason;       /* from a "diverged" event, say */
	int n_points;             /* metric values received */
	int rejected;             /* lines rejected */
};

/* Spawns the worker for a trial whose row is filled (id, attempts...) with
 * the given configuration (JSON text, copied). Returns 0, or a negative libuv
 * error with err set; then the trial is already recorded as failed with that
 * reason and frees itself. Either way the caller no longer owns t. */
int trial_start(struct trial *t, const char *config, char *err, size_t errlen);

/* Asks the worker to stop: SIGTERM now (a worker saves its checkpoint and
 * exits), SIGKILL after the grace period. The trial then ends with status
 * `status` ("cancelled", "pruned", "failed", or "queued" to run again) and the
 * reason given. A second request for the same trial is ignored. */
void trial_stop(struct trial *t, const char *status, const char *reason);

/* Reaps the running trials' programs that have exited (on SIGCHLD): each
 * one's exit is handled as it is found. */
void trials_reap(struct daemon *d);

/* Stops (hold) or resumes reading the worker's stdout: a held worker blocks
 * on its next line, so its output waits in the pipe instead of our memory. */
void trial_hold_reading(struct trial *t, int hold);

#endif
