#include "remotepresence.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace constellate::net {

using protocol::Pose;
using protocol::Quat;
using protocol::VrPose;

namespace {

/// Samples kept per peer: a second of history is far more than the delay needs.
constexpr std::int64_t KeepMs = 1000;
constexpr std::size_t MinKept = 2;
/// A pause longer than this between two samples is not spread over the pause: the move
/// to the next sample takes this long (at most), as if it had just started.
constexpr std::int64_t MaxSegmentMs = 100;

Quat normalized(Quat q)
{
    const float n = std::sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w);
    if (!(n > 0) || !std::isfinite(n))
        return Quat {};
    return Quat {q.x / n, q.y / n, q.z / n, q.w / n};
}

Vec3 rotate(Quat q, Vec3 v)
{
    // v' = v + 2w (u x v) + 2 u x (u x v), u the vector part.
    const Vec3 u {q.x, q.y, q.z};
    auto cross = [](Vec3 a, Vec3 b) { return Vec3 {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x}; };
    const Vec3 t = cross(u, v);
    const Vec3 t2 {2 * t.x, 2 * t.y, 2 * t.z};
    const Vec3 c = cross(u, t2);
    return Vec3 {v.x + q.w * t2.x + c.x, v.y + q.w * t2.y + c.y, v.z + q.w * t2.z + c.z};
}

Quat multiply(Quat a, Quat b)
{
    return Quat {a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y, a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
                 a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w, a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z};
}

} // namespace

std::int64_t RemotePresence::nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Vec3 RemotePresence::lerp(Vec3 a, Vec3 b, float t)
{
    return Vec3 {a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, a.z + (b.z - a.z) * t};
}

Quat RemotePresence::slerp(Quat a, Quat b, float t)
{
    a = normalized(a);
    b = normalized(b);
    double dot = double(a.x) * b.x + double(a.y) * b.y + double(a.z) * b.z + double(a.w) * b.w;
    if (dot < 0) { // q and -q are one rotation: take the short way
        b = Quat {-b.x, -b.y, -b.z, -b.w};
        dot = -dot;
    }
    double wa = 1 - t, wb = t;
    if (dot < 0.9995) {
        const double theta = std::acos(std::min(dot, 1.0));
        const double s = std::sin(theta);
        wa = std::sin((1 - t) * theta) / s;
        wb = std::sin(t * theta) / s;
    }
    return normalized(Quat {float(wa * a.x + wb * b.x), float(wa * a.y + wb * b.y), float(wa * a.z + wb * b.z),
                            float(wa * a.w + wb * b.w)});
}

Pose RemotePresence::toGraph(const protocol::Placement& placement, const Pose& pose)
{
    const Vec3 scaled {pose.position.x * placement.scale, pose.position.y * placement.scale,
                       pose.position.z * placement.scale};
    const Vec3 r = rotate(normalized(placement.rotation), scaled);
    const Vec3& t = placement.translation;
    return Pose {Vec3 {t.x + r.x, t.y + r.y, t.z + r.z}, normalized(multiply(placement.rotation, pose.orientation))};
}

template<typename T>
void RemotePresence::add(Track<T>& track, const T& value, std::int64_t atMs)
{
    // Several samples in one network frame arrive at the same instant: keep their order.
    if (!track.empty() && atMs <= track.back().at)
        atMs = track.back().at + 1;
    track.push_back({atMs, value});
    while (track.size() > MinKept && track.front().at < atMs - KeepMs)
        track.pop_front();
}

template<typename T>
std::optional<std::pair<std::pair<const T*, const T*>, float>> RemotePresence::around(const Track<T>& track,
                                                                                        std::int64_t t)
{
    if (track.empty())
        return std::nullopt;
    if (t <= track.front().at)
        return std::make_pair(std::make_pair(&track.front().value, &track.front().value), 0.0f);
    if (t >= track.back().at)
        return std::make_pair(std::make_pair(&track.back().value, &track.back().value), 0.0f);
    const auto next = std::upper_bound(track.begin(), track.end(), t,
                                       [](std::int64_t v, const Sample<T>& s) { return v < s.at; });
    const auto prev = next - 1;
    const std::int64_t start = std::max(prev->at, next->at - MaxSegmentMs);
    const float f = t <= start ? 0.0f : float(double(t - start) / double(next->at - start));
    return std::make_pair(std::make_pair(&prev->value, &next->value), std::clamp(f, 0.0f, 1.0f));
}

void RemotePresence::addCursor(protocol::PeerIndex peer, Vec3 position, std::int64_t atMs)
{
    add(m_cursors[peer], position, atMs);
}

void RemotePresence::addVrPose(protocol::PeerIndex peer, const VrPose& pose, std::int64_t atMs)
{
    add(m_poses[peer], pose, atMs);
}

void RemotePresence::removePeer(protocol::PeerIndex peer)
{
    m_cursors.erase(peer);
    m_poses.erase(peer);
}

void RemotePresence::clear()
{
    m_cursors.clear();
    m_poses.clear();
}

std::optional<Vec3> RemotePresence::cursor(protocol::PeerIndex peer, std::int64_t displayMs) const
{
    auto it = m_cursors.find(peer);
    if (it == m_cursors.end())
        return std::nullopt;
    const auto a = around(it->second, displayMs - m_delayMs);
    if (!a)
        return std::nullopt;
    return lerp(*a->first.first, *a->first.second, a->second);
}

VrPose RemotePresence::interpolate(const VrPose& a, const VrPose& b, float t)
{
    auto pose = [t](const Pose& p, const Pose& q) {
        return Pose {lerp(p.position, q.position, t), slerp(p.orientation, q.orientation, t)};
    };
    VrPose out;
    out.head = pose(a.head, b.head);
    // A hand tracked in both samples moves between them; else the nearer sample decides.
    const VrPose& nearer = t < 0.5f ? a : b;
    out.left = a.left && b.left ? std::optional<Pose>(pose(*a.left, *b.left)) : nearer.left;
    out.right = a.right && b.right ? std::optional<Pose>(pose(*a.right, *b.right)) : nearer.right;
    return out;
}

std::optional<VrPose> RemotePresence::vrPose(protocol::PeerIndex peer, std::int64_t displayMs) const
{
    auto it = m_poses.find(peer);
    if (it == m_poses.end())
        return std::nullopt;
    const auto a = around(it->second, displayMs - m_delayMs);
    if (!a)
        return std::nullopt;
    return interpolate(*a->first.first, *a->first.second, a->second);
}

std::vector<protocol::PeerIndex> RemotePresence::peers() const
{
    std::vector<protocol::PeerIndex> out;
    for (const auto& [peer, track] : m_cursors)
        out.push_back(peer);
    for (const auto& [peer, track] : m_poses)
        out.push_back(peer);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

} // namespace constellate::net
