#!/usr/bin/python3
"""serve_http_check.py URL: plain HTTP requests against `caviar serve` (for
tests/e2e/test_serve_http.sh): the token, the cookie, the Host (loopback
names only: DNS rebinding), the same-origin check on actions, and bad requests (oversized, malformed, unknown paths, path
traversal, a trial's adjust or fork or a note with a bad body) answered 4xx
while the server keeps serving; the daemon's refusals as 409; a trial's
lineage; notes set through the API read back; each parameter's kind; a
sweep of one objective's Pareto ranks (none, said); slow clients: 40
connections that send nothing do not lock a page out, and, with the server's
pid, a subscriber that reads nothing is cut off at 4 MiB, its memory freed.
Prints "ok   ..." per check and "FAIL: ..." otherwise; exits 1 on any
failure."""
import http.client
import json
import socket
import struct
import sys
import urllib.parse

FAILS = []
url = urllib.parse.urlsplit(sys.argv[1])
HOST, PORT = url.hostname, url.port
TOKEN = urllib.parse.parse_qs(url.query)["token"][0]
COOKIE = "caviar_token_%d=%s" % (PORT, TOKEN)
ORIGIN = "http://%s:%d" % (HOST, PORT)


def check(what, got, want):
    if got == want:
        print("ok   " + what)
    else:
        print("FAIL: %s: got %r, expected %r" % (what, got, want))
        FAILS.append(what)


def request(method, path, headers=None, body=None):
    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def raw(data):
    """Sends bytes as they are; returns the status of the reply (0: the
    connection was closed without one)."""
    s = socket.create_connection((HOST, PORT), timeout=10)
    try:
        s.sendall(data)
        reply = s.recv(65536)
    except OSError:
        return 0
    finally:
        s.close()
    parts = reply.split(b" ", 2)
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0


AUTH = {"Cookie": COOKIE}
ACTION = {"Cookie": COOKIE, "Origin": ORIGIN, "Content-Type": "application/json"}

# The token.
check("no token: 401", request("GET", "/")[0], 401)
check("no token, API: 401", request("GET", "/api/sweeps")[0], 401)
check("a wrong token: 401", request("GET", "/?token=" + "0" * 32)[0], 401)
check("a wrong cookie: 401",
      request("GET", "/api/sweeps", {"Cookie": "caviar_token_%d=%s" % (PORT, "1" * 32)})[0], 401)
check("the cookie of another port: 401",
      request("GET", "/api/sweeps", {"Cookie": "caviar_token_1=" + TOKEN})[0], 401)
status, headers, _ = request("GET", "/?token=" + TOKEN)
check("the token URL: 303 to /", (status, headers.get("Location")), (303, "/"))
cookie = headers.get("Set-Cookie", "")
check("which sets the token cookie, HttpOnly and SameSite=Strict",
      (cookie.startswith(COOKIE + ";"), "HttpOnly" in cookie, "SameSite=Strict" in cookie),
      (True, True, True))
status, headers, body = request("GET", "/", AUTH)
check("with the cookie: the page", (status, b"/app.js" in body), (200, True))
check("it forbids framing and outside scripts",
      ("frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""),
       headers.get("X-Frame-Options")), (True, "DENY"))
check("the token as an argument works for the API too",
      request("GET", "/api/sweeps?token=" + TOKEN)[0], 200)
status, _, body = request("GET", "/api/sweeps", AUTH)
check("/api/sweeps lists the sweep", (status, json.loads(body)["sweeps"][0]["sweep_id"]), (200, 1))
status, _, body = request("GET", "/api/sweep/1/points?metric=val_loss", AUTH)
body_points = body
points = [struct.unpack_from("<3d", body, i) for i in range(0, len(body), 24)]
check("points come as (trial, epoch, value) doubles, one per epoch",
      (status, len(body) % 24, len(points), sorted({p[1] for p in points})),
      (200, 0, 2 * 3, [1.0, 2.0, 3.0]))
status, _, body = request("GET", "/api/sweep/1", AUTH)
check("/api/sweep/1 names each parameter's kind and range, as the spec has them",
      (status, json.loads(body)["params"]),
      (200, [{"name": "lr", "kind": "log", "range": [0.0001, 0.1]},
             {"name": "beta", "kind": "reverse_log", "range": [0.5, 0.999]}]))
status, _, body = request("GET", "/api/trial/1", AUTH)
check("/api/trial/1 has its row, points, log, adjustments and forks",
      (status, sorted(json.loads(body))), (200, ["adjustments", "children", "log", "points",
                                                "trial"]))

