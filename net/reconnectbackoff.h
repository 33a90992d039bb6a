#pragma once

#include <cstdint>
#include <functional>

namespace constellate::net {

/// When to try again after a connection failed: exponential backoff with jitter. The
/// ceiling doubles from `initialMs` per failed attempt up to `maxMs`; each delay is drawn
/// between half the ceiling and all of it ("equal jitter"), so clients cut off together
/// by a restarted server do not all come back in the same instant.
class ReconnectBackoff {
public:
    /// Returns a number in [0, 1); the default is QRandomGenerator::global().
    using Random = std::function<double()>;

    explicit ReconnectBackoff(int initialMs = 1000, int maxMs = 30'000, Random random = {});

    /// The delay before the next attempt, in milliseconds; counts the attempt.
    int next();
    /// After a connection that held: the next failure starts from `initialMs` again.
    void reset() { m_attempts = 0; }
    int attempts() const { return m_attempts; }
    /// The ceiling for the given number of earlier attempts: min(max, initial * 2^n).
    int ceiling(int attempts) const;

private:
    int m_initialMs;
    int m_maxMs;
    int m_attempts = 0;
    Random m_random;
};

} // namespace constellate::net
