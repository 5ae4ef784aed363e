/* cmd_list: the commands that show what the daemon knows: ls (sweeps and
 * their progress), top (a sweep's best trials) and status (slots, running
 * trials). Each prints a table, or the daemon's reply with --json. ls and top
 * also read a database without a daemon (--db FILE, or the default database
 * when no daemon runs), through the same views, into the same JSON. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client.h"
#include "errbuf.h"
#include "proto.h"
#include "cli_store.h"
#include "xalloc.h"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, sizeof buf, f, ap);
	va_end(ap);
	return xstrdup(buf);
}

/* Sends {"cmd": cmd} plus an optional sweep id and n. */
static cJSON *ask(struct cli *cli, const char *cmd, long long sweep, long long n, int *code)
{
	cJSON *req = cJSON_CreateObject();

	cJSON_AddStringToObject(req, "cmd", cmd);
	if (sweep > 0)
		cJSON_AddNumberToObject(req, "sweep", (double)sweep);
	if (n > 0)
		cJSON_AddNumberToObject(req, "n", (double)n);
	return cli_call(cli, req, code);
}

static int no_operands(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	int args, code = cli_options(cli, cmd, argc, argv, NULL, NULL, &args);

	return code ? code : cli_operands(cli, argc - args, 0, 0);
}

/* ls's and top's options: --db, and top's -n and --pareto. */
struct list_opts {
	long long n;
	const char *db;
	int pareto; /* top --pareto: the front instead of the leaderboard */
};

static int list_opt(void *ctx, int c, const char *arg)
{
	struct list_opts *o = ctx;

	if (c == 'd') {
		o->db = arg;
		return 0;
	}
	if (c == 'P') {
		o->pareto = 1;
		return 0;
	}
	o->n = cli_parse_id(arg);
	if (o->n < 0) {
		fprintf(stderr, "caviar: top: -n: expected a positive number\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* The reply of ls (sweep 0) or top from the database: {"sweeps": [...]} or
 * {"sweep": {...}, "trials": [...]}, built as the daemon builds it. */
static cJSON *read_reply(struct cli *cli, struct store *st, const struct list_opts *o,
			 long long sweep, long long n, int *code)
{
	char err[ERRBUF_LEN];
	cJSON *reply = cJSON_CreateObject(), *rows;
	int rc;

	if (sweep && o->pareto) {
		rc = query_pareto(&st->query, sweep, reply, err, sizeof err);
	} else if (sweep) {
		rc = query_top(&st->query, sweep, n, reply, err, sizeof err);
	} else {
		rows = query_ls(&st->query, err, sizeof err);
		rc = rows ? 0 : -1;
		cJSON_AddItemToObject(reply, "sweeps", rows);
	}
	if (rc < 0) {
		*code = cli_fail(cli, EXIT_FAILED, "%s", err);
		cJSON_Delete(reply);
		return NULL;
	}
	*code = EXIT_OK;
	return reply;
}

/* ls's or top's reply: from the daemon when one runs and no --db is given,
 * else from the database (--db, or the default one). NULL with *code set. */
static cJSON *list_reply(struct cli *cli, const struct list_opts *o, long long sweep, int *code)
{
	char err[ERRBUF_LEN];
	struct client c;
	struct store st;
	cJSON *reply;

	if (!o->db && client_open(&c, cli->socket, err, sizeof err) == 0) {
		client_close(&c);
		/* top --pareto asks "pareto" */
		return ask(cli, o->pareto ? proto_cmd_name(PROTO_PARETO) : cli->cmd, sweep, o->n,
			   code);
	}
	*code = o->db ? store_open_cli(&st, cli, o->db) : store_open_offline(&st, cli, err);
	if (*code)
		return NULL;
	reply = read_reply(cli, &st, o, sweep, o->n > 0 ? o->n : -1, code);
	store_close(&st);
	return reply;
}

/* "val_loss 0.3226 (trial 2)": a sweep's best, or "-". */
static char *best_cell(const cJSON *row)
{
	if (!cJSON_IsNumber(query_get(row, "best")))
		return xstrdup("-");
	return fmt("%s %.4f (trial %.0f)", cJSON_GetStringValue(query_get(row, "metric")),
		   query_num(row, "best", 0), query_num(row, "best_trial_id", 0));
}

/* "#baseline #v2 lr too high": a sweep's tags and note in one cell, or "-". */
static char *labels_cell(const cJSON *row)
{
	char buf[256] = "";
	const cJSON *tag, *note = query_get(row, "note");
	size_t len;

	cJSON_ArrayForEach(tag, query_get(row, "tags")) {
		len = strlen(buf);
		snprintf(buf + len, sizeof buf - len, "%s#%s", len ? " " : "",
			 cJSON_GetStringValue(tag));
	}
	len = strlen(buf);
	if (cJSON_IsString(note))
		snprintf(buf + len, sizeof buf - len, "%s%s", len ? " " : "", note->valuestring);
	return xstrdup(buf[0] ? buf : "-");
}

static int run_ls(struct cli *cli, int argc, char **argv)
{
	struct list_opts o = {0, NULL, 0};
	struct cli_table t;
	cJSON *reply, *row;
	int args, code;

	if ((code = cli_options(cli, &cmd_ls, argc, argv, list_opt, &o, &args)) ||
	    (code = cli_operands(cli, argc - args, 0, 0)))
		return code == CLI_DONE ? EXIT_OK : code;
	if (!(reply = list_reply(cli, &o, 0, &code)))
		return code;
	if (cli->json) {
		cli_print_json(cJSON_DetachItemFromObject(reply, "sweeps"));
		cJSON_Delete(reply);
		return EXIT_OK;
	}
	/* ENDED is ended/budget; ended = done + pruned + failed + cancelled */
	cli_table_init(&t, 12);
	cli_table_header(&t, "ID|NAME|STATUS|ENDED|DONE|PRUNED|FAILED|CANCELLED|RUNNING|QUEUED|BEST|NOTE");
	cJSON_ArrayForEach(row, query_get(reply, "sweeps")) {
		cli_table_add_owned(&t, cli_cell(query_get(row, "sweep_id")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "name")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "status")));
		cli_table_add_owned(&t, fmt("%.0f/%.0f", query_num(row, "ended", 0), query_num(row, "budget", 0)));
		cli_table_add_owned(&t, cli_cell(query_get(row, "done")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "pruned")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "failed")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "cancelled")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "running")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "queued")));
		cli_table_add_owned(&t, best_cell(row));
		cli_table_add_owned(&t, labels_cell(row));
	}
	cli_table_print(&t);
	cJSON_Delete(reply);
	return EXIT_OK;
}

