#pragma once

// The synthetic graphs of the renderer's and the editor's benchmarks: nodes on a jittered
// lattice in a cube whose side grows with the cube root of the count (constant density,
// about 10 units apart), twice as many edges as nodes, one in four directed, random colours
// and sizes, seeded (the same graph every run).

#include "graphdocument.h"

#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace constellate::bench {

/// Edges between random nodes (`Random`: long edges across the whole cube, the worst case
/// for fill) or between lattice neighbours (`Local`: short edges, as a force layout gives).
enum class EdgeKind { Random = 0, Local = 1 };

/// Adds the graph to `doc` in one transaction; returns the nodes in lattice order.
/// `labels`: each node labelled "node I".
inline std::vector<EntityId> addLatticeGraph(GraphDocument& doc, std::size_t nodeCount, EdgeKind kind,
                                             bool labels = false)
{
    std::mt19937 rng(1234);
    const auto side = std::size_t(std::ceil(std::cbrt(double(nodeCount))));
    std::uniform_real_distribution<float> jitter(-3.0f, 3.0f);
    std::uniform_real_distribution<double> size(0.5, 2.0);
    const float half = 5.0f * float(side);
    std::vector<EntityId> nodes;
    nodes.reserve(nodeCount);
    TransactionBuilder t = doc.begin();
    for (std::size_t i = 0; i < nodeCount; ++i) {
        const Rgba color = (std::uint32_t(rng()) & 0xffffff00u) | 0xffu;
        const Vec3 p {10.0f * float(i % side) - half + jitter(rng), 10.0f * float(i / side % side) - half + jitter(rng),
                      10.0f * float(i / side / side) - half + jitter(rng)};
        std::vector<FieldValue> fields {{{Field::Position, {}}, Value(p)},
                                          {{Field::Color, {}}, Value::color(color)},
                                          {{Field::Size, {}}, Value(size(rng))}};
        if (labels) {
            FieldValue label {FieldRef {Field::Label, {}}, Value("node " + std::to_string(i))};
            fields.push_back(std::move(label)); // built apart: see constellate_set_warnings
        }
        nodes.push_back(t.createNode(fields));
    }
    const std::size_t steps[] = {1, side, side * side};
    for (std::size_t i = 0; i < 2 * nodeCount; ++i) {
        const std::size_t a = rng() % nodeCount;
        const std::size_t b = kind == EdgeKind::Random ? rng() % nodeCount : (a + steps[rng() % 3]) % nodeCount;
        t.createEdge(nodes[a], nodes[b], i % 4 == 0);
    }
    doc.commit(t);
    return nodes;
}

} // namespace constellate::bench
