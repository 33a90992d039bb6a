#include "fielduse.h"

#include <algorithm>
#include <unordered_set>

namespace constellate {

FieldUse FieldUse::of(const GraphData& graph)
{
    FieldUse u;
    for (const GraphData::Node& n : graph.nodes) {
        u.nodeLabel |= n.label.has_value();
        u.nodePosition |= n.position.has_value();
        u.nodeColor |= n.color.has_value();
        u.nodeSize |= n.size.has_value();
    }
    // An undirected edge joins an unordered pair; a directed one an ordered pair. Both
    // kinds are told apart by the top bit, which no node index reaches.
    std::unordered_set<std::uint64_t> pairs;
    pairs.reserve(graph.edges.size());
    for (const GraphData::Edge& e : graph.edges) {
        u.edgeLabel |= e.label.has_value();
        u.edgeColor |= e.color.has_value();
        u.edgeWeight |= e.weight.has_value();
        std::uint64_t a = e.source, b = e.target;
        if (!e.directed && a > b)
            std::swap(a, b);
        const std::uint64_t pair = (a << 32) ^ b ^ (e.directed ? 0x8000000000000000ull : 0);
        if (!u.parallelEdges && !pairs.insert(pair).second)
            u.parallelEdges = true;
    }
    return u;
}

} // namespace constellate
