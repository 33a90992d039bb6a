#include "forcelayout.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif

namespace constellate::layout {

// ---- from a document --------------------------------------------------------------------

bool isPinnedNode(const GraphDocument& document, const GraphDocument::Entity& node)
{
    static const FieldRef pinned {Field::Property, "pinned"};
    const Value v = document.value(node, pinned);
    return (v.type() == ValueType::Bool && v.toBool()) || (v.type() == ValueType::Int && v.toInt() == 1);
}

LayoutGraph layoutGraphFromDocument(const GraphDocument& document)
{
    LayoutGraph g;
    const std::size_t nodes = document.count(EntityKind::Node);
    g.ids.reserve(nodes);
    g.positions.reserve(nodes);
    g.pinned.reserve(nodes);
    std::unordered_map<EntityId, std::uint32_t> index;
    index.reserve(nodes);
    document.forEach(
        EntityKind::Node,
        [&](const GraphDocument::Entity& e) {
            index.emplace(e.id, std::uint32_t(g.ids.size()));
            g.ids.push_back(e.id);
            g.positions.push_back(document.position(e));
            g.pinned.push_back(isPinnedNode(document, e) ? 1 : 0);
        },
        true);
    g.edges.reserve(document.count(EntityKind::Edge));
    document.forEach(
        EntityKind::Edge,
        [&](const GraphDocument::Entity& e) {
            const auto a = index.find(e.a);
            const auto b = index.find(e.b);
            if (a != index.end() && b != index.end())
                g.edges.push_back({a->second, b->second, float(document.weight(e))});
        },
        true);
    return g;
}

const char* layoutStateName(LayoutState state)
{
    switch (state) {
    case LayoutState::Running: return "running";
    case LayoutState::Settled: return "settled";
    case LayoutState::Capped: return "capped";
    }
    return "?";
}

namespace {

/// Nodes per chunk of the update phase. Fixed, so that per-chunk partial sums, added in
/// chunk order, do not depend on how many threads there are.
constexpr std::uint32_t ChunkNodes = 2048;
/// Bodies per octree leaf.
constexpr std::uint32_t LeafSize = 16;
/// Bodies per group: the nodes of a group share one interaction list (Barnes 1990), so the
/// tree is walked once per group rather than once per node.
constexpr std::uint32_t GroupSize = 64;
/// Interaction lists are padded to a multiple of this (massless entries): the inner loop
/// keeps this many independent partial sums (two SSE2 vectors of four).
constexpr std::size_t Lanes = 8;
constexpr int MortonBits = 21; // per axis: 63-bit keys
/// The move histogram: quarter octaves from 2^-24 to 2^8 edge lengths, and an underflow bin.
constexpr int HistOctaveLow = -24;
constexpr int HistOctaves = 32;
constexpr int HistBins = HistOctaves * 4 + 1;

constexpr float StepStart = 0.05f;
constexpr float StepGrow = 1.2f;
constexpr float StepShrink = 0.5f;
constexpr float StepMin = 1e-4f;
constexpr float StepMax = 10.0f;
constexpr float RepulsionStiffness = 4.0f;
constexpr float Cooling = 0.9f;
constexpr float TemperatureMin = 1e-3f;

/// splitmix64: a tiny generator with a fixed definition (std's distributions are not the
/// same on every standard library, and the result must be).
struct SplitMix64 {
    std::uint64_t state;
    std::uint64_t next()
    {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    /// Uniform in [-1, 1).
    float symmetric() { return float(double(next() >> 11) * 0x1.0p-52 - 1.0); }
};

/// Spreads the low 21 bits of v to every third bit.
std::uint64_t spreadBits(std::uint64_t v)
{
    v &= 0x1fffff;
    v = (v | v << 32) & 0x1f00000000ffffull;
    v = (v | v << 16) & 0x1f0000ff0000ffull;
    v = (v | v << 8) & 0x100f00f00f00f00full;
    v = (v | v << 4) & 0x10c30c30c30c30c3ull;
    v = (v | v << 2) & 0x1249249249249249ull;
    return v;
}

/// A few threads that run one function together and wait for each other: the caller is
/// thread 0. Work inside is handed out by chunk; what a chunk computes never depends on
/// which thread runs it.
class WorkerPool {
public:
    explicit WorkerPool(int threads)
    {
        for (int i = 1; i < threads; ++i)
            m_threads.emplace_back([this, i] { loop(i); });
    }
    ~WorkerPool()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        for (std::thread& t : m_threads)
            t.join();
    }
    int size() const { return int(m_threads.size()) + 1; }

    /// Runs fn(thread) on every thread and returns when all have returned.
    void run(const std::function<void(int)>& fn)
    {
        if (m_threads.empty()) {
            fn(0);
            return;
        }
        {
            std::lock_guard lock(m_mutex);
            m_job = &fn;
            m_pending = int(m_threads.size());
            ++m_generation;
        }
        m_wake.notify_all();
        fn(0);
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, [this] { return m_pending == 0; });
        m_job = nullptr;
    }

private:
    void loop(int index)
    {
        std::uint64_t seen = 0;
        for (;;) {
            const std::function<void(int)>* job;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [&] { return m_stop || m_generation != seen; });
                if (m_stop)
                    return;
                seen = m_generation;
                job = m_job;
            }
            (*job)(index);
            {
                std::lock_guard lock(m_mutex);
                if (--m_pending == 0)
                    m_done.notify_one();
            }
        }
    }

    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    const std::function<void(int)>* m_job = nullptr;
    std::uint64_t m_generation = 0;
    int m_pending = 0;
    bool m_stop = false;
};

