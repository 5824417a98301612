#!/usr/bin/env python3
"""A deterministic SYNTHETIC road-like graph, for the access benchmark.

A jittered grid (default 1010 × 1010 = 1,020,100 nodes, about 100 m apart), placed at
an arbitrary spot (this is not a real place): every 10th row and column is an
arterial (70 km/h, never cut), other streets are 30 or 50 km/h; 12 % of local
street segments are removed (dead ends, blocks) and 4 % of the rest are one-way.
About 3.5 million directed edges. Same seed, same graph, on any machine.

Usage: synth.py OUT_DIR [--side 1010] [--seed 20240601]
Writes OUT_DIR/nodes.csv (node_id,lon,lat) and OUT_DIR/edges.csv
(from,to,time_ms,length_dm), the format `echelle network import` reads.
"""
import argparse
import os

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--side", type=int, default=1010)
ap.add_argument("--seed", type=int, default=20240601)
a = ap.parse_args()
rng = np.random.default_rng(a.seed)
k = a.side
n = k * k
ix = np.arange(n) % k
iy = np.arange(n) // k
# Metres on a local plane, jittered by up to ±30 m.
x = ix * 100.0 + rng.uniform(-30, 30, n)
y = iy * 100.0 + rng.uniform(-30, 30, n)
lat0, lon0 = 47.0, 2.0
R = 6371008.8
lat = lat0 + np.degrees(y / R)
lon = lon0 + np.degrees(x / (R * np.cos(np.radians(lat0))))

def segments(a_idx, b_idx, arterial):
    length = np.hypot(x[a_idx] - x[b_idx], y[a_idx] - y[b_idx])
    speed = np.where(arterial, 70.0, rng.choice([30.0, 50.0], len(a_idx), p=[0.6, 0.4]))
    keep = arterial | (rng.random(len(a_idx)) >= 0.12)
    a_idx, b_idx, length, speed, arterial = a_idx[keep], b_idx[keep], length[keep], speed[keep], arterial[keep]
    oneway = (~arterial) & (rng.random(len(a_idx)) < 0.04)
    flip = rng.random(len(a_idx)) < 0.5
    return a_idx, b_idx, length, speed, oneway, flip

v = np.arange(n)
h = v[ix < k - 1]                      # horizontal: v -> v+1
hv = v[iy < k - 1]                     # vertical: v -> v+k
parts = [segments(h, h + 1, iy[h] % 10 == 0), segments(hv, hv + k, ix[hv] % 10 == 0)]
frm, to, tms, ldm = [], [], [], []
for a_idx, b_idx, length, speed, oneway, flip in parts:
    t = np.maximum(1, np.rint(length / (speed / 3.6) * 1000.0)).astype(np.int64)
    d = np.rint(length * 10.0).astype(np.int64)
    fwd = ~oneway | ~flip
    bwd = ~oneway | flip
    frm += [a_idx[fwd], b_idx[bwd]]
    to += [b_idx[fwd], a_idx[bwd]]
    tms += [t[fwd], t[bwd]]
    ldm += [d[fwd], d[bwd]]
frm, to, tms, ldm = (np.concatenate(c) for c in (frm, to, tms, ldm))
order = np.lexsort((to, frm))
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "nodes.csv"), "w") as f:
    f.write("node_id,lon,lat\n")
    np.savetxt(f, np.column_stack([v, lon, lat]), fmt=["%d", "%.9f", "%.9f"], delimiter=",")
with open(os.path.join(a.out, "edges.csv"), "w") as f:
    f.write("from,to,time_ms,length_dm\n")
    np.savetxt(f, np.column_stack([frm[order], to[order], tms[order], ldm[order]]), fmt="%d", delimiter=",")
print(f"SYNTHETIC road-like graph: {n} nodes, {len(frm)} directed edges -> {a.out}")
