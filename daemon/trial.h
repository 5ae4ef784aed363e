/* trial: one trial's program, from spawn to the last close callback: the
 * process (child.c, through its launcher), the stdin pipe that carries its
 * configuration, the stdout pipe its curve arrives on (framed, parsed with
 * line.c, split from a command's log lines) and the stderr pipe whose tail is
 * kept. It keeps the trial's row (status, best value, epochs) up to date and
 * classifies how the program ended, but records nothing and decides nothing
 * about sweeps: it reports to its owner through the callbacks in trial_host,
 * the way tmux's job_run reports through its update and complete callbacks.
 * The program leads a process group of its own and every signal goes to the
 * group. A trial ends after its exit AND the EOF of both pipes, in either
 * order; when the program has exited but something it started still holds
 * its output, the group is sent SIGTERM, SIGKILL after the grace period, and
 * the pipes are closed then. Its memory is freed in the last close callback. */
#ifndef CAVIAR_TRIAL_H
#define CAVIAR_TRIAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "command.h"
#include "db.h"
#include "launcher.h"
#include "linebuf.h"
#include "line.h"
#include "spec.h"
#include "strset.h"

struct trial;

#define TRIAL_MAX_EPOCH 100000      /* a line past this epoch is rejected (hparams' bound) */
#define TRIAL_MAX_LOG_LINES 10000   /* output lines of a command trial kept per attempt */
#define TRIAL_MAX_LOG_BYTES (16u << 20) /* and bytes */
#define TRIAL_MAX_METRIC_NAMES 1000 /* distinct metric names one trial may report */

/* What trials need from their owner, set once (the daemon embeds it). */
struct trial_host {
	uv_loop_t *loop;
	enum launcher_kind launcher;
	const char *worker_path; /* caviar-worker */
	const char *self_path;   /* caviard, whose --exec-limits wraps programs */
	const char *state_dir;   /* checkpoints and command trials' directories */
	double grace;            /* seconds between the stop signal and SIGKILL */
	char *readbuf;           /* every pipe read lands here (one buffer for all) */
	size_t readbuf_len;
	void *data;              /* the owner's */
	/* A trial that ran before starts over from epoch `from` (0: from nothing). */
	void (*on_resume)(struct trial *t, int from);
	/* A metrics line, after the row took it in; objective is NAN when the
	 * line lacks the sweep's objective metric. */
	void (*on_metrics)(struct trial *t, const struct worker_line *l, double objective);
	/* The program's answer to a control line (trial_send): an "adjusted" or
	 * "adjust_refused" event line. Returns 0, or -1 with err when it answers
	 * no line sent: the line is rejected. */
	int (*on_control)(struct trial *t, const struct worker_line *l, char *err, size_t errlen);
	/* A command trial's output line that is not for the daemon (its log). */
	void (*on_log)(struct trial *t, const char *text, size_t len);
	/* The program is gone (or never started): row.status and row.reason say
	 * how it ended. The trial is freed after this returns. */
	void (*on_end)(struct trial *t);
};

#define TRIAL_TAIL 2048 /* bytes of stderr kept */

struct trial {
	struct trial_host *host;
	void *owner;              /* the owner's (the hub: the trial's sweep) */
	struct trial *next;       /* the owner's list of running trials */
	const struct spec *spec;  /* the sweep's spec, which outlives the trial */
	int64_t sweep_id;
	struct trial_row row;     /* the database state the owner records */
	int number;
	uint64_t seed;            /* the worker's seed */
	int threads;              /* OPENBLAS_NUM_THREADS for the worker */
	int epochs_total;         /* epochs the configuration asks for */
	int max_epoch;            /* a line past it is rejected (early stopping's arrays
	                           * are sized by epoch) */
	int memory_mb;            /* address-space limit for the worker; 0: none */
	cJSON *params;            /* the trial's params (owned) */
	char *config;             /* the configuration text (stdin, or a file) */
	char *checkpoint;         /* the built-in worker's checkpoint file, or NULL */
	struct command_run *cmd;  /* a command trial's argv, dirs, environment; or NULL */
	struct forkserver *forkserver; /* set by the owner before trial_start: the fork
	                           * server that starts the program; NULL once it
	                           * answered (or to spawn it) */
	int64_t fork_parent;      /* set by the owner: the trial it was forked from; 0: none */
	int fork_epoch;           /* and the parent's epoch it starts after */
	char *start_error;        /* why it cannot start (a bad placeholder...), or NULL */
	int log_lines;            /* output lines of a command trial kept as its log */
	size_t log_bytes;         /* and their bytes */
	int log_cut;              /* the log hit a cap: the rest is not kept */
	int slurm_queued;         /* srun said the step waits in Slurm's queue */
	int held;                 /* stdout is not read (trial_hold_reading) */
	struct linebuf err_lb;    /* stderr lines, for what srun says */
	pid_t pid;                /* the program, started by child.c; 0 before */
	uv_pipe_t in, out, err;
	uv_timer_t kill_timer;    /* SIGKILL after the grace period */
	uv_timer_t stall_timer;   /* restarted by every line: fires after stall_timeout */
	uv_timer_t deadline;      /* fires after the sweep's per-trial timeout */
	int first_line_seen;      /* the first line tells a resume from a fresh start */
	int resumed_from;         /* the epoch it resumed or forked from: the lines up to it
	                           * that a resumed program prints again are not news */
	uv_write_t write_req;
	int in_open;              /* stdin takes control lines (trial_send) */
	struct linebuf out_lb;
	char tail[TRIAL_TAIL];    /* stderr ring */
	size_t tail_len;
	int open_handles;         /* closes still to come before free */
	int pipes_open;           /* stdout and stderr not yet at EOF */
	int out_eof;              /* stdout is at EOF (or taken for it) */
	int err_eof;              /* stderr likewise */
	int exited;
	int64_t exit_status;
	int term_signal;
	const char *stop_status;  /* set when we asked it to stop: "cancelled", "queued", ... */
	char *stop_reason;        /* why we asked */
	int retryable;            /* classify: a crash or stall that `retries` may repeat */
	int stop_retryable;       /* the stop we asked for (a stall) may be retried */
	char *event_reason;       /* from a "diverged" event, say */
	int n_points;             /* metric values received */
	double last_objective;    /* the objective at its latest epoch; NAN: none yet */
	double *objective;        /* the objective by epoch (objective[e]; NAN: none), for
	                           * comparing trials at one epoch (search pbt) */
	int n_objective;
	int rejected;             /* lines rejected */
	struct strset names;      /* the distinct metric names it reported */
};

