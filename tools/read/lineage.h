/* lineage: a trial's ancestry and hyperparameter schedule, for `caviar
 * lineage` and `caviar plot --lineage`. It reads the database through the
 * query module (the trial's parent links, each ancestor's params and its
 * adjustments, schema/006-panda.sql; the sweep's spec for each parameter's
 * scale) and assembles them; it prints and draws nothing. */
#ifndef CAVIAR_LINEAGE_H
#define CAVIAR_LINEAGE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "store.h"

/* The lineage of trial id, as a new object the caller deletes; NULL with err
 * ("no trial 42", or SQLite's message):
 *   {"trial_id": 12, "sweep_id": 3, "metric": "val_acc", "mode": "max",
 *    "chain": [{"trial_id", "number", "status", "from_epoch", "to_epoch",
 *               "parent_trial_id", "parent_epoch"}, ...],
 *    "params": [{"name": "lr", "scale": "log",
 *                "segments": [{"trial_id", "from_epoch", "to_epoch", "step",
 *                              "value", "source"}, ...]}, ...]}
 * chain: the first ancestor first, the trial last; each trained epochs
 * from_epoch+1 .. to_epoch of the lineage (an ancestor up to the epoch its
 * child was forked at, the trial up to its last epoch reported).
 * params: every hyperparameter the chain's params or adjustments name, the
 * spec's scale of each (spec_kind_name: "fixed" for one the spec does not
 * sample). A segment holds one value over epochs from_epoch+1 ..
 * to_epoch within one trial of the chain, set after `step` optimizer steps
 * (0: at the epoch's start) by source: "start" (the first ancestor's
 * params), "fork" (a fork's own params), or the adjustment's source ("user",
 * "pbt"). A new segment starts at every ancestor and at every change.
 * curve: [{"from_trial_id", "epoch", "value"}, ...], the objective along the
 * chain (each member's points within its epochs: the view lineage_points). */
cJSON *lineage_load(struct store *st, long long id, char *err, size_t errlen);

#endif
