#include "roundtriptimes.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace constellate::net {

void RoundTripTimes::add(double ms)
{
    if (!std::isfinite(ms) || ms < 0)
        return;
    m_samples.push_back(ms);
    while (m_samples.size() > m_window)
        m_samples.pop_front();
}

double RoundTripTimes::percentile(double p) const
{
    if (m_samples.empty())
        return 0;
    std::vector<double> sorted(m_samples.begin(), m_samples.end());
    std::sort(sorted.begin(), sorted.end());
    // Nearest rank: the smallest value with at least p% of the samples at or below it.
    const double rank = std::ceil(std::clamp(p, 0.0, 100.0) / 100.0 * double(sorted.size()));
    const std::size_t index = rank < 1 ? 0 : std::size_t(rank) - 1;
    return sorted[std::min(index, sorted.size() - 1)];
}

} // namespace constellate::net
