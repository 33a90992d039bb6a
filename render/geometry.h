#pragma once

#include "types.h"

#include <glm/glm.hpp>

#include <optional>

namespace constellate::render {

/// The document's points (Vec3) as the renderer's maths takes them, and back.
inline glm::vec3 toGlm(Vec3 v)
{
    return {v.x, v.y, v.z};
}

inline Vec3 toVec3(glm::vec3 v)
{
    return {v.x, v.y, v.z};
}

/// A ray in world space; `direction` is unit length.
struct Ray {
    glm::vec3 origin {0.0f};
    glm::vec3 direction {0.0f, 0.0f, -1.0f};
    glm::vec3 at(float t) const { return origin + t * direction; }
};

/// A sphere in world space (a node as drawn, or the bounds of a set of them).
struct Sphere {
    glm::vec3 center {0.0f};
    float radius = 0.0f;
};

/// The smallest t >= 0 at which the ray enters (or, from inside, leaves) the sphere;
/// nullopt on a miss. The ray's direction must be unit length.
inline std::optional<float> intersect(const Ray& ray, const Sphere& s)
{
    const glm::vec3 oc = ray.origin - s.center;
    const float b = glm::dot(oc, ray.direction);
    const float c = glm::dot(oc, oc) - s.radius * s.radius;
    const float disc = b * b - c;
    if (disc < 0.0f)
        return std::nullopt;
    const float root = std::sqrt(disc);
    float t = -b - root;
    if (t < 0.0f)
        t = -b + root; // the origin is inside the sphere
    if (t < 0.0f)
        return std::nullopt;
    return t;
}

} // namespace constellate::render