/* --db, as ls and top read it. */
#define LIST_DB_OPTION {0, "db", 'd', "FILE", "Read that database instead of asking the daemon " \
			"(without a daemon, the default database is read)."}

static const struct cli_option ls_options[] = {
	LIST_DB_OPTION,
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_ls = {
	"ls", "[--db FILE]",
	"Lists the sweeps and their progress.\n"
	"Each with its status, its trials counted by status (ENDED is done + pruned + failed +\n"
	"cancelled, of the budget), and its best trial (done or pruned; never a failed one).",
	run_ls,
	ls_options,
};

/* "lr=0.0031 batch=64 ...": a trial's params in one cell. */
static char *params_cell(const cJSON *params)
{
	char buf[1024] = "";
	const cJSON *p;

	cJSON_ArrayForEach(p, params) {
		char *v = cli_cell(p);
		size_t len = strlen(buf);

		snprintf(buf + len, sizeof buf - len, "%s%s=%s", len ? " " : "", p->string, v);
		free(v);
	}
	return xstrdup(buf);
}

static void print_top(const cJSON *reply)
{
	const cJSON *sweep = query_get(reply, "sweep"), *row;
	struct cli_table t;

	printf("sweep %.0f \"%s\" (%s): best %s first (%s)\n", query_num(sweep, "id", 0),
	       cJSON_GetStringValue(query_get(sweep, "name")), cJSON_GetStringValue(query_get(sweep, "status")),
	       cJSON_GetStringValue(query_get(sweep, "metric")),
	       strcmp(cJSON_GetStringValue(query_get(sweep, "mode")), "max") == 0 ? "highest"
									  : "lowest");
	/* The best epoch and the epochs run apart: "5/8" read as "ran 5 of 8". */
	cli_table_init(&t, 8);
	/* TRIAL is the trial's id, NO. its number in the sweep (trials.number) */
	cli_table_header(&t, "RANK|TRIAL|NO.|STATUS|OBJECTIVE|BEST@|EPOCHS|PARAMS");
	cJSON_ArrayForEach(row, query_get(reply, "trials")) {
		cli_table_add_owned(&t, cli_cell(query_get(row, "rank")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "trial_id")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "number")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "status")));
		cli_table_add_owned(&t, fmt("%.4f", query_num(row, "objective", 0)));
		cli_table_add_owned(&t, cli_cell(query_get(row, "best_epoch")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "epochs")));
		cli_table_add_owned(&t, params_cell(query_get(row, "params")));
	}
	cli_table_print(&t);
}

