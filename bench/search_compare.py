"""How sure is a comparison of best regrets: caviar's tpe against Optuna's
TPESampler and against caviar's random search, per test function, from the
per-seed results of bench/search_bench.c and bench/search_optuna.py.

    search_compare.py OURS.json OPTUNA.json  > compare.json
    search_compare.py --hypervolume OURS.json OPTUNA.json  > compare.json

For each function: the ratio of medians (ours over Optuna's: below 1 is
better), its 90% bootstrap interval (2,000 resamples of the seeds, fixed
seed), the two-sided p-value of the Mann-Whitney rank-sum test (normal
approximation with ties corrected: small p means the two differ), and tpe's
median over random's.

With --hypervolume (search_bench hypervolume against search_optuna.py
hypervolume; a larger hypervolume is better, so above 1 is better): caviar's
tpe against the better of Optuna's two samplers on that function (the larger
median), named in "best"; caviar's tpe_hv (Optuna's hypervolume weights)
against Optuna's TPESampler (MOTPE), the same algorithm; caviar's nsga2
against Optuna's NSGA-II. Each with "not_worse" (p >= 0.05, or on the better
side) and "better" (p < 0.05 and on the better side), and "in_box": the runs
of each side with a hypervolume above 0. The side is the ratio of medians;
where Optuna's median is 0 (most runs never reached the reference box) the
ratio is null and the side is the ratio of means ("mean_ratio").
Numbers only from the standard library and numpy."""
import json
import math
import sys

import numpy as np


def rank_sum_p(a, b):
    """Two-sided p of the Mann-Whitney U test, normal approximation."""
    x = np.concatenate([a, b])
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(1, len(x) + 1)
    for v in np.unique(x):  # ties share their mean rank
        tie = x == v
        ranks[tie] = ranks[tie].mean()
    n1, n2 = len(a), len(b)
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2
    _, counts = np.unique(x, return_counts=True)
    n = n1 + n2
    var = n1 * n2 / 12 * ((n + 1) - (counts ** 3 - counts).sum() / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = (u - n1 * n2 / 2) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2))


def compare(a, b, rng):
    """The ratio of a's median over b's, its bootstrap interval and p."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    row = {"p": rank_sum_p(a, b), "in_box": [int((a > 0).sum()), int((b > 0).sum())],
           "mean_ratio": float(a.mean() / b.mean()) if b.mean() > 0 else None}
    if np.median(b) > 0:
        boot = []
        for _ in range(2000):
            ma, mb = np.median(rng.choice(a, len(a))), np.median(rng.choice(b, len(b)))
            boot.append(ma / mb if mb > 0 else math.inf)
        lo, hi = np.percentile(boot, [5, 95])
        row.update({"ratio": float(np.median(a) / np.median(b)), "ci_lo": float(lo),
                    "ci_hi": float(hi)})
    else:
        row.update({"ratio": None, "ci_lo": None, "ci_hi": None})
    return row


def on_better_side(row, higher_is_better):
    """The ratio of medians (of means where the median ratio is null) at or
    past 1 on the better side; None when neither exists."""
    r = row["ratio"] if row["ratio"] is not None else row.get("mean_ratio")
    if r is None:
        return None
    return r >= 1 if higher_is_better else r <= 1


def not_worse(row, higher_is_better):
    """Not significantly worse: the rank-sum test sees no difference at 5%,
    or the median is on the better side."""
    return row["p"] >= 0.05 or on_better_side(row, higher_is_better) is not False


def better(row, higher_is_better):
    """Significantly better: a difference at 5%, on the better side."""
    return row["p"] < 0.05 and on_better_side(row, higher_is_better) is True


def regret(ours, optuna, rng):
    out = {}
    for name, strategies in ours.items():
        a = strategies["tpe"]["best"]
        rand = strategies["random"]["best"]
        row = {"tpe_vs_random": float(np.median(a) / np.median(rand))}
        if name in optuna:
            row.update(compare(a, optuna[name]["optuna_tpe"]["best"], rng))
        out[name] = row
    return out


def hypervolume(ours, optuna, rng):
    out = {}
    for name, samplers in ours.items():
        if name not in optuna:
            continue
        theirs = optuna[name]
        best = max(("optuna_tpe", "optuna_nsga2"), key=lambda k: theirs[k]["median"])
        row = {"best": best, "best_median": theirs[best]["median"],
               "tpe": compare(samplers["tpe"]["hv"], theirs[best]["hv"], rng),
               "nsga2": compare(samplers["nsga2"]["hv"], theirs["optuna_nsga2"]["hv"], rng)}
        if "tpe_hv" in samplers:
            row["tpe_hv"] = compare(samplers["tpe_hv"]["hv"], theirs["optuna_tpe"]["hv"], rng)
        for k in ("tpe", "tpe_hv", "nsga2"):
            if k in row:
                row[k]["not_worse"] = not_worse(row[k], True)
                row[k]["better"] = better(row[k], True)
        out[name] = row
    return out


def main():
    args = sys.argv[1:]
    mode = regret
    if args and args[0] == "--hypervolume":
        mode, args = hypervolume, args[1:]
    ours = json.load(open(args[0]))["functions"]
    optuna = json.load(open(args[1]))["functions"]
    json.dump({"functions": mode(ours, optuna, np.random.default_rng(1))}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
