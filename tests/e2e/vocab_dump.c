/* vocab_dump: prints the socket vocabulary of common/proto.h (request names
 * and fields, event names, error codes) and the SQL of the reads that
 * sdk/caviar_client.py copies from common/query.c, and the parameter kinds of
 * common/spec.c with the scale each is drawn on, as one JSON object, for the
 * Python checks that compare them with the Python client, with
 * docs/protocol.md and with the dashboard's KINDS (vocab_check.py,
 * protocol_check.py, kinds_check.py). */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "proto.h"
#include "query.h"
#include "spec.h"

/* The reads the Python client copies, by the names it gives them. */
static const struct {
	const char *name;
	enum query_id id;
} copied[] = {
	{"QUERY_PROGRESS", QUERY_PROGRESS},         {"QUERY_SWEEP_BRIEF", QUERY_SWEEP_BRIEF},
	{"QUERY_TRIALS", QUERY_TRIALS},             {"QUERY_TRIAL", QUERY_TRIAL},
	{"QUERY_TRIAL_POINTS", QUERY_TRIAL_POINTS}, {"QUERY_TRIAL_METRIC", QUERY_TRIAL_METRIC},
	{"QUERY_LEADERBOARD", QUERY_LEADERBOARD},   {"QUERY_GOALS", QUERY_GOALS},
	{"QUERY_PARETO", QUERY_PARETO},
};

/* {"submit": {"spec": true}, "top": {"sweep": true, "n": false}, ...}: each
 * request's fields, true when required. */
static cJSON *requests(void)
{
	cJSON *out = cJSON_CreateObject();

	for (int i = 0; i < PROTO_CMD_COUNT; i++) {
		cJSON *fields = cJSON_AddObjectToObject(out, proto_cmd_name((enum proto_cmd)i));
		unsigned bits = proto_cmd_fields((enum proto_cmd)i);

		for (unsigned f = 1; f <= PROTO_FIELD_LAST; f <<= 1)
			if (bits & f)
				cJSON_AddBoolToObject(fields, proto_field_key((enum proto_field)f),
						      proto_field_required((enum proto_field)f));
	}
	return out;
}

int main(void)
{
	cJSON *out = cJSON_CreateObject(), *list, *sql;
	char *text;

	cJSON_AddNumberToObject(out, "version", PROTO_VERSION);
	cJSON_AddItemToObject(out, "requests", requests());
	list = cJSON_AddArrayToObject(out, "events");
	for (int i = 0; i < PROTO_EV_COUNT; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(proto_event_name((enum proto_event)i)));
	list = cJSON_AddArrayToObject(out, "codes");
	for (int i = PROTO_E_REFUSED; i < PROTO_E_COUNT; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(proto_error_name(i)));
	list = cJSON_AddObjectToObject(out, "kinds");
	for (int i = 0; spec_kind_name((enum param_kind)i); i++)
		cJSON_AddStringToObject(list, spec_kind_name((enum param_kind)i),
					spec_kind_scale((enum param_kind)i));
	sql = cJSON_AddObjectToObject(out, "sql");
	for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++)
		cJSON_AddStringToObject(sql, copied[i].name, query_text(copied[i].id));
	text = cJSON_Print(out);
	puts(text);
	free(text);
	cJSON_Delete(out);
	return 0;
}
