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
 *     forked    {"event": "forked", "epoch": 4, "step": 1876}
 *               the trial starts from another trial's checkpoint of epoch 4
 *               (its "fork_from", below), taken at optimizer step 1876: as
 *               its first line it says its curve continues from epoch 4 and
 *               its next metrics line is epoch 5.
 *     adjusted  {"event": "adjusted", "id": 3, "epoch": 4, "step": 1876,
 *                "changes": {"lr": [0.02, 0.01], "batch": [128, 64]}}
 *               the answer to control line 3 (below): every change was
 *               applied, from the next optimizer step on. "epoch" is the
 *               number of epochs completed and "step" the optimizer steps
 *               taken before the change; each change is [old, new] (numbers,
 *               or strings for a choice).
 *     adjust_refused {"event": "adjust_refused", "id": 3,
 *                "error": "layers: structural, cannot change while training"}
 *               the answer to control line 3 when any of its changes is
 *               refused (unknown name, out of range, structural, or a program
 *               that does not read adjustments): none of them was applied. A
 *               control line that is not one (not JSON, no "adjust" object)
 *               is answered with this event too, with "id" when it had one.
 *   Events of any other name are accepted and logged.
 *
 * Control lines (version 2): caviard keeps the program's stdin open as a pipe
 * and may write, one JSON object per line,
 *     {"adjust": {"lr": 0.01, "batch": 64}, "id": 3}
 * "id" a positive integer chosen by caviard and echoed back (below 2^53,
 * never one of an earlier caviard's: a resumed program may print an old
 * answer again); the values are
 * numbers, or strings for a choice parameter, which caviard has already
 * checked against the spec's rules. The program answers every control line
 * with exactly one "adjusted" or "adjust_refused" event: all or nothing.
 * The built-in worker reads its configuration as the first JSON object on
 * stdin (`--config -`) and the control lines after it; it polls stdin
 * between optimizer steps (every WORKER_PROTO_CONTROL_MS at most), so a
 * change takes effect within one step of that. What it accepts is the hparams
 * rows flagged adjustable (common/hparams.c, hparam_adjust): task "mlp" all
 * but the test functions' coordinates; a synthetic task those its function
 * reads, from its next epoch. stdin at end of file (caviard gone,
 * or a program run by hand) is not an error: the program trains on. The
 * adjusted values are part of the checkpoint: a trial resumed from its own
 * checkpoint keeps them.
 *
 * Trial configuration keys of the built-in worker (version 2):
 *   "fork_from": "PATH"  a checkpoint file of another trial, used only when
 *               the trial's own "checkpoint" file does not exist yet: the
 *               worker starts from it (weights, BN statistics, optimizer
 *               state, step and epoch counts, rng state), prints "forked" as
 *               its first line and reports the epochs after it. Its
 *               structural settings must be the checkpoint's (the checkpoint
 *               hash covers only those); the adjustable values are the
 *               trial's own. With no change, a fork of epoch K prints the
 *               parent's epochs K+1.. bit for bit (elapsed aside).
 *   "keep_epochs": true  after saving epoch K's checkpoint at PATH the worker
 *               also keeps it as PATH.epoch-K (a hard link, else a copy,
 *               written atomically); caviard deletes the ones the sweep's
 *               "keep_checkpoints" policy drops.
 *
 * Command trials (sdk/caviar.py, sdk/caviar_report.h) take part through
 * these environment variables, which caviard sets:
 *   CAVIAR_CHECKPOINT_DIR   the trial's checkpoint directory (as in version 1)
 *   CAVIAR_FORK_EPOCH=K     the trial is a fork of epoch K: before starting
 *                           it the first time, caviard copied the files of
 *                           the parent's CAVIAR_CHECKPOINT_DIR/epoch-K/ (or of
 *                           the directory itself when K is the parent's last
 *                           saved epoch) into the child's CAVIAR_CHECKPOINT_DIR.
 *                           A checkpoint of epoch K found there is the fork's
 *                           start: the helpers print "forked" (caviar.resume(),
 *                           caviar_forked()) and start a fresh curve log; any
 *                           other epoch is the child's own, "resumed" as usual.
 *   CAVIAR_KEEP_EPOCHS=1    after saving epoch K's checkpoint the helpers
 *                           copy the directory's files into
 *                           CAVIAR_CHECKPOINT_DIR/epoch-K/ (built as
 *                           epoch-K.tmp, then renamed; caviar.save_checkpoint
 *                           does it, a C program calls caviar_keep_epoch);
 *                           caviard deletes the ones its policy drops.
 * An "adjusted" line printed again at a resume (the built-in worker and the
 * helpers keep their answers in the curve log with the metrics lines, and
 * print them again with it) is an answer caviard may never have
 * read: it is recorded then unless it already is (same epoch, step, name and
 * new value), and one of the checkpoint's own epoch is sent again.
 * The helpers read the control lines from stdin without blocking and answer
 * them: caviar.adjustments() / caviar_adjustments() return the changes
 * received since the last call (their "step" is the last reported step; 0 in
 * C). A program that has not asked by its second report has every control
 * line refused ("the program does not read adjustments", said once on
 * stderr).
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

#define WORKER_PROTO_VERSION 2
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

/* Control lines, caviard to program (version 2), and the answers' fields. */
#define WORKER_PROTO_ADJUST "adjust"   /* control line: the changes, name -> value */
#define WORKER_PROTO_ID "id"           /* control line and answer: a positive integer */
#define WORKER_PROTO_CHANGES "changes" /* adjusted: name -> [old, new] */
#define WORKER_PROTO_ERROR "error"     /* adjust_refused: why */
#define WORKER_PROTO_CONTROL_MS 20     /* the built-in worker polls stdin this often at most */

/* Trial configuration keys and environment variables (version 2). */
#define WORKER_PROTO_FORK_FROM "fork_from"
#define WORKER_PROTO_KEEP_EPOCHS "keep_epochs"
#define WORKER_PROTO_EPOCH_SUFFIX ".epoch-" /* PATH.epoch-K, kept with keep_epochs */
#define WORKER_PROTO_ENV_FORK_EPOCH "CAVIAR_FORK_EPOCH"
#define WORKER_PROTO_ENV_KEEP_EPOCHS "CAVIAR_KEEP_EPOCHS"
#define WORKER_PROTO_EPOCH_DIR "epoch-" /* CAVIAR_CHECKPOINT_DIR/epoch-K/ of the helpers */

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
