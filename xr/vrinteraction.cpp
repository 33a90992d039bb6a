#include "vrinteraction.h"

#include <glm/gtc/matrix_transform.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace constellate::xr {

namespace {

constexpr float SqueezePress = 0.6f;
constexpr float SqueezeRelease = 0.4f;
constexpr float TriggerPress = 0.7f;
constexpr float TriggerRelease = 0.3f;
constexpr float MinScale = 1e-4f;
constexpr float MaxScale = 1e6f;

/// Press and release at different levels, so a value near one of them does not flicker.
bool hysteresis(bool was, float value, float press, float release)
{
    return was ? value > release : value >= press;
}

float deadzone(float v)
{
    const float a = std::abs(v);
    if (a < VrInteraction::Deadzone)
        return 0.0f;
    return std::copysign((a - VrInteraction::Deadzone) / (1.0f - VrInteraction::Deadzone), v);
}

} // namespace

glm::mat4 VrInteraction::graphFromGrip(const Pose& grip) const
{
    return m_placement.matrix() * grip.matrix();
}

std::optional<EntityId> VrInteraction::nearestNode(const render::RenderScene& scene, glm::vec3 point,
                                                   std::size_t hand) const
{
    const float reach = ReachMetres * m_placement.scale;
    const auto nodes = scene.nodes();
    const auto ids = scene.nodeIds();
    std::optional<EntityId> best;
    float bestGap = std::numeric_limits<float>::max();
    const std::optional<Grab>& other = m_grabs[1 - hand];
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (other && other->node == ids[i])
            continue; // one node, one hand
        const float gap = glm::distance(nodes[i].position, point) - nodes[i].radius;
        if (gap <= reach && gap < bestGap) {
            bestGap = gap;
            best = ids[i];
        }
    }
    return best;
}

void VrInteraction::update(const Input& input, render::RenderScene& scene, render::PickGrid& pick,
                           std::vector<VrEvent>& events)
{
    // The room moves first, so that grabs and rays this frame are in the new placement.
    moveRoom(input);

    const bool holding = m_grabs[0] || m_grabs[1];
    if (!holding)
        pick.update(scene);

    for (std::size_t h = 0; h < 2; ++h) {
        const HandInput& in = input.hands[h];
        const Hand hand = Hand(h);

        // Grab: squeeze near a node; move it while held; release commits it.
        const bool squeezing = hysteresis(m_squeezing[h], in.squeeze, SqueezePress, SqueezeRelease);
        if (squeezing && !m_squeezing[h] && in.grip && m_editable && !m_grabs[h]) {
            const glm::vec3 at = m_placement.toGraph(in.grip->position);
            if (const auto node = nearestNode(scene, at, h)) {
                const std::int64_t i = scene.nodeIndex(*node);
                const glm::vec3 position = scene.nodes()[std::size_t(i)].position;
                const glm::vec3 offset = glm::vec3(glm::inverse(graphFromGrip(*in.grip)) * glm::vec4(position, 1.0f));
                m_grabs[h] = Grab {*node, offset, position};
                events.push_back({VrEvent::Kind::GrabStarted, hand, *node, position});
            }
        }
        if (m_grabs[h] && in.grip) {
            Grab& g = *m_grabs[h];
            const glm::vec3 now = glm::vec3(graphFromGrip(*in.grip) * glm::vec4(g.offset, 1.0f));
            if (now != g.position) {
                g.position = now;
                const std::pair<EntityId, glm::vec3> moved {g.node, now};
                scene.overridePositions(std::span(&moved, 1));
                events.push_back({VrEvent::Kind::GrabMoved, hand, g.node, now});
            }
        }
        if (!squeezing && m_grabs[h]) {
            events.push_back({VrEvent::Kind::GrabEnded, hand, m_grabs[h]->node, m_grabs[h]->position});
            m_grabs[h].reset();
        }
        m_squeezing[h] = squeezing;

        // Point: the aim ray's first node.
        m_hover[h].reset();
        if (in.aim) {
            render::Ray ray;
            ray.origin = m_placement.toGraph(in.aim->position);
            ray.direction = glm::normalize(m_placement.directionToGraph(in.aim->orientation * glm::vec3(0, 0, -1)));
            if (const auto hit = pick.pick(ray); hit && hit->index < scene.nodeIds().size())
                m_hover[h] = scene.nodeIds()[hit->index];
        }
        const bool triggering = hysteresis(m_triggering[h], in.trigger, TriggerPress, TriggerRelease);
        if (triggering && !m_triggering[h] && in.aim)
            events.push_back({VrEvent::Kind::Select, hand, m_hover[h].value_or(EntityId {}), glm::vec3(0.0f), false});
        m_triggering[h] = triggering;

        // Buttons, on their press.
        if (in.primary && !m_primary[h]) {
            if (hand == Hand::Right && m_hover[h])
                events.push_back({VrEvent::Kind::Select, hand, *m_hover[h], glm::vec3(0.0f), true});
            else if (hand == Hand::Left)
                events.push_back({VrEvent::Kind::Command, hand, {}, glm::vec3(0.0f), false, VrCommand::ToggleLabels});
        }
        if (in.secondary && !m_secondary[h])
            events.push_back({VrEvent::Kind::Command, hand, {}, glm::vec3(0.0f), false,
                              hand == Hand::Right ? VrCommand::Undo : VrCommand::Redo});
        m_primary[h] = in.primary;
        m_secondary[h] = in.secondary;
    }
}

