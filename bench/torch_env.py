"""What bench/torch_baseline.py and bench/torch_epoch.py set up alike, apart
from what they time: the allocator (--malloc, before torch or numpy allocate
anything), one thread for torch and for the OpenBLAS it loaded (read back),
the kernels that ran, and Fashion-MNIST's IDX files. See torch_baseline.py
for why the allocator matters."""
import ctypes
import gzip
import os


def set_malloc(mode):
    """"reuse": glibc's mmap and trim thresholds raised, so the allocator keeps
    what it is given back; "glibc": its defaults. Call before importing torch."""
    if mode == "reuse":
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD


def openblas(who):
    """The OpenBLAS torch loaded (libblas.so.3 is OpenBLAS here), by its path in
    our maps; who names the script in the error."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "libopenblas" in os.path.basename(path):
                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                return lib
    raise SystemExit("%s: torch did not load OpenBLAS" % who)


def one_thread(torch, who):
    """torch and its OpenBLAS on one thread each (torch.set_num_threads does
    not reach OpenBLAS); returns the OpenBLAS library."""
    torch.set_num_threads(1)
    blas = openblas(who)
    blas.openblas_set_num_threads(1)
    return blas


def what_ran(torch, blas, malloc):
    """The threads read back and the kernels, for the JSON a script prints."""
    return {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "openblas_threads": blas.openblas_get_num_threads(),
            "openblas_core": blas.openblas_get_corename().decode(),
            "cpu_capability": cpu_capability(torch), "malloc": malloc}


def cpu_capability(torch):
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            return line.split(":", 1)[1].strip()
    return "?"


def load_idx(data_dir, stem, offset, who):
    """An IDX file's bytes after its header (stem, .gz or not) as uint8."""
    import numpy as np
    for name in (stem + ".gz", stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            with (gzip.open if name.endswith(".gz") else open)(path, "rb") as f:
                return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)
    raise SystemExit("%s: %s not found in %s" % (who, stem, data_dir))
