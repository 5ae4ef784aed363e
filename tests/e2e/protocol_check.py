"""protocol_check: docs/protocol.md against a real caviard, so it cannot drift.

Run by test_protocol.sh (a fresh daemon, CAVIAR_SOCKET set):
    protocol_check.py SOURCE_ROOT [--dump]

The document's examples are "C: {request}" lines, each followed by the
"S: {reply}" line(s) the daemon sends; "S:" lines with an "event" key are the
event stream's. Every request is sent, in the document's order ("sweep" is the
sweep the first submit made, except 99, which stays the sweep that does not
exist; "trial" a trial of it running or queued then), and:
  - a reply documented ok has every documented key, nested objects' too, and
    each key it has is documented (in the example or named in the section);
  - a documented error is an error with exactly the documented message and
    code;
  - every event kind documented was seen (on a subscription to every sweep
    held through the run), with the same rule for keys;
  - every command of the vocabulary (common/proto.c, as VOCAB_DUMP prints it)
    has a request in the document, every event kind an example, and every
    error code is named.
--dump prints each real reply and event kind once instead of judging, to write
the document from.
"""

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

ROOT = sys.argv[1]
DUMP = "--dump" in sys.argv
SOCK = os.environ["CAVIAR_SOCKET"]
OPAQUE = {"params", "metrics", "spec"}  # objects whose keys are the user's
fails = []


def fail(msg):
    print("FAIL: " + msg)
    fails.append(msg)


def ok(msg):
    print("ok   " + msg)


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SOCK)
    return s, s.makefile("rb")


def call(req, extra_lines=0):
    s, f = connect()
    s.sendall(json.dumps(req).encode() + b"\n")
    lines = [json.loads(f.readline()) for _ in range(1 + extra_lines)]
    s.close()
    return lines


def sections(text):
    """[(section text, [(request, [server objects])]), events]"""
    out, events = [], []
    for part in re.split(r"\n(?=##+ )", text):
        pairs = []
        for kind, body in re.findall(r"^(C|S): (\{.*\})$", part, re.M):
            obj = json.loads(body)
            if kind == "C":
                pairs.append((obj, []))
            elif "event" in obj:
                events.append((part, obj))
                if pairs and pairs[-1][0].get("cmd") == "subscribe":
                    pairs[-1][1].append(obj)
            elif pairs:
                pairs[-1][1].append(obj)
        out.append((part, pairs))
    return out, events


def named(section, key):
    return ('"%s"' % key) in section or ("`%s`" % key) in section


def same_keys(what, section, doc, real):
    for key in doc:
        if key not in real:
            fail("%s: documented key %r missing from the real %s" % (what, key, json.dumps(real)[:300]))
    for key in real:
        if key not in doc and not named(section, key):
            fail("%s: key %r of the real reply is not documented" % (what, key))
    for key, value in doc.items():
        if key in OPAQUE or key not in real:
            continue
        if isinstance(value, dict) and isinstance(real[key], dict):
            same_keys("%s.%s" % (what, key), section, value, real[key])
        if (isinstance(value, list) and value and isinstance(value[0], dict)
                and isinstance(real[key], list) and real[key]):
            same_keys("%s.%s[0]" % (what, key), section, value[0], real[key][0])


class Watcher(threading.Thread):
    """Holds a subscription to every sweep: the event kinds seen, one example each."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen = {}
        self.sock, self.file = connect()
        self.sock.sendall(b'{"cmd": "subscribe", "v": 1}\n')
        self.file.readline()

    def run(self):
        for line in self.file:
            e = json.loads(line)
            self.seen.setdefault(e["event"], e)


def source_names():
    """The vocabulary's commands, event kinds and error codes (common/proto.c)."""
    vocab = json.loads(subprocess.run([os.environ["VOCAB_DUMP"]], check=True,
                                      capture_output=True, text=True).stdout)
    return list(vocab["requests"]), set(vocab["events"]), vocab["codes"]


def pick_trial(sweep):
    running = call({"cmd": "status", "v": 1})[0]["running"]
    mine = [t["trial"] for t in running if t["sweep"] == sweep]
    return mine[-1] if mine else None


def run_request(section, req, doc_replies, state):
    req = dict(req)
    if isinstance(req.get("sweep"), int) and req["sweep"] != 99 and state.get("sweep"):
        req["sweep"] = state["sweep"]
    if "trial" in req and state.get("sweep"):
        req["trial"] = pick_trial(state["sweep"]) or req["trial"]
    real = call(req, extra_lines=len(doc_replies) - 1 if req["cmd"] == "subscribe" else 0)
    what = json.dumps(req)
    if DUMP:
        for r in real:
            print("C: %s\nS: %s" % (what, json.dumps(r)))
    if req["cmd"] == "submit" and real[0].get("ok") and "sweep" not in state:
        state["sweep"] = real[0]["sweep"]
    for doc, got in zip(doc_replies, real):
        if DUMP:
            continue
        if doc.get("ok") is False:
            if (got.get("ok") is False and got.get("error") == doc.get("error")
                    and got.get("code") == doc.get("code")):
                ok("%s -> error %r, %s" % (what, doc["error"], doc.get("code")))
            else:
                fail("%s: expected the error %r, got %s" % (what, doc.get("error"), json.dumps(got)))
            continue
        if got.get("ok") is False:
            fail("%s: refused: %s" % (what, got.get("error")))
            continue
        n = len(fails)
        same_keys(what, section, doc, got)
        if len(fails) == n:
            ok("%s -> the documented keys" % what)


def main():
    text = open(os.path.join(ROOT, "docs/protocol.md")).read()
    parts, events = sections(text)
    cmds, kinds, codes = source_names()
    documented = {req["cmd"] for _, pairs in parts for req, _ in pairs}
    for cmd in cmds:
        if cmd not in documented:
            fail("command %r (common/proto.c) has no example request" % cmd)
    doc_kinds = {e["event"] for _, e in events}
    for kind in kinds:
        if kind not in doc_kinds:
            fail("event %r (common/proto.c) has no example" % kind)
    for code in codes:
        if ('`%s`' % code) not in text:
            fail("error code %r (common/proto.c) is not named" % code)
    if not fails:
        ok("every command (%d) and event kind (%d) of the vocabulary has an example, "
           "every error code (%d) is named" % (len(cmds), len(kinds), len(codes)))
    watcher = Watcher()
    watcher.start()
    state = {}
    for section, pairs in parts:
        for req, replies in pairs:
            if replies:
                run_request(section, req, replies, state)
            else:
                fail("%s has no documented reply" % json.dumps(req))
    time.sleep(0.5)  # the last events reach the watcher
    if DUMP:
        for kind, e in sorted(watcher.seen.items()):
            print("S: " + json.dumps(e))
        return 0
    for section, doc in events:
        real = watcher.seen.get(doc["event"])
        if real is None:
            fail("event %r documented but never seen" % doc["event"])
            continue
        n = len(fails)
        same_keys("event " + doc["event"], section, doc, real)
        if len(fails) == n:
            ok("event %s: the documented keys" % doc["event"])
    for kind in watcher.seen:
        if kind not in doc_kinds:
            fail("event %r seen but not documented" % kind)
    print("%d check(s) failed" % len(fails) if fails else "all good")
    return 1 if fails else 0


sys.exit(main())
