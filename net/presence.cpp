#include "presence.h"

#include <algorithm>
#include <cmath>

namespace constellate::net::protocol {

namespace {

constexpr double HalfSqrt2 = 0.70710678118654752440; // the largest a non-largest component can be
constexpr double LevelSpan = double(RotationLevels - 1);

std::int16_t toMillimetres(double metres)
{
    if (!std::isfinite(metres))
        return 0;
    const double mm = std::round(metres * 1000.0);
    return std::int16_t(std::clamp(mm, -32767.0, 32767.0));
}

std::uint32_t toLevel(double component)
{
    const double level = std::round((component + HalfSqrt2) / (2 * HalfSqrt2) * LevelSpan);
    return std::uint32_t(std::clamp(level, 0.0, LevelSpan));
}

double fromLevel(std::uint32_t level)
{
    return double(level) / LevelSpan * (2 * HalfSqrt2) - HalfSqrt2;
}

} // namespace

PackedRotation packRotation(Quat q)
{
    double c[4] = {q.x, q.y, q.z, q.w};
    double norm = 0;
    for (double v : c)
        norm += v * v;
    norm = std::sqrt(norm);
    if (!std::isfinite(norm) || norm < 1e-12) {
        c[0] = c[1] = c[2] = 0;
        c[3] = 1;
        norm = 1;
    }
    int largest = 0;
    for (int i = 1; i < 4; ++i)
        if (std::fabs(c[i]) > std::fabs(c[largest]))
            largest = i;
    // q and -q are the same rotation: make the left-out component positive.
    const double sign = c[largest] < 0 ? -1.0 : 1.0;
    std::uint64_t bits = 0;
    for (int i = 0; i < 4; ++i) {
        if (i != largest)
            bits = bits * RotationLevels + toLevel(sign * c[i] / norm);
    }
    return {std::uint8_t(largest), std::uint32_t(bits)};
}

std::optional<Quat> unpackRotation(PackedRotation p)
{
    if (p.largest > 3 || p.bits >= RotationBitsLimit)
        return std::nullopt;
    std::uint32_t bits = p.bits;
    double small[3];
    for (int i = 2; i >= 0; --i) {
        small[i] = fromLevel(bits % RotationLevels);
        bits /= RotationLevels;
    }
    const double sum = small[0] * small[0] + small[1] * small[1] + small[2] * small[2];
    if (sum > 1.0)
        return std::nullopt;
    double c[4];
    for (int i = 0, k = 0; i < 4; ++i)
        c[i] = i == p.largest ? std::sqrt(1.0 - sum) : small[k++];
    return Quat {float(c[0]), float(c[1]), float(c[2]), float(c[3])};
}

PackedPosition packMillimetres(Vec3 metres)
{
    return {toMillimetres(metres.x), toMillimetres(metres.y), toMillimetres(metres.z)};
}

Vec3 unpackMillimetres(const PackedPosition& mm)
{
    return {float(mm[0] / 1000.0), float(mm[1] / 1000.0), float(mm[2] / 1000.0)};
}

PackedVrPose packVrPose(const VrPose& pose)
{
    PackedVrPose out;
    out.head = {packMillimetres(pose.head.position), packRotation(pose.head.orientation)};
    // Hands are packed relative to the head as the receiver will decode it, so that the
    // head's rounding does not add to theirs.
    const PackedPosition& head = out.head.position;
    auto hand = [&](const Pose& p) {
        const Vec3 v = p.position;
        const PackedPosition offset {toMillimetres(double(v.x) - head[0] / 1000.0),
                                     toMillimetres(double(v.y) - head[1] / 1000.0),
                                     toMillimetres(double(v.z) - head[2] / 1000.0)};
        return PackedPose {offset, packRotation(p.orientation)};
    };
    if (pose.left)
        out.left = hand(*pose.left);
    if (pose.right)
        out.right = hand(*pose.right);
    return out;
}

std::optional<VrPose> unpackVrPose(const PackedVrPose& packed)
{
    VrPose out;
    const std::optional<Quat> head = unpackRotation(packed.head.rotation);
    if (!head)
        return std::nullopt;
    out.head = {unpackMillimetres(packed.head.position), *head};
    const PackedPosition& h = packed.head.position;
    auto hand = [&](const PackedPose& p) -> std::optional<Pose> {
        const std::optional<Quat> q = unpackRotation(p.rotation);
        if (!q)
            return std::nullopt;
        const Vec3 position {float((h[0] + p.position[0]) / 1000.0), float((h[1] + p.position[1]) / 1000.0),
                             float((h[2] + p.position[2]) / 1000.0)};
        return Pose {position, *q};
    };
    if (packed.left) {
        out.left = hand(*packed.left);
        if (!out.left)
            return std::nullopt;
    }
    if (packed.right) {
        out.right = hand(*packed.right);
        if (!out.right)
            return std::nullopt;
    }
    return out;
}

double rotationAngleDegrees(Quat a, Quat b)
{
    const double na = std::sqrt(double(a.x) * a.x + double(a.y) * a.y + double(a.z) * a.z + double(a.w) * a.w);
    const double nb = std::sqrt(double(b.x) * b.x + double(b.y) * b.y + double(b.z) * b.z + double(b.w) * b.w);
    if (!(na > 0) || !(nb > 0))
        return 180.0;
    // |a - b| is exact where acos(dot) loses precision at small angles: 4 asin(|a - b| / 2).
    double sign = double(a.x) * b.x + double(a.y) * b.y + double(a.z) * b.z + double(a.w) * b.w < 0 ? -1.0 : 1.0;
    const double dx = a.x / na - sign * b.x / nb, dy = a.y / na - sign * b.y / nb;
    const double dz = a.z / na - sign * b.z / nb, dw = a.w / na - sign * b.w / nb;
    const double chord = std::min(std::sqrt(dx * dx + dy * dy + dz * dz + dw * dw), std::sqrt(2.0));
    return 4.0 * std::asin(chord / 2.0) * 180.0 / 3.14159265358979323846;
}

} // namespace constellate::net::protocol
