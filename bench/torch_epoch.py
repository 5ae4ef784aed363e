#!/usr/bin/python3
"""The plain PyTorch epoch loop bench/run checks row 1a's baseline against, and
sets beside the worker's epochs through caviard (row 1d). Written the way a
PyTorch user writes it, its loop independent of bench/torch_baseline.py's (the
set-up they share is bench/torch_env.py): the same reference model
(784-256-128-10, batch norm without bias before ReLU, Adam lr 1e-3, batch 128,
one thread), the training set split like the worker's
(val_fraction 0.1: the last tenth validates), a torch.randperm reshuffle per
epoch, mini-batches of that order, and after each epoch the evaluation the
worker does (validation loss and accuracy in eval mode). Times whole epochs
(evaluation included, as the worker's `elapsed` does) and the training part
alone; prints one JSON object: the median epoch's samples/s of each, per
epoch, and what ran (threads read back, OpenBLAS's kernel set, faults).

--malloc reuse (the default) raises glibc's mmap and trim thresholds before
anything is allocated, so the allocator keeps the memory it is given back
(what PyTorch's CPU tuning guide gets from jemalloc or tcmalloc, neither
installed here): without it glibc returns the optimizer's 0.8 MB temporaries
to the kernel and every step faults them in again (see torch_baseline.py).
--malloc glibc leaves glibc's defaults. Run by Debian's /usr/bin/python3."""
import argparse
import json
import resource
import time

import torch_env


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--train-limit", type=int, default=0, help="first N training images (0: all)")
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--malloc", choices=("reuse", "glibc"), default="reuse")
    args = ap.parse_args()

    torch_env.set_malloc(args.malloc)
    import numpy as np
    import torch

    blas = torch_env.one_thread(torch, "torch_epoch")
    torch.manual_seed(1)

    def idx(stem, offset):
        return torch_env.load_idx(args.data, stem, offset, "torch_epoch")

    images = idx("train-images-idx3-ubyte", 16).reshape(-1, 784)
    labels = idx("train-labels-idx1-ubyte", 8)
    if args.train_limit:
        images, labels = images[:args.train_limit], labels[:args.train_limit]
    n_val = int(len(labels) * args.val_fraction)
    n_train = len(labels) - n_val
    x = torch.from_numpy(images[:n_train].astype(np.float32) / 255)
    y = torch.from_numpy(labels[:n_train].astype(np.int64))
    xv = torch.from_numpy(images[n_train:].astype(np.float32) / 255)
    yv = torch.from_numpy(labels[n_train:].astype(np.int64))

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256, bias=False), torch.nn.BatchNorm1d(256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128, bias=False), torch.nn.BatchNorm1d(128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    epochs = []
    for epoch in range(1, args.epochs + 1):
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = time.perf_counter()
        c0 = time.process_time()
        model.train()
        perm = torch.randperm(n_train)
        steps = 0
        for i in range(0, n_train, args.batch):
            b = perm[i:i + args.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[b]), y[b])
            loss.backward()
            opt.step()
            steps += 1
        t1 = time.perf_counter()
        val = {}
        if n_val:
            model.eval()
            with torch.no_grad():
                out = model(xv)
                val = {"val_loss": round(loss_fn(out, yv).item(), 4),
                       "val_acc": round((out.argmax(1) == yv).float().mean().item(), 4)}
        t2 = time.perf_counter()
        cpu = time.process_time() - c0
        epochs.append(dict(epoch=epoch, train_s=round(t1 - t0, 4), epoch_s=round(t2 - t0, 4),
                           cpu_s=round(cpu, 4), eval_s=round(t2 - t1, 4),
                           faults_per_step=round(
                               (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
                               / steps, 1), **val))

    def median(key):
        v = sorted(n_train / e[key] for e in epochs)
        return round(v[len(v) // 2])

    print(json.dumps({
        **torch_env.what_ran(torch, blas, args.malloc),
        "batch": args.batch, "train": n_train, "val": n_val,
        "samples_per_s": median("epoch_s"), "train_samples_per_s": median("train_s"),
        "cpu_samples_per_s": median("cpu_s"), "epochs": epochs}))


if __name__ == "__main__":
    main()
