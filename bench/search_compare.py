"""How sure is a comparison of best regrets: caviar's tpe against Optuna's
TPESampler and against caviar's random search, per test function, from the
per-seed results of bench/search_bench.c and bench/search_optuna.py.

    search_compare.py OURS.json OPTUNA.json  > compare.json

For each function: the ratio of medians (ours over Optuna's: below 1 is
better), its 90% bootstrap interval (2,000 resamples of the seeds, fixed
seed), the two-sided p-value of the Mann-Whitney rank-sum test (normal
approximation with ties corrected: small p means the two differ), and tpe's
median over random's. Numbers only from the standard library and numpy."""
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


def main():
    ours = json.load(open(sys.argv[1]))["functions"]
    optuna = json.load(open(sys.argv[2]))["functions"]
    rng = np.random.default_rng(1)
    out = {}
    for name, strategies in ours.items():
        a = np.asarray(strategies["tpe"]["best"], dtype=float)
        rand = np.asarray(strategies["random"]["best"], dtype=float)
        row = {"tpe_vs_random": float(np.median(a) / np.median(rand))}
        if name in optuna:
            b = np.asarray(optuna[name]["optuna_tpe"]["best"], dtype=float)
            boot = [np.median(rng.choice(a, len(a))) / np.median(rng.choice(b, len(b)))
                    for _ in range(2000)]
            lo, hi = np.percentile(boot, [5, 95])
            row.update({"ratio": float(np.median(a) / np.median(b)), "ci_lo": float(lo),
                        "ci_hi": float(hi), "p": rank_sum_p(a, b)})
        out[name] = row
    json.dump({"functions": out}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
