/* line: worker line parsing (see line.h; the protocol: common/worker_proto.h). */
#include "line.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errbuf.h"
#include "xalloc.h"

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

/* "nan", "inf" or "-inf" when the n bytes at s are a way of writing a
 * non-finite number (NaN, nan, Infinity, -Infinity, inf, -inf, any case, an
 * optional sign), else NULL. */
static const char *nonfinite_word(const char *s, size_t n)
{
	int sign = n > 0 && (s[0] == '-' || s[0] == '+');
	const char *w = s + sign;

	n -= (size_t)sign;
	if (n == 3 && strncasecmp(w, "nan", 3) == 0)
		return WORKER_PROTO_NAN;
	if ((n == 3 && strncasecmp(w, "inf", 3) == 0) || (n == 8 && strncasecmp(w, "infinity", 8) == 0))
		return s[0] == '-' ? WORKER_PROTO_NEG_INF : WORKER_PROTO_INF;
	return NULL;
}

static int in_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '+' || c == '.';
}

/* Appends k bytes of s at out + *n (out NULL: only counts them). */
static void put(char *out, size_t *n, const char *s, size_t k)
{
	if (out)
		memcpy(out + *n, s, k);
	*n += k;
}

/* Copies len bytes of text to out (NULL: only measures) with every bare
 * non-finite word outside strings (NaN, Infinity...: not JSON, but what
 * Python's json.dumps and printf write) quoted as the string "nan", "inf" or
 * "-inf", which parse_metrics reads back. Returns the bytes it takes, and in
 * *quoted how many words were quoted. */
static size_t quote_nonfinite(const char *text, size_t len, char *out, int *quoted)
{
	size_t n = 0, i = 0, j;
	int in_string = 0;
	const char *w;

	*quoted = 0;
	while (i < len) {
		if (in_string || !in_word(text[i])) {
			if (in_string && text[i] == '\\' && i + 1 < len)
				put(out, &n, text + i++, 1); /* the escaped byte follows */
			else if (text[i] == '"')
				in_string = !in_string;
			put(out, &n, text + i++, 1);
			continue;
		}
		for (j = i; j < len && in_word(text[j]); j++)
			;
		if ((w = nonfinite_word(text + i, j - i)) != NULL) {
			put(out, &n, "\"", 1);
			put(out, &n, w, strlen(w));
			put(out, &n, "\"", 1);
			++*quoted;
		} else {
			put(out, &n, text + i, j - i);
		}
		i = j;
	}
	return n;
}

/* The line parsed, its bare non-finite words quoted first if it has any. */
static cJSON *parse_json(const char *text, size_t len)
{
	int quoted;
	size_t n = quote_nonfinite(text, len, NULL, &quoted);
	char *copy;
	cJSON *json;

	if (!quoted)
		return cJSON_ParseWithLength(text, len);
	copy = xmalloc(n);
	quote_nonfinite(text, len, copy, &quoted);
	json = cJSON_ParseWithLength(copy, n);
	free(copy);
	return json;
}

/* A metric's value: finite (returns NULL), or how it is non-finite: a number
 * that overflowed (1e999), or a string such as "nan" (bare words were quoted). */
static const char *metric_nonfinite(const cJSON *item)
{
	if (cJSON_IsNumber(item))
		return isfinite(item->valuedouble) ? NULL : worker_proto_nonfinite(item->valuedouble);
	return nonfinite_word(item->valuestring, strlen(item->valuestring));
}

static int parse_metrics(struct worker_line *l, char *err, size_t errlen)
{
	const cJSON *item;
	const char *nonfinite;

	cJSON_ArrayForEach(item, l->json) {
		if ((!cJSON_IsNumber(item) && !cJSON_IsString(item)) ||
		    strcmp(item->string, WORKER_PROTO_EPOCH) == 0 ||
		    strcmp(item->string, WORKER_PROTO_STEP) == 0)
			continue;
		nonfinite = metric_nonfinite(item);
		if (!nonfinite && !cJSON_IsNumber(item))
			continue; /* a string that is not a number */
		if (l->n_metrics + l->n_nonfinite == LINE_MAX_METRICS)
			return err_set(err, errlen, "more than %d metrics", LINE_MAX_METRICS);
		if (nonfinite) {
			l->nonfinite[l->n_nonfinite].name = item->string;
			l->nonfinite[l->n_nonfinite++].value = nonfinite;
		} else {
			l->metrics[l->n_metrics].name = item->string;
			l->metrics[l->n_metrics++].value = item->valuedouble;
		}
	}
	return l->n_metrics + l->n_nonfinite ? 0 : err_set(err, errlen, "no numeric metric");
}

int line_parse(struct worker_line *l, const char *text, size_t len, char *err, size_t errlen)
{
	const cJSON *event;

	memset(l, 0, sizeof *l);
	l->json = parse_json(text, len);
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
