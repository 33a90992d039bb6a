#include "avatar.h"

namespace constellate::render {

namespace {
NodeInstance sphere(glm::vec3 position, float radius, Rgba color)
{
    NodeInstance n {};
    n.position = position;
    n.radius = radius;
    unpackColor(color, n.color);
    return n;
}

glm::vec3 forwardOf(const Avatar::Pose& pose)
{
    return glm::normalize(pose.orientation * glm::vec3(0.0f, 0.0f, -1.0f));
}

void addHand(std::vector<NodeInstance>& out, const Avatar::Pose& hand, float scale, Rgba color)
{
    // Tapering towards where the hand points, so its direction reads at a glance.
    const glm::vec3 f = forwardOf(hand);
    out.push_back(sphere(hand.position, Avatar::HandRadius * scale, color));
    out.push_back(sphere(hand.position + 0.06f * scale * f, 0.7f * Avatar::HandRadius * scale, color));
    out.push_back(sphere(hand.position + 0.10f * scale * f, 0.45f * Avatar::HandRadius * scale, color));
}
} // namespace

std::optional<glm::vec3> Avatar::nameplateAnchor() const
{
    if (head)
        return head->position + glm::vec3(0.0f, 1.8f * HeadRadius * scale, 0.0f);
    if (cursor)
        return *cursor + glm::vec3(0.0f, 2.0f * CursorRadius * scale, 0.0f);
    return std::nullopt;
}

std::vector<NodeInstance> avatarInstances(std::span<const Avatar> avatars)
{
    std::vector<NodeInstance> out;
    for (const Avatar& a : avatars) {
        if (a.cursor)
            out.push_back(sphere(*a.cursor, Avatar::CursorRadius * a.scale, a.color));
        if (a.head) {
            out.push_back(sphere(a.head->position, Avatar::HeadRadius * a.scale, a.color));
            // The visor sticks out of the face: which way they look.
            const glm::vec3 visor = a.head->position + 0.07f * a.scale * forwardOf(*a.head);
            out.push_back(sphere(visor, 0.6f * Avatar::HeadRadius * a.scale, Avatar::VisorColor));
        }
        if (a.leftHand)
            addHand(out, *a.leftHand, a.scale, Avatar::LeftHandColor);
        if (a.rightHand)
            addHand(out, *a.rightHand, a.scale, Avatar::RightHandColor);
    }
    return out;
}

} // namespace constellate::render