/// An octree cell in pre-order: its first child (if any) follows it, and `next` skips its
/// subtree, so a traversal needs no stack.
struct Cell {
    float cx, cy, cz;    ///< centre of mass
    float mass;
    float openRadius;    ///< s/θ + |centre of mass - cube centre|: closer than this, open it
    std::uint32_t begin; ///< bodies, in sorted order
    std::uint32_t end;
    std::uint32_t next;
    std::uint32_t leaf;
};

/// Per thread: the interaction list of the group at hand (structure of arrays, padded).
/// Grown as needed and kept: no allocation per step once the largest list has been seen.
struct Scratch {
    std::vector<float> x, y, z, m;
    std::size_t size = 0;
    void reserve(std::size_t more)
    {
        if (size + more + Lanes <= x.size())
            return;
        const std::size_t capacity = std::max<std::size_t>(1024, 2 * (size + more + Lanes));
        x.resize(capacity);
        y.resize(capacity);
        z.resize(capacity);
        m.resize(capacity);
    }
    void add(float px, float py, float pz, float pm)
    {
        x[size] = px;
        y[size] = py;
        z[size] = pz;
        m[size] = pm;
        ++size;
    }
    /// Bodies [b, e) of the sorted arrays, mass 1 each.
    void addRange(const float* sx, const float* sy, const float* sz, std::uint32_t b, std::uint32_t e)
    {
        reserve(e - b);
        std::copy(sx + b, sx + e, x.data() + size);
        std::copy(sy + b, sy + e, y.data() + size);
        std::copy(sz + b, sz + e, z.data() + size);
        std::fill(m.data() + size, m.data() + size + (e - b), 1.0f);
        size += e - b;
    }
    /// Massless entries up to a multiple of Lanes (reserve() keeps room for them).
    void pad()
    {
        while (size % Lanes != 0)
            add(0.0f, 0.0f, 0.0f, 0.0f);
    }
};

/// Per chunk of the update phase: partial sums, added in chunk order afterwards.
struct ChunkStats {
    double moveSum = 0.0;
    double radiusSquaredSum = 0.0;
    double energy = 0.0; ///< sum of |force| of the free nodes
    float moveMax = 0.0f;
    std::array<std::uint32_t, HistBins> histogram {};
};

int histogramBin(float move)
{
    if (!(move >= std::ldexp(1.0f, HistOctaveLow)))
        return 0;
    // The float's exponent and the top two bits of its mantissa: a quarter-octave bin,
    // computed exactly from the bits.
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(move);
    const int exponent = int(bits >> 23) - 127;
    const int quarter = int((bits >> 21) & 3);
    return std::min(HistBins - 1, 1 + (exponent - HistOctaveLow) * 4 + quarter);
}

float histogramUpperEdge(int bin)
{
    if (bin == 0)
        return std::ldexp(1.0f, HistOctaveLow);
    const int exponent = (bin - 1) / 4 + HistOctaveLow;
    const int quarter = (bin - 1) % 4;
    return std::ldexp(1.0f + float(quarter + 1) * 0.25f, exponent);
}

