#!/usr/bin/env python3
"""soak_trial.py: the command trial bench/soak runs, written as a user would
write one with the SDK (sdk/caviar.py, as examples/command/train.py does):
it reports val_loss for epochs 1..epochs, saves a checkpoint after each epoch
and resumes from it, and stops at an epoch boundary when asked.

Each value is a function of the trial's lr and the epoch (value() below), so
bench/soak can tell a point recorded twice, lost or stale. With flood > 0 it is
also the hostile trial: before each epoch's report it prints `flood` lines,
mostly garbage (not JSON, broken JSON, an epoch of 1,000,000,000, lines over
the daemon's 64 KiB cap, log lines), and among them valid train_loss points,
one per step 1..flood/8 of the epoch, which bench/soak counts too.

The SDK keeps every line it reported beside the checkpoint and prints them
again on resume, as the built-in worker does (worker/report.c): the daemon may
not have committed the last lines it read before it was killed. With replay =
1 the trial also reports its whole curve up to the checkpoint again by itself
(bench/soak --replay), which must change nothing (points are keyed by metric,
epoch and step).

Run alone: python3 soak_trial.py   (CAVIAR_PARAMS='{"flood": 80}' for the flood)
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk"))
import caviar  # noqa: E402

LONG = "x" * (70 << 10)  # over the daemon's line cap (PROTO_MAX_WORKER_LINE, 64 KiB)


def value(lr, epoch):
    """val_loss at epoch; bench/soak computes the same."""
    return 1.0 / (epoch + lr)


def point(epoch, i):
    """The flood's line i of epoch when it is a valid one (i % 8 == 0)."""
    return '{"epoch": %d, "step": %d, "train_loss": %d.5}' % (epoch, i // 8 + 1, i)


def flood(epoch, n):
    """n lines for epoch: 7 of 8 garbage or log, printed raw, and 1 of 8 a
    train_loss point (steps 1, 2, ... within the epoch) reported through the
    SDK, which keeps it beside the checkpoint to print again on resume."""
    out = []
    for i in range(n):
        kind = i % 8
        if kind == 0:
            sys.stdout.write("\n".join(out) + "\n" if out else "")
            out = []
            caviar.report(epoch, step=i // 8 + 1, train_loss=i + 0.5)
        elif kind == 1:
            out.append("{bad")
        elif kind == 2:
            out.append("progress: epoch %d line %d, not a metric" % (epoch, i))
        elif kind == 3:
            out.append('{"epoch": 1000000000, "val_loss": 0.5}')
        elif kind == 4:
            out.append('{"epoch": "one", "val_loss": 1}')
        elif kind == 5:
            out.append('[1, 2, 3]')
        elif kind == 6:
            out.append('{"val_loss": 0.25}')
        else:
            out.append(LONG if i % 400 == 7 else '{"epoch": %d, "val_loss": "0.5"}' % epoch)
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()


def main():
    p = caviar.params(epochs=10, epoch_seconds=0.1, lr=0.1, flood=0, replay=0)
    epochs, lr, n = int(p["epochs"]), float(p["lr"]), int(p["flood"])
    start, _ = caviar.resume()
    for epoch in range(1, start + 1) if p["replay"] else ():
        if n:
            sys.stdout.write("".join(point(epoch, i) + "\n" for i in range(0, n, 8)))
        caviar.report(epoch, val_loss=value(lr, epoch))
    for epoch in range(start + 1, epochs + 1):
        if caviar.should_stop():
            print(f"stopping after epoch {epoch - 1}")
            return 0
        time.sleep(float(p["epoch_seconds"]))
        if n:
            flood(epoch, n)
        caviar.report(epoch, val_loss=value(lr, epoch))
        caviar.save_checkpoint(epoch, {"epoch": epoch})
    return 0


if __name__ == "__main__":
    sys.exit(main())
