/* line: parses one line a worker wrote on stdout into curve points or an event.
 * Pure and bounded (no I/O, no allocation beyond the parsed JSON), so it can be
 * unit-tested and fuzzed. The protocol, its line kinds and fields, is defined
 * in common/worker_proto.h; this is its reader. */
#ifndef CAVIAR_LINE_H
#define CAVIAR_LINE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "worker_proto.h"

#define LINE_MAX_METRICS WORKER_PROTO_MAX_METRICS

enum line_kind { LINE_METRICS, LINE_EVENT };

struct line_metric {
	const char *name; /* points into the parsed JSON */
	double value;     /* finite */
};

struct worker_line {
	enum line_kind kind;
	int epoch;          /* >= 0; events without one get -1 */
	int64_t step;       /* 0 when absent */
	const char *event;  /* LINE_EVENT: the event's name (WORKER_PROTO_DIVERGED...) */
	struct line_metric metrics[LINE_MAX_METRICS];
	int n_metrics;
	cJSON *json;        /* owned; line_finish frees it */
};

/* Parses len bytes. Returns 0, or -1 with a message in err: not JSON, not an
 * object, no or bad "epoch", no numeric metric, too many metrics. Non-numeric
 * fields of a metrics line are ignored. l needs line_finish either way. */
int line_parse(struct worker_line *l, const char *text, size_t len, char *err, size_t errlen);
void line_finish(struct worker_line *l);

#endif