/// The repulsion on one node at (xi, yi, zi) from `count` (a multiple of Lanes) bodies or
/// cells: the sum of m·d/(|d|²+ε²)^(3/2). Eight independent partial sums, added in a fixed
/// order at the end: the same bits on every run of the same build. IEEE square roots and
/// divisions (no reciprocal estimates, which differ between processors).
void sumInteractions(float xi, float yi, float zi, const float* lx, const float* ly, const float* lz,
                     const float* lm, std::size_t count, float eps2, float& outX, float& outY, float& outZ)
{
#if defined(__SSE2__) || defined(_M_X64)
    const __m128 px = _mm_set1_ps(xi), py = _mm_set1_ps(yi), pz = _mm_set1_ps(zi), e2 = _mm_set1_ps(eps2);
    __m128 ax0 = _mm_setzero_ps(), ay0 = _mm_setzero_ps(), az0 = _mm_setzero_ps();
    __m128 ax1 = _mm_setzero_ps(), ay1 = _mm_setzero_ps(), az1 = _mm_setzero_ps();
    static_assert(Lanes == 8);
    for (std::size_t j = 0; j < count; j += 8) {
        const __m128 dx0 = _mm_sub_ps(px, _mm_loadu_ps(lx + j));
        const __m128 dy0 = _mm_sub_ps(py, _mm_loadu_ps(ly + j));
        const __m128 dz0 = _mm_sub_ps(pz, _mm_loadu_ps(lz + j));
        const __m128 dx1 = _mm_sub_ps(px, _mm_loadu_ps(lx + j + 4));
        const __m128 dy1 = _mm_sub_ps(py, _mm_loadu_ps(ly + j + 4));
        const __m128 dz1 = _mm_sub_ps(pz, _mm_loadu_ps(lz + j + 4));
        const __m128 r0 = _mm_add_ps(
            _mm_add_ps(_mm_add_ps(_mm_mul_ps(dx0, dx0), _mm_mul_ps(dy0, dy0)), _mm_mul_ps(dz0, dz0)), e2);
        const __m128 r1 = _mm_add_ps(
            _mm_add_ps(_mm_add_ps(_mm_mul_ps(dx1, dx1), _mm_mul_ps(dy1, dy1)), _mm_mul_ps(dz1, dz1)), e2);
        const __m128 f0 = _mm_div_ps(_mm_loadu_ps(lm + j), _mm_mul_ps(r0, _mm_sqrt_ps(r0)));
        const __m128 f1 = _mm_div_ps(_mm_loadu_ps(lm + j + 4), _mm_mul_ps(r1, _mm_sqrt_ps(r1)));
        ax0 = _mm_add_ps(ax0, _mm_mul_ps(dx0, f0));
        ay0 = _mm_add_ps(ay0, _mm_mul_ps(dy0, f0));
        az0 = _mm_add_ps(az0, _mm_mul_ps(dz0, f0));
        ax1 = _mm_add_ps(ax1, _mm_mul_ps(dx1, f1));
        ay1 = _mm_add_ps(ay1, _mm_mul_ps(dy1, f1));
        az1 = _mm_add_ps(az1, _mm_mul_ps(dz1, f1));
    }
    alignas(16) float x[8], y[8], z[8];
    _mm_store_ps(x, ax0);
    _mm_store_ps(x + 4, ax1);
    _mm_store_ps(y, ay0);
    _mm_store_ps(y + 4, ay1);
    _mm_store_ps(z, az0);
    _mm_store_ps(z + 4, az1);
#else
    float x[Lanes] = {}, y[Lanes] = {}, z[Lanes] = {};
    for (std::size_t j = 0; j < count; j += Lanes) {
        for (std::size_t l = 0; l < Lanes; ++l) {
            const float dx = xi - lx[j + l];
            const float dy = yi - ly[j + l];
            const float dz = zi - lz[j + l];
            const float r2 = dx * dx + dy * dy + dz * dz + eps2;
            const float f = lm[j + l] / (r2 * std::sqrt(r2));
            x[l] += dx * f;
            y[l] += dy * f;
            z[l] += dz * f;
        }
    }
#endif
    outX = outY = outZ = 0.0f;
    for (std::size_t l = 0; l < Lanes; ++l) {
        outX += x[l];
        outY += y[l];
        outZ += z[l];
    }
}

} // namespace

struct ForceLayout::Impl {
    ForceLayoutOptions options;
    std::size_t n = 0;
    std::vector<float> px, py, pz; ///< current positions
    std::vector<float> qx, qy, qz; ///< next positions (swapped in after each step)
    std::vector<std::uint8_t> pinned;
    std::vector<std::uint32_t> freeNodes;
    float cx = 0, cy = 0, cz = 0; ///< gravity's centre: the centroid of the start

    // Springs, per node (compressed rows): both directions of every edge but self-loops.
    std::vector<std::uint32_t> adjOffsets;
    std::vector<std::uint32_t> adjNodes;
    std::vector<float> adjWeights;

    // Integrator state.
    std::vector<float> stepSize;
    std::vector<float> fpx, fpy, fpz; ///< the previous step's force
    std::vector<float> rx, ry, rz;    ///< repulsion of this step, per node

    // The octree, rebuilt every step.
    std::vector<std::uint64_t> keys, keysTmp;
    std::vector<std::uint32_t> order, orderTmp; ///< sorted position -> node
    std::vector<float> sx, sy, sz;              ///< positions in sorted order
    std::vector<Cell> cells;
    std::vector<std::uint32_t> groups; ///< cells: the largest with at most GroupSize bodies
    std::vector<float> groupBox;       ///< 6 per group: min x y z, max x y z
    float rootSide = 0;
    float bx = 0, by = 0, bz = 0; ///< the root cube's minimum corner

    std::unique_ptr<WorkerPool> pool;
    std::vector<Scratch> scratch;
    std::vector<ChunkStats> chunkStats;

    LayoutState state = LayoutState::Running;
    LayoutStepStats stats;
    float peakP95 = 0;
    double progress = 0;
    /// Hu's adaptive cooling, on top of the per-node steps: every move is scaled by it; it
    /// shrinks by 0.9 when the sum of |force| rises and grows back after three falls in a
    /// row. (Hu sums |force|² and waits for five falls: with the squares a few hubs decide,
    /// and ba-10k took 538 steps to settle instead of 372.)
    float temperature = 1.0f;
    double lastEnergy = std::numeric_limits<double>::infinity();
    int energyFalls = 0;
    float softening2 = 0; ///< added to d² in the repulsion: coincident nodes stay finite

