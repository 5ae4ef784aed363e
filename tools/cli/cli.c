/* cli: shared plumbing of the caviar commands (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "errbuf.h"
#include "program.h"
#include "submit.h"
#include "term.h"
#include "xalloc.h"

static int vfail(const struct cli *cli, int code, const char *fmt, va_list ap)
{
	fprintf(stderr, "caviar: %s%s", cli->cmd ? cli->cmd : "", cli->cmd ? ": " : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return code;
}

int cli_fail(const struct cli *cli, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(cli, code, fmt, ap);
	va_end(ap);
	return code;
}

int cli_usage(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(cli, EXIT_USAGE, fmt, ap);
	va_end(ap);
	fprintf(stderr, "try 'caviar %s --help'\n", cli->cmd ? cli->cmd : "");
	return EXIT_USAGE;
}

cJSON *cli_call(const struct cli *cli, cJSON *req, int *code)
{
	char err[ERRBUF_LEN];
	cJSON *reply = client_request(cli->socket, req, err, sizeof err);
	const cJSON *msg;

	cJSON_Delete(req);
	if (!reply) {
		*code = cli_fail(cli, EXIT_NODAEMON, "%s", err);
		return NULL;
	}
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok"))) {
		msg = cJSON_GetObjectItemCaseSensitive(reply, "error");
		*code = cli_fail(cli, EXIT_FAILED, "%s",
				 cJSON_IsString(msg) ? msg->valuestring : "the daemon refused");
		cJSON_Delete(reply);
		return NULL;
	}
	*code = EXIT_OK;
	return reply;
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f) {
		err_set(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	do {
		if (cap - n < 4096)
			buf = xrealloc(buf, cap = cap ? 2 * cap : 8192);
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	if (ferror(f)) {
		err_set(err, errlen, "%s", strerror(errno));
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		*len = n;
	}
	fclose(f);
	return buf;
}

/* A command trial's relative paths are relative to its spec file: record that
 * file's directory as "workdir" in json and spec (the daemon runs elsewhere);
 * for a spec read from stdin ("-", a pipe), the directory caviar runs in. */
static void add_workdir(cJSON *json, struct spec *spec, const char *spec_path)
{
	struct stat st;
	char *full, *slash;

	if (strcmp(spec_path, "-") == 0 || stat(spec_path, &st) < 0 || !S_ISREG(st.st_mode)) {
		full = getcwd(NULL, 0);
	} else {
		full = realpath(spec_path, NULL);
		slash = full ? strrchr(full, '/') : NULL;
		if (slash)
			*(slash == full ? slash + 1 : slash) = '\0';
	}
	if (!full)
		return;
	cJSON_AddStringToObject(json, "workdir", full);
	spec->workdir = full;
}

cJSON *cli_read_spec(const struct cli *cli, const char *path, struct spec *spec)
{
	char err[ERRBUF_LEN];
	size_t len;
	char *text = read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path, &len, err, sizeof err);
	cJSON *json;
	int rc;

	if (!text) {
		cli_fail(cli, EXIT_SPEC, "%s: %s", path, err);
		return NULL;
	}
	rc = spec_parse_text(spec, text, len, err, sizeof err);
	if (rc == 0)
		rc = spec_validate_submit(spec, err, sizeof err);
	if (rc == 0 && spec->command && !spec->workdir)
		add_workdir(spec->json, spec, path);
	if (rc == 0 && spec->command) /* the daemon checks again, with its own PATH */
		rc = program_check(spec, err, sizeof err);
	free(text);
	if (rc < 0) {
		spec_finish(spec); /* parsed, then refused by a later check */
		cli_fail(cli, EXIT_SPEC, "%s: %s", path, err);
		return NULL;
	}
	/* the JSON just validated is the one returned: the text is parsed once */
	json = spec->json;
	spec->json = NULL;
	return json;
}

long long cli_parse_id(const char *s)
{
	char *end;
	long long id;

	errno = 0;
	id = strtoll(s, &end, 10);
	return (errno || end == s || *end || id < 1) ? -1 : id;
}

void cli_csv_field(const char *s, int last)
{
	if (strpbrk(s, ",\"\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

void cli_print_json(cJSON *obj)
{
	char *text = cJSON_Print(obj);

	if (text)
		puts(text);
	free(text);
	cJSON_Delete(obj);
}

char *cli_cell(const cJSON *v)
{
	char buf[64];

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 1e15)
			snprintf(buf, sizeof buf, "%.0f", v->valuedouble);
		else
			snprintf(buf, sizeof buf, "%.4g", v->valuedouble);
		return xstrdup(buf);
	}
	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsBool(v))
		return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	if (!v || cJSON_IsNull(v))
		return xstrdup("-");
	return cJSON_PrintUnformatted(v);
}

void cli_table_init(struct cli_table *t, int cols)
{
	memset(t, 0, sizeof *t);
	t->cols = cols;
}

void cli_table_add_owned(struct cli_table *t, char *cell)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cells = xrealloc(t->cells, (size_t)t->cap * sizeof *t->cells);
	}
	t->cells[t->n++] = cell;
}

void cli_table_add(struct cli_table *t, const char *cell)
{
	cli_table_add_owned(t, xstrdup(cell ? cell : "-"));
}

void cli_table_header(struct cli_table *t, const char *names)
{
	for (const char *p = names;; p++) {
		size_t n = strcspn(p, "|");

		cli_table_add_owned(t, xstrndup(p, n));
		p += n;
		if (!*p)
			break;
	}
}

