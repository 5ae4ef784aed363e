/* test_cli: every command's options, as getopt takes them (cli_options) and
 * as `caviar CMD --help` lists them (cli_print_usage). Each option of any
 * command, and the common ones, is tried on every command: a command must
 * take it exactly when its help lists it, and take every option its usage
 * line names. (caviard's options, the top level's and the sources' use of
 * getopt are checked by tests/e2e/test_cli.sh.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "test.h"

#define MAX_CANDIDATES 256

static int take_any(void *ctx, int c, const char *arg)
{
	(void)ctx, (void)c, (void)arg;
	return 0;
}

/* Runs fn(arg) with stdout and stderr into a temporary file; returns what it
 * printed (malloc'd). */
static char *captured(void (*fn)(const void *), const void *arg)
{
	FILE *tmp = tmpfile();
	int out = dup(STDOUT_FILENO), err = dup(STDERR_FILENO);
	char *text;
	long n;

	fflush(stdout);
	fflush(stderr);
	dup2(fileno(tmp), STDOUT_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	fn(arg);
	fflush(stdout);
	fflush(stderr);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	close(out);
	close(err);
	n = ftell(tmp);
	text = xcalloc((size_t)(n > 0 ? n : 0) + 1, 1);
	rewind(tmp);
	if (n > 0 && fread(text, 1, (size_t)n, tmp) != (size_t)n)
		text[0] = '\0';
	fclose(tmp);
	return text;
}

static void print_usage(const void *cmd)
{
	cli_print_usage(cmd);
}

struct attempt {
	const struct command *cmd;
	const char *option;
	int rc;
};

/* `caviar CMD OPTION 1`: the 1 is the value of an option that takes one, an
 * operand after a flag. */
static void parse(const void *arg)
{
	struct attempt *a = (struct attempt *)arg;
	char name[64], opt[64], one[] = "1";
	char *argv[] = {name, opt, one, NULL};
	struct cli cli = {.cmd = a->cmd->name};
	int args;

	snprintf(name, sizeof name, "%s", a->cmd->name);
	snprintf(opt, sizeof opt, "%s", a->option);
	a->rc = cli_options(&cli, a->cmd, 3, argv, take_any, NULL, &args);
}

/* Whether cmd takes option: anything but a usage error ("unknown option"). */
static int takes(const struct command *cmd, const char *option)
{
	struct attempt a = {cmd, option, 0};

	free(captured(parse, &a));
	return a.rc != EXIT_USAGE;
}

/* Whether help lists option in its option lists: a line "  -o, --output FILE"
 * lists -o and --output. */
static int lists(const char *help, const char *option)
{
	size_t n = strlen(option);

	for (const char *l = help; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *p = l + 2;

		if (strncmp(l, "  -", 3) != 0)
			continue;
		for (;;) { /* the label's names, up to its value or its description */
			size_t w = strcspn(p, ", \n");

			if (w == n && strncmp(p, option, n) == 0)
				return 1;
			if (p[w] != ',' || p[w + 1] != ' ' || p[w + 2] != '-')
				break;
			p += w + 2;
		}
	}
	return 0;
}

static void add(const char **list, int *n, const char *option)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(list[i], option) == 0)
			return;
	if (*n < MAX_CANDIDATES)
		list[(*n)++] = option;
}

/* Every option of every command, spelled as typed ("--db", "-n"), and the
 * common ones (from any help: they are every command's). The spellings are
 * kept in a static pool, so nothing is allocated. */
static int candidates(const char **list)
{
	static char pool[MAX_CANDIDATES][64];
	size_t nc;
	const struct command *const *cmds = commands_list(&nc);
	int n = 0;

	for (size_t k = 0; k < nc; k++)
		for (const struct cli_option *o = cmds[k]->options; o && (o->letter || o->name); o++) {
			if (o->letter && n < MAX_CANDIDATES) {
				snprintf(pool[n], sizeof pool[n], "-%c", o->letter);
				add(list, &n, pool[n]);
			}
			if (o->name && n < MAX_CANDIDATES) {
				snprintf(pool[n], sizeof pool[n], "--%s", o->name);
				add(list, &n, pool[n]);
			}
		}
	add(list, &n, "--json");
	add(list, &n, "--socket");
	add(list, &n, "--help");
	add(list, &n, "--no-such-option");
	add(list, &n, "-z");
	return n;
}

static void test_help_lists_what_getopt_takes(void)
{
	size_t nc;
	const struct command *const *cmds = commands_list(&nc);
	const char *cand[MAX_CANDIDATES];
	int n = candidates(cand);

	CHECK(n > 20); /* the commands have options */
	for (size_t k = 0; k < nc; k++) {
		char *help = captured(print_usage, cmds[k]);

		for (int i = 0; i < n; i++) {
			int taken = takes(cmds[k], cand[i]), listed = lists(help, cand[i]);

			if (taken != listed)
				fprintf(stderr, "caviar %s: %s is %s but %s its --help\n", cmds[k]->name,
					cand[i], taken ? "taken" : "refused",
					listed ? "listed in" : "not listed in");
			CHECK(taken == listed);
		}
		free(help);
	}
}

/* The options the usage line names ("SWEEP [--csv|--json] [-k K]"). */
static void test_usage_names_only_options_taken(void)
{
	size_t nc;
	const struct command *const *cmds = commands_list(&nc);

	for (size_t k = 0; k < nc; k++) {
		const char *p = cmds[k]->usage;

		while ((p = strchr(p, '-'))) {
			char opt[64];
			size_t w = strspn(p, "-abcdefghijklmnopqrstuvwxyz");

			snprintf(opt, sizeof opt, "%.*s", (int)w, p);
			p += w ? w : 1;
			if (w < 2 || opt[w - 1] == '-')
				continue;
			if (!takes(cmds[k], opt))
				fprintf(stderr, "caviar %s: its usage names %s, which it refuses\n",
					cmds[k]->name, opt);
			CHECK(takes(cmds[k], opt));
		}
	}
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		{"help_lists_what_getopt_takes", test_help_lists_what_getopt_takes},
		{"usage_names_only_options_taken", test_usage_names_only_options_taken},
		{0},
	};

	return test_main(argc, argv, cases);
}
