#include "view.h"

namespace constellate::render {

glm::vec3 View::eyePosition() const
{
    return glm::vec3(glm::inverse(view)[3]);
}

glm::vec2 View::pixelToNdc(glm::vec2 pixel, glm::vec2 viewportSize)
{
    return {2.0f * pixel.x / viewportSize.x - 1.0f, 1.0f - 2.0f * pixel.y / viewportSize.y};
}

glm::vec3 View::project(glm::vec3 world, glm::vec2 viewportSize) const
{
    const glm::vec4 clip = projection * view * glm::vec4(world, 1.0f);
    const glm::vec3 ndc = glm::vec3(clip) / clip.w;
    return {(ndc.x + 1.0f) * 0.5f * viewportSize.x, (1.0f - ndc.y) * 0.5f * viewportSize.y, ndc.z};
}

Ray View::rayThroughNdc(glm::vec2 ndc) const
{
    // In eye space first, then to the world by the (rigid) inverse view: inverting the
    // whole view-projection loses precision towards the far plane.
    glm::vec4 nearPoint = glm::inverse(projection) * glm::vec4(ndc, -1.0f, 1.0f);
    const glm::vec3 eyeNear = glm::vec3(nearPoint) / nearPoint.w;
    const bool orthographic = projection[3][3] != 0.0f;
    const glm::vec3 eyeDirection = orthographic ? glm::vec3(0.0f, 0.0f, -1.0f) : glm::normalize(eyeNear);
    const glm::mat4 toWorld = glm::inverse(view);
    return {glm::vec3(toWorld * glm::vec4(eyeNear, 1.0f)),
            glm::normalize(glm::vec3(toWorld * glm::vec4(eyeDirection, 0.0f)))};
}

} // namespace constellate::render
