#!/usr/bin/python3
"""report.py: the JSON handling of bench/run. Reads the rows the benchmarks
wrote (rows.tsv: one tab-separated row per measurement) and the JSON each
measuring program printed (DIR/*.json, by name), prints one table and writes
the same as JSON. Not part of caviar: only bench/run uses it.

rows.tsv columns: id, what, unit, ours, baseline, baseline_name, ratio,
ratio_fmt (x or %), target_on (ours, ratio or empty: informative), target_op,
target_val, extra_ok (1, 0 or empty: a condition besides the number, e.g. "uses
an index"), target_label (overrides the target's text), note, load (the 1-minute
load average when the row was written; added to the note). target_op "~":
within target_val of 1 (a ratio that should be 1). A number may be
"@name.key.key" (a value of DIR/name.json); a missing value is empty. The row
id "5q" stands for one row per query of DIR/scale_sql.json."""
import argparse
import datetime
import json
import os
import platform
import sys

COLUMNS = ["id", "what", "unit", "ours", "baseline", "baseline_name", "ratio", "ratio_fmt",
           "target_on", "target_op", "target_val", "extra_ok", "target_label", "note", "load"]


def lookup(details, ref):
    """The value of "@name.key.0.key" in details, or None."""
    parts = ref[1:].split(".")
    v = details.get(parts[0])
    for p in parts[1:]:
        if isinstance(v, list) and p.isdigit() and int(p) < len(v):
            v = v[int(p)]
        elif isinstance(v, dict):
            v = v.get(p)
        else:
            return None
    return v


def number(details, text):
    if text == "":
        return None
    if text.startswith("@"):
        text = lookup(details, text)
        if text is None or text == "":
            return None
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def resolve_text(details, text):
    """Replaces every {@name.key} in a note by its value."""
    out, i = "", 0
    while True:
        j = text.find("{@", i)
        if j < 0:
            return out + text[i:]
        k = text.find("}", j)
        if k < 0:
            return out + text[i:]
        v = lookup(details, text[j + 1:k])
        if isinstance(v, float):
            v = fmt_num(v)
        out += text[i:j] + ("?" if v is None else str(v))
        i = k + 1


def fmt_num(x):
    if x is None:
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def fmt_ratio(x, kind):
    if x is None:
        return "-"
    if kind == "%":
        return f"{x * 100:.2f}%" if x < 0.1 else f"{x * 100:.1f}%"
    if x < 0.01:  # a suggestion 1,000 times cheaper reads 0.0017x, not 0.00x
        return f"{x:.2g}x"
    return f"{x:.2f}x" if x < 100 else f"{x:,.0f}x"


def query_rows(details):
    """One row per README query of the scale benchmark."""
    sql = details.get("scale_sql") or {}
    rows = []
    for i, q in enumerate(sql.get("queries", [])):
        text = " ".join(q["sql"].split())
        scans = q.get("table_scans", [])
        note = "plan: " + "; ".join(q.get("plan", [])) if "plan" in q else q.get("error", "")
        rows.append({"id": f"5q{i + 1}", "what": f"README query {i + 1}: {text[:48]}",
                     "unit": "ms", "ours": str(q.get("ms_median", "")), "baseline": "",
                     "baseline_name": "", "ratio": "", "ratio_fmt": "x", "target_on": "ours",
                     "target_op": "<", "target_val": "100",
                     "extra_ok": "" if "plan" not in q else ("0" if scans else "1"),
                     "target_label": "< 100 ms, index", "note": note})
    return rows


def met(row, ours, ratio, details):
    if not row["target_on"]:
        return "-"
    value = ratio if row["target_on"] == "ratio" else ours
    if value is None:
        return "n/a"
    target = float(row["target_val"])
    ok = {">=": value >= target, ">": value > target, "<=": value <= target,
          "<": value < target, "~": abs(value - 1) <= target}[row["target_op"]]
    extra = row["extra_ok"]
    if extra.startswith("@"):  # a flag one of the measuring programs computed
        extra = {True: "1", False: "0"}.get(lookup(details, extra), "")
    if extra == "0":
        ok = False
    return "yes" if ok else "NO"


def build_row(raw, details):
    ours = number(details, raw["ours"])
    base = number(details, raw["baseline"])
    ratio = number(details, raw["ratio"])
    if ratio is None and ours is not None and base:
        ratio = ours / base
    kind = raw["ratio_fmt"] or "x"
    if raw["target_label"]:
        target = raw["target_label"]
    elif raw["target_on"] == "ratio" and raw["target_op"] == "~":
        target = f"1 +- {float(raw['target_val']):g}"
    elif raw["target_on"] == "ratio":
        target = f"{raw['target_op']} {fmt_ratio(float(raw['target_val']), kind)}"
    elif raw["target_on"] == "ours":
        target = f"{raw['target_op']} {fmt_num(float(raw['target_val']))} {raw['unit']}"
    else:
        target = "-"
    note = resolve_text(details, raw["note"])
    if raw.get("load") and raw["id"] != "5q":
        note = (note + "; " if note else "") + "load " + raw["load"]
    if base is None and raw["baseline_name"] and "not installed" not in note:
        note = (note + "; " if note else "") + raw["baseline_name"] + ": not measured"
    return {"id": raw["id"], "measured": resolve_text(details, raw["what"]), "unit": raw["unit"], "ours": ours,
            "baseline": base, "baseline_name": resolve_text(details, raw["baseline_name"]),
            "ratio": ratio, "ratio_kind": kind, "target": target,
            "target_value": float(raw["target_val"]) if raw["target_val"] else None,
            "met": met(raw, ours, ratio, details), "note": note}


