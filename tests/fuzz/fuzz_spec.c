/* fuzz_spec: libFuzzer target for the spec parser and everything it feeds
 * (the grid check and sampling of each strategy, the daemon's trial
 * configuration, coarse-to-fine boxes, pbt's explore of each trial):
 * any input either fails with a message or yields trials. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pbt.h"
#include "sample.h"
#include "spec.h"
#include "trialcfg.h"
#include "xalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* cJSON allocates through xalloc, as in the programs. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xalloc_cjson_hooks();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec s = {0};
	struct sample_box box;
	char err[512];

	if (spec_parse_text(&s, (const char *)data, size, err, sizeof err) == 0 &&
	    sample_check_grid(&s, err, sizeof err) == 0) {
		sample_box_init(&box, &s);
		for (int i = 0; i < 4 && i < s.trials; i++) {
			cJSON *params = sample_trial(&s, &box, i);
			cJSON *config = trialcfg_build(&s, params, (uint64_t)i);

			if (s.search == SEARCH_PBT) {
				struct pbt_change *changes;
				struct rng r;
				int n;

				pbt_rng(&s, (uint64_t)i, &r);
				cJSON_Delete(pbt_explore(&s, params, &r, &changes, &n));
				pbt_changes_free(changes, n);
			}
			cJSON_Delete(config);
			cJSON_Delete(params);
		}
		cJSON_Delete(sample_box_to_json(&box, &s));
		sample_box_finish(&box);
	} else if (strlen(err) == 0) {
		__builtin_trap(); /* a failure must say why */
	}
	spec_finish(&s);
	return 0;
}
