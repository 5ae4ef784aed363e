#!/usr/bin/python3
"""Optuna 3.1's TPESampler on the test functions of common/testfn.h (the same
formulas and spaces, written again here), for bench/run beside search_bench:

  regret: --seeds seeds x --trials trials, TPESampler(seed=s) with its
          defaults, one trial after another; the best regret f - f* per run,
          median and quartiles (numpy's linear percentiles) per function.
  hypervolume: the functions of several objectives (ZDT1-3 and DTLZ2, 5
          variables): TPESampler(seed=s) over several directions (3.1's
          MOTPE) and NSGAIISampler(seed=s), both with their defaults; the
          hypervolume of all --trials trials from testfn.h's reference point;
          --cache FILE keeps each run's result (see hypervolume()).
  speed:  the milliseconds one suggestion (ask + suggest every param) of
          --sampler (TPESampler or NSGAIISampler) takes with --history
          finished trials of --params params (even ones uniform in [0, 1], odd
          ones log in [1e-5, 1]) and --objectives objectives (random values),
          in-memory storage.

Prints one JSON object. Run by Debian's /usr/bin/python3 with python3-optuna."""
import argparse
import json
import math
import time

import numpy as np
import optuna

A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
     [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
     [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
     [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]


def branin(t):
    x1, x2 = t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)
    f = ((x2 - 5.1 * x1 * x1 / (4 * math.pi ** 2) + 5 * x1 / math.pi - 6) ** 2
         + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10)
    return f - 0.397887357729739


def hartmann6(t):
    x = [t.suggest_float("x%d" % (j + 1), 0, 1) for j in range(6)]
    f = -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6)))
             for i in range(4))
    return f + 3.32236801141551


def rosenbrock(t):
    a = math.log10(t.suggest_float("x1", 1e-5, 0.1, log=True)) + 3
    b = math.log10(t.suggest_float("x2", 1e-5, 0.1, log=True)) + 3
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2


def cond(t):
    opt = t.suggest_categorical("optimizer", ["sgd", "momentum", "adam"])
    L = math.log10(t.suggest_float("x1", 1e-5, 1, log=True))
    if opt == "sgd":
        return 0.5 + (L + 2) ** 2
    if opt == "momentum":
        # reverse_log: 1 - x2 log-uniform in [1e-4, 0.1]
        r = t.suggest_float("one_minus_x2", 1e-4, 0.1, log=True)
        return 0.2 + (L + 2.5) ** 2 + (math.log10(r) + 2) ** 2
    return (L + 3) ** 2 + 4 * (t.suggest_float("x3", 0, 1) - 0.3) ** 2


FUNCTIONS = {"branin": branin, "hartmann6": hartmann6, "rosenbrock": rosenbrock,
             "cond": cond}


def x5(t):
    return [t.suggest_float("x%d" % (j + 1), 0, 1) for j in range(5)]


def zdt(t, which):
    x = x5(t)
    g = 1 + 9 * sum(x[1:]) / 4
    r = x[0] / g
    if which == 1:
        return x[0], g * (1 - math.sqrt(r))
    if which == 2:
        return x[0], g * (1 - r * r)
    return x[0], g * (1 - math.sqrt(r) - r * math.sin(10 * math.pi * x[0]))


def dtlz2(t):
    x = x5(t)
    g = sum((v - 0.5) ** 2 for v in x[2:])
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return ((1 + g) * math.cos(a) * math.cos(b), (1 + g) * math.cos(a) * math.sin(b),
            (1 + g) * math.sin(a))


MO_FUNCTIONS = {"zdt1": (lambda t: zdt(t, 1), [1.1, 1.1]),
                "zdt2": (lambda t: zdt(t, 2), [1.1, 1.1]),
                "zdt3": (lambda t: zdt(t, 3), [1.1, 1.1]),
                "dtlz2": (dtlz2, [1.1, 1.1, 1.1])}
MO_SAMPLERS = {"optuna_tpe": optuna.samplers.TPESampler,
               "optuna_nsga2": optuna.samplers.NSGAIISampler}


def hypervolume_run(task):
    """The hypervolume of one (function, sampler, seed, trials) run."""
    from optuna._hypervolume import WFG
    name, sname, seed, trials = task
    fn, ref = MO_FUNCTIONS[name]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(directions=["minimize"] * len(ref),
                                sampler=MO_SAMPLERS[sname](seed=seed))
    study.optimize(fn, n_trials=trials)
    pts = np.asarray([t.values for t in study.trials])
    pts = pts[np.all(pts < np.asarray(ref), axis=1)]
    return float(WFG().compute(pts, np.asarray(ref))) if len(pts) else 0.0