void VrInteraction::moveRoom(const Input& input)
{
    if (input.seconds <= 0.0f || !input.head)
        return;
    const float dt = std::min(input.seconds, 0.1f); // a stall must not throw the user across the graph
    // Left thumbstick: fly where the head looks (up: forward), sideways with x.
    const glm::vec2 fly {deadzone(input.hands[0].thumbstick.x), deadzone(input.hands[0].thumbstick.y)};
    if (fly != glm::vec2(0.0f)) {
        const glm::vec3 forward = input.head->orientation * glm::vec3(0, 0, -1);
        const glm::vec3 right = input.head->orientation * glm::vec3(1, 0, 0);
        const glm::vec3 step = (forward * fly.y + right * fly.x) * (FlyMetresPerSecond * dt);
        m_placement.translation += m_placement.rotation * (m_placement.scale * step);
    }
    // Right thumbstick: x turns about the head (right turns right), y grows the graph
    // around the right hand (or the head), as if the user were shrinking.
    const glm::vec2 turnScale {deadzone(input.hands[1].thumbstick.x), deadzone(input.hands[1].thumbstick.y)};
    if (turnScale.x != 0.0f) {
        const glm::quat turn = glm::angleAxis(-turnScale.x * TurnRadiansPerSecond * dt, glm::vec3(0, 1, 0));
        m_placement = m_placement.about(input.head->position, turn, 1.0f);
    }
    if (turnScale.y != 0.0f) {
        const glm::vec3 pivot = input.hands[1].grip ? input.hands[1].grip->position : input.head->position;
        float factor = std::exp2(-turnScale.y * ScaleDoublingsPerSecond * dt);
        factor = std::clamp(m_placement.scale * factor, MinScale, MaxScale) / m_placement.scale;
        m_placement = m_placement.about(pivot, glm::quat(1, 0, 0, 0), factor);
    }
}

void VrInteraction::sceneChanged(render::RenderScene& scene, std::vector<VrEvent>& events)
{
    for (std::size_t h = 0; h < 2; ++h) {
        if (!m_grabs[h])
            continue;
        if (scene.nodeIndex(m_grabs[h]->node) < 0) {
            events.push_back({VrEvent::Kind::GrabCancelled, Hand(h), m_grabs[h]->node, m_grabs[h]->position});
            m_grabs[h].reset();
            continue;
        }
        const std::pair<EntityId, glm::vec3> held {m_grabs[h]->node, m_grabs[h]->position};
        scene.overridePositions(std::span(&held, 1));
    }
}

void VrInteraction::setEditable(bool editable, std::vector<VrEvent>& events)
{
    m_editable = editable;
    if (editable)
        return;
    for (std::size_t h = 0; h < 2; ++h) {
        if (m_grabs[h])
            events.push_back({VrEvent::Kind::GrabCancelled, Hand(h), m_grabs[h]->node, m_grabs[h]->position});
        m_grabs[h].reset();
    }
}

std::optional<EntityId> VrInteraction::hovered() const
{
    return m_hover[1] ? m_hover[1] : m_hover[0];
}

std::optional<EntityId> VrInteraction::held(Hand hand) const
{
    const auto& g = m_grabs[std::size_t(hand)];
    return g ? std::optional<EntityId>(g->node) : std::nullopt;
}

} // namespace constellate::xr
