/* cmd_steer: the commands that steer a trial while it trains ("panda"):
 * adjust (change a running trial's hyperparameters from its next step) and
 * fork (a new trial from a trial's checkpoint of an epoch, with changes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "proto.h"

int cli_parse_changes(const struct cli *cli, int argc, char **argv, cJSON *set)
{
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char *name, *end;
		double x;

		if (!eq || eq == argv[i] || !eq[1])
			return cli_usage(cli, "%s: expected name=value", argv[i]);
		name = strndup(argv[i], (size_t)(eq - argv[i]));
		x = strtod(eq + 1, &end);
		cJSON_DeleteItemFromObjectCaseSensitive(set, name);
		if (*end == '\0' && isfinite(x))
			cJSON_AddNumberToObject(set, name, x);
		else if (strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "false") == 0)
			cJSON_AddBoolToObject(set, name, eq[1] == 't');
		else
			cJSON_AddStringToObject(set, name, eq + 1);
		free(name);
	}
	return 0;
}

/* "lr 0.02 -> 0.01, batch 128 -> 64" from {"lr": [0.02, 0.01], ...}. */
static void print_changes(const cJSON *changes)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, changes) {
		char *old = cli_cell(cJSON_GetArrayItem(c, 0));
		char *new = cli_cell(cJSON_GetArrayItem(c, 1));

		printf("%s%s %s -> %s", c == changes->child ? "" : ", ", c->string, old, new);
		free(old);
		free(new);
	}
}

int cli_set_flag(void *ctx, int c, const char *arg)
{
	(void)c, (void)arg;
	*(int *)ctx = 1;
	return 0;
}

int cli_adjust(struct cli *cli, long long trial, cJSON *set, int force)
{
	cJSON *req = proto_request(PROTO_ADJUST), *reply;
	int code;

	cJSON_AddNumberToObject(req, "trial", (double)trial);
	cJSON_AddItemToObject(req, "set", set);
	if (force)
		cJSON_AddTrueToObject(req, "force");
	if (!(reply = cli_call(cli, req, &code)))
		return code;
	if (cli->json) {
		cli_print_json(reply);
		return EXIT_OK;
	}
	printf("trial %lld: ", trial);
	print_changes(query_get(reply, "changes"));
	printf(" (after epoch %.0f, step %.0f)\n", query_num(reply, "epoch", 0),
	       query_num(reply, "step", 0));
	cJSON_Delete(reply);
	return EXIT_OK;
}

/* The operands TRIAL NAME=VALUE...: *id and a new object *set of the changes
 * (the caller's). Returns 0 or an exit code after a usage error. */
static int trial_and_changes(const struct cli *cli, int argc, char **argv, long long *id,
			     cJSON **set)
{
	int code;

	if ((*id = cli_parse_id(argv[0])) < 0)
		return cli_usage(cli, "%s: expected a trial id (a positive number)", argv[0]);
	*set = cJSON_CreateObject();
	if ((code = cli_parse_changes(cli, argc - 1, argv + 1, *set))) {
		cJSON_Delete(*set);
		*set = NULL;
	}
	return code;
}

static int run_adjust(struct cli *cli, int argc, char **argv)
{
	int force = 0, args;
	int code = cli_options(cli, &cmd_adjust, argc, argv, cli_set_flag, &force, &args);
	long long id;
	cJSON *set = NULL;

	if (code || (code = cli_operands(cli, argc - args, 2, argc)) ||
	    (code = trial_and_changes(cli, argc - args, argv + args, &id, &set)))
		return code;
	return cli_adjust(cli, id, set, force);
}

static const struct cli_option adjust_options[] = {
	{0, "force", 'f', NULL, "Accept values outside the spec's range."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_adjust = {
	"adjust", "TRIAL [--force] NAME=VALUE...",
	"Changes a running trial's hyperparameters from its next step.\n"
	"caviard checks each value against the spec's rules and sends the change to the trial's "
	"program, which applies all of them or none and says so; the reply waits for that answer "
	"(up to caviard's --answer-wait, 30 s by default). A value must be of its parameter's kind "
	"(int: whole, log: > 0, reverse_log: in (0, 1)) and within its range in the spec (--force: "
	"outside it too); a parameter marked \"steer\": false is structural and refused, as are the "
	"names the built-in worker's task does not adjust (layers, units, epochs and the like: "
	"caviard refuses them itself; README.md lists the adjustable ones). Applied changes are recorded (the adjustments table, 'caviar show TRIAL') and "
	"kept if the trial is interrupted and resumed. A value that reads as a number is one; "
	"true and false are booleans; anything else is a string.",
	run_adjust,
	adjust_options,
};

struct fork_options {
	long long epoch;
	int force;
};

static int fork_opt(void *ctx, int c, const char *arg)
{
	struct fork_options *o = ctx;

	if (c == 'f')
		o->force = 1;
	else
		o->epoch = cli_parse_id(arg);
	return 0;
}

static int run_fork(struct cli *cli, int argc, char **argv)
{
	struct fork_options o = {0};
	int args, code = cli_options(cli, &cmd_fork, argc, argv, fork_opt, &o, &args);
	long long id, epoch = o.epoch;
	cJSON *req, *set = NULL, *reply;

	if (code || (code = cli_operands(cli, argc - args, 1, argc)))
		return code;
	if (epoch < 0)
		return cli_usage(cli, "--epoch: expected a positive number");
	if ((code = trial_and_changes(cli, argc - args, argv + args, &id, &set)))
		return code;
	req = proto_request(PROTO_FORK);
	cJSON_AddNumberToObject(req, "trial", (double)id);
	if (epoch > 0)
		cJSON_AddNumberToObject(req, "epoch", (double)epoch);
	if (o.force)
		cJSON_AddTrueToObject(req, "force");
	if (set->child)
		cJSON_AddItemToObject(req, "set", set);
	else
		cJSON_Delete(set);
	if (!(reply = cli_call(cli, req, &code)))
		return code;
	if (cli->json) {
		cli_print_json(reply);
		return EXIT_OK;
	}
	printf("trial %.0f (sweep %.0f) forked from trial %lld at epoch %.0f\n",
	       query_num(reply, "trial", 0), query_num(reply, "sweep", 0), id,
	       query_num(reply, "epoch", 0));
	cJSON_Delete(reply);
	return EXIT_OK;
}

static const struct cli_option fork_options[] = {
	{0, "epoch", 'e', "K", "Start from the checkpoint of epoch K (default: the latest)."},
	{0, "force", 'f', NULL, "Accept values outside the spec's range."},
	{0, NULL, 0, NULL, NULL},
};

const struct command cmd_fork = {
	"fork", "TRIAL [--epoch K] [--force] [NAME=VALUE...]",
	"Starts a new trial from a trial's checkpoint of epoch K, with changes.\n"
	"The new trial belongs to the same sweep (its budget grows by one) and starts from TRIAL's "
	"checkpoint after epoch K (default: its latest), with TRIAL's hyperparameters as they were "
	"then and the changes given: \"go back to yesterday's weights\". It records epochs K+1 "
	"onward; its curve up to K is its parent's (the lineage_points view). Which epochs of a "
	"trial can be forked is the sweep's \"keep_checkpoints\" (default: the latest and the "
	"best). The changes are checked as adjust's are (--force: outside the spec's range too).",
	run_fork,
	fork_options,
};
