/* commands: the table of caviar's commands (see commands.h). */
#include "commands.h"

#include <string.h>

static const struct command *const commands[] = {
	&cmd_submit, &cmd_ls,     &cmd_top,      &cmd_status,   &cmd_wait,   &cmd_cancel,
	&cmd_pause,  &cmd_resume, &cmd_extend, &cmd_rm, &cmd_note, &cmd_tag, &cmd_untag,
	&cmd_adjust, &cmd_fork,
	&cmd_slots, &cmd_shutdown, &cmd_validate, &cmd_sample, &cmd_watch,
	&cmd_show,   &cmd_curves, &cmd_plot,     &cmd_importance, &cmd_export, &cmd_lineage,
	&cmd_serve,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

const struct command *const *commands_list(size_t *n)
{
	*n = N_COMMANDS;
	return commands;
}

const struct command *commands_find(const char *name)
{
	for (size_t k = 0; k < N_COMMANDS; k++)
		if (strcmp(commands[k]->name, name) == 0)
			return commands[k];
	return NULL;
}
