/* cmd_sweep: the commands that act on sweeps: submit, wait, cancel, pause,
 * resume, extend, rm, note, tag, untag, and shutdown of the daemon. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "errbuf.h"
#include "proto.h"

#define PROGRESS_MS 2000 /* how often `wait --progress` reports */

static int top_after(struct cli *cli, long long id);

/* One operand that is a sweep id. */
static int sweep_operand(struct cli *cli, const struct command *cmd, int argc, char **argv,
			 long long *id)
{
	int args, rc = cli_options(cli, cmd, argc, argv, NULL, NULL, &args);

	if (rc)
		return rc;
	if ((rc = cli_operands(cli, argc - args, 1, 1)))
		return rc;
	*id = cli_parse_id(argv[args]);
	if (*id < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	return 0;
}

/* Sends {"cmd": cli->cmd, key: id} and prints done (a format taking the id). */
static int simple_request(struct cli *cli, const char *key, long long id, const char *done)
{
	cJSON *req = cJSON_CreateObject(), *reply;
	int code;

	cJSON_AddStringToObject(req, "cmd", cli->cmd);
	if (key)
		cJSON_AddNumberToObject(req, key, (double)id);
	reply = cli_call(cli, req, &code);
	if (!reply)
		return code;
	if (cli->json)
		cli_print_json(reply);
	else {
		printf(done, id);
		if (cJSON_GetObjectItemCaseSensitive(reply, "cancelled"))
			printf(": %.0f trial%s stopped or dequeued", query_num(reply, "cancelled", 0),
			       query_num(reply, "cancelled", 0) == 1 ? "" : "s");
		putchar('\n');
		cJSON_Delete(reply);
	}
	return EXIT_OK;
}

/* submit's flags: --wait, --watch, --panda. */
static int submit_opt(void *ctx, int c, const char *arg)
{
	int *flags = ctx;

	(void)arg;
	flags[c == 'w' ? 0 : c == 'W' ? 1 : 2] = 1;
	return 0;
}

/* `submit --watch`: the live view of the new sweep (--panda: with the prompt
 * that adjusts its trial). */
static int watch_after(struct cli *cli, long long id, int panda)
{
	char arg[32];
	char *argv[] = {"watch", arg, panda ? "--panda" : NULL, NULL};

	snprintf(arg, sizeof arg, "%lld", id);
	cli->cmd = "watch";
	return cmd_watch.run(cli, panda ? 3 : 2, argv);
}

static int run_submit(struct cli *cli, int argc, char **argv)
{
	struct spec spec = {0};
	int flags[3] = {0, 0, 0}, wait, watch, panda;
	cJSON *json, *req, *reply;
	long long id;
	int args, code;

	if ((code = cli_options(cli, &cmd_submit, argc, argv, submit_opt, flags, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	wait = flags[0];
	watch = flags[1];
	panda = flags[2];
	if (wait && watch)
		return cli_usage(cli, "--wait and --watch exclude each other");
	if (panda && (wait || watch))
		return cli_usage(cli, "--panda watches already: without --wait or --watch");
	wait |= watch | panda;
	json = cli_read_spec(cli, argv[args], &spec);
	spec_finish(&spec);
	if (!json)
		return EXIT_SPEC;
	if (panda) { /* a sweep of one trial, the one you steer */
		cJSON_DeleteItemFromObjectCaseSensitive(json, "trials");
		cJSON_AddNumberToObject(json, "trials", 1);
	}
	req = proto_request(PROTO_SUBMIT);
	cJSON_AddItemToObject(req, "spec", json);
	reply = cli_call(cli, req, &code);
	if (!reply)
		return code;
	id = (long long)query_num(reply, "sweep", 0);
	if (cli->json && !wait)
		cli_print_json(cJSON_Duplicate(reply, 1));
	else {
		if (!wait)
			printf("%lld\n", id);
		if (isatty(STDERR_FILENO) || wait)
			fprintf(stderr, "caviar: sweep %lld submitted: %lld trials\n", id,
				(long long)query_num(reply, "trials", 0));
	}
	if (query_num(reply, "repeats", 0) > 0)
		fprintf(stderr, "caviar: warning: sweep %lld has the same spec and seed as sweep %.0f: "
			"it repeats its trials (change \"seed\" for new ones, or 'caviar extend %.0f N')\n",
			id, query_num(reply, "repeats", 0), query_num(reply, "repeats", 0));
	cJSON_Delete(reply);
	return watch || panda ? watch_after(cli, id, panda) : wait ? top_after(cli, id) : EXIT_OK;
}

static const struct cli_option submit_options[] = {
	{0, "wait", 'w', NULL, "Follow the sweep until it ends, then print its leaderboard."},
	{0, "watch", 'W', NULL, "Show it live until it ends (as 'caviar watch')."},
	{0, "panda", 'p', NULL, "Run one trial of it and steer it by hand (as 'caviar watch "
	 "--panda')."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_submit = {
	"submit", "SPEC [--wait|--watch|--panda]",
	"Submits the sweep in SPEC and prints its id.\n"
	"SPEC is the sweep's JSON file, or - for stdin (a command's relative paths are then the current\n"
	"directory's, as they are the file's directory's for a file). With --wait, follows it until it ends and prints its leaderboard; with --watch,\n"
	"shows it live (as 'caviar watch') until it ends; with --panda, runs one trial of it and "
	"watches it with a prompt: each line typed, name=value ..., adjusts the trial as it trains "
	"('caviar watch --panda').",
	run_submit,
	submit_options,
};

/* A progress line for `wait`, from the daemon's ls reply. */
static void print_progress(struct cli *cli, long long id, char *last, size_t n)
{
	cJSON *req = proto_request(PROTO_LS), *reply, *row;
	char line[256] = "";
	int code;

	reply = cli_call(cli, req, &code);
	if (!reply)
		return;
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(reply, "sweeps")) {
		const cJSON *best = cJSON_GetObjectItemCaseSensitive(row, "best");
		const cJSON *metric = cJSON_GetObjectItemCaseSensitive(row, "metric");

		if ((long long)query_num(row, "sweep_id", 0) != id)
			continue;
		snprintf(line, sizeof line,
			 "sweep %lld: %.0f/%.0f finished, %.0f running, %.0f failed; best %s %s",
			 id, query_num(row, "ended", 0),
			 query_num(row, "budget", 0), query_num(row, "running", 0), query_num(row, "failed", 0),
			 cJSON_IsString(metric) ? metric->valuestring : "",
			 cJSON_IsNumber(best) ? "" : "-");
		if (cJSON_IsNumber(best))
			snprintf(line + strlen(line), sizeof line - strlen(line), "%.4f",
				 best->valuedouble);
	}
	cJSON_Delete(reply);
	if (*line && strcmp(line, last) != 0) {
		fprintf(stderr, "%s\n", line);
		snprintf(last, n, "%s", line);
	}
}

/* Blocks until the sweep ends (reporting progress meanwhile when asked) and
 * returns the daemon's reply, or NULL after printing why (*code set). */
static cJSON *wait_sweep(struct cli *cli, long long id, int progress, int *code)
{
	struct client c;
	char err[ERRBUF_LEN], last[256] = "";
	cJSON *req, *reply;
	struct pollfd pfd;

	if (client_open(&c, cli->socket, err, sizeof err) < 0) {
		*code = cli_fail(cli, EXIT_NODAEMON, "%s", err);
		return NULL;
	}
	req = proto_request(PROTO_WAIT);
	cJSON_AddNumberToObject(req, "sweep", (double)id);
	reply = NULL;
	if (client_send(&c, req, err, sizeof err) == 0) {
		pfd.fd = c.fd;
		pfd.events = POLLIN;
		while (progress && poll(&pfd, 1, PROGRESS_MS) == 0)
			print_progress(cli, id, last, sizeof last);
		reply = client_recv(&c, err, sizeof err);
	}
	cJSON_Delete(req);
	client_close(&c);
	if (!reply) {
		*code = cli_fail(cli, EXIT_NODAEMON, "%s", err);
		return NULL;
	}
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok"))) {
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "error"));

		*code = cli_fail(cli, EXIT_FAILED, "%s", msg ? msg : "the daemon refused");
		cJSON_Delete(reply);
		return NULL;
	}
	if (progress)
		print_progress(cli, id, last, sizeof last);
	*code = EXIT_OK;
	return reply;
}

/* "sweep 8 failed: 3 trials failed the same way: exit code 1: KeyError: 'x'"
 * from a wait reply: its status, and why when the daemon says. */
static void print_ended(long long id, const cJSON *reply)
{
	const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "reason"));

	printf("sweep %lld %s%s%s\n", id,
	       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "status")),
	       reason ? ": " : "", reason ? reason : "");
}

