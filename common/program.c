/* program: can a command trial's program run (see program.h). */
#include "program.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "xalloc.h"

/* dir/name into buf; 0, or -1 when it does not fit. */
static int join(char *buf, size_t n, const char *dir, const char *name)
{
	int len = snprintf(buf, n, "%s/%s", dir, name);

	return len < 0 || (size_t)len >= n ? -1 : 0;
}

static int is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* A program name without '/': the first executable of that name in the PATH
 * its trials get: the spec's env.PATH, else ours. */
static int in_path(const struct spec *s, const char *name)
{
	const cJSON *own = cJSON_GetObjectItemCaseSensitive(s->env, "PATH");
	const char *path = own ? own->valuestring : getenv("PATH");
	char *dirs = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin"), *save, *dir;
	char buf[4096];
	int found = 0;

	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save))
		found = join(buf, sizeof buf, *dir ? dir : ".", name) == 0 && is_exec_file(buf);
	free(dirs);
	return found;
}

char *program_resolve(const struct spec *s, const char *arg)
{
	char buf[4096];

	if (s->workdir && arg[0] != '/' && arg[0] != '-' && !strchr(arg, '{') &&
	    join(buf, sizeof buf, s->workdir, arg) == 0 && access(buf, F_OK) == 0)
		return xstrdup(buf);
	return xstrdup(arg);
}

int program_check(const struct spec *s, char *err, size_t errlen)
{
	const char *prog = cJSON_GetArrayItem(s->command, 0)->valuestring;
	char *path;
	int rc = 0;

	if (!strchr(prog, '/'))
		return in_path(s, prog) ? 0
		       : err_set(err, errlen, "command[0]: \"%s\": command not found in %s", prog,
				 cJSON_GetObjectItemCaseSensitive(s->env, "PATH")
					 ? "env.PATH" : "PATH");
	path = program_resolve(s, prog);
	if (access(path, F_OK) < 0)
		rc = err_set(err, errlen, "command[0]: %s: %s", path, strerror(errno));
	else if (!is_exec_file(path))
		rc = err_set(err, errlen, "command[0]: %s: not an executable file (chmod +x?)", path);
	free(path);
	return rc;
}

