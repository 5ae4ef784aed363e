/* caviar_report.h: report a training run's learning curve to caviard from C
 * or C++, in one header with no dependencies: the C half of caviar's SDK (sdk/;
 * caviar.py is the Python half), for your own training program, not for
 * caviar. A command trial prints one JSON object per line; these helpers print
 * them and read the trial's values.
 *
 *   #include "caviar_report.h"
 *   double lr = caviar_param("lr", 0.01);          // from $CAVIAR_PARAMS
 *   for (int epoch = 1; epoch <= epochs; epoch++) {
 *       ...train...
 *       caviar_report(epoch, "train_loss", tl, "val_acc", va, (const char *)0);
 *       if (caviar_should_stop()) break;              // SIGTERM from caviard
 *   }
 *
 * Call caviar_init() once at start: it installs the stop handlers.
 *
 * The lines follow caviar's worker line protocol, defined in
 * common/worker_proto.h of caviar's source; this header speaks version
 * CAVIAR_REPORT_PROTOCOL_VERSION of it. */
#ifndef CAVIAR_REPORT_HEADER_H
#define CAVIAR_REPORT_HEADER_H

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The worker line protocol version these helpers write (WORKER_PROTO_VERSION
 * in common/worker_proto.h; tests/daemon/test_line.c checks they are equal). */
#define CAVIAR_REPORT_PROTOCOL_VERSION 1

static volatile sig_atomic_t caviar_stop_flag_;

static void caviar_on_term_(int sig)
{
	(void)sig;
	caviar_stop_flag_ = 1;
}

/* Installs the stop handlers (SIGTERM; SIGUSR1, which srun forwards under
 * Slurm); call once before training. */
static inline void caviar_init(void)
{
	signal(SIGTERM, caviar_on_term_);
	signal(SIGUSR1, caviar_on_term_);
}

/* Nonzero once caviard asked the program to stop. */
static inline int caviar_should_stop(void)
{
	return caviar_stop_flag_ != 0;
}

/* The numeric value of `name` in $CAVIAR_PARAMS (a flat JSON object), or dflt. */
static inline double caviar_param(const char *name, double dflt)
{
	const char *json = getenv("CAVIAR_PARAMS"), *p;
	size_t n = strlen(name);

	for (p = json; p && (p = strchr(p, '"')) != NULL; p++) {
		if (strncmp(p + 1, name, n) != 0 || p[n + 1] != '"')
			continue;
		p += n + 2;
		while (*p == ' ' || *p == ':')
			p++;
		if (*p == 't' || *p == 'f')
			return *p == 't';
		return strtod(p, NULL);
	}
	return dflt;
}

/* Prints {"epoch": E, "name": value, ...}: name/value pairs end with a null
 * name. A non-finite value is reported as a divergence instead. */
static inline void caviar_report(int epoch, ...)
{
	const char *prefix = getenv("CAVIAR_METRICS_PREFIX");
	const char *name;
	char line[4096];
	size_t len;
	va_list ap;

	len = (size_t)snprintf(line, sizeof line, "%s{\"epoch\": %d", prefix ? prefix : "", epoch);
	va_start(ap, epoch);
	while ((name = va_arg(ap, const char *)) != NULL && len < sizeof line) {
		double value = va_arg(ap, double);

		if (!isfinite(value)) {
			printf("%s{\"event\": \"diverged\", \"epoch\": %d, \"metric\": \"%s\", "
			       "\"value\": \"%s\"}\n",
			       prefix ? prefix : "", epoch, name, isnan(value) ? "nan" : "inf");
			fflush(stdout);
			va_end(ap);
			return;
		}
		len += (size_t)snprintf(line + len, sizeof line - len, ", \"%s\": %.17g", name, value);
	}
	va_end(ap);
	if (len < sizeof line) {
		printf("%s}\n", line);
		fflush(stdout);
	}
}

/* Tells caviard the run continues after `epoch` (from its own checkpoint). */
static inline void caviar_resumed(int epoch)
{
	const char *prefix = getenv("CAVIAR_METRICS_PREFIX");

	printf("%s{\"event\": \"resumed\", \"epoch\": %d}\n", prefix ? prefix : "", epoch);
	fflush(stdout);
}

#endif
