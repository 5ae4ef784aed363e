/* changes: the one home of a parameter change as caviar records it, the
 * pair {"lr": [old, new]} (a worker's "adjusted" line, a fork's changes, an
 * exploit of search pbt), and of the values an adjustment history gives at
 * an epoch (QUERY_ADJUSTMENTS rows: name, epoch, step, old_value, new_value,
 * in the order applied). Pure cJSON: no I/O, no database. */
#ifndef CAVIAR_CHANGES_H
#define CAVIAR_CHANGES_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* Adds name: [old, new] to changes, both copied (old NULL: null). */
void changes_add(cJSON *changes, const char *name, const cJSON *old_value,
		 const cJSON *new_value);

/* Whether changes is {"lr": [old, new], ...}: an object of at least one
 * name, each value a pair. */
int changes_valid(const cJSON *changes);

/* One adjustment row's name (NULL: not a row of a named change), its epoch
 * (0 when it has none) and its new value (NULL when it has none). */
const char *changes_row(const cJSON *row, int *epoch, const cJSON **new_value);

/* Sets into[name] to a copy of each row's new value, for the rows of epochs
 * min_epoch to max_epoch, in order: the last one of a name wins. */
void changes_values_at(cJSON *into, const cJSON *rows, int min_epoch, int max_epoch);

/* Whether rows (QUERY_ADJUSTMENTS) hold every change of changes as applied
 * at epoch and step: the same name, epoch, step and new value. */
int changes_recorded(const cJSON *rows, int epoch, int64_t step, const cJSON *changes);

#endif