/* A trial of a sweep, ready to start: attempt attempts + 1 of trial `id`
 * (number `number`) with params (taken) and the worker's seed. Builds its
 * configuration, and its checkpoint path or its command (a command that
 * cannot be prepared is kept as start_error: trial_start reports it).
 * overrides (may be NULL; not taken): keys set in the configuration over the
 * params, such as the values adjusted while it ran before, or "fork_from". */
struct trial *trial_create(struct trial_host *host, const struct spec *spec, int64_t sweep_id,
			   int64_t id, int number, int attempts, cJSON *params, uint64_t seed,
			   const cJSON *overrides);
/* Writes one control line (text without its newline) to the program's
 * stdin, which stays open while it runs (a local trial; under Slurm there is
 * none). Returns 0, or -1 with err set when its stdin is closed. A write that
 * fails later (the program closed its end) closes it: never a signal. */
int trial_send(struct trial *t, const char *text, char *err, size_t errlen);

/* Spawns the trial's program. Returns 0, or -1 with err set: then on_end has
 * already been called (status "failed", the reason why) and the trial frees
 * itself. Either way the caller no longer owns t. */
int trial_start(struct trial *t, char *err, size_t errlen);

/* Asks the program to stop: the launcher's stop signal now (a worker saves
 * its checkpoint and exits), SIGKILL after the grace period. The trial then
 * ends with status `status` ("cancelled", "pruned", "failed", or "queued" to
 * run again) and the reason given. The metrics lines read after the request
 * are not recorded (the curve ends where it was stopped), except with
 * "queued": they are epochs the program finished before it saw the signal,
 * which its checkpoint holds. A second request for the same trial is
 * ignored. */
void trial_stop(struct trial *t, const char *status, const char *reason);

/* Whether a failed trial's reason (as recorded, so also one read back from
 * the database) says its values failed it, not its program: it diverged,
 * timed out, or went over its memory limit. A sweep explores values, so
 * fail_fast counts the other failures only. */
int trial_reason_of_values(const char *reason);

/* Handles the program's exit if it has exited (on SIGCHLD; waitpid WNOHANG).
 * May end the trial (on_end). */
void trial_reap(struct trial *t);
/* The program exited (status as waitpid gives it: its owner reaped it). May
 * end the trial (on_end). */
void trial_exited(struct trial *t, int status);

/* Through a fork server (t->forkserver): the program runs as pid, which
 * leads its process group; a stop asked for meanwhile is sent now. The
 * caller then hands it an exit reaped before (trial_exited). */
void trial_forked(struct trial *t, pid_t pid);
/* Through a fork server: the program could not be started (why); requeue:
 * the server is gone, so the trial waits its turn again instead of failing.
 * It ends once its pipes are at their end (on_end). */
void trial_fork_failed(struct trial *t, const char *why, int requeue);

/* Stops (hold) or resumes reading the program's stdout: a held program
 * blocks on its next line, so its output waits in the pipe instead of our
 * memory; a held trial is never taken for stalled. */
void trial_hold_reading(struct trial *t, int hold);

/* t's objective at epoch (NAN when it has none there). */
double trial_objective_at(const struct trial *t, int epoch);

/* Every copy kept for forks of trial id (command: a command trial's) that
 * spec's keep_checkpoints does not keep once epoch latest is done, its best
 * epoch best, is removed: what a trial's end does when it may have missed
 * the line that judged one (a resume), and what start-up does for a trial
 * that ended with no caviard to see it (db_unfinished). */
void trial_settle_copies(const char *state_dir, const struct spec *spec, int command,
			 int64_t id, int latest, int best);

#endif
