"""control_trial: a command trial that attacks caviard's control channel
(worker_proto.h, control lines on stdin), for test_control.sh. It reads the
lines itself (no sdk), reports epoch 1 at once and epoch 2 when DIR/MODE.stop
exists, then exits 0. What it does with each control line, by MODE:

  silent   notes it in DIR/silent.got; answers it only once DIR/silent.answer
           exists
  garbage  to its first line: garbage, a 3 MB line, answers with wrong ids
           (another number, 1e300, 1.5, a string) and 5,000 unprompted
           "adjusted" lines, then its true answer; to its second: an answer
           with the right id that says it changed "width", which it was not
           asked
  closes   closes its stdin at start (DIR/closes.closed says it has)
  ends     exits at once, without answering
"""
import json
import os
import select
import sys
import time

mode, tmp = sys.argv[1], sys.argv[2]
values = json.loads(os.environ.get("CAVIAR_PARAMS", "{}"))
seen = 0


def out(record):
    sys.stdout.write((record if isinstance(record, str) else json.dumps(record)) + "\n")
    sys.stdout.flush()


def applied(msg, changes=None):
    if changes is None:
        changes = {n: [values.get(n), v] for n, v in msg["adjust"].items()}
    out({"event": "adjusted", "id": msg["id"], "epoch": 1, "step": 10, "changes": changes})


def garbage(msg):
    ident = msg["id"]
    out('{"event": "adjusted", "id": ' + str(ident) + ', "changes": {"lr": [0.1,')
    out('{"event": "adjusted", "id": %d, "pad": "%s"}' % (ident, "x" * (3 << 20)))
    for bad in (ident + 1000, 1e300, 1.5, str(ident)):
        out({"event": "adjusted", "id": bad, "epoch": 1, "changes": {"lr": [0.1, 0.9]}})
    for k in range(5000):
        out({"event": "adjusted", "id": 7000 + k, "epoch": 1, "changes": {"lr": [0.1, 0.9]}})
    applied(msg)


def handle(line):
    global seen
    seen += 1
    msg = json.loads(line)
    if mode == "silent":
        with open(os.path.join(tmp, "silent.got"), "a") as f:
            f.write(line.decode() + "\n")
        if os.path.exists(os.path.join(tmp, "silent.answer")):
            applied(msg)
    elif mode == "garbage" and seen == 1:
        garbage(msg)
    elif mode == "garbage":
        applied(msg, {"width": [64, 128]})
    elif mode == "ends":
        sys.exit(0)


out({"epoch": 1, "step": 10, "val_loss": 1.0})
stdin_open = True
if mode == "closes":
    os.close(0)
    stdin_open = False
    open(os.path.join(tmp, "closes.closed"), "w").close()
pending = b""
while not os.path.exists(os.path.join(tmp, mode + ".stop")):
    if not stdin_open:
        time.sleep(0.05)
        continue
    if not select.select([0], [], [], 0.05)[0]:
        continue
    data = os.read(0, 65536)
    stdin_open = bool(data)
    pending += data
    while b"\n" in pending:
        line, pending = pending.split(b"\n", 1)
        handle(line)
out({"epoch": 2, "step": 20, "val_loss": 0.5})
