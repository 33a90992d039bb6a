#!/usr/bin/env bash
# Reproduces the model figures in docs/benchmarks.md: builds (Release), writes the large
# GraphML once (bench/make-large-graphml.py, needs python3-networkx), runs bench_model and
# times `constellate-cli info` on the large file (wall time and peak RSS, 5 runs).
# Usage: bench/run-model-bench.sh [BUILD_DIR]   (default: build-release)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-release}"
large="${CONSTELLATE_BENCH_LARGE_GRAPHML:-${TMPDIR:-/tmp}/constellate-large-100k.graphml}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONSTELLATE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target bench_model constellate-cli
if [ ! -s "$large" ]; then
    echo "writing $large (100,000 nodes, 200,000 edges) ..."
    python3 "$root/bench/make-large-graphml.py" "$large"
fi
ls -l "$large"
echo "== machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "== bench_model"
CONSTELLATE_BENCH_LARGE_GRAPHML="$large" "$build/bench/bench_model" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true
echo "== constellate-cli info on the large file (seconds, peak RSS KiB), 5 runs"
for _ in 1 2 3 4 5; do
    /usr/bin/time -f "%e s  %M KiB" "$build/app/constellate-cli" info "$large" >/dev/null
done
