/* cli: what every `caviar` command shares: global options, the exit codes,
 * error messages in the form "caviar: submit: spec.json: params.lr.log: ...",
 * requests to the daemon, reading spec files, and aligned tables. One file per
 * group of commands (cmd_*.c) registers in the table in caviar.c. */
#ifndef CAVIAR_CLI_H
#define CAVIAR_CLI_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "query.h" /* query_get, query_num: how commands read replies */
#include "spec.h"

/* Exit codes, documented in `caviar --help` and the README. */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAILED = 1,   /* the daemon refused the request, or a sweep did not finish */
	EXIT_USAGE = 2,    /* bad command line */
	EXIT_NODAEMON = 3, /* no daemon at the socket, or the connection broke */
	EXIT_SPEC = 4,     /* the spec file is unreadable or invalid */
};

struct cli {
	const char *socket; /* the daemon's socket path */
	const char *cmd;    /* the command being run, for messages */
	int json;           /* --json: machine-readable output */
};

/* One option of a command. A command's table of them (ended by a zeroed
 * entry) is the one place its options are written: cli_options hands getopt
 * exactly these (and the common ones), and `caviar CMD --help` lists exactly
 * these, so the two cannot differ. */
struct cli_option {
	char letter;      /* the short option (-o), or 0 */
	const char *name; /* the long option (--output), or NULL for a short one only */
	int key;          /* what the command's handler is called with: the letter for
	                     an option that has one, else any other value */
	const char *arg;  /* its value's name in the help ("FILE"); NULL: a flag */
	const char *help; /* what it does, one sentence (reflowed) */
};

struct command {
	const char *name;
	const char *usage;   /* the synopsis: operands and the main options, e.g.
				"SPEC [--wait|--watch|--panda]"; every option named here
				must be in `options` */
	const char *summary; /* prose, reflowed at print time (a newline is a space); its
				first sentence, at most 45 columns, is the command's line
				in `caviar --help`, the whole of it `caviar CMD --help` */
	int (*run)(struct cli *cli, int argc, char **argv);
	const struct cli_option *options; /* its own options; NULL: only the common ones */
};

/* Prints "caviar: CMD: message" to stderr and returns code. */
int cli_fail(const struct cli *cli, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A usage error: the message, then "try 'caviar CMD --help'". Returns EXIT_USAGE. */
int cli_usage(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sends req (deleted) and returns the {"ok": true} reply (caller deletes), or
 * NULL after printing the error; *code is set to the exit code to return. */
cJSON *cli_call(const struct cli *cli, cJSON *req, int *code);

/* Reads, parses and validates a spec file, once, as `validate` and `submit`
 * both must: spec_parse, spec_validate_submit (as caviard's submit), and for a
 * command trial its program (program_check, the daemon's own check), with
 * "workdir" set to the spec file's directory. Returns the JSON that was
 * validated, taken over from spec->json (the caller deletes it; spec->json is
 * left NULL), and fills the rest of spec (caller finishes), or NULL after
 * printing "caviar: CMD: FILE: path: rule". */
cJSON *cli_read_spec(const struct cli *cli, const char *path, struct spec *spec);

/* Parses a positive integer id argument ("12"); -1 when it is not one. */
long long cli_parse_id(const char *s);

/* Prints s as one CSV field (quoted when it holds a comma, quote or newline),
 * then ',' or, for the last field of a row, '\n'. */
void cli_csv_field(const char *s, int last);

/* Prints obj as indented JSON on stdout and deletes it. */
void cli_print_json(cJSON *obj);

/* Formats a JSON value compactly for a table cell (numbers to 4 significant
 * digits, strings bare). Returns a malloc'd string. */
char *cli_cell(const cJSON *v);

/* An aligned text table: add cells row by row, then print. */
struct cli_table {
	char **cells;
	int cols, n;       /* n cells so far */
	int cap;
};
void cli_table_init(struct cli_table *t, int cols);
void cli_table_header(struct cli_table *t, const char *names); /* "ID|NAME|...": one cell each */
void cli_table_add(struct cli_table *t, const char *cell);     /* copies */
void cli_table_add_owned(struct cli_table *t, char *cell);     /* takes a malloc'd string */
void cli_table_print(struct cli_table *t);                     /* prints and frees */

extern const struct command cmd_submit, cmd_ls, cmd_top, cmd_wait, cmd_status, cmd_cancel,
	cmd_pause, cmd_resume, cmd_slots, cmd_shutdown, cmd_validate, cmd_sample, cmd_watch, cmd_show,
	cmd_curves, cmd_plot, cmd_importance, cmd_export, cmd_extend, cmd_rm, cmd_note, cmd_tag, cmd_untag;
extern const struct command cmd_adjust, cmd_fork, cmd_lineage, cmd_serve;

/* Parses NAME=VALUE operands into set: a value that reads as a number is one,
 * true and false are booleans, anything else a string. Returns 0 or an exit
 * code after a usage error. (cmd_steer.c) */
int cli_parse_changes(const struct cli *cli, int argc, char **argv, cJSON *set);
/* Sends `adjust` of trial with set (taken) and prints what was applied.
 * Returns the exit code. (cmd_steer.c) */
int cli_adjust(struct cli *cli, long long trial, cJSON *set, int force);

#define CLI_DONE (-2) /* cli_options: --help was printed; exit 0 */

/* For commands whose one option is a flag: sets *(int *)ctx (cli_options' handler). */
int cli_set_flag(void *ctx, int c, const char *arg);

/* Parses a command's options: its own (cmd->options), each handed to
 * fn(ctx, key, optarg), which returns 0 or an exit code after cli_usage; and
 * the common ones (--json, --socket, --help). On success returns 0 with
 * *args set to the index of the first operand; otherwise an exit code, or
 * CLI_DONE after --help. */
int cli_options(struct cli *cli, const struct command *cmd, int argc, char **argv,
		int (*fn)(void *ctx, int c, const char *arg), void *ctx, int *args);

/* Checks the number of operands; prints a usage error otherwise. */
int cli_operands(const struct cli *cli, int n, int min, int max);

#define CLI_HELP_WIDTH 80 /* columns of help text */

/* Prints a command's usage line, summary and options (its own, then the
 * common ones), wrapped between words. */
void cli_print_usage(const struct command *cmd);
#endif
