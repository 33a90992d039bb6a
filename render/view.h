#pragma once

#include "geometry.h"

#include <glm/glm.hpp>

namespace constellate::render {

/// What one eye or one window sees: a view matrix (world to eye space, right-handed,
/// looking down -z) and a projection (eye to clip space, OpenGL depth range -1..1).
/// The desktop camera makes one; the headset gives one per eye.
struct View {
    glm::mat4 view {1.0f};
    glm::mat4 projection {1.0f};

    glm::vec3 eyePosition() const;
    /// Window pixel (origin top left, y down, as Qt's mouse events) to normalized device
    /// coordinates (-1..1, y up).
    static glm::vec2 pixelToNdc(glm::vec2 pixel, glm::vec2 viewportSize);
    /// World point to window pixel (origin top left); z is the depth in NDC (-1..1).
    glm::vec3 project(glm::vec3 world, glm::vec2 viewportSize) const;
    /// The ray from the eye through a point given in NDC (perspective or orthographic).
    Ray rayThroughNdc(glm::vec2 ndc) const;
    Ray rayThroughPixel(glm::vec2 pixel, glm::vec2 viewportSize) const
    {
        return rayThroughNdc(pixelToNdc(pixel, viewportSize));
    }
};

} // namespace constellate::render
