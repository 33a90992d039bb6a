#pragma once

#include "geometry.h"
#include "view.h"

#include <glm/glm.hpp>

namespace constellate::render {

/// The desktop view's orbit camera: it looks at a target from a distance, turned by yaw
/// (about world +y) and pitch. Orbit, pan and zoom as the mouse asks; frame a bounding
/// sphere. Pure maths, no GL: unit-tested on its own.
///
/// Angles are in radians; yaw 0 and pitch 0 put the eye on the target's +z side.
class Camera {
public:
    Camera() = default;

    glm::vec3 target() const { return m_target; }
    float distance() const { return m_distance; }
    float yaw() const { return m_yaw; }
    float pitch() const { return m_pitch; }
    float verticalFov() const { return m_fovY; }
    glm::vec3 eyePosition() const;

    void setTarget(glm::vec3 target) { m_target = target; }
    void setDistance(float distance);
    /// Pitch is kept short of straight up or down, where "up" would be undefined.
    void setAngles(float yaw, float pitch);
    void setVerticalFov(float radians) { m_fovY = radians; }
    /// The size of what is shown, for the near and far planes (frame() sets it).
    void setSceneRadius(float radius) { m_sceneRadius = radius > 0.0f ? radius : 1.0f; }

    /// Turns around the target (a mouse drag: radians per pixel is the caller's choice).
    void orbit(float deltaYaw, float deltaPitch) { setAngles(m_yaw + deltaYaw, m_pitch + deltaPitch); }
    /// Moves target and eye together so that what was under the cursor at the target's
    /// depth follows it: a drag of (dx, dy) pixels (y down) in a viewport `viewportHeight`
    /// pixels high.
    void pan(glm::vec2 deltaPixels, float viewportHeight);
    /// Multiplies the distance (factor < 1 comes closer), within the distance limits.
    void zoom(float factor) { setDistance(m_distance * factor); }
    /// Looks at the sphere's centre from just far enough to see all of it in a viewport
    /// of the given aspect ratio (width / height), keeping the angles.
    void frame(const Sphere& bounds, float aspect);

    /// View and projection matrices for a viewport of the given aspect ratio.
    View view(float aspect) const;
    float nearPlane() const;
    float farPlane() const;

    static constexpr float MinDistance = 1e-3f;
    static constexpr float MaxDistance = 1e7f;

private:
    glm::vec3 m_target {0.0f};
    float m_distance = 10.0f;
    float m_yaw = 0.0f;
    float m_pitch = 0.0f;
    float m_fovY = glm::radians(45.0f);
    float m_sceneRadius = 10.0f;
};

} // namespace constellate::render
