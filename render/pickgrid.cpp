#include "pickgrid.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace constellate::render {

namespace {
constexpr int MaxCellsPerAxis = 128;
constexpr float Infinity = std::numeric_limits<float>::infinity();
} // namespace

void PickGrid::update(const RenderScene& scene)
{
    if (scene.version() == m_builtVersion)
        return;
    build(scene.nodes());
    m_builtVersion = scene.version();
}

void PickGrid::build(std::span<const NodeInstance> nodes)
{
    m_nodes.assign(nodes.begin(), nodes.end());
    m_builtVersion = ~0ull;
    m_cellStart.clear();
    m_items.clear();
    m_dims = glm::ivec3(0);
    if (m_nodes.empty())
        return;

    glm::vec3 lo(Infinity), hi(-Infinity);
    for (const NodeInstance& n : m_nodes) {
        lo = glm::min(lo, n.position - n.radius);
        hi = glm::max(hi, n.position + n.radius);
    }
    const glm::vec3 extent = glm::max(hi - lo, glm::vec3(1e-4f));
    // About one node per cell: a cube side from the volume per node, each axis clamped.
    const float volume = extent.x * extent.y * extent.z;
    const float side = std::cbrt(volume / float(m_nodes.size()));
    for (int a = 0; a < 3; ++a)
        m_dims[a] = std::clamp(int(std::ceil(extent[a] / std::max(side, 1e-6f))), 1, MaxCellsPerAxis);
    m_origin = lo;
    m_cellSize = extent / glm::vec3(m_dims);

    // Two passes (count, then fill) into a compact array.
    const std::size_t cellCount = std::size_t(m_dims.x) * m_dims.y * m_dims.z;
    m_cellStart.assign(cellCount + 1, 0);
    auto forEachCell = [&](const NodeInstance& n, auto&& fn) {
        const glm::ivec3 a = cellOf(n.position - n.radius);
        const glm::ivec3 b = cellOf(n.position + n.radius);
        for (int z = a.z; z <= b.z; ++z)
            for (int y = a.y; y <= b.y; ++y)
                for (int x = a.x; x <= b.x; ++x)
                    fn(cellIndex({x, y, z}));
    };
    for (const NodeInstance& n : m_nodes)
        forEachCell(n, [&](std::size_t c) { ++m_cellStart[c + 1]; });
    for (std::size_t c = 1; c <= cellCount; ++c)
        m_cellStart[c] += m_cellStart[c - 1];
    m_items.resize(m_cellStart.back());
    std::vector<std::uint32_t> fill(m_cellStart.begin(), m_cellStart.end() - 1);
    for (std::uint32_t i = 0; i < m_nodes.size(); ++i)
        forEachCell(m_nodes[i], [&](std::size_t c) { m_items[fill[c]++] = i; });
}

glm::ivec3 PickGrid::cellOf(glm::vec3 p) const
{
    const glm::ivec3 c = glm::ivec3(glm::floor((p - m_origin) / m_cellSize));
    return glm::clamp(c, glm::ivec3(0), m_dims - 1);
}

void PickGrid::testCell(std::size_t cell, const Ray& ray, std::optional<NodeHit>& best) const
{
    for (std::uint32_t k = m_cellStart[cell]; k < m_cellStart[cell + 1]; ++k) {
        const std::uint32_t i = m_items[k];
        const NodeInstance& n = m_nodes[i];
        if (const auto t = intersect(ray, {n.position, n.radius}); t && (!best || *t < best->distance))
            best = NodeHit {i, *t};
    }
}

std::optional<NodeHit> PickGrid::pick(const Ray& ray) const
{
    if (m_nodes.empty())
        return std::nullopt;
    // Clip the ray to the grid's box (slab test).
    const glm::vec3 hiCorner = m_origin + m_cellSize * glm::vec3(m_dims);
    float tEnter = 0.0f, tExit = Infinity;
    for (int a = 0; a < 3; ++a) {
        if (ray.direction[a] == 0.0f) {
            if (ray.origin[a] < m_origin[a] || ray.origin[a] > hiCorner[a])
                return std::nullopt;
            continue;
        }
        float t0 = (m_origin[a] - ray.origin[a]) / ray.direction[a];
        float t1 = (hiCorner[a] - ray.origin[a]) / ray.direction[a];
        if (t0 > t1)
            std::swap(t0, t1);
        tEnter = std::max(tEnter, t0);
        tExit = std::min(tExit, t1);
    }
    if (tEnter > tExit)
        return std::nullopt;

    // Walk the cells from the entry point.
    glm::ivec3 cell = cellOf(ray.at(tEnter));
    glm::ivec3 step;
    glm::vec3 tMax, tDelta;
    for (int a = 0; a < 3; ++a) {
        const float d = ray.direction[a];
        if (d > 0.0f) {
            step[a] = 1;
            tMax[a] = (m_origin[a] + float(cell[a] + 1) * m_cellSize[a] - ray.origin[a]) / d;
            tDelta[a] = m_cellSize[a] / d;
        } else if (d < 0.0f) {
            step[a] = -1;
            tMax[a] = (m_origin[a] + float(cell[a]) * m_cellSize[a] - ray.origin[a]) / d;
            tDelta[a] = -m_cellSize[a] / d;
        } else {
            step[a] = 0;
            tMax[a] = Infinity;
            tDelta[a] = Infinity;
        }
    }

    std::optional<NodeHit> best;
    for (;;) {
        testCell(cellIndex(cell), ray, best);
        const int axis = tMax.x < tMax.y ? (tMax.x < tMax.z ? 0 : 2) : (tMax.y < tMax.z ? 1 : 2);
        const float cellExit = tMax[axis];
        // A hit before this cell's far side cannot be beaten by a later cell.
        if (best && best->distance <= cellExit)
            return best;
        if (cellExit > tExit)
            return best;
        cell[axis] += step[axis];
        if (cell[axis] < 0 || cell[axis] >= m_dims[axis])
            return best;
        tMax[axis] += tDelta[axis];
    }
}

std::optional<NodeHit> PickGrid::pickLinear(std::span<const NodeInstance> nodes, const Ray& ray)
{
    std::optional<NodeHit> best;
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
        if (const auto t = intersect(ray, {nodes[i].position, nodes[i].radius}); t && (!best || *t < best->distance))
            best = NodeHit {i, *t};
    }
    return best;
}

std::vector<std::uint32_t> nodesInRect(
    std::span<const NodeInstance> nodes, const View& view, glm::vec2 viewportSize, const PixelRect& rect)
{
    std::vector<std::uint32_t> inside;
    const glm::vec2 lo = glm::min(rect.corner0, rect.corner1);
    const glm::vec2 hi = glm::max(rect.corner0, rect.corner1);
    if (viewportSize.x <= 0.0f || viewportSize.y <= 0.0f)
        return inside;
    const glm::mat4 viewProjection = view.projection * view.view;
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
        const glm::vec4 clip = viewProjection * glm::vec4(nodes[i].position, 1.0f);
        if (!(clip.w > 0.0f) || clip.z < -clip.w || clip.z > clip.w)
            continue;
        const glm::vec2 ndc = glm::vec2(clip) / clip.w;
        const glm::vec2 pixel {(ndc.x + 1.0f) * 0.5f * viewportSize.x, (1.0f - ndc.y) * 0.5f * viewportSize.y};
        if (pixel.x >= lo.x && pixel.x <= hi.x && pixel.y >= lo.y && pixel.y <= hi.y)
            inside.push_back(i);
    }
    return inside;
}

} // namespace constellate::render