def read_rows(path, details):
    rows = []
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            raw = dict(zip(COLUMNS, fields + [""] * (len(COLUMNS) - len(fields))))
            expanded = query_rows(details) if raw["id"] == "5q" else [raw]
            rows.extend(build_row(r, details) for r in expanded)
    return rows


def read_details(directory):
    details = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            try:
                with open(os.path.join(directory, name)) as f:
                    details[name[:-5]] = json.load(f)
            except (OSError, ValueError):
                pass
    return details


def machine(args, details):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as f:
        load_end = " ".join(f.read().split()[:3])
    buildtype = None
    try:
        with open(os.path.join(args.build, "meson-info", "intro-buildoptions.json")) as f:
            buildtype = next(o["value"] for o in json.load(f) if o["name"] == "buildtype")
    except (OSError, ValueError, StopIteration, TypeError):
        pass
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "kernel": platform.release(),
            "openblas_core": lookup(details, "@worker.openblas_core"),
            "openblas_env": args.openblas_env, "load_start": args.load_start,
            "load_end": load_end, "build": args.build, "buildtype": buildtype}


def cell(row, key):
    if key == "ours" or key == "baseline":
        v = row[key]
        return "-" if v is None else f"{fmt_num(v)} {row['unit']}"
    if key == "ratio":
        return fmt_ratio(row["ratio"], row["ratio_kind"])
    return str(row[key])


def print_table(rows, info, mode):
    heads = [("row", "id"), ("measured", "measured"), ("ours", "ours"),
             ("baseline", "baseline"), ("ratio", "ratio"), ("target", "target"), ("met?", "met")]
    cells = [[cell(r, k) for _, k in heads] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, (h, _) in enumerate(heads)]
    print(f"caviar benchmarks ({mode}): {info['nproc']} cores, {info['cpu']}, "
          f"OpenBLAS core {info['openblas_core'] or '?'}, {info['buildtype'] or '?'} build, "
          f"load {info['load_start']} -> {info['load_end']}")
    print("  ".join(h.ljust(w) for (h, _), w in zip(heads, widths)).rstrip())
    for c in cells:
        print("  ".join(x.ljust(w) for x, w in zip(c, widths)).rstrip())
    print()
    for r in rows:
        extra = f"baseline: {r['baseline_name']}" if r["baseline_name"] else ""
        text = "; ".join(t for t in (extra, r["note"]) if t)
        if text:
            print(f"[{r['id']}] {text}")


def write_markdown(path, rows, info, mode):
    """The table as Markdown, for the README."""
    heads = ["row", "measured", "ours", "baseline", "ratio", "target", "met?"]
    keys = ["id", "measured", "ours", "baseline", "ratio", "target", "met"]
    with open(path, "w") as f:
        f.write(f"{info['nproc']} cores ({info['cpu']}), OpenBLAS core "
                f"{info['openblas_core'] or '?'}, {info['buildtype'] or '?'} build, "
                f"load {info['load_start']} -> {info['load_end']}, {mode} run\n\n")
        f.write("| " + " | ".join(heads) + " |\n")
        f.write("|" + "---|" * len(heads) + "\n")
        for r in rows:
            f.write("| " + " | ".join(cell(r, k).replace("|", "\\|") for k in keys) + " |\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", required=True)
    ap.add_argument("--details", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--mode", default="full")
    ap.add_argument("--build", default="")
    ap.add_argument("--ran", default="", help="the benchmarks run, e.g. '1 2 3'")
    ap.add_argument("--load-start", default="")
    ap.add_argument("--openblas-env", default="")
    ap.add_argument("--markdown", default="", help="also write the table as Markdown here")
    args = ap.parse_args()

    details = read_details(args.details)
    rows = read_rows(args.rows, details)
    info = machine(args, details)
    print_table(rows, info, args.mode)
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "mode": args.mode, "machine": info, "rows": rows, "details": details}
    if args.markdown:
        write_markdown(args.markdown, rows, info, args.mode)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    missing = [b for b in args.ran.split() if not any(r["id"].startswith(b) for r in rows)]
    empty = [r["id"] for r in rows if r["ours"] is None]
    if missing or empty:
        print(f"bench/run: no result for benchmark(s) {' '.join(missing + empty)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
