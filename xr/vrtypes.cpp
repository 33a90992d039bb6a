#include "vrtypes.h"

#include <glm/gtc/matrix_transform.hpp>

namespace constellate::xr {

glm::mat4 Pose::matrix() const
{
    return glm::translate(glm::mat4(1.0f), position) * glm::mat4_cast(orientation);
}

Pose Placement::toGraph(const Pose& roomPose) const
{
    return {toGraph(roomPose.position), glm::normalize(rotation * roomPose.orientation)};
}

glm::mat4 Placement::matrix() const
{
    return glm::translate(glm::mat4(1.0f), translation) * glm::mat4_cast(rotation)
        * glm::scale(glm::mat4(1.0f), glm::vec3(scale));
}

Placement Placement::about(glm::vec3 pivot, glm::quat turn, float factor) const
{
    // graph'(p) = graph(pivot + factor * turn * (p - pivot)): the pivot keeps its place.
    Placement p;
    p.scale = scale * factor;
    p.rotation = glm::normalize(rotation * turn);
    p.translation = translation + rotation * (scale * pivot) - p.rotation * (p.scale * pivot);
    return p;
}

Placement Placement::facing(const render::Sphere& bounds)
{
    constexpr glm::vec3 Front {0.0f, 1.2f, -1.0f};
    constexpr float Radius = 0.6f;
    Placement p;
    p.scale = bounds.radius > 0.0f ? bounds.radius / Radius : 1.0f;
    p.translation = bounds.center - p.scale * Front;
    return p;
}

const char* stateName(VrState state)
{
    switch (state) {
    case VrState::Off: return "off";
    case VrState::Starting: return "starting";
    case VrState::Idle: return "idle";
    case VrState::Ready: return "ready";
    case VrState::Synchronized: return "synchronized";
    case VrState::Visible: return "visible";
    case VrState::Focused: return "focused";
    case VrState::Stopping: return "stopping";
    case VrState::Ending: return "ending";
    }
    return "?";
}

} // namespace constellate::xr
