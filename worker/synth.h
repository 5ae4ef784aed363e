/* synth: synthetic tasks with known optima that still behave like training:
 * they emit per-epoch learning curves (train_loss, val_loss, val_acc, lr,
 * elapsed) through report.h, so search strategies and early stopping can be
 * tested in milliseconds instead of minutes.
 *   trivial: emits `epochs` records at once (orchestration benchmarks)
 *   bowl:    smooth optimum in (log10 lr, log10(1-beta)); other params barely matter
 *   narrow:  a narrow optimum in log10 lr (coarse-to-fine must zoom to find it)
 *   drift:   the best lr falls by a decade during training (a schedule, or PBT,
 *            beats every fixed lr)
 * The exact formulas are in synth.c and the README. */
#ifndef CAVIAR_SYNTH_H
#define CAVIAR_SYNTH_H

#include <cjson/cJSON.h>

#include "control.h"

/* 1 if task names a synthetic task. */
int synth_is_task(const char *task);

/* The final val_loss the task converges to for cfg (its noiseless optimum
 * distance), for tests. */
double synth_target_loss(const cJSON *cfg);

/* Runs the task described by the trial configuration cfg, emitting records on
 * stdout. Honours epochs, epoch_ms, seed, checkpoint (resume from the last
 * epoch saved, with its adjusted values), fork_from, keep_epochs, stop
 * requests and the control lines of ctl (may be NULL). Returns a worker exit
 * code. */
int synth_run(const cJSON *cfg, struct control *ctl, char *err, size_t errlen);

#endif
