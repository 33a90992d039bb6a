#pragma once

// Smooth remote cursors and VR avatars at display rate. Presence arrives at up to 60 Hz
// per user, unevenly (network jitter, several updates in one frame); drawing each sample
// as it arrives makes them jump. RemotePresence keeps a short buffer of samples per peer,
// timed by arrival, and answers "where is it at display time T" by showing the buffer
// `delayMs` in the past: linear interpolation for positions, spherical (slerp) for
// orientations. The delay (default 100 ms) is the price of smoothness; past the newest
// sample a position holds still rather than guessing ahead.

#include "protocol.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace constellate::net {

class RemotePresence {
public:
    explicit RemotePresence(int delayMs = 100) : m_delayMs(delayMs) {}

    /// Milliseconds on a monotonic clock (std::chrono::steady_clock): the time base of
    /// arrivals and of display times.
    static std::int64_t nowMs();

    void setDelayMs(int ms) { m_delayMs = ms; }
    int delayMs() const { return m_delayMs; }

    /// A desktop cursor (graph space) received at `atMs`.
    void addCursor(protocol::PeerIndex peer, Vec3 position, std::int64_t atMs);
    /// A VR pose (the sender's tracking space) received at `atMs`.
    void addVrPose(protocol::PeerIndex peer, const protocol::VrPose& pose, std::int64_t atMs);
    void removePeer(protocol::PeerIndex peer);
    void clear();

    /// The smoothed cursor at display time `displayMs` (nullopt: none received).
    std::optional<Vec3> cursor(protocol::PeerIndex peer, std::int64_t displayMs) const;
    /// The smoothed VR pose at display time `displayMs`, in the sender's tracking space;
    /// place it with the sender's Placement (toGraph).
    std::optional<protocol::VrPose> vrPose(protocol::PeerIndex peer, std::int64_t displayMs) const;
    /// Peers with a cursor or a VR pose.
    std::vector<protocol::PeerIndex> peers() const;

    static Vec3 lerp(Vec3 a, Vec3 b, float t);
    /// Shortest-path spherical interpolation of unit quaternions.
    static protocol::Quat slerp(protocol::Quat a, protocol::Quat b, float t);
    /// A pose in the sender's room mapped into the graph: translation + rotation * (scale * p).
    static protocol::Pose toGraph(const protocol::Placement& placement, const protocol::Pose& pose);

private:
    template<typename T>
    struct Sample {
        std::int64_t at;
        T value;
    };
    template<typename T>
    using Track = std::deque<Sample<T>>;
    template<typename T>
    static void add(Track<T>& track, const T& value, std::int64_t atMs);
    /// The two samples around `t` and the fraction between them.
    template<typename T>
    static std::optional<std::pair<std::pair<const T*, const T*>, float>> around(const Track<T>& track, std::int64_t t);
    static protocol::VrPose interpolate(const protocol::VrPose& a, const protocol::VrPose& b, float t);

    int m_delayMs;
    std::map<protocol::PeerIndex, Track<Vec3>> m_cursors;
    std::map<protocol::PeerIndex, Track<protocol::VrPose>> m_poses;
};

} // namespace constellate::net
