"""caviar: report a training run's learning curve to caviard (stdlib only).

The Python half of caviar's SDK (sdk/; caviar_report.h is the C half): it goes
in your own training program, not in caviar. A command trial (a spec with
"command": [...]) is any program that prints one JSON object per line; this
module prints them for you, reads the trial's values, and tells you when the
daemon asks the program to stop.

    import caviar

    params = caviar.params()                 # {"lr": 0.003, "batch": 64, "seed": 17, ...}
    start, state = caviar.resume()           # (0, None), or what save_checkpoint saved
    for epoch in range(start + 1, epochs + 1):
        ...train...
        caviar.report(epoch, train_loss=tl, val_loss=vl, val_acc=va)
        caviar.save_checkpoint(epoch, state)  # optional: survives a daemon restart
        if caviar.should_stop():             # SIGTERM: cancel, early stop, shutdown
            break

Under caviard, the lines report() prints are also kept in checkpoint_dir()'s
curve.jsonl, made durable with each save_checkpoint; resume() (or resumed())
prints them again up to the checkpoint's epoch, so a daemon killed before it
recorded the last lines it was sent still gets the whole curve (a line it sees
twice counts once).

Copy this file next to your script or put its directory on PYTHONPATH. Run
outside caviar, params() returns the defaults you pass and report() prints the
same lines to the terminal.

The lines follow caviar's worker line protocol, defined in
common/worker_proto.h of caviar's source; this module speaks version
PROTOCOL_VERSION of it.
"""

import json
import math
import os
import pickle
import signal
import sys

__all__ = ["params", "report", "diverged", "resumed", "should_stop", "trial_dir",
           "checkpoint_dir", "save_checkpoint", "load_checkpoint", "resume",
           "PROTOCOL_VERSION"]

# The worker line protocol version this module writes (WORKER_PROTO_VERSION in
# common/worker_proto.h; tests/daemon/test_line.c checks they are equal).
PROTOCOL_VERSION = 2

_stop = False
_prefix = os.environ.get("CAVIAR_METRICS_PREFIX", "")
_curve = None  # CHECKPOINT_DIR/curve.jsonl, open for appending once a line is kept


def _on_term(signum, frame):
    global _stop
    _stop = True


if os.environ.get("CAVIAR_TRIAL_ID"):
    # Under caviard: SIGTERM (SIGUSR1 under Slurm, which srun forwards) means
    # "stop at the next epoch boundary".
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGUSR1, _on_term)


def params(**defaults):
    """The trial's values (train + params + seed); defaults fill what is absent."""
    values = dict(defaults)
    values.update(json.loads(os.environ.get("CAVIAR_PARAMS", "{}")))
    return values


def _print(line):
    sys.stdout.write(_prefix + line + "\n")
    sys.stdout.flush()


def _emit(record, keep=False):
    """Prints record; with keep, also appends it to the curve log."""
    line = json.dumps(record, allow_nan=False)
    _print(line)
    if keep and _curve_open(None):
        _curve.write(line + "\n")
        _curve.flush()


def _line_epoch(line):
    try:
        epoch = json.loads(line).get("epoch")
    except (ValueError, AttributeError):
        return None
    return epoch if isinstance(epoch, int) else None


def _curve_open(upto):
    """Opens the curve log (under caviard only: CAVIAR_CHECKPOINT_DIR is set)
    once; returns whether it is open. upto None: a fresh run, the log starts
    empty. Else a run resumed after epoch upto: the logged lines of epochs <=
    upto are printed again and kept, the rest (past the checkpoint) dropped."""
    global _curve
    directory = os.environ.get("CAVIAR_CHECKPOINT_DIR")
    if _curve is not None or not directory:
        return _curve is not None
    path = os.path.join(directory, "curve.jsonl")
    kept = []
    if upto is not None:
        try:
            with open(path) as f:
                for line in f:
                    epoch = _line_epoch(line)
                    if epoch is not None and epoch <= upto and line.endswith("\n"):
                        kept.append(line[:-1])
        except FileNotFoundError:
            pass
    with open(path + ".tmp", "w") as f:
        f.writelines(line + "\n" for line in kept)
    os.replace(path + ".tmp", path)
    _curve = open(path, "a")
    for line in kept:
        _print(line)
    return True


def report(epoch, step=None, **metrics):
    """Prints one record: epoch, optional step, and numeric metrics.

    Non-finite values are not JSON: a NaN or infinite metric is reported as
    a divergence instead, which ends the trial's curve with that reason."""
    record = {"epoch": int(epoch)}
    if step is not None:
        record["step"] = int(step)
    for name, value in metrics.items():
        value = float(value)
        if not math.isfinite(value):
            diverged(epoch, name, value, step)
            return
        record[name] = value
    _emit(record, keep=True)


def diverged(epoch, metric, value, step=None):
    """Reports that training diverged (metric became NaN or infinite)."""
    record = {"event": "diverged", "epoch": int(epoch), "metric": metric, "value": str(value)}
    if step is not None:
        record["step"] = int(step)
    _emit(record)


def resumed(epoch):
    """Tells caviard the run continues after `epoch` (from a checkpoint), then
    prints again the curve kept up to that epoch (under caviard)."""
    _emit({"event": "resumed", "epoch": int(epoch)})
    _curve_open(int(epoch))


def should_stop():
    """True once caviard asked the program to stop (SIGTERM, or SIGUSR1 under Slurm)."""
    return _stop


def trial_dir():
    """This trial's own directory (also the working directory)."""
    return os.environ.get("CAVIAR_TRIAL_DIR", os.getcwd())


def checkpoint_dir():
    """A directory that survives restarts of this trial."""
    path = os.environ.get("CAVIAR_CHECKPOINT_DIR") or os.path.join(os.getcwd(), "checkpoint")
    os.makedirs(path, exist_ok=True)
    return path


def save_checkpoint(epoch, state):
    """Saves (epoch, state) atomically in checkpoint_dir(); state is pickled.
    The curve printed so far is made durable first."""
    if _curve is not None:
        _curve.flush()
        os.fsync(_curve.fileno())
    path = os.path.join(checkpoint_dir(), "caviar.ckpt")
    with open(path + ".tmp", "wb") as f:
        pickle.dump({"epoch": int(epoch), "state": state}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)


def load_checkpoint():
    """(epoch, state) from the last save_checkpoint, or (0, None)."""
    path = os.path.join(checkpoint_dir(), "caviar.ckpt")
    try:
        with open(path, "rb") as f:
            saved = pickle.load(f)
    except FileNotFoundError:
        return 0, None
    return saved["epoch"], saved["state"]


def resume():
    """(epoch, state) of the last save_checkpoint, or (0, None); when there is
    one, tells caviard the run resumes after that epoch."""
    epoch, state = load_checkpoint()
    if epoch:
        resumed(epoch)
    return epoch, state
