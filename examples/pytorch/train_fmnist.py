#!/usr/bin/env python3
"""Fashion-MNIST with PyTorch, tuned by caviar as a command trial.

An ordinary PyTorch training script: an MLP with batch norm, Adam, mini-batches.
caviar gives it its hyperparameters (caviar.params(), from the spec's train and
params), it reports one record per epoch (caviar.report), checkpoints after
each epoch (so a trial resumes after a daemon restart) and stops cleanly on
SIGTERM (cancel, early stopping). The data are Debian's dataset-fashion-mnist
IDX files, read with gzip and struct: no torchvision needed.

Run alone: /usr/bin/python3 train_fmnist.py   (Debian's python3-torch)
"""
import gzip
import os
import struct
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk"))
import caviar  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        dims = list(struct.unpack(">II", f.read(8))) if magic == 0x803 else []
        data = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
    return data.view(n, *dims) if dims else data


def main():
    p = caviar.params(lr=1e-3, batch=128, hidden=[256, 128], epochs=5, train_limit=20000,
                      val_fraction=0.1, seed=1, weight_decay=0.0)
    torch.manual_seed(int(p["seed"]))
    torch.set_num_threads(1)  # one core per trial: caviar runs many side by side
    x = idx("train-images-idx3-ubyte.gz").float().div(255).view(-1, 784)
    y = idx("train-labels-idx1-ubyte.gz").long()
    n = int(p["train_limit"]) or len(x)
    n_val = int(n * float(p["val_fraction"]))
    xtr, ytr, xva, yva = x[: n - n_val], y[: n - n_val], x[n - n_val: n], y[n - n_val: n]
    xte = idx("t10k-images-idx3-ubyte.gz").float().div(255).view(-1, 784)
    yte = idx("t10k-labels-idx1-ubyte.gz").long()
    hidden = p["hidden"] if isinstance(p["hidden"], list) else [int(p["hidden"])]
    layers, width = [], 784
    for h in hidden:
        layers += [nn.Linear(width, h, bias=False), nn.BatchNorm1d(h), nn.ReLU()]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    opt = torch.optim.Adam(model.parameters(), lr=float(p["lr"]), weight_decay=float(p["weight_decay"]))
    loss_fn = nn.CrossEntropyLoss()
    print(f"fashion-mnist: {len(xtr)} train, {len(xva)} val; hidden {hidden}; lr {p['lr']}")

    start, state = caviar.resume()
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
    t0 = time.monotonic()
    for epoch in range(start + 1, int(p["epochs"]) + 1):
        if caviar.should_stop():
            print(f"stopping after epoch {epoch - 1}")
            return 0
        model.train()
        perm = torch.randperm(len(xtr))
        total = right = 0.0
        for i in range(0, len(xtr), int(p["batch"])):
            idx_b = perm[i: i + int(p["batch"])]
            out = model(xtr[idx_b])
            loss = loss_fn(out, ytr[idx_b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx_b)
            right += (out.argmax(1) == ytr[idx_b]).sum().item()
        model.eval()
        with torch.no_grad():
            vout = model(xva)
            val_loss = loss_fn(vout, yva).item()
            val_acc = (vout.argmax(1) == yva).float().mean().item()
        caviar.report(epoch, train_loss=total / len(xtr), train_acc=right / len(xtr),
                      val_loss=val_loss, val_acc=val_acc, elapsed=time.monotonic() - t0)
        caviar.save_checkpoint(epoch, {"model": model.state_dict(), "opt": opt.state_dict()})
    with torch.no_grad():
        tout = model(xte)
        caviar.report(int(p["epochs"]), test_loss=loss_fn(tout, yte).item(),
                      test_acc=(tout.argmax(1) == yte).float().mean().item())
    return 0


if __name__ == "__main__":
    sys.exit(main())
