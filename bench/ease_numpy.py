"""NumPy/OpenBLAS reference timings for bench/ease.ts (a reference for timing only, not part of lrml).

    python3 bench/ease_numpy.py FILE LAMBDA PRECISION

Reads the interaction file (TSV/CSV, user and item in the first two columns, an optional header),
builds the item-item Gram matrix G = X^T X with BLAS (dense X by chunks of users), inverts
G + lambda*I with numpy.linalg.inv (LAPACK gesv), forms B = -P / diag(P) with a zero diagonal, and
prints one JSON line: seconds of each stage and the CPU seconds of all threads (reading the file
excluded). Threads: set
OPENBLAS_NUM_THREADS. PRECISION is float64 or float32.
"""
import json
import resource
import sys
import time

import numpy as np


def read_pairs(path):
    users, items, rows, cols = {}, {}, [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.replace(",", "\t").split("\t")
            if len(parts) < 2:
                continue
            u, i = parts[0].strip(), parts[1].strip()
            if not rows and not u.lstrip("-").isdigit() and u.lower() in ("user", "userid", "user_id"):
                continue  # header
            rows.append(users.setdefault(u, len(users)))
            cols.append(items.setdefault(i, len(items)))
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    keep = np.unique(r * len(items) + c)  # distinct pairs, as lrml's loader keeps them
    return keep // len(items), keep % len(items), len(users), len(items)


def main():
    path, lam, precision = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    dt = np.float64 if precision == "float64" else np.float32
    rows, cols, num_users, n = read_pairs(path)
    order = np.argsort(rows, kind="stable")
    rows, cols = rows[order], cols[order]
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    g = np.zeros((n, n), dtype=dt)
    chunk = max(1, min(num_users, (256 << 20) // (n * np.dtype(dt).itemsize)))
    starts = np.searchsorted(rows, np.arange(0, num_users + chunk, chunk))
    for k in range(len(starts) - 1):
        a, b = starts[k], starts[k + 1]
        if a == b:
            continue
        u0 = k * chunk
        xc = np.zeros((min(chunk, num_users - u0), n), dtype=dt)
        xc[rows[a:b] - u0, cols[a:b]] = 1
        g += xc.T @ xc
    g[np.diag_indices(n)] += lam
    t1 = time.perf_counter()
    p = np.linalg.inv(g)
    t2 = time.perf_counter()
    del g
    p /= -np.diag(p)  # B = -P / diag(P), in place (memory: one n x n matrix less)
    p[np.diag_indices(n)] = 0
    t3 = time.perf_counter()
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    print(json.dumps({"precision": precision, "users": num_users, "items": n, "interactions": int(len(rows)),
                      "gram": t1 - t0, "inverse": t2 - t1, "weights": t3 - t2, "total": t3 - t0, "cpu": cpu}))


if __name__ == "__main__":
    main()
