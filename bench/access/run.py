#!/usr/bin/env python3
"""Access benchmark: every node to the nearest facility of each of 20 types, echelle
side by side with scipy.sparse.csgraph.dijkstra and pandana (nearest_pois), on the
same graph (the one echelle exports), in the same run.

Graphs: central Helsinki (real OpenStreetMap data, drive profile, shape points kept)
and a SYNTHETIC road-like graph of about 1 million nodes (synth.py). Facilities: 20
types, a seeded random choice of nodes (1,000 per type; on Helsinki, whose graph has
fewer than 2,000 nodes, a fifth of the nodes per type). Each tool runs in its own
process; its peak memory (maximum resident set) is read from the kernel. Times are
the searches only; building the graph, contraction (pandana) and reordering (echelle)
are timed apart as preprocessing. Results are checked: echelle must equal scipy
exactly (integer milliseconds), pandana within its float32 precision.

Usage: bench/access/run.py [--side 1010] [--skip-pandana] [--types 20] [--per-type 1000]
Results: printed, and written to bench/access/out/results.json.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "out")
ECHELLE = os.path.join(ROOT, "target", "release", "echelle")
SHARED = os.environ.get("ECHELLE_SHARED", os.path.join(ROOT, "..", "shared"))

ap = argparse.ArgumentParser()
ap.add_argument("--side", type=int, default=1010)
ap.add_argument("--types", type=int, default=20)
ap.add_argument("--per-type", type=int, default=1000)
ap.add_argument("--skip-pandana", action="store_true")
ap.add_argument("--only", choices=["helsinki", "synthetic"])
ap.add_argument("--no-build", action="store_true", help="use target/release/echelle as it is")
ap.add_argument("--pandana-timeout", type=float, default=1800.0, help="seconds before pandana is stopped and reported as timed out")
args = ap.parse_args()


class TimedOut(Exception):
    pass


def run(cmd, env=None, timeout=None):
    """Runs cmd; returns (stdout, wall seconds, peak RSS in MiB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    fired = threading.Event()

    def stop():
        fired.set()
        p.kill()

    timer = threading.Timer(timeout, stop) if timeout else None
    if timer:
        timer.start()
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    if timer:
        timer.cancel()
    if fired.is_set():
        raise TimedOut()
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return out.decode(), wall, ru.ru_maxrss / 1024.0


def last_json(text):
    # pandana prints progress on standard output, on the same line as the JSON.
    line = [l for l in text.splitlines() if '{"' in l][-1]
    return json.loads(line[line.index('{"'):])


store = os.path.join(OUT, "store")
os.makedirs(store, exist_ok=True)
if not args.no_build and subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "echelle"], cwd=ROOT).returncode != 0:
    if not os.path.exists(ECHELLE):
        sys.exit("cannot build echelle")
    print(f"warning: cargo build failed; using the existing {ECHELLE}", flush=True)
results = {}

graphs = []
if args.only in (None, "helsinki"):
    graphs.append("helsinki")
if args.only in (None, "synthetic"):
    graphs.append("synthetic")

