#include "renderscene.h"

#include <algorithm>
#include <cmath>

namespace constellate::render {

void unpackColor(Rgba color, std::uint8_t out[4])
{
    out[0] = std::uint8_t(color >> 24);
    out[1] = std::uint8_t(color >> 16);
    out[2] = std::uint8_t(color >> 8);
    out[3] = std::uint8_t(color);
}

NodeInstance RenderScene::nodeInstance(const GraphDocument& document, const GraphDocument::Entity& node)
{
    const Vec3 p = document.position(node);
    NodeInstance n {};
    n.position = {p.x, p.y, p.z};
    n.radius = document.size(node);
    unpackColor(document.color(node), n.color);
    return n;
}

void RenderScene::rebuild(const GraphDocument& document)
{
    m_nodes.clear();
    m_nodeIds.clear();
    m_nodeLabels.clear();
    m_nodeIndex.clear();
    m_edges.clear();
    m_edgeIds.clear();
    m_edgeIndex.clear();
    m_overridden.clear();

    const std::size_t nodeCount = document.count(EntityKind::Node);
    m_nodes.reserve(nodeCount);
    m_nodeIds.reserve(nodeCount);
    m_nodeIndex.reserve(nodeCount);
    // Id order: the same document gives the same instance order on every replica.
    document.forEach(EntityKind::Node, [&](const GraphDocument::Entity& e) {
        m_nodeIndex.emplace(e.id, std::uint32_t(m_nodes.size()));
        m_nodes.push_back(nodeInstance(document, e));
        if (m_kept && !m_kept->contains(e.id))
            dim(m_nodes.back().color);
        m_nodeIds.push_back(e.id);
        m_nodeLabels.emplace_back(document.label(e));
    }, true);

    const std::size_t edgeCount = document.count(EntityKind::Edge);
    m_edges.reserve(edgeCount);
    m_edgeIds.reserve(edgeCount);
    m_edgeIndex.reserve(edgeCount);
    document.forEach(EntityKind::Edge, [&](const GraphDocument::Entity& e) {
        // A visible edge has visible endpoints, hence node instances.
        const auto index = std::uint32_t(m_edges.size());
        m_edgeIndex.emplace(e.id, index);
        m_edges.emplace_back();
        m_edgeIds.push_back(e.id);
        fillEdge(index, document, e);
    }, true);

    // Incident edges per node, for moves.
    m_incidentOffsets.assign(m_nodes.size() + 1, 0);
    std::vector<std::uint32_t> endpoints(m_edges.size() * 2);
    m_edgeEnds.resize(m_edges.size());
    for (std::size_t i = 0; i < m_edges.size(); ++i) {
        const GraphDocument::Entity* e = document.entity(m_edgeIds[i]);
        endpoints[2 * i] = m_nodeIndex.at(e->a);
        endpoints[2 * i + 1] = m_nodeIndex.at(e->b);
        m_edgeEnds[i] = {endpoints[2 * i], endpoints[2 * i + 1]};
        ++m_incidentOffsets[endpoints[2 * i] + 1];
        if (endpoints[2 * i + 1] != endpoints[2 * i])
            ++m_incidentOffsets[endpoints[2 * i + 1] + 1];
    }
    for (std::size_t i = 1; i < m_incidentOffsets.size(); ++i)
        m_incidentOffsets[i] += m_incidentOffsets[i - 1];
    m_incident.resize(m_incidentOffsets.back());
    std::vector<std::uint32_t> fill(m_incidentOffsets.begin(), m_incidentOffsets.end() - 1);
    for (std::size_t i = 0; i < m_edges.size(); ++i) {
        m_incident[fill[endpoints[2 * i]]++] = std::uint32_t(i);
        if (endpoints[2 * i + 1] != endpoints[2 * i])
            m_incident[fill[endpoints[2 * i + 1]]++] = std::uint32_t(i);
    }

    m_nodesRebuilt = true;
    m_edgesRebuilt = true;
    m_dirtyNodes.clear();
    m_dirtyEdges.clear();
    ++m_version;
}

void RenderScene::fillEdge(std::uint32_t index, const GraphDocument& document, const GraphDocument::Entity& edge)
{
    EdgeInstance& out = m_edges[index];
    const NodeInstance& source = m_nodes[m_nodeIndex.at(edge.a)];
    const NodeInstance& target = m_nodes[m_nodeIndex.at(edge.b)];
    out.source = source.position;
    out.target = target.position;
    out.targetRadius = target.radius;
    unpackColor(document.color(edge), out.color);
    out.flags = document.directed(edge) ? 1u : 0u;
    if (m_kept && !m_kept->contains(edge.id) && !(m_kept->contains(edge.a) && m_kept->contains(edge.b)))
        dim(out.color);
}

void RenderScene::dim(std::uint8_t color[4]) const
{
    // A quarter of the colour: still told apart, far behind what is kept.
    for (int i = 0; i < 3; ++i)
        color[i] = std::uint8_t((int(color[i]) + 3 * int(m_dimBackground[i]) + 2) / 4);
}

void RenderScene::setDimming(const GraphDocument& document, std::optional<std::unordered_set<EntityId>> kept,
                             Rgba background)
{
    m_kept = std::move(kept);
    unpackColor(background, m_dimBackground);
    rebuild(document);
}

void RenderScene::markNode(std::uint32_t index)
{
    m_dirtyNodes.push_back(index);
}

void RenderScene::markEdge(std::uint32_t index)
{
    m_dirtyEdges.push_back(index);
}

void RenderScene::updateNodes(const GraphDocument& document, std::span<const EntityId> ids)
{
    for (const EntityId id : ids) {
        const auto it = m_nodeIndex.find(id);
        const bool drawn = it != m_nodeIndex.end();
        if (drawn != document.isVisible(id)) {
            // Instances come or go (and edges with them): rebuild. Deletes are rare next
            // to moves; a free-list would avoid this if they ever were not.
            rebuild(document);
            return;
        }
        if (!drawn)
            continue;
        const std::uint32_t index = it->second;
        m_overridden.erase(id);
        NodeInstance updated = nodeInstance(document, *document.entity(id));
        if (m_kept && !m_kept->contains(id))
            dim(updated.color);
        m_nodes[index] = updated;
        m_nodeLabels[index] = document.label(*document.entity(id));
        markNode(index);
        for (std::uint32_t k = m_incidentOffsets[index]; k < m_incidentOffsets[index + 1]; ++k) {
            const std::uint32_t e = m_incident[k];
            fillEdge(e, document, *document.entity(m_edgeIds[e]));
            markEdge(e);
        }
    }
    ++m_version;
}

void RenderScene::moveEdgeEnds(std::uint32_t index)
{
    EdgeInstance& out = m_edges[index];
    const NodeInstance& target = m_nodes[m_edgeEnds[index].second];
    out.source = m_nodes[m_edgeEnds[index].first].position;
    out.target = target.position;
    out.targetRadius = target.radius;
}

void RenderScene::overridePositions(std::span<const std::pair<EntityId, glm::vec3>> positions)
{
    for (const auto& [id, position] : positions) {
        const auto it = m_nodeIndex.find(id);
        if (it == m_nodeIndex.end())
            continue;
        const std::uint32_t index = it->second;
        m_overridden.insert(id);
        m_nodes[index].position = position;
        markNode(index);
        for (std::uint32_t k = m_incidentOffsets[index]; k < m_incidentOffsets[index + 1]; ++k) {
            moveEdgeEnds(m_incident[k]);
            markEdge(m_incident[k]);
        }
    }
    ++m_version;
}

void RenderScene::clearOverrides(const GraphDocument& document)
{
    if (m_overridden.empty())
        return;
    const std::vector<EntityId> ids(m_overridden.begin(), m_overridden.end());
    updateNodes(document, ids);
}

void RenderScene::updateEdges(const GraphDocument& document, std::span<const EntityId> ids)
{
    for (const EntityId id : ids) {
        const auto it = m_edgeIndex.find(id);
        const bool drawn = it != m_edgeIndex.end();
        if (drawn != document.isVisible(id)) {
            rebuild(document);
            return;
        }
        if (!drawn)
            continue;
        fillEdge(it->second, document, *document.entity(id));
        markEdge(it->second);
    }
    ++m_version;
}

std::int64_t RenderScene::nodeIndex(EntityId id) const
{
    const auto it = m_nodeIndex.find(id);
    return it == m_nodeIndex.end() ? -1 : std::int64_t(it->second);
}

std::int64_t RenderScene::edgeIndex(EntityId id) const
{
    const auto it = m_edgeIndex.find(id);
    return it == m_edgeIndex.end() ? -1 : std::int64_t(it->second);
}

namespace {
std::vector<InstanceRange> toRanges(std::vector<std::uint32_t>& indices, std::uint32_t mergeGap)
{
    std::vector<InstanceRange> ranges;
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    for (const std::uint32_t i : indices) {
        if (!ranges.empty() && i <= ranges.back().first + ranges.back().count + mergeGap)
            ranges.back().count = i + 1 - ranges.back().first;
        else
            ranges.push_back({i, 1});
    }
    indices.clear();
    return ranges;
}
} // namespace

void RenderScene::markAllChanged()
{
    m_nodesRebuilt = true;
    m_edgesRebuilt = true;
    m_dirtyNodes.clear();
    m_dirtyEdges.clear();
    ++m_version;
}

RenderScene::Changes RenderScene::takeChanges(std::uint32_t mergeGap)
{
    Changes c;
    c.nodesRebuilt = m_nodesRebuilt;
    c.edgesRebuilt = m_edgesRebuilt;
    if (m_nodesRebuilt)
        m_dirtyNodes.clear();
    if (m_edgesRebuilt)
        m_dirtyEdges.clear();
    c.nodeRanges = toRanges(m_dirtyNodes, mergeGap);
    c.edgeRanges = toRanges(m_dirtyEdges, mergeGap);
    m_nodesRebuilt = false;
    m_edgesRebuilt = false;
    return c;
}

Sphere RenderScene::bounds() const
{
    return boundsOf(m_nodes);
}

Sphere RenderScene::bounds(std::span<const EntityId> ids) const
{
    std::vector<NodeInstance> chosen;
    chosen.reserve(ids.size());
    for (const EntityId id : ids) {
        if (const auto n = m_nodeIndex.find(id); n != m_nodeIndex.end()) {
            chosen.push_back(m_nodes[n->second]);
        } else if (const auto e = m_edgeIndex.find(id); e != m_edgeIndex.end()) {
            chosen.push_back(m_nodes[m_edgeEnds[e->second].first]);
            chosen.push_back(m_nodes[m_edgeEnds[e->second].second]);
        }
    }
    return boundsOf(chosen);
}

Sphere RenderScene::boundsOf(std::span<const NodeInstance> nodes)
{
    if (nodes.empty())
        return {};
    // The bounding box's centre, then the farthest sphere from it: not the smallest
    // sphere, but within a factor sqrt(3) of it, and one pass.
    glm::vec3 lo(INFINITY), hi(-INFINITY);
    for (const NodeInstance& n : nodes) {
        lo = glm::min(lo, n.position - n.radius);
        hi = glm::max(hi, n.position + n.radius);
    }
    const glm::vec3 center = 0.5f * (lo + hi);
    float radius = 0.0f;
    for (const NodeInstance& n : nodes)
        radius = std::max(radius, glm::distance(center, n.position) + n.radius);
    return {center, radius};
}

} // namespace constellate::render
