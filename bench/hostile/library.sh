#!/usr/bin/env bash
# Hostile inputs against the libraries, through the CLI (issue 12, item 1): a long name
# that resolves to nothing (fuzzy suggestions), a perimeter repeating an entry, and a
# perimeter of pathological size saved then loaded. Prints wall time and peak memory.
# Usage: bench/hostile/library.sh [store] [name-bytes] [repeats] [algebra-repeats]
# (the binary: $ECHELLE_BIN, default target/release/echelle; before the bounds, keep the
# repeats in the thousands: each one cost a copy of France, 140 kB).
set -euo pipefail
cd "$(dirname "$0")/../.."
src=${1:-.cache/test-store}
bytes=${2:-65000}
repeats=${3:-300000}
algebra=${4:-40000}
bin=${ECHELLE_BIN:-target/release/echelle}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src" "$tmp/store"
measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e s %M KiB" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || true
  printf '%-58s %s   %s\n' "$label" "$(cat "$tmp/time" | tail -1)" "$(head -c 90 "$tmp/err" | tr '\n' ' ')"
}
# A name of `bytes` letters in random words: every fuzzy stage runs.
name=$(python3 -c "import random; random.seed(1); print(' '.join(''.join(random.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(7)) for _ in range($bytes // 8)))")
measure "members <$bytes-byte unknown name, words>" $bin --store "$tmp/store" members "$name"
# Letters found in no French name: every fuzzy comparison scans the whole input.
alien=$(python3 -c "print('ж' * ($bytes // 2))")
measure "members <$bytes-byte unknown name, 'жжж…'>" $bin --store "$tmp/store" members "$alien"
measure "members <200 chars 'жжж…'>" $bin --store "$tmp/store" members "${alien:0:200}"
measure "members <name of 200 chars>" $bin --store "$tmp/store" members "${name:0:200}"
measure "members 'bethun' (typo, suggestions)" $bin --store "$tmp/store" members bethun
python3 -c "print('id = \"hostile\"\nname = \"H\"\ninclude = [' + ', '.join(['\"fr\"'] * $repeats) + ']\nexclude = [\"fr\"]')" >"$tmp/p.toml"
measure "perimeter add include=fr x$repeats exclude=fr" $bin --store "$tmp/store" perimeter add "$tmp/p.toml"
python3 -c "print('id = \"hostile\"\nname = \"H\"\ninclude = [' + ', '.join(['\"fr\"'] * $algebra) + ']\nexclude = [\"fr\"]')" >"$tmp/a.toml"
measure "perimeter add include=fr x$algebra exclude=fr" $bin --store "$tmp/store" perimeter add "$tmp/a.toml"
python3 -c "print('id = \"many\"\nname = \"M\"\ninclude = [' + ', '.join(['\"fr\"'] * 5000) + ', \"dep:62\"]\nexclude = [\"dep:59\"]')" >"$tmp/m.toml"
measure "perimeter add include=fr x5000 (accepted)" $bin --store "$tmp/store" perimeter add "$tmp/m.toml"
measure "members dep:62 (loads the saved perimeters)" $bin --store "$tmp/store" members dep:62
# Parquet export of a table whose columns all have the same name, through the server.
cp -r "$src" "$tmp/serve-store"
ECHELLE_LOG=warn $bin --store "$tmp/serve-store" serve --addr 127.0.0.1:0 >"$tmp/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q "observatory at" "$tmp/serve.log" && break; sleep 0.2; done
base=$(grep -o 'http://[^/ ]*' "$tmp/serve.log" | head -1)
for n in 3200 16384; do
  python3 -c "import json; print(json.dumps({'columns': ['x'] * $n, 'rows': [[1] * $n]}))" >"$tmp/t.json"
  out=$(curl -s --max-time 60 -o /dev/null -w '%{http_code} %{time_total}' -H 'content-type: application/json' \
    --data-binary @"$tmp/t.json" "$base/api/export/table?format=parquet")
  printf '%-58s %s s (HTTP %s)\n' "POST export/table parquet, $n columns named x" "${out#* }" "${out% *}"
done
