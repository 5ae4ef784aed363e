"""caviar_client: drive caviard from Python (stdlib only, Python 3.9+).

The other Python half of caviar's SDK: caviar.py goes in a training program
(the trial's side); this module goes in the program that runs sweeps (the
user's side): it submits, follows and steers sweeps over caviard's socket, and
reads their results from caviard's database, read-only.

    from caviar_client import Client, CaviarError

    c = Client()                             # the socket `caviar` uses
    sweep = c.submit("bowl.json")            # or a dict
    for event in c.events(sweep):            # the live stream, until the sweep ends
        print(event["event"], event.get("trial"))
    print(c.best(sweep, 1)[0])               # the leaderboard's first row

Requests go to the daemon (docs/protocol.md of caviar's source: one JSON
request line, one JSON reply line, "v": PROTO_VERSION); reads it can answer
from the database (sweeps, trials, curve, best) open it with sqlite3 in
read-only mode and read the schema's documented views (sweep_progress,
leaderboard, curves) and the trials and points tables with the objectives
view, with the SQL of common/query.c. They see what caviard has committed: it writes in
batches (at most a second behind), and a sweep's rows are all committed before
it is reported ended.

Every error is a CaviarError: str() is the message (the daemon's own when it
refused), .code the `caviar` command's exit code for it: 3 no daemon or the
connection broke, 4 the spec is unreadable or invalid, 1 anything else refused;
.daemon_code the refusal's machine-readable code ("not_found", "bad_spec", ...,
docs/protocol.md), None when the daemon did not refuse.

Put this file's directory on PYTHONPATH: `meson install` puts it in
<datadir>/caviar/sdk (e.g. ~/.local/share/caviar/sdk).
"""

import json
import os
import socket as _socket
import sqlite3
import struct
import time
import urllib.parse

__all__ = ["Client", "CaviarError", "default_socket", "default_db", "PROTO_VERSION",
           "EXIT_FAILED", "EXIT_NODAEMON", "EXIT_SPEC"]

# The socket protocol version this module speaks (PROTO_VERSION in
# common/proto.h; tests/e2e/test_pyclient.sh checks they are equal).
PROTO_VERSION = 1

# The `caviar` command's exit codes (tools/cli/cli.h), as CaviarError.code.
EXIT_FAILED = 1    # the daemon refused the request (no such sweep, ...)
EXIT_NODAEMON = 3  # no daemon at the socket, or the connection broke
EXIT_SPEC = 4      # the spec is unreadable or invalid

# Error codes of caviard's refusals (an error reply's "code": common/proto.h;
# tests/e2e/vocab_check.py checks each is one of them).
_BAD_VERSION = "bad_version"
# what caviard's submit refuses that is not the spec's fault: the database
# cannot be written, a Slurm node cannot run the trials
_NOT_SPEC = ("db_error", "unavailable")

# The schema's columns that hold JSON text (query_row in common/query.c).
_JSON_COLUMNS = ("params", "ranges", "spec", "tags", "suggestion", "objectives", "constraints")

# The reads, copied from common/query.c under its names (this module links no
# C): tests/e2e/vocab_check.py checks each copy is the text query.c has.
_SQL = {
    "QUERY_PROGRESS": "SELECT * FROM sweep_progress ORDER BY sweep_id",
    "QUERY_SWEEP_BRIEF": "SELECT id, name, status, metric, mode, budget, search, seed, created_at,"
                         " finished_at, ended_reason FROM sweeps WHERE id = ?1",
    "QUERY_TRIALS": "SELECT t.id, t.number, t.round, t.status, t.params, t.epochs, t.best_value,"
                    " t.best_epoch, t.reason, t.started_at, t.ended_at, o.objective,"
                    " t.parent_trial_id"
                    " FROM trials t LEFT JOIN objectives o ON o.trial_id = t.id"
                    " WHERE t.sweep_id = ?1 ORDER BY t.number",
    "QUERY_TRIAL": "SELECT t.*, s.name AS sweep, s.metric, s.mode, o.objective"
                   " FROM trials t JOIN sweeps s ON s.id = t.sweep_id"
                   " LEFT JOIN objectives o ON o.trial_id = t.id WHERE t.id = ?1",
    "QUERY_TRIAL_POINTS": "SELECT metric, epoch, step, value, wall_time FROM curves"
                          " WHERE trial_id = ?1 ORDER BY epoch, step, metric",
    "QUERY_TRIAL_METRIC": "SELECT epoch, value FROM"
                          " (SELECT epoch, value, row_number() OVER"
                          "   (PARTITION BY epoch ORDER BY step DESC) AS r"
                          "  FROM points WHERE trial_id = ?1 AND metric = ?2)"
                          " WHERE r = 1 ORDER BY epoch",
    "QUERY_LEADERBOARD": "SELECT rank, trial_id, number, status, objective, best_epoch, epochs,"
                         " params FROM leaderboard WHERE sweep_id = ?1 ORDER BY rank, number"
                         " LIMIT ?2",
    "QUERY_GOALS": "SELECT idx, kind, metric, mode, lo, hi FROM goals WHERE sweep_id = ?1"
                   " ORDER BY idx",
    "QUERY_PARETO": "SELECT rank, trial_id, number, status, crowding, violation, feasible,"
                    " objectives, constraints, params FROM pareto"
                    " WHERE sweep_id = ?1 AND (?2 < 0 OR rank = ?2)"
                    " ORDER BY rank, crowding DESC, number",
}


