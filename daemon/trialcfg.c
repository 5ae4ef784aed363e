/* trialcfg: a trial's worker configuration from its spec and params (see
 * trialcfg.h). */
#include "trialcfg.h"

cJSON *trialcfg_build(const struct spec *s, const cJSON *params, uint64_t trial_seed)
{
	cJSON *cfg = s->train ? cJSON_Duplicate(s->train, 1) : cJSON_CreateObject();
	const cJSON *item;

	cJSON_ArrayForEach(item, params) {
		cJSON_DeleteItemFromObjectCaseSensitive(cfg, item->string);
		cJSON_AddItemToObject(cfg, item->string, cJSON_Duplicate(item, 1));
	}
	if (s->task) {
		cJSON_DeleteItemFromObjectCaseSensitive(cfg, "task");
		cJSON_AddStringToObject(cfg, "task", s->task);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(cfg, "seed");
	cJSON_AddNumberToObject(cfg, "seed", (double)(trial_seed & ((1ull << 53) - 1)));
	if (s->data)
		cJSON_AddItemToObject(cfg, "data", cJSON_Duplicate(s->data, 1));
	return cfg;
}
