#pragma once

#include "pickgrid.h"
#include "renderscene.h"
#include "vrtypes.h"

#include <array>
#include <optional>
#include <vector>

namespace constellate::xr {

/// What the hands do to the graph, frame by frame: squeeze (or pinch) near a node to grab it
/// and move it (it keeps its place in the hand: the offset inverse(grip) * node is taken at
/// the grab), point with the aim ray and pull the trigger to select (A adds or removes), fly
/// with the left thumbstick, turn and scale the graph with the right one, B undo, Y redo,
/// X labels. Pure logic on poses and a RenderScene: no XR calls, no GL (tested on its own).
///
/// Held nodes are drawn where the hand has them (RenderScene::overridePositions).
class VrInteraction {
public:
    struct Input {
        std::array<HandInput, 2> hands; ///< 0 left, 1 right
        std::optional<Pose> head;
        float seconds = 0.0f;           ///< since the last frame
    };

    /// One frame: events are appended to `events`; `pick` is brought up to date with the
    /// scene (except while a node is held: the grid of the frame the grab began serves).
    void update(const Input& input, render::RenderScene& scene, render::PickGrid& pick, std::vector<VrEvent>& events);
    /// The scene was replaced or moved (news from the document): held nodes are drawn in the
    /// hand again, and a grab of a node that is gone is cancelled.
    void sceneChanged(render::RenderScene& scene, std::vector<VrEvent>& events);
    /// Off: held nodes are let go (cancelled) and nothing more is grabbed.
    void setEditable(bool editable, std::vector<VrEvent>& events);

    const Placement& placement() const { return m_placement; }
    void setPlacement(const Placement& placement) { m_placement = placement; }
    /// The node the aim ray of either hand points at (the right hand's first).
    std::optional<EntityId> hovered() const;
    std::optional<EntityId> held(Hand hand) const;

    /// A squeeze takes the nearest node whose surface is within this reach of the hand.
    static constexpr float ReachMetres = 0.08f;
    /// Flying speed along the head's gaze at full thumbstick.
    static constexpr float FlyMetresPerSecond = 1.5f;
    static constexpr float TurnRadiansPerSecond = 1.5f;
    /// At full thumbstick the graph doubles (or halves) in size per second.
    static constexpr float ScaleDoublingsPerSecond = 1.0f;
    static constexpr float Deadzone = 0.15f;

private:
    struct Grab {
        EntityId node;
        glm::vec3 offset {0.0f}; ///< the node in the grip's frame (metres): inverse(grip) * node
        glm::vec3 position {0.0f};
    };

    glm::mat4 graphFromGrip(const Pose& grip) const;
    std::optional<EntityId> nearestNode(const render::RenderScene& scene, glm::vec3 point, std::size_t hand) const;
    void moveRoom(const Input& input);

    Placement m_placement;
    bool m_editable = true;
    std::array<std::optional<Grab>, 2> m_grabs;
    std::array<bool, 2> m_squeezing {false, false};
    std::array<bool, 2> m_triggering {false, false};
    std::array<bool, 2> m_primary {false, false};
    std::array<bool, 2> m_secondary {false, false};
    std::array<std::optional<EntityId>, 2> m_hover;
};

} // namespace constellate::xr
