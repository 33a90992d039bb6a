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

/// How near a ray must pass to an edge to pick it: `constant + perDistance * t` world units
/// at distance t along the ray. A cone: a fixed number of pixels in a perspective view.
struct PickTolerance {
    float constant = 0.0f;
    float perDistance = 0.0f;
    float at(float t) const { return constant + perDistance * t; }
    /// `pixels` on screen around `ray` (from `view.rayThroughPixel`) in a viewport
    /// `viewportHeight` pixels high; exact on the view axis, a little generous off it.
    static PickTolerance fromPixels(const View& view, const Ray& ray, float viewportHeight, float pixels);
};

/// What an edge pick found.
struct EdgeHit {
    std::uint32_t index = 0; ///< into RenderScene::edges()
    float distance = 0.0f; ///< along the ray to where it passes closest to the edge
    float offset = 0.0f; ///< how far the edge is from the ray there (world units)
    float along = 0.0f; ///< where on the edge: 0 at the source's centre, 1 at the target's
};

/// Edge picking on the CPU, against the very segments that are drawn (centre to centre):
/// a bounding volume hierarchy (boxes around at most four segments per leaf, split at the
/// median of the longest axis), so long edges cost no more than short ones. A query visits
/// the boxes the tolerance cone touches. No GL: unit-tested on its own.
///
/// Of the edges the ray passes within tolerance of, the pick is the one nearest to the ray
/// relative to the tolerance there (nearest on screen), then the nearest along the ray.
/// Nodes are drawn over edges: a caller picking both should prefer a node hit whose
/// distance is less than the edge hit's.
class EdgePickTree {
public:
    /// Indexes the edges (an instance array such as RenderScene::edges()).
    void build(std::span<const EdgeInstance> edges);
    /// Rebuilds from the scene when it changed since the last build.
    void update(const RenderScene& scene);

    std::optional<EdgeHit> pick(const Ray& ray, const PickTolerance& tolerance) const;
    /// The edge within `pixelTolerance` pixels of a window pixel (origin top left).
    std::optional<EdgeHit> pick(const View& view, glm::vec2 pixel, glm::vec2 viewportSize, float pixelTolerance) const;
    /// The same by testing every edge: the reference the tree is checked against.
    static std::optional<EdgeHit> pickLinear(
        std::span<const EdgeInstance> edges, const Ray& ray, const PickTolerance& tolerance);

    /// Boxes in the hierarchy (0 when empty).
    std::size_t boxCount() const { return m_boxes.size(); }

private:
    struct Box {
        glm::vec3 lo;
        glm::vec3 hi;
        std::uint32_t first; ///< leaf: first item; inner: the right child (the left one is next)
        std::uint32_t count; ///< leaf: items (> 0); inner: 0
    };
    std::uint32_t buildRange(std::uint32_t first, std::uint32_t count, const std::vector<glm::vec3>& centres);

    std::vector<EdgeInstance> m_edges; // a copy: the tree answers for what it was built from
    std::vector<Box> m_boxes; // m_boxes[0] is the root
    std::vector<std::uint32_t> m_items;
    std::uint64_t m_builtVersion = ~0ull;
};

} // namespace constellate::render