/* "val_acc (max), params (min); constraints: latency_ms <= 5": the goals rows
 * of a pareto reply, into buf. */
static void goals_line(const cJSON *goals, char *buf, size_t n)
{
	const cJSON *g;
	size_t len = 0;
	int cons = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(g, goals) {
		const char *metric = cJSON_GetStringValue(query_get(g, "metric"));
		int obj = strcmp(cJSON_GetStringValue(query_get(g, "kind")), "objective") == 0;
		if (len >= n)
			break;
		if (obj) {
			len += (size_t)snprintf(buf + len, n - len, "%s%s (%s)", len ? ", " : "", metric,
						cJSON_GetStringValue(query_get(g, "mode")));
			continue;
		}
		len += (size_t)snprintf(buf + len, n - len, "%s", cons++ ? ", " : "; constraints: ");
		if (len < n && cJSON_IsNumber(query_get(g, "lo")))
			len += (size_t)snprintf(buf + len, n - len, "%g <= ", query_num(g, "lo", 0));
		if (len < n)
			len += (size_t)snprintf(buf + len, n - len, "%s", metric);
		if (len < n && cJSON_IsNumber(query_get(g, "hi")))
			len += (size_t)snprintf(buf + len, n - len, " <= %g", query_num(g, "hi", 0));
	}
}

/* The front: a column per objective (named by its metric), the violation when
 * the sweep has constraints, crowding ("inf" at an objective's extreme). */
static void print_pareto(const cJSON *reply)
{
	const cJSON *sweep = query_get(reply, "sweep"), *goals = query_get(reply, "goals"), *row, *g;
	char line[512], header[512] = "TRIAL|NO.|STATUS";
	struct cli_table t;
	int cols = 5, cons = 0;

	goals_line(goals, line, sizeof line);
	printf("sweep %.0f \"%s\" (%s): the Pareto front of %s\n", query_num(sweep, "id", 0),
	       cJSON_GetStringValue(query_get(sweep, "name")),
	       cJSON_GetStringValue(query_get(sweep, "status")), line);
	cJSON_ArrayForEach(g, goals) {
		size_t len = strlen(header);
		if (strcmp(cJSON_GetStringValue(query_get(g, "kind")), "objective") != 0) {
			cons = 1;
			continue;
		}
		snprintf(header + len, sizeof header - len, "|%s",
			 cJSON_GetStringValue(query_get(g, "metric")));
		cols++;
	}
	snprintf(header + strlen(header), sizeof header - strlen(header), "%s|CROWDING|PARAMS",
		 cons ? "|VIOLATION" : "");
	cli_table_init(&t, cols + cons);
	cli_table_header(&t, header);
	cJSON_ArrayForEach(row, query_get(reply, "trials")) {
		const cJSON *crowd = query_get(row, "crowding");
		cli_table_add_owned(&t, cli_cell(query_get(row, "trial_id")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "number")));
		cli_table_add_owned(&t, cli_cell(query_get(row, "status")));
		cJSON_ArrayForEach(g, goals)
			if (strcmp(cJSON_GetStringValue(query_get(g, "kind")), "objective") == 0)
				cli_table_add_owned(&t, cli_cell(query_get(
					query_get(row, "objectives"),
					cJSON_GetStringValue(query_get(g, "metric")))));
		if (cons)
			cli_table_add_owned(&t, cli_cell(query_get(row, "violation")));
		cli_table_add_owned(&t, cJSON_IsNumber(crowd) ? fmt("%.4g", crowd->valuedouble)
							      : xstrdup("inf"));
		cli_table_add_owned(&t, params_cell(query_get(row, "params")));
	}
	cli_table_print(&t);
}

