/* statedir: every path under caviard's state directory, written here once
 * and read back from here (the built-in worker's checkpoints and their
 * per-epoch copies, command trials' directories and epoch directories,
 * fork servers' logs), and which epochs of a trial are kept for forks. It
 * knows no trial, sweep nor database: callers give ids and epochs.
 *
 *   STATE/checkpoints/trial-ID.ckpt          the built-in worker's checkpoint
 *   STATE/checkpoints/trial-ID.ckpt.epoch-K  its copy of epoch K (for forks)
 *   STATE/checkpoints/trial-ID.ckpt.from     a fork's link to its parent's copy
 *   STATE/trials/ID/                         a command trial's directory
 *   STATE/trials/ID/checkpoint/epoch-K/      its files of epoch K (for forks)
 *   STATE/forkservers/sweep-N.log            a fork server's output */
#ifndef CAVIAR_STATEDIR_H
#define CAVIAR_STATEDIR_H

#include <stddef.h>
#include <stdint.h>

/* Makes the state directory dir and its checkpoints/ (trials/ is made on
 * demand). Returns 0, or -1 with err ("PATH: why"). */
int statedir_make(const char *dir, char *err, size_t errlen);

/* The built-in worker's checkpoint of trial id; with epoch K > 0 the copy it
 * keeps of epoch K (its config's "keep_epochs"): that path plus ".epoch-K";
 * with STATEDIR_FORK_SOURCE, plus ".from": a fork's hard link to its
 * parent's copy, its "fork_from", which no policy of the parent removes
 * before the fork ends. */
#define STATEDIR_FORK_SOURCE (-1)
void statedir_checkpoint(const char *dir, int64_t id, int epoch, char *buf, size_t n);
/* Removes a built-in worker's checkpoint file (a statedir_checkpoint path of
 * epoch 0), the curve kept beside it and a fork's link to its parent's. */
void statedir_checkpoint_remove(const char *checkpoint);

/* STATE/trials/ID, made (and trials/ before it) when absent, into buf.
 * Returns 0, or -1 with err. */
int statedir_trial_dir(const char *dir, int64_t id, char *buf, size_t n, char *err,
		       size_t errlen);
/* A command trial's directories: STATE/trials/ID into trial_dir and its
 * checkpoint/ into checkpoint_dir (each n bytes), both made when absent.
 * Returns 0, or -1 with err. */
int statedir_command_dirs(const char *dir, int64_t id, char *trial_dir, char *checkpoint_dir,
			  size_t n, char *err, size_t errlen);
/* STATE/trials/ID/name (not made): "config.json". */
void statedir_trial_path(const char *dir, int64_t id, const char *name, char *buf, size_t n);
/* A command trial's epoch-K directory, STATE/trials/ID/checkpoint/epoch-K. */
void statedir_epoch_dir(const char *dir, int64_t id, int epoch, char *buf, size_t n);
/* STATE/forkservers/sweep-N.log, a fork server's output (its directory made). */
void statedir_server_log(const char *dir, int64_t sweep_id, char *buf, size_t n);
/* Removes that log, if there is one (nothing is made). */
void statedir_remove_server_log(const char *dir, int64_t sweep_id);

/* Where trial id's copy of epoch K is kept for forks: the built-in worker's
 * file, or a command trial's (command) epoch-K directory. */
void statedir_fork_source(const char *dir, int command, int64_t id, int epoch, char *buf,
			  size_t n);
/* Removes path and everything under it (subdirectories too; symbolic links
 * are removed, never followed); one already gone is no error. Returns 0, or
 * -1 with errno. */
int statedir_remove_tree(const char *path);
/* Removes that copy (the sweep's "keep_checkpoints" no longer keeps it);
 * one already gone is no error. Returns 0, or -1 with err. */
int statedir_drop_epoch(const char *dir, int command, int64_t id, int epoch, char *err,
			size_t errlen);
/* Calls each(epoch, ctx) for every copy of trial id kept for forks, in the
 * directory's order; each may remove the copy it is given. */
void statedir_each_epoch(const char *dir, int command, int64_t id,
			 void (*each)(int epoch, void *ctx), void *ctx);
/* The epochs of trial id's copies kept for forks, ascending, as "4, 5" (or
 * "none") into buf: the first 64 found. */
void statedir_kept_epochs(const char *dir, int command, int64_t id, char *buf, size_t n);

/* Removes every file of trial id under the state directory: STATE/trials/ID
 * with all it holds, and the built-in worker's checkpoint with the files
 * beside it (its curve, a fork's link, the epochs kept). One it cannot remove
 * does not stop the others. Returns 0, or -1 with err naming the first. */
int statedir_remove_trial(const char *dir, int64_t id, char *err, size_t errlen);

#endif
