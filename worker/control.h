/* control: the worker's reader of what caviard writes on its stdin (the
 * control lines of common/worker_proto.h, version 2). With `--config -` the
 * trial configuration is the first JSON object there; the lines after it are
 * {"adjust": {...}, "id": N}, polled between optimizer steps without blocking
 * the loop. Each change is checked against the hparams table's rules and the
 * running task's list of what may change, written into the trial's
 * configuration all or nothing, and answered with one "adjusted" or
 * "adjust_refused" event (report.h). It also turns the adjustable values into
 * the text a checkpoint carries and back. It knows nothing about training:
 * the task says what may change and applies it (struct control_task). */
#ifndef CAVIAR_CONTROL_H
#define CAVIAR_CONTROL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "linebuf.h"

struct control {
	int fd;           /* -1: no more control lines (end of file, or none) */
	struct linebuf lb;
	char *rest;       /* bytes read after the configuration, not yet handed out */
	size_t n_rest;
	double next_poll; /* monotonic seconds: stdin is polled no sooner */
};

/* The running task: what it lets change and how it takes a change. */
struct control_task {
	cJSON *cfg; /* the trial's configuration, the task's own copy: its values are
	             * the current ones (absent keys: the hparams defaults) */
	/* 0 when name may change while training, else -1 with a message naming
	 * it in err (err may be NULL): "layers: structural, cannot change while
	 * training". name is a row of the hparams table. */
	int (*allowed)(void *ctx, const char *name, char *err, size_t errlen);
	/* Called once after a control line's changes were written into cfg. */
	void (*apply)(void *ctx, const cJSON *cfg);
	void *ctx;
};

/* Reads fd up to the end of its first JSON value (where its brackets
 * balance; a value without brackets ends with its line) or to end of file,
 * keeping the bytes after it in c for control_poll; c is then open on fd.
 * Returns that text, NUL-terminated (the caller frees; *len its length),
 * or NULL on a read error. Invalid JSON ends there too: it never waits for
 * more input than the value. */
char *control_read_config(struct control *c, int fd, size_t *len);

/* Opens c on fd with nothing read yet (the configuration came from a file). */
void control_open(struct control *c, int fd);
void control_finish(struct control *c); /* frees; does not close fd; accepts zeroed */

/* When c is open and WORKER_PROTO_CONTROL_MS passed since the last poll,
 * reads what stdin holds without blocking and answers every complete control
 * line: "adjusted" (epoch and step are where training is: epochs completed,
 * optimizer steps taken; also kept in log, the curve log, when it is open,
 * so that a resumed run prints it again for a caviard that missed it) or
 * "adjust_refused". End of file closes c quietly. c may be NULL (no control
 * lines). Returns the number of lines applied. */
struct report_log;
int control_poll(struct control *c, const struct control_task *task, struct report_log *log,
		 int epoch, long step);

/* The current values of the names the task lets change, as one line of JSON
 * (malloc'd), for its checkpoint. */
char *control_values_save(const struct control_task *task);

/* Writes the values saved by control_values_save into the task's cfg and
 * calls apply. Returns 0, or -1 with "values: ..." in err for text that is
 * not such an object or a value the rules refuse. */
int control_values_load(const struct control_task *task, const char *text, char *err,
			size_t errlen);

#endif
