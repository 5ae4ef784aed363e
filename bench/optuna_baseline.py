#!/usr/bin/python3
"""Optuna baseline for bench/run, with SQLite storage (Optuna's own file-backed
storage, the counterpart of caviard's database). Two measurements:

  trials: study.optimize on a trivial objective (the "trivial" task's
          1 / (1 + lr), lr log-uniform in [1e-4, 1e-1], random sampler like
          caviar's random search), one process, for --seconds: trials/s through
          sample, run, record.
  report: one trial calling trial.report(value, step) as fast as it can for
          --seconds: intermediate values (curve points) recorded per second.

Prints one JSON object. Run by Debian's /usr/bin/python3 with python3-optuna."""
import argparse
import json
import os
import tempfile
import time

import optuna


def make_study(path):
    return optuna.create_study(storage="sqlite:///" + path, direction="minimize",
                               sampler=optuna.samplers.RandomSampler(seed=1))


def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    return 1.0 / (1.0 + lr)


def measure_trials(path, seconds):
    study = make_study(path)
    t0 = time.perf_counter()
    study.optimize(objective, timeout=seconds)
    dt = time.perf_counter() - t0
    n = len(study.trials)
    return {"trials": n, "seconds": dt, "per_s": n / dt}


def measure_report(path, seconds):
    study = make_study(path)
    trial = study.ask()
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trial.report(1.0 / (1.0 + n), n)
        n += 1
    dt = time.perf_counter() - t0
    study.tell(trial, 0.5)
    return {"points": n, "seconds": dt, "per_s": n / dt}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["trials", "report"])
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="caviar-optuna.") as d:
        path = os.path.join(d, "optuna.db")
        measure = measure_trials if args.mode == "trials" else measure_report
        result = measure(path, args.seconds)
    result.update({"optuna": optuna.__version__, "mode": args.mode, "storage": "sqlite"})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
