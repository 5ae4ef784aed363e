/* caviar: the command-line client. Finds the command in the table of
 * commands.c and runs it; each command lives in a cmd_*.c file. Also the
 * overall help (the commands, each with the first sentence of its summary),
 * `caviar help [COMMAND]`, and the nearest command to a mistyped one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "proto.h"
#include "suggest.h"
#include "term.h"
#include "xalloc.h"

#define HELP_WIDTH CLI_HELP_WIDTH
#define USAGE_COL 12    /* where a command's arguments start in the list */
#define SUMMARY_COL 35  /* where its one-line description starts */

/* The first sentence of s (to a '.' that ends it): a command's description
 * in the list. Returns a malloc'd string. */
static char *first_sentence(const char *s)
{
	const char *p = s;

	while ((p = strchr(p, '.')) && p[1] && p[1] != ' ' && p[1] != '\n')
		p++;
	return xstrndup(s, p ? (size_t)(p - s + 1) : strlen(s));
}

/* "  name      usage                  Description.", the usage on a line of
 * its own when it reaches the description's column. */
static void help_command(const struct command *cmd)
{
	char *line = first_sentence(cmd->summary), *text;
	int col;

	col = printf("  %-*s%s%s", USAGE_COL - 2, cmd->name,
		     strlen(cmd->name) >= USAGE_COL - 2 ? " " : "", cmd->usage);
	if (col >= SUMMARY_COL - 1) {
		putchar('\n');
		col = 0;
	}
	printf("%*s", SUMMARY_COL - col, "");
	text = term_wrap(line, SUMMARY_COL, SUMMARY_COL, HELP_WIDTH);
	printf("%s\n", text);
	free(text);
	free(line);
}

static void help(void)
{
	size_t n;
	const struct command *const *commands = commands_list(&n);
	char *text = term_wrap(
		"caviar runs hyperparameter sweeps on caviard, a daemon that trains many models "
		"in parallel and records every learning curve in SQLite.", 0, 0, HELP_WIDTH);

	printf("usage: caviar [--socket PATH] COMMAND [ARGS] [--json]\n"
	       "       caviar --help | -h | --version\n\n%s\n\ncommands:\n", text);
	free(text);
	for (size_t i = 0; i < n; i++)
		help_command(commands[i]);
	text = term_wrap("'caviar help COMMAND' (or 'caviar COMMAND --help') tells more. The socket is "
			 "--socket, else $CAVIAR_SOCKET, else $XDG_RUNTIME_DIR/caviar/caviard.sock, else "
			 "/tmp/caviar-$UID/caviard.sock.\n\n"
			 "exit codes: 0 ok; 1 the request failed or the sweep did not finish; 2 bad usage; "
			 "3 no daemon or connection lost; 4 the spec is unreadable or invalid.",
			 0, 0, HELP_WIDTH);
	printf("\n%s\n", text);
	free(text);
}

/* "caviar: unknown command 'stauts'; did you mean 'status'?" */
static int unknown_command(const char *name)
{
	size_t n;
	const struct command *const *commands = commands_list(&n);
	const char **names = xcalloc(n, sizeof *names), *near;

	for (size_t k = 0; k < n; k++)
		names[k] = commands[k]->name;
	near = suggest_nearest(name, names, n);
	fprintf(stderr, "caviar: unknown command '%s'", name);
	if (near)
		fprintf(stderr, "; did you mean '%s'?", near);
	fprintf(stderr, "\ntry 'caviar --help'\n");
	free(names);
	return EXIT_USAGE;
}

/* `caviar help [COMMAND]`: the same as --help and COMMAND --help. */
static int run_help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc == 0) {
		help();
		return EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "caviar: help: too many arguments\ntry 'caviar --help'\n");
		return EXIT_USAGE;
	}
	if (!(cmd = commands_find(argv[0])))
		return unknown_command(argv[0]);
	cli_print_usage(cmd);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	char sock[4096];
	struct cli cli = {0};
	const struct command *cmd;
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
	if (strcmp(argv[i], "help") == 0)
		return run_help(argc - i - 1, argv + i + 1);
	if (!(cmd = commands_find(argv[i])))
		return unknown_command(argv[i]);
	cli.cmd = cmd->name;
	code = cmd->run(&cli, argc - i, argv + i);
	return code == CLI_DONE ? EXIT_OK : code;
}
