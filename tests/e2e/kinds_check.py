"""kinds_check: the dashboard's KINDS (tools/serve/web/app.js) against
common/spec.c's table of parameter kinds (run by test_vocab.sh; VOCAB_DUMP
prints spec_kind_name -> spec_kind_scale for every kind). The page cannot
include C, so it copies the table; this fails when either side changes
alone: a kind added, dropped or renamed, or drawn on another scale."""

import json
import os
import re
import subprocess
import sys

ROOT = sys.argv[1]
kinds = json.loads(subprocess.run([os.environ["VOCAB_DUMP"]], check=True, capture_output=True,
                                  text=True).stdout)["kinds"]
path = os.path.join(ROOT, "tools", "serve", "web", "app.js")
m = re.search(r"^const KINDS = \{(.*?)\};", open(path).read(), re.S | re.M)
page = dict(re.findall(r'(\w+):\s*"(\w+)"', m.group(1))) if m else {}
ok = True
for what, good in [
        ("app.js has one KINDS table (%d kinds)" % len(page), len(page) > 0),
        ("common/spec.c names %d kinds: %s" % (len(kinds), ", ".join(kinds)), len(kinds) >= 7),
        ("app.js's KINDS is spec.c's table, kind by kind and scale by scale", page == kinds)]:
    print(("ok   " if good else "FAIL: ") + what)
    ok = ok and good
if page != kinds:
    for k in sorted(set(page) | set(kinds)):
        if page.get(k) != kinds.get(k):
            print("  %s: spec.c %r, app.js %r" % (k, kinds.get(k), page.get(k)))
sys.exit(0 if ok else 1)