/* The exit code for a sweep's final status: 0 only when it finished. */
static int status_code(const cJSON *reply)
{
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(reply, "status"));

	return status && strcmp(status, "done") == 0 ? EXIT_OK : EXIT_FAILED;
}

/* `submit --wait`: follow, then show the leaderboard. */
static int top_after(struct cli *cli, long long id)
{
	int code;
	cJSON *reply = wait_sweep(cli, id, 1, &code);
	char *argv[] = {"top", NULL, NULL};
	char arg[32];

	if (!reply)
		return code;
	code = status_code(reply);
	if (code != EXIT_OK) /* the leaderboard alone would not say why */
		print_ended(id, reply);
	cJSON_Delete(reply);
	snprintf(arg, sizeof arg, "%lld", id);
	argv[1] = arg;
	cli->cmd = "top";
	return cmd_top.run(cli, 2, argv) ? EXIT_FAILED : code;
}

static int run_wait(struct cli *cli, int argc, char **argv)
{
	long long id;
	cJSON *reply;
	int progress = 0, args, code;

	if ((code = cli_options(cli, &cmd_wait, argc, argv, cli_set_flag, &progress, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	id = cli_parse_id(argv[args]);
	if (id < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	reply = wait_sweep(cli, id, progress, &code);
	if (!reply)
		return code;
	code = status_code(reply);
	if (cli->json) {
		cli_print_json(reply);
		return code;
	}
	print_ended(id, reply);
	cJSON_Delete(reply);
	return code;
}

static const struct cli_option wait_options[] = {
	{0, "progress", 'p', NULL, "Print a progress line to stderr as it changes."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_wait = {
	"wait", "SWEEP [--progress]",
	"Blocks until the sweep ends. Exits 0 when it finished, 1 when it was cancelled.",
	run_wait,
	wait_options,
};

static const char *plural(double n)
{
	return n == 1 ? "" : "s";
}

/* A sweep's cancel: "sweep 8 stopping (grace 10 s): 1 trial stopping, 3
 * dequeued" while its running trials are given their grace period, then,
 * once it has ended, what happened: "sweep 8 cancelled: 1 trial stopped, 3
 * dequeued". */
static int cancel_sweep(struct cli *cli, long long id)
{
	cJSON *req = proto_request(PROTO_CANCEL), *reply, *ended;
	double stopping, dequeued;
	int code;

	cJSON_AddNumberToObject(req, "sweep", (double)id);
	if (!(reply = cli_call(cli, req, &code)))
		return code;
	if (cli->json) {
		cli_print_json(reply);
		return EXIT_OK;
	}
	stopping = query_num(reply, "stopping", 0);
	dequeued = query_num(reply, "dequeued", 0);
	if (stopping > 0) {
		printf("sweep %lld stopping (grace %g s): %.0f trial%s stopping, %.0f dequeued\n",
		       id, query_num(reply, "grace", 0), stopping, plural(stopping), dequeued);
		fflush(stdout);
	}
	cJSON_Delete(reply);
	if (!(ended = wait_sweep(cli, id, 0, &code)))
		return code;
	printf("sweep %lld %s", id,
	       cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ended, "status")));
	if (stopping > 0)
		printf(": %.0f trial%s stopped, %.0f dequeued\n", stopping, plural(stopping),
		       dequeued);
	else
		printf(": %.0f trial%s dequeued\n", dequeued, plural(dequeued));
	cJSON_Delete(ended);
	return EXIT_OK;
}

static int run_cancel(struct cli *cli, int argc, char **argv)
{
	int trial = 0, args, code;
	long long id;

	if ((code = cli_options(cli, &cmd_cancel, argc, argv, cli_set_flag, &trial, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	id = cli_parse_id(argv[args]);
	if (id < 0)
		return cli_usage(cli, "%s: expected an id (a positive number)", argv[args]);
	if (!trial)
		return cancel_sweep(cli, id);
	return simple_request(cli, "trial", id, "trial %lld cancelled");
}

static const struct cli_option cancel_options[] = {
	{0, "trial", 't', NULL, "The id is a trial's: cancel that trial only."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_cancel = {
	"cancel", "SWEEP | --trial TRIAL",
	"Cancels a sweep, or one trial with --trial.\n"
	"Queued trials are dropped; running ones get SIGTERM, then SIGKILL after the\n"
	"daemon's grace period. A sweep's cancel says \"stopping (grace N s)\" while its trials\n"
	"stop, and returns once the sweep has ended, saying how many were stopped and dequeued.",
	run_cancel,
	cancel_options,
};

static int run_pause(struct cli *cli, int argc, char **argv)
{
	long long id;
	int code = sweep_operand(cli, &cmd_pause, argc, argv, &id);

	return code ? code : simple_request(cli, "sweep", id, "sweep %lld paused");
}

const struct command cmd_pause = {
	"pause", "SWEEP",
	"Pauses a sweep: no new trials start.\n"
	"Running trials go on; 'caviar resume' starts new ones again.",
	run_pause,
	NULL,
};

static int run_resume(struct cli *cli, int argc, char **argv)
{
	long long id;
	int code = sweep_operand(cli, &cmd_resume, argc, argv, &id);

	return code ? code : simple_request(cli, "sweep", id, "sweep %lld resumed");
}

const struct command cmd_resume = {"resume", "SWEEP", "Resumes a paused sweep.", run_resume,
				   NULL};

static int run_shutdown(struct cli *cli, int argc, char **argv)
{
	int args, code = cli_options(cli, &cmd_shutdown, argc, argv, NULL, NULL, &args);

	if (code || (code = cli_operands(cli, argc - args, 0, 0)))
		return code;
	return simple_request(cli, NULL, 0, "caviard stopping");
}

static int run_slots(struct cli *cli, int argc, char **argv)
{
	int args, code = cli_options(cli, &cmd_slots, argc, argv, NULL, NULL, &args);
	long long n;
	cJSON *req, *reply;

	if (code || (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	n = cli_parse_id(argv[args]);
	if (n < 0)
		return cli_usage(cli, "%s: expected a positive number of slots", argv[args]);
	req = proto_request(PROTO_SLOTS);
	cJSON_AddNumberToObject(req, "n", (double)n);
	reply = cli_call(cli, req, &code);
	if (!reply)
		return code;
	if (cli->json)
		cli_print_json(reply);
	else {
		printf("caviard now runs up to %lld trials at once\n", n);
		cJSON_Delete(reply);
	}
	return EXIT_OK;
}

const struct command cmd_slots = {
	"slots", "N",
	"Changes how many trials run at once.\n"
	"The daemon goes on running. Running trials go on; with fewer slots no new trial\n"
	"starts until one ends.",
	run_slots,
	NULL,
};

const struct command cmd_shutdown = {
	"shutdown", "",
	"Stops the daemon cleanly.\n"
	"Running trials are stopped and queued again, every point is written, and the\n"
	"next caviard start resumes the sweeps.",
	run_shutdown,
	NULL,
};

/* Sends req (deleted) and prints the reply (--json) or done; returns the exit code. */
static int send_and_say(struct cli *cli, cJSON *req, const char *done)
{
	int code;
	cJSON *reply = cli_call(cli, req, &code);

	if (!reply)
		return code;
	if (cli->json)
		cli_print_json(reply);
	else {
		puts(done);
		cJSON_Delete(reply);
	}
	return EXIT_OK;
}

static int run_extend(struct cli *cli, int argc, char **argv)
{
	int args, code = cli_options(cli, &cmd_extend, argc, argv, NULL, NULL, &args);
	long long id, n;
	cJSON *req, *reply;

	if (code || (code = cli_operands(cli, argc - args, 2, 2)))
		return code;
	if ((id = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	if ((n = cli_parse_id(argv[args + 1])) < 0)
		return cli_usage(cli, "%s: expected a positive number of trials", argv[args + 1]);
	req = proto_request(PROTO_EXTEND);
	cJSON_AddNumberToObject(req, "sweep", (double)id);
	cJSON_AddNumberToObject(req, "n", (double)n);
	if (!(reply = cli_call(cli, req, &code)))
		return code;
	if (cli->json)
		cli_print_json(reply);
	else {
		printf("sweep %lld extended by %lld trials: %.0f in all, %s\n", id, n,
		       query_num(reply, "trials", 0), cJSON_GetStringValue(query_get(reply, "status")));
		cJSON_Delete(reply);
	}
	return EXIT_OK;
}

const struct command cmd_extend = {
	"extend", "SWEEP N",
	"Adds N trials to a sweep, with the same spec.\n"
	"The sweep may be running, paused or over (it then runs again). random and sobol go on with "
	"the next trials of their sequence; grid refuses to go past its grid; coarse_to_fine adds a "
	"round of N around the best trials so far, once its own rounds are over. The sweep's budget "
	"grows by N.",
	run_extend,
	NULL,
};

static int rm_opt(void *ctx, int c, const char *arg)
{
	return cli_set_flag(ctx, c, arg);
}

static int run_rm(struct cli *cli, int argc, char **argv)
{
	int force = 0, args, code;
	long long id;
	char done[64];
	cJSON *req;

	if ((code = cli_options(cli, &cmd_rm, argc, argv, rm_opt, &force, &args)) ||
	    (code = cli_operands(cli, argc - args, 1, 1)))
		return code;
	if ((id = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	req = proto_request(PROTO_RM);
	cJSON_AddNumberToObject(req, "sweep", (double)id);
	if (force)
		cJSON_AddTrueToObject(req, "force");
	snprintf(done, sizeof done, "sweep %lld removed", id);
	return send_and_say(cli, req, done);
}

static const struct cli_option rm_options[] = {
	{0, "force", 'f', NULL, "Cancel a running or paused sweep first."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_rm = {
	"rm", "SWEEP [--force]",
	"Deletes a sweep and everything recorded of it.\n"
	"Its trials, curves, logs, rounds, note and tags go, and its trials' files in the state "
	"directory (checkpoints, the epochs kept for forks); the database keeps no trace. A running "
	"or paused sweep is refused unless --force, which cancels it first and returns once its "
	"trials have stopped.",
	run_rm,
	rm_options,
};

static int run_note(struct cli *cli, int argc, char **argv)
{
	int trial = 0, args, code;
	const char *what;
	long long id;
	char done[64];
	cJSON *req;

	if ((code = cli_options(cli, &cmd_note, argc, argv, cli_set_flag, &trial, &args)) ||
	    (code = cli_operands(cli, argc - args, 2, 2)))
		return code;
	what = trial ? "trial" : "sweep";
	if ((id = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a %s id (a positive number)", argv[args], what);
	req = proto_request(PROTO_NOTE);
	cJSON_AddNumberToObject(req, what, (double)id);
	cJSON_AddStringToObject(req, "text", argv[args + 1]);
	snprintf(done, sizeof done, "%s %lld: note %s", what, id,
		 argv[args + 1][0] ? "set" : "cleared");
	return send_and_say(cli, req, done);
}

static const struct cli_option note_options[] = {
	{0, "trial", 't', NULL, "The id is a trial's: set that trial's note."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_note = {
	"note", "SWEEP TEXT | --trial TRIAL TEXT",
	"Sets a sweep's note, shown by 'caviar ls', or a trial's, shown by 'caviar show'.\n"
	"An empty TEXT clears it. The notes are in the note columns of the sweeps and trials\n"
	"tables; the dashboard's pages show them as they change.",
	run_note,
	note_options,
};

/* tag and untag: SWEEP TAG... */
static int run_tags(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	int args, code = cli_options(cli, cmd, argc, argv, NULL, NULL, &args);
	long long id;
	char done[64];
	cJSON *req, *tags;

	if (code || (code = cli_operands(cli, argc - args, 2, argc)))
		return code;
	if ((id = cli_parse_id(argv[args])) < 0)
		return cli_usage(cli, "%s: expected a sweep id (a positive number)", argv[args]);
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", cmd->name);
	cJSON_AddNumberToObject(req, "sweep", (double)id);
	tags = cJSON_AddArrayToObject(req, "tags");
	for (int i = args + 1; i < argc; i++)
		cJSON_AddItemToArray(tags, cJSON_CreateString(argv[i]));
	snprintf(done, sizeof done, "sweep %lld %s", id, cmd == &cmd_tag ? "tagged" : "untagged");
	return send_and_say(cli, req, done);
}

static int run_tag(struct cli *cli, int argc, char **argv)
{
	return run_tags(cli, &cmd_tag, argc, argv);
}

static int run_untag(struct cli *cli, int argc, char **argv)
{
	return run_tags(cli, &cmd_untag, argc, argv);
}

const struct command cmd_tag = {
	"tag", "SWEEP TAG...",
	"Adds tags to a sweep, shown by 'caviar ls'.\n"
	"A tag is a word without spaces or commas; they are in the tags table.",
	run_tag,
	NULL,
};

const struct command cmd_untag = {"untag", "SWEEP TAG...", "Removes tags from a sweep.",
				  run_untag, NULL};
