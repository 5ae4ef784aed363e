/* c_trial: a command trial written in C with sdk/caviar_report.h, for
 * the end-to-end tests: a "training" whose loss decays at a rate set by lr. */
#include <unistd.h>

#include "caviar_report.h"

int main(void)
{
	double lr = caviar_param("lr", 0.1);
	int epochs = (int)caviar_param("epochs", 3);

	caviar_init();
	puts("c_trial: starting"); /* a log line, not a metric */
	for (int epoch = 1; epoch <= epochs && !caviar_should_stop(); epoch++) {
		double loss = exp(-lr * epoch);

		caviar_report(epoch, "val_loss", loss, "val_acc", 1 - loss, (const char *)0);
		if (lr > 100)
			caviar_report(epoch + 1, "val_loss", NAN, (const char *)0);
	}
	return 0;
}
