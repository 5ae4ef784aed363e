"""vocab_check: sdk/caviar_client.py against the C vocabulary (run by
test_vocab.sh; VOCAB_DUMP is tests/e2e/vocab_dump, which prints common/proto.h's
requests, events and error codes and the SQL of common/query.c the client
copies). Every request the client sends is one of caviard's, with fields it
takes and those it requires; every event and error code it names is one of
caviard's; every SQL statement it copies is query.c's text."""

import ast
import json
import os
import subprocess
import sys

ROOT = sys.argv[1]
vocab = json.loads(subprocess.run([os.environ["VOCAB_DUMP"]], check=True, capture_output=True,
                                  text=True).stdout)
path = os.path.join(ROOT, "sdk", "caviar_client.py")
tree = ast.parse(open(path).read(), path)
fails = []


def check(what, good):
    print(("ok   " if good else "FAIL: ") + what)
    if not good:
        fails.append(what)


def const(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


# The requests: self.call("pause", sweep=...) and {"cmd": "wait", "v": ..., "sweep": ...}.
sent = []
for node in ast.walk(tree):
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "call" and node.args and const(node.args[0])):
        kw = [k.arg for k in node.keywords]
        sent.append((const(node.args[0]), [k for k in kw if k], None in kw))
    if isinstance(node, ast.Dict) and any(const(k) == "cmd" for k in node.keys if k):
        keys = [const(k) for k in node.keys if k is not None]
        cmd = const(node.values[keys.index("cmd")])
        if cmd is None:  # call()'s own {"cmd": cmd, ...}: its callers are above
            continue
        sent.append((cmd, [k for k in keys if k not in ("cmd", "v")], None in node.keys))
check("the client sends requests (%d found)" % len(sent), len(sent) >= 8)
for cmd, fields, open_fields in sent:
    takes = vocab["requests"].get(cmd)
    check("request %r is caviard's" % cmd, takes is not None)
    if takes is None:
        continue
    keys = {k for f in takes for k in f.split("|")}
    for f in fields:
        check("request %r: field %r is one it takes" % (cmd, f), f in keys)
    if not open_fields:  # a **fields call chooses its own (cancel: sweep or trial)
        for f, required in takes.items():
            if required:
                check("request %r: the required %r is sent" % (cmd, f),
                      any(k in fields for k in f.split("|")))

# The events it names: e.get("event") == "sweep_ended", {"event": "sweep_ended", ...}.
named = set()
for node in ast.walk(tree):
    if isinstance(node, ast.Compare) and isinstance(node.left, ast.Call):
        call = node.left
        if (isinstance(call.func, ast.Attribute) and call.func.attr == "get" and call.args
                and const(call.args[0]) == "event"):
            named.update(const(c) for c in node.comparators if const(c))
    if isinstance(node, ast.Dict) and any(const(k) == "event" for k in node.keys if k):
        keys = [const(k) for k in node.keys if k is not None]
        named.add(const(node.values[keys.index("event")]))
check("the client names events (%s)" % ", ".join(sorted(named)), len(named) >= 1)
for e in sorted(named):
    check("event %r is caviard's" % e, e in vocab["events"])

# The error codes: the module's constants.
module = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
          for t in n.targets if isinstance(t, ast.Name)}
codes = [const(module["_BAD_VERSION"])] + [const(e) for e in module["_NOT_SPEC"].elts]
for c in codes:
    check("error code %r is caviard's" % c, c in vocab["codes"])

# The SQL: each copy is query.c's statement of that name, and each is copied.
sql = {const(k): const(v) for k, v in zip(module["_SQL"].keys, module["_SQL"].values)}
for name, text in sorted(sql.items()):
    check("%s is common/query.c's text" % name, vocab["sql"].get(name) == text)
for name in sorted(set(vocab["sql"]) - set(sql)):
    check("%s (vocab_dump.c lists it) is in the client" % name, False)

print("%d check(s) failed" % len(fails) if fails else "all good")
sys.exit(1 if fails else 0)