    void prepare(LayoutGraph& graph, std::uint64_t seed);
    void buildTree();
    void buildCells(std::uint32_t b, std::uint32_t e, int level, std::uint32_t ox, std::uint32_t oy,
                    std::uint32_t oz, bool inGroup);
    void computeRepulsion();
    void repulsionForGroup(std::uint32_t group, Scratch& s);
    void update();
    /// Runs fn(chunk) for chunks 0..count-1 on all threads, each chunk once.
    void forChunks(std::size_t count, const std::function<void(std::size_t, int)>& fn);
};

void ForceLayout::Impl::forChunks(std::size_t count, const std::function<void(std::size_t, int)>& fn)
{
    std::atomic<std::size_t> nextChunk {0};
    pool->run([&](int thread) {
        for (std::size_t c = nextChunk.fetch_add(1); c < count; c = nextChunk.fetch_add(1))
            fn(c, thread);
    });
}

void ForceLayout::Impl::prepare(LayoutGraph& graph, std::uint64_t seed)
{
    n = graph.nodeCount();
    if (n > std::numeric_limits<std::uint32_t>::max() / 2)
        throw std::invalid_argument("ForceLayout: too many nodes");
    if (!graph.ids.empty() && graph.ids.size() != n)
        throw std::invalid_argument("ForceLayout: ids and positions differ in length");
    if (!graph.pinned.empty() && graph.pinned.size() != n)
        throw std::invalid_argument("ForceLayout: pinned and positions differ in length");
    if (!(options.edgeLength > 0) || !std::isfinite(options.edgeLength))
        throw std::invalid_argument("ForceLayout: the edge length must be positive");
    if (!(options.theta >= 0) || !(options.repulsion >= 0) || !(options.gravity >= 0)
        || !(options.settleTolerance > 0) || options.settleWindow < 1 || options.maxIterations < 0)
        throw std::invalid_argument("ForceLayout: bad options");
    const float k = options.edgeLength;
    softening2 = (0.01f * k) * (0.01f * k);

    px.resize(n);
    py.resize(n);
    pz.resize(n);
    pinned.assign(n, 0);
    double sumX = 0, sumY = 0, sumZ = 0;
    std::size_t finite = 0;
    for (std::size_t i = 0; i < n; ++i) {
        pinned[i] = graph.isPinned(i) ? 1 : 0;
        const Vec3 p = graph.positions[i];
        if (p.isFinite()) {
            sumX += p.x;
            sumY += p.y;
            sumZ += p.z;
            ++finite;
        }
        if (!pinned[i])
            freeNodes.push_back(std::uint32_t(i));
    }
    if (finite > 0) {
        cx = float(sumX / double(finite));
        cy = float(sumY / double(finite));
        cz = float(sumZ / double(finite));
    }
    // Seeded jitter on every free node, a hundredth of an edge: nodes that start at one
    // point separate, and the seed picks which of the equally good layouts comes out.
    SplitMix64 rng {seed};
    const float jitter = 0.01f * k;
    for (std::size_t i = 0; i < n; ++i) {
        Vec3 p = graph.positions[i];
        if (!p.isFinite()) {
            if (pinned[i])
                throw std::invalid_argument("ForceLayout: a pinned node has no finite position");
            p = {cx, cy, cz};
        }
        if (!pinned[i]) {
            p.x += jitter * rng.symmetric();
            p.y += jitter * rng.symmetric();
            p.z += jitter * rng.symmetric();
        }
        px[i] = p.x;
        py[i] = p.y;
        pz[i] = p.z;
    }
    qx = px;
    qy = py;
    qz = pz;

    // Springs: weights normalised by the mean positive weight, so that a file's unit does
    // not matter, and capped so that one heavy edge cannot dominate the step size.
    double weightSum = 0;
    std::size_t weightCount = 0;
    for (const LayoutGraph::Edge& e : graph.edges) {
        if (e.source >= n || e.target >= n)
            throw std::invalid_argument("ForceLayout: an edge names a node that does not exist");
        if (std::isfinite(e.weight) && e.weight > 0) {
            weightSum += e.weight;
            ++weightCount;
        }
    }
    const double meanWeight = weightCount ? weightSum / double(weightCount) : 1.0;
    auto springOf = [&](float w) -> float {
        if (!options.useWeights)
            return 1.0f;
        if (!std::isfinite(w) || w <= 0)
            return 0.0f;
        return float(std::min(10.0, double(w) / meanWeight));
    };
    adjOffsets.assign(n + 1, 0);
    for (const LayoutGraph::Edge& e : graph.edges)
        if (e.source != e.target) {
            ++adjOffsets[e.source + 1];
            ++adjOffsets[e.target + 1];
        }
    for (std::size_t i = 0; i < n; ++i)
        adjOffsets[i + 1] += adjOffsets[i];
    adjNodes.resize(adjOffsets[n]);
    adjWeights.resize(adjOffsets[n]);
    std::vector<std::uint32_t> fill(adjOffsets.begin(), adjOffsets.end() - 1);
    for (const LayoutGraph::Edge& e : graph.edges) {
        if (e.source == e.target)
            continue;
        const float w = springOf(e.weight);
        adjNodes[fill[e.source]] = e.target;
        adjWeights[fill[e.source]++] = w;
        adjNodes[fill[e.target]] = e.source;
        adjWeights[fill[e.target]++] = w;
    }

    stepSize.assign(n, StepStart);
    fpx.assign(n, 0.0f);
    fpy.assign(n, 0.0f);
    fpz.assign(n, 0.0f);
    rx.assign(n, 0.0f);
    ry.assign(n, 0.0f);
    rz.assign(n, 0.0f);

    int threads = options.threads > 0 ? options.threads : int(std::thread::hardware_concurrency());
    threads = std::clamp(threads, 1, 8);
    // Small graphs are done faster than threads wake up.
    if (n < 2000)
        threads = 1;
    pool = std::make_unique<WorkerPool>(threads);
    scratch.resize(std::size_t(threads));
    chunkStats.resize((n + ChunkNodes - 1) / ChunkNodes);
    if (freeNodes.empty())
        state = LayoutState::Settled;
}

