#!/usr/bin/python3
"""PyTorch baseline for bench/worker_bench.c: the same reference workload
(Fashion-MNIST, 784-256-128-10, batch norm without bias before ReLU, Adam lr 1e-3,
batch 128, one thread), timed the same way (median of 5 repetitions of --steps
steps after 20 warm-up steps). Prints one JSON object with samples_per_s.
Run by Debian's /usr/bin/python3 with python3-torch."""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch


def load_idx(path, offset):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def find(data_dir, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    raise SystemExit("torch_baseline: %s not found in %s" % (stem, data_dir))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(1)
    x = load_idx(find(args.data, "train-images-idx3-ubyte"), 16).reshape(-1, 784)
    y = load_idx(find(args.data, "train-labels-idx1-ubyte"), 8)
    x = torch.from_numpy(x.astype(np.float32) / 255.0)
    y = torch.from_numpy(y.astype(np.int64))

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256, bias=False), torch.nn.BatchNorm1d(256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128, bias=False), torch.nn.BatchNorm1d(128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()

    def step():
        idx = torch.randint(0, x.shape[0], (args.batch,))
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()

    rates = []
    for rep in range(-1, 5):
        n = 20 if rep < 0 else args.steps
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        if rep >= 0:
            rates.append(n * args.batch / (time.perf_counter() - t0))
    rates.sort()
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "batch": args.batch, "samples_per_s": round(rates[2])}))


if __name__ == "__main__":
    main()
