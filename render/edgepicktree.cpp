#include "edgepicktree.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

namespace constellate::render {

namespace {
constexpr std::uint32_t LeafSize = 4;
constexpr float Infinity = std::numeric_limits<float>::infinity();

// Where a ray (t >= 0) and a segment pass closest (Ericson, "Real-Time Collision
// Detection", 5.1.9, with the ray's parameter unbounded above).
struct Approach {
    float t = 0.0f;
    float s = 0.0f;
    float gap = 0.0f;
};

Approach closestApproach(const Ray& ray, glm::vec3 a, glm::vec3 b)
{
    const glm::vec3 e = b - a;
    const glm::vec3 r = ray.origin - a;
    const float ee = glm::dot(e, e);
    const float c = glm::dot(ray.direction, r);
    Approach out;
    if (ee <= 1e-12f) {
        out.t = std::max(0.0f, -c);
    } else {
        const float bb = glm::dot(ray.direction, e);
        const float f = glm::dot(e, r);
        const float denom = ee - bb * bb; // |d| = 1
        out.t = denom > 1e-9f * ee ? std::max(0.0f, (bb * f - c * ee) / denom) : 0.0f;
        out.s = (bb * out.t + f) / ee;
        if (out.s < 0.0f) {
            out.s = 0.0f;
            out.t = std::max(0.0f, -c);
        } else if (out.s > 1.0f) {
            out.s = 1.0f;
            out.t = std::max(0.0f, bb - c);
        }
    }
    out.gap = glm::distance(ray.at(out.t), a + out.s * e);
    return out;
}

// The edge as a hit when the ray passes within tolerance of it.
std::optional<EdgeHit> test(
    const EdgeInstance& edge, std::uint32_t index, const Ray& ray, const PickTolerance& tolerance)
{
    const Approach a = closestApproach(ray, edge.source, edge.target);
    if (a.gap > tolerance.at(a.t))
        return std::nullopt;
    return EdgeHit {index, a.t, a.gap, a.s};
}

bool better(const EdgeHit& candidate, const std::optional<EdgeHit>& best, const PickTolerance& tolerance)
{
    if (!best)
        return true;
    auto key = [&](const EdgeHit& h) {
        const float allowed = tolerance.at(h.distance);
        return std::make_tuple(allowed > 0.0f ? h.offset / allowed : 0.0f, h.distance, h.index);
    };
    return key(candidate) < key(*best);
}
} // namespace

PickTolerance PickTolerance::fromPixels(const View& view, const Ray& ray, float viewportHeight, float pixels)
{
    // One pixel spans 2 z / (P11 h) world units at depth z in a perspective view, 2 / (P11 h)
    // in an orthographic one.
    const float perUnitDepth = 2.0f * pixels / (view.projection[1][1] * std::max(viewportHeight, 1.0f));
    if (view.projection[3][3] != 0.0f)
        return {perUnitDepth, 0.0f};
    return {perUnitDepth * glm::distance(view.eyePosition(), ray.origin), perUnitDepth};
}

void EdgePickTree::update(const RenderScene& scene)
{
    if (scene.version() == m_builtVersion)
        return;
    build(scene.edges());
    m_builtVersion = scene.version();
}

void EdgePickTree::build(std::span<const EdgeInstance> edges)
{
    m_edges.assign(edges.begin(), edges.end());
    m_builtVersion = ~0ull;
    m_boxes.clear();
    m_items.resize(m_edges.size());
    if (m_edges.empty())
        return;
    std::vector<glm::vec3> centres(m_edges.size());
    for (std::uint32_t i = 0; i < m_edges.size(); ++i) {
        m_items[i] = i;
        centres[i] = 0.5f * (m_edges[i].source + m_edges[i].target);
    }
    m_boxes.reserve(2 * (m_edges.size() / LeafSize + 1));
    buildRange(0, std::uint32_t(m_edges.size()), centres);
}

std::uint32_t EdgePickTree::buildRange(std::uint32_t first, std::uint32_t count, const std::vector<glm::vec3>& centres)
{
    const auto self = std::uint32_t(m_boxes.size());
    m_boxes.push_back({});
    glm::vec3 lo(Infinity), hi(-Infinity), centreLo(Infinity), centreHi(-Infinity);
    for (std::uint32_t k = first; k < first + count; ++k) {
        const EdgeInstance& e = m_edges[m_items[k]];
        lo = glm::min(lo, glm::min(e.source, e.target));
        hi = glm::max(hi, glm::max(e.source, e.target));
        centreLo = glm::min(centreLo, centres[m_items[k]]);
        centreHi = glm::max(centreHi, centres[m_items[k]]);
    }
    if (count <= LeafSize) {
        m_boxes[self] = {lo, hi, first, count};
        return self;
    }
    const glm::vec3 spread = centreHi - centreLo;
    const int axis = spread.x >= spread.y ? (spread.x >= spread.z ? 0 : 2) : (spread.y >= spread.z ? 1 : 2);
    const std::uint32_t half = count / 2;
    const auto begin = m_items.begin() + std::ptrdiff_t(first);
    std::nth_element(begin, begin + half, begin + count,
        [&](std::uint32_t x, std::uint32_t y) { return centres[x][axis] < centres[y][axis]; });
    buildRange(first, half, centres); // the left child: box self + 1
    const std::uint32_t right = buildRange(first + half, count - half, centres);
    m_boxes[self] = {lo, hi, right, 0};
    return self;
}

std::optional<EdgeHit> EdgePickTree::pick(const Ray& ray, const PickTolerance& tolerance) const
{
    std::optional<EdgeHit> best;
    if (m_boxes.empty())
        return best;
    const glm::vec3 absDirection = glm::abs(ray.direction);
    // Could the ray pass within tolerance of something in the box? The closest approach to
    // a point q of the box is at t = max(0, dot(q - origin, direction)), at most the box's
    // far extent along the ray; so the box grown by the tolerance there must meet the ray.
    auto touches = [&](const Box& box) {
        const glm::vec3 centre = 0.5f * (box.lo + box.hi);
        const glm::vec3 halfSize = 0.5f * (box.hi - box.lo);
        const float tFar = glm::dot(centre - ray.origin, ray.direction) + glm::dot(halfSize, absDirection);
        const float grow = tolerance.at(std::max(tFar, 0.0f)) * 1.0001f + 1e-6f;
        const glm::vec3 lo = box.lo - grow;
        const glm::vec3 hi = box.hi + grow;
        float tEnter = 0.0f, tExit = Infinity;
        for (int a = 0; a < 3; ++a) {
            if (ray.direction[a] == 0.0f) {
                if (ray.origin[a] < lo[a] || ray.origin[a] > hi[a])
                    return false;
                continue;
            }
            float t0 = (lo[a] - ray.origin[a]) / ray.direction[a];
            float t1 = (hi[a] - ray.origin[a]) / ray.direction[a];
            if (t0 > t1)
                std::swap(t0, t1);
            tEnter = std::max(tEnter, t0);
            tExit = std::min(tExit, t1);
        }
        return tEnter <= tExit;
    };
    std::uint32_t stack[64];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
        const std::uint32_t index = stack[--top];
        const Box& box = m_boxes[index];
        if (!touches(box))
            continue;
        if (box.count > 0) {
            for (std::uint32_t k = box.first; k < box.first + box.count; ++k) {
                const std::uint32_t e = m_items[k];
                if (const auto hit = test(m_edges[e], e, ray, tolerance); hit && better(*hit, best, tolerance))
                    best = hit;
            }
        } else {
            // Median splits keep the depth near log2(n / 4): 64 is plenty.
            stack[top++] = box.first;
            stack[top++] = index + 1;
        }
    }
    return best;
}

std::optional<EdgeHit> EdgePickTree::pick(
    const View& view, glm::vec2 pixel, glm::vec2 viewportSize, float pixelTolerance) const
{
    const Ray ray = view.rayThroughPixel(pixel, viewportSize);
    return pick(ray, PickTolerance::fromPixels(view, ray, viewportSize.y, pixelTolerance));
}

std::optional<EdgeHit> EdgePickTree::pickLinear(
    std::span<const EdgeInstance> edges, const Ray& ray, const PickTolerance& tolerance)
{
    std::optional<EdgeHit> best;
    for (std::uint32_t i = 0; i < edges.size(); ++i) {
        if (const auto hit = test(edges[i], i, ray, tolerance); hit && better(*hit, best, tolerance))
            best = hit;
    }
    return best;
}

} // namespace constellate::render
