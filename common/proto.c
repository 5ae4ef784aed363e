/* proto: the default paths and the socket vocabulary (see proto.h). */
#include "proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

int proto_default_socket(char *buf, size_t n)
{
	const char *env = getenv("CAVIAR_SOCKET");
	const char *run = getenv("XDG_RUNTIME_DIR");
	int len;

	if (env && *env)
		len = snprintf(buf, n, "%s", env);
	else if (run && *run)
		len = snprintf(buf, n, "%s/caviar/caviard.sock", run);
	else
		len = snprintf(buf, n, "/tmp/caviar-%u/caviard.sock", (unsigned)getuid());
	return (len < 0 || (size_t)len >= n) ? -1 : 0;
}

int proto_default_db(char *buf, size_t n)
{
	const char *data = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int len;

	if (data && *data)
		len = snprintf(buf, n, "%s/caviar/caviar.db", data);
	else
		len = snprintf(buf, n, "%s/.local/share/caviar/caviar.db", home ? home : ".");
	return (len < 0 || (size_t)len >= n) ? -1 : 0;
}

static const struct {
	const char *name;
	unsigned fields;
} commands[PROTO_CMD_COUNT] = {
	[PROTO_SUBMIT] = {"submit", PROTO_NEED_SPEC},
	[PROTO_LS] = {"ls", 0},
	[PROTO_TOP] = {"top", PROTO_NEED_SWEEP | PROTO_OPT_N},
	[PROTO_STATUS] = {"status", 0},
	[PROTO_WAIT] = {"wait", PROTO_NEED_SWEEP},
	[PROTO_CANCEL] = {"cancel", PROTO_SWEEP_OR_TRIAL},
	[PROTO_PAUSE] = {"pause", PROTO_NEED_SWEEP},
	[PROTO_RESUME] = {"resume", PROTO_NEED_SWEEP},
	[PROTO_SHUTDOWN] = {"shutdown", 0},
	[PROTO_SUBSCRIBE] = {"subscribe", PROTO_OPT_SWEEP},
	[PROTO_SLOTS] = {"slots", PROTO_NEED_N},
	[PROTO_EXTEND] = {"extend", PROTO_NEED_SWEEP | PROTO_NEED_N},
	[PROTO_RM] = {"rm", PROTO_NEED_SWEEP | PROTO_OPT_FORCE},
	[PROTO_NOTE] = {"note", PROTO_SWEEP_OR_TRIAL | PROTO_NEED_TEXT},
	[PROTO_TAG] = {"tag", PROTO_NEED_SWEEP | PROTO_NEED_TAGS},
	[PROTO_UNTAG] = {"untag", PROTO_NEED_SWEEP | PROTO_NEED_TAGS},
	[PROTO_ADJUST] = {"adjust", PROTO_NEED_TRIAL | PROTO_NEED_SET | PROTO_OPT_FORCE},
	[PROTO_FORK] = {"fork", PROTO_NEED_TRIAL | PROTO_OPT_SET | PROTO_OPT_EPOCH | PROTO_OPT_FORCE},
	[PROTO_PARETO] = {"pareto", PROTO_NEED_SWEEP},
};

static const char *const events[PROTO_EV_COUNT] = {
	[PROTO_EV_SNAPSHOT] = "snapshot",
	[PROTO_EV_TRIAL_STARTED] = "trial_started",
	[PROTO_EV_PROGRESS] = "progress",
	[PROTO_EV_TRIAL_ENDED] = "trial_ended",
	[PROTO_EV_ADJUSTED] = "adjusted",
	[PROTO_EV_SWEEP_STARTED] = "sweep_started",
	[PROTO_EV_SWEEP_PAUSED] = "sweep_paused",
	[PROTO_EV_SWEEP_RESUMED] = "sweep_resumed",
	[PROTO_EV_SWEEP_STOPPING] = "sweep_stopping",
	[PROTO_EV_SWEEP_ENDED] = "sweep_ended",
	[PROTO_EV_NOTE] = "note",
};

static const char *const errors[PROTO_E_COUNT] = {
	[PROTO_E_REFUSED] = "refused",
	[PROTO_E_BAD_REQUEST] = "bad_request",
	[PROTO_E_BAD_VERSION] = "bad_version",
	[PROTO_E_UNKNOWN_CMD] = "unknown_command",
	[PROTO_E_NOT_FOUND] = "not_found",
	[PROTO_E_BAD_SPEC] = "bad_spec",
	[PROTO_E_BUSY] = "busy",
	[PROTO_E_DB] = "db_error",
	[PROTO_E_UNAVAILABLE] = "unavailable",
	[PROTO_E_SHUTTING_DOWN] = "shutting_down",
};

const char *proto_cmd_name(enum proto_cmd cmd)
{
	return cmd < PROTO_CMD_COUNT ? commands[cmd].name : "?";
}

unsigned proto_cmd_fields(enum proto_cmd cmd)
{
	return cmd < PROTO_CMD_COUNT ? commands[cmd].fields : 0;
}

int proto_cmd_find(const char *name)
{
	for (int i = 0; i < PROTO_CMD_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return i;
	return -1;
}

const char *proto_field_key(enum proto_field f)
{
	switch (f) {
	case PROTO_NEED_SWEEP: case PROTO_OPT_SWEEP: return "sweep";
	case PROTO_NEED_SPEC: return "spec";
	case PROTO_OPT_N: case PROTO_NEED_N: return "n";
	case PROTO_SWEEP_OR_TRIAL: return "sweep|trial";
	case PROTO_OPT_FORCE: return "force";
	case PROTO_NEED_TEXT: return "text";
	case PROTO_NEED_TAGS: return "tags";
	case PROTO_NEED_TRIAL: return "trial";
	case PROTO_NEED_SET: case PROTO_OPT_SET: return "set";
	case PROTO_OPT_EPOCH: return "epoch";
	}
	return "?";
}

int proto_field_required(enum proto_field f)
{
	return !(f & (PROTO_OPT_SWEEP | PROTO_OPT_N | PROTO_OPT_FORCE | PROTO_OPT_SET |
		      PROTO_OPT_EPOCH));
}

const char *proto_event_name(enum proto_event ev)
{
	return ev < PROTO_EV_COUNT ? events[ev] : "?";
}

int proto_event_find(const char *name)
{
	for (int i = 0; i < PROTO_EV_COUNT; i++)
		if (strcmp(events[i], name) == 0)
			return i;
	return -1;
}

const char *proto_error_name(int code)
{
	return code > 0 && code < PROTO_E_COUNT ? errors[code] : errors[PROTO_E_REFUSED];
}

cJSON *proto_request(enum proto_cmd cmd)
{
	cJSON *req = cJSON_CreateObject();

	cJSON_AddStringToObject(req, "cmd", proto_cmd_name(cmd));
	return req;
}
