/* command: a user's own training program as a trial (a spec's "command"). At
 * submit the daemon checks that the program can run (program_check, in
 * common/program.h, shared with the client); for each trial it expands the
 * {placeholders}, makes the trial's working and checkpoint directories, and
 * lists the environment the program gets (its params as JSON, ids, dirs). It
 * does not spawn (trial.c does) nor read output. */
#ifndef CAVIAR_COMMAND_H
#define CAVIAR_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "spec.h"

/* What one trial runs. */
struct command_run {
	char **argv;          /* NULL-terminated, expanded; argv[0] as the spec gives it */
	char **env;           /* NULL-terminated "NAME=value" extras for the environment */
	int n_env;
	char *trial_dir;      /* its working directory, STATE/trials/ID */
	char *checkpoint_dir; /* STATE/trials/ID/checkpoint: kept across restarts */
};

/* Prepares trial `trial_id` of sweep `sweep_id` whose values are config (the
 * trial configuration: train, params, seed). Returns 0, or -1 with err (a
 * placeholder of an absent parameter, a directory that cannot be made). */
int command_prepare(struct command_run *r, const struct spec *s, const cJSON *config,
		    int64_t sweep_id, int64_t trial_id, const char *state_dir, char *err,
		    size_t errlen);
void command_run_finish(struct command_run *r); /* accepts a zeroed struct */

/* What a fork server of sweep sweep_id runs ("fork_server": true,
 * forkserver.h): the command with {workdir} expanded (the only placeholder
 * such a command may hold), in the workdir (or the state directory), with
 * the environment every trial of the sweep shares, `threads` per BLAS and
 * OpenMP pool, and FORKSERVER_ENV set. r->checkpoint_dir is NULL. Returns 0,
 * or -1 with err. */
int command_server_prepare(struct command_run *r, const struct spec *s, int64_t sweep_id,
			   const char *state_dir, int threads, char *err, size_t errlen);
/* Expands the {name} placeholders of one command argument from vars (a trial's
 * values plus trial_id, seed, trial_dir, checkpoint_dir, workdir); {{ and }}
 * are literal braces (the syntax: spec_walk_placeholders). Numbers are written
 * as the shortest text that reads back the same, other non-strings as JSON.
 * Returns a malloc'd string, or NULL with err when a name is not in vars. */
char *command_expand(const char *arg, const cJSON *vars, char *err, size_t errlen);
/* Adds NAME=value to what r's program gets in its environment. */
void command_env_add(struct command_run *r, const char *name, const char *value);

#endif
