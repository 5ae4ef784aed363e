/* daemon: the state caviard owns, reached from every callback through
 * handle->data: the loop, the database, the socket server, the sweeps and the
 * running trials. main.c fills the options and runs it; nothing is global, so a
 * test can run two daemons in one process. */
#ifndef CAVIAR_DAEMON_H
#define CAVIAR_DAEMON_H

#include <stdint.h>

#include <uv.h>

#include "db.h"
#include "launcher.h"

struct sweep;
struct trial;
struct client;

struct daemon_options {
	const char *db_path;
	const char *socket_path;
	const char *worker_path; /* caviar-worker to spawn */
	const char *state_dir;   /* trials' checkpoints and command trials' directories */
	enum launcher_kind launcher; /* local processes or Slurm job steps */
	int slots;               /* trials run at once */
	double grace;            /* seconds between SIGTERM and SIGKILL */
	double flush_interval;   /* seconds points may wait before a flush */
};

struct daemon {
	struct daemon_options opt;
	uv_loop_t loop;
	struct db db;
	uv_pipe_t server;        /* listening socket */
	uv_timer_t flush_timer;  /* armed while writes are queued */
	uv_signal_t sigint, sigterm;
	uv_signal_t sigchld;     /* a trial's program exited: trials_reap */
	struct sweep *sweeps;    /* active (running or paused) sweeps, submission order */
	struct trial *running;   /* running trials (a list through trial->next) */
	int n_running;
	struct client *clients;  /* connected clients */
	int subscribers;         /* of them, subscribed to events */
	char db_realpath[4096];  /* the database's absolute path, for clients */
	double slurm_checked_at; /* when the Slurm reachability probe last passed */
	int shutting_down;       /* no new trials; exit when the last trial is gone */
	int db_failing;          /* the last flush failed: no new trials until one succeeds */
	int reads_held;          /* workers' pipes are not read (see daemon.c hold_reads) */
	int db_recovered;        /* writes work again: resume what waited (flush timer) */
	char db_error[512];      /* why */
	int64_t trials_started, trials_finished, lines_rejected;
	char self_path[4096];    /* caviard itself, to spawn workers with limits */
	char readbuf[64 << 10];  /* every pipe read lands here (see trial.c) */
};

/* Runs the daemon until it is asked to stop. Returns a process exit code and
 * prints its own errors. */
int daemon_run(const struct daemon_options *opt);

/* Wall clock now, in unix seconds. */
double daemon_now(void);

/* Logs one line to stderr: "caviard: <message>", journal-friendly. */
void daemon_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes the queued writes now. On failure they stay queued, no new trial
 * starts, the error shows in status and a retry is armed; returns -1. */
int daemon_flush(struct daemon *d);

/* Queues the database's pending writes for a flush soon (arms the timer). */
void daemon_dirty(struct daemon *d);

/* Starts as many queued trials as free slots allow. */
void daemon_schedule(struct daemon *d);

/* Begins a graceful stop: stop trials, flush, close handles. */
void daemon_shutdown(struct daemon *d);

#endif