def read_cache(path):
    """The cached runs: {(function, sampler, seed, trials): hypervolume} of
    this Optuna version (a line of another version is not used)."""
    runs = {}
    try:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                if r["optuna"] == optuna.__version__:
                    runs[(r["function"], r["sampler"], r["seed"], r["trials"])] = r["hv"]
    except FileNotFoundError:
        pass
    return runs


def hypervolume(seeds, trials, cache, jobs):
    """Every run not in the cache is computed (on --jobs processes) and, with
    --cache, appended to it: one run of MOTPE takes about a minute, so the 20
    seeds of the four functions take over an hour, while each run's result is
    a fixed function of its seed and Optuna's version."""
    import multiprocessing
    runs = read_cache(cache) if cache else {}
    tasks = [(name, sname, seed, trials) for name in MO_FUNCTIONS for sname in MO_SAMPLERS
             for seed in range(1, seeds + 1)]
    todo = [t for t in tasks if t not in runs]
    computed = 0
    if todo:
        with multiprocessing.Pool(jobs) as pool:
            for task, hv in zip(todo, pool.imap(hypervolume_run, todo)):
                runs[task] = hv
                computed += 1
                if cache:
                    with open(cache, "a") as f:
                        f.write(json.dumps({"function": task[0], "sampler": task[1],
                                            "seed": task[2], "trials": task[3], "hv": hv,
                                            "optuna": optuna.__version__}) + "\n")
    out = {}
    for name in MO_FUNCTIONS:
        out[name] = {}
        for sname in MO_SAMPLERS:
            hv = [runs[(name, sname, seed, trials)] for seed in range(1, seeds + 1)]
            q1, med, q3 = np.percentile(hv, [25, 50, 75])
            out[name][sname] = {"q1": q1, "median": med, "q3": q3, "hv": hv}
    return {"functions": out, "seeds": seeds, "trials": trials,
            "cached": len(tasks) - computed, "computed": computed}


def regret(seeds, trials):
    out = {}
    for name, fn in FUNCTIONS.items():
        best = []
        for seed in range(1, seeds + 1):
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
            study.optimize(lambda t: max(fn(t), 0.0), n_trials=trials)
            best.append(study.best_value)
        q1, med, q3 = np.percentile(best, [25, 50, 75])
        out[name] = {"optuna_tpe": {"q1": q1, "median": med, "q3": q3, "best": best}}
    return {"functions": out, "seeds": seeds, "trials": trials}


def speed(history, n_params, repeat, objectives=1, sampler="tpe"):
    dists = {}
    for k in range(n_params):
        dists["p%d" % (k + 1)] = (optuna.distributions.FloatDistribution(1e-5, 1, log=True)
                                  if k % 2 else optuna.distributions.FloatDistribution(0, 1))
    rng = np.random.RandomState(7)
    make = {"tpe": optuna.samplers.TPESampler, "nsga2": optuna.samplers.NSGAIISampler}[sampler]
    study = optuna.create_study(sampler=make(seed=1), directions=["minimize"] * objectives)
    study.add_trials([optuna.trial.create_trial(
        params={n: (10 ** rng.uniform(-5, 0) if d.log else rng.uniform(0, 1))
                for n, d in dists.items()},
        distributions=dists,
        **({"value": rng.uniform()} if objectives == 1
           else {"values": list(rng.uniform(size=objectives))})) for _ in range(history)])
    t0 = time.perf_counter()
    for _ in range(repeat):
        trial = study.ask()
        for n, d in dists.items():
            trial._suggest(n, d)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    dt = (time.perf_counter() - t0) / repeat
    return {"history": history, "params": n_params, "objectives": objectives,
            "sampler": sampler, "ms": dt * 1e3}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["regret", "hypervolume", "speed"])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--history", type=int, default=1000)
    ap.add_argument("--params", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--objectives", type=int, default=1, help="speed: objectives (random values)")
    ap.add_argument("--sampler", choices=["tpe", "nsga2"], default="tpe", help="speed: sampler")
    ap.add_argument("--cache", help="hypervolume: a JSON-lines file of runs, read and extended")
    ap.add_argument("--jobs", type=int, default=1, help="hypervolume: processes")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.mode == "regret":
        result = regret(args.seeds, args.trials)
    elif args.mode == "hypervolume":
        result = hypervolume(args.seeds, args.trials, args.cache, args.jobs)
    else:
        result = speed(args.history, args.params, args.repeat, args.objectives, args.sampler)
    result["optuna"] = optuna.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