void ForceLayout::Impl::buildTree()
{
    cells.clear();
    groups.clear();
    if (n == 0)
        return;
    float lo[3] = {px[0], py[0], pz[0]};
    float hi[3] = {px[0], py[0], pz[0]};
    for (std::size_t i = 1; i < n; ++i) {
        lo[0] = std::min(lo[0], px[i]);
        lo[1] = std::min(lo[1], py[i]);
        lo[2] = std::min(lo[2], pz[i]);
        hi[0] = std::max(hi[0], px[i]);
        hi[1] = std::max(hi[1], py[i]);
        hi[2] = std::max(hi[2], pz[i]);
    }
    float side = std::max({hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]});
    side = side * 1.0001f + 1e-6f * options.edgeLength + 1e-30f;
    rootSide = side;
    bx = lo[0];
    by = lo[1];
    bz = lo[2];

    // Morton keys, then a stable LSD radix sort (ties keep node order: deterministic).
    keys.resize(n);
    order.resize(n);
    const double scale = double(1u << MortonBits) / double(side);
    const std::uint32_t maxQ = (1u << MortonBits) - 1;
    auto quantize = [&](float v, float origin) {
        const double q = (double(v) - double(origin)) * scale;
        return std::uint32_t(std::clamp(q, 0.0, double(maxQ)));
    };
    forChunks(chunkStats.size(), [&](std::size_t chunk, int) {
        const std::size_t end = std::min(n, (chunk + 1) * ChunkNodes);
        for (std::size_t i = chunk * ChunkNodes; i < end; ++i) {
            keys[i] = spreadBits(quantize(px[i], bx)) << 2 | spreadBits(quantize(py[i], by)) << 1
                | spreadBits(quantize(pz[i], bz));
            order[i] = std::uint32_t(i);
        }
    });
    keysTmp.resize(n);
    orderTmp.resize(n);
    constexpr int DigitBits = 11;
    constexpr std::size_t Buckets = std::size_t(1) << DigitBits;
    std::vector<std::uint32_t> count(Buckets);
    for (int shift = 0; shift < 3 * MortonBits; shift += DigitBits) {
        std::fill(count.begin(), count.end(), 0u);
        for (std::size_t i = 0; i < n; ++i)
            ++count[(keys[i] >> shift) & (Buckets - 1)];
        if (count[(keys[0] >> shift) & (Buckets - 1)] == n)
            continue; // every key has this digit: the pass would change nothing
        std::uint32_t sum = 0;
        for (std::uint32_t& c : count) {
            const std::uint32_t c0 = c;
            c = sum;
            sum += c0;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t at = count[(keys[i] >> shift) & (Buckets - 1)]++;
            keysTmp[at] = keys[i];
            orderTmp[at] = order[i];
        }
        keys.swap(keysTmp);
        order.swap(orderTmp);
    }
    sx.resize(n);
    sy.resize(n);
    sz.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        sx[i] = px[order[i]];
        sy[i] = py[order[i]];
        sz[i] = pz[order[i]];
    }
    buildCells(0, std::uint32_t(n), 0, 0, 0, 0, false);
    groupBox.resize(groups.size() * 6);
    forChunks(groups.size(), [&](std::size_t g, int) {
        const Cell& c = cells[groups[g]];
        float glo[3] = {sx[c.begin], sy[c.begin], sz[c.begin]};
        float ghi[3] = {glo[0], glo[1], glo[2]};
        for (std::uint32_t i = c.begin + 1; i < c.end; ++i) {
            glo[0] = std::min(glo[0], sx[i]);
            glo[1] = std::min(glo[1], sy[i]);
            glo[2] = std::min(glo[2], sz[i]);
            ghi[0] = std::max(ghi[0], sx[i]);
            ghi[1] = std::max(ghi[1], sy[i]);
            ghi[2] = std::max(ghi[2], sz[i]);
        }
        std::copy_n(glo, 3, &groupBox[g * 6]);
        std::copy_n(ghi, 3, &groupBox[g * 6 + 3]);
    });
}

