/* child: starts a trial's program with posix_spawn, whose vfork semantics do
 * not copy the daemon's page tables (with fork, that copy and the
 * copy-on-write faults after it were the daemon's largest cost per trial).
 * The child leads a process group of its own (its pid is the group's id), so
 * a signal to the group reaches whatever it started too: a shell wrapper's
 * program, a data loader's workers. The caller owns the pipes and reaps the
 * child (trial.c, on SIGCHLD). */
#ifndef CAVIAR_CHILD_H
#define CAVIAR_CHILD_H

#include <sys/types.h>

/* Runs file (searched in PATH when it has no '/') with argv and envp in cwd
 * (NULL: ours). fds[i] becomes the child's descriptor i; -1 gives it
 * /dev/null. Signals the daemon ignores or handles are reset to their
 * defaults and none is blocked. Returns 0 with *pid set, or a negative errno
 * (the program could not be started). */
int child_spawn(const char *file, char *const argv[], char *const envp[], const char *cwd,
		const int fds[3], pid_t *pid);

/* Our environment with extra's n "NAME=value" entries added, each replacing
 * ours of that name: a malloc'd NULL-terminated array whose strings are not
 * copied (ours and extra's); the caller frees the array alone. */
char **child_env(char *const extra[], int n);

#endif
