/* program: whether a command trial's program can run, checked the same way by
 * `caviar validate` and `caviar submit` (before sending the spec) and by
 * caviard (at submit, with its own PATH and files); and the rule that makes a
 * relative path absolute against the spec's workdir. It only looks at the
 * file system: it neither expands placeholders nor runs anything (the
 * daemon's command module does). */
#ifndef CAVIAR_PROGRAM_H
#define CAVIAR_PROGRAM_H

#include <stddef.h>

#include "spec.h"

/* Checks that command[0] of s (a spec with a command) is an executable file:
 * a path, relative to s->workdir, or a name found in the spec's env.PATH, else
 * in $PATH. Returns 0, or -1
 * with "command[0]: \"pyhton3\": command not found in PATH", "command[0]:
 * /path/train.sh: not an executable file (chmod +x?)" or "command[0]: PATH:
 * No such file or directory". */
int program_check(const struct spec *s, char *err, size_t errlen);

/* arg made absolute against s->workdir when it is a relative path naming a
 * file there (not an option, nor a {placeholder}); else arg itself. Returns a
 * malloc'd string; the caller frees it. */
char *program_resolve(const struct spec *s, const char *arg);

#endif
