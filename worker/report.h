/* report: how the worker speaks to the daemon. One JSON object per line on
 * stdout, flushed at once so curves stream while training:
 *   metrics:  {"epoch": 3, "step": 1266, "train_loss": 0.41, "val_acc": 0.86, ...}
 *   events:   {"event": "diverged", "epoch": 3, "step": 1200, "metric": "train_loss",
 *              "value": "nan"}
 *             {"event": "resumed", "epoch": 2}   (checkpoint loaded; epochs > 2 follow)
 *             {"event": "stopped", "epoch": 2}   (SIGTERM; checkpoint saved)
 * Lines with "event" carry no metrics. Non-finite numbers never reach the
 * output (NaN is not JSON): they are written as strings. */
#ifndef CAVIAR_REPORT_H
#define CAVIAR_REPORT_H

#include <cjson/cJSON.h>

/* A new metrics record for epoch (and step, when step >= 0); add numbers with
 * report_add, then report_emit it. */
cJSON *report_record(int epoch, long step);
/* A new event record {"event": name, "epoch": epoch}. */
cJSON *report_event(const char *name, int epoch);
/* Adds name: value, as a string ("nan", "inf", "-inf") when not finite. */
void report_add(cJSON *rec, const char *name, double value);
/* Prints rec as one line on stdout, flushes, and deletes rec. */
void report_emit(cJSON *rec);

#endif
