#pragma once

#include "geometry.h"
#include "view.h"

#include <glm/glm.hpp>

namespace constellate::render {

/// The desktop view's orbit camera: it looks at a target from a distance, turned by yaw
/// (about world +y) and pitch. Orbit, pan and zoom as the mouse asks; frame a bounding
/// sphere. Pure maths, no GL: unit-tested on its own.
///
/// Fly mode is the same state driven differently: fly() moves eye and target together
/// along the view's axes and look() turns the view about the eye (not the target), so
/// the user can switch between orbiting and flying at any moment without a jump.
/// lookFrom() puts the eye at a given place (following another user's view).
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

    /// Unit vectors of the view in world space: where the eye looks, its right, its up.
    glm::vec3 forward() const;
    glm::vec3 right() const;
    glm::vec3 up() const;
    /// Fly mode: moves eye and target by `delta.x` along right(), `delta.y` along up() and
    /// `delta.z` along forward(), in world units (W/S: +-z, D/A: +-x, E/Q: +-y; speed
    /// times frame time is the caller's choice, e.g. a fraction of the scene radius).
    void fly(glm::vec3 delta);
    /// Fly mode: turns the view about the eye (a mouse look); the eye stays put, the
    /// target swings around it at the same distance. Positive yaw turns left, positive
    /// pitch looks up (radians).
    void look(float deltaYaw, float deltaPitch);
    /// Puts the eye at `eye` looking at `target` (another user's view): target, distance
    /// and angles are set so that eyePosition() == eye, unless the distance is outside
    /// [MinDistance, MaxDistance] or the view is within 0.1 degree of straight up or down
    /// (then the eye is as near as the limits allow). Smoothing is the caller's.
    void lookFrom(glm::vec3 eye, glm::vec3 target);

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
