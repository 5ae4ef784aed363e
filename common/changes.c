/* changes: parameter changes as [old, new] pairs and the values an
 * adjustment history gives at an epoch (see changes.h). */
#include "changes.h"

#include <string.h>

void changes_add(cJSON *changes, const char *name, const cJSON *old_value,
		 const cJSON *new_value)
{
	cJSON *pair = cJSON_AddArrayToObject(changes, name);

	cJSON_AddItemToArray(pair, old_value ? cJSON_Duplicate(old_value, 1) : cJSON_CreateNull());
	cJSON_AddItemToArray(pair, cJSON_Duplicate(new_value, 1));
}

int changes_valid(const cJSON *changes)
{
	const cJSON *c;

	if (!cJSON_IsObject(changes) || !changes->child)
		return 0;
	cJSON_ArrayForEach(c, changes)
		if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 2)
			return 0;
	return 1;
}

const char *changes_row(const cJSON *row, int *epoch, const cJSON **new_value)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(row, "epoch");

	*epoch = cJSON_IsNumber(e) ? (int)e->valuedouble : 0;
	*new_value = cJSON_GetObjectItemCaseSensitive(row, "new_value");
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(row, "name"));
}

void changes_values_at(cJSON *into, const cJSON *rows, int min_epoch, int max_epoch)
{
	const cJSON *row, *v;
	const char *name;
	int epoch;

	cJSON_ArrayForEach(row, rows) {
		name = changes_row(row, &epoch, &v);
		if (!name || epoch < min_epoch || epoch > max_epoch)
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(into, name);
		cJSON_AddItemToObject(into, name, cJSON_Duplicate(v, 1));
	}
}

int changes_recorded(const cJSON *rows, int epoch, int64_t step, const cJSON *changes)
{
	const cJSON *c, *row, *new_value, *row_step;
	const char *name;
	int e, found;

	cJSON_ArrayForEach(c, changes) {
		found = 0;
		cJSON_ArrayForEach(row, rows) {
			name = changes_row(row, &e, &new_value);
			row_step = cJSON_GetObjectItemCaseSensitive(row, "step");
			found |= name && strcmp(name, c->string) == 0 && e == epoch &&
				 cJSON_IsNumber(row_step) && (int64_t)row_step->valuedouble == step &&
				 new_value && cJSON_Compare(new_value, cJSON_GetArrayItem(c, 1), 1);
		}
		if (!found)
			return 0;
	}
	return 1;
}
