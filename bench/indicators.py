"""DuckDB side of the indicator benchmark, and the comparison.

Runs the same aggregation as echelle — 20 indicators for every territory of every layer
and perimeter — from the same Parquet files (the store's datasets, and the membership
tables echelle exported), checks that the values agree, and prints the times and ratios.

Usage: python3 bench/indicators.py <out-dir> <echelle-json-line> [repeats]
"""

import csv
import json
import math
import sys
import time

import duckdb


def sql_for(dataset, spec, indicators):
    d = spec["datasets"][dataset]
    member = f"read_parquet('{sys.argv[1]}/membership_{d['level']}.parquet')"
    aggs, values = ["count(*) AS units"], []
    for i, ind in enumerate(indicators):
        cols = ind["columns"]
        kind = ind["aggregate"]
        # Units without a value whose quantity another unit carries (counted_elsewhere)
        # do not make the sum incomplete.
        flag = ind.get("counted_elsewhere")
        x = (lambda c: f"sum(CASE WHEN d.{flag} = 1 AND d.{c} IS NULL THEN 1 ELSE 0 END)") if flag else (lambda c: "0")
        if kind == "sum":
            aggs += [f"sum(d.{cols[0]}::DOUBLE) AS a{i}", f"count(d.{cols[0]}) + {x(cols[0])} AS n{i}"]
            values.append(f"CASE WHEN n{i} = units THEN a{i} END AS v{i}")
        elif kind == "ratio":
            aggs += [f"sum(d.{cols[0]}::DOUBLE) AS a{i}", f"sum(d.{cols[1]}::DOUBLE) AS b{i}",
                     f"count(d.{cols[0]}) AS n{i}", f"count(d.{cols[1]}) + {x(cols[1])} AS m{i}"]
            values.append(f"CASE WHEN n{i} = units AND m{i} = units AND b{i} <> 0 THEN a{i} / b{i} * {ind['scale']} END AS v{i}")
        elif kind == "count":
            aggs += [f"count(d.{d['key']}) AS n{i}"]
            values.append(f"n{i}::DOUBLE AS v{i}")
        else:
            raise SystemExit(f"aggregate {kind} not in this benchmark")
    return (f"SELECT territory, {', '.join(values)} FROM ("
            f"SELECT m.territory, {', '.join(aggs)} FROM {member} m "
            f"LEFT JOIN read_parquet('{d['path']}') d ON m.unit = d.{d['key']} GROUP BY m.territory)")


def run(con, queries):
    return [con.execute(q).fetchall() for q in queries]


def main():
    out = sys.argv[1]
    echelle = json.loads(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    spec = json.load(open(f"{out}/spec.json"))
    by_dataset = {}
    for ind in spec["indicators"]:
        by_dataset.setdefault(ind["dataset"], []).append(ind)
    queries = [sql_for(ds, spec, inds) for ds, inds in by_dataset.items()]

    con = duckdb.connect()
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    start = time.perf_counter()
    results = run(con, queries)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeats):
        t = time.perf_counter()
        run(con, queries)
        warm.append(time.perf_counter() - t)
    warm.sort()

    duck = {}
    for (ds, inds), rows in zip(by_dataset.items(), results):
        for row in rows:
            for i, ind in enumerate(inds):
                duck[(row[0], ind["id"])] = row[1 + i]
    mismatches = checked = 0
    with open(f"{out}/echelle.csv") as f:
        for rec in csv.DictReader(f):
            mine = float(rec["value"]) if rec["value"] else None
            theirs = duck.get((rec["territory"], rec["indicator"]), None)
            checked += 1
            same = (mine is None and theirs is None) or (
                mine is not None and theirs is not None and math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=1e-9))
            if not same:
                mismatches += 1
                if mismatches <= 5:
                    print(f"  mismatch {rec['territory']} {rec['indicator']}: echelle {mine} duckdb {theirs}")
    print(f"values compared: {checked}, mismatches: {mismatches}")
    print(f"territories: {echelle['territories']}, indicators: {echelle['indicators']}, DuckDB {duckdb.__version__} threads={threads}")
    print(f"{'':34}{'echelle':>12}{'DuckDB':>12}{'DuckDB/echelle':>16}")
    print(f"{'first run (reads Parquet) [s]':34}{echelle['cold_s']:>12.4f}{cold:>12.4f}{cold / echelle['cold_s']:>16.2f}")
    print(f"{'warm, best of %d [s]' % repeats:34}{echelle['warm_min_s']:>12.4f}{warm[0]:>12.4f}{warm[0] / echelle['warm_min_s']:>16.2f}")
    print(f"{'warm, median [s]':34}{echelle['warm_median_s']:>12.4f}{warm[len(warm) // 2]:>12.4f}{warm[len(warm) // 2] / echelle['warm_median_s']:>16.2f}")
    print(f"portrait of one territory with its references (warm, {echelle['portraits']} territories): "
          f"p50 {echelle['portrait_p50_ms']:.2f} ms, p99 {echelle['portrait_p99_ms']:.2f} ms, max {echelle['portrait_max_ms']:.2f} ms (goal < 20 ms)")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