void ForceLayout::Impl::buildCells(std::uint32_t b, std::uint32_t e, int level, std::uint32_t ox, std::uint32_t oy,
                                   std::uint32_t oz, bool inGroup)
{
    auto childOf = [&](std::uint32_t body, int atLevel) {
        return std::uint32_t(keys[body] >> (3 * (MortonBits - 1 - atLevel))) & 7u;
    };
    // Levels where every body falls into the same child make no cell of their own.
    while (e - b > LeafSize && level < MortonBits && childOf(b, level) == childOf(e - 1, level)) {
        const std::uint32_t c = childOf(b, level);
        const std::uint32_t half = 1u << (MortonBits - 1 - level);
        ox += (c >> 2 & 1) * half;
        oy += (c >> 1 & 1) * half;
        oz += (c & 1) * half;
        ++level;
    }
    const auto self = std::uint32_t(cells.size());
    cells.push_back({});
    const bool leaf = e - b <= LeafSize || level >= MortonBits;
    if (!inGroup && (e - b <= GroupSize || leaf)) {
        groups.push_back(self);
        inGroup = true;
    }
    double mx = 0, my = 0, mz = 0, mass = 0;
    if (leaf) {
        for (std::uint32_t i = b; i < e; ++i) {
            mx += sx[i];
            my += sy[i];
            mz += sz[i];
        }
        mass = double(e - b);
    } else {
        std::uint32_t from = b;
        const std::uint32_t half = 1u << (MortonBits - 1 - level);
        for (std::uint32_t c = 0; c < 8 && from < e; ++c) {
            std::uint32_t to = from;
            while (to < e && childOf(to, level) == c)
                ++to;
            if (to == from)
                continue;
            const auto child = std::uint32_t(cells.size());
            buildCells(from, to, level + 1, ox + (c >> 2 & 1) * half, oy + (c >> 1 & 1) * half, oz + (c & 1) * half,
                       inGroup);
            const Cell& k = cells[child];
            mx += double(k.cx) * k.mass;
            my += double(k.cy) * k.mass;
            mz += double(k.cz) * k.mass;
            mass += k.mass;
            from = to;
        }
    }
    Cell& cell = cells[self];
    cell.mass = float(mass);
    cell.cx = float(mx / mass);
    cell.cy = float(my / mass);
    cell.cz = float(mz / mass);
    cell.begin = b;
    cell.end = e;
    cell.next = std::uint32_t(cells.size());
    cell.leaf = leaf ? 1 : 0;
    const double unit = double(rootSide) / double(1u << MortonBits);
    const double cellSide = double(rootSide) / double(1ull << level);
    const double centreX = double(bx) + double(ox) * unit + cellSide / 2;
    const double centreY = double(by) + double(oy) * unit + cellSide / 2;
    const double centreZ = double(bz) + double(oz) * unit + cellSide / 2;
    const double offset = std::sqrt((cell.cx - centreX) * (cell.cx - centreX) + (cell.cy - centreY) * (cell.cy - centreY)
                                    + (cell.cz - centreZ) * (cell.cz - centreZ));
    const double theta = std::max(1e-3, double(options.theta));
    cell.openRadius = float(cellSide / theta + offset);
}

void ForceLayout::Impl::repulsionForGroup(std::uint32_t group, Scratch& s)
{
    const Cell& g = cells[groups[group]];
    const float* box = &groupBox[std::size_t(group) * 6];
    s.size = 0;
    const auto cellCount = std::uint32_t(cells.size());
    for (std::uint32_t i = 0; i < cellCount;) {
        const Cell& c = cells[i];
        const bool containsGroup = c.begin <= g.begin && g.end <= c.end;
        if (!containsGroup) {
            const float dx = std::max({box[0] - c.cx, 0.0f, c.cx - box[3]});
            const float dy = std::max({box[1] - c.cy, 0.0f, c.cy - box[4]});
            const float dz = std::max({box[2] - c.cz, 0.0f, c.cz - box[5]});
            if (dx * dx + dy * dy + dz * dz > c.openRadius * c.openRadius) {
                s.reserve(1);
                s.add(c.cx, c.cy, c.cz, c.mass);
                i = c.next;
                continue;
            }
        }
        if (c.leaf) {
            // Direct: the group's own bodies included (a body on itself gives zero: dx = 0).
            s.addRange(sx.data(), sy.data(), sz.data(), c.begin, c.end);
            i = c.next;
        } else {
            ++i;
        }
    }
    s.pad();
    const std::size_t count = s.size;
    const float* lx = s.x.data();
    const float* ly = s.y.data();
    const float* lz = s.z.data();
    const float* lm = s.m.data();
    for (std::uint32_t b = g.begin; b < g.end; ++b) {
        float fx, fy, fz;
        sumInteractions(sx[b], sy[b], sz[b], lx, ly, lz, lm, count, softening2, fx, fy, fz);
        const std::uint32_t node = order[b];
        rx[node] = fx;
        ry[node] = fy;
        rz[node] = fz;
    }
}

