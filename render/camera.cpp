#include "camera.h"

#include <glm/gtc/matrix_transform.hpp>

#include <algorithm>
#include <cmath>

namespace constellate::render {

namespace {
constexpr float MaxPitch = glm::radians(89.9f);
constexpr float FrameMargin = 1.05f; // a little air around a framed graph
} // namespace

glm::vec3 Camera::eyePosition() const
{
    const float c = std::cos(m_pitch);
    const glm::vec3 offset {c * std::sin(m_yaw), std::sin(m_pitch), c * std::cos(m_yaw)};
    return m_target + m_distance * offset;
}

void Camera::setDistance(float distance)
{
    m_distance = std::clamp(distance, MinDistance, MaxDistance);
}

void Camera::setAngles(float yaw, float pitch)
{
    m_yaw = std::remainder(yaw, glm::two_pi<float>());
    m_pitch = std::clamp(pitch, -MaxPitch, MaxPitch);
}

void Camera::pan(glm::vec2 deltaPixels, float viewportHeight)
{
    if (viewportHeight <= 0.0f)
        return;
    // World units per pixel in the plane through the target, facing the camera.
    const float unitsPerPixel = 2.0f * m_distance * std::tan(m_fovY * 0.5f) / viewportHeight;
    const glm::mat4 v = glm::lookAt(eyePosition(), m_target, glm::vec3(0, 1, 0));
    const glm::vec3 right {v[0][0], v[1][0], v[2][0]};
    const glm::vec3 up {v[0][1], v[1][1], v[2][1]};
    // Dragging right moves the scene right: the camera goes left.
    m_target += unitsPerPixel * (-deltaPixels.x * right + deltaPixels.y * up);
}

void Camera::frame(const Sphere& bounds, float aspect)
{
    const float radius = std::max(bounds.radius, 1e-3f);
    const float halfY = m_fovY * 0.5f;
    const float halfX = std::atan(std::tan(halfY) * std::max(aspect, 1e-3f));
    const float half = std::min(halfX, halfY);
    m_target = bounds.center;
    setSceneRadius(radius);
    setDistance(FrameMargin * radius / std::sin(half));
}

glm::vec3 Camera::forward() const
{
    return glm::normalize(m_target - eyePosition());
}

glm::vec3 Camera::right() const
{
    // Yaw alone decides it (the view never rolls): +x at yaw 0.
    return {std::cos(m_yaw), 0.0f, -std::sin(m_yaw)};
}

glm::vec3 Camera::up() const
{
    return glm::cross(right(), forward());
}

void Camera::fly(glm::vec3 delta)
{
    m_target += delta.x * right() + delta.y * up() + delta.z * forward();
}

void Camera::look(float deltaYaw, float deltaPitch)
{
    // The eye looks along -offset: turning the eye's view by (dyaw, dpitch) turns the
    // offset by the same yaw and the opposite pitch.
    const glm::vec3 eye = eyePosition();
    setAngles(m_yaw + deltaYaw, m_pitch - deltaPitch);
    m_target = eye - (eyePosition() - m_target);
}

void Camera::lookFrom(glm::vec3 eye, glm::vec3 target)
{
    const glm::vec3 offset = eye - target;
    const float length = glm::length(offset);
    m_target = target;
    setDistance(length);
    if (length > 0.0f) {
        const float pitch = std::asin(std::clamp(offset.y / length, -1.0f, 1.0f));
        const float yaw = std::atan2(offset.x, offset.z);
        setAngles(yaw, pitch);
    }
}

float Camera::farPlane() const
{
    return m_distance + 2.0f * m_sceneRadius;
}

float Camera::nearPlane() const
{
    // A 1:10^4 range keeps enough precision in a 24-bit depth buffer; closer than half
    // the distance to the target is never needed to see the target.
    return std::min(farPlane() * 1e-4f, m_distance * 0.5f);
}

View Camera::view(float aspect) const
{
    View v;
    v.view = glm::lookAt(eyePosition(), m_target, glm::vec3(0, 1, 0));
    v.projection = glm::perspective(m_fovY, std::max(aspect, 1e-3f), nearPlane(), farPlane());
    return v;
}

} // namespace constellate::render