status, _, body = request("GET", "/api/sweep/1/importance", AUTH)
shares = [p["share"] for p in json.loads(body)["params"]]
check("/api/sweep/1/importance: each parameter's share, summing to 1",
      (status, len(shares), round(sum(shares), 6)), (200, 2, 1.0))
check("/api/sweep/1/importance: over how many trials, and how many forks left out",
      {k: json.loads(body)[k] for k in ("trials", "forks_left_out")},
      {"trials": 2, "forks_left_out": 0})
status, _, body = request("GET", "/api/sweep/99/importance", AUTH)
check("no importance is said, not refused", (status, json.loads(body)),
      (200, {"params": [], "note": "no sweep 99"}))

status, _, body = request("GET", "/api/sweep/1/pareto", AUTH)
check("a sweep of one objective has no Pareto ranks, said, not refused",
      (status, json.loads(body)["goals"], json.loads(body)["trials"], json.loads(body)["note"]),
      (200, [], [], "sweep 1 has one objective and no constraint: it has no Pareto front"))
check("no Pareto ranks of a sweep that is not there: 404",
      request("GET", "/api/sweep/99/pareto", AUTH)[0], 404)

# Another name for this address (a DNS-rebinding page's), even with the token.
check("a Host that is not this machine's loopback: 403, token or not",
      (request("GET", "/api/sweeps?token=" + TOKEN, {"Host": "evil.example:%d" % PORT})[0],
       request("GET", "/api/sweeps", dict(AUTH, Host="evil.example:%d" % PORT))[0]), (403, 403))
check("... nor an action from that name's own origin: 403",
      request("POST", "/api/slots", dict(ACTION, Host="evil.example:%d" % PORT,
                                         Origin="http://evil.example:%d" % PORT), '{"n": 2}')[0],
      403)
check("a request without Host: 403",
      raw(b"GET /api/sweeps HTTP/1.0\r\nCookie: " + COOKIE.encode() + b"\r\n\r\n"), 403)
check("localhost and 127.0.0.1 are served",
      (request("GET", "/api/sweeps", dict(AUTH, Host="localhost:%d" % PORT))[0],
       request("GET", "/api/sweeps", dict(AUTH, Host="127.0.0.1:%d" % PORT))[0]), (200, 200))
check("an action with a null Origin (a sandboxed page's): 403",
      request("POST", "/api/slots", dict(ACTION, Origin="null"), '{"n": 2}')[0], 403)

# Bad requests.
check("an unknown page: 404", request("GET", "/nothing.html", AUTH)[0], 404)
check("an unknown API path: 404", request("GET", "/api/nothing", AUTH)[0], 404)
check("no such sweep: 404", request("GET", "/api/sweep/99", AUTH)[0], 404)
check("a sweep id that is not a number: 404", request("GET", "/api/sweep/1x", AUTH)[0], 404)
check("an id too long to be one: 404", request("GET", "/api/sweep/" + "9" * 40, AUTH)[0], 404)
check("points without a metric: the objective's",
      request("GET", "/api/sweep/1/points", AUTH)[2], body_points)
