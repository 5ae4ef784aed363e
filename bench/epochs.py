#!/usr/bin/python3
"""epochs.py: the JSON of bench/run's rows 1c and 1d. Reads the lines
bench/torch_epoch.py printed (one per round) and the sweeps run through caviard
(one line per round: wall seconds, the daemon's children's CPU ticks, the
database), and writes two JSON files: the PyTorch loop's median epoch over every
round, and the worker's samples/s per epoch from each trial's `elapsed` metric
(seconds since training started, evaluation included), with their median."""
import argparse
import json
import sqlite3


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torch", required=True)
    ap.add_argument("--sweeps", required=True)
    ap.add_argument("--train-limit", type=int, default=0)
    ap.add_argument("--tick", type=float, default=100.0)
    ap.add_argument("--torch-out", required=True)
    ap.add_argument("--sweep-out", required=True)
    args = ap.parse_args()

    with open(args.torch) as f:
        runs = [json.loads(line) for line in f if line.startswith("{")]
    t = dict(runs[-1])
    t["epochs"] = [e for r in runs for e in r["epochs"]]
    for key, field in (("samples_per_s", "epoch_s"), ("train_samples_per_s", "train_s"),
                       ("cpu_samples_per_s", "cpu_s")):
        t[key] = median(round(t["train"] / e[field]) for e in t["epochs"])
    t["epoch_rates"] = [round(t["train"] / e["epoch_s"]) for e in t["epochs"]]
    t["faults_per_step"] = median(e["faults_per_step"] for e in t["epochs"])
    with open(args.torch_out, "w") as f:
        json.dump(t, f)

    # the worker's split (worker/data.c): the last lround(0.1 n) images validate
    n = args.train_limit or 60000
    n_train = n - int(n * 0.1 + 0.5)
    rates, wall, cpu = [], 0.0, 0.0
    with open(args.sweeps) as f:
        for line in f:
            secs, ticks, db = line.split()
            wall += float(secs)
            cpu += int(ticks) / args.tick
            con = sqlite3.connect(db)
            elapsed = [v for (v,) in con.execute(
                "SELECT value FROM points WHERE metric = 'elapsed' ORDER BY epoch")]
            con.close()
            rates += [round(n_train / (b - a)) for a, b in zip([0.0] + elapsed, elapsed)]
    with open(args.sweep_out, "w") as f:
        json.dump({"samples_per_s": median(rates), "epoch_rates": rates, "train": n_train,
                   "sweep_s": round(wall, 2), "worker_cpu_s": round(cpu, 2),
                   "cpu_share": round(cpu / wall, 2) if wall else None}, f)
    return 0 if rates else 1


if __name__ == "__main__":
    raise SystemExit(main())
