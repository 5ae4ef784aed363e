/* report: the worker's writer of the line protocol to the daemon, defined in
 * common/worker_proto.h (line kinds, fields, events, non-finite numbers). One
 * JSON object per line on stdout, flushed at once so curves stream while
 * training; and the curve log kept beside a checkpoint. */
#ifndef CAVIAR_REPORT_H
#define CAVIAR_REPORT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "worker_proto.h"

/* A new metrics record for epoch (and step, when step >= 0); add numbers with
 * report_add, then report_emit it. */
cJSON *report_record(int epoch, long step);
/* A new event record {"event": name, "epoch": epoch}; name is one of
 * WORKER_PROTO_DIVERGED, _RESUMED, _STOPPED. */
cJSON *report_event(const char *name, int epoch);
/* Adds name: value, as a string ("nan", "inf", "-inf": worker_proto_nonfinite)
 * when not finite. */
void report_add(cJSON *rec, const char *name, double value);
/* Prints rec as one line on stdout, flushes, and deletes rec. */
void report_emit(cJSON *rec);

/* The curve so far, kept beside a checkpoint (PATH.curve): a resumed worker
 * prints it again, so a daemon that died before recording the last lines it
 * was sent still ends up with the whole curve (points are keyed by metric,
 * epoch and step, so a line seen twice counts once). Lines are appended as
 * they are printed; a save only makes them durable, so the cost of a
 * checkpoint does not grow with the length of the curve. */
struct report_log {
	FILE *f; /* PATH.curve, open for appending; NULL: no log */
};

/* Opens checkpoint.curve. upto < 0: a fresh run, the file starts empty.
 * upto >= 0: a resumed run: prints again the lines of epochs <= upto, keeps
 * only those, and appends after them. Returns 0 or WORKER_EXIT_IO. */
int report_log_open(struct report_log *log, const char *checkpoint, int upto, char *err,
		    size_t errlen);
void report_log_finish(struct report_log *log); /* accepts a zeroed struct */
/* report_emit that also appends the line to log (when it is open). */
void report_emit_logged(struct report_log *log, cJSON *rec);
/* Writes out the lines appended so far, and with `durable` syncs them to disk
 * (the trainer's checkpoints are; a synthetic run is cheap to redo). Returns 0
 * or WORKER_EXIT_IO. */
int report_log_save(struct report_log *log, int durable, char *err, size_t errlen);

#endif
