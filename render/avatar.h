#pragma once

#include "renderscene.h"
#include "types.h"

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

#include <optional>
#include <span>
#include <vector>

namespace constellate::render {

/// Another user as drawn in the scene: a desktop user's 3D cursor (a sphere in their
/// colour), or a VR user's head (a sphere in their colour with a dark visor on the side
/// they face) and hands (the left red, the right blue, each a short tapering pointer of
/// three spheres along where the hand points). All positions in world units.
///
/// Sizes are in avatar units times `scale` world units: for a VR user, scale is world
/// units per metre of their tracking space (a head is 0.12 m in radius); for a desktop
/// cursor the caller picks it from the scene (e.g. the median node size: then the cursor
/// is a quarter of a node across), so it is in proportion with what it points at, hides
/// and is hidden by nodes by depth, and looks the same in both of a headset's eyes.
struct Avatar {
    Rgba color = 0xffffffff;
    std::optional<glm::vec3> cursor; ///< a desktop user's 3D cursor
    /// Orientation as OpenXR gives it: the head looks, and a hand points, along its -z.
    struct Pose {
        glm::vec3 position {0.0f};
        glm::quat orientation {1.0f, 0.0f, 0.0f, 0.0f};
    };
    std::optional<Pose> head;
    std::optional<Pose> leftHand;
    std::optional<Pose> rightHand;
    float scale = 1.0f;

    static constexpr float CursorRadius = 0.25f;
    static constexpr float HeadRadius = 0.12f;
    static constexpr float HandRadius = 0.045f;
    static constexpr Rgba LeftHandColor = 0xe02020ff; ///< red
    static constexpr Rgba RightHandColor = 0x2050e8ff; ///< blue
    static constexpr Rgba VisorColor = 0x181818ff;

    /// Where this user's nameplate goes (world units): just above the head, else above
    /// the cursor; nullopt when neither is known.
    std::optional<glm::vec3> nameplateAnchor() const;
};

/// The spheres that draw the avatars (drawn by the node program from their own buffer).
std::vector<NodeInstance> avatarInstances(std::span<const Avatar> avatars);

} // namespace constellate::render
