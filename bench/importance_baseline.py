#!/usr/bin/python3
"""Optuna's fANOVA on trials exported from caviar, for comparing with
`caviar importance` (bench/run row 8, and by hand).

  importance_baseline.py TRIALS.json [--spec SPEC.json] [--seed S] [--trees N]
                         [--scale internal|raw] [--compare OURS.json]

TRIALS.json is `caviar export SWEEP --json` (a list of trials, each with
"status", "objective" and "params"), or an object {"params": {...spec
params...}, "trials": [...]} such as bench/importance_bench --out writes; the
spec (its "params") comes from --spec when the file has none. Finished trials
(done or pruned) with an objective are added to an in-memory study and
Optuna 3.1's FanovaImportanceEvaluator(n_trees, seed) runs on them.

--scale internal (the default) gives Optuna each numeric parameter in caviar's
scale (log10 x for log and log_int, log10(1-x) for reverse_log) as a uniform
float, so both decompose the same space; --scale raw gives Optuna the raw
values (log ones as log=True distributions, which Optuna 3.1's fANOVA still
treats linearly). A conditional parameter absent from some trials is dropped,
as Optuna does. --compare reads caviar's shares ({"params": [{"name",
"share"}]} from `caviar importance --json`, or {"shares": {name: share}}) and
adds Spearman's rank correlation, over every parameter and over those with 1%
or more in either (the ranks of inert ones are noise). Prints one JSON object."""
import argparse
import json
import math
import time

import optuna


def scaled(kind, v):
    if kind in ("log", "log_int"):
        return math.log10(v)
    if kind == "reverse_log":
        return math.log10(1 - v)
    return float(v)


def distribution(kind, rng, scale):
    D = optuna.distributions
    if "choice" in rng:
        return D.CategoricalDistribution(rng["choice"])
    lo, hi = rng[kind]
    if scale == "internal":
        if kind == "log_int":
            a, b = math.log10(lo), math.log10(hi + 1)
        elif kind == "int":
            a, b = lo - 0.5, hi + 0.5
        else:
            a, b = scaled(kind, lo), scaled(kind, hi)
        return D.FloatDistribution(min(a, b), max(a, b))
    if kind == "int":
        return D.IntDistribution(lo, hi)
    if kind == "log_int":
        return D.IntDistribution(lo, hi, log=True)
    return D.FloatDistribution(lo, hi, log=(kind == "log"))


def kind_of(rng):
    for k in ("uniform", "int", "log", "log_int", "reverse_log", "choice"):
        if isinstance(rng, dict) and k in rng:
            return k
    return None


def spearman(a, b):
    """Spearman's rho of two equal-length lists (average ranks for ties)."""
    def ranks(x):
        order = sorted(range(len(x)), key=lambda i: x[i])
        r = [0.0] * len(x)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2.0
            i = j + 1
        return r
    ra, rb = ranks(a), ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    return cov / math.sqrt(va * vb) if va > 0 and vb > 0 else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trials")
    ap.add_argument("--spec")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trees", type=int, default=64)
    ap.add_argument("--scale", choices=["internal", "raw"], default="internal")
    ap.add_argument("--compare")
    args = ap.parse_args()

    data = json.load(open(args.trials))
    params = data.get("params") if isinstance(data, dict) else None
    trials = data["trials"] if isinstance(data, dict) else data
    if params is None:
        if not args.spec:
            ap.error("the trials file has no spec: give --spec SPEC.json")
        params = json.load(open(args.spec))["params"]
    sampled = {n: r for n, r in params.items()
               if kind_of(r) and not (kind_of(r) == "choice" and len(r["choice"]) < 2)}
    dists = {n: distribution(kind_of(r), r, args.scale) for n, r in sampled.items()}

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    frozen = []
    for t in trials:
        if t.get("status") not in ("done", "pruned") or t.get("objective") is None:
            continue
        p, d = {}, {}
        for n, r in sampled.items():
            if n not in t["params"]:
                continue
            v = t["params"][n]
            p[n] = v if kind_of(r) == "choice" or args.scale == "raw" else scaled(kind_of(r), v)
            d[n] = dists[n]
        frozen.append(optuna.trial.create_trial(params=p, distributions=d, value=t["objective"]))
    study.add_trials(frozen)
    t0 = time.perf_counter()
    ev = optuna.importance.FanovaImportanceEvaluator(n_trees=args.trees, seed=args.seed)
    shares = optuna.importance.get_param_importances(study, evaluator=ev)
    seconds = time.perf_counter() - t0
    out = {"optuna": optuna.__version__, "trials": len(frozen), "trees": args.trees,
           "scale": args.scale, "seconds": seconds, "shares": dict(shares)}
    if args.compare:
        ours = json.load(open(args.compare))
        if "params" in ours and isinstance(ours["params"], list):
            ours = {p["name"]: p["share"] for p in ours["params"]}
        else:
            ours = ours["shares"]
        names = [n for n in shares if n in ours]
        out["spearman"] = spearman([ours[n] for n in names], [shares[n] for n in names])
        # the parameters that matter (1% or more in either): inert ones' ranks are noise
        big = [n for n in names if max(ours[n], shares[n]) >= 0.01]
        out["spearman_1pct"] = (spearman([ours[n] for n in big], [shares[n] for n in big])
                                if len(big) > 1 else 1.0)
        out["params_1pct"] = len(big)
        out["same_first"] = max(names, key=lambda n: ours[n]) == max(names, key=lambda n: shares[n])
        out["ours"] = {n: ours[n] for n in names}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
