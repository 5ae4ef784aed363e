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
 * Checkpoints are the program's own (in $CAVIAR_CHECKPOINT_DIR, which survives
 * restarts). Under caviard the lines caviar_report prints are also kept in
 * $CAVIAR_CHECKPOINT_DIR/curve.jsonl: call caviar_curve_sync() when you save
 * a checkpoint, before it replaces the last one, and caviar_resumed(epoch)
 * when you resume from one; it prints the kept curve again up to that epoch,
 * so a daemon killed before it recorded the last lines it was sent still gets
 * the whole curve (a line it sees twice counts once). Needs POSIX (fsync,
 * fileno): with gcc -std=c11, define _POSIX_C_SOURCE=200809L.
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
#include <unistd.h>

/* The worker line protocol version these helpers write (WORKER_PROTO_VERSION
 * in common/worker_proto.h; tests/daemon/test_line.c checks they are equal). */
#define CAVIAR_REPORT_PROTOCOL_VERSION 2

static volatile sig_atomic_t caviar_stop_flag_;
static FILE *caviar_curve_; /* $CAVIAR_CHECKPOINT_DIR/curve.jsonl, once a line is kept */

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

/* The curve log, opened once, under caviard only (NULL otherwise, or when it
 * cannot be written). upto < 0: a fresh run, the log starts empty. Else a run
 * resumed after epoch upto: the logged lines of epochs <= upto are printed
 * again and kept, the rest (past the checkpoint) dropped. */
static inline FILE *caviar_curve_open_(int upto)
{
	const char *dir = getenv("CAVIAR_CHECKPOINT_DIR");
	const char *prefix = getenv("CAVIAR_METRICS_PREFIX");
	char path[4096], tmp[4200], line[8192];
	FILE *in, *out;
	int epoch;

	if (caviar_curve_ || !dir || !*dir)
		return caviar_curve_;
	snprintf(path, sizeof path, "%s/curve.jsonl", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((out = fopen(tmp, "w")) == NULL)
		return NULL;
	if (upto >= 0 && (in = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof line, in))
			if (strchr(line, '\n') && sscanf(line, "{\"epoch\": %d", &epoch) == 1 &&
			    epoch <= upto) {
				fputs(line, out);
				printf("%s%s", prefix ? prefix : "", line);
			}
		fclose(in);
		fflush(stdout);
	}
	if (fflush(out) != 0 || rename(tmp, path) != 0) {
		fclose(out);
		return NULL;
	}
	return caviar_curve_ = out;
}

/* Makes the lines printed so far durable: call it when you save a
 * checkpoint, before the checkpoint replaces the last one. Returns 0, or -1
 * when they could not be written. */
static inline int caviar_curve_sync(void)
{
	if (!caviar_curve_)
		return 0;
	return fflush(caviar_curve_) == 0 && fsync(fileno(caviar_curve_)) == 0 ? 0 : -1;
}

/* Prints {"epoch": E, "name": value, ...}: name/value pairs end with a null
 * name. A non-finite value is reported as a divergence instead. Under
 * caviard the line is also kept in the curve log. */
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
		FILE *curve = caviar_curve_open_(-1);

		printf("%s}\n", line);
		fflush(stdout);
		if (curve) {
			fprintf(curve, "%s}\n", line + (prefix ? strlen(prefix) : 0));
			fflush(curve);
		}
	}
}

/* Tells caviard the run continues after `epoch` (from its own checkpoint),
 * then prints again the curve kept up to that epoch (under caviard). */
static inline void caviar_resumed(int epoch)
{
	const char *prefix = getenv("CAVIAR_METRICS_PREFIX");

	printf("%s{\"event\": \"resumed\", \"epoch\": %d}\n", prefix ? prefix : "", epoch);
	fflush(stdout);
	caviar_curve_open_(epoch);
}

#endif
