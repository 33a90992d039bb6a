#include "reconnectbackoff.h"

#include <QRandomGenerator>

#include <algorithm>

namespace constellate::net {

ReconnectBackoff::ReconnectBackoff(int initialMs, int maxMs, Random random)
    : m_initialMs(std::max(1, initialMs))
    , m_maxMs(std::max(m_initialMs, maxMs))
    , m_random(random ? std::move(random) : Random([] { return QRandomGenerator::global()->generateDouble(); }))
{
}

int ReconnectBackoff::ceiling(int attempts) const
{
    std::int64_t c = m_initialMs;
    for (int i = 0; i < attempts && c < m_maxMs; ++i)
        c *= 2;
    return int(std::min<std::int64_t>(c, m_maxMs));
}

int ReconnectBackoff::next()
{
    const int c = ceiling(m_attempts);
    ++m_attempts;
    const double u = std::clamp(m_random(), 0.0, 1.0);
    return std::max(1, int(c / 2.0 + u * (c / 2.0)));
}

} // namespace constellate::net
