/* submit: the checks a parsed spec passes before it may become a sweep, made
 * alike by `caviar validate`, `caviar submit` and caviard's submit (whatever
 * client sent it: the CLI, caviar_client.py, the dashboard). Parsing is
 * spec.h's; whether a command's program runs is program.h's, asked by each
 * caller with its own PATH (caviard's differs from the client's). */
#ifndef CAVIAR_SUBMIT_H
#define CAVIAR_SUBMIT_H

#include <stddef.h>

#include "spec.h"

/* s, parsed by spec_parse, is one a sweep may be made of: its grid fits its
 * budget (sample_check_grid, which sets a grid's absent trials) and its
 * objective is a metric its trials report (spec_check_objective). Returns 0,
 * or -1 with that check's message in err ("objective.metric: \"val_acc\" is
 * not reported by the built-in worker ...") and s finished (empty), as
 * spec_parse leaves it on failure. */
int spec_validate_submit(struct spec *s, char *err, size_t errlen);

#endif