void ForceLayout::Impl::computeRepulsion()
{
    buildTree();
    constexpr std::size_t GroupsPerChunk = 4;
    forChunks((groups.size() + GroupsPerChunk - 1) / GroupsPerChunk, [&](std::size_t chunk, int thread) {
        const std::size_t end = std::min(groups.size(), (chunk + 1) * GroupsPerChunk);
        for (std::size_t g = chunk * GroupsPerChunk; g < end; ++g)
            repulsionForGroup(std::uint32_t(g), scratch[std::size_t(thread)]);
    });
}

void ForceLayout::Impl::update()
{
    const float k = options.edgeLength;
    const float repulsionScale = options.repulsion * k * k * k;
    const float invK = 1.0f / k;
    const float gravity = options.gravity;
    // The longest move of a step: two edge lengths, or a twentieth of the layout's radius
    // when that is larger (a layout that starts far too spread out contracts in few steps).
    const float maxMove = std::max(2.0f * k, 0.05f * stats.rmsRadius);
    forChunks(chunkStats.size(), [&](std::size_t chunk, int) {
        ChunkStats& cs = chunkStats[chunk];
        cs = ChunkStats {};
        const std::size_t end = std::min(n, (chunk + 1) * ChunkNodes);
        for (std::size_t i = chunk * ChunkNodes; i < end; ++i) {
            const float xi = px[i], yi = py[i], zi = pz[i];
            {
                const double dx = xi - cx, dy = yi - cy, dz = zi - cz;
                cs.radiusSquaredSum += dx * dx + dy * dy + dz * dz;
            }
            if (pinned[i]) {
                qx[i] = xi;
                qy[i] = yi;
                qz[i] = zi;
                continue;
            }
            // Springs: w·d²/K along the edge, towards the neighbour; their stiffness along
            // the edge is 2·w·d/K.
            float fx = 0, fy = 0, fz = 0, stiffness = 0;
            for (std::uint32_t a = adjOffsets[i]; a < adjOffsets[i + 1]; ++a) {
                const std::uint32_t j = adjNodes[a];
                const float dx = px[j] - xi, dy = py[j] - yi, dz = pz[j] - zi;
                const float d = std::sqrt(dx * dx + dy * dy + dz * dz);
                const float s = adjWeights[a] * d * invK;
                fx += dx * s;
                fy += dy * s;
                fz += dz * s;
                stiffness += 2.0f * s;
            }
            // A step past 1/stiffness overshoots: the springs, about two neighbours' worth
            // of repulsion at one edge length, and gravity. Without this cap the steps grow
            // until every node oscillates, and only the cooling calms it (a settled ba-10k
            // laid out again took 252 steps to settle; with it, 83).
            const float stepCap = 1.0f / (stiffness + RepulsionStiffness * options.repulsion + gravity);
            fx += repulsionScale * rx[i] - gravity * (xi - cx);
            fy += repulsionScale * ry[i] - gravity * (yi - cy);
            fz += repulsionScale * rz[i] - gravity * (zi - cz);

            // The step grows while the force keeps its direction and halves when it turns
            // back (an overshoot, or the octree's noise around a resting place).
            const float turn = fx * fpx[i] + fy * fpy[i] + fz * fpz[i];
            float s = stepSize[i];
            if (turn > 0)
                s = s * StepGrow;
            else if (turn < 0)
                s = std::max(StepMin, s * StepShrink);
            s = std::min({s, StepMax, stepCap});
            stepSize[i] = s;
            fpx[i] = fx;
            fpy[i] = fy;
            fpz[i] = fz;
            cs.energy += std::sqrt(double(fx) * fx + double(fy) * fy + double(fz) * fz);
            const float scale = s * temperature;
            float mx = scale * fx, my = scale * fy, mz = scale * fz;
            float move = std::sqrt(mx * mx + my * my + mz * mz);
            if (move > maxMove) {
                const float cut = maxMove / move;
                mx *= cut;
                my *= cut;
                mz *= cut;
                move = maxMove;
            }
            if (!std::isfinite(move)) {
                // Cannot happen with finite input (the repulsion is softened); never let it spread.
                mx = my = mz = move = 0;
                stepSize[i] = StepStart;
            }
            qx[i] = xi + mx;
            qy[i] = yi + my;
            qz[i] = zi + mz;
            const float relative = move * invK;
            cs.moveSum += relative;
            cs.moveMax = std::max(cs.moveMax, relative);
            ++cs.histogram[std::size_t(histogramBin(relative))];
        }
    });
    px.swap(qx);
    py.swap(qy);
    pz.swap(qz);

    // Sums in chunk order: the same whatever thread ran which chunk.
    double moveSum = 0, radiusSquared = 0, energy = 0;
    float moveMax = 0;
    std::array<std::uint64_t, HistBins> histogram {};
    for (const ChunkStats& cs : chunkStats) {
        moveSum += cs.moveSum;
        radiusSquared += cs.radiusSquaredSum;
        energy += cs.energy;
        moveMax = std::max(moveMax, cs.moveMax);
        for (int b = 0; b < HistBins; ++b)
            histogram[std::size_t(b)] += cs.histogram[std::size_t(b)];
    }
    const std::size_t free = freeNodes.size();
    const auto rank = std::uint64_t(std::ceil(0.95 * double(free)));
    std::uint64_t seen = 0;
    float p95 = 0;
    for (int b = 0; b < HistBins; ++b) {
        seen += histogram[std::size_t(b)];
        if (seen >= rank) {
            p95 = histogramUpperEdge(b);
            break;
        }
    }
    if (energy < lastEnergy) {
        if (++energyFalls >= 3) {
            energyFalls = 0;
            temperature = std::min(1.0f, temperature / Cooling);
        }
    } else {
        energyFalls = 0;
        temperature = std::max(TemperatureMin, temperature * Cooling);
    }
    lastEnergy = energy;
    stats.iteration += 1;
    stats.meanMove = float(moveSum / double(free));
    stats.p95Move = p95;
    stats.maxMove = moveMax;
    stats.rmsRadius = float(std::sqrt(radiusSquared / double(n)));
    stats.quietSteps = p95 < options.settleTolerance ? stats.quietSteps + 1 : 0;

    // Progress: the 95th percentile move falls about geometrically, so the way from its
    // early peak to the tolerance is measured on a log scale.
    const float tol = options.settleTolerance;
    if (stats.iteration <= 5 || p95 > peakP95)
        peakP95 = std::max(peakP95, p95);
    double estimate = 0;
    if (peakP95 > tol && p95 > 0)
        estimate = std::clamp(std::log(double(peakP95) / double(std::max(p95, tol))) / std::log(double(peakP95) / tol),
                              0.0, 1.0);
    else if (p95 <= tol)
        estimate = 1.0;
    estimate = 0.95 * estimate + 0.05 * double(stats.quietSteps) / double(options.settleWindow);
    estimate = std::max(estimate, double(stats.iteration) / double(std::max(1, options.maxIterations)));
    progress = std::max(progress, std::min(0.99, estimate));

    if (stats.quietSteps >= options.settleWindow) {
        state = LayoutState::Settled;
        progress = 1.0;
    } else if (stats.iteration >= options.maxIterations) {
        state = LayoutState::Capped;
        progress = 1.0;
    }
}

