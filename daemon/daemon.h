/* daemon: the hub of caviard, and the only file that wires its modules
 * together. It owns the loop, the database, the socket server, the sweeps and
 * the running trials; the spokes never call each other nor back up into it by
 * name: trial.c reports through the callbacks of its trial_host, sweeps.c
 * returns decisions ("start this trial", "this sweep ended"), server.c hands
 * every request to one handler (requests.c's table), events.c is handed its
 * publisher. The hub acts on what they say: it records (db.c), tells clients
 * (server.c, events.c), starts and stops trials. main.c fills the options and runs it;
 * nothing is global, so a test can run two daemons in one process.
 *
 *   main -> daemon (hub) -> server -> request
 *                        -> requests (the handlers: the hub's other half, through
 *                           struct requests_hub) -> sweeps, db, query, events, probe
 *                        -> sweeps -> sample, stopping, pbt, db
 *                        -> trial  -> child, launcher, command, line, forkserver
 *                        -> forkserver -> child, launcher, command
 *                        -> steer (control lines, replayed adjustments; host callbacks)
 *                        -> writer (when the db is written; host callbacks) -> db, statedir
 *                        -> fork -> statedir, query, trialcfg
 *                        -> events, probe, reaper, db, query
 */
#ifndef CAVIAR_DAEMON_H
#define CAVIAR_DAEMON_H

#include <stdint.h>

#include <uv.h>

#include "db.h"
#include "events.h"
#include "forkserver.h"
#include "launcher.h"
#include "reaper.h"
#include "requests.h"
#include "server.h"
#include "steer.h"
#include "sweeps.h"
#include "trial.h"
#include "writer.h"

struct daemon_options {
	const char *db_path;
	const char *socket_path;
	const char *worker_path; /* caviar-worker to spawn */
	const char *state_dir;   /* trials' checkpoints and command trials' directories */
	enum launcher_kind launcher; /* local processes or Slurm job steps */
	int slots;               /* trials run at once */
	double grace;            /* seconds between SIGTERM and SIGKILL */
	double flush_interval;   /* seconds points may wait before a flush */
	double flush_wait;       /* seconds a stopping daemon waits for a locked database */
	double answer_wait;      /* seconds a control line (adjust) waits for its answer */
};

struct daemon {
	struct daemon_options opt;
	uv_loop_t loop;
	struct db db;
	struct server server;    /* the socket and its clients */
	struct sweeps sweeps;    /* active (running or paused) sweeps */
	struct trial_host host;  /* what every trial is started with */
	struct events events;    /* published to the server's subscribers */
	struct requests_hub hub; /* what the request handlers ask of the hub */
	struct writer writer;    /* when the database is written, and what waits meanwhile */
	uv_idle_t fill;          /* active while sweeps have trials still to sample: a
	                          * slice per loop iteration (a 0 ms timer would not
	                          * let the loop poll in between) */
	uv_timer_t fill_retry;   /* after the database refused a slice */
	uv_timer_t budget_timer; /* armed for the nearest wall-clock budget of a sweep */
	struct daemon_rm {       /* `rm --force` of a sweep whose trials are stopping:
	                          * removed, and the client told, once it ends */
		int64_t sweep, client;
	} *rms;
	int n_rms;
	struct steer steer;      /* control lines sent to trials' programs (adjust) */
	struct sweeps_member *members; /* pbt_step's view of a sweep's running trials */
	int cap_members;
	uv_signal_t sigint, sigterm;
	uv_signal_t sigchld;     /* a child exited: the reaper's (local), or trial_reap each */
	struct reaper reaper;    /* every child's exit, when trials run locally */
	struct forkserver_pool forkservers; /* the sweeps' fork servers ("fork_server") */
	struct trial *running;   /* running trials (a list through trial->next) */
	int n_running;
	int scheduling;          /* inside schedule(): a trial's end does not recurse */
	char db_realpath[4096];  /* the database's absolute path, for clients */
	double slurm_checked_at; /* when the Slurm reachability probe last passed */
	int shutting_down;       /* no new trials; exit when the last trial is gone */
	int lock_fd;             /* DB.lock, held (flock) while the daemon runs; -1: none */
	int exit_code;           /* 1 when writes were given up at shutdown */
	int64_t trials_started, trials_finished, lines_rejected;
	char self_path[4096];    /* caviard itself, to spawn workers with limits */
	char readbuf[64 << 10];  /* every pipe and socket read lands here */
};

/* Runs the daemon until it is asked to stop. Returns a process exit code and
 * prints its own errors. */
int daemon_run(const struct daemon_options *opt);

#endif
