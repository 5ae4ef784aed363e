#!/usr/bin/python3
"""The plain PyTorch epoch loop bench/run checks row 1a's baseline against, and
sets beside the worker's epochs through caviard (row 1d). Written the way a
PyTorch user writes it, independently of bench/torch_baseline.py: the same
reference model (784-256-128-10, batch norm without bias before ReLU, Adam lr
1e-3, batch 128, one thread), the training set split like the worker's
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
import ctypes
import gzip
import json
import os
import resource
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--train-limit", type=int, default=0, help="first N training images (0: all)")
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--malloc", choices=("reuse", "glibc"), default="reuse")
    args = ap.parse_args()

    libc = ctypes.CDLL(None)
    if args.malloc == "reuse":
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    import numpy as np
    import torch

    torch.set_num_threads(1)
    blas = openblas()
    blas.openblas_set_num_threads(1)
    torch.manual_seed(1)

    def idx(stem, offset):
        for name in (stem + ".gz", stem):
            path = os.path.join(args.data, name)
            if os.path.exists(path):
                with (gzip.open if name.endswith(".gz") else open)(path, "rb") as f:
                    return np.frombuffer(f.read(), np.uint8, offset=offset)
        raise SystemExit("torch_epoch: %s not found in %s" % (stem, args.data))

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

    blas.openblas_get_corename.restype = ctypes.c_char_p
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "openblas_threads": blas.openblas_get_num_threads(),
        "openblas_core": blas.openblas_get_corename().decode(),
        "cpu_capability": cpu_capability(torch), "malloc": args.malloc,
        "batch": args.batch, "train": n_train, "val": n_val,
        "samples_per_s": median("epoch_s"), "train_samples_per_s": median("train_s"),
        "cpu_samples_per_s": median("cpu_s"), "epochs": epochs}))


def openblas():
    """The OpenBLAS torch loaded (through libblas.so.3), by its path in our maps."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "libopenblas" in os.path.basename(path):
                return ctypes.CDLL(path)
    raise SystemExit("torch_epoch: torch did not load OpenBLAS")


def cpu_capability(torch):
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return "?"


if __name__ == "__main__":
    main()
