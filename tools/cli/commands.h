/* commands: the table of caviar's commands, in the order `caviar --help`
 * lists them. caviar.c finds a command here and tests walk it; each command
 * itself lives in a cmd_*.c file (cli.h declares them). Nothing here runs a
 * command. */
#ifndef CAVIAR_COMMANDS_H
#define CAVIAR_COMMANDS_H

#include <stddef.h>

#include "cli.h"

/* Every command; *n is set to how many. A static table: not to be freed. */
const struct command *const *commands_list(size_t *n);

/* The command called name, or NULL. */
const struct command *commands_find(const char *name);

#endif
