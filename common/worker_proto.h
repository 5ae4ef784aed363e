/* worker_proto: the line protocol from a trial's program to caviard, defined
 * once. caviar-worker writes it (worker/report.c), caviard reads it
 * (daemon/line.c), and the helpers for other programs, sdk/caviar.py
 * and sdk/caviar_report.h, write it and state the version they speak
 * (tests/daemon/test_line.c checks that they match WORKER_PROTO_VERSION).
 * This is not the client protocol over the socket (proto.h).
 *
 * The program prints one JSON object per line on stdout, flushed at once so
 * curves stream while training. Two kinds of line:
 *
 *   metrics  {"epoch": 3, "step": 1266, "train_loss": 0.41, "val_acc": 0.86}
 *            "epoch": required, a whole number >= 0 (the epoch just finished);
 *            "step": optional, a whole number >= 0 (0 when absent);
 *            every other numeric field is a metric named by its key (at least
 *            one, at most WORKER_PROTO_MAX_METRICS); fields of other types are
 *            ignored.
 *   event    {"event": NAME, "epoch": 3, ...}: a non-empty string "event" marks
 *            it; "epoch" and "step" are optional; it carries no metrics.
 *     diverged  {"event": "diverged", "epoch": 3, "step": 1200,
 *                "metric": "train_loss", "value": "nan"}
 *               the named metric became NaN or infinite: the trial fails
 *               ("diverged at epoch 3 step 1200 (train_loss = nan)"), and a
 *               program that goes on is stopped.
 *     resumed   {"event": "resumed", "epoch": 2}
 *               the run continues from its own checkpoint after epoch 2: as a
 *               trial's first line it cuts the recorded curve back to epoch 2.
 *     stopped   {"event": "stopped", "epoch": 2}
 *               the program stopped on SIGTERM after saving epoch 2.
 *   Events of any other name are accepted and logged.
 *
 * Non-finite numbers: NaN and infinities are not JSON. Where one must be
 * written (a diverged event's "value", or a metric of the built-in worker) it
 * is the string "nan", "inf" or "-inf". caviard also reads a metric's value
 * written the ways programs print them: bare NaN, nan, Infinity, -Infinity, inf,
 * -inf (Python's json.dumps and printf; any case) outside strings, those words
 * as strings, and numbers that overflow a double (1e999). Such a value is
 * never a point: the objective's is a divergence, exactly as a diverged event
 * ("diverged at epoch 2 step 0 (val_acc = nan)", the program stopped); another
 * metric's makes the line count as rejected, its finite metrics kept.
 *
 * Size: a line is at most WORKER_PROTO_MAX_LINE bytes; caviard drops a longer
 * one and logs it. A command trial's protocol lines are those that open a JSON
 * object, or with the spec's "metrics_prefix" those that start with it (the
 * prefix is not part of the line); its other output is kept as its log.
 *
 * Bump WORKER_PROTO_VERSION when a line kind or field changes incompatibly,
 * and the helpers' stated versions with it. */
#ifndef CAVIAR_WORKER_PROTO_H
#define CAVIAR_WORKER_PROTO_H

#define WORKER_PROTO_VERSION 1
#define WORKER_PROTO_MAX_LINE (64u << 10) /* bytes in one line */
#define WORKER_PROTO_MAX_METRICS 64       /* metrics in one metrics line */

/* Field names. */
#define WORKER_PROTO_EPOCH "epoch"
#define WORKER_PROTO_STEP "step"
#define WORKER_PROTO_EVENT "event"
#define WORKER_PROTO_METRIC "metric" /* diverged: the metric that went non-finite */
#define WORKER_PROTO_VALUE "value"   /* diverged: its value, as a string */

/* The events caviard acts on. */
#define WORKER_PROTO_DIVERGED "diverged"
#define WORKER_PROTO_RESUMED "resumed"
#define WORKER_PROTO_STOPPED "stopped"
#define WORKER_PROTO_FORKED "forked"
#define WORKER_PROTO_ADJUSTED "adjusted"
#define WORKER_PROTO_ADJUST_REFUSED "adjust_refused"

/* How a non-finite number is written: "nan", "inf" or "-inf" for x (which
 * must not be finite). */
#define WORKER_PROTO_NAN "nan"
#define WORKER_PROTO_INF "inf"
#define WORKER_PROTO_NEG_INF "-inf"

static inline const char *worker_proto_nonfinite(double x)
{
	return x != x ? WORKER_PROTO_NAN : x > 0 ? WORKER_PROTO_INF : WORKER_PROTO_NEG_INF;
}

#endif
