/* line: parses one line a worker wrote on stdout into curve points or an event.
 * Pure and bounded (no I/O, no allocation beyond the parsed JSON and, for a
 * line with bare NaN or Infinity in it, a copy of the line), so it can be
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

/* A metric printed as NaN or an infinity (see worker_proto.h): not a point. */
struct line_nonfinite {
	const char *name;  /* points into the parsed JSON */
	const char *value; /* "nan", "inf" or "-inf" */
};

struct worker_line {
	enum line_kind kind;
	int epoch;          /* >= 0; events without one get -1 */
	int64_t step;       /* 0 when absent */
	const char *event;  /* LINE_EVENT: the event's name (WORKER_PROTO_DIVERGED...) */
	struct line_metric metrics[LINE_MAX_METRICS];
	int n_metrics;
	struct line_nonfinite nonfinite[LINE_MAX_METRICS]; /* LINE_METRICS: in line order */
	int n_nonfinite;    /* n_metrics + n_nonfinite <= LINE_MAX_METRICS, > 0 */
	cJSON *json;        /* owned; line_finish frees it */
};

/* Parses len bytes. Returns 0, or -1 with a message in err: not JSON, not an
 * object, no or bad "epoch", no numeric metric, too many metrics. A metric
 * written as NaN or an infinity, in any of the ways worker_proto.h lists, is
 * put in nonfinite, not metrics; other non-numeric fields of a metrics line
 * are ignored. l needs line_finish either way. */
int line_parse(struct worker_line *l, const char *text, size_t len, char *err, size_t errlen);
void line_finish(struct worker_line *l);

#endif
