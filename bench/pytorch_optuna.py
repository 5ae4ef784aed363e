#!/usr/bin/python3
"""Optuna 3.1 in-process on the new-user task of bench/own_program.sh: the
PyTorch MLP of examples/pytorch/train_fmnist.py (its own setup, split,
model_for, train_epoch and evaluate: the same code caviar's trials run),
the same space as examples/pytorch/sweep.json, TPE with a successive-halving
pruner (ASHA's rule: min_resource 1, reduction_factor 3), n_jobs threads,
in-memory storage (Optuna's fastest). The wall time counts from before
`import torch` to the last trial, as caviar's counts its server's setup.
Prints one JSON object. Run by Debian's /usr/bin/python3."""
import argparse
import json
import os
import sys
import time

T0 = time.monotonic()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "pytorch"))
import train_fmnist as ex  # noqa: E402

import optuna  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=os.path.join(HERE, "..", "examples", "pytorch", "sweep.json"))
    ap.add_argument("--trials", type=int)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    train = spec["train"]
    space = spec["params"]
    n_trials = args.trials or spec["trials"]
    es = spec.get("early_stop", {})

    data = ex.setup()  # import torch (one thread), the data: once, shared by the threads
    torch = data["torch"]
    (xtr, ytr), (xva, yva) = ex.split(data, train["train_limit"], train["val_fraction"])

    def suggest(trial, name, p):
        if "log" in p:
            return trial.suggest_float(name, p["log"][0], p["log"][1], log=True)
        if "uniform" in p:
            return trial.suggest_float(name, p["uniform"][0], p["uniform"][1])
        if "int" in p:
            return trial.suggest_int(name, p["int"][0], p["int"][1])
        return trial.suggest_categorical(name, p["choice"])

    def objective(trial):
        p = {name: suggest(trial, name, q) for name, q in space.items()}
        torch.manual_seed(trial.number)
        hidden = p["hidden"] if isinstance(p["hidden"], list) else [int(p["hidden"])]
        model = ex.model_for(torch.nn, hidden)
        opt = torch.optim.Adam(model.parameters(), lr=p["lr"])
        loss_fn = torch.nn.CrossEntropyLoss()
        best = 0.0
        for epoch in range(1, int(train["epochs"]) + 1):
            ex.train_epoch(torch, model, opt, loss_fn, xtr, ytr, int(p["batch"]))
            _, acc = ex.evaluate(torch, model, loss_fn, xva, yva)
            best = max(best, acc)
            trial.report(acc, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return best

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize" if spec["objective"]["mode"] == "max" else "minimize",
        sampler=optuna.samplers.TPESampler(seed=spec.get("seed", 1)),
        pruner=optuna.pruners.SuccessiveHalvingPruner(
            min_resource=es.get("min_epochs", 1), reduction_factor=es.get("eta", 3)))
    study.optimize(objective, n_trials=n_trials, n_jobs=args.jobs)
    wall = time.monotonic() - T0
    states = [t.state.name for t in study.trials]
    print(json.dumps({"optuna": optuna.__version__, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "jobs": args.jobs,
                      "trials": len(study.trials), "pruned": states.count("PRUNED"),
                      "epochs": sum(len(t.intermediate_values) for t in study.trials),
                      "best": study.best_value, "wall_s": round(wall, 3)}))


if __name__ == "__main__":
    main()
