#!/usr/bin/env python3
"""The peers of the access benchmark, each run in its own process (so that its peak
memory is its own): scipy.sparse.csgraph.dijkstra and pandana's nearest_pois.

Usage: peers.py scipy|pandana GRAPH_DIR FACILITIES.csv OUT.npy [MAXDIST_MS]
GRAPH_DIR holds nodes.csv and edges.csv as exported by `echelle network export`
(ids 0..n-1); FACILITIES.csv has type,node. Prints one JSON line of timings and
writes a [types × nodes] array of times to the nearest facility (scipy: milliseconds,
exactly as the weights; pandana: milliseconds too, in float32).
"""
import json
import sys
import time

import numpy as np
import pandas as pd

peer, gdir, fac_path, out = sys.argv[1:5]
nodes = pd.read_csv(f"{gdir}/nodes.csv")
edges = pd.read_csv(f"{gdir}/edges.csv")
fac = pd.read_csv(fac_path)
types = sorted(fac["type"].unique())
n = len(nodes)
res = np.empty((len(types), n), dtype=np.float64)
report = {"peer": peer, "nodes": n, "edges": len(edges), "types": len(types)}

if peer == "scipy":
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    t0 = time.perf_counter()
    # Reversed graph: times from every node *to* the facilities.
    rev = csr_matrix((edges["time_ms"].to_numpy(np.float64), (edges["to"].to_numpy(), edges["from"].to_numpy())), shape=(n, n))
    report["preprocess_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i, t in enumerate(types):
        src = np.unique(fac.loc[fac["type"] == t, "node"].to_numpy())
        res[i] = dijkstra(rev, directed=True, indices=src, min_only=True)
    report["query_s"] = time.perf_counter() - t0
elif peer == "pandana":
    import pandana

    maxdist = float(sys.argv[5])
    t0 = time.perf_counter()
    # twoway=False: edges as given; nearest_pois searches from each node outward
    # (checked on Helsinki's one-way streets). Weights are given in milliseconds:
    # pandana stores weights as integers after scaling them by 1000, so whole
    # milliseconds pass through exactly and only its float32 output rounds.
    net = pandana.Network(nodes["lon"], nodes["lat"], edges["from"], edges["to"],
                          pd.DataFrame({"w": edges["time_ms"].astype(np.float64)}), twoway=False)
    report["preprocess_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    set_s = 0.0
    for i, t in enumerate(types):
        f = fac.loc[fac["type"] == t, "node"].to_numpy()
        t1 = time.perf_counter()
        net.set_pois(category=str(t), maxdist=maxdist, maxitems=1, x_col=nodes["lon"].to_numpy()[f], y_col=nodes["lat"].to_numpy()[f])
        set_s += time.perf_counter() - t1
        r = net.nearest_pois(distance=maxdist, category=str(t), num_pois=1)
        res[i] = r[1].reindex(nodes.index).to_numpy(np.float64)
    report["query_s"] = time.perf_counter() - t0
    report["set_pois_s"] = set_s
    report["pandana_version"] = pandana.__version__ if hasattr(pandana, "__version__") else "?"
else:
    sys.exit(f"unknown peer {peer}")

np.save(out, res)
print(json.dumps(report))
