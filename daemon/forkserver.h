/* forkserver: a command sweep's fork server ("fork_server": true), caviard's
 * side of common/forkserver_proto.h. The sweep's program is started once
 * (through caviard --exec-limits, so it dies with the daemon) with its stdin
 * a Unix socket to us and its stdout and stderr appended to a log file; once
 * it says it is ready, each trial's three pipe ends are passed to it with
 * SCM_RIGHTS and it forks the trial's process, whose pid it sends back. The
 * trial is then caviard's own child (reaper.h) and runs as any command trial
 * (trial.c): this module only starts it, and reports through the callbacks
 * of its host whether a trial started. A server that is gone (crashed, or
 * refused to serve) fails the trials it still held as "not their fault". */
#ifndef CAVIAR_FORKSERVER_H
#define CAVIAR_FORKSERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "command.h"
#include "spec.h"

struct forkserver;

/* What the servers need from their owner, and how they report to it. */
struct forkserver_host {
	uv_loop_t *loop;
	const char *self_path; /* caviard, whose --exec-limits starts a server */
	const char *state_dir; /* STATE/forkservers/sweep-N.log: a server's output */
	void *data;            /* the owner's */
	/* trial runs as process pid (leading its own process group). */
	void (*on_started)(void *data, int64_t trial, pid_t pid);
	/* trial could not be started (why); server_gone: because its server is
	 * gone, no fault of the trial's (it may run again). */
	void (*on_failed)(void *data, int64_t trial, const char *why, int server_gone);
};

#define FORKSERVER_MAX_CRASHES 3 /* then the sweep runs a process per trial */
/* Seconds a server that closed its socket has to exit before it is killed. */
#define FORKSERVER_HANGUP_GRACE 2

/* The servers of every sweep that has one, and what became of those before:
 * a server that is gone is started again at the sweep's next trial, until it
 * has crashed FORKSERVER_MAX_CRASHES times or refused to serve; the sweep
 * then spawns one process per trial (said in the log). */
struct forkserver_pool {
	struct forkserver_host host;
	struct forkserver_sweep {
		int64_t sweep;
		struct forkserver *fs; /* NULL: none running */
		int crashes;
		int fallback;          /* no more servers for this sweep */
	} *sweeps;
	int n_sweeps, cap_sweeps;
};

struct forkserver_request {
	int64_t trial;
	char *msg;  /* the JSON request */
	int fds[3]; /* ours until sent: the trial's stdin, stdout, stderr ends */
};

struct forkserver {
	struct forkserver_pool *pool;
	int64_t sweep_id;
	pid_t pid;              /* the server; 0 once reaped */
	pid_t server_pid;       /* the server's pid, kept for the log */
	int fd;                 /* our end of the socket; -1 once closed */
	uv_poll_t poll;
	uv_timer_t setup_timer; /* its setup_timeout, until it is ready; then
	                         * FORKSERVER_HANGUP_GRACE once it hung up */
	int open_handles;       /* poll and setup_timer: fs is freed when both closed */
	double setup_timeout;   /* seconds */
	int setup_timed_out;    /* killed for it */
	int ready;              /* it said "ready": requests may go */
	int gone;               /* on_gone was called */
	int hung_up;            /* its end of the socket closed before its exit was
	                         * seen: it is gone once that exit is (killed if it
	                         * lives on, as it cannot serve again) */
	int hangup_killed;      /* so killed: it lived on after it hung up */
	int exit_status;        /* as waitpid gives it, once reaped */
	char *refusal;          /* its "error" message, or NULL */
	char log_path[4200];    /* its stdout and stderr */
	struct forkserver_request *queue; /* not sent yet */
	int n_queue, cap_queue;
	int64_t *sent;          /* trials sent, not yet answered */
	int n_sent, cap_sent;
	double started_at;      /* log_now() at start */
};

/* The server that starts sweep_id's trials (spec: its "command"; threads:
 * its BLAS and OpenMP threads), started now if it has none: NULL when the
 * sweep spawns its trials instead (no server could be started: logged). */
struct forkserver *forkserver_get(struct forkserver_pool *pool, int64_t sweep_id,
				  const struct spec *spec, int threads);
/* The sweep ended: its server is asked to exit, its record forgotten. */
void forkserver_drop(struct forkserver_pool *pool, int64_t sweep_id);
/* The exit of pid (status as waitpid gives it), if it is a server's: then
 * returns 1 (and the server is gone), else 0. */
int forkserver_exited(struct forkserver_pool *pool, pid_t pid, int status);
/* Asks every server to exit and frees the pool's records. */
void forkserver_pool_finish(struct forkserver_pool *pool);

/* Asks for trial's process: env (n "NAME=value" entries) added to the
 * server's environment, in cwd, with an address-space limit of memory_mb (0:
 * none), fds its stdin, stdout and stderr (duplicated: the caller keeps and
 * closes its own). Queued until the server is ready; the answer comes
 * through on_started or on_failed. Returns 0, or -1 with err (the server is
 * gone, the request too large): then no callback comes for trial. */
int forkserver_fork(struct forkserver *fs, int64_t trial, char *const env[], int n,
		    const char *cwd, int memory_mb, const int fds[3], char *err, size_t errlen);

/* Withdraws trial's request if it was not sent yet (cancelled before the
 * server was ready). Returns 1 when withdrawn: no callback comes for it. */
int forkserver_withdraw(struct forkserver *fs, int64_t trial);

#endif
