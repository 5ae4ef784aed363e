#!/usr/bin/env python3
"""Submits a small synthetic sweep to caviard, follows it live with events(),
and prints its best trial. Run with caviard running and sdk/ on PYTHONPATH:

    PYTHONPATH=~/.local/share/caviar/sdk python3 follow.py
"""
from caviar_client import CaviarError, Client

SPEC = {"name": "py-demo", "trials": 6, "seed": 4, "task": "bowl",
        "objective": {"metric": "val_loss", "mode": "min"},
        "train": {"epochs": 5, "epoch_ms": 50},
        "params": {"lr": {"log": [1e-4, 1e-1]}, "beta": {"reverse_log": [0.5, 0.999]}}}


def main():
    client = Client()
    sweep = client.submit(SPEC)
    print("sweep %d submitted" % sweep)
    for event in client.events(sweep):
        if event["event"] == "trial_ended":
            print("trial %d: %s, best val_loss %.4f" % (event["trial"], event["status"], event["best"]))
        elif event["event"] == "sweep_ended":
            print("sweep %d %s" % (sweep, event["status"]))
    best = client.best(sweep, 1)[0]
    params = " ".join("%s=%.4g" % kv for kv in best["params"].items())
    print("best: trial %d, val_loss %.4f at epoch %d, %s"
          % (best["trial_id"], best["objective"], best["best_epoch"], params))


if __name__ == "__main__":
    try:
        main()
    except CaviarError as e:
        raise SystemExit("follow.py: %s" % e) from None
