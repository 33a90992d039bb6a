// The renderer's frame time at 1920x1080 offscreen: 1k, 10k and 100k nodes with twice as
// many edges (random positions in a cube, random endpoints), each frame waited for with
// glFinish so that GPU time counts (Mesa llvmpipe under Xvfb here: "GPU" is the CPU).
//
//   xvfb-run -a -s "-screen 0 1920x1080x24" build-release/bench/bench_render
//
// BM_Frame:          a still frame (camera turning a little each time): view upload, two
//                    draw calls, glFinish; with random (long) edges, then local (short) ones.
// BM_FrameWhileDrag: a frame in which one node moved: the document write, the scene's
//                    incremental update, the re-upload of the changed ranges, the frame.
// BM_SceneRebuild:   the full CPU rebuild of the instance arrays (load, delete).
// BM_PickGrid:       building the picking grid, then one ray through the middle.
// BM_LabelLayout:    choosing and laying out labels ("node 12345") for one 1920x1080 frame
//                    (projection, ranking, declutter, glyphs; CPU only), budget 20000 glyphs.
// CONSTELLATE_BENCH_RENDER_SNAPSHOT=file.png saves one 10k frame (local edges) to look at.

#include "camera.h"
#include "glyphatlas.h"
#include "graphdocument.h"
#include "labellayout.h"
#include "latticegraph.h"
#include "offscreentarget.h"
#include "pickgrid.h"
#include "renderscene.h"
#include "scenerenderer.h"

#include <QGuiApplication>
#include <QImage>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

using namespace constellate;
using namespace constellate::render;

namespace {

constexpr int Width = 1920;
constexpr int Height = 1080;

using bench::EdgeKind;

struct Graph {
    GraphDocument doc {0x42, 1};
    std::vector<EntityId> nodes;
    RenderScene scene;

