#pragma once

#include "graphdocument.h"
#include "types.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace constellate::layout {

/// A graph as the layout sees it: plain arrays, nodes by index. Made from a document by
/// layoutGraphFromDocument(), or by hand (tests, benchmarks).
struct LayoutGraph {
    struct Edge {
        std::uint32_t source = 0; ///< node index
        std::uint32_t target = 0;
        float weight = 1.0f;      ///< spring strength; <= 0 or not finite: no spring
    };
    std::vector<EntityId> ids;        ///< per node, when it came from a document (else empty)
    std::vector<Vec3> positions;      ///< per node: where the layout starts
    std::vector<std::uint8_t> pinned; ///< per node (or empty: none pinned); nonzero stays put
    std::vector<Edge> edges;          ///< self-loops and parallel edges allowed

    std::size_t nodeCount() const { return positions.size(); }
    bool isPinned(std::size_t node) const { return node < pinned.size() && pinned[node] != 0; }
};

/// True when the node's free property `pinned` is boolean true (or the integer 1: GML,
/// which has no booleans, writes true so).
bool isPinnedNode(const GraphDocument& document, const GraphDocument::Entity& node);

/// The document's visible nodes and visible edges, both in id order (so that every replica
/// holding the same document lays it out the same way), with their positions, weights and
/// pinned flags.
LayoutGraph layoutGraphFromDocument(const GraphDocument& document);

/// The force model and the settle criterion. Lengths are in world units.
struct ForceLayoutOptions {
    /// K: the natural edge length; an isolated connected pair settles K apart. Also the
    /// unit in which displacements are judged.
    float edgeLength = 6.0f;
    /// C: repulsion C·K³/d² between every two nodes (Coulomb in 3D).
    float repulsion = 1.0f;
    /// γ: gravity γ·d towards the centre of the starting positions. With Coulomb
    /// repulsion it bounds the layout: a lone component sits about where the main one ends.
    float gravity = 0.05f;
    /// Barnes-Hut opening angle: a cell of side s whose centre of mass lies farther than
    /// s/θ (plus its offset from the cell's centre) from a group of nodes acts as one body.
    float theta = 1.0f;
    /// Settled: the 95th percentile of the free nodes' moves in a step stays below this
    /// many edge lengths for `settleWindow` steps in a row.
    float settleTolerance = 0.02f;
    int settleWindow = 10;
    /// The safety net: stop here and report LayoutState::Capped.
    int maxIterations = 3000;
    /// Edge weights scale the springs (normalised by the mean positive weight, capped at 10x).
    bool useWeights = true;
    /// Threads for one step (0: the machine's cores, at most 8). The result does not depend
    /// on it: every node's force is computed alone, and sums are taken per fixed chunk of
    /// nodes in chunk order.
    int threads = 0;
};

enum class LayoutState : std::uint8_t {
    Running,
    Settled, ///< the settle criterion was met
    Capped,  ///< maxIterations reached without settling
};
const char* layoutStateName(LayoutState state);

/// What one step did, for progress and the settle criterion. Moves are in edge lengths.
struct LayoutStepStats {
    int iteration = 0;          ///< steps done
    float meanMove = 0.0f;      ///< mean move of the free nodes
    float p95Move = 0.0f;       ///< 95th percentile (upper edge of a quarter-octave histogram bin)
    float maxMove = 0.0f;
    float rmsRadius = 0.0f;     ///< RMS distance of all nodes from the centre, world units
    int quietSteps = 0;         ///< consecutive steps with p95Move below the tolerance
};

/// 3D force-directed layout: Coulomb repulsion through a Barnes-Hut octree (rebuilt every
/// step in flat arrays from Morton-sorted nodes), springs along edges, gravity towards the
/// centre, a per-node adaptive step (grows while a node's force keeps its direction, halves
/// when it turns back), and "settled" judged from the distribution of moves. Pinned nodes
/// push and pull but never move. Deterministic: the same graph, seed and options give
/// bit-identical positions on the same build, whatever the thread count or timing.
///
/// Not thread-safe: one thread calls step() (it uses its own workers inside).
class ForceLayout {
public:
    ForceLayout(LayoutGraph graph, std::uint64_t seed, ForceLayoutOptions options = {});
    ~ForceLayout();
    ForceLayout(const ForceLayout&) = delete;
    ForceLayout& operator=(const ForceLayout&) = delete;

    /// One iteration. Once the state is Settled or Capped it changes nothing more.
    LayoutState step();
    LayoutState state() const;
    int iteration() const;
    const LayoutStepStats& lastStats() const;
    /// An estimate in [0, 1] of the way to settling, never decreasing: how far the 95th
    /// percentile move has fallen from its early peak towards the tolerance, on a log scale
    /// (moves shrink about geometrically), or the share of maxIterations done if larger.
    double progress() const;

    std::size_t nodeCount() const;
    std::size_t freeNodeCount() const;
    const ForceLayoutOptions& options() const;
    Vec3 position(std::size_t node) const;
    std::vector<Vec3> positions() const;
    /// Positions of the free (unpinned) nodes only, in node order: what a live view needs.
    void copyFreePositions(std::vector<Vec3>& out) const;
    /// Indices of the free nodes, in node order.
    const std::vector<std::uint32_t>& freeNodes() const;

    /// The repulsive force on every node at the current positions, through the octree or by
    /// summing all pairs: tests and the benchmark compare the two.
    std::vector<Vec3> repulsionForces(bool exact);

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace constellate::layout
