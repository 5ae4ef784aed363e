/* line: parses one line a worker wrote on stdout into curve points or an event.
 * Pure and bounded (no I/O, no allocation beyond the parsed JSON), so it can be
 * unit-tested and fuzzed. The protocol is described in worker/report.h:
 *   {"epoch": 3, "step": 1266, "train_loss": 0.41, ...}  metrics
 *   {"event": "diverged", "epoch": 3, ...}                 an event */
#ifndef CAVIAR_LINE_H
#define CAVIAR_LINE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define LINE_MAX_METRICS 64

enum line_kind { LINE_METRICS, LINE_EVENT };

struct line_metric {
	const char *name; /* points into the parsed JSON */
	double value;     /* finite */
};

struct worker_line {
	enum line_kind kind;
	int epoch;          /* >= 0; events without one get -1 */
	int64_t step;       /* 0 when absent */
	const char *event;  /* LINE_EVENT: the event's name */
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
