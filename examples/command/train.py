#!/usr/bin/env python3
"""A training script tuned by caviar as a command trial: a small two-layer
network on two interleaved spirals, in plain Python (no NumPy, no PyTorch), so
it runs anywhere. The learning rate comes from the command line ({lr} in the
spec), everything else from caviar.params(); the curve goes to caviard through
caviar.report(); checkpoints make it resumable.

Run alone: python3 train.py --lr 0.1 --epochs 5
"""
import argparse
import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk"))
import caviar  # noqa: E402


def spirals(n, rng):
    data = []
    for i in range(n):
        label = i % 2
        t = rng.uniform(0.25, 3.0)
        angle = t * 2.2 + label * math.pi
        x, y = t * math.cos(angle) + rng.gauss(0, 0.12), t * math.sin(angle) + rng.gauss(0, 0.12)
        data.append(((x / 3, y / 3), label))
    return data


def init(hidden, rng):
    return {"w1": [[rng.gauss(0, 1.0) for _ in range(2)] for _ in range(hidden)],
            "b1": [0.0] * hidden,
            "w2": [rng.gauss(0, 1.0 / math.sqrt(hidden)) for _ in range(hidden)],
            "b2": 0.0}


def forward(m, x):
    h = [math.tanh(w[0] * x[0] + w[1] * x[1] + b) for w, b in zip(m["w1"], m["b1"])]
    z = sum(a * w for a, w in zip(h, m["w2"])) + m["b2"]
    p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
    return h, p


def loss_acc(m, data):
    loss = right = 0
    for x, y in data:
        _, p = forward(m, x)
        p = min(max(p, 1e-12), 1 - 1e-12)
        loss -= y * math.log(p) + (1 - y) * math.log(1 - p)
        right += (p > 0.5) == bool(y)
    return loss / len(data), right / len(data)


def sgd_epoch(m, data, lr, rng):
    rng.shuffle(data)
    for x, y in data:
        h, p = forward(m, x)
        dz = p - y
        for j, a in enumerate(h):
            da = dz * m["w2"][j] * (1 - a * a)
            m["w2"][j] -= lr * dz * a
            m["w1"][j][0] -= lr * da * x[0]
            m["w1"][j][1] -= lr * da * x[1]
            m["b1"][j] -= lr * da
        m["b2"] -= lr * dz


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    p = caviar.params(hidden=16, examples=300, seed=1, epoch_seconds=0.0)
    rng = random.Random(p["seed"])
    data = spirals(int(p["examples"]), random.Random(7))
    train, val = data[: len(data) * 4 // 5], data[len(data) * 4 // 5:]
    print(f"spirals: {len(train)} training and {len(val)} validation points, "
          f"hidden {p['hidden']}, lr {args.lr}")
    start, state = caviar.resume()
    model = state["model"] if state else init(int(p["hidden"]), rng)
    if state:
        rng.setstate(state["rng"])
    for epoch in range(start + 1, args.epochs + 1):
        if caviar.should_stop():
            print(f"stopping after epoch {epoch - 1}")
            return 0
        sgd_epoch(model, train, args.lr, rng)
        train_loss, train_acc = loss_acc(model, train)
        val_loss, val_acc = loss_acc(model, val)
        caviar.report(epoch, train_loss=train_loss, train_acc=train_acc,
                      val_loss=val_loss, val_acc=val_acc)
        caviar.save_checkpoint(epoch, {"model": model, "rng": rng.getstate()})
        if p["epoch_seconds"]:
            import time
            time.sleep(float(p["epoch_seconds"]))
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
