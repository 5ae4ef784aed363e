/* store: the client's read-only window on caviard's SQLite database, for show,
 * export, curves, plot and watch. Every query the client runs is here, prepared
 * once and bound; the documented views (leaderboard, curves, sweep_progress,
 * failures) are used where they fit. It never writes: the database is opened
 * with SQLITE_OPEN_READONLY, and WAL mode lets it read while the daemon writes. */
#ifndef CAVIAR_STORE_H
#define CAVIAR_STORE_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

struct cli;

enum store_query {
	STORE_SWEEP,        /* (sweep): id, name, spec, status, metric, mode, budget, search */
	STORE_SWEEPS,       /* (): the same for every sweep */
	STORE_PROGRESS,     /* (sweep): the sweep_progress row */
	STORE_TRIAL,        /* (trial): every column of trials, plus sweep, metric, mode */
	STORE_TRIALS,       /* (sweep): id, number, status, params, epochs, best_value, ... */
	STORE_TRIAL_POINTS, /* (trial): metric, epoch, step, value, wall_time from curves */
	STORE_SWEEP_POINTS, /* (sweep): trial_id, number, metric, epoch, step, value, wall_time */
	STORE_METRIC,       /* (sweep, metric): trial_id, number, epoch, value; last step per epoch */
	STORE_FINAL,        /* (sweep): trial_id, metric, value: each metric's last value */
	STORE_LAST,         /* (trial): metric, epoch, value: each metric's last value */
	STORE_TRIAL_METRIC, /* (trial, metric): epoch, value; the last step of each epoch */
	STORE_LEADER,       /* (sweep): trial_id, number, rank, objective from leaderboard */
	STORE_BEST,         /* (sweep, mode): the best trial so far, running ones included */
	STORE_FAILURE,      /* (trial): the failures row of a failed or cancelled trial */
	STORE_N
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STORE_N]; /* prepared on first use */
};

/* Opens path read-only (busy timeout of a few seconds). Returns 0, or -1 with
 * err set ("FILE: unable to open database file", or "FILE: not a caviar
 * database"); s is then closed already. */
int store_open(struct store *s, const char *path, char *err, size_t errlen);

/* Opens the database of a command: db when given (no daemon needed), else the
 * one the daemon at cli->socket reports in its status. Returns 0 or an exit
 * code after printing "caviar: CMD: ..." (3 without a daemon, 1 otherwise). */
int store_open_cli(struct store *s, const struct cli *cli, const char *db);

void store_close(struct store *s); /* accepts a zeroed or closed store */

/* Runs query q with the arguments described by types: 'i' a long long, 's' a
 * string, one character per argument. Returns an array of row objects (column
 * name: number, string or null; columns called params or spec hold parsed
 * JSON), which the caller deletes; or NULL with err set. */
cJSON *store_query(struct store *s, char *err, size_t errlen, enum store_query q,
		   const char *types, ...);

#endif
