#pragma once

#include <cstddef>
#include <deque>

namespace constellate::net {

/// Round-trip times of the last N pings, in milliseconds: the rolling median and 95th
/// percentile a status bar shows (nearest rank on the sorted window).
class RoundTripTimes {
public:
    explicit RoundTripTimes(std::size_t window = 32) : m_window(window ? window : 1) {}

    void add(double ms);
    void clear() { m_samples.clear(); }
    std::size_t count() const { return m_samples.size(); }
    /// 0 when there is no sample yet.
    double median() const { return percentile(50); }
    double percentile95() const { return percentile(95); }
    /// Nearest-rank percentile p (0 to 100) of the window; 0 when empty.
    double percentile(double p) const;
    double latest() const { return m_samples.empty() ? 0 : m_samples.back(); }

private:
    std::size_t m_window;
    std::deque<double> m_samples;
};

} // namespace constellate::net