class CaviarError(Exception):
    """What went wrong (str(e), the daemon's message when it refused), the
    `caviar` command's exit code for it (e.code: 1, 3 or 4) and the daemon's
    code for a refusal (e.daemon_code: "not_found", ...; else None)."""

    def __init__(self, message, code=EXIT_FAILED, daemon_code=None):
        super().__init__(message)
        self.code = code
        self.daemon_code = daemon_code


def default_socket():
    """The socket `caviar` uses: $CAVIAR_SOCKET, else
    $XDG_RUNTIME_DIR/caviar/caviard.sock, else /tmp/caviar-$UID/caviard.sock."""
    if os.environ.get("CAVIAR_SOCKET"):
        return os.environ["CAVIAR_SOCKET"]
    if os.environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(os.environ["XDG_RUNTIME_DIR"], "caviar", "caviard.sock")
    return "/tmp/caviar-%d/caviard.sock" % os.getuid()


def default_db():
    """The database caviard uses when none is given: $XDG_DATA_HOME/caviar/caviar.db,
    else ~/.local/share/caviar/caviar.db."""
    if os.environ.get("XDG_DATA_HOME"):
        return os.path.join(os.environ["XDG_DATA_HOME"], "caviar", "caviar.db")
    return os.path.join(os.environ.get("HOME", "."), ".local", "share", "caviar", "caviar.db")


class _Connection:
    """One connection to caviard: JSON lines both ways."""

    def __init__(self, path, timeout):
        self.path = path
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
            self._check_peer(sock)
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            raise CaviarError("no daemon is running at %s; start one with 'caviard &' "
                              "(or 'caviard --socket %s'), or point CAVIAR_SOCKET at it"
                              % (path, path), EXIT_NODAEMON) from None
        except OSError as e:
            sock.close()
            raise CaviarError("%s: %s" % (path, e.strerror or e), EXIT_NODAEMON) from None
        self.sock = sock
        self.file = sock.makefile("rb")

    def _check_peer(self, sock):
        """Whoever listens must be us: nothing is sent to another user's socket."""
        creds = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, struct.calcsize("3i"))
        uid = struct.unpack("3i", creds)[1]
        if uid != os.geteuid():
            raise CaviarError("%s is served by uid %d, not you (uid %d); refusing to send"
                              % (self.path, uid, os.geteuid()), EXIT_NODAEMON)

    def send(self, request):
        try:
            self.sock.sendall(json.dumps(request, allow_nan=False).encode() + b"\n")
        except OSError as e:
            raise CaviarError("connection to caviard lost (%s)" % (e.strerror or e),
                              EXIT_NODAEMON) from None

    def recv(self):
        """The next line as a dict, or None at the end of the stream."""
        try:
            line = self.file.readline()
        except OSError as e:
            raise CaviarError("connection to caviard lost (%s)" % (e.strerror or e),
                              EXIT_NODAEMON) from None
        if not line:
            return None
        try:
            return json.loads(line)
        except ValueError:
            raise CaviarError("caviard sent a line that is not JSON: %.80r" % line,
                              EXIT_NODAEMON) from None

    def close(self):
        self.file.close()
        self.sock.close()


def _row(cursor, values):
    row = {}
    for (name, *_), value in zip(cursor.description, values):
        if name in _JSON_COLUMNS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        row[name] = value
    return row


