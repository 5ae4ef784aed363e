/* tmpdir: scratch directories for the test programs: a mkdtemp
 * directory per test program, removed with its contents at exit, and a
 * helper to run a function in a forked child with its stdout captured. */
#ifndef CAVIAR_TESTS_TMPDIR_H
#define CAVIAR_TESTS_TMPDIR_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static inline int tmp_remove_one(const char *path, const struct stat *st, int flag,
				 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Removes dir and everything under it. */
static inline void tmp_remove(const char *dir)
{
	nftw(dir, tmp_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates a fresh directory /tmp/<prefix>.XXXXXX into dir (size bytes);
 * exits on failure. */
static inline void tmp_make(char *dir, size_t size, const char *prefix)
{
	int n = snprintf(dir, size, "/tmp/%s.XXXXXX", prefix);

	if (n < 0 || (size_t)n >= size || !mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
}

/* dir/name into out (PATH_MAX bytes). */
static inline const char *tmp_path(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX) {
		fprintf(stderr, "path too long: %s/%s\n", dir, name);
		exit(1);
	}
	return out;
}

/* Reads fd to its end into a malloc'd, NUL-terminated string (caller frees). */
static inline char *tmp_slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t r;

	while (buf && (r = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* Runs fn(arg) in a forked child whose stdout is a pipe; returns the child's
 * output (malloc'd) and stores its exit status (or 128 + signal) in *status. */
static inline char *tmp_capture(int (*fn)(void *), void *arg, int *status)
{
	int fds[2], ws = 0;
	pid_t pid;
	char *out;

	fflush(stdout);
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		perror("pipe/fork");
		exit(1);
	}
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[1]);
		ws = fn(arg);
		fflush(stdout);
		_exit(ws);
	}
	close(fds[1]);
	out = tmp_slurp(fds[0]);
	close(fds[0]);
	waitpid(pid, &ws, 0);
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return out;
}

#endif