for name in graphs:
    print(f"== {name} ==", flush=True)
    gdir = os.path.join(OUT, name)
    os.makedirs(gdir, exist_ok=True)
    prep = {}
    if name == "helsinki":
        pbf = os.path.join(SHARED, "data", "helsinki-2019.osm.pbf")
        _, wall, _ = run([ECHELLE, "--store", store, "network", "build", pbf, "--profile", "drive", "--keep-shape-points", "--name", "bench-helsinki", "--no-hierarchy"])
        prep["echelle_build_s"] = wall
        net = "bench-helsinki"
        label = "central Helsinki, real OpenStreetMap data (© OpenStreetMap contributors), drive profile"
    else:
        raw = os.path.join(OUT, "synthetic-raw")
        if not os.path.exists(os.path.join(raw, "edges.csv")):
            subprocess.run([sys.executable, os.path.join(HERE, "synth.py"), raw, "--side", str(args.side)], check=True)
        out, wall, _ = run([ECHELLE, "--store", store, "network", "import", "--nodes", f"{raw}/nodes.csv", "--edges", f"{raw}/edges.csv",
                            "--name", "bench-synthetic", "--synthetic", "--timings", "--no-hierarchy"])
        t = last_json(out)
        prep["echelle_read_csv_s"] = t["read_s"]
        prep["echelle_scc_hilbert_s"] = t["preprocess_s"]
        net = "bench-synthetic"
        label = f"SYNTHETIC road-like graph (synth.py, side {args.side})"
    # The contraction hierarchy, timed apart (it is stored with the network: built once).
    # On 1 thread, then on 2 (the machine's cores; the hierarchy kept is that one).
    for threads in (1, 2):
        out, _, _ = run([ECHELLE, "--store", store, "network", "contract", net, "--timings", "--threads", str(threads)])
        ch = last_json(out)
        prep[f"echelle_contraction_{threads}t_s"] = ch["contract_s"]
    r_ch = {k: ch[k] for k in ("core", "up_arcs", "down_arcs")}
    run([ECHELLE, "--store", store, "network", "export", net, "--dir", gdir])
    nodes = pd.read_csv(f"{gdir}/nodes.csv")
    edges = pd.read_csv(f"{gdir}/edges.csv")
    n = len(nodes)
    # Facilities: nodes with a position of their own (so that any tool snapping by
    # coordinates finds that very node), seeded.
    unique = ~nodes.duplicated(["lon", "lat"], keep=False)
    pool = nodes.index[unique].to_numpy()
    per_type = min(args.per_type, n // 5)
    rng = np.random.default_rng(42)
    rows = []
    for t in range(args.types):
        for v in rng.choice(pool, per_type, replace=False):
            rows.append((f"type{t:02d}", int(v), repr(float(nodes.lon[v])), repr(float(nodes.lat[v]))))
    fac = pd.DataFrame(rows, columns=["type", "node", "lon", "lat"])
    fac_path = os.path.join(gdir, "facilities.csv")
    fac.to_csv(fac_path, index=False)
    print(f"{label}: {n} nodes, {len(edges)} edges; {args.types} types x {per_type} facilities", flush=True)
    r = {"graph": label, "nodes": n, "edges": len(edges), "types": args.types, "per_type": per_type, "preprocess": prep, "hierarchy": r_ch, "tools": {}}

    echelle_times = None
    for engine, threads in (("hierarchy", 1), ("hierarchy", 2), ("plain", 1), ("plain", 2)):
        odir = os.path.join(gdir, f"echelle-{engine}-t{threads}")
        out, wall, rss = run([ECHELLE, "--store", store, "access", "nearest", "--network", net, "--facilities", fac_path,
                              "--type-field", "type", "--origins", "nodes", "--npy", odir, "--threads", str(threads), "--timings",
                              "--engine", engine])
        t = last_json(out)
        assert t["facilities_excluded"] == 0 and t["max_snap_m"] == 0.0, t
        assert t["engine"] == engine, t
        tm = np.load(f"{odir}/time_ms.npy").astype(np.float64)
        tm[tm == 2**32 - 1] = np.inf
        if echelle_times is None:
            echelle_times = tm
        else:
            assert np.array_equal(tm, echelle_times), "echelle: engines or thread counts disagree"
        r["tools"][f"echelle {engine} {threads}t"] = {"query_s": t["query_s"], "load_s": t["load_s"], "snap_s": t["snap_s"], "wall_s": wall, "peak_mib": rss}
        print(f"  echelle {engine}, {threads} thread(s): query {t['query_s']:.3f} s, peak {rss:.0f} MiB", flush=True)

    out, wall, rss = run([sys.executable, os.path.join(HERE, "peers.py"), "scipy", gdir, fac_path, f"{gdir}/scipy.npy"])
    t = last_json(out)
    sc = np.load(f"{gdir}/scipy.npy")
    same = np.array_equal(np.isinf(sc), np.isinf(echelle_times)) and np.array_equal(sc[np.isfinite(sc)], echelle_times[np.isfinite(echelle_times)])
    maxdiff = float(np.max(np.abs(np.where(np.isfinite(sc), sc - echelle_times, 0.0))))
    r["tools"]["scipy"] = {"query_s": t["query_s"], "preprocess_s": t["preprocess_s"], "wall_s": wall, "peak_mib": rss, "identical_to_echelle": bool(same), "max_abs_diff_ms": maxdiff}
    print(f"  scipy: query {t['query_s']:.3f} s, peak {rss:.0f} MiB, identical to echelle: {same} (max |diff| {maxdiff} ms)", flush=True)
    if not same:
        sys.exit("echelle and scipy disagree")

    if args.skip_pandana:
        r["pandana"] = "skipped (--skip-pandana)"
    else:
        maxdist = float(np.ceil(np.max(sc[np.isfinite(sc)]) * 1.01 / 1000.0) * 1000.0)
        try:
            out, wall, rss = run([sys.executable, os.path.join(HERE, "peers.py"), "pandana", gdir, fac_path, f"{gdir}/pandana.npy", str(maxdist)],
                                 timeout=args.pandana_timeout)
        except TimedOut:
            r["pandana"] = f"timed out after {args.pandana_timeout:.0f} s (contraction and queries together)"
            print(f"  pandana: {r['pandana']}", flush=True)
            results[name] = r
            continue
        t = last_json(out)
        pa = np.load(f"{gdir}/pandana.npy")
        fin = np.isfinite(echelle_times)
        diff = np.abs(pa[fin] - echelle_times[fin])
        # pandana returns float32: within 2^-23 of the value (twice, for margin).
        tol = 1e-3 + echelle_times[fin] * 2.0**-22
        ok = bool(np.all(diff <= tol))
        r["tools"]["pandana"] = {"query_s": t["query_s"], "set_pois_s": t["set_pois_s"], "preprocess_s": t["preprocess_s"], "wall_s": wall,
                                 "peak_mib": rss, "within_tolerance": ok, "max_abs_diff_ms": float(diff.max()), "mismatches": int((diff > tol).sum())}
        print(f"  pandana: contraction {t['preprocess_s']:.2f} s, query {t['query_s']:.3f} s, peak {rss:.0f} MiB, "
              f"within float32/ms tolerance: {ok} (max |diff| {diff.max():.3f} ms)", flush=True)
    results[name] = r

# The summary: ratios against echelle (hierarchy; 1 thread and 2 threads, the machine's cores).
lines = []
for name, r in results.items():
    lines.append(f"\n{r['graph']}: {r['nodes']:,} nodes, {r['edges']:,} edges, {r['types']} types x {r['per_type']} facilities")
    e1 = r["tools"]["echelle hierarchy 1t"]
    e2 = r["tools"]["echelle hierarchy 2t"]
    lines.append(f"  {'tool':<24}{'query s':>10}{'x vs ech-h-1t':>15}{'x vs ech-h-2t':>15}{'peak MiB':>10}{'mem x (h-1t)':>14}")
    for tool, v in r["tools"].items():
        lines.append(f"  {tool:<24}{v['query_s']:>10.3f}{v['query_s'] / e1['query_s']:>15.1f}{v['query_s'] / e2['query_s']:>15.1f}{v['peak_mib']:>10.0f}{v['peak_mib'] / e1['peak_mib']:>14.2f}")
    if "pandana" in r:
        lines.append(f"  pandana: {r['pandana']}")
    lines.append("  preprocessing (apart): " + ", ".join(f"{k} {v:.2f} s" for k, v in r["preprocess"].items())
                 + "".join(f", {k} {v['preprocess_s']:.2f} s" for k, v in r["tools"].items() if "preprocess_s" in v))
    # Does the contraction pay for itself within one run of the types? Against the
    # fastest peer, and against echelle's own plain search, at equal thread counts.
    peer = min((v["query_s"], k) for k, v in r["tools"].items() if not k.startswith("echelle"))
    lines.append(f"  hierarchy {r['hierarchy']}")
    for t, e in ((1, e1), (2, e2)):
        c = r["preprocess"][f"echelle_contraction_{t}t_s"]
        p = r["tools"][f"echelle plain {t}t"]["query_s"]
        total = c + e["query_s"]
        lines.append(f"  {t} thread(s): contraction {c:.2f} s + {r['types']} queries {e['query_s']:.2f} s = {total:.2f} s; "
                     f"vs {peer[1]} {peer[0]:.2f} s: {'pays' if total < peer[0] else 'does NOT pay'} for itself within one run; "
                     f"vs echelle plain {p:.2f} s: {'pays' if total < p else 'does NOT pay'}"
                     + (f" (after {c / (p - e['query_s']):.1f} runs)" if p > e["query_s"] else ""))
text = "\n".join(lines)
print(text)
with open(os.path.join(OUT, "results.json"), "w") as f:
    json.dump(results, f, indent=2)
