/* child: posix_spawn of a trial's program (see child.h). */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>

#include "xalloc.h"

extern char **environ;

int child_spawn(const char *file, char *const argv[], char *const envp[], const char *cwd,
		const int fds[3], pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int rc = 0;

	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
					POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0); /* its own process group, led by it */
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = fds[i] >= 0 ? posix_spawn_file_actions_adddup2(&fa, fds[i], i)
				 : posix_spawn_file_actions_addopen(&fa, i, "/dev/null",
								    i ? O_WRONLY : O_RDONLY, 0);
	if (rc == 0 && cwd)
		rc = posix_spawn_file_actions_addchdir_np(&fa, cwd);
	if (rc == 0)
		rc = posix_spawnp(pid, file, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return -rc;
}

char **child_env(char *const extra[], int n)
{
	size_t n_ours = 0, k = 0;
	char **env;

	while (environ[n_ours])
		n_ours++;
	env = xcalloc(n_ours + (size_t)n + 1, sizeof *env);
	for (size_t i = 0; i < n_ours; i++) {
		int overridden = 0;

		for (int j = 0; j < n; j++) {
			size_t name_len = (size_t)(strchr(extra[j], '=') - extra[j]) + 1;

			overridden |= strncmp(environ[i], extra[j], name_len) == 0;
		}
		if (!overridden)
			env[k++] = environ[i];
	}
	for (int j = 0; j < n; j++)
		env[k++] = extra[j];
	return env;
}
