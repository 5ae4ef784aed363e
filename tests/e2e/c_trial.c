/* c_trial: a command trial written in C with sdk/caviar_report.h, for
 * the end-to-end tests: a "training" whose loss decays at a rate set by lr.
 * It takes part in panda: it reads adjustments every epoch (lr, from the
 * next epoch), keeps a checkpoint ("EPOCH PROGRESS LR") in
 * $CAVIAR_CHECKPOINT_DIR when there is one, resumes or forks from it, and
 * keeps per-epoch copies when caviard asks (CAVIAR_KEEP_EPOCHS=1). With
 * C_TRIAL_DEAF=1 it never asks for adjustments. */
#include <unistd.h>

#include "caviar_report.h"

/* The checkpoint file's path in buf, or NULL without a checkpoint directory. */
static const char *ckpt_path(char *buf, size_t n)
{
	const char *dir = getenv("CAVIAR_CHECKPOINT_DIR");

	if (!dir || !*dir)
		return NULL;
	snprintf(buf, n, "%s/c_trial.ckpt", dir);
	return buf;
}

int main(void)
{
	double lr = caviar_param("lr", 0.1), progress = 0.0;
	int epochs = (int)caviar_param("epochs", 3), start = 0;
	char path[4096], tmp[4200];
	struct caviar_change ch[8];
	FILE *f;

	caviar_init();
	puts("c_trial: starting"); /* a log line, not a metric */
	if (ckpt_path(path, sizeof path) && (f = fopen(path, "r")) != NULL) {
		double saved_lr;
		if (fscanf(f, "%d %lf %lf", &start, &progress, &saved_lr) == 3) {
			if (start == caviar_fork_epoch()) {
				caviar_forked(start); /* a fork takes its own lr */
			} else {
				lr = saved_lr;
				caviar_resumed(start);
			}
		}
		fclose(f);
	}
	for (int epoch = start + 1; epoch <= epochs && !caviar_should_stop(); epoch++) {
		double loss;
		/* C_TRIAL_DEAF=1: a program that never asks */
		int n = getenv("C_TRIAL_DEAF") ? 0 : caviar_adjustments(ch, 8);

		for (int i = 0; i < n; i++)
			if (strcmp(ch[i].name, "lr") == 0 && !ch[i].is_string)
				lr = ch[i].value;
		progress += lr;
		loss = exp(-progress);
		caviar_report(epoch, "val_loss", loss, "val_acc", 1 - loss, "lr", lr,
			      (const char *)0);
		if (lr > 100)
			caviar_report(epoch + 1, "val_loss", NAN, (const char *)0);
		if (ckpt_path(path, sizeof path) != NULL) {
			snprintf(tmp, sizeof tmp, "%s.tmp", path);
			if ((f = fopen(tmp, "w")) != NULL) {
				fprintf(f, "%d %.17g %.17g\n", epoch, progress, lr);
				fclose(f);
				caviar_curve_sync();
				rename(tmp, path);
				caviar_keep_epoch(epoch);
			}
		}
	}
	return 0;
}
