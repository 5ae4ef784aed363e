#!/usr/bin/env python3
"""Fashion-MNIST with PyTorch, tuned and steered by caviar as a command trial.

An ordinary PyTorch training script (an MLP with batch norm, Adam,
mini-batches) made for caviar in four places:

- caviar.serve(train, setup): under "fork_server": true, setup (import torch,
  read the data) runs once per sweep and every trial is a fork of it, at its
  first epoch in milliseconds (0.008 s against 0.78 s as a process of its
  own: README's bench/run row 11a); alone, or without the fork server, the
  same script runs one trial.
- caviar.steer(opt) every `steer_every` steps: `caviar adjust`, a fork's or
  PBT's new lr reaches the optimizer's param groups from the next step (it
  never blocks and costs microseconds; an adjust waits for its answer, so not
  once a long epoch). A new batch size is the program's to apply: it is.
- caviar.load_optimizer(opt, saved): restores the optimizer from the
  checkpoint, then sets the trial's own values over it. opt.load_state_dict
  alone restores the parent's lr into a fork, silently undoing its new one.
- caviar.save_checkpoint each epoch (kept per epoch for forks when the spec
  has keep_checkpoints) and caviar.should_stop (cancel, early stopping).

The data are Debian's dataset-fashion-mnist IDX files, read with gzip and
struct: no torchvision needed. Run alone: /usr/bin/python3 train_fmnist.py
"""
import gzip
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "sdk"))
import caviar  # noqa: E402

DATA = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def idx(torch, name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        dims = list(struct.unpack(">II", f.read(8))) if magic == 0x803 else []
        data = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8)
    return data.view(n, *dims) if dims else data


def setup():
    """Once per sweep under a fork server: torch and the data."""
    import torch
    torch.set_num_threads(1)  # before any op: a fork server forks with one thread
    x = idx(torch, "train-images-idx3-ubyte.gz").float().div(255).view(-1, 784)
    y = idx(torch, "train-labels-idx1-ubyte.gz").long()
    return {"torch": torch, "x": x, "y": y}


def model_for(nn, hidden):
    layers, width = [], 784
    for h in hidden:
        layers += [nn.Linear(width, h, bias=False), nn.BatchNorm1d(h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 10))


def split(data, train_limit, val_fraction):
    """The first train_limit images (all for 0): (x, y) to train on, (x, y) to validate."""
    n = int(train_limit) or len(data["x"])
    n_val = int(n * float(val_fraction))
    return ((data["x"][: n - n_val], data["y"][: n - n_val]),
            (data["x"][n - n_val: n], data["y"][n - n_val: n]))


def train_epoch(torch, model, opt, loss_fn, xtr, ytr, batch, steer=None, steer_every=20):
    """One pass over (xtr, ytr) in a new order: (mean loss, accuracy, batch).
    steer(opt), when given, runs every steer_every steps and may return a new
    batch size."""
    model.train()
    perm = torch.randperm(len(xtr))
    total = right = 0.0
    i = step = 0
    while i < len(xtr):
        if steer is not None and step % steer_every == 0:
            batch = int(steer(opt).get("batch", batch))
        idx_b = perm[i: i + batch]
        out = model(xtr[idx_b])
        loss = loss_fn(out, ytr[idx_b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx_b)
        right += (out.argmax(1) == ytr[idx_b]).sum().item()
        i, step = i + batch, step + 1
    return total / len(xtr), right / len(xtr), batch


def evaluate(torch, model, loss_fn, x, y):
    """(loss, accuracy) on (x, y)."""
    model.eval()
    with torch.no_grad():
        out = model(x)
        return loss_fn(out, y).item(), (out.argmax(1) == y).float().mean().item()


def train(data):
    torch = data["torch"]
    nn = torch.nn
    p = caviar.params(lr=1e-3, batch=128, hidden=[256, 128], epochs=5, train_limit=20000,
                      val_fraction=0.1, seed=1, weight_decay=0.0, steer_every=20)
    torch.manual_seed(int(p["seed"]))
    (xtr, ytr), (xva, yva) = split(data, p["train_limit"], p["val_fraction"])
    hidden = p["hidden"] if isinstance(p["hidden"], list) else [int(p["hidden"])]
    model = model_for(nn, hidden)
    opt = torch.optim.Adam(model.parameters(), lr=float(p["lr"]),
                           weight_decay=float(p["weight_decay"]))
    loss_fn = nn.CrossEntropyLoss()
    batch = int(p["batch"])
    print(f"fashion-mnist: {len(xtr)} train, {len(xva)} val; hidden {hidden}; lr {p['lr']}")

    start, saved = caviar.resume()
    if saved:
        model.load_state_dict(saved["model"])
        caviar.load_optimizer(opt, saved["opt"])  # a fork's new lr wins over its parent's
    t0 = time.monotonic()
    for epoch in range(start + 1, int(p["epochs"]) + 1):
        if caviar.should_stop():
            print(f"stopping after epoch {epoch - 1}")
            return 0
        train_loss, train_acc, batch = train_epoch(torch, model, opt, loss_fn, xtr, ytr, batch,
                                                   caviar.steer, int(p["steer_every"]))
        val_loss, val_acc = evaluate(torch, model, loss_fn, xva, yva)
        caviar.report(epoch, train_loss=train_loss, train_acc=train_acc,
                      val_loss=val_loss, val_acc=val_acc, lr=opt.param_groups[0]["lr"],
                      batch=batch, elapsed=time.monotonic() - t0)
        caviar.save_checkpoint(epoch, {"model": model.state_dict(), "opt": opt.state_dict()})
    return 0


if __name__ == "__main__":
    sys.exit(caviar.serve(train, setup=setup))
