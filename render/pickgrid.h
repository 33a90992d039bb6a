#pragma once

#include "geometry.h"
#include "renderscene.h"
#include "view.h"

#include <glm/glm.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace constellate::render {

/// What a ray hit: a node instance and how far along the ray.
struct NodeHit {
    std::uint32_t index = 0; ///< into RenderScene::nodes()
    float distance = 0.0f;
};

/// Ray picking of node spheres on the CPU, against the very instances that are drawn.
/// A uniform grid (about one node per cell, at most 128 cells per axis) over the nodes'
/// bounding box, each sphere listed in every cell its box overlaps; a ray walks the cells
/// it crosses in order (Amanatides and Woo) and stops at the first cell that holds a hit
/// nearer than the cell's far side. No GL: unit-tested on its own.
class PickGrid {
public:
    /// Indexes the nodes (an instance array such as RenderScene::nodes()).
    void build(std::span<const NodeInstance> nodes);
    /// Rebuilds from the scene when it changed since the last build.
    void update(const RenderScene& scene);

    /// The nearest node the ray enters, if any.
    std::optional<NodeHit> pick(const Ray& ray) const;
    /// The same by testing every node: the reference the grid is checked against.
    static std::optional<NodeHit> pickLinear(std::span<const NodeInstance> nodes, const Ray& ray);

    glm::ivec3 dimensions() const { return m_dims; }

private:
    glm::ivec3 cellOf(glm::vec3 p) const;
    std::size_t cellIndex(glm::ivec3 c) const { return (std::size_t(c.z) * m_dims.y + c.y) * m_dims.x + c.x; }
    void testCell(std::size_t cell, const Ray& ray, std::optional<NodeHit>& best) const;

    std::vector<NodeInstance> m_nodes; // a copy: the grid answers for what it was built from
    glm::vec3 m_origin {0.0f};
    glm::vec3 m_cellSize {1.0f};
    glm::ivec3 m_dims {0};
    std::vector<std::uint32_t> m_cellStart; // CSR: cell c holds m_items[m_cellStart[c] .. m_cellStart[c+1])
    std::vector<std::uint32_t> m_items;
    std::uint64_t m_builtVersion = ~0ull;
};

/// A rectangle of window pixels (origin top left, y down, as Qt's events); the corners
/// may come in any order (a rubber band dragged up and left).
struct PixelRect {
    glm::vec2 corner0 {0.0f};
    glm::vec2 corner1 {0.0f};
};

/// Box selection: the indices (into `nodes`, ascending) of the nodes whose centre
/// projects into the rectangle (edges included) and lies within the view's depth range
/// (in front of the eye, between the near and far planes). A linear pass: about a
/// millisecond per 100k nodes, once per rubber-band change.
std::vector<std::uint32_t> nodesInRect(
    std::span<const NodeInstance> nodes, const View& view, glm::vec2 viewportSize, const PixelRect& rect);

} // namespace constellate::render
