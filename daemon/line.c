/* line: worker line parsing (see line.h; the protocol: common/worker_proto.h). */
#include "line.h"

#include <math.h>
#include <string.h>

#include "errbuf.h"

static int is_count(const cJSON *v, double max)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= max &&
	       v->valuedouble == floor(v->valuedouble);
}

static int parse_position(struct worker_line *l, int need_epoch, char *err, size_t errlen)
{
	const cJSON *epoch = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_EPOCH);
	const cJSON *step = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_STEP);

	l->epoch = -1;
	if (epoch) {
		if (!is_count(epoch, 1e9))
			return err_set(err, errlen, "\"epoch\" must be a whole number >= 0");
		l->epoch = (int)epoch->valuedouble;
	} else if (need_epoch) {
		return err_set(err, errlen, "no \"epoch\"");
	}
	if (step) {
		if (!is_count(step, 9e15))
			return err_set(err, errlen, "\"step\" must be a whole number >= 0");
		l->step = (int64_t)step->valuedouble;
	}
	return 0;
}

static int parse_metrics(struct worker_line *l, char *err, size_t errlen)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, l->json) {
		if (!cJSON_IsNumber(item) || strcmp(item->string, WORKER_PROTO_EPOCH) == 0 ||
		    strcmp(item->string, WORKER_PROTO_STEP) == 0)
			continue;
		if (!isfinite(item->valuedouble))
			continue;
		if (l->n_metrics == LINE_MAX_METRICS)
			return err_set(err, errlen, "more than %d metrics", LINE_MAX_METRICS);
		l->metrics[l->n_metrics].name = item->string;
		l->metrics[l->n_metrics].value = item->valuedouble;
		l->n_metrics++;
	}
	return l->n_metrics ? 0 : err_set(err, errlen, "no numeric metric");
}

int line_parse(struct worker_line *l, const char *text, size_t len, char *err, size_t errlen)
{
	const cJSON *event;

	memset(l, 0, sizeof *l);
	l->json = cJSON_ParseWithLength(text, len);
	if (!l->json)
		return err_set(err, errlen, "not JSON");
	if (!cJSON_IsObject(l->json))
		return err_set(err, errlen, "not a JSON object");
	event = cJSON_GetObjectItemCaseSensitive(l->json, WORKER_PROTO_EVENT);
	if (event) {
		if (!cJSON_IsString(event) || !*event->valuestring)
			return err_set(err, errlen, "\"event\" must be a non-empty string");
		l->kind = LINE_EVENT;
		l->event = event->valuestring;
		return parse_position(l, 0, err, errlen);
	}
	l->kind = LINE_METRICS;
	if (parse_position(l, 1, err, errlen) < 0)
		return -1;
	return parse_metrics(l, err, errlen);
}

void line_finish(struct worker_line *l)
{
	cJSON_Delete(l->json);
	l->json = NULL;
}
