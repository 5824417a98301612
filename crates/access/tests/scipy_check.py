#!/usr/bin/env python3
"""Checks echelle's multi-source search against scipy.sparse.csgraph.dijkstra.

Usage: scipy_check.py DIR
DIR holds what echelle wrote: nodes.csv, edges.csv (the graph exactly as the engine
sees it), sources.csv (node ids of the facilities) and echelle.csv (node,time_ms as
computed by echelle, empty where unreached). scipy's dijkstra runs from the sources
on the *reversed* graph (times from every node to its nearest facility),
min_only=True. Exit 0 if every time agrees to 1e-6 relative, 1 if not, 3 if scipy
or numpy is missing.
"""
import sys

try:
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra
except ImportError as e:  # a clear failure, never a silent skip
    print(f"scipy_check: {e}; install them with: python3 -m pip install scipy numpy", file=sys.stderr)
    sys.exit(3)

d = sys.argv[1]
n = sum(1 for _ in open(f"{d}/nodes.csv")) - 1
e = np.loadtxt(f"{d}/edges.csv", delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
src = np.loadtxt(f"{d}/sources.csv", delimiter=",", skiprows=1, dtype=np.int64, ndmin=1)
# Duplicate (from, to) pairs would be summed by csr_matrix: echelle must export none.
pairs = e[:, 0] * n + e[:, 1]
assert len(np.unique(pairs)) == len(pairs), "duplicate edges in the export"
assert (e[:, 2] > 0).all(), "zero-cost edge in the export"
rev = csr_matrix((e[:, 2].astype(np.float64), (e[:, 1], e[:, 0])), shape=(n, n))
want = dijkstra(rev, directed=True, indices=np.unique(src), min_only=True)

got = np.full(n, np.inf)
with open(f"{d}/echelle.csv") as f:
    next(f)
    for line in f:
        node, t = line.rstrip("\n").split(",")
        if t:
            got[int(node)] = float(t)

both_inf = np.isinf(want) & np.isinf(got)
finite = np.isfinite(want) & np.isfinite(got)
rel = np.zeros(n)
rel[finite] = np.abs(got[finite] - want[finite]) / np.maximum(np.abs(want[finite]), 1.0)
bad = ~(both_inf | (finite & (rel <= 1e-6)))
print(f"scipy_check: {n} nodes, {len(e)} edges, {len(np.unique(src))} facility nodes; "
      f"reached {int(finite.sum())}, unreached {int(both_inf.sum())}; max relative difference {rel.max():.3g}; "
      f"mismatches {int(bad.sum())}")
if bad.any():
    for i in np.flatnonzero(bad)[:10]:
        print(f"  node {i}: echelle {got[i]} scipy {want[i]}")
    sys.exit(1)
