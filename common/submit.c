/* submit: a parsed spec's checks before submission (see submit.h). */
#include "submit.h"

#include "sample.h"

int spec_validate_submit(struct spec *s, char *err, size_t errlen)
{
	if (sample_check_grid(s, err, errlen) < 0)
		return -1;
	if (spec_check_objective(s, err, errlen) < 0) {
		spec_finish(s);
		return -1;
	}
	return 0;
}
