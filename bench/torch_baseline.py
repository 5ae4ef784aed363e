#!/usr/bin/python3
"""PyTorch baseline for bench/worker_bench.c: the same reference workload
(Fashion-MNIST, 784-256-128-10, batch norm without bias before ReLU, Adam lr 1e-3,
batch 128, one thread: torch's and OpenBLAS's, both read back), timed the same
way (median of 5 repetitions of --steps steps after 20 warm-up steps, random
rows like worker_bench). Prints one JSON object with samples_per_s (wall),
cpu_samples_per_s (process CPU time), the minor page faults per step, the
threads that ran and the kernels (OpenBLAS's core, torch's CPU capability).

The allocator (--malloc): PyTorch's CPU tensors come from malloc and go back to
it every step. Under glibc's defaults the 0.8 MB temporaries of Adam's update of
the first layer (exp_avg_sq.sqrt(), its quotient, ...) are carved from the top
of the heap and trimmed back to the kernel when freed, so every step faults them
in again: about 450 minor faults per step, 4-5x the time of the step here (the
kernel clears each page; a VM makes each fault dear). A process that once freed
a larger block (6 MB: an evaluation pass) has glibc raise its thresholds and
runs fast from then on, which is why a plain epoch loop with evaluation ran
4-5x faster than this script. --malloc reuse (the default) sets glibc's mmap
and trim thresholds up front, the allocator reuse PyTorch's CPU tuning guide
gets from jemalloc or tcmalloc; the worker allocates nothing per step, so it
needs no such setting. --malloc glibc measures the defaults (the old baseline).
Run by Debian's /usr/bin/python3 with python3-torch."""
import argparse
import json
import resource
import time

import torch_env


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--malloc", choices=("reuse", "glibc"), default="reuse")
    args = ap.parse_args()

    torch_env.set_malloc(args.malloc)
    import numpy as np
    import torch

    blas = torch_env.one_thread(torch, "torch_baseline")
    torch.manual_seed(1)
    x = torch_env.load_idx(args.data, "train-images-idx3-ubyte", 16,
                           "torch_baseline").reshape(-1, 784)
    y = torch_env.load_idx(args.data, "train-labels-idx1-ubyte", 8, "torch_baseline")
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

    rates, cpu_rates, faults = [], [], []
    for rep in range(-1, 5):
        n = 20 if rep < 0 else args.steps
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            step()
        if rep >= 0:
            rates.append(n * args.batch / (time.perf_counter() - t0))
            cpu_rates.append(n * args.batch / max(1e-9, time.process_time() - c0))
            faults.append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / n)
    for v in (rates, cpu_rates, faults):
        v.sort()
    print(json.dumps({**torch_env.what_ran(torch, blas, args.malloc),
                      "batch": args.batch, "samples_per_s": round(rates[2]),
                      "cpu_samples_per_s": round(cpu_rates[2]),
                      "faults_per_step": round(faults[2], 1)}))


if __name__ == "__main__":
    main()
