#pragma once

// Plain data that crosses between the XR thread and its caller: poses, the placement of
// the user's room in the graph, input events, what to draw over the scene.

#include "avatar.h"
#include "geometry.h"
#include "highlights.h"
#include "labellayout.h"
#include "types.h"

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace constellate::xr {

/// A position and an orientation as OpenXR gives them (metres; the head looks and a hand
/// points along its -z, +y up).
struct Pose {
    glm::vec3 position {0.0f};
    glm::quat orientation {1.0f, 0.0f, 0.0f, 0.0f};
    /// The pose as a matrix (rotation, then translation).
    glm::mat4 matrix() const;
    friend bool operator==(const Pose&, const Pose&) = default;
};

enum class Hand : std::uint8_t { Left = 0, Right = 1 };

/// Where the user's room (the tracking space, metres) lies in the graph: the room's point
/// p is the graph's point translation + rotation * (scale * p). Flying moves it, turning
/// rotates it, scaling the graph changes `scale` (graph units per metre). The same
/// transform as the protocol's Placement, which tells the others.
struct Placement {
    float scale = 1.0f;
    glm::vec3 translation {0.0f};
    glm::quat rotation {1.0f, 0.0f, 0.0f, 0.0f};

    glm::vec3 toGraph(glm::vec3 roomPoint) const { return translation + rotation * (scale * roomPoint); }
    /// A room pose in the graph: rigid (the scale moves the position, not the frame).
    Pose toGraph(const Pose& roomPose) const;
    glm::vec3 directionToGraph(glm::vec3 roomDirection) const { return rotation * roomDirection; }
    /// The room-to-graph matrix (scale included).
    glm::mat4 matrix() const;
    /// The same placement after turning the room by `turn` and scaling it by `factor` about
    /// the room point `pivot`, which stays where it was in the graph (a thumbstick turn,
    /// or growing the graph around a hand).
    Placement about(glm::vec3 pivot, glm::quat turn, float factor) const;
    /// The graph inside `bounds` in front of a standing user: its centre 1 m ahead at 1.2 m
    /// high, its radius 0.6 m (an empty graph: one graph unit per metre around that point).
    static Placement facing(const render::Sphere& bounds);
    friend bool operator==(const Placement&, const Placement&) = default;
};

/// One frame's poses in the room (the STAGE space, or LOCAL where the runtime has no
/// stage), and the room's placement in the graph at that frame.
struct TrackedPoses {
    std::uint64_t frame = 0;       ///< the session's frame count
    std::int64_t displayTime = 0;  ///< the XrTime they were located for (the frame's predicted display time)
    std::int64_t sampledAtNs = 0;  ///< when they were located: std::chrono::steady_clock, nanoseconds
    std::optional<Pose> head;
    std::optional<Pose> left;      ///< grip poses (where the hand holds), while tracked
    std::optional<Pose> right;
    Placement placement;
    bool stage = true;             ///< false: located in LOCAL (no stage)
};

/// What one hand does in a frame, in the room (metres): a controller's, or a tracked hand's
/// (XR_EXT_hand_tracking) where the controller is not tracked.
struct HandInput {
    std::optional<Pose> grip; ///< where the hand holds: grabs, and the hand others see
    std::optional<Pose> aim;  ///< where it points: the selection ray (along -z)
    float squeeze = 0.0f;     ///< 0..1; a pinch is 0 or 1
    float trigger = 0.0f;     ///< 0..1
    glm::vec2 thumbstick {0.0f};
    bool primary = false;     ///< A (right hand) or X (left)
    bool secondary = false;   ///< B (right hand) or Y (left)
    bool trackedHand = false; ///< from hand tracking, not a controller
};

/// A VR session as its caller sees it: Off, then Starting (instance, system, session being
/// made on the XR thread), then OpenXR's session states, and Ending while it is torn down.
enum class VrState { Off, Starting, Idle, Ready, Synchronized, Visible, Focused, Stopping, Ending };
const char* stateName(VrState state);

/// Buttons that ask the editor for something.
enum class VrCommand : std::uint8_t {
    Undo,         ///< B
    Redo,         ///< Y
    ToggleLabels, ///< X
};

/// What the user did with their hands, in graph terms (ids and graph positions).
struct VrEvent {
    enum class Kind : std::uint8_t {
        GrabStarted,   ///< squeeze (or pinch) took `node`
        GrabMoved,     ///< the held node is at `position` now
        GrabEnded,     ///< released at `position`: commit it
        GrabCancelled, ///< the node went away (or editing was turned off) while held
        Select,        ///< the trigger on `node` (null: on nothing); `add` for A (toggle)
        Command,
    };
    Kind kind = Kind::Select;
    Hand hand = Hand::Right;
    EntityId node;
    glm::vec3 position {0.0f};
    bool add = false;
    VrCommand command = VrCommand::Undo;
};

/// What the headset draws over the scene: the local selection and others' (the hover is
/// the headset's own: where the aim ray points), the other people, their nameplates.
struct VrOverlay {
    render::Highlights highlights;
    std::vector<render::Avatar> avatars;
    std::vector<render::TextItem> textItems;
    bool nodeLabels = true;
};

/// The XR thread's cost of one frame (from xrWaitFrame's return to xrEndFrame's return).
struct FrameTiming {
    double cpuMs = 0;       ///< CPU time of the XR thread (the GPU's and the driver's threads excluded)
    double renderCpuMs = 0; ///< of which in the renderer's upload and draw calls (GL command submission)
    double wallMs = 0;      ///< elapsed time (includes waiting for swapchain images)
    bool rendered = false;
};

} // namespace constellate::xr