ForceLayout::ForceLayout(LayoutGraph graph, std::uint64_t seed, ForceLayoutOptions options)
    : m(std::make_unique<Impl>())
{
    m->options = options;
    m->prepare(graph, seed);
    if (m->state == LayoutState::Running && options.maxIterations == 0)
        m->state = LayoutState::Capped;
}

ForceLayout::~ForceLayout() = default;

LayoutState ForceLayout::step()
{
    if (m->state != LayoutState::Running)
        return m->state;
    m->computeRepulsion();
    m->update();
    return m->state;
}

LayoutState ForceLayout::state() const { return m->state; }
int ForceLayout::iteration() const { return m->stats.iteration; }
const LayoutStepStats& ForceLayout::lastStats() const { return m->stats; }
double ForceLayout::progress() const { return m->state == LayoutState::Running ? m->progress : 1.0; }
std::size_t ForceLayout::nodeCount() const { return m->n; }
std::size_t ForceLayout::freeNodeCount() const { return m->freeNodes.size(); }
const ForceLayoutOptions& ForceLayout::options() const { return m->options; }
const std::vector<std::uint32_t>& ForceLayout::freeNodes() const { return m->freeNodes; }

Vec3 ForceLayout::position(std::size_t node) const
{
    return {m->px[node], m->py[node], m->pz[node]};
}

std::vector<Vec3> ForceLayout::positions() const
{
    std::vector<Vec3> out(m->n);
    for (std::size_t i = 0; i < m->n; ++i)
        out[i] = position(i);
    return out;
}

void ForceLayout::copyFreePositions(std::vector<Vec3>& out) const
{
    out.resize(m->freeNodes.size());
    for (std::size_t k = 0; k < out.size(); ++k)
        out[k] = position(m->freeNodes[k]);
}

std::vector<Vec3> ForceLayout::repulsionForces(bool exact)
{
    const std::size_t n = m->n;
    const float scale = m->options.repulsion * m->options.edgeLength * m->options.edgeLength * m->options.edgeLength;
    std::vector<Vec3> out(n);
    if (exact) {
        for (std::size_t i = 0; i < n; ++i) {
            double fx = 0, fy = 0, fz = 0;
            for (std::size_t j = 0; j < n; ++j) {
                const double dx = double(m->px[i]) - m->px[j];
                const double dy = double(m->py[i]) - m->py[j];
                const double dz = double(m->pz[i]) - m->pz[j];
                const double r2 = dx * dx + dy * dy + dz * dz + double(m->softening2);
                const double inv = 1.0 / (r2 * std::sqrt(r2));
                fx += dx * inv;
                fy += dy * inv;
                fz += dz * inv;
            }
            out[i] = {float(scale * fx), float(scale * fy), float(scale * fz)};
        }
        return out;
    }
    m->computeRepulsion();
    for (std::size_t i = 0; i < n; ++i)
        out[i] = {scale * m->rx[i], scale * m->ry[i], scale * m->rz[i]};
    return out;
}

} // namespace constellate::layout
