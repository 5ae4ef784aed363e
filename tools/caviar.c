/* caviar: the command-line client. Finds the command in the table below and
 * runs it; each command lives in a cmd_*.c file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "proto.h"
#include "xalloc.h"

static const struct command *const commands[] = {
	&cmd_submit, &cmd_ls,     &cmd_top,      &cmd_status,   &cmd_wait,   &cmd_cancel,
	&cmd_pause,  &cmd_resume, &cmd_slots, &cmd_shutdown, &cmd_validate, &cmd_sample, &cmd_watch,
	&cmd_show,   &cmd_curves, &cmd_plot,     &cmd_export,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void help(void)
{
	printf("usage: caviar [--socket PATH] COMMAND [ARGS] [--json]\n\n"
	       "caviar runs hyperparameter sweeps on caviard, a daemon that trains many models\n"
	       "in parallel and records every learning curve in SQLite.\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const char *usage = commands[i]->usage;

		if (strlen(usage) > 22) /* a long usage gets its own line */
			printf("  %-9s %s\n", commands[i]->name, usage);
		printf("  %-9s %-22s %.*s\n", strlen(usage) > 22 ? "" : commands[i]->name,
		       strlen(usage) > 22 ? "" : usage, (int)strcspn(commands[i]->summary, ".\n"),
		       commands[i]->summary);
	}
	printf("\n'caviar COMMAND --help' tells more. The socket is --socket, else $CAVIAR_SOCKET,\n"
	       "else $XDG_RUNTIME_DIR/caviar/caviard.sock, else /tmp/caviar-$UID/caviard.sock.\n\n"
	       "exit codes: 0 ok; 1 the request failed or the sweep did not finish; 2 bad usage;\n"
	       "3 no daemon or connection lost; 4 the spec is unreadable or invalid\n");
}

int main(int argc, char **argv)
{
	char sock[4096];
	struct cli cli = {0};
	int i = 1, code;

	xalloc_cjson_hooks();
	if (proto_default_socket(sock, sizeof sock) == 0)
		cli.socket = sock;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help();
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			puts("caviar " CAVIAR_VERSION);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--json") == 0) {
			cli.json = 1;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			cli.socket = argv[++i];
		} else {
			return cli_usage(&cli, "unknown option %s", argv[i]);
		}
	}
	if (i == argc) {
		help();
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < N_COMMANDS; k++)
		if (strcmp(commands[k]->name, argv[i]) == 0) {
			cli.cmd = commands[k]->name;
			code = commands[k]->run(&cli, argc - i, argv + i);
			return code == CLI_DONE ? EXIT_OK : code;
		}
	fprintf(stderr, "caviar: unknown command '%s'\ntry 'caviar --help'\n", argv[i]);
	return EXIT_USAGE;
}
