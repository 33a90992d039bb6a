// The shared document's speed and memory: field writes applied through the real path
// (decoding and validating the bytes, clock comparison, predecessor check, indexes),
// imports of real and large GraphML files, and the document's memory for a large graph.
//
// The large file comes from bench/make-large-graphml.py; pass its path in
// CONSTELLATE_BENCH_LARGE_GRAPHML (bench/run-model-bench.sh does).

#include "documentio.h"
#include "graphdocument.h"

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace constellate;

namespace {

constexpr ReplicaId Writer = 0x2222;

/// A document with `nodes` nodes, and a remote replica's transactions that each move
/// `perTransaction` of them (names the current write as `prev`, as a real client does).
struct WriteWorkload {
    std::vector<EntityId> ids;
    std::vector<std::string> encoded; // what arrives on the wire

    WriteWorkload(GraphDocument& doc, std::size_t nodes, std::size_t transactions, std::size_t perTransaction)
    {
        TransactionBuilder create = doc.begin();
        for (std::size_t i = 0; i < nodes; ++i)
            ids.push_back(create.createNode({{{Field::Position, {}}, Value(Vec3 {0, 0, 0})}}));
        doc.commit(create);

        // The writer has seen the creation: its first writes replace it.
        GraphDocument writer(Writer, 2);
        std::string snapshotError;
        writer.mergeSnapshot(doc.encodeSnapshot(), &snapshotError);
        std::mt19937 rng(7);
        for (std::size_t t = 0; t < transactions; ++t) {
            TransactionBuilder b = writer.begin();
            for (std::size_t k = 0; k < perTransaction; ++k) {
                const EntityId id = ids[rng() % ids.size()];
                writer.set(b, id, {Field::Position, {}}, Value(Vec3 {float(t), float(k), 1.0f}));
            }
            encoded.push_back(writer.commit(b).bytes());
        }
    }
};

void applyFieldWrites(benchmark::State& state)
{
    const auto perTransaction = std::size_t(state.range(0));
    const std::size_t transactions = 200'000 / perTransaction;
    std::size_t writes = 0;
    for (auto _ : state) {
        state.PauseTiming();
        GraphDocument doc(0x1111, 1);
        WriteWorkload w(doc, 10'000, transactions, perTransaction);
        state.ResumeTiming();
        for (const std::string& bytes : w.encoded) {
            std::string error;
            std::optional<Transaction> t = Transaction::decode(bytes, &error);
            benchmark::DoNotOptimize(doc.apply(*t));
        }
        writes += transactions * perTransaction;
    }
    state.counters["writes/s"] = benchmark::Counter(double(writes), benchmark::Counter::kIsRate);
}
BENCHMARK(applyFieldWrites)->Arg(1)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);

void importFile(benchmark::State& state, const std::string& path)
{
    if (path.empty()) {
        state.SkipWithError("set CONSTELLATE_BENCH_LARGE_GRAPHML (see bench/run-model-bench.sh)");
        return;
    }
    std::size_t nodes = 0;
    for (auto _ : state) {
        GraphDocument doc(0x1111, 1);
        nodes = importGraphFile(doc, path).nodes;
    }
    state.counters["nodes"] = double(nodes);
}

void importBa10k(benchmark::State& state)
{
    importFile(state, CONSTELLATE_TEST_GRAPHS "/ba-10k.graphml");
}
BENCHMARK(importBa10k)->Unit(benchmark::kMillisecond);

std::string largeFile()
{
    const char* p = std::getenv("CONSTELLATE_BENCH_LARGE_GRAPHML");
    return p ? p : "";
}

void importLarge(benchmark::State& state)
{
    importFile(state, largeFile());
}
BENCHMARK(importLarge)->Unit(benchmark::kMillisecond)->Iterations(3);

/// Heap bytes the document holds after importing the large file (glibc's count of
/// allocated bytes, before and after; the file's bytes and the transaction are freed).
void documentMemoryLarge(benchmark::State& state)
{
    const std::string path = largeFile();
    if (path.empty()) {
        state.SkipWithError("set CONSTELLATE_BENCH_LARGE_GRAPHML (see bench/run-model-bench.sh)");
        return;
    }
    for (auto _ : state) {
        malloc_trim(0);
        const std::size_t before = mallinfo2().uordblks;
        auto doc = std::make_unique<GraphDocument>(0x1111, 1);
        importGraphFile(*doc, path);
        malloc_trim(0);
        const std::size_t after = mallinfo2().uordblks;
        state.counters["document_MB"] = double(after - before) / (1024.0 * 1024.0);
        state.counters["entities"] = double(doc->entityCount());
    }
}
BENCHMARK(documentMemoryLarge)->Unit(benchmark::kMillisecond)->Iterations(1);

void canonicalHashBa10k(benchmark::State& state)
{
    GraphDocument doc(0x1111, 1);
    importGraphFile(doc, CONSTELLATE_TEST_GRAPHS "/ba-10k.graphml");
    for (auto _ : state)
        benchmark::DoNotOptimize(doc.canonicalHash());
}
BENCHMARK(canonicalHashBa10k)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
