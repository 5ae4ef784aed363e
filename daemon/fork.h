/* fork: a trial started from another's checkpoint of an epoch, `caviar fork`
 * and search pbt's exploit alike. It finds and checks the source (the
 * parent's copy of epoch K is kept), works out the child's params (the
 * parent's, its adjustments up to K, then the requested changes as
 * {"lr": [old, new]}) and whether an epoch is left to train, puts the
 * source's files where the child starts from (a hard link, or a copy of a
 * command trial's files), and what a trial's configuration takes over its
 * params when it starts. It reads the database (query) and the state
 * directory (statedir); it records nothing: the hub asks sweeps.c to. */
#ifndef CAVIAR_FORK_H
#define CAVIAR_FORK_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "query.h"

/* A fork checked and ready to be recorded (sweeps_fork). */
struct fork_plan {
	int64_t sweep_id;  /* the parent's sweep */
	int64_t parent;    /* the trial forked */
	int epoch;         /* of the parent's checkpoint the child starts from */
	int64_t step;      /* the parent's step at that epoch */
	uint64_t seed;     /* the parent's */
	int command;       /* a command trial's (its checkpoint is a directory) */
	cJSON *params;     /* the child's (owned) */
	cJSON *changes;    /* {"lr": [parent's value, new]} (owned) */
	char source[4200]; /* the parent's copy of epoch (statedir_fork_source) */
};

/* Plans a fork of trial `parent` at epoch (0: its latest) with the changes
 * of set ({"lr": 0.01}: each checked against the spec, unless force, as
 * spec_check_change does), reading q and the state directory dir. Returns
 * 0, or -1 with err (no such trial, no epoch done or kept, a refused change,
 * no epoch left to train); plan is to be finished either way. */
int fork_plan(struct fork_plan *plan, struct query *q, const char *dir, int64_t parent,
	      int epoch, const cJSON *set, int force, char *err, size_t errlen);
void fork_plan_finish(struct fork_plan *plan); /* accepts a zeroed plan */

/* Before a fork of parent's epoch is recorded: a command trial's files of
 * that epoch are copied into a staging directory, whole (0) or not at all
 * (-1 with err: the fork is refused; nothing is left). Nothing to do for the
 * built-in worker's (a link). */
int fork_stage(const char *dir, int command, int64_t parent, int epoch, char *err,
	       size_t errlen);
/* Once fork `child` is recorded: puts the parent's staged copy (at source)
 * where the child starts from, a link for the built-in worker (which the
 * parent's keep_checkpoints cannot take away), the staged copy renamed into
 * its checkpoint directory for a command trial. Logged when it cannot: the
 * child then fails to start, saying why. */
void fork_materialize(const char *dir, int command, const char *source, int64_t parent,
		      int64_t child);

/* The epoch of trial id's newest kept copy before its last epoch (epochs
 * done of epochs_total: its latest, else the one before, which the trial
 * keeps while the latest is being written), its path in buf; 0 when there
 * is none. */
int fork_newest_source(const char *dir, int command, int64_t id, int epochs, int epochs_total,
		       char *buf, size_t n);
/* Trial id's step at the end of epoch (0 when unknown). */
int64_t fork_step_at(struct query *q, int64_t id, int epoch);

/* What the configuration of trial id (attempts made so far; command: a
 * command trial) takes over its params at its start: the values adjusted
 * while it ran before (its checkpoint may be older than the last
 * adjustment), and for a built-in worker's fork the parent's copy it starts
 * from ("fork_from": used while it has none of its own; a link that a kill
 * left unmade is made again while the parent keeps that copy). *parent and
 * *fork_epoch: its parent and the epoch it was forked at (0: not a fork).
 * Returns a new object the caller deletes, or NULL: nothing. */
cJSON *fork_start_overrides(struct query *q, const char *dir, int64_t id, int attempts,
			    int command, int64_t *parent, int *fork_epoch);

#endif
