// The force-directed layout (model/layout/forcelayout.h): the time of one step, and the
// time to settle, at 10,000 nodes (ba-10k.graphml and a random graph) and at 100,000 nodes
// and 200,000 edges (the large file of bench/make-large-graphml.py, given in
// CONSTELLATE_BENCH_LARGE_GRAPHML; bench/run-layout-bench.sh makes it). Goals
// (docs/benchmarks.md, "Layout"): under 10 ms a step at 10k, under 150 ms at 100k.

#include "documentio.h"
#include "graphdocument.h"
#include "layout/forcelayout.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

using namespace constellate;
using namespace constellate::layout;

namespace {

const char* largeFile()
{
    const char* path = std::getenv("CONSTELLATE_BENCH_LARGE_GRAPHML");
    return path && *path ? path : nullptr;
}

/// The graphs, read once: "ba10k", "random10k" (10,000 nodes, 30,000 random edges, placed
/// as an import places them) and "large100k". Null when the large file is not given.
const LayoutGraph* graph(const std::string& name)
{
    static std::map<std::string, LayoutGraph> cache;
    if (auto it = cache.find(name); it != cache.end())
        return &it->second;
    LayoutGraph g;
    if (name == "random10k") {
        std::mt19937_64 rng(1);
        for (std::size_t i = 0; i < 10'000; ++i)
            g.positions.push_back(ImportSink::initialPosition(i));
        while (g.edges.size() < 30'000) {
            const auto a = std::uint32_t(rng() % 10'000), b = std::uint32_t(rng() % 10'000);
            if (a != b)
                g.edges.push_back({a, b, 1.0f});
        }
    } else {
        const char* path = name == "ba10k" ? CONSTELLATE_TEST_GRAPHS "/ba-10k.graphml" : largeFile();
        if (!path)
            return nullptr;
        GraphDocument doc(1, 1);
        importGraphFile(doc, path);
        g = layoutGraphFromDocument(doc);
    }
    return &cache.emplace(name, std::move(g)).first->second;
}

/// One step, timed after `warmup` steps (the layout has spread out by then: early steps on
/// the import's tight ball are cheaper). state.range(0): threads.
void layoutStep(benchmark::State& state, const std::string& name, int warmup)
{
    const LayoutGraph* g = graph(name);
    if (!g) {
        state.SkipWithError("set CONSTELLATE_BENCH_LARGE_GRAPHML to the file bench/make-large-graphml.py writes "
                            "(bench/run-layout-bench.sh does)");
        return;
    }
    ForceLayoutOptions o;
    o.threads = int(state.range(0));
    o.settleTolerance = 1e-9f; // never settles: every timed step does the full work
    o.maxIterations = 1'000'000;
    ForceLayout layout(*g, 1, o);
    for (int i = 0; i < warmup; ++i)
        layout.step();
    for (auto _ : state)
        layout.step();
    state.counters["nodes"] = double(g->nodeCount());
    state.counters["edges"] = double(g->edges.size());
}
BENCHMARK_CAPTURE(layoutStep, ba10k, "ba10k", 100)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(layoutStep, random10k, "random10k", 100)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(layoutStep, large100k, "large100k", 30)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5.0);

/// From the import's placement to settled, with the default options (2 threads where the
/// machine has them).
void layoutSettle(benchmark::State& state, const std::string& name)
{
    const LayoutGraph* g = graph(name);
    if (!g) {
        state.SkipWithError("set CONSTELLATE_BENCH_LARGE_GRAPHML to the file bench/make-large-graphml.py writes "
                            "(bench/run-layout-bench.sh does)");
        return;
    }
    int iterations = 0;
    bool settled = false;
    for (auto _ : state) {
        ForceLayout layout(*g, 1);
        while (layout.step() == LayoutState::Running) {
        }
        iterations = layout.iteration();
        settled = layout.state() == LayoutState::Settled;
    }
    state.counters["steps"] = iterations;
    state.counters["settled"] = settled ? 1 : 0;
    // Seconds per step (Google Benchmark prints it with a unit prefix: 6.7m is 6.7 ms).
    state.counters["perStep"] = benchmark::Counter(double(iterations) * double(state.iterations()),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(layoutSettle, ba10k, "ba10k")->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(layoutSettle, random10k, "random10k")->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(layoutSettle, large100k, "large100k")->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

/// The octree against the exact sum at 10k: how far the approximation is (counter
/// "relError": mean |error| / mean |force| of the repulsion), and the cost of one octree pass.
void repulsionError(benchmark::State& state)
{
    ForceLayoutOptions o;
    o.theta = float(state.range(0)) / 10.0f;
    ForceLayout layout(*graph("ba10k"), 1, o);
    for (int i = 0; i < 100; ++i)
        layout.step();
    const std::vector<Vec3> exact = layout.repulsionForces(true);
    std::vector<Vec3> tree;
    for (auto _ : state)
        tree = layout.repulsionForces(false);
    double error = 0, magnitude = 0;
    for (std::size_t i = 0; i < exact.size(); ++i) {
        const Vec3 e = exact[i], t = tree[i];
        error += std::sqrt(double(e.x - t.x) * (e.x - t.x) + double(e.y - t.y) * (e.y - t.y) + double(e.z - t.z) * (e.z - t.z));
        magnitude += std::sqrt(double(e.x) * e.x + double(e.y) * e.y + double(e.z) * e.z);
    }
    state.counters["relError"] = error / magnitude;
}
BENCHMARK(repulsionError)->Arg(5)->Arg(10)->Arg(12)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
