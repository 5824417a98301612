#!/usr/bin/env bash
# Benchmark: 20 indicators for every territory of every layer and perimeter of France,
# echelle's engine side by side with DuckDB on the same Parquet files; prints the
# ratio. Run from anywhere: bench/indicators.sh [repeats]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
repeats="${1:-5}"
store="${ECHELLE_STORE:-$root/.cache/bench-store}"
ECHELLE_STORE="$store" "$root/scripts/setup" >/dev/null
python3 -c "import duckdb" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check duckdb
# The workspace's feature set (with -p, arrow would build a second time).
cargo build --release --quiet --workspace --example bench_territories
out="$root/bench/out/indicators"
ids=$(grep '^id = ' "$root/data/indicators.toml" | head -n 20 | sed 's/id = "\(.*\)"/\1/' | paste -sd, -)
line=$("${CARGO_TARGET_DIR:-$root/target}/release/examples/bench_territories" "$store" "$out" "$ids" "$repeats")
python3 "$root/bench/indicators.py" "$out" "$line" "$repeats"
