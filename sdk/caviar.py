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

Panda (version 2 of the protocol): caviard may change the trial's values
while it trains (`caviar adjust`, PBT). Ask for them once an epoch:

        for name, value in caviar.adjustments().items():   # {} when none
            ...apply it from the next step (set the optimizer's lr, ...)...

adjustments() answers each of caviard's control lines for you; pass a
callback to check the changes first (raising ValueError refuses them all,
with its message). A program that has not called adjustments() by its second
report() has every change refused ("the program does not read adjustments"),
said once on stderr. A fork (`caviar fork`, PBT's exploit) starts with a copy
of its parent's checkpoint directory: resume() finds it and tells caviard the
run continues from the parent's epoch (CAVIAR_FORK_EPOCH); with
CAVIAR_KEEP_EPOCHS=1, save_checkpoint() also keeps each epoch's files in
checkpoint_dir()/epoch-K/ for forks of earlier epochs.

Under caviard, the lines report() prints and the "adjusted" answers of
adjustments() are also kept in checkpoint_dir()'s curve.jsonl, made durable
with each save_checkpoint; resume() (or resumed()) prints them again up to the
checkpoint's epoch, so a daemon killed before it recorded the last lines it
was sent still gets the whole curve and every change applied (a line it sees
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
import select
import shutil
import signal
import sys
import time

__all__ = ["params", "report", "diverged", "resumed", "forked", "should_stop", "trial_dir",
           "checkpoint_dir", "save_checkpoint", "load_checkpoint", "resume", "fork_epoch",
           "adjustments", "steer", "load_optimizer", "serve",
           "PROTOCOL_VERSION"]

# The worker line protocol version this module writes (WORKER_PROTO_VERSION in
# common/worker_proto.h; tests/daemon/test_line.c checks they are equal).
PROTOCOL_VERSION = 2

_stop = False
_prefix = os.environ.get("CAVIAR_METRICS_PREFIX", "")
_curve = None  # CHECKPOINT_DIR/curve.jsonl, open for appending once a line is kept
_values = None  # the trial's values with the adjustments so far (params() on first use)
_pending = b""  # control bytes read from stdin, not yet a whole line
_stdin_open = True
_asked = False  # adjustments() was called
_reports = 0
_warned = False
_epoch = 0  # where training is, for the answers: the last epoch reported or resumed
_step = 0
_saved_values = None  # the values save_checkpoint kept with the checkpoint resumed
NOT_READ = "the program does not read adjustments"


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
    global _epoch, _step, _reports, _warned
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
    _epoch, _step = int(epoch), int(step) if step is not None else _step
    _reports += 1
    if not _asked and _reports >= 2:
        lines = _control_lines()
        if lines and not _warned:
            _warned = True
            sys.stderr.write("caviar: this program does not call caviar.adjustments(): "
                             "caviard's adjustments are refused\n")
        for line in lines:
            _answer(line, lambda changes: NOT_READ)


def _control_lines():
    """The whole control lines stdin holds now; never blocks. End of file
    (caviard gone, or none) is not an error: there are no more."""
    global _pending, _stdin_open
    while _stdin_open:
        try:
            ready = select.select([0], [], [], 0)[0]
            chunk = os.read(0, 65536) if ready else None
        except (OSError, ValueError):
            chunk = b""
        if chunk is None:
            break
        if not chunk:
            _stdin_open = False
            break
        _pending += chunk
    *lines, _pending = _pending.split(b"\n")
    if not _stdin_open and _pending:
        lines, _pending = lines + [_pending], b""
    return [line for line in lines if line.strip()]


def _answer(line, check):
    """Answers one control line with "adjusted" or "adjust_refused"; check
    (changes) returns None to accept them or a message to refuse them.
    Returns the changes applied ({} when refused)."""
    global _values
    try:
        msg = json.loads(line)
    except ValueError:
        msg = None
    ident = msg.get("id") if isinstance(msg, dict) else None
    if isinstance(ident, bool) or not isinstance(ident, int) or ident <= 0:
        ident = None
    changes = msg.get("adjust") if isinstance(msg, dict) else None
    if not isinstance(msg, dict):
        error = "control line: expected a JSON object"
    elif ident is None:
        error = "id: expected a positive integer"
    elif not isinstance(changes, dict) or not changes:
        error = "adjust: expected an object of name: value, at least one"
    else:
        bad = [n for n, v in changes.items()
               if isinstance(v, bool) or not isinstance(v, (int, float, str))]
        error = "%s: expected a number or a string" % bad[0] if bad else check(changes)
    record = {"event": "adjust_refused" if error else "adjusted"}
    if ident is not None:
        record["id"] = ident
    if error:
        record["error"] = error
        _emit(record)
        return {}
    if _values is None:
        _values = params()
    record.update(epoch=_epoch, step=_step,
                  changes={n: [_values.get(n), v] for n, v in changes.items()})
    _values.update(changes)
    _emit(record, keep=True)  # printed again at a resume: caviard records it if it missed it
    return dict(changes)


def adjustments(callback=None):
    """The changes caviard sent since the last call, {name: new value} ({}
    when none), each control line answered: apply them from your next step.
    With callback, callback(changes) sees each line's changes first; raising
    ValueError refuses them all (nothing of that line is applied) with its
    message. Never blocks."""
    global _asked
    _asked = True

    def check(changes):
        if callback is not None:
            try:
                callback(dict(changes))
            except ValueError as e:
                return str(e) or "refused by the program"
        return None
    applied = {}
    for line in _control_lines():
        applied.update(_answer(line, check))
    return applied


def diverged(epoch, metric, value, step=None):
    """Reports that training diverged (metric became NaN or infinite)."""
    record = {"event": "diverged", "epoch": int(epoch), "metric": metric, "value": str(value)}
    if step is not None:
        record["step"] = int(step)
    _emit(record)


def resumed(epoch):
    """Tells caviard the run continues after `epoch` (from a checkpoint), then
    prints again the curve kept up to that epoch (under caviard)."""
    global _epoch
    _emit({"event": "resumed", "epoch": int(epoch)})
    _epoch = int(epoch)
    _curve_open(int(epoch))


def forked(epoch):
    """Tells caviard the run starts from another trial's checkpoint of
    `epoch` (a fork: caviard copied it into checkpoint_dir()); this trial's
    curve starts after it."""
    global _epoch
    _emit({"event": "forked", "epoch": int(epoch)})
    _epoch = int(epoch)
    _curve_open(None)


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


def _current_values():
    """The trial's values with the adjustments applied so far."""
    return dict(_values) if _values is not None else params()


def save_checkpoint(epoch, state):
    """Saves (epoch, state) atomically in checkpoint_dir(); state is pickled,
    with the trial's values of now (for load_optimizer). The curve printed so
    far is made durable first."""
    if _curve is not None:
        _curve.flush()
        os.fsync(_curve.fileno())
    path = os.path.join(checkpoint_dir(), "caviar.ckpt")
    with open(path + ".tmp", "wb") as f:
        pickle.dump({"epoch": int(epoch), "state": state, "values": _current_values()}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)
    if os.environ.get("CAVIAR_KEEP_EPOCHS") == "1":
        _keep_epoch(int(epoch))


def _keep_epoch(epoch):
    """Copies the checkpoint directory's files into its epoch-K/ (built as
    epoch-K.tmp, then renamed), for forks of this epoch."""
    directory = checkpoint_dir()
    kept = os.path.join(directory, "epoch-%d" % epoch)
    shutil.rmtree(kept + ".tmp", ignore_errors=True)
    os.mkdir(kept + ".tmp")
    for name in os.listdir(directory):
        src = os.path.join(directory, name)
        if os.path.isfile(src) and not name.endswith(".tmp"):
            shutil.copy2(src, os.path.join(kept + ".tmp", name))
    shutil.rmtree(kept, ignore_errors=True)
    os.replace(kept + ".tmp", kept)

def load_checkpoint():
    """(epoch, state) from the last save_checkpoint, or (0, None). Only under
    caviard (or with CAVIAR_CHECKPOINT_DIR set): outside it, ./checkpoint is
    most likely an earlier run's, and a new run starts afresh (said once)."""
    global _saved_values
    path = os.path.join(checkpoint_dir(), "caviar.ckpt")
    if not os.environ.get("CAVIAR_CHECKPOINT_DIR"):
        if os.path.exists(path):
            sys.stderr.write("caviar: not resuming from %s (outside caviar; set "
                             "CAVIAR_CHECKPOINT_DIR=%s to resume)\n"
                             % (path, os.path.dirname(path)))
        return 0, None
    try:
        with open(path, "rb") as f:
            saved = pickle.load(f)
    except FileNotFoundError:
        return 0, None
    _saved_values = saved.get("values")
    return saved["epoch"], saved["state"]


def fork_epoch():
    """The epoch of the parent's checkpoint this trial was forked from
    (CAVIAR_FORK_EPOCH), or None when it is no fork."""
    value = os.environ.get("CAVIAR_FORK_EPOCH")
    return int(value) if value else None


def resume():
    """(epoch, state) of the last save_checkpoint, or (0, None); when there is
    one, tells caviard the run resumes after that epoch, or for a fork's
    starting checkpoint (its epoch is CAVIAR_FORK_EPOCH) that it forked."""
    epoch, state = load_checkpoint()
    if epoch and fork_epoch() == epoch:
        forked(epoch)
    elif epoch:
        resumed(epoch)
    return epoch, state


# ---- steering an optimizer (PyTorch's, or anything with param_groups) ----

# A parameter's place in a param group when it is not a key of its own name.
_GROUP_PLACES = {"beta1": ("betas", 0), "beta2": ("betas", 1)}


def _set_group_value(optimizer, name, value, names):
    """Sets name's value in every param group that has its key (names maps a
    parameter to another key, or to (key, index) in a tuple); True if any."""
    place = (names or {}).get(name, _GROUP_PLACES.get(name, name))
    key, index = place if isinstance(place, tuple) else (place, None)
    done = False
    for group in optimizer.param_groups:
        if key not in group:
            continue
        if index is None:
            group[key] = value
        else:
            old = list(group[key])
            old[index] = value
            group[key] = tuple(old)
        done = True
    return done


def steer(optimizer, names=None, callback=None):
    """adjustments(callback), each change that names a key of optimizer's
    param groups (lr, weight_decay, momentum...; beta1 and beta2 go into
    Adam's betas; names={"wd": "weight_decay"} for other names) set in every
    group. Returns every change, so the program applies the others (batch...)
    itself. It never blocks and costs microseconds: call it every few steps,
    not once a long epoch (caviar adjust waits for the answer)."""
    changes = adjustments(callback)
    for name, value in changes.items():
        _set_group_value(optimizer, name, value, names)
    return changes


def load_optimizer(optimizer, state_dict, names=None):
    """optimizer.load_state_dict(state_dict), then the trial's own values over
    the checkpoint's. load_state_dict restores the param groups as they were
    saved: for a fork, its parent's lr, silently undoing the fork's new one.
    Only values that differ from those kept with the checkpoint (a fork's
    changes, or adjustments made since) are set, so a learning-rate schedule's
    progress in the groups is kept otherwise."""
    optimizer.load_state_dict(state_dict)
    saved = _saved_values or {}
    for name, value in _current_values().items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and \
                saved.get(name) != value:
            _set_group_value(optimizer, name, value, names)


# ---- the fork server (common/forkserver_proto.h in caviar's source) ----

FORK_SERVER_ENV = "CAVIAR_FORK_SERVER"
_MAX_MSG = 256 << 10


def serve(train, setup=None):
    """Runs trials of train(state), state = setup() (None without setup), and
    returns the exit status, for sys.exit(caviar.serve(train, setup=setup)).

    Run as one trial (the default, or outside caviar) it calls setup, then
    train once; train's return value (0 for None) is the exit status. In a
    sweep with "fork_server": true, caviard starts the program once: setup
    runs once, then every trial is a child process forked from it, which
    inherits setup's state (imports, data, compiled code) copy-on-write and
    runs train as its own process (its own pid, stdout, stdin and signals).

    setup must not start threads: fork() copies only the calling thread, so
    a thread pool made before it (torch's intra-op pool, OpenMP, OpenBLAS's
    threads) would leave locks held in every child. Call
    torch.set_num_threads(1) before the first torch operation, or set the
    threads in train. The server checks and refuses to serve if setup left
    more than one thread running. Each trial is reseeded from its params'
    seed (random, and numpy and torch when imported)."""
    if os.environ.get(FORK_SERVER_ENV) != "1":
        state = setup() if setup is not None else None
        rc = train(state)
        return 0 if rc is None else rc
    return _serve_forever(train, setup)


def _send(sock, **msg):
    sock.send(json.dumps(msg).encode())


def _threads():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _keep_freed_memory():
    """Raises glibc's mmap and trim thresholds, inherited by every child.

    glibc gives a freed block above its mmap threshold, and the heap's top
    past its trim threshold, back to the kernel; the next allocation faults
    its pages in again. A process raises both thresholds itself as it frees
    big blocks, but a forked trial starts from the server's, which never
    trained: a PyTorch trial's first epoch then takes ~50,000 page faults
    (its temporaries, every step) and 2-3x its CPU time, where the same
    trial run after another in one process takes ~2,000. Raised once here,
    each child keeps what it frees for its next step. Not glibc: nothing."""
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
    mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD


def _serve_forever(train, setup):
    import gc
    import socket
    import traceback
    # What every trial's process needs, imported here once, not in each child.
    import ctypes  # noqa: F401
    import random  # noqa: F401
    import resource  # noqa: F401

    sock = socket.socket(fileno=os.dup(0))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the socket is not for what setup reads
    os.close(devnull)
    try:
        state = setup() if setup is not None else None
    except BaseException:
        traceback.print_exc()
        _send(sock, error="setup failed: %s" % traceback.format_exc().strip().splitlines()[-1])
        return 1
    _reseed(0)  # torch's first manual_seed costs ms: paid here once, not in each trial
    if _threads() > 1:
        _send(sock, error="setup left %d threads running; a fork server must fork with one "
              "(torch: call torch.set_num_threads(1) before the first torch operation; "
              "or set OMP_NUM_THREADS=1)" % _threads())
        return 1
    _keep_freed_memory()
    gc.freeze()  # the collector does not touch setup's objects: their pages stay shared
    _send(sock, ready=True, pid=os.getpid())
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    spares = _Spares(sock, train, state)
    while True:
        spares.until_asked()
        try:
            data, fds, _, _ = socket.recv_fds(sock, _MAX_MSG, 3)
        except InterruptedError:
            continue
        if not data:
            return 0  # caviard closed the socket: the sweep is over
        spares.start_trial(json.loads(data), fds)


class _Spares:
    """Trial processes forked before their trials are asked for. Forking a
    process of torch's size costs ~20 ms, and twice that to make the child
    caviard's (a child forks it and exits: the orphan is adopted by caviard,
    a child subreaper), so the server keeps SPARES waiting, each already
    caviard's child, leading its own process group and asked to die with
    caviard. A trial is handed to one (its request and descriptors over a
    socket pair); the server forks the next spare only when no request is
    waiting, and the second fork runs in the forking child, not the server.
    A spare whose server is gone sees its socket close and exits; caviard
    reaps it as an exit nobody claims."""

    SPARES = 2

    def __init__(self, sock, train, state):
        self.sock, self.train, self.state = sock, train, state
        self.ready = []   # (pid, socket): waiting for a trial
        self.coming = []  # sockets of spares that have not said their pid
        self.forking = [] # pids of the children that fork a spare and exit, not yet reaped

    def _fork(self):
        """Starts one more spare; False when fork failed."""
        import socket
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError:
            mine.close()
            theirs.close()
            return False
        if pid == 0:
            code = 1
            try:
                mine.close()
                if os.fork() == 0:
                    # the spare keeps its own socket only: one it kept of
                    # another spare would hide the server's end from that one
                    for conn in [self.sock] + self.coming + [c for _, c in self.ready]:
                        conn.close()
                    _spare(theirs, self.train, self.state)  # never returns
                code = 0
            finally:
                os._exit(code)
        theirs.close()
        self.coming.append(mine)
        self.forking.append(pid)
        return True

    def _hear(self, conn):
        """A coming spare's first message: its pid, or nothing if it died."""
        self.coming.remove(conn)
        try:
            said = json.loads(conn.recv(_MAX_MSG) or b"{}")
        except (OSError, ValueError):
            said = {}
        if "pid" in said:
            self.ready.append((said["pid"], conn))
        else:
            conn.close()

    def _reap(self):
        """Reaps the forking children that have exited (by pid: a child that
        setup started is the program's to wait for)."""
        for pid in list(self.forking):
            try:
                done = os.waitpid(pid, os.WNOHANG)[0] == pid
            except ChildProcessError:
                done = True
            if done:
                self.forking.remove(pid)

    def until_asked(self):
        """Returns once caviard has sent something, forking spares meanwhile."""
        while True:
            self._reap()
            waiting = self.coming + [self.sock]
            if len(self.ready) + len(self.coming) < self.SPARES:
                asked, _, _ = select.select([self.sock], [], [], 0)
                if asked:
                    return
                if self._fork():
                    continue
            asked, _, _ = select.select(waiting, [], [])
            for conn in asked:
                if conn is not self.sock:
                    self._hear(conn)
            if self.sock in asked:
                return

    def _take(self):
        """A spare, waiting for one if none is ready; None if none can be made."""
        if not self.ready and not self.coming:
            self._fork()
        while not self.ready and self.coming:
            self._hear(self.coming[0])
        return self.ready.pop(0) if self.ready else None

    def start_trial(self, req, fds):
        """Hands the trial to a spare and says it started, or says why not."""
        import socket
        trial = req["trial"]
        try:
            if len(fds) != 3:
                _send(self.sock, failed=trial,
                      error="the request came with %d descriptors, not 3" % len(fds))
                return
            for _ in range(self.SPARES + 1):
                spare = self._take()
                if spare is None:
                    break
                pid, conn = spare
                try:
                    socket.send_fds(conn, [json.dumps(req).encode()], fds)
                except OSError:
                    continue  # that spare died before its trial came: the next
                finally:
                    conn.close()
                _send(self.sock, started=trial, pid=pid)
                return
            _send(self.sock, failed=trial, error="fork: the trial's process could not be made")
        finally:
            for fd in fds:
                os.close(fd)


def _spare(conn, train, state):
    """A spare trial process: caviard's child once its forking parent has
    exited, then waits for its trial. Never returns."""
    import ctypes
    import resource
    import socket
    import traceback

    rc = 70
    try:
        os.setpgid(0, 0)  # before its pid is told: caviard signals the group
        parent = int(os.environ.get("CAVIAR_PARENT_PID", "0"))
        for _ in range(20000):  # until the forking parent has exited
            if os.getppid() == parent:
                break
            time.sleep(0.0005)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: die with caviard
        if os.getppid() != parent:
            sys.stderr.write("caviar: a trial's process was not adopted by caviard "
                             "(pid %d)\n" % parent)
            os._exit(70)
        conn.send(json.dumps({"pid": os.getpid()}).encode())
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(conn, _MAX_MSG, 3)
                break
            except InterruptedError:
                continue
        if not data or len(fds) != 3:
            os._exit(0)  # the server is gone, or sent no trial: nothing to run
        conn.close()
        req = json.loads(data)
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.environ.pop(FORK_SERVER_ENV, None)
        for item in req.get("env", []):
            name, _, value = item.partition("=")
            os.environ[name] = value
        os.chdir(req["cwd"])
        mb = int(req.get("memory_mb", 0))
        if mb > 0:
            resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))
        _trial_begins()
        rc = train(state)
        rc = 0 if rc is None else int(rc)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        traceback.print_exc()
        rc = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(rc)


def _trial_begins():
    """A forked trial starts as a fresh program would: this module's state
    anew, caviard's signals, and every random stream reseeded."""
    global _stop, _prefix, _curve, _values, _pending, _stdin_open, _asked, _reports
    global _warned, _epoch, _step, _saved_values
    _stop, _curve, _values, _pending, _stdin_open = False, None, None, b"", True
    _saved_values = None
    _asked, _reports, _warned, _epoch, _step = False, 0, False, 0, 0
    _prefix = os.environ.get("CAVIAR_METRICS_PREFIX", "")
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGUSR1, _on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _reseed(int(os.environ.get("CAVIAR_SEED", "0")))


def _reseed(seed):
    """Seeds random, and numpy and torch when imported."""
    import random
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed % (1 << 32))
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