def _frame(rows, as_frame):
    if not as_frame:
        return rows
    try:
        import pandas
    except ImportError:
        raise CaviarError("as_frame=True needs pandas, which is not importable "
                          "(pip install pandas, or apt install python3-pandas)") from None
    return pandas.json_normalize(rows) if rows else pandas.DataFrame()


class Client:
    """A client of one caviard. socket: its path (default_socket() when None);
    db: the database to read (when None, the one the daemon's status names,
    or without a daemon default_db() when it exists); timeout: seconds to
    wait for a reply (None: forever; wait() and events() always may)."""

    def __init__(self, socket=None, db=None, timeout=30.0):
        self.socket = socket or default_socket()
        self.timeout = timeout
        self._db_path = db

    # ---- requests ----

    def call(self, cmd, **fields):
        """Sends one request {"cmd": cmd, "v": PROTO_VERSION, **fields} and
        returns the reply (a dict with "ok": true); a refusal raises
        CaviarError with the daemon's message. fields may override "v"."""
        return self._call(dict({"cmd": cmd, "v": PROTO_VERSION}, **fields), self.timeout)

    def _call(self, request, timeout):
        conn = _Connection(self.socket, timeout)
        try:
            conn.send(request)
            reply = conn.recv()
        except _socket.timeout:
            raise CaviarError("caviard did not reply within %g s" % timeout, EXIT_NODAEMON) from None
        finally:
            conn.close()
        if reply is None:
            raise CaviarError("connection to caviard lost before its reply", EXIT_NODAEMON)
        if not reply.get("ok"):
            raise CaviarError(self._refusal(request, reply), EXIT_FAILED, reply.get("code"))
        return reply

    @staticmethod
    def _refusal(request, reply):
        message = str(reply.get("error", "the request was refused"))
        if reply.get("code") == _BAD_VERSION:
            message += "; this client speaks version %d: use the caviar_client.py " \
                       "installed with this caviard" % PROTO_VERSION
        return "%s: %s" % (request.get("cmd"), message)

    def status(self):
        """The daemon's status reply: version, pid, db, slots, sweeps, running, ..."""
        return self.call("status")

    def submit(self, spec):
        """Submits a sweep: spec is a dict, or the path of a spec file. A command
        spec without "workdir" gets the file's directory, as `caviar submit`
        does, or for a dict the caller's current directory. Returns the new
        sweep's id."""
        where = "submit"
        if not isinstance(spec, dict):
            where = "submit: %s" % spec
            spec = self._read_spec(os.fspath(spec))
        elif "command" in spec and "workdir" not in spec:
            # a command's relative paths are the caller's, not the daemon's directory
            spec = dict(spec, workdir=os.getcwd())
        try:
            return self.call("submit", spec=spec)["sweep"]
        except CaviarError as e:
            if e.code == EXIT_FAILED and e.daemon_code not in _NOT_SPEC:
                raise CaviarError("%s: %s" % (where, str(e)[len("submit: "):]), EXIT_SPEC,
                                  e.daemon_code) from None
            raise

    @staticmethod
    def _read_spec(path):
        try:
            with open(path) as f:
                spec = json.load(f)
        except OSError as e:
            raise CaviarError("submit: %s: %s" % (path, e.strerror), EXIT_SPEC) from None
        except ValueError as e:
            raise CaviarError("submit: %s: not valid JSON: %s" % (path, e), EXIT_SPEC) from None
        if not isinstance(spec, dict):
            raise CaviarError("submit: %s: expected a JSON object" % path, EXIT_SPEC)
        if "command" in spec and "workdir" not in spec:
            spec["workdir"] = os.path.dirname(os.path.realpath(path))
        return spec

    def wait(self, sweep):
        """Blocks until the sweep ends; returns its status ("done", "cancelled", "failed")."""
        return self._call({"cmd": "wait", "v": PROTO_VERSION, "sweep": sweep}, None)["status"]

    def cancel(self, sweep=None, trial=None):
        """Cancels a sweep (or, with trial=, one trial); returns how many trials it stopped."""
        if (sweep is None) == (trial is None):
            raise CaviarError("cancel: give a sweep or a trial")
        fields = {"sweep": sweep} if trial is None else {"trial": trial}
        return self.call("cancel", **fields)["cancelled"]

    def pause(self, sweep):
        """No new trial of the sweep starts until resume(); running ones go on."""
        self.call("pause", sweep=sweep)

    def resume(self, sweep):
        self.call("resume", sweep=sweep)

    def extend(self, sweep, n):
        """n more trials for the sweep (an ended one runs again); returns its new budget."""
        return self.call("extend", sweep=sweep, n=n)["trials"]

    def adjust(self, trial, changes=None, /, *, force=False, **values):
        """Changes a running trial's hyperparameters from its next step, as
        `caviar adjust` does: adjust(7, lr=0.01, batch=64), or with a dict for
        a name that is not a Python keyword, or is force: adjust(7, {"force":
        2}). caviard checks each value against the spec (its kind: a log
        parameter's must be > 0; its range, unless force=True; a "steer":
        false parameter is structural) and the program applies all or none.
        Returns the reply: trial, epoch and step (where the trial was) and
        changes ({name: [old, new]}). A refusal, and a trial that is not
        running, raises CaviarError with the daemon's message and .daemon_code
        "refused"."""
        return self._steer("adjust", trial, changes, values, force)

    def fork(self, trial, changes=None, /, *, epoch=None, force=False, **values):
        """A new trial of the trial's sweep from its checkpoint after epoch
        (None: its latest), with its values as they were then and the changes
        given (checked as adjust's are; a dict as for adjust, also for a
        parameter named epoch), as `caviar fork` does. Returns the
        reply: trial (the new one's id), sweep, parent, epoch and params. An
        epoch whose checkpoint was not kept, a structural parameter, a command
        trial: CaviarError, .daemon_code "refused"."""
        return self._steer("fork", trial, changes, values, force, epoch)

    def _steer(self, cmd, trial, changes, values, force, epoch=None):
        values = dict(changes or {}, **values)
        if cmd == "adjust":
            reply = self.call("adjust", trial=trial, set=values, force=bool(force))
        elif epoch is None:
            reply = self.call("fork", trial=trial, set=values, force=bool(force))
        else:
            reply = self.call("fork", trial=trial, epoch=epoch, set=values, force=bool(force))
        reply.pop("ok", None)
        return reply

    # ---- the event stream ----

    def events(self, sweep, reconnect=30.0):
        """Yields the sweep's events (dicts, docs/protocol.md) as they happen,
        starting with a "snapshot" of its running trials, and ends after its
        "sweep_ended". A sweep already over yields nothing.

        When the connection breaks (the daemon restarted), it connects again
        for up to `reconnect` seconds, subscribes again (a new "snapshot"
        follows) and goes on; events while it was away are lost. A sweep that
        ended meanwhile ends the stream with a "sweep_ended" the client made
        from the sweep's row (it has "missed": true). No daemon back in time
        raises CaviarError (code 3)."""
        conn = self._subscribe(sweep)
        if conn is None:
            return
        try:
            while True:
                event = conn.recv()
                if event is None:
                    conn.close()
                    conn = self._resubscribe(sweep, reconnect)
                    if conn is None:
                        yield self._missed_end(sweep)
                        return
                    continue
                yield event
                if event.get("event") == "sweep_ended" and event.get("sweep") == sweep:
                    return
        finally:
            if conn is not None:
                conn.close()

    def _subscribe(self, sweep):
        """A connection subscribed to sweep, its reply read; None when the sweep is over."""
        conn = _Connection(self.socket, self.timeout)
        try:
            conn.send({"cmd": "subscribe", "v": PROTO_VERSION, "sweep": sweep})
            reply = conn.recv()
            if reply is None:
                raise CaviarError("connection to caviard lost before its reply", EXIT_NODAEMON)
            if not reply.get("ok"):
                raise CaviarError(self._refusal({"cmd": "subscribe"}, reply), EXIT_FAILED,
                                  reply.get("code"))
            conn.sock.settimeout(None)
            # Subscribed first, then asked: a sweep ending after this is seen.
            if not self._active(sweep):
                conn.close()
                return None
        except BaseException:
            conn.close()
            raise
        return conn

    def _active(self, sweep):
        """True when the sweep runs or is paused; CaviarError when there is no such sweep."""
        if any(s["sweep"] == sweep for s in self.status()["sweeps"]):
            return True
        self._sweep_row(sweep)
        return False

    def _resubscribe(self, sweep, reconnect):
        deadline = time.monotonic() + reconnect
        while True:
            try:
                return self._subscribe(sweep)
            except CaviarError as e:
                if e.code != EXIT_NODAEMON or time.monotonic() >= deadline:
                    if e.code == EXIT_NODAEMON:
                        raise CaviarError("connection to caviard lost while following sweep "
                                          "%d, and no daemon came back within %g s: %s"
                                          % (sweep, reconnect, e), EXIT_NODAEMON) from None
                    raise
            time.sleep(0.1)

    def _missed_end(self, sweep):
        row = self._sweep_row(sweep)
        return {"event": "sweep_ended", "sweep": sweep, "name": row["name"],
                "status": row["status"], "missed": True}

    # ---- reads from the database ----

    def db_path(self):
        """The database the reads open (see Client)."""
        if self._db_path is None:
            try:
                self._db_path = self.status()["db"]
            except CaviarError as e:
                if e.code != EXIT_NODAEMON or not os.path.exists(default_db()):
                    raise
                self._db_path = default_db()
        return self._db_path

    def _query(self, name, *args):
        path = self.db_path()
        uri = "file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(path))
        try:
            db = sqlite3.connect(uri, uri=True, timeout=self.timeout or 30.0)
        except sqlite3.Error as e:
            raise CaviarError("%s: %s" % (path, e)) from None
        try:
            cursor = db.execute(_SQL[name], args)
            return [_row(cursor, values) for values in cursor.fetchall()]
        except sqlite3.Error as e:
            raise CaviarError("%s: %s" % (path, e)) from None
        finally:
            db.close()

    def _sweep_row(self, sweep):
        rows = self._query("QUERY_SWEEP_BRIEF", sweep)
        if not rows:
            raise CaviarError("no sweep %d" % sweep)
        return rows[0]

    def sweeps(self, as_frame=False):
        """Every sweep's row of the sweep_progress view (sweep_id, name, status,
        budget, sampled, queued, running, done, failed, pruned, cancelled,
        metric, best, mode, ended, best_trial_id), by id."""
        return _frame(self._query("QUERY_PROGRESS"), as_frame)

    def trials(self, sweep, as_frame=False):
        """The sweep's trials, by number: trial_id (as best() and every other
        reader name a trial's id; number is its place in the sweep), number,
        round, status, params, epochs, best_value, best_epoch, reason,
        started_at, ended_at, objective (the objectives view's: null for a
        trial that does not count) and parent_trial_id (a fork's parent, else
        None); also id, the same as trial_id, for scripts written before
        (deprecated). as_frame: a pandas DataFrame, params flattened to
        params.NAME columns."""
        self._sweep_row(sweep)
        # trial_id first, as every other reader names a trial's id, and id
        # kept last: the name trials() rows had before (deprecated)
        rows = [dict({"trial_id": r["id"]}, **{k: v for k, v in r.items() if k != "id"},
                     id=r["id"]) for r in self._query("QUERY_TRIALS", sweep)]
        return _frame(rows, as_frame)

    def curve(self, trial, metric=None, as_frame=False):
        """The trial's points: every metric's (metric, epoch, step, value,
        wall_time) from the curves view; with metric, that metric's (epoch,
        value) at the last step of each epoch."""
        if not self._query("QUERY_TRIAL", trial):
            raise CaviarError("no trial %d" % trial)
        rows = (self._query("QUERY_TRIAL_METRIC", trial, metric) if metric
                else self._query("QUERY_TRIAL_POINTS", trial))
        return _frame(rows, as_frame)

    def best(self, sweep, k=1, as_frame=False):
        """The sweep's k best trials, the leaderboard view's rows (rank,
        trial_id, number, status, objective, best_epoch, epochs, params): done
        or pruned trials only, best objective first."""
        self._sweep_row(sweep)
        return _frame(self._query("QUERY_LEADERBOARD", sweep, k), as_frame)

    def pareto(self, sweep, rank=0, as_frame=False):
        """The sweep's Pareto ranking, the pareto view's rows (rank, trial_id,
        number, status, crowding, violation, feasible, objectives,
        constraints, params; objectives and constraints are dicts of each
        goal's last value): rank 0, the front, by default; rank=None for
        every rank, the front first. A sweep with one objective and no
        constraint has none: CaviarError."""
        self._sweep_row(sweep)
        if not self._query("QUERY_GOALS", sweep):
            raise CaviarError("sweep %d has one objective and no constraint: it has no "
                              "Pareto front" % sweep)
        return _frame(self._query("QUERY_PARETO", sweep, -1 if rank is None else rank),
                      as_frame)
