#pragma once

// VR presence on the wire: head and hands quantized to 31 bytes (docs/protocol.md,
// "VR_PRESENCE"). Positions become 16-bit millimetres, orientations smallest-three.

#include "types.h"

#include <array>
#include <cstdint>
#include <optional>

namespace constellate::net::protocol {

/// A rotation as a unit quaternion (x, y, z, w); w = 1 is no rotation.
struct Quat {
    float x = 0, y = 0, z = 0, w = 1;
    friend constexpr bool operator==(const Quat&, const Quat&) = default;
};

/// A position and an orientation.
struct Pose {
    Vec3 position;
    Quat orientation;
};

/// Head and hands of a VR user, in the user's physical room (tracking) space, metres,
/// relative to the room's origin. Receivers place it in the graph with the sender's
/// placement from PRESENCE_STATUS. A hand is absent while it is not tracked.
struct VrPose {
    Pose head;
    std::optional<Pose> left;
    std::optional<Pose> right;
};

/// A position in whole millimetres (head: from the room's origin; hands: from the head).
using PackedPosition = std::array<std::int16_t, 3>;

/// Smallest three: the index (0 x, 1 y, 2 z, 3 w) of the largest component, made positive
/// and left out, and the other three, each as one of RotationLevels levels over
/// [-1/sqrt 2, 1/sqrt 2], packed as (a * RotationLevels + b) * RotationLevels + c.
struct PackedRotation {
    std::uint8_t largest = 3;
    std::uint32_t bits = 0;
    friend constexpr bool operator==(const PackedRotation&, const PackedRotation&) = default;
};

/// The levels per component: the most whose cube fits 32 bits (1625^3 < 2^32), an odd
/// number so that 0 is exact (level 812).
constexpr std::uint32_t RotationLevels = 1625;
constexpr std::uint64_t RotationBitsLimit = std::uint64_t(RotationLevels) * RotationLevels * RotationLevels;

struct PackedPose {
    PackedPosition position;
    PackedRotation rotation;
    friend constexpr bool operator==(const PackedPose&, const PackedPose&) = default;
};

/// A VR pose as it travels: the head from the room's origin, the hands from the head as
/// decoded (so their error is no larger than the head's).
struct PackedVrPose {
    PackedPose head;
    std::optional<PackedPose> left;
    std::optional<PackedPose> right;
    friend constexpr bool operator==(const PackedVrPose&, const PackedVrPose&) = default;
};

/// Worst-case errors of a pack/unpack round trip (within range; positions further than
/// 32.767 m from their reference are clamped). Derived in docs/protocol.md and asserted by
/// tests/net/test_presence.cpp.
constexpr double MaxPositionErrorMetres = 0.0005;
/// The first-order bound is 4 * sqrt(3) * e = 0.1728 degrees, with e = sqrt(2) / (2 *
/// (RotationLevels - 1)) half a level; this leaves room for second-order terms and float32.
constexpr double MaxRotationErrorDegrees = 0.175;

/// Non-finite input becomes the origin / no rotation; a quaternion need not be normalized.
PackedRotation packRotation(Quat q);
/// Nullopt when the bits are out of range (a level past the last, or components whose
/// squares add up to more than 1): such a message is malformed.
std::optional<Quat> unpackRotation(PackedRotation p);
PackedPosition packMillimetres(Vec3 metres);
Vec3 unpackMillimetres(const PackedPosition& mm);

PackedVrPose packVrPose(const VrPose& pose);
/// Nullopt when a rotation does not unpack.
std::optional<VrPose> unpackVrPose(const PackedVrPose& packed);

/// The angle in degrees of the rotation that takes a to b (0 to 180).
double rotationAngleDegrees(Quat a, Quat b);

} // namespace constellate::net::protocol
