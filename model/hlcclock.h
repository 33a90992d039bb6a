#pragma once

#include "types.h"

#include <cstdint>
#include <functional>

namespace constellate {

/// Hands out hybrid-logical-clock timestamps for one replica: never backwards, always
/// past every timestamp seen (local or remote), close to wall-clock time.
class HlcClock {
public:
    using WallClock = std::function<std::uint64_t()>; ///< milliseconds since the Unix epoch

    HlcClock();
    explicit HlcClock(WallClock wall) : m_wall(std::move(wall)) {}

    /// A timestamp for a new local transaction.
    Hlc tick();
    /// Moves past a timestamp received from elsewhere.
    void observe(Hlc remote);
    Hlc last() const { return m_last; }
    std::uint64_t wallMillis() const { return m_wall(); }

    /// How far ahead of its own clock a server accepts timestamps: further, and one
    /// machine with a wrong clock would win every conflict.
    static constexpr std::uint64_t MaxFutureMillis = 60'000;
    /// True when `h` is too far ahead of `nowMillis` to be accepted.
    static bool isTooFarAhead(Hlc h, std::uint64_t nowMillis) { return h.millis() > nowMillis + MaxFutureMillis; }

    static std::uint64_t systemMillis();

private:
    WallClock m_wall;
    Hlc m_last;
};

} // namespace constellate
