#include "hlcclock.h"

#include <algorithm>
#include <chrono>

namespace constellate {

std::uint64_t HlcClock::systemMillis()
{
    using namespace std::chrono;
    return std::uint64_t(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

HlcClock::HlcClock() : m_wall(&HlcClock::systemMillis) {}

Hlc HlcClock::tick()
{
    const std::uint64_t wall = m_wall() & ((std::uint64_t(1) << 48) - 1);
    if (wall > m_last.millis())
        m_last = Hlc::make(wall, 0);
    else if (m_last.logical() < 0xffff)
        m_last = Hlc(m_last.raw() + 1);
    else
        m_last = Hlc::make(m_last.millis() + 1, 0); // logical overflow: borrow a millisecond
    return m_last;
}

void HlcClock::observe(Hlc remote)
{
    m_last = std::max(m_last, remote);
}

} // namespace constellate
