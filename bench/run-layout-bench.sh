#!/usr/bin/env bash
# Reproduces the layout figures in docs/benchmarks.md ("Layout"): builds bench_layout
# (Release), writes the large GraphML once (bench/make-large-graphml.py, needs
# python3-networkx), prints the machine and its load, and runs bench_layout.
# Usage: bench/run-layout-bench.sh [BUILD_DIR] [bench_layout options]   (default: build-release)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
shift || true
large="${CONSTELLATE_BENCH_LARGE_GRAPHML:-${TMPDIR:-/tmp}/constellate-large-100k.graphml}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONSTELLATE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target bench_layout
if [ ! -s "$large" ]; then
    echo "writing $large (100,000 nodes, 200,000 edges) ..."
    python3 "$root/bench/make-large-graphml.py" "$large"
fi
echo "== machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "load before: $(uptime)"
CONSTELLATE_BENCH_LARGE_GRAPHML="$large" "$build/bench/bench_layout" "$@"
echo "load after: $(uptime)"