    Graph(std::size_t nodeCount, EdgeKind kind)
    {
        nodes = bench::addLatticeGraph(doc, nodeCount, kind);
        scene.rebuild(doc);
    }
};

Graph& graph(std::size_t nodeCount, EdgeKind kind = EdgeKind::Random)
{
    static std::map<std::pair<std::size_t, EdgeKind>, std::unique_ptr<Graph>> graphs;
    auto& g = graphs[{nodeCount, kind}];
    if (!g)
        g = std::make_unique<Graph>(nodeCount, kind);
    return *g;
}

/// One context, framebuffer and renderer for the whole run.
struct Gpu {
    OffscreenTarget target;
    SceneRenderer renderer;
    bool ok = false;
    Gpu()
    {
        if (!target.create(QSize(Width, Height))) {
            std::fprintf(stderr, "bench_render: %s\n", target.error().c_str());
            return;
        }
        if (!renderer.initialize()) {
            std::fprintf(stderr, "bench_render: %s\n", renderer.error().c_str());
            return;
        }
        std::fprintf(stderr, "bench_render: %s, %dx%d\n", renderer.glDescription().c_str(), Width, Height);
        ok = true;
    }
};

// Destroyed at the end of main(), while the QGuiApplication still lives.
std::unique_ptr<Gpu> g_gpu;

Gpu& gpu()
{
    if (!g_gpu)
        g_gpu = std::make_unique<Gpu>();
    return *g_gpu;
}

Camera framedCamera(const RenderScene& scene)
{
    Camera camera;
    camera.orbit(0.5f, 0.3f);
    camera.frame(scene.bounds(), float(Width) / float(Height));
    return camera;
}

void setCounters(benchmark::State& state, const RenderScene& scene)
{
    state.counters["nodes"] = double(scene.nodes().size());
    state.counters["edges"] = double(scene.edges().size());
}

void BM_Frame(benchmark::State& state)
{
    Gpu& g = gpu();
    if (!g.ok) {
        state.SkipWithError("no OpenGL 3.3 core context");
        return;
    }
    Graph& graphData = graph(std::size_t(state.range(0)), EdgeKind(state.range(1)));
    graphData.scene.rebuild(graphData.doc);
    g.renderer.upload(graphData.scene);
    Camera camera = framedCamera(graphData.scene);
    g.renderer.render(camera.view(float(Width) / Height), g.target.target());
    g.renderer.finish();
    if (const char* path = std::getenv("CONSTELLATE_BENCH_RENDER_SNAPSHOT"); path && state.range(0) == 10'000 && state.range(1) == 1)
        g.target.image().save(path);
    for (auto _ : state) {
        camera.orbit(0.01f, 0.0f);
        g.renderer.render(camera.view(float(Width) / Height), g.target.target());
        g.renderer.finish();
    }
    setCounters(state, graphData.scene);
}

void BM_FrameWhileDrag(benchmark::State& state)
{
    Gpu& g = gpu();
    if (!g.ok) {
        state.SkipWithError("no OpenGL 3.3 core context");
        return;
    }
    Graph& graphData = graph(std::size_t(state.range(0)));
    graphData.scene.rebuild(graphData.doc);
    g.renderer.upload(graphData.scene);
    const Camera camera = framedCamera(graphData.scene);
    const View view = camera.view(float(Width) / Height);
    const EntityId dragged = graphData.nodes[graphData.nodes.size() / 2];
    std::size_t uploaded = 0;
    float x = 0.0f;
    for (auto _ : state) {
        x += 0.1f;
        TransactionBuilder t = graphData.doc.begin();
        graphData.doc.set(t, dragged, {Field::Position, {}}, Value(Vec3 {x, 0.0f, 0.0f}));
        graphData.doc.commit(t);
        graphData.scene.updateNodes(graphData.doc, std::span(&dragged, 1));
        g.renderer.upload(graphData.scene);
        uploaded += g.renderer.stats().nodeBytesUploaded + g.renderer.stats().edgeBytesUploaded;
        g.renderer.render(view, g.target.target());
        g.renderer.finish();
    }
    setCounters(state, graphData.scene);
    state.counters["bytes_uploaded_per_frame"] = double(uploaded) / double(state.iterations());
}

void BM_SceneRebuild(benchmark::State& state)
{
    Graph& graphData = graph(std::size_t(state.range(0)));
    for (auto _ : state) {
        graphData.scene.rebuild(graphData.doc);
        benchmark::DoNotOptimize(graphData.scene.nodes().data());
    }
    setCounters(state, graphData.scene);
}

void BM_PickGrid(benchmark::State& state)
{
    Graph& graphData = graph(std::size_t(state.range(0)));
    const Camera camera = framedCamera(graphData.scene);
    const View view = camera.view(float(Width) / Height);
    const Ray ray = view.rayThroughPixel({Width / 2.0f, Height / 2.0f}, {Width, Height});
    PickGrid grid;
    for (auto _ : state) {
        grid.build(graphData.scene.nodes());
        benchmark::DoNotOptimize(grid.pick(ray));
    }
    setCounters(state, graphData.scene);
}

void BM_LabelLayout(benchmark::State& state)
{
    static const GlyphAtlas atlas = GlyphAtlas::build({});
    if (!atlas.isValid()) {
        state.SkipWithError(atlas.error().c_str());
        return;
    }
    Graph& graphData = graph(std::size_t(state.range(0)));
    std::vector<std::string> labels;
    labels.reserve(graphData.scene.nodes().size());
    for (std::size_t i = 0; i < graphData.scene.nodes().size(); ++i)
        labels.push_back("node " + std::to_string(i));
    Camera camera = framedCamera(graphData.scene);
    LabelLayout layout;
    LabelLayout::Result result;
    LabelLayout::Input input;
    input.nodes = graphData.scene.nodes();
    input.labels = labels;
    input.viewport = {float(Width), float(Height)};
    const LabelOptions options;
    std::size_t shown = 0;
    for (auto _ : state) {
        camera.orbit(0.01f, 0.0f);
        input.view = camera.view(float(Width) / Height);
        layout.layout(input, atlas.table(), options, result);
        shown += result.labelledNodes.size();
        benchmark::DoNotOptimize(result.glyphs.data());
    }
    setCounters(state, graphData.scene);
    state.counters["labels_shown"] = double(shown) / double(state.iterations());
    state.counters["glyphs"] = double(result.glyphs.size());
}

void sizes(benchmark::internal::Benchmark* b)
{
    b->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();
}

void framesBySize(benchmark::internal::Benchmark* b)
{
    b->ArgNames({"nodes", "local_edges"});
    for (const int kind : {0, 1})
        for (const int n : {1'000, 10'000, 100'000})
            b->Args({n, kind});
    b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_Frame)->Apply(framesBySize);
BENCHMARK(BM_FrameWhileDrag)->Apply(sizes);
BENCHMARK(BM_SceneRebuild)->Apply(sizes);
BENCHMARK(BM_PickGrid)->Apply(sizes);
BENCHMARK(BM_LabelLayout)->Apply(sizes);

} // namespace

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv); // OpenGL contexts need one
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    g_gpu.reset();
    return 0;
}
