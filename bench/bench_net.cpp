// The server's CPU-bound work for a joiner of a large room: compressing the room's snapshot
// (compressSnapshot, zlib level 6) on one thread and in pieces on several
// (docs/benchmarks.md, "Joining a large room").
//
// The snapshot is that of bench/make-large-graphml.py's file; pass its path in
// CONSTELLATE_BENCH_LARGE_GRAPHML. Wall time (the joiner's wait) and the process's CPU time
// (every thread's) are both reported.

#include "documentio.h"
#include "graphdocument.h"
#include "parallelzlib.h"
#include "protocol.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

using namespace constellate;

namespace {

/// The encoded snapshot of the large file, made once; empty without the file.
const std::string& largeSnapshot()
{
    static const std::string snapshot = [] {
        const char* path = std::getenv("CONSTELLATE_BENCH_LARGE_GRAPHML");
        if (!path || !*path)
            return std::string();
        GraphDocument doc(0x1111, 1);
        importGraphFile(doc, path);
        return doc.encodeSnapshot();
    }();
    return snapshot;
}

void compressLargeSnapshot(benchmark::State& state)
{
    const std::string& snapshot = largeSnapshot();
    if (snapshot.empty()) {
        state.SkipWithError("set CONSTELLATE_BENCH_LARGE_GRAPHML to bench/make-large-graphml.py's file");
        return;
    }
    const int threads = int(state.range(0));
    std::size_t compressed = 0;
    for (auto _ : state) {
        const std::string c = net::protocol::compressSnapshot(snapshot, threads);
        compressed = c.size();
        benchmark::DoNotOptimize(c.data());
    }
    state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(snapshot.size()));
    state.counters["in_MB"] = double(snapshot.size()) / 1e6;
    state.counters["out_MB"] = double(compressed) / 1e6;
    state.counters["pieces"] = double(net::parallelZlibPieceCount(snapshot.size(), threads));
}
BENCHMARK(compressLargeSnapshot)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

} // namespace

BENCHMARK_MAIN();
