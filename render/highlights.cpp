#include "highlights.h"

#include <algorithm>
#include <span>
#include <unordered_map>
#include <unordered_set>

namespace constellate::render {

HighlightInstances highlightInstances(const RenderScene& scene, const Highlights& highlights)
{
    HighlightInstances out;
    std::unordered_map<std::uint32_t, std::uint32_t> ringsOfNode; // node instance -> rings so far
    std::unordered_set<std::uint32_t> edgeTaken;

    auto add = [&](std::span<const EntityId> ids, Rgba color) {
        std::vector<std::uint32_t> nodes;
        for (const EntityId id : ids) {
            if (const std::int64_t n = scene.nodeIndex(id); n >= 0) {
                nodes.push_back(std::uint32_t(n));
            } else if (const std::int64_t e = scene.edgeIndex(id);
                       e >= 0 && edgeTaken.insert(std::uint32_t(e)).second) {
                EdgeInstance edge = scene.edges()[std::size_t(e)];
                unpackColor(color, edge.color);
                out.edges.push_back(edge);
            }
        }
        // One ring per node and highlight, even if an id is listed twice.
        std::sort(nodes.begin(), nodes.end());
        nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
        for (const std::uint32_t n : nodes) {
            const NodeInstance& node = scene.nodes()[n];
            RingInstance ring {};
            ring.center = node.position;
            ring.radius = node.radius;
            unpackColor(color, ring.color);
            ring.ring = float(ringsOfNode[n]++);
            out.rings.push_back(ring);
        }
    };

    add(highlights.selected, highlights.selectedColor);
    std::vector<EntityId> hovered;
    if (highlights.hoveredNode)
        hovered.push_back(*highlights.hoveredNode);
    if (highlights.hoveredEdge)
        hovered.push_back(*highlights.hoveredEdge);
    add(hovered, highlights.hoveredColor);
    for (const Highlights::Remote& r : highlights.remote)
        add(r.ids, r.color);
    for (const Highlights::Remote& m : highlights.marks)
        add(m.ids, m.color);
    return out;
}

} // namespace constellate::render
