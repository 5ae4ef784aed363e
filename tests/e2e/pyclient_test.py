"""pyclient_test: sdk/caviar_client.py against a real caviard (run by
test_pyclient.sh, which starts the daemon: CAVIAR_SOCKET, CAVIARD, DB, TMP set)."""

import json
import os
import re
import subprocess
import sys
import threading
import time

import caviar_client
from caviar_client import CaviarError, Client

fails = []


def check(what, got, want):
    if got == want:
        print("ok   " + what)
    else:
        print("FAIL: %s: got %r, expected %r" % (what, got, want))
        fails.append(what)


def raises(what, code, pattern, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except CaviarError as e:
        check(what + ": code", e.code, code)
        check(what + ": message matches " + pattern, bool(re.search(pattern, str(e))), True)
        return
    print("FAIL: %s: no CaviarError" % what)
    fails.append(what)


def spec(name, trials=4, epochs=3, epoch_ms=20):
    return {"name": name, "trials": trials, "seed": 7, "task": "bowl",
            "objective": {"metric": "val_loss", "mode": "min"},
            "train": {"epochs": epochs, "epoch_ms": epoch_ms},
            "params": {"lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.5, 0.999]}}}


TMP = os.environ["TMP"]
c = Client()
src = open(os.path.join(os.environ["ROOT"], "common/proto.h")).read()
check("PROTO_VERSION is common/proto.h's",
      caviar_client.PROTO_VERSION, int(re.search(r"#define PROTO_VERSION (\d+)", src).group(1)))

# 1. submit a dict, follow it with events(), read the results.
sweep = c.submit(spec("py-dict"))
kinds = [e["event"] for e in c.events(sweep)]
check("events(): starts with the snapshot", kinds[0], "snapshot")
check("events(): ends with sweep_ended", kinds[-1], "sweep_ended")
check("events(): every trial ended", kinds.count("trial_ended"), 4)
check("events(): 3 progress events per trial", kinds.count("progress"), 12)
check("events() of an ended sweep yields nothing", list(c.events(sweep)), [])
check("wait(): done", c.wait(sweep), "done")
rows = c.sweeps()
check("sweeps(): sweep_progress's row", (rows[-1]["sweep_id"], rows[-1]["done"], rows[-1]["ended"]),
      (sweep, 4, 4))
trials = c.trials(sweep)
check("trials(): 4 rows, params decoded", (len(trials), type(trials[0]["params"])), (4, dict))
exported = json.loads(subprocess.run([os.environ["CAVIAR"], "export", str(sweep), "--json"],
                                     capture_output=True, text=True, check=True).stdout)
check("trials(): a trial's id is trial_id, as in best() and caviar export --json",
      [t["trial_id"] for t in trials], [e["trial_id"] for e in exported])
check("trials(): id, the deprecated name, is still there and the same",
      [t["id"] for t in trials], [t["trial_id"] for t in trials])
check("trials(): no fork, no parent", {t["parent_trial_id"] for t in trials}, {None})
best = c.best(sweep, 2)
check("best(): 2 rows, rank 1 first", [r["rank"] for r in best], [1, 2])
check("best(): the sweep's best", best[0]["objective"], rows[-1]["best"])
check("best(): its trial_id names a trials() row", best[0]["trial_id"] in [t["trial_id"] for t in trials], True)
check("best(): as `caviar top`", best[0]["trial_id"], json.loads(subprocess.run(
    [os.environ["CAVIAR"], "top", str(sweep), "--json"], capture_output=True, text=True,
    check=True).stdout)["trials"][0]["trial_id"])
curve = c.curve(best[0]["trial_id"], "val_loss")
check("curve(metric): one value per epoch", [p["epoch"] for p in curve], [1, 2, 3])
check("curve(metric): its best is the trial's", min(p["value"] for p in curve), best[0]["objective"])
check("curve(): every metric", {p["metric"] for p in c.curve(best[0]["trial_id"])} >= {"val_loss", "train_loss"}, True)
try:
    import pandas  # noqa: F401
    frame = c.trials(sweep, as_frame=True)
    check("trials(as_frame): a DataFrame with params.lr", ("params.lr" in frame.columns, len(frame)), (True, 4))
except ImportError:
    raises("trials(as_frame) without pandas", 1, "needs pandas", c.trials, sweep, as_frame=True)

# 2. submit a file: a command spec gets its directory as workdir.
path = os.path.join(TMP, "cmd", "sweep.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(os.path.join(os.path.dirname(path), "train.sh"), "w") as f:
    f.write("echo '{\"epoch\": 1, \"val_acc\": 0.5}'\n")
with open(path, "w") as f:
    json.dump({"name": "py-file", "trials": 1, "command": ["sh", "train.sh"],
               "objective": {"metric": "val_acc", "mode": "max"}, "params": {}}, f)
fsweep = c.submit(path)
check("submit(path): done", c.wait(fsweep), "done")
import sqlite3
db = sqlite3.connect(os.environ["DB"])
check("submit(path): workdir is the file's directory",
      db.execute("SELECT json_extract(spec, '$.workdir') FROM sweeps WHERE id = ?", (fsweep,)).fetchone()[0],
      os.path.dirname(path))
# a dict has no file: its relative paths are the caller's directory's
here = os.getcwd()
os.chdir(os.path.dirname(path))
dsweep = c.submit({"name": "py-dict-cmd", "trials": 1, "command": ["sh", "train.sh"],
                   "objective": {"metric": "val_acc", "mode": "max"}, "params": {}})
os.chdir(here)
check("submit(dict): a relative command runs from the caller's directory", c.wait(dsweep), "done")
check("submit(dict): workdir is the caller's directory",
      db.execute("SELECT json_extract(spec, '$.workdir') FROM sweeps WHERE id = ?", (dsweep,)).fetchone()[0],
      os.path.dirname(path))

# 3. steering: pause, resume, extend, cancel.
long = c.submit(spec("py-long", trials=6, epochs=20, epoch_ms=100))
c.pause(long)
check("pause(): status says paused", [s["state"] for s in c.status()["sweeps"] if s["sweep"] == long], ["paused"])
c.resume(long)
check("extend(): the new budget", c.extend(long, 2), 8)
check("cancel(): trials stopped or dropped", c.cancel(long) > 0, True)
check("wait(): cancelled", c.wait(long), "cancelled")
raises("cancel() of an ended sweep", 1, r"^cancel: sweep \d+ is already cancelled$", c.cancel, long)
raises("pause() of no sweep", 1, r"^pause: no sweep 99$", c.pause, 99)
raises("trials() of no sweep", 1, r"^no sweep 99$", c.trials, 99)

# 3b. adjust() and fork(): checked against the spec by caviard, refusals with
# its message and code, an accepted change recorded.
steered = spec("py-steer", trials=1, epochs=200, epoch_ms=100)
steered["params"]["beta"]["steer"] = False
steered = c.submit(steered)
for _ in range(600):  # until its trial has a checkpoint to fork (30 s at most)
    running = [t for t in c.trials(steered) if t["status"] == "running" and t["epochs"] >= 2]
    if running:
        break
    time.sleep(0.05)
check("adjust(): a running trial to steer", len(running), 1)
t = running[0]["trial_id"] if running else 0


def refusal(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except CaviarError as e:
        return e.code, e.daemon_code, str(e)
    return "accepted"


check("adjust(lr=-1) of a log parameter: refused", refusal(c.adjust, t, lr=-1),
      (1, "refused", "adjust: lr: expected a number > 0, got -1"))
check("adjust() of a structural parameter: refused", refusal(c.adjust, t, beta=0.9),
      (1, "refused", 'adjust: beta: "steer": false in the spec (structural): a running trial '
       "or a fork keeps its value"))
check("adjust() outside the range: refused without force", refusal(c.adjust, t, lr=0.5)[:2],
      (1, "refused"))
check("adjust() of a trial not running", refusal(c.adjust, 999, lr=0.01),
      (1, "refused", "adjust: trial 999 is not running"))
check("a refused change is not recorded",
      db.execute("SELECT count(*) FROM adjustments WHERE trial_id = ?", (t,)).fetchone()[0], 0)
reply = c.adjust(t, lr=0.02)
check("adjust(lr=0.02): applied, [old, new]", (reply["trial"], reply["changes"]["lr"][1]), (t, 0.02))
for _ in range(200):  # caviard commits in batches, at most a second behind
    recorded = db.execute("SELECT name, new_value, source FROM adjustments WHERE trial_id = ?",
                          (t,)).fetchall()
    if recorded:
        break
    time.sleep(0.05)
check("adjust(): the change is recorded", recorded, [("lr", 0.02, "user")])
check("adjust(force=True): outside the range too", c.adjust(t, lr=0.5, force=True)["changes"]["lr"][1], 0.5)
check("fork() of a structural parameter: refused", refusal(c.fork, t, beta=0.9)[:2], (1, "refused"))
check("fork() of an epoch not kept: refused", refusal(c.fork, t, epoch=150)[:2], (1, "refused"))
child = c.fork(t, lr=0.003)
check("fork(lr=0.003): a new trial of the sweep, from its parent",
      (child["sweep"], child["parent"], child["params"]["lr"]), (steered, t, 0.003))
check("fork(): trials() shows its parent",
      [r["parent_trial_id"] for r in c.trials(steered) if r["trial_id"] == child["trial"]], [t])
c.cancel(steered)
c.wait(steered)

# 4. errors: a bad spec (code 4, the JSON path), an unreadable file, a version mismatch.
bad = spec("bad")
bad["params"]["lr"] = {"log": [0.1]}
raises("submit(bad spec)", 4, r"^submit: params\.lr\.log: expected two numbers, got 1$", c.submit, bad)
# The daemon checks a spec sent to its socket as `caviar validate` and `submit`
# check a file (spec_validate_submit): a metric the worker does not report is
# refused with the message the CLI gives.
unreported = spec("bad-objective")
unreported["objective"]["metric"] = "test_acc"  # not a bowl metric
with open(os.path.join(TMP, "unreported.json"), "w") as f:
    json.dump(unreported, f)
cli = subprocess.run([os.environ["CAVIAR"], "validate", os.path.join(TMP, "unreported.json")],
                     capture_output=True, text=True)
cli_message = cli.stderr.splitlines()[0].split("unreported.json: ", 1)[-1] if cli.stderr else ""
check("validate(unreported metric): refused", (cli.returncode, cli_message.startswith("objective.metric: ")),
      (4, True))
raises("submit(unreported metric) to the socket: the CLI's message", 1, "^submit: " + re.escape(cli_message) + "$",
       c.call, "submit", spec=unreported)
raises("submit(unreported metric)", 4, "^submit: " + re.escape(cli_message) + "$", c.submit, unreported)
raises("submit(missing file)", 4, r"nope\.json: No such file", c.submit, os.path.join(TMP, "nope.json"))
with open(os.path.join(TMP, "broken.json"), "w") as f:
    f.write("{")
raises("submit(not JSON)", 4, r"broken\.json: not valid JSON", c.submit, os.path.join(TMP, "broken.json"))
raises("a request in protocol version 99", 1,
       r"^status: protocol version 99 not supported \(daemon speaks 1\); this client speaks version 1",
       c.call, "status", v=99)



def daemon_code(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except CaviarError as e:
        return e.daemon_code
    return None


check("a refusal's daemon_code: not_found", daemon_code(c.pause, 99), "not_found")
check("a refusal's daemon_code: bad_spec", daemon_code(c.submit, bad), "bad_spec")
check("a refusal's daemon_code: bad_version", daemon_code(c.call, "status", v=99), "bad_version")
check("a refusal's daemon_code: refused", daemon_code(c.cancel, long), "refused")

# 5. events() across a daemon restart: it reconnects and goes on to the end.
slow = c.submit(spec("py-restart", trials=2, epochs=8, epoch_ms=150))
seen, done = [], threading.Event()


def follow():
    try:
        for e in Client(timeout=5).events(slow, reconnect=20):
            seen.append(e)
    except Exception as e:  # noqa: BLE001: reported below
        seen.append({"event": "error", "error": repr(e)})
    done.set()


threading.Thread(target=follow, daemon=True).start()
while not any(e["event"] == "progress" for e in seen):
    time.sleep(0.05)
pid = c.status()["pid"]
c.call("shutdown")
while os.path.exists("/proc/%d" % pid):
    time.sleep(0.05)
time.sleep(0.5)  # the client finds no daemon for a while
daemon = subprocess.Popen([os.environ["CAVIARD"], "--db", os.environ["DB"], "--socket",
                           os.environ["CAVIAR_SOCKET"], "--slots", "2"],
                          stderr=open(os.path.join(TMP, "daemon.log"), "a"))
check("events() across a restart: ends", done.wait(60), True)
kinds = [e["event"] for e in seen]
check("events() across a restart: a second snapshot", kinds.count("snapshot"), 2)
check("events() across a restart: ends with sweep_ended, done",
      (seen[-1]["event"], seen[-1].get("status")), ("sweep_ended", "done"))

# 6. no daemon: code 3, for requests and for events() that gives up.
follower = Client(timeout=5).events(c.submit(spec("py-gone", trials=2, epochs=50, epoch_ms=100)), reconnect=0.5)
next(follower)
c.call("shutdown")
daemon.wait()
raises("events() when the daemon does not come back", 3,
       r"connection to caviard lost while following sweep \d+, and no daemon came back within 0\.5 s",
       lambda: list(follower))
raises("status() without a daemon", 3, r"^no daemon is running at .*caviard &", c.status)
raises("a socket that does not exist", 3, r"no daemon is running at /nonexistent/s\.sock",
       Client("/nonexistent/s.sock").submit, spec("x"))
check("without a daemon, reads use the database given", len(Client(db=os.environ["DB"]).trials(sweep)), 4)

print("%d check(s) failed" % len(fails) if fails else "all good")
sys.exit(1 if fails else 0)