check("points of no such sweep: 404", request("GET", "/api/sweep/9/points", AUTH)[0], 404)
check("path traversal: 400", raw(b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"), 400)
check("encoded traversal: 400", raw(b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n"
                                    b"Cookie: " + COOKIE.encode() + b"\r\n\r\n"), 400)
check("a control byte in the path: 400",
      raw(b"GET /a%01b HTTP/1.1\r\nHost: x\r\nCookie: " + COOKIE.encode() + b"\r\n\r\n"), 400)
check("a malformed header: 400",
      raw(b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"), 400)
check("a request line that is not HTTP: closed without a reply", raw(b"GARBAGE\r\n\r\n"), 0)
check("an HTTP version not spoken: 505", raw(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"), 505)
check("a method not served: 405", request("DELETE", "/api/sweeps", AUTH)[0], 405)
check("headers beyond the limit: 4xx",
      raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n") // 100, 4)
check("a URL beyond the limit: 4xx", raw(b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n") // 100, 4)

# Actions: the token, the same origin, JSON, a small body.
check("an action without Origin: 403",
      request("POST", "/api/sweep/1/pause", {"Cookie": COOKIE,
                                            "Content-Type": "application/json"}, "{}")[0], 403)
check("an action from another origin: 403",
      request("POST", "/api/sweep/1/pause", dict(ACTION, Origin="http://evil.example"), "{}")[0],
      403)
check("an action without the token: 401",
      request("POST", "/api/sweep/1/pause", dict(ACTION, Cookie=""), "{}")[0], 401)
check("an action as a form post: 415",
      request("POST", "/api/sweep/1/pause", dict(ACTION, **{"Content-Type":
              "application/x-www-form-urlencoded"}), "a=b")[0], 415)
check("an oversized body: 413", request("POST", "/api/slots", ACTION, "{" + " " * 20000 + "}")[0],
      413)
check("slots of a bad value: 400", request("POST", "/api/slots", ACTION, '{"n": 0.5}')[0], 400)
check("slots that is not JSON: 400", request("POST", "/api/slots", ACTION, "nope")[0], 400)
check("an unknown action: 404", request("POST", "/api/sweep/1/explode", ACTION, "{}")[0], 404)
status, _, body = request("POST", "/api/sweep/1/pause", ACTION, "{}")
check("pause from the same origin: the daemon's refusal, 409",
      (status, json.loads(body)["error"]), (409, "sweep 1 is already done"))
status, _, body = request("POST", "/api/slots", ACTION, '{"n": 3}')
check("slots from the same origin: 200", (status, json.loads(body)), (200, {"ok": True,
                                                                           "slots": 3}))

# A trial's adjust and fork: the same checks, then the body's, then the daemon's.
check("adjust without the token: 401",
      request("POST", "/api/trial/1/adjust", dict(ACTION, Cookie=""), '{"set": {"lr": 0.1}}')[0],
      401)
check("adjust from another origin: 403",
      request("POST", "/api/trial/1/adjust", dict(ACTION, Origin="http://evil.example"),
              '{"set": {"lr": 0.1}}')[0], 403)
for body, error in (
        ("nope", "adjust: expected a JSON object"),
        ("[1]", "adjust: expected a JSON object"),
        ("{}", "adjust: set: expected at least one name: value"),
        ('{"set": [1]}', "adjust: set: expected an object of name: value"),
        ('{"set": {"lr": [1]}}', "adjust: set.lr: expected a number, a string or a boolean"),
        ('{"set": {"lr": null}}', "adjust: set.lr: expected a number, a string or a boolean"),
        ('{"set": {"": 1}}', "adjust: set.: expected a number, a string or a boolean")):
    status, _, reply = request("POST", "/api/trial/1/adjust", ACTION, body)
    check("adjust with %s: 400, saying what is wrong" % body,
          (status, json.loads(reply)), (400, {"error": error}))
for body in ('{"epoch": 0}', '{"epoch": 1.5}', '{"epoch": "1"}'):
    status, _, reply = request("POST", "/api/trial/1/fork", ACTION, body)
    check("fork with %s: 400" % body, (status, json.loads(reply)),
          (400, {"error": "fork: epoch: expected a whole number from 1"}))
status, _, reply = request("POST", "/api/trial/1/adjust", ACTION, '{"set": {"lr": 0.1}}')
check("adjust of a trial that ended: the daemon's refusal, 409",
      (status, json.loads(reply)["error"]), (409, "trial 1 is not running"))
status, _, reply = request("POST", "/api/trial/1/fork", ACTION, '{"epoch": 9}')
check("fork from an epoch it never reached: the daemon's refusal, 409",
      (status, json.loads(reply)["error"].startswith("trial 1")), (409, True))
status, _, reply = request("POST", "/api/trial/99/adjust", ACTION, '{"set": {"lr": 0.1}}')
check("adjust of no such trial: 409", status, 409)
# Notes: the body's check, then the daemon's note, read back from the API.
for path in ("/api/sweep/1/note", "/api/trial/1/note"):
    for body in ("nope", "{}", '{"text": 3}'):
        status, _, reply = request("POST", path, ACTION, body)
        check("%s with %s: 400" % (path, body), (status, json.loads(reply)),
              (400, {"error": 'note: expected {"text": a string}'}))
check("a note from another origin: 403",
      request("POST", "/api/trial/1/note", dict(ACTION, Origin="http://evil.example"),
              '{"text": "x"}')[0], 403)
long_note = "\u00e9\n" * 1500  # 4500 bytes of UTF-8 and newlines: the body is under 16 KiB
status, _, reply = request("POST", "/api/trial/1/note", ACTION,
                           json.dumps({"text": long_note}).encode())
check("a note over the daemon's 4096 bytes: its refusal, 409", (status, json.loads(reply)),
      (409, {"ok": False, "error": '"text": expected a string of at most 4096 bytes',
             "code": "bad_request"}))
status, _, reply = request("POST", "/api/trial/1/note", ACTION,
                           json.dumps({"text": long_note[:2000]}).encode())
check("a note of 3000 bytes, escaped as JSON, is taken", (status, json.loads(reply)),
      (200, {"ok": True}))
check("and the trial's row has it",
      json.loads(request("GET", "/api/trial/1", AUTH)[2])["trial"]["note"], long_note[:2000])
status, _, reply = request("POST", "/api/sweep/1/note", ACTION, '{"text": "from the page"}')
check("a sweep's note: 200", (status, json.loads(reply)), (200, {"ok": True}))
check("and the sweep's row has it",
      json.loads(request("GET", "/api/sweep/1", AUTH)[2])["sweep"]["note"], "from the page")
status, _, reply = request("POST", "/api/trial/99/note", ACTION, '{"text": "x"}')
check("a note on no such trial: the daemon's refusal, 409", (status, json.loads(reply)),
      (409, {"ok": False, "error": "no trial 99", "code": "not_found"}))
check("an unknown action on a trial: 404",
      request("POST", "/api/trial/1/explode", ACTION, "{}")[0], 404)
status, _, reply = request("GET", "/api/trial/1/lineage", AUTH)
lineage = json.loads(reply)
check("/api/trial/1/lineage: itself, its lr and beta over its 3 epochs",
      (status, [m["trial_id"] for m in lineage["chain"]], sorted(p["name"] for p in
       lineage["params"]), lineage["chain"][0]["to_epoch"], len(lineage["curve"])),
      (200, [1], ["beta", "lr"], 3, 3))
check("the lineage of no such trial: 404",
      (request("GET", "/api/trial/99/lineage", AUTH)[0]), 404)
check("the server still serves after all that", request("GET", "/api/sweeps", AUTH)[0], 200)

# A client that opens 40 connections and sends nothing, or half a request line,
# holds more than the 32 an address gets: the user's own browser, from the
# same address, is still served, since a connection past the limit closes the
# one that waited longest for a request; an open event stream is not one.
stream = http.client.HTTPConnection(HOST, PORT, timeout=10)
stream.request("GET", "/api/events", headers=AUTH)
stream_reply = stream.getresponse()
stream_reply.readline()
idle = [socket.create_connection((HOST, PORT), timeout=10) for _ in range(40)]
for s in idle[::2]:
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHo")
    except OSError:
        pass  # closed already, to make room
try:
    status = request("GET", "/api/sweeps", AUTH)[0]
except OSError as e:  # refused: the address had its 32
    status = repr(e)
check("after 40 connections that send nothing, a page's request is served", status, 200)


def is_open(sock):
    """Whether the server still holds sock's connection (EOF: it closed it)."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


check("... and the event stream opened before them is open", is_open(stream.sock), True)
stream.close()
for s in idle:
    s.close()

# Event streams whose page went away are closed at once: more of them than the
# server takes connections (64) do not lock it up.
for _ in range(80):
    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
    c.request("GET", "/api/events", headers=AUTH)
    r = c.getresponse()
    r.readline()
    c.close()
check("after 80 event streams opened and dropped, it still serves",
      request("GET", "/api/sweeps", AUTH)[0], 200)

# 500 subscribers come and go, 25 at a time (it takes 32 an address): the server's open files and
# memory come back to where they were (argv: its pid, the memory's slack).
if len(sys.argv) > 3:
    import os
    import time
    PID, SLACK_KB = int(sys.argv[2]), int(sys.argv[3])

    def fds():
        return len(os.listdir("/proc/%d/fd" % PID))

    def rss_kb():
        with open("/proc/%d/status" % PID) as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

    fds0, rss0 = fds(), rss_kb()
    peak = 0
    for _ in range(20):
        streams = []
        for _ in range(25):
            c = http.client.HTTPConnection(HOST, PORT, timeout=10)
            c.request("GET", "/api/events", headers=AUTH)
            r = c.getresponse()
            r.readline()
            streams.append(c)
        peak = max(peak, fds())
        for c in streams:
            c.close()
    for _ in range(200):  # the server closes each as it notices: a busy machine takes a while
        if fds() <= fds0:
            break
        time.sleep(0.05)
    check("500 event streams came and went: its open files are back (%d, %d at the peak)"
          % (fds0, peak), (peak >= fds0 + 20, fds() <= fds0), (True, True))
    grew = rss_kb() - rss0
    check("... and its memory (%+d kB, at most %d)" % (grew, SLACK_KB), grew <= SLACK_KB, True)
    check("... and it still serves", request("GET", "/api/sweeps", AUTH)[0], 200)

    # A subscriber that never reads: once 4 MiB wait for it (HTTPD_STREAM_MAX),
    # its stream is cut off and what waited freed, while another that reads
    # gets every event. A sweep's trial prints lines of 60 KB (12 MB of events,
    # more if the kernel may hold more for the socket); the server's memory
    # grows by no more than the bound.
    import os
    import shutil
    import subprocess
    import tempfile
    import threading
    MAX = 4 << 20
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        wmem = int(f.read().split()[2])  # what the kernel may hold unsent, at most
    LINES = max(200, (MAX + wmem + (2 << 20)) // 59000)
    FLOOD = LINES * 59000  # bytes of events at least
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel holds little
    slow.settimeout(10)
    slow.connect((HOST, PORT))
    slow.sendall(b"GET /api/events HTTP/1.1\r\nHost: %s:%d\r\nCookie: %s\r\n\r\n"
                 % (HOST.encode(), PORT, COOKIE.encode()))
    head = b""
    while b"caviar events" not in head:  # subscribed; from now on it reads nothing
        head += slow.recv(4096)
    fast = http.client.HTTPConnection(HOST, PORT, timeout=30)
    fast.request("GET", "/api/events", headers=AUTH)
    fast_reply = fast.getresponse()
    fast_reply.readline()
    got = {"bytes": 0, "ended": False}

    def read_fast():
        for line in iter(fast_reply.readline, b""):
            got["bytes"] += len(line)
            if b'"trial_ended"' in line:
                got["ended"] = True
                break
    reader = threading.Thread(target=read_fast, daemon=True)  # a failure must not wait for it
    reader.start()
    fds0, rss0 = fds(), rss_kb()
    tmp = tempfile.mkdtemp()
    with open(tmp + "/flood.py", "w") as f:
        f.write("import json\n"
                "pad = {'m%d_' % k + 'x' * 5980: 1.0 for k in range(10)}\n"
                "for i in range(" + str(LINES) + "):\n"
                "    print(json.dumps(dict(pad, epoch=i + 1, val_loss=0.5)), flush=True)\n")
    with open(tmp + "/flood.json", "w") as f:
        json.dump({"name": "flood", "trials": 1, "command": ["python3", tmp + "/flood.py"],
                   "objective": {"metric": "val_loss", "mode": "min"},
                   "params": {"lr": {"log": [0.01, 1]}}}, f)
    sweep = subprocess.run([os.environ["CAVIAR"], "submit", tmp + "/flood.json"],
                           capture_output=True, text=True).stdout.strip()
    peak, deadline = 0, time.monotonic() + 120  # a busy machine is slow, never that slow
    while reader.is_alive() and time.monotonic() < deadline:
        peak = max(peak, rss_kb() - rss0)
        reader.join(0.01)
    subprocess.run([os.environ["CAVIAR"], "wait", sweep], capture_output=True)
    shutil.rmtree(tmp)
    check("a subscriber that reads gets every event (%d bytes)" % got["bytes"],
          (got["ended"], got["bytes"] >= FLOOD), (True, True))
    for _ in range(200):  # the slow one's connection is closed as it is cut off
        if fds() < fds0:
            break
        time.sleep(0.05)
    check("one that reads nothing is cut off: the server closed its connection",
          fds() < fds0, True)
    grew = rss_kb() - rss0
    check("the server's memory grew by at most the bound, and that went (%+d kB at the peak, "
          "%+d kB now)" % (peak, grew), (peak <= MAX // 1024 + SLACK_KB, grew <= SLACK_KB),
          (True, True))
    left, data = b"", None
    while True:
        try:
            data = slow.recv(65536)
        except socket.timeout:
            data = None
            break
        if not data:
            break
        left += data
    check("it reads what was sent before the cut (%d bytes), then the end" % len(left),
          (0 < len(left) < FLOOD, data), (True, b""))
    slow.close()
    fast.close()
    check("... and the server still serves", request("GET", "/api/sweeps", AUTH)[0], 200)
sys.exit(1 if FAILS else 0)