void cli_table_print(struct cli_table *t)
{
	int *width = xcalloc((size_t)t->cols, sizeof *width);

	for (int i = 0; i < t->n; i++) {
		int w = (int)strlen(t->cells[i]);

		if (w > width[i % t->cols])
			width[i % t->cols] = w;
	}
	for (int i = 0; i < t->n; i++) {
		int last = i % t->cols == t->cols - 1 || i == t->n - 1;

		if (last)
			printf("%s\n", t->cells[i]);
		else
			printf("%-*s  ", width[i % t->cols], t->cells[i]);
		free(t->cells[i]);
	}
	free(t->cells);
	free(width);
	memset(t, 0, sizeof *t);
}

/* The options every command takes, after its own (cli_options' keys for
 * them are above any a command uses). */
enum { KEY_JSON = 0x100, KEY_SOCKET, KEY_HELP };
static const struct cli_option common_options[] = {
	{0, "json", KEY_JSON, NULL, "Machine-readable output (JSON)."},
	{0, "socket", KEY_SOCKET, "PATH", "The daemon's socket (see 'caviar --help')."},
	{0, "help", KEY_HELP, NULL, "This help."},
	{0, NULL, 0, NULL, NULL},
};

#define OPTION_COL 22 /* where an option's description starts in a command's help */

static size_t count_options(const struct cli_option *o)
{
	size_t n = 0;

	while (o && (o[n].letter || o[n].name))
		n++;
	return n;
}

/* "-o, --output FILE": an option as the help names it. */
static void option_label(const struct cli_option *o, char *buf, size_t n)
{
	int len = 0;

	buf[0] = '\0';
	if (o->letter)
		len = snprintf(buf, n, "-%c%s", o->letter, o->name ? ", " : "");
	if (o->name && len >= 0 && (size_t)len < n)
		len += snprintf(buf + len, n - (size_t)len, "--%s", o->name);
	if (o->arg && len >= 0 && (size_t)len < n)
		snprintf(buf + len, n - (size_t)len, " %s", o->arg);
}

/* "title:", then a line per option: its label, its description wrapped in a
 * column of its own. */
static void print_options(const char *title, const struct cli_option *o)
{
	char label[96], *text;
	int col;

	printf("\n%s:\n", title);
	for (size_t i = 0, n = count_options(o); i < n; i++) {
		option_label(&o[i], label, sizeof label);
		col = printf("  %s", label);
		if (col >= OPTION_COL - 1) {
			putchar('\n');
			col = 0;
		}
		text = term_wrap(o[i].help, OPTION_COL, OPTION_COL, CLI_HELP_WIDTH);
		printf("%*s%s\n", OPTION_COL - col, "", text);
		free(text);
	}
}

void cli_print_usage(const struct command *cmd)
{
	int col = printf("usage: caviar %s", cmd->name);
	char *usage = term_wrap(cmd->usage, col + 1, col + 1, CLI_HELP_WIDTH);
	char *summary = term_wrap(cmd->summary, 0, 0, CLI_HELP_WIDTH);

	printf("%s%s\n\n%s\n", *usage ? " " : "", usage, summary);
	if (count_options(cmd->options))
		print_options("options", cmd->options);
	print_options("common options", common_options);
	free(usage);
	free(summary);
}

/* getopt's tables for the options of own and common: the long ones into
 * longs (ended by a zeroed entry), the short ones into shorts (":n:ck:"). */
static void getopt_tables(const struct cli_option *own, struct option *longs, char *shorts)
{
	const struct cli_option *tables[] = {own, common_options};
	size_t nl = 0, ns = 0;

	shorts[ns++] = ':';
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0, n = count_options(tables[t]); i < n; i++) {
			const struct cli_option *o = &tables[t][i];

			if (o->name)
				longs[nl++] = (struct option){o->name,
							      o->arg ? required_argument : no_argument,
							      NULL, o->key};
			if (o->letter) {
				shorts[ns++] = o->letter;
				if (o->arg)
					shorts[ns++] = ':';
			}
		}
	longs[nl] = (struct option){NULL, 0, NULL, 0};
	shorts[ns] = '\0';
}

int cli_options(struct cli *cli, const struct command *cmd, int argc, char **argv,
		int (*fn)(void *ctx, int c, const char *arg), void *ctx, int *args)
{
	size_t n = count_options(cmd->options) + count_options(common_options);
	struct option *longs = xcalloc(n + 1, sizeof *longs);
	char *shorts = xmalloc(2 * n + 2);
	int c, rc = 0;

	getopt_tables(cmd->options, longs, shorts);
	optind = 0; /* glibc and musl start afresh: 1 would keep what a parse before left */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		switch (c) {
		case KEY_JSON: cli->json = 1; break;
		case KEY_SOCKET: cli->socket = optarg; break;
		case KEY_HELP: cli_print_usage(cmd); rc = CLI_DONE; break;
		case '?': rc = cli_usage(cli, "unknown option %s", argv[optind - 1]); break;
		case ':': rc = cli_usage(cli, "option %s needs a value", argv[optind - 1]); break;
		default:
			rc = fn ? fn(ctx, c, optarg) : cli_usage(cli, "unknown option");
		}
	}
	free(longs);
	free(shorts);
	*args = optind;
	return rc;
}

int cli_operands(const struct cli *cli, int n, int min, int max)
{
	if (n < min)
		return cli_usage(cli, "missing argument");
	if (n > max)
		return cli_usage(cli, "too many arguments");
	return 0;
}
