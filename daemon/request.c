/* request: client request parsing and validation (see request.h). */
#include "request.h"

#include <math.h>
#include <string.h>

#include "errbuf.h"

/* A malformed request: -1 from a check becomes -PROTO_E_BAD_REQUEST. */
static int bad(int rc)
{
	return rc < 0 ? -PROTO_E_BAD_REQUEST : rc;
}

/* A positive whole number field: 0 when absent (and allowed), else -1 with err. */
static int get_count(const cJSON *json, const char *key, int required, int64_t *out, char *err,
		     size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, key);

	*out = 0;
	if (!v && !required)
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1) || v->valuedouble > 9e15 ||
	    v->valuedouble != floor(v->valuedouble))
		return err_set(err, errlen, "\"%s\": expected a positive integer", key);
	*out = (int64_t)v->valuedouble;
	return 0;
}

/* "tags": a non-empty array of tags, each a non-empty string without spaces
 * or commas, at most REQUEST_MAX_TAG bytes. */
static int get_tags(struct request *r, char *err, size_t errlen)
{
	const cJSON *t;

	r->tags = cJSON_GetObjectItemCaseSensitive(r->json, "tags");
	if (!cJSON_IsArray(r->tags) || !r->tags->child)
		return err_set(err, errlen, "\"tags\": expected a non-empty array of strings");
	cJSON_ArrayForEach(t, r->tags)
		if (!cJSON_IsString(t) || !t->valuestring[0] ||
		    strlen(t->valuestring) > REQUEST_MAX_TAG || strpbrk(t->valuestring, " ,\t\n"))
			return err_set(err, errlen, "\"tags\": a tag is a word of 1 to %d bytes "
				       "without spaces or commas", REQUEST_MAX_TAG);
	return 0;
}

/* "set": an object of 1 to REQUEST_MAX_SET hyperparameters, each a number, a
 * string or a boolean (whether the trial takes them is the daemon's to say). */
static int get_set(struct request *r, int required, char *err, size_t errlen)
{
	const cJSON *v;
	int n = 0;

	r->set = cJSON_GetObjectItemCaseSensitive(r->json, "set");
	if (!r->set && !required)
		return 0;
	if (!cJSON_IsObject(r->set) || (required && !r->set->child))
		return err_set(err, errlen, "\"set\": expected an object of name: value%s",
			       required ? ", not empty" : "");
	cJSON_ArrayForEach(v, r->set) {
		if (!v->string[0])
			return err_set(err, errlen, "\"set\": a name is empty");
		if (!cJSON_IsNumber(v) && !cJSON_IsString(v) && !cJSON_IsBool(v))
			return err_set(err, errlen, "\"set\".%s: expected a number, a string or "
				       "a boolean", v->string);
		if (++n > REQUEST_MAX_SET)
			return err_set(err, errlen, "\"set\": at most %d names", REQUEST_MAX_SET);
	}
	if (!r->set->child)
		r->set = NULL;
	return 0;
}

/* The optional fields: "force" (a boolean) and "text" (a string). */
static int get_flags(struct request *r, unsigned fields, char *err, size_t errlen)
{
	const cJSON *v;

	if (fields & PROTO_OPT_FORCE) {
		v = cJSON_GetObjectItemCaseSensitive(r->json, "force");
		if (v && !cJSON_IsBool(v))
			return err_set(err, errlen, "\"force\": expected true or false");
		r->force = cJSON_IsTrue(v);
	}
	if (fields & PROTO_NEED_TEXT) {
		v = cJSON_GetObjectItemCaseSensitive(r->json, "text");
		if (!cJSON_IsString(v) || strlen(v->valuestring) > REQUEST_MAX_NOTE)
			return err_set(err, errlen, "\"text\": expected a string of at most %d bytes",
				       REQUEST_MAX_NOTE);
		r->text = v->valuestring;
	}
	if ((fields & (PROTO_NEED_SET | PROTO_OPT_SET)) && get_set(r, fields & PROTO_NEED_SET, err, errlen) < 0)
		return -1;
	return fields & PROTO_NEED_TAGS ? get_tags(r, err, errlen) : 0;
}

static int get_fields(struct request *r, unsigned fields, char *err, size_t errlen)
{
	if ((fields & (PROTO_NEED_SWEEP | PROTO_OPT_SWEEP)) &&
	    get_count(r->json, "sweep", fields & PROTO_NEED_SWEEP, &r->sweep, err, errlen) < 0)
		return -1;
	if ((fields & PROTO_NEED_TRIAL) && get_count(r->json, "trial", 1, &r->trial, err, errlen) < 0)
		return -1;
	if ((fields & PROTO_OPT_EPOCH) && get_count(r->json, "epoch", 0, &r->epoch, err, errlen) < 0)
		return -1;
	if ((fields & (PROTO_NEED_N | PROTO_OPT_N)) &&
	    get_count(r->json, "n", fields & PROTO_NEED_N, &r->n, err, errlen) < 0)
		return -1;
	if (fields & PROTO_SWEEP_OR_TRIAL) {
		int has_trial = cJSON_GetObjectItemCaseSensitive(r->json, "trial") != NULL;

		if (get_count(r->json, has_trial ? "trial" : "sweep", 1,
			      has_trial ? &r->trial : &r->sweep, err, errlen) < 0)
			return -1;
	}
	if (fields & PROTO_NEED_SPEC) {
		r->spec = cJSON_GetObjectItemCaseSensitive(r->json, "spec");
		if (!cJSON_IsObject(r->spec))
			return err_set(err, errlen, "\"spec\": expected a JSON object");
	}
	return get_flags(r, fields, err, errlen);
}

int request_parse(struct request *r, const char *text, size_t len, char *err, size_t errlen)
{
	const cJSON *cmd, *v;
	const char *end = NULL;
	int i;

	memset(r, 0, sizeof *r);
	r->json = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!r->json)
		return bad(err_set(err, errlen, "request is not valid JSON"));
	while (end < text + len && (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	if (end < text + len)
		return bad(err_set(err, errlen, "request has text after its JSON object, at "
				   "byte %zu", (size_t)(end - text)));
	if (!cJSON_IsObject(r->json))
		return bad(err_set(err, errlen, "request is not a JSON object"));
	v = cJSON_GetObjectItemCaseSensitive(r->json, "v");
	if (v && (!cJSON_IsNumber(v) || v->valuedouble != PROTO_VERSION)) {
		err_set(err, errlen, "protocol version %g not supported (daemon speaks %d)",
			cJSON_IsNumber(v) ? v->valuedouble : -1.0, PROTO_VERSION);
		return -PROTO_E_BAD_VERSION;
	}
	cmd = cJSON_GetObjectItemCaseSensitive(r->json, "cmd");
	if (!cJSON_IsString(cmd))
		return bad(err_set(err, errlen, "\"cmd\": expected a string"));
	if ((i = proto_cmd_find(cmd->valuestring)) < 0) {
		err_set(err, errlen, "unknown command \"%.64s\"", cmd->valuestring);
		return -PROTO_E_UNKNOWN_CMD;
	}
	r->cmd = (enum proto_cmd)i;
	return bad(get_fields(r, proto_cmd_fields(r->cmd), err, errlen));
}

void request_finish(struct request *r)
{
	cJSON_Delete(r->json);
	r->json = NULL;
}