static int run_top(struct cli *cli, int argc, char **argv)
{
	struct list_opts o = {10, NULL, 0};
	long long sweep;
	cJSON *reply;
	int args, code;

	if ((code = cli_options(cli, &cmd_top, argc, argv, list_opt, &o, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	sweep = cli_parse_id(argv[args]);
	if (sweep < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	reply = list_reply(cli, &o, sweep, &code);
	if (!reply)
		return code;
	if (cli->json) {
		cli_print_json(reply);
		return EXIT_OK;
	}
	if (o.pareto)
		print_pareto(reply);
	else
		print_top(reply);
	cJSON_Delete(reply);
	return EXIT_OK;
}

static const struct cli_option top_options[] = {
	{'n', NULL, 'n', "K", "Show the K best (default 10)."},
	{0, "pareto", 'P', NULL, "Show the Pareto front instead (a sweep with \"objectives\" or "
	 "\"constraints\"): every trial of rank 0, a column per objective."},
	LIST_DB_OPTION,
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_top = {
	"top", "SWEEP [-n K] [--pareto] [--db FILE]",
	"Shows the K best trials of a sweep.\n"
	"Its finished trials, each with its rank, its id (TRIAL) and its number in the sweep (NO.), "
	"objective, the epoch of its best value (BEST@), the epochs it\n"
	"ran (EPOCHS) and its params. Only done and pruned trials are ranked, never failed ones.\n"
	"With --pareto: the trials no other dominates (feasible ones first), each objective's\n"
	"last value, the violation of the constraints and the crowding distance.",
	run_top,
	top_options,
};

static int run_status(struct cli *cli, int argc, char **argv)
{
	struct cli_table t;
	cJSON *reply, *row;
	int code = no_operands(cli, &cmd_status, argc, argv);
	double now = (double)time(NULL);

	if (code || !(reply = ask(cli, cli->cmd, 0, 0, &code)))
		return code == CLI_DONE ? EXIT_OK : code;
	if (cli->json) {
		cli_print_json(reply);
		return EXIT_OK;
	}
	printf("caviard %s (pid %.0f): %d of %.0f slots busy, %.0f trials queued in %.0f sweeps\n",
	       cJSON_GetStringValue(query_get(reply, "version")), query_num(reply, "pid", 0),
	       cJSON_GetArraySize(query_get(reply, "running")), query_num(reply, "slots", 0), query_num(reply, "queued", 0),
	       query_num(reply, "active_sweeps", 0));
	printf("database: %s\n", cJSON_GetStringValue(query_get(reply, "db")));
	cJSON_ArrayForEach(row, query_get(reply, "trial_env"))
		printf("trials' %s: %s\n", row->string,
		       cJSON_IsString(row) ? row->valuestring : "(unset: caviard's environment has none)");
	if (cJSON_IsString(query_get(reply, "db_error")))
		printf("database error: %s\n", cJSON_GetStringValue(query_get(reply, "db_error")));
	cJSON_ArrayForEach(row, query_get(reply, "sweeps"))
		printf("sweep %.0f \"%s\": %s, %.0f running, %.0f queued\n", query_num(row, "sweep", 0),
		       cJSON_GetStringValue(query_get(row, "name")),
		       cJSON_GetStringValue(query_get(row, "state")), query_num(row, "running", 0),
		       query_num(row, "queued", 0));
	if (cJSON_GetArraySize(query_get(reply, "running"))) {
		cli_table_init(&t, 6);
		cli_table_header(&t, "TRIAL|SWEEP|NO.|PID|EPOCH|RUNNING FOR");
		cJSON_ArrayForEach(row, query_get(reply, "running")) {
			cli_table_add_owned(&t, cli_cell(query_get(row, "trial")));
			cli_table_add_owned(&t, cli_cell(query_get(row, "sweep")));
			cli_table_add_owned(&t, cli_cell(query_get(row, "number")));
			cli_table_add_owned(&t, cli_cell(query_get(row, "pid")));
			cli_table_add_owned(&t, fmt("%.0f/%.0f", query_num(row, "epoch", 0), query_num(row, "epochs", 0)));
			cli_table_add_owned(&t, fmt("%.0fs", fmax(0, now - query_num(row, "started_at", 0))));
		}
		cli_table_print(&t);
	}
	cJSON_Delete(reply);
	return EXIT_OK;
}

const struct command cmd_status = {
	"status", "",
	"Shows the daemon's slots and running trials.\n"
	"Its version and pid, slots busy, trials queued, the database it writes, any\n"
	"database error, the PATH and PYTHONPATH trials get, and each running trial's\n"
	"epoch and time so far.",
	run_status,
	NULL,
};
